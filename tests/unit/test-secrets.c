/* SPDX-License-Identifier: MIT */
/* secrets.c: the TLS key, certificate and bearer token read as the manager reads them, from
 * real files in a temporary $CREDENTIALS_DIRECTORY (as LoadCredential= makes it) or at absolute
 * paths, for every tls/token mode and every way a file can be wrong. The Configs come from
 * config_parse(), as in the daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "credential.h"
#include "log.h"
#include "secrets.h"
#include "util.h"

#define KEY_PEM "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n"

static char dir[] = "/tmp/test-secrets-XXXXXX";

static char *path_of(const char *name) {
        char *p;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        return p;
}

static void put(const char *name, const char *data, size_t len) {
        _cleanup_free_ char *p = path_of(name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_true(write(fd, data, len) == (ssize_t) len);
        close(fd);
}

static void put_str(const char *name, const char *data) {
        put(name, data, strlen(data));
}

static void clear(void) {
        static const char *const names[] = { "tls.key", "tls.crt", "token", "other", NULL };
        for (const char *const *n = names; *n; n++) {
                _cleanup_free_ char *p = path_of(*n);
                (void) unlink(p);
        }
}

static Config *config_of(const char *text) {
        Config *c = config_new();
        ConfigError e = {};
        if (config_parse(c, text, strlen(text), &e) < 0)
                fail_msg("%s: %u: %s", text, e.line, e.message);
        return c;
}

static int tls(const char *text, char **ret_key, char **ret_cert) {
        _cleanup_(config_freep) Config *c = config_of(text);
        return secrets_load_tls(c, ret_key, ret_cert);
}

static int token(const char *text, char **ret) {
        _cleanup_(config_freep) Config *c = config_of(text);
        return secrets_load_token(c, ret);
}

static int setup(void **state) {
        (void) state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        return 0;
}

static int teardown(void **state) {
        (void) state;
        clear();
        assert_int_equal(rmdir(dir), 0);
        return 0;
}

static void test_tls_modes(void **state) {
        char *key = (char *) "x", *cert = (char *) "x";
        (void) state;

        clear();
        /* auto, nothing there: plain HTTP */
        assert_int_equal(tls("tls = auto", &key, &cert), 0);
        assert_null(key);
        assert_null(cert);
        /* yes, nothing there: refused */
        assert_int_equal(tls("tls = yes", &key, &cert), -ENOENT);
        /* no: not even looked for */
        put_str("tls.key", "garbage");
        assert_int_equal(tls("tls = no", &key, &cert), 0);
        assert_null(key);
        /* auto with only one of the two: refused, not "off" */
        put_str("tls.key", KEY_PEM);
        assert_int_equal(tls("tls = auto", &key, &cert), -ENOENT);
        assert_null(key);
        /* both */
        put_str("tls.crt", CERT_PEM);
        assert_int_equal(tls("tls = auto", &key, &cert), 0);
        assert_string_equal(key, KEY_PEM);
        assert_string_equal(cert, CERT_PEM);
        key = credential_free(key);
        cert = credential_free(cert);
        /* other names, and an absolute path */
        _cleanup_free_ char *abs = path_of("other");
        _cleanup_free_ char *text = NULL;
        put_str("other", CERT_PEM);
        if (asprintf(&text, "tls = yes\ntls_key = tls.key\ntls_certificate = %s", abs) < 0)
                abort();
        assert_int_equal(tls(text, &key, &cert), 0);
        assert_string_equal(cert, CERT_PEM);
        key = credential_free(key);
        cert = credential_free(cert);
        /* swapped: the key is not a certificate and the other way round */
        assert_int_equal(tls("tls_key = tls.crt\ntls_certificate = tls.key", &key, &cert),
                         -EBADMSG);
        assert_null(key);
        assert_null(cert);
}

static void test_tls_bad_files(void **state) {
        char *key = NULL, *cert = NULL;
        _cleanup_free_ char *big = xmalloc(CREDENTIAL_PEM_MAX + 2);
        (void) state;

        clear();
        put_str("tls.crt", CERT_PEM);
        put_str("tls.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n"
                           "-----END ENCRYPTED PRIVATE KEY-----\n");
        assert_int_equal(tls("tls = yes", &key, &cert), -EBADMSG);
        put_str("tls.key", "");
        assert_int_equal(tls("tls = yes", &key, &cert), -ENODATA);
        put("tls.key", "-----BEGIN PRIVATE KEY-----\n\0\n", 30);
        assert_int_equal(tls("tls = yes", &key, &cert), -EBADMSG);
        memset(big, 'A', CREDENTIAL_PEM_MAX + 1);
        put("tls.key", big, CREDENTIAL_PEM_MAX + 1);
        assert_int_equal(tls("tls = yes", &key, &cert), -EFBIG);
        put_str("tls.key", "just text\n");
        assert_int_equal(tls("tls = auto", &key, &cert), -EBADMSG);
        if (geteuid() != 0) {
                /* root reads anything: only checkable as a user */
                put_str("tls.key", KEY_PEM);
                _cleanup_free_ char *p = path_of("tls.key");
                assert_int_equal(chmod(p, 0), 0);
                assert_int_equal(tls("tls = yes", &key, &cert), -EACCES);
        }
        assert_null(key);
        assert_null(cert);

        /* without $CREDENTIALS_DIRECTORY: auto is off, yes is an error */
        assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
        assert_int_equal(tls("tls = auto", &key, &cert), 0);
        assert_null(key);
        assert_int_equal(tls("tls = yes", &key, &cert), -ENOENT);
        assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
}

