/* SPDX-License-Identifier: MIT */
/* Fuzz target for unit_policy_parse() (policy.d files): any bytes must give 0 or -errno with a
 * FILE:LINE message and no rule added, never a crash or a leak; whatever parses is judged against
 * a report of every check failing and of none, at two times, and every verdict must hold together
 * (unmanaged without a rule; ok/over as the rules say; waivers that point at matching rules).
 * Built as a libFuzzer target or as a stdin/file driver (fuzz-main.h). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "unit-policy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge(const UnitPolicy *p, const char *unit, const ScoreReport *r, uint64_t now) {
        PolicyVerdict v;

        unit_policy_evaluate(p, unit, r, now, &v);
        if (v.first_rule < 0) {
                assert(v.status == POLICY_UNMANAGED && v.ceiling == -1 && !v.allow_list);
                return;
        }
        assert(unit_policy_match(&p->rules[v.first_rule], unit));
        assert(v.status == (v.over_ceiling || v.n_unaccepted > 0 ? POLICY_OVER : POLICY_OK));
        for (size_t i = 0; i < r->n_checks; i++) {
                bool expired = false;
                const PolicyRule *w = unit_policy_waiver(p, &v, i, &expired);
                if (w)
                        assert(unit_policy_match(w, unit) &&
                               strv_contains(w->accept, r->checks[i].assessor->id));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const units[] = { "a.service", "getty@tty1.service", "x\\x2dy.service" };
        const ScoreTable *t = score_table_for_version(257);
        UnitPolicy *p = unit_policy_new();
        PolicyError e = {};
        ScoreReport all = { .table = t, .n_checks = t->n_rows, .exposure = 100 };
        ScoreReport none = { .table = t, .n_checks = t->n_rows, .exposure = 0 };
        int r;

        for (size_t i = 0; i < t->n_rows; i++) {
                all.checks[i] = (ScoreCheck) { .assessor = &t->rows[i], .badness = 1,
                                               .weight = 1, .range = 1 };
                none.checks[i] = (ScoreCheck) { .assessor = &t->rows[i], .weight = 1,
                                                .range = 1 };
        }
        r = unit_policy_parse(p, "f.conf", (const char *) data, size, &e);
        if (r < 0) {
                assert(e.message && e.file && p->n_rules == 0);
                char *m = policy_error_format(&e);
                assert(strncmp(m, "f.conf", 6) == 0);
                free(m);
        } else
                for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
                        judge(p, units[i], &all, 0);
                        judge(p, units[i], &none, UINT64_MAX);
                }
        policy_error_done(&e);
        unit_policy_free(p);
        return 0;
}

#include "fuzz-main.h"
