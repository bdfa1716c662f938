/* SPDX-License-Identifier: MIT */
/* Fuzz target for the --security-policy parser and everything downstream of it: policy_parse(),
 * policy_apply() against every score table, score_unit() with the overrides on a root service and
 * on a hardened one, and the JSON renderer of `exposured scan` (policy descriptions end up there).
 * Nothing may crash, leak or read out of bounds, whatever the bytes; the invariants policy_apply()
 * promises (no range 0, no weight above POLICY_WEIGHT_MAX) are checked.
 *   libFuzzer: clang -fsanitize=fuzzer,address,undefined -DFUZZ_LIBFUZZER -D_GNU_SOURCE \
 *              -Idaemon $(pkg-config --cflags json-c) tests/fuzz/fuzz-policy.c \
 *              daemon/{policy,scan,bus-scan,bus-props,score,score-table,score-syscalls,unit-props,
 *              util,buf,log}.c $(pkg-config --libs json-c libsystemd)
 *   stdin driver (default): reads one input from stdin, or each file named on the command line.
 * `make check-unit` replays tests/fuzz/corpus/policy/ plus deterministic mutations of it
 * (tests/unit/test-fuzz-policy.c includes this file). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "policy.h"
#include "render.h"
#include "score.h"
#include "util.h"

int fuzz_policy_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void score_and_render(const ScoreTable *t, const ScoreOverride *o, const UnitProps *p) {
        ScanEntry e = { .unit = "fuzz.service" };
        Buf out = {};

        if (score_unit(t, o, p, &e.report) < 0)
                return;
        render_json_scan(&e, 1, o, false, &out);
        if (!out.data || out.data[0] != '[')
                abort();
        buf_done(&out);
}

int fuzz_policy_one(const uint8_t *data, size_t size) {
        Policy *policy = NULL;
        unsigned line, column;
        UnitProps root, hardened;

        if (policy_parse((const char *) data, size, &policy, &line, &column) < 0)
                return 0;

        unit_props_init(&root);
        unit_props_init(&hardened);
        hardened.user = xstrdup("nobody");
        hardened.protect_proc = xstrdup("noaccess");
        hardened.protect_system = xstrdup("full");
        hardened.private_network = hardened.no_new_privileges = true;
        hardened.capability_bounding_set = 0;

        for (size_t t = 0; t < score_tables_count; t++) {
                const ScoreTable *table = score_tables[t];
                ScoreOverride *o = xcalloc(table->n_rows, sizeof(ScoreOverride));
                size_t row;

                if (policy_apply(policy, table, o, &row) >= 0) {
                        for (size_t i = 0; i < table->n_rows; i++)
                                if ((o[i].has_range && o[i].range == 0) ||
                                    (o[i].has_weight && o[i].weight > POLICY_WEIGHT_MAX))
                                        abort();
                        score_and_render(table, o, &root);
                        score_and_render(table, o, &hardened);
                } else if (row >= table->n_rows)
                        abort();
                free(o);
        }
        unit_props_done(&root);
        unit_props_done(&hardened);
        policy_free(policy);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_policy_one(data, size);
}

#include "fuzz-main.h"
