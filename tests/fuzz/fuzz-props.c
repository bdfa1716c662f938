/* SPDX-License-Identifier: MIT */
/* Fuzz target for the fixture parser and everything downstream of it: props_text_parse(), then
 * score_unit() with every table and score_check_describe() of every row. Nothing may crash, leak
 * or read out of bounds, whatever the bytes.
 *   libFuzzer: clang -fsanitize=fuzzer,address,undefined -DFUZZ_LIBFUZZER -D_GNU_SOURCE \
 *              -Idaemon tests/fuzz/fuzz-props.c daemon/{props-text,score,score-table,
 *              score-syscalls,unit-props,util,buf}.c
 *   stdin driver (default): reads one input from stdin, or each file named on the command line.
 * `make check-unit` replays tests/fuzz/corpus/props/ through the same function
 * (tests/unit/test-props-text.c includes this file). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "props-text.h"
#include "score.h"

int fuzz_props_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int fuzz_props_one(const uint8_t *data, size_t size) {
        UnitProps p;
        unsigned line = 0;
        Buf d = {};

        if (props_text_parse((const char *) data, size, &p, &line) < 0)
                return 0;
        for (size_t t = 0; t < score_tables_count; t++) {
                ScoreReport r;

                if (score_unit(score_tables[t], NULL, &p, &r) < 0)
                        continue;
                for (size_t i = 0; i < r.n_checks; i++) {
                        score_check_describe(&r, i, NULL, &d);
                        buf_clear(&d);
                }
        }
        buf_done(&d);
        unit_props_done(&p);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_props_one(data, size);
}

#include "fuzz-main.h"
