/* SPDX-License-Identifier: MIT */
/* Test helper: a ScoreReport as the text the golden files hold. One line per check in table order:
 * mark (+ good, x bad, - n/a), NAME, json_field, badness/range, weight, EXPOSURE column, then the
 * description; then the sums and the overall line as systemd-analyze prints it. Every field is
 * one the oracle (SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze security) prints, so the oracle's output
 * converts to this format too (tests/oracle-to-golden.py). */
#include <inttypes.h>
#include <stdio.h>

#include "render.h"
#include "score-text.h"

void score_report_text(const ScoreReport *r, const char *unit, Buf *out) {
        char t[8];

        for (size_t i = 0; i < r->n_checks; i++) {
                const ScoreCheck *c = r->checks + i;
                int set = score_check_set(c);

                buf_printf(out, "%c %s\t%s\t", set < 0 ? '-' : set ? '+' : 'x', c->assessor->id,
                           c->assessor->json_field);
                if (c->badness == BADNESS_NA)
                        buf_printf(out, "n/a/%" PRIu64, c->range);
                else
                        buf_printf(out, "%" PRIu64 "/%" PRIu64, c->badness, c->range);
                buf_printf(out, "\t%" PRIu64 "\t%s\t", c->weight,
                           c->exposure ? render_format_tenths(c->exposure, t) : "");
                score_check_describe(r, i, NULL, out);
                buf_putc(out, '\n');
        }
        buf_printf(out, "badness_sum=%" PRIu64 " weight_sum=%" PRIu64 "\n", r->badness_sum,
                   r->weight_sum);
        buf_printf(out, "Overall exposure level for %s: %s %s\n", unit,
                   render_format_tenths(r->exposure, t), predicate_to_string(r->predicate));
}
