/* SPDX-License-Identifier: MIT */
/* config_check_credentials(): the settings that would stop exposured.service at start (tls = yes
 * without its credentials, half a TLS pair under auto, token = yes without its file, a
 * LoadCredential= whose file is missing) are errors naming the line that asked; the rest pass. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config-check.h"
#include "util.h"

static Config *conf(const char *text) {
        Config *c = config_new();
        ConfigError e = {};

        if (config_parse(c, text, strlen(text), &e) < 0)
                fail_msg("%u: %s", e.line, e.message);
        return c;
}

static int check(const char *text, const UnitCredential *l, size_t n, ConfigError *e) {
        _cleanup_(config_freep) Config *c = conf(text);
        return config_check_credentials(c, l, n, e);
}

static const UnitCredential tls_pair[] = {
        { .name = (char *) "tls.key", .setting = (char *) "LoadCredential=tls.key:/k",
          .present = true },
        { .name = (char *) "tls.crt", .setting = (char *) "LoadCredential=tls.crt:/c",
          .present = true },
};

static void test_tls(void **state) {
        ConfigError e = {};

        (void) state;
        /* The defaults (auto) with nothing passed: plain HTTP, fine. */
        assert_int_equal(check("", NULL, 0, &e), 0);
        assert_int_equal(check("tls = no\n", NULL, 0, &e), 0);
        assert_int_equal(check("\n\ntls = yes\n", tls_pair, 2, &e), 0);
        /* tls = yes with nothing passed: the line of tls. */
        assert_int_equal(check("\n\ntls = yes\n", NULL, 0, &e), -ENOENT);
        assert_int_equal(e.line, 3);
        assert_non_null(strstr(e.message, "tls = yes"));
        assert_non_null(strstr(e.message, "'tls.key'"));
        assert_non_null(strstr(e.message, "LoadCredential=tls.key:"));
        config_error_done(&e);
        /* Only the key: the certificate is named. */
        assert_int_equal(check("tls = yes\n", tls_pair, 1, &e), -ENOENT);
        assert_int_equal(e.line, 1);
        assert_non_null(strstr(e.message, "'tls.crt'"));
        config_error_done(&e);
        /* auto with half a pair: the start fails too; the line is the certificate's when tls
         * itself was not set. */
        assert_int_equal(check("# x\ntls_certificate = server.crt\n", tls_pair, 1, &e), -ENOENT);
        assert_int_equal(e.line, 2);
        assert_non_null(strstr(e.message, "give both or neither"));
        config_error_done(&e);
        /* Other names, given in the file. */
        assert_int_equal(check("tls = yes\ntls_key = a\ntls_certificate = b\n", tls_pair, 2, &e),
                         -ENOENT);
        assert_non_null(strstr(e.message, "'a'"));
        config_error_done(&e);
}

static void test_paths(void **state) {
        char dir[] = "/tmp/test-config-check-XXXXXX", key[64], crt[64], text[256];
        ConfigError e = {};
        FILE *f;

        (void) state;
        assert_non_null(mkdtemp(dir));
        (void) snprintf(key, sizeof key, "%s/k.pem", dir);
        (void) snprintf(crt, sizeof crt, "%s/c.pem", dir);
        f = fopen(key, "we");
        assert_non_null(f);
        assert_int_equal(fclose(f), 0);
        (void) snprintf(text, sizeof text, "tls = yes\ntls_key = %s\ntls_certificate = %s\n", key,
                        crt);
        assert_int_equal(check(text, NULL, 0, &e), -ENOENT);
        assert_int_equal(e.line, 1);
        assert_non_null(strstr(e.message, "c.pem' is not a regular file that exists"));
        config_error_done(&e);
        f = fopen(crt, "we");
        assert_non_null(f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(check(text, NULL, 0, &e), 0);
        /* A directory is not a key. */
        (void) snprintf(text, sizeof text, "tls = yes\ntls_key = %s\ntls_certificate = %s\n", dir,
                        crt);
        assert_int_equal(check(text, NULL, 0, &e), -ENOENT);
        config_error_done(&e);
        assert_int_equal(unlink(key), 0);
        assert_int_equal(unlink(crt), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_token(void **state) {
        static const UnitCredential token[] = {
                { .name = (char *) "token", .setting = (char *) "SetCredential=token:...",
                  .present = true },
        };
        static const UnitCredential glob[] = {
                { .name = (char *) "tok*", .setting = (char *) "ImportCredential=tok*",
                  .present = true },
        };
        ConfigError e = {};

        (void) state;
        assert_int_equal(check("token = auto\n", NULL, 0, &e), 0);
        assert_int_equal(check("token = yes\n", token, 1, &e), 0);
        assert_int_equal(check("token = yes\n", glob, 1, &e), 0);
        assert_int_equal(check("\ntoken = yes\n", NULL, 0, &e), -ENOENT);
        assert_int_equal(e.line, 2);
        assert_non_null(strstr(e.message, "token = yes"));
        assert_non_null(strstr(e.message, "token_file"));
        config_error_done(&e);
        assert_int_equal(check("token = yes\ntoken_file = /nonexistent/t\n", token, 1, &e),
                         -ENOENT);
        assert_non_null(strstr(e.message, "/nonexistent/t"));
        config_error_done(&e);
}

/* A LoadCredential= whose file is missing fails the start whatever the configuration says. */
static void test_missing_source(void **state) {
        static const UnitCredential l[] = {
                { .name = (char *) "tls.key",
                  .setting = (char *) "LoadCredential=tls.key:/etc/exposured/tls.key",
                  .present = false },
        };
        ConfigError e = {};

        (void) state;
        assert_int_equal(check("tls = no\n", l, 1, &e), -ENOENT);
        assert_string_equal(e.file, CONFIG_CHECK_UNIT);
        assert_int_equal(e.line, 0);
        assert_non_null(strstr(e.message, "/etc/exposured/tls.key: the file does not exist"));
        config_error_done(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tls),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_token),
                cmocka_unit_test(test_missing_source),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
