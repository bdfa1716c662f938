/* SPDX-License-Identifier: MIT */
/* The conventions every verb shares (cli.h, exposured(8)): --help prints usage on stdout and
 * exits 0, --version prints "exposured VERSION" and exits 0, an unknown option is one line on
 * stderr ("Unknown ... (see exposured VERB --help)") and exit status 2; and the helpers in cli.c
 * that the verbs share for that (--json= modes, unit arguments). Runs the real entry points; none
 * of these paths touches the bus or a database. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "cli.h"
#include "cmd-baseline.h"
#include "cmd-history.h"
#include "cmd-run.h"
#include "cmd-scan.h"
#include "cmd-suggest.h"
#include "render.h"
#include "util.h"
#include "version.h"

/* f(argv) with stdout and stderr captured. */
static int capture(int (*f)(int, char **), char **argv, char **ret_out, char **ret_err) {
        char po[] = "/tmp/test-cli-out-XXXXXX", pe[] = "/tmp/test-cli-err-XXXXXX";
        int fo = mkstemp(po), fe = mkstemp(pe), so = dup(STDOUT_FILENO), se = dup(STDERR_FILENO);
        int argc = 0, r;

        assert_true(fo >= 0 && fe >= 0 && so >= 0 && se >= 0);
        while (argv[argc])
                argc++;
        (void) fflush(stdout);
        (void) fflush(stderr);
        assert_true(dup2(fo, STDOUT_FILENO) >= 0 && dup2(fe, STDERR_FILENO) >= 0);
        r = f(argc, argv);
        (void) fflush(stdout);
        (void) fflush(stderr);
        assert_true(dup2(so, STDOUT_FILENO) >= 0 && dup2(se, STDERR_FILENO) >= 0);
        close(so);
        close(se);
        for (int i = 0; i < 2; i++) {
                int fd = i ? fe : fo;
                off_t len = lseek(fd, 0, SEEK_END);
                char *buf = xcalloc(1, (size_t) len + 1);

                assert_int_equal(pread(fd, buf, (size_t) len, 0), len);
                close(fd);
                *(i ? ret_err : ret_out) = buf;
        }
        unlink(po);
        unlink(pe);
        return r;
}

static struct {
        char verb[12];
        int (*f)(int, char **);
} verbs[] = {
        { "run", cmd_run },
        { "scan", cmd_scan },
        { "history", cmd_history },
        { "events", cmd_events },
        { "baseline", cmd_baseline },
        { "suggest", cmd_suggest },
};

static void test_help_version(void **state) {
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char *out, *err, want[64];
                char help[] = "--help", version[] = "--version";
                char *h[] = { verbs[i].verb, help, NULL };
                char *v[] = { verbs[i].verb, version, NULL };

                assert_int_equal(capture(verbs[i].f, h, &out, &err), EXIT_SUCCESS);
                assert_true(startswith(out, "Usage: exposured "));
                assert_non_null(strstr(out, "--version"));
                assert_string_equal(err, "");
                free(out);
                free(err);

                assert_int_equal(capture(verbs[i].f, v, &out, &err), EXIT_SUCCESS);
                (void) snprintf(want, sizeof(want), "exposured %s\n", EXPOSURED_VERSION);
                assert_string_equal(out, want);
                assert_string_equal(err, "");
                free(out);
                free(err);
        }
}

static void test_usage_errors(void **state) {
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char *out, *err, want[256];
                char bad[] = "--no-such-option";
                char *a[] = { verbs[i].verb, bad, NULL };

                assert_int_equal(capture(verbs[i].f, a, &out, &err), EXIT_USAGE);
                assert_string_equal(out, "");
                (void) snprintf(want, sizeof(want), "Unknown or incomplete option: "
                                "--no-such-option (see exposured %s --help)\n", verbs[i].verb);
                assert_string_equal(err, want);
                free(out);
                free(err);
        }
}

/* A short option getopt refuses is named as such, in every verb's one wording. */
static void test_short_option(void **state) {
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char *out, *err, want[256];
                char bad[] = "-Z";
                char *a[] = { verbs[i].verb, bad, NULL };

                assert_int_equal(capture(verbs[i].f, a, &out, &err), EXIT_USAGE);
                (void) snprintf(want, sizeof(want),
                                "Unknown option: -Z (see exposured %s --help)\n", verbs[i].verb);
                assert_string_equal(err, want);
                free(out);
                free(err);
        }
}

/* history's and events' --user= refuses what the API's user= refuses: one line, exit 2, the
 * value escaped. */
static void test_user_option(void **state) {
        (void) state;
        for (size_t i = 0; i < 2; i++) {
                char *out, *err, verb[8], bad[] = "--user=-\x1b[1m", unit[] = "foo";
                char *a[] = { verb, bad, unit, NULL };

                (void) snprintf(verb, sizeof(verb), "%s", i ? "events" : "history");
                if (i)
                        a[2] = NULL;
                assert_int_equal(capture(i ? cmd_events : cmd_history, a, &out, &err),
                                 EXIT_USAGE);
                assert_string_equal(out, "");
                assert_string_equal(err, "Failed to parse --user= '-\\x1b[1m' (expected a user "
                                         "name: 1 to 64 of A-Za-z0-9_.-, not starting with - or "
                                         ".).\n");
                free(out);
                free(err);
        }
}

