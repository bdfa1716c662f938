/* SPDX-License-Identifier: MIT */
/* Unit names (see unit-name.c): one set of rules for every verb and API path. Pure. */
#pragma once

#include <stdbool.h>

/* Unit name mangling as systemctl and systemd-analyze do it (unit_name_mangle() without globs):
 * a valid unit name is kept; an absolute path becomes a .device or .mount name; anything else has
 * '/' turned into '-' and other invalid characters escaped as \xNN, and gets ".service" unless it
 * already ends in a unit type. Returns 0 and a new string, or -EINVAL when no valid name results
 * (empty, too long, a leading '@'). */
int unit_name_mangle(const char *arg, char **ret);

/* Is n a valid unit name of any type (plain, instance or template; systemd's unit-name.c
 * rules)? Pure. */
bool unit_name_is_valid(const char *n);

/* Is n a template name ("foo@.service")? Pure. */
bool unit_name_is_template(const char *n);

/* For a template name ("foo@.service") the instance systemd-analyze of that systemd version
 * analyzes: "foo@test-instance.service" before v257, "foo@test_instance.service" from v257 (its
 * --instance= default). Returns 1 and a new string for a template, 0 (and *ret = NULL) for
 * anything else. */
int unit_name_template_instance(const char *name, unsigned systemd_version, char **ret);
