/* SPDX-License-Identifier: MIT */
/* user-reports and user-units: the lingering users' reports (docs/user-managers.md). The format
 * round trip from `scan --props`'s writer; every refusal (incomplete, oversized, too many units,
 * bad and duplicate names, garbage); the file reader on a real directory (a symlink, a FIFO that
 * must not block, a directory, an oversized file, names that are not UID.props); the scoring
 * into user units (labels, kept times, incomplete reports keeping the previous units); the
 * fuzz corpus (tests/fuzz/corpus/user-report) through the fuzz target's function. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "props-text.h"
#include "read-file.h"
#include "user-reports.h"
#include "user-units.h"
#include "util.h"

#define FUZZ_NO_MAIN
#include "../fuzz/fuzz-user-report.c"

static char *fixture(const char *name, size_t *ret_len) {
        char path[4096];
        char *t;

        snprintf(path, sizeof(path), "%s/tests/fixtures/%s", getenv("TOP") ?: ".", name);
        t = read_file(path, ret_len);
        assert_non_null(t);
        return t;
}

/* A report of the given fixtures, as `exposured scan --props` frames it. */
static char *report_of(const char *const *names, size_t n, size_t *ret_len) {
        Buf b = {};

        user_report_begin(&b);
        for (size_t i = 0; i < n; i++) {
                size_t len;
                char *t = fixture(names[i], &len);
                UnitProps p;

                assert_int_equal(props_text_parse(t, len, &p, NULL), 0);
                assert_int_equal(props_text_format(&p, &b), 0);
                buf_putc(&b, '\n');
                unit_props_done(&p);
                free(t);
        }
        user_report_end(n, &b);
        *ret_len = b.len;
        return buf_steal(&b);
}

static const char *const two[] = { "v262-t-hardened.props", "v262-t-base.props" };

static void test_round_trip(void **state) {
        UnitProps *units = NULL;
        size_t n = 0, len;
        char *r = report_of(two, 2, &len);

        (void) state;
        assert_int_equal(user_report_parse(r, len, &units, &n, NULL), 0);
        assert_int_equal(n, 2);
        assert_string_equal(units[0].id, "t-base.service"); /* sorted by id */
        assert_string_equal(units[1].id, "t-hardened.service");
        assert_true(units[0].user_manager);
        assert_true(units[1].private_network);
        user_report_units_free(units, n);

        /* cut anywhere before the end line: incomplete, never a smaller report */
        for (size_t cut = 0; cut < len; cut += 97) {
                units = NULL;
                assert_int_equal(user_report_parse(r, cut, &units, &n, NULL), -ENODATA);
                assert_null(units);
        }
        free(r);

        static const char empty[] = "# exposured user report 1\n# end of report: 0 units\n";
        assert_int_equal(user_report_parse(empty, strlen(empty), &units, &n, NULL), 0);
        assert_int_equal(n, 0);
        user_report_units_free(units, n);
}

static int parse_str(const char *s, unsigned *ret_line) {
        UnitProps *units = NULL;
        size_t n = 0;
        int r = user_report_parse(s, strlen(s), &units, &n, ret_line);

        if (r >= 0)
                user_report_units_free(units, n);
        return r;
}

static void test_refused(void **state) {
        static const struct {
                const char *text;
                int error;
                unsigned line;
        } bad[] = {
                { "", -ENODATA, 0 },
                { "garbage\n", -ENODATA, 0 },
                { "\x7f" "ELF\x01\x02\n# end of report: 0 units\n", -EINVAL, 1 },
                { "# exposured user report 2\n# end of report: 0 units\n", -EINVAL, 1 },
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\n\n"
                  "# end of report: 1 units", -ENODATA, 0 },      /* no final newline */
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\n\n"
                  "# end of report: 2 units\n", -ENODATA, 0 },    /* a unit missing */
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\n\n"
                  "# end of report: 1 unit\n", -ENODATA, 0 },
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\n\n"
                  "# end of report: 99999 units\n", -EFBIG, 0 },
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\nUMask=9\n\n"
                  "# end of report: 1 units\n", -EINVAL, 4 },
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\n\n"
                  "Id=../../etc/passwd\nLoadState=loaded\n\n# end of report: 2 units\n",
                  -EBADMSG, 5 },
                { "# exposured user report 1\nId=a.socket\nLoadState=loaded\n\n"
                  "# end of report: 1 units\n", -EBADMSG, 2 },
                { "# exposured user report 1\nId=a@.service\nLoadState=loaded\n\n"
                  "# end of report: 1 units\n", -EBADMSG, 2 },
                { "# exposured user report 1\nLoadState=loaded\n\n"
                  "# end of report: 1 units\n", -EBADMSG, 2 },
                { "# exposured user report 1\nId=a.service\n\n"
                  "# end of report: 1 units\n", -EBADMSG, 2 },
                { "# exposured user report 1\nId=a.service\nLoadState=loaded\n\n"
                  "Id=a.service\nLoadState=loaded\n\n# end of report: 2 units\n", -EEXIST, 0 },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                unsigned line = 0;

                assert_int_equal(parse_str(bad[i].text, &line), bad[i].error);
                if (bad[i].line)
                        assert_int_equal(line, bad[i].line);
        }
        assert_int_equal(user_report_parse(NULL, 0, NULL, NULL, NULL), -ENODATA);
        /* a memo of a pass keeps the count, not the units (manager.c) */
        user_report_units_free(NULL, 5);
        UserReport *memo = xcalloc(1, sizeof(UserReport));
        memo->user = xstrdup("alice");
        memo->n_units = 5;
        user_reports_free(memo, 1);
}

