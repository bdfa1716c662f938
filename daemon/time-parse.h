/* SPDX-License-Identifier: MIT */
/* Timestamps and time spans as systemd.time(7) writes them, for the CLIs' --since=/--until=.
 * Pure: the caller passes "now"; local time is the process's time zone (TZ), as journalctl's.
 * No I/O, no logging, no allocation. */
#pragma once

#include <stdint.h>

/* A time span: one or more "<number>[<unit>]" components, optionally separated by spaces
 * ("1h 30min", "2d3h", "1.5s", "500ms"); units us/usec, ms/msec, s/sec/second(s), m/min/minute(s),
 * h/hr/hour(s), d/day(s), w/week(s), M/month(s) (30.44 d), y/year(s) (365.25 d); a bare number is
 * seconds. Returns 0 and usec, -EINVAL (syntax) or -ERANGE (overflow). */
int time_parse_span(const char *s, uint64_t *ret_usec);

/* A timestamp, relative to now_usec (CLOCK_REALTIME usec):
 *   "now", "today", "yesterday", "tomorrow" (local midnight), "epoch";
 *   "@SECONDS[.FRACTION]";
 *   "+SPAN", "-SPAN", "SPAN ago", "SPAN left" (and, as exposured always accepted, a bare SPAN
 *   with a unit, "2h", meaning that long ago);
 *   "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.FRACTION]]", "HH:MM[:SS]" (today), with "T" allowed for
 *   the space, a leading weekday ("Tue") ignored, and a trailing " UTC", "Z" or "+HH:MM"/"-HH:MM"
 *   zone (else local time).
 * Times before the epoch clamp to 0. Returns 0, -EINVAL or -ERANGE. */
int time_parse_timestamp(const char *s, uint64_t now_usec, uint64_t *ret_usec);
