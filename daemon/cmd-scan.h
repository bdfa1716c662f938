/* SPDX-License-Identifier: MIT */
/* `exposured scan`: score services once, the way `systemd-analyze security` does, and print a
 * table or one JSON array (the format is documented at the top of scan.c; render_json_scan() and
 * render_text_scan() write them). The pieces below the entry point are pure and exist separately
 * so that tests can drive them without a bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The subcommand. argv[0] is "scan". Returns the process exit status: 0, or 1 on any error or when
 * a unit's exposure is above --threshold. */
int cmd_scan(int argc, char *argv[]);

/* Unit name mangling as systemctl and systemd-analyze do it (unit_name_mangle() without globs):
 * a valid unit name is kept; an absolute path becomes a .device or .mount name; anything else has
 * '/' turned into '-' and other invalid characters escaped as \xNN, and gets ".service" unless it
 * already ends in a unit type. Returns 0 and a new string, or -EINVAL when no valid name results
 * (empty, too long, a leading '@'). */
int cmd_scan_mangle_unit_name(const char *arg, char **ret);

/* Is n a valid unit name of any type (plain, instance or template; systemd's unit-name.c
 * rules)? Pure. */
bool cmd_scan_unit_name_valid(const char *n);

/* For a template name ("foo@.service") the instance systemd-analyze of that systemd version
 * analyzes: "foo@test-instance.service" before v257, "foo@test_instance.service" from v257 (its
 * --instance= default). Returns 1 and a new string for a template, 0 (and *ret = NULL) for
 * anything else. */
int cmd_scan_template_instance(const char *name, unsigned systemd_version, char **ret);
