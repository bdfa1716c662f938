/* SPDX-License-Identifier: MIT */
/* The conventions every exposured verb shares: the exit statuses documented in exposured(8) EXIT
 * STATUS, the usage-error line, --json= modes, unit arguments mangled as systemctl does, and a
 * bus scan run to completion. The verbs (cmd-*.c) call these instead of each writing its own;
 * they log, as the verbs do, and touch nothing but stderr and the bus they are given. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-scan.h"

/* EXIT_SUCCESS (0): done. */
/* EXIT_FAILURE (1): something failed (bus, database, a unit that cannot be analyzed); for scan
 * also a unit above --threshold, as systemd-analyze security --threshold= exits. */
#define EXIT_USAGE 2 /* a usage error: unknown option, bad option value, wrong arguments */

/* s (NULL: "") with control characters escaped as \xNN, for messages that quote user text.
 * The caller frees the result. */
char *cli_printable(const char *s);

/* Log the option getopt_long() (with opterr = 0) just refused, unknown or missing its argument:
 * "Unknown option: -x (see exposured VERB --help)" for a short option, else "Unknown or
 * incomplete option: ARG (see exposured VERB --help)". Returns -EINVAL. */
int cli_option_error(const char *verb, char *const argv[]);

/* --json[=MODE]: arg NULL or "short" is compact JSON, "pretty" indented, "off" none. Logs a bad
 * mode. Returns 0 (both out-parameters written) or -EINVAL. */
int cli_parse_json(const char *arg, bool *ret_json, bool *ret_pretty);

/* A unit argument as systemctl mangles it ("dbus" -> "dbus.service"), refused with a logged
 * error when it is not a service, or when it is a template and !allow_template. Returns 0 and
 * the name (the caller frees it), or a negative errno. */
int cli_service_name(const char *arg, bool allow_template, char **ret);

/* One bus scan (bus_scan_new() with in_flight and timeout_usec, bus_scan_start() of names)
 * run to completion on event, which bus must be attached to. Not sd_event_exit(): exiting the
 * loop would also close the attached bus (sd-bus flushes and closes on the loop's exit), and a
 * verb may scan twice. Logs failures, and a manager that reported no Version as one. Returns 0
 * and the finished scan (the caller frees it), or a negative errno. */
int cli_run_scan(sd_bus *bus, sd_event *event, unsigned in_flight, uint64_t timeout_usec,
                 char *const *names, BusScan **ret);