static void test_caps(void **state) {
        Buf b = {};
        UnitProps *units = NULL;
        size_t n = 0;

        (void) state;
        /* more units than USER_REPORT_UNITS_MAX */
        user_report_begin(&b);
        for (unsigned i = 0; i <= USER_REPORT_UNITS_MAX; i++)
                buf_printf(&b, "Id=u%u.service\nLoadState=loaded\n\n", i);
        user_report_end(USER_REPORT_UNITS_MAX + 1, &b);
        assert_int_equal(user_report_parse(b.data, b.len, &units, &n, NULL), -EFBIG);
        buf_clear(&b);
        /* larger than USER_REPORT_SIZE_MAX, even when complete */
        user_report_begin(&b);
        buf_puts(&b, "Id=a.service\nLoadState=loaded\nDescription=");
        while (b.len <= USER_REPORT_SIZE_MAX)
                buf_puts(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        buf_puts(&b, "\n\n");
        user_report_end(1, &b);
        assert_int_equal(user_report_parse(b.data, b.len, &units, &n, NULL), -EFBIG);
        buf_done(&b);
}

static void test_names(void **state) {
        uid_t uid = 1;

        (void) state;
        assert_int_equal(user_report_name_parse("1000.props", &uid), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(user_report_name_parse("0.props", &uid), 0);
        assert_int_equal(uid, 0);
        assert_int_equal(user_report_name_parse("4294967294.props", &uid), 0);
        static const char *const bad[] = {
                "01000.props", "1000.props.tmp", "1000", ".props", "alice.props", "-1.props",
                "4294967295.props", "99999999999999999999.props", "1000.Props", "10 00.props", "",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(user_report_name_parse(bad[i], &uid), -EINVAL);
        assert_int_equal(user_report_name_parse(NULL, &uid), -EINVAL);
}

static void write_to(const char *dir, const char *name, const char *data, size_t len) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

static void rm_dir(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' &&
                    unlinkat(dirfd(d), de->d_name, 0) < 0)
                        assert_int_equal(unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR), 0);
        closedir(d);
        assert_int_equal(rmdir(dir), 0);
}

static void test_read_dir(void **state) {
        char dir[] = "/tmp/test-user-reports-XXXXXX", path[4096], target[4096];
        UserReport *l = NULL;
        size_t n = 0, len;
        char *good = report_of(two, 2, &len), *big;
        int dfd;

        (void) state;
        assert_non_null(mkdtemp(dir));
        write_to(dir, "1000.props", good, len);                /* good */
        snprintf(target, sizeof(target), "%s/1000.props", dir);
        snprintf(path, sizeof(path), "%s/1001.props", dir);
        assert_int_equal(symlink(target, path), 0);            /* a symlink to a good one */
        snprintf(path, sizeof(path), "%s/1002.props", dir);
        assert_int_equal(mkfifo(path, 0600), 0);               /* must not block */
        snprintf(path, sizeof(path), "%s/1003.props", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        big = xcalloc(1, USER_REPORT_SIZE_MAX + 10);
        memset(big, 'x', USER_REPORT_SIZE_MAX + 9);
        write_to(dir, "1004.props", big, USER_REPORT_SIZE_MAX + 9);
        free(big);
        write_to(dir, "1005.props", "garbage", 7);
        write_to(dir, "1006.props", good, len / 2);            /* being written */
        write_to(dir, "alice.props", good, len);               /* not a name root gives */
        write_to(dir, "01000.props", good, len);
        write_to(dir, "1000.props.tmp", good, len);

        assert_int_equal(user_reports_read_dir(dir, &l, &n), 0);
        assert_int_equal(n, 7);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(l[i].uid, 1000 + i); /* sorted, the others ignored */
        assert_int_equal(l[0].error, 0);
        assert_int_equal(l[0].n_units, 2);
        assert_non_null(l[0].user); /* a name, or the number when /etc/passwd has none */
        assert_int_equal(l[1].error, -ELOOP);
        assert_int_equal(l[2].error, -EBADF);
        assert_int_equal(l[3].error, -EBADF);
        assert_int_equal(l[4].error, -EFBIG);
        assert_int_equal(l[5].error, -ENODATA);
        assert_int_equal(l[6].error, -ENODATA);
        for (size_t i = 1; i < n; i++) {
                assert_null(l[i].units);
                assert_non_null(user_report_strerror(l[i].error));
        }
        user_reports_free(l, n);

        /* the reader alone: the same answers */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        char *text = NULL;
        assert_int_equal(user_report_read(dfd, "1001.props", &text, &len), -ELOOP);
        assert_int_equal(user_report_read(dfd, "1002.props", &text, &len), -EBADF);
        assert_int_equal(user_report_read(dfd, "9.props", &text, &len), -ENOENT);
        assert_null(text);
        close(dfd);

        /* no directory: no reports */
        assert_int_equal(user_reports_read_dir("/nonexistent/exposured-users", &l, &n), 0);
        assert_int_equal(n, 0);

        free(good);
        rm_dir(dir);
}

static void test_units(void **state) {
        const ScoreTable *t = score_table_for_version(262);
        UnitState **units = NULL, **again = NULL;
        size_t n = 0, n2 = 0, len;
        char *r = report_of(two, 2, &len);
        char alice[] = "alice", bob[] = "bob";
        UserReport l[2] = {
                { .uid = 1001, .user = bob },
                { .uid = 1000, .user = alice },
        };
        ScoreReport direct;

        (void) state;
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(user_report_parse(r, len, &l[i].units, &l[i].n_units, NULL), 0);
        assert_int_equal(user_units_build(l, 2, t, NULL, 0, 100, &units, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(units[0]->user, "alice"); /* by user, then unit */
        assert_string_equal(units[0]->id, "t-base.service");
        assert_string_equal(units[1]->id, "t-hardened.service");
        assert_string_equal(units[2]->user, "bob");
        assert_true(units[0]->props.user_manager);
        assert_int_equal(units[0]->first_seen_usec, 100);
        /* scored as a user manager's unit: equal to score_unit() with user_manager set */
        assert_int_equal(score_unit(t, NULL, &units[0]->props, &direct), 0);
        assert_int_equal(direct.exposure, units[0]->report.exposure);
        for (size_t i = 0; i < 2; i++)
                user_report_units_free(l[i].units, l[i].n_units);

        /* next pass: alice's report is being written (kept), bob's was refused (gone) */
        l[0] = (UserReport) { .uid = 1001, .user = bob, .error = -EINVAL };
        l[1] = (UserReport) { .uid = 1000, .user = alice, .error = -ENODATA };
        assert_int_equal(user_units_build(l, 2, t, units, n, 200, &again, &n2), 0);
        assert_int_equal(n2, 2);
        assert_string_equal(again[0]->user, "alice");
        assert_int_equal(again[0]->first_seen_usec, 100);
        assert_null(units[0]); /* moved */
        assert_null(units[1]);
        for (size_t i = 0; i < n; i++)
                unit_state_free(units[i]);
        free(units);

        /* and complete again: times kept from the same (user, unit) */
        l[1] = (UserReport) { .uid = 1000, .user = alice };
        assert_int_equal(user_report_parse(r, len, &l[1].units, &l[1].n_units, NULL), 0);
        assert_int_equal(user_units_build(&l[1], 1, t, again, n2, 300, &units, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(units[1]->first_seen_usec, 100);
        assert_int_equal(units[1]->last_change_usec, 100);
        user_report_units_free(l[1].units, l[1].n_units);
        for (size_t i = 0; i < n; i++)
                unit_state_free(units[i]);
        free(units);
        for (size_t i = 0; i < n2; i++)
                unit_state_free(again[i]);
        free(again);
        free(r);
}

static void test_fuzz_corpus(void **state) {
        char dir[4096];
        DIR *d;
        struct dirent *de;
        unsigned n = 0;

        (void) state;
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/user-report", getenv("TOP") ?: ".");
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char path[8192];
                size_t len;
                char *data;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                data = read_file(path, &len);
                assert_non_null(data);
                assert_int_equal(fuzz_user_report_one((const uint8_t *) data, len), 0);
                free(data);
                n++;
        }
        closedir(d);
        assert_true(n >= 5);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_read_dir),
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_fuzz_corpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
