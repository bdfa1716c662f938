/* SPDX-License-Identifier: MIT */
/* log.h's MESSAGE_IDs against catalog/exposured.catalog: each id is a random (version 4) 128-bit
 * id as `systemd-id128 new` prints it, ids are unique, and each has exactly one catalog entry with
 * a Subject: and Defined-By: line (what `journalctl -x` shows). Run from the source tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

static const char *const ids[] = {
        LOG_MESSAGE_REGRESSION, LOG_MESSAGE_IMPROVEMENT, LOG_MESSAGE_FIRST_SCORE,
        LOG_MESSAGE_NEW_EXPOSED, LOG_MESSAGE_MIGRATION, LOG_MESSAGE_DATABASE,
        LOG_MESSAGE_OVER_POLICY, LOG_MESSAGE_WITHIN_POLICY, LOG_MESSAGE_WAIVER_EXPIRED,
        LOG_MESSAGE_POLICY_LOAD,
};

static void test_ids(void **state) {
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                assert_int_equal(strlen(ids[i]), 32);
                assert_int_equal(strspn(ids[i], "0123456789abcdef"), 32);
                /* systemd-id128 new: RFC 4122 version 4, variant 1. */
                assert_int_equal(ids[i][12], '4');
                assert_non_null(strchr("89ab", ids[i][16]));
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(ids[i], ids[j]);
        }
}

static void test_catalog(void **state) {
        FILE *f = fopen("catalog/exposured.catalog", "re");
        char line[1024];
        unsigned seen[ELEMENTSOF(ids)] = {}, subjects = 0, defined = 0, entries = 0;

        (void) state;
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                if (startswith(line, "-- ")) {
                        bool known = false;

                        entries++;
                        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                                if (streq(line + 3, ids[i])) {
                                        seen[i]++;
                                        known = true;
                                }
                        if (!known)
                                fail_msg("catalog entry for an id log.h does not define: %s",
                                         line + 3);
                } else if (startswith(line, "Subject: "))
                        subjects++;
                else if (streq(line, "Defined-By: exposured"))
                        defined++;
        }
        fclose(f);
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (seen[i] != 1)
                        fail_msg("%s has %u catalog entries", ids[i], seen[i]);
        assert_int_equal(subjects, entries);
        assert_int_equal(defined, entries);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_catalog),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
