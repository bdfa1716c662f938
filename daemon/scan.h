/* SPDX-License-Identifier: MIT */
/* `exposured scan`: score services once, the way `systemd-analyze security` does, and print a
 * table or one JSON array (the format is documented at the top of scan.c). The pieces below the
 * entry point are pure and exist separately so that tests can drive them without a bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "score.h"

/* The subcommand. argv[0] is "scan". Returns the process exit status: 0, or 1 on any error or when
 * a unit's exposure is above --threshold. */
int scan_main(int argc, char *argv[]);

/* One scored unit, as the renderers see it. */
typedef struct ScanEntry {
        const char *unit;     /* canonical id, as the manager reports it (the Id property) */
        bool oneshot;         /* Type=oneshot */
        ScoreReport report;
} ScanEntry;

/* Unit name mangling as systemctl and systemd-analyze do it (unit_name_mangle() without globs):
 * a valid unit name is kept; an absolute path becomes a .device or .mount name; anything else has
 * '/' turned into '-' and other invalid characters escaped as \xNN, and gets ".service" unless it
 * already ends in a unit type. Returns 0 and a new string, or -EINVAL when no valid name results
 * (empty, too long, a leading '@'). */
int scan_mangle_unit_name(const char *arg, char **ret);

/* Is n a valid unit name of any type (plain, instance or template; systemd's unit-name.c
 * rules)? Pure. */
bool scan_unit_name_valid(const char *n);

/* For a template name ("foo@.service") the instance systemd-analyze of that systemd version
 * analyzes: "foo@test-instance.service" before v257, "foo@test_instance.service" from v257 (its
 * --instance= default). Returns 1 and a new string for a template, 0 (and *ret = NULL) for
 * anything else. */
int scan_template_instance(const char *name, unsigned systemd_version, char **ret);

/* Render entries as the JSON array described in scan.c, followed by a newline. overrides is NULL
 * or has report.table->n_rows entries (for the descriptions). pretty adds indentation. */
void scan_render_json(const ScanEntry *entries, size_t n, const ScoreOverride *overrides,
                      bool pretty, Buf *out);

/* Render entries as the UNIT/EXPOSURE/PREDICATE table. color adds ANSI colour to the predicate;
 * show_type adds a TYPE column that marks oneshot services (for --all). Control characters in
 * names are shown as \xNN. */
void scan_render_table(const ScanEntry *entries, size_t n, bool color, bool show_type, Buf *out);