static void test_token(void **state) {
        char *t = (char *) "x";
        char big[CREDENTIAL_TOKEN_MAX + 64];
        (void) state;

        clear();
        assert_int_equal(token("token = auto", &t), 0);
        assert_null(t);
        assert_int_equal(token("token = yes", &t), -ENOENT);
        put_str("token", "s3cr3t-T0KEN\r\n");
        assert_int_equal(token("token = no", &t), 0);
        assert_null(t);
        assert_int_equal(token("token = auto", &t), 0);
        assert_string_equal(t, "s3cr3t-T0KEN");
        t = credential_free(t);

        put_str("token", "two words\n");
        assert_int_equal(token("token = yes", &t), -EINVAL);
        put_str("token", "\n");
        assert_int_equal(token("token = yes", &t), -EINVAL);
        put_str("token", "");
        assert_int_equal(token("token = yes", &t), -ENODATA);
        memset(big, 'a', sizeof big);
        put("token", big, CREDENTIAL_TOKEN_MAX);
        assert_int_equal(token("token = yes", &t), 0);
        assert_int_equal(strlen(t), CREDENTIAL_TOKEN_MAX);
        t = credential_free(t);
        put("token", big, CREDENTIAL_TOKEN_MAX + 1);
        assert_int_equal(token("token = yes", &t), -EFBIG);
        /* more than a token and its newline: refused by the reader already */
        put("token", big, sizeof big);
        assert_int_equal(token("token = yes", &t), -EFBIG);
        assert_null(t);
}

/* A token_file that is a FIFO, a symlink, a directory or a device is refused at once (a FIFO
 * used to block start-up until a writer came: the alarm turns that hang into a failure), and the
 * permission bits come back for the group/world-readable warning. */
static void test_not_regular(void **state) {
        _cleanup_free_ char *fifo = path_of("fifo"), *link = path_of("link"),
                            *sub = path_of("subdir"), *tok = path_of("token");
        char *t = NULL;
        mode_t mode = 0;
        size_t size;
        (void) state;

        clear();
        (void) unlink(fifo), (void) unlink(link), (void) rmdir(sub);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        alarm(10);
        assert_int_equal(token("token = yes\ntoken_file = fifo", &t), -EBADFD);
        assert_int_equal(credential_read(fifo, 100, &t, NULL, NULL), -EBADFD);
        alarm(0);
        put_str("token", "abc\n");
        assert_int_equal(symlink(tok, link), 0);
        assert_int_equal(token("token = yes\ntoken_file = link", &t), -ELOOP);
        assert_int_equal(credential_read(link, 100, &t, NULL, NULL), -ELOOP);
        assert_int_equal(mkdir(sub, 0700), 0);
        assert_int_equal(token("token = yes\ntoken_file = subdir", &t), -EISDIR);
        assert_int_equal(credential_read("/dev/zero", 100, &t, NULL, NULL), -EBADFD);
        assert_null(t);

        /* the mode is reported; a world-readable token is still used (with a warning) */
        assert_int_equal(chmod(tok, 0644), 0);
        assert_int_equal(credential_read(tok, 100, &t, &size, &mode), 0);
        assert_int_equal(mode, 0644);
        assert_int_equal(size, 4);
        t = credential_free(t);
        assert_int_equal(token("token = yes", &t), 0);
        assert_string_equal(t, "abc");
        t = credential_free(t);
        (void) unlink(fifo), (void) unlink(link), (void) rmdir(sub);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tls_modes),
                cmocka_unit_test(test_tls_bad_files),
                cmocka_unit_test(test_token),
                cmocka_unit_test(test_not_regular),
        };
        if (!getenv("SECRETS_TEST_DEBUG"))
                log_set_max_level(LOG_CRIT); /* the errors are the point; keep the output short */
        return cmocka_run_group_tests(tests, setup, teardown);
}
