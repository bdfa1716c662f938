/* SPDX-License-Identifier: MIT */
/* Golden reports: every tests/fixtures/vNNN-NAME.props (systemctl show output captured in a
 * container running systemd NNN) is parsed, scored with the table for NNN and rendered; the text
 * must equal tests/golden/vNNN-NAME.out. The goldens were checked against the oracle's own output
 * for the same unit (tests/oracle/, compared by tests/check-oracle.sh).
 *   test-golden                     run the comparison (cmocka)
 *   test-golden --print VER FILE    print the report of FILE scored with the table of VER
 * regen-golden.sh uses --print to rewrite the goldens. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "props-text.h"
#include "read-file.h"
#include "score-text.h"
#include "score.h"
#include "util.h"

/* Render the report of one fixture; NULL on a parse or score error. */
static char *render(unsigned version, const char *path) {
        UnitProps p;
        ScoreReport r;
        Buf out = {};
        size_t len;
        unsigned line = 0;
        char *text = read_file(path, &len);

        if (!text)
                return NULL;
        if (props_text_parse(text, len, &p, &line) < 0) {
                fprintf(stderr, "%s:%u: parse error\n", path, line);
                free(text);
                return NULL;
        }
        free(text);
        if (score_unit(score_table_for_version(version), NULL, &p, &r) < 0) {
                unit_props_done(&p);
                return NULL;
        }
        score_report_text(&r, p.id ?: "?", &out);
        unit_props_done(&p);
        return buf_steal(&out);
}

static const char *top(void) {
        return getenv("TOP") ?: ".";
}

static void test_goldens(void **state) {
        char dir[4096];
        DIR *d;
        struct dirent *de;
        unsigned n = 0;

        (void) state;
        snprintf(dir, sizeof(dir), "%s/tests/fixtures", top());
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char fixture[8192], golden[8192];
                unsigned version;
                size_t glen, nlen = strlen(de->d_name);
                char *got, *want;

                if (nlen < 7 || strcmp(de->d_name + nlen - 6, ".props") != 0)
                        continue;
                assert_int_equal(sscanf(de->d_name, "v%u-", &version), 1);
                snprintf(fixture, sizeof(fixture), "%s/%s", dir, de->d_name);
                snprintf(golden, sizeof(golden), "%s/tests/golden/%.*s.out", top(),
                         (int) (nlen - 6), de->d_name);
                got = render(version, fixture);
                want = read_file(golden, &glen);
                if (!got || !want || strcmp(got, want) != 0)
                        fail_msg("%s differs from %s (run tests/regen-golden.sh and diff)",
                                 fixture, golden);
                free(got);
                free(want);
                n++;
        }
        closedir(d);
        assert_true(n >= 4);
}

int main(int argc, char *argv[]) {
        if (argc == 4 && strcmp(argv[1], "--print") == 0) {
                char *s = render((unsigned) strtoul(argv[2], NULL, 10), argv[3]);

                if (!s)
                        return EXIT_FAILURE;
                fputs(s, stdout);
                free(s);
                return EXIT_SUCCESS;
        }

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_goldens),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