static void test_parse_json(void **state) {
        bool json = false, pretty = true;

        (void) state;
        assert_int_equal(cli_parse_json(NULL, &json, &pretty), 0);
        assert_true(json);
        assert_false(pretty);
        assert_int_equal(cli_parse_json("pretty", &json, &pretty), 0);
        assert_true(json && pretty);
        assert_int_equal(cli_parse_json("short", &json, &pretty), 0);
        assert_true(json);
        assert_false(pretty);
        assert_int_equal(cli_parse_json("off", &json, &pretty), 0);
        assert_false(json || pretty);
        json = pretty = true;
        assert_int_equal(cli_parse_json("yaml", &json, &pretty), -EINVAL);
        assert_true(json && pretty); /* untouched on error */

        /* scan and suggest both refuse a bad mode as a usage error, before any bus traffic */
        for (size_t i = 0; i < 2; i++) {
                char *out, *err, bad[] = "--json=yaml", verb[8];
                char *a[] = { verb, bad, NULL };

                (void) snprintf(verb, sizeof(verb), "%s", i ? "suggest" : "scan");
                assert_int_equal(capture(i ? cmd_suggest : cmd_scan, a, &out, &err), EXIT_USAGE);
                assert_string_equal(err, "Unknown --json= mode: yaml\n");
                free(out);
                free(err);
        }
}

static void test_service_name(void **state) {
        char *m = NULL, *out, *err;
        char verb[] = "baseline", tmpl[] = "getty@", sock[] = "foo.socket";
        char *a[] = { verb, tmpl, NULL }, *b[] = { verb, sock, NULL };

        (void) state;
        assert_int_equal(cli_service_name("dbus", false, &m), 0);
        assert_string_equal(m, "dbus.service");
        free(m);
        m = NULL;
        assert_int_equal(cli_service_name("getty@tty1", false, &m), 0);
        assert_string_equal(m, "getty@tty1.service");
        free(m);
        m = NULL;
        assert_int_equal(cli_service_name("getty@", true, &m), 0);
        assert_string_equal(m, "getty@.service");
        free(m);
        m = NULL;
        assert_int_equal(cli_service_name("getty@.service", false, &m), -EINVAL);
        assert_null(m);
        assert_int_equal(cli_service_name("multi-user.target", true, &m), -EINVAL);
        assert_int_equal(cli_service_name("", true, &m), -EINVAL);
        assert_null(m);

        /* baseline refuses both before it connects: a usage error, the name escaped */
        assert_int_equal(capture(cmd_baseline, a, &out, &err), EXIT_USAGE);
        assert_string_equal(err, "Unit getty@ is a template; name an instance.\n");
        free(out);
        free(err);
        assert_int_equal(capture(cmd_baseline, b, &out, &err), EXIT_USAGE);
        assert_string_equal(err, "Unit foo.socket is not a service unit, refusing.\n");
        free(out);
        free(err);
}

static void test_printable(void **state) {
        _cleanup_free_ char *a = cli_printable("a\nb\x1b[1m\x7f\xc3\xa9"), *b = cli_printable(NULL);

        (void) state;
        assert_string_equal(a, "a\\x0ab\\x1b[1m\\x7f\xc3\xa9");
        assert_string_equal(b, "");
}

/* C1 controls (U+009B is CSI to some UTF-8 terminals) and bytes that are not UTF-8 (a lone 0x9b
 * is CSI to an 8-bit terminal) are escaped too; other UTF-8 is kept, one column a character. */
static void test_printable_c1(void **state) {
        _cleanup_free_ char *a = cli_printable("\xc2\x9b" "31m\x9bx\xc2\x85\xc2\xa0\xe2\x82\xac\xc3");
        _cleanup_free_ char *b = cli_printable("\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82");
        Buf out = {};

        (void) state;
        assert_string_equal(a, "\\xc2\\x9b31m\\x9bx\\xc2\\x85\xc2\xa0\xe2\x82\xac\\xc3");
        /* a surrogate, a code point above U+10FFFF and a cut sequence: byte by byte */
        assert_string_equal(b, "\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80\\xe2\\x82");
        /* columns: the C1 pair 8, "ab" 2, the lone byte 4, U+00A0 1, the euro sign 1, "c" 1 and
         * the cut sequence 4 */
        assert_int_equal(render_text_escape(&out, "\xc2\x9b" "ab\x9b" "\xc2\xa0\xe2\x82\xac" "c\xc3", NULL),
                         8 + 2 + 4 + 1 + 1 + 1 + 4);
        buf_done(&out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_help_version),
                cmocka_unit_test(test_usage_errors),
                cmocka_unit_test(test_short_option),
                cmocka_unit_test(test_user_option),
                cmocka_unit_test(test_parse_json),
                cmocka_unit_test(test_service_name),
                cmocka_unit_test(test_printable),
                cmocka_unit_test(test_printable_c1),
        };
        (void) setenv("LOG_TARGET", "stderr", 1);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
