/* SPDX-License-Identifier: MIT */
/* Fuzz target for the lingering users' reports (daemon/user-reports.c), which a process running
 * as that user wrote: user_report_parse(), then for every unit the writer's round trip
 * (props_text_format() of what was parsed reads back to the same text) and score_unit() with
 * every table. Nothing may crash, leak or read out of bounds, and the writer either refuses a
 * value or writes it so that it parses back the same (abort() otherwise: what `scan --props`
 * writes must mean to the daemon what it meant to the scan).
 *   stdin driver (default): reads one input from stdin, or each file named on the command line.
 * `make check-unit` replays tests/fuzz/corpus/user-report/ (tests/unit/test-user-reports.c
 * includes this file). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "props-text.h"
#include "score.h"
#include "user-reports.h"

int fuzz_user_report_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int fuzz_user_report_one(const uint8_t *data, size_t size) {
        UnitProps *units = NULL;
        size_t n = 0;
        unsigned line = 0;

        if (user_report_parse((const char *) data, size, &units, &n, &line) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                Buf a = {}, b = {};
                UnitProps again;

                if (props_text_format(&units[i], &a) >= 0) {
                        if (props_text_parse(a.data, a.len, &again, NULL) < 0)
                                abort();
                        if (props_text_format(&again, &b) < 0 || !a.data ||
                            strcmp(a.data, b.data) != 0)
                                abort();
                        unit_props_done(&again);
                }
                buf_done(&a);
                buf_done(&b);
                for (size_t t = 0; t < score_tables_count; t++) {
                        ScoreReport r;

                        (void) score_unit(score_tables[t], NULL, &units[i], &r);
                }
        }
        user_report_units_free(units, n);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_user_report_one(data, size);
}

#include "fuzz-main.h"
