/* SPDX-License-Identifier: MIT */
/* Config parsing: defaults, every key good and bad, line numbers in errors, all-or-nothing,
 * flags through config_set(), files, validation, format round trip, and a replay of the fuzz
 * corpus (ok-* must parse, bad-* must fail; both must keep the fuzz target's invariants). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define FUZZ_LIBFUZZER /* only the target function of the fuzzer, not its main() */
#include "../fuzz/fuzz-config.c"

#include "buf.h"
#include "read-file.h"
#include "credential.h"
#include "util.h"

static int parse(Config *c, const char *text, ConfigError *e) {
        return config_parse(c, text, strlen(text), e);
}

static void test_defaults(void **state) {
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};

        (void) state;
        assert_string_equal(c->db, "/var/lib/exposured/exposured.db");
        assert_int_equal(c->n_listen, 1);
        assert_string_equal(c->listen[0].text, "127.0.0.1:9573");
        assert_int_equal(c->retention_usec, 90ULL * 86400 * 1000000);
        assert_int_equal(c->new_unit_threshold, 90);
        assert_false(c->per_check_metrics);
        assert_false(c->user_managers);
        assert_int_equal(c->max_connections, 64);
        assert_int_equal(c->max_connections_per_address, 16);
        assert_int_equal(c->max_reading_connections, 0);
        assert_int_equal(c->request_head_timeout_usec, 10ULL * 1000000);
        assert_int_equal(c->idle_timeout_usec, 15ULL * 1000000);
        assert_int_equal(c->log_level, LOG_INFO);
        assert_int_equal(c->db_retry_usec, 30ULL * 1000000);
        assert_null(c->systemd_version);
        assert_int_equal(config_validate(c, &e), 0);
        assert_null(e.message);
}

static void test_keys(void **state) {
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};

        (void) state;
        assert_int_equal(parse(c,
                               "# comment\n"
                               "  db   =   /srv/h.db  \n"
                               "listen = [::1]:8080, 10.1.2.3:80\t0.0.0.0:1\r\n"
                               "retention = 2w\n"
                               "new_unit_threshold = 7.5\n"
                               "per_check_metrics = On\n"
                               "rescan_coalesce = 2s\n"
                               "rescan_interval = 0\n"
                               "max_connections = 4096\n"
                               "log_level = debug\n"
                               "systemd_version = 257.9-1\n"
                               "db_max_size = 64M\n"
                               "db_retry = 2m\n"
                               "max_connections_per_address = 4\n"
                               "max_reading_connections = 100\n"
                               "request_head_timeout = 5m\n"
                               "idle_timeout = 1h\n"
                               "user_managers = lingering\n"
                               "\n",
                               &e),
                         0);
        assert_string_equal(c->db, "/srv/h.db");
        assert_int_equal(c->n_listen, 3);
        assert_string_equal(c->listen[0].text, "[::1]:8080");
        assert_int_equal(c->listen[0].addr.ss_family, AF_INET6);
        assert_int_equal(ntohs(((struct sockaddr_in6 *) &c->listen[0].addr)->sin6_port), 8080);
        assert_string_equal(c->listen[1].text, "10.1.2.3:80");
        assert_int_equal(c->listen[1].addr_len, sizeof(struct sockaddr_in));
        assert_int_equal(c->retention_usec, 14ULL * 86400 * 1000000);
        assert_int_equal(c->new_unit_threshold, 75);
        assert_true(c->per_check_metrics);
        assert_true(c->user_managers);
        assert_int_equal(c->rescan_coalesce_usec, 2000000);
        assert_int_equal(c->rescan_interval_usec, 0);
        assert_int_equal(c->max_connections, 4096);
        assert_int_equal(c->log_level, LOG_DEBUG);
        assert_string_equal(c->systemd_version, "257.9-1");
        assert_int_equal(c->systemd_major, 257);
        assert_int_equal(c->db_max_bytes, 64ULL << 20);
        assert_int_equal(c->db_retry_usec, 120ULL * 1000000);
        assert_int_equal(c->max_connections_per_address, 4);
        assert_int_equal(c->max_reading_connections, 100);
        assert_int_equal(c->request_head_timeout_usec, 300ULL * 1000000);
        assert_int_equal(c->idle_timeout_usec, 3600ULL * 1000000);
        assert_int_equal(parse(c, "max_reading_connections = auto\nrequest_head_timeout = 1s",
                               &e),
                         0);
        assert_int_equal(c->max_reading_connections, 0);
        assert_int_equal(c->request_head_timeout_usec, 1000000);

        /* Empty listen: socket activation only; threshold bounds; bare coalesce is ms. */
        assert_int_equal(parse(c,
                               "listen =\nnew_unit_threshold=10.0\nrescan_coalesce=250\n"
                               "systemd_version=auto\nretention=infinity",
                               &e),
                         0);
        assert_int_equal(c->n_listen, 0);
        assert_int_equal(c->new_unit_threshold, 100);
        assert_int_equal(c->rescan_coalesce_usec, 250000);
        assert_null(c->systemd_version);
        assert_int_equal(c->retention_usec, 0);
        assert_null(e.message);
}

typedef struct Bad {
        const char *text;
        unsigned line;
        const char *needle; /* expected in the message */
} Bad;

static void test_errors(void **state) {
        static const Bad bad[] = {
                { "frob = 1", 1, "unknown key 'frob'" },
                { "\n\n# c\nfrob\\x = 1", 4, "unknown key 'frob\\x5cx'" },
                { "db", 1, "expected 'key = value'" },
                { "db = rel.db", 1, "db:" },
                { "db = /", 1, "db:" },
                { "listen = 1.2.3.4", 1, "listen: '1.2.3.4'" },
                { "listen = 1.2.3.4:65536", 1, "listen:" },
                { "listen = host:80", 1, "listen: 'host:80'" },
                { "listen = [1.2.3.4]:80", 1, "listen:" },
                { "listen = []:80", 1, "listen:" },
                { "listen = 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1 1:1", 1,
                  "listen:" },
                { "retention = 90", 1, "retention:" },
                { "retention = 59m", 1, "retention:" },
                { "retention = 99999999d", 1, "retention:" },
                { "retention = 1y", 1, "retention:" },
                { "retention = -1d", 1, "retention:" },
                { "new_unit_threshold = 10.5", 1, "new_unit_threshold:" },
                { "new_unit_threshold = 9.55", 1, "new_unit_threshold:" },
                { "new_unit_threshold = 90", 1, "new_unit_threshold:" },
                { "new_unit_threshold = .5", 1, "new_unit_threshold:" },
                { "per_check_metrics = maybe", 1, "per_check_metrics:" },
                { "user_managers = yes", 1, "user_managers:" },
                { "user_managers = Lingering", 1, "user_managers:" },
                { "rescan_coalesce = 61s", 1, "rescan_coalesce:" },
                { "rescan_interval = 30s", 1, "rescan_interval:" },
                { "rescan_interval = 1", 1, "rescan_interval:" },
                { "max_connections = 0", 1, "max_connections:" },
                { "max_connections = 4097", 1, "max_connections:" },
                { "max_connections = 1x", 1, "max_connections:" },
                { "max_connections_per_address = 0", 1, "max_connections_per_address:" },
                { "max_connections_per_address = 4097", 1, "max_connections_per_address:" },
                { "\nmax_reading_connections = 0", 2, "max_reading_connections: expected auto" },
                { "max_reading_connections = 5000", 1, "max_reading_connections:" },
                { "request_head_timeout = 0", 1, "request_head_timeout: expected 1s to 5m" },
                { "request_head_timeout = 10", 1, "request_head_timeout:" },
                { "request_head_timeout = 6m", 1, "request_head_timeout:" },
                { "request_head_timeout = 500ms", 1, "request_head_timeout:" },
                { "idle_timeout = 2h", 1, "idle_timeout: expected 1s to 1h" },
                { "idle_timeout = 0s", 1, "idle_timeout:" },
                { "log_level = loud", 1, "log_level:" },
                { "systemd_version = v252", 1, "systemd_version:" },
                { "systemd_version = 252 1", 1, "systemd_version:" },
                { "db_max_size = 1K", 1, "db_max_size:" },
                { "db_retry = 0", 1, "db_retry:" },
                { "db_retry = 5", 1, "db_retry:" },
                { "db_retry = 500ms", 1, "db_retry:" },
                { "db_retry = 2h", 1, "db_retry:" },
                { "db = /a\x01b", 1, "control character" },
                { "ok_line_first = no", 1, "unknown key" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(config_freep) Config *c = config_new();
                ConfigError e = {};
                _cleanup_free_ char *before = config_format(c), *after = NULL;

                assert_int_equal(parse(c, bad[i].text, &e), -EINVAL);
                assert_non_null(e.message);
                if (e.line != bad[i].line || !strstr(e.message, bad[i].needle))
                        fail_msg("'%s': got line %u '%s'", bad[i].text, e.line, e.message);
                after = config_format(c);
                assert_string_equal(before, after);
                config_error_done(&e);
        }
}

static void test_all_or_nothing(void **state) {
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};
        char nul[] = "db = /a.db\nmax_connections = 5\nlog_level = \0debug\n";
        char longline[CONFIG_LINE_MAX + 20];

        (void) state;
        assert_int_equal(parse(c, "db = /a.db\nmax_connections = 5\nlisten = nope\n", &e), -EINVAL);
        assert_int_equal(e.line, 3);
        assert_string_equal(c->db, "/var/lib/exposured/exposured.db");
        assert_int_equal(c->max_connections, 64);
        assert_int_equal(c->n_listen, 1);
        config_error_done(&e);

        assert_int_equal(config_parse(c, nul, sizeof nul - 1, &e), -EINVAL);
        assert_int_equal(e.line, 3);
        assert_non_null(strstr(e.message, "NUL"));
        config_error_done(&e);

        memset(longline, '#', sizeof longline - 1);
        longline[sizeof longline - 1] = 0;
        assert_int_equal(parse(c, longline, &e), -EINVAL);
        assert_non_null(strstr(e.message, "longer"));
        config_error_done(&e);

        /* Last assignment wins. */
        assert_int_equal(parse(c, "max_connections = 5\nmax_connections = 6", &e), 0);
        assert_int_equal(c->max_connections, 6);
}

static void test_set(void **state) {
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};

        (void) state;
        assert_int_equal(config_set(c, "retention", "30d", &e), 0);
        assert_int_equal(c->retention_usec, 30ULL * 86400 * 1000000);
        assert_int_equal(config_set(c, "retention", "30", &e), -EINVAL);
        assert_int_equal(e.line, 0);
        assert_non_null(strstr(e.message, "retention:"));
        assert_int_equal(c->retention_usec, 30ULL * 86400 * 1000000);
        assert_int_equal(config_set(c, "nope", "1", &e), -ENOENT);
        assert_int_equal(config_set(c, "db", NULL, &e), -EINVAL);
        assert_int_equal(config_set(c, "listen", "[::]:9000", &e), 0);
        assert_string_equal(c->listen[0].text, "[::]:9000");
        config_error_done(&e);
}

static void test_load_validate_format(void **state) {
        _cleanup_(config_freep) Config *c = config_new(), *d = config_new();
        ConfigError e = {};
        char path[] = "/tmp/test-config-XXXXXX";
        int fd = mkstemp(path);

        (void) state;
        assert_true(fd >= 0);
        assert_int_equal(config_load(c, "/nonexistent/exposured.conf", true, &e), 0);
        assert_int_equal(config_load(c, "/nonexistent/exposured.conf", false, &e), -ENOENT);
        assert_non_null(e.message);
        config_error_done(&e);

        const char *t = "retention = 1h\nrescan_interval = 1m\nrescan_coalesce = 60s\n";
        assert_int_equal(write(fd, t, strlen(t)), (ssize_t) strlen(t));
        assert_int_equal(config_load(c, path, false, &e), 0);
        assert_int_equal(c->retention_usec, 3600ULL * 1000000);
        assert_int_equal(config_validate(c, &e), -EINVAL);
        assert_non_null(strstr(e.message, "rescan_coalesce"));
        config_error_done(&e);
        assert_int_equal(config_set(c, "listen", "1.2.3.4:5 1.2.3.4:5", &e), 0);
        assert_int_equal(config_set(c, "rescan_coalesce", "1s", &e), 0);
        assert_int_equal(config_validate(c, &e), -EINVAL);
        assert_non_null(strstr(e.message, "twice"));
        config_error_done(&e);

        /* Not a regular file, or a symlink: refused at once, never read (a FIFO would block). */
        char tmpdir[] = "/tmp/test-config-dir-XXXXXX", fifo[64], link[64];
        assert_non_null(mkdtemp(tmpdir));
        (void) snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
        (void) snprintf(link, sizeof link, "%s/link", tmpdir);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        alarm(10);
        assert_int_equal(config_load(c, fifo, false, &e), -EBADFD);
        alarm(0);
        assert_non_null(strstr(e.message, "regular"));
        config_error_done(&e);
        unlink(fifo);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(config_load(c, link, false, &e), -ELOOP);
        config_error_done(&e);
        unlink(link);
        rmdir(tmpdir);
        assert_int_equal(config_load(c, "/tmp", false, &e), -EISDIR);
        config_error_done(&e);

        /* Too big. */
        assert_int_equal(ftruncate(fd, CONFIG_FILE_MAX + 1), 0);
        assert_int_equal(config_load(c, path, false, &e), -EFBIG);
        config_error_done(&e);
        close(fd);
        unlink(path);

        /* Format parses back to the same configuration. */
        assert_int_equal(config_set(c, "listen", "[::1]:1", &e), 0);
        _cleanup_free_ char *f1 = config_format(c);
        assert_int_equal(config_parse(d, f1, strlen(f1), &e), 0);
        _cleanup_free_ char *f2 = config_format(d);
        assert_string_equal(f1, f2);
        assert_non_null(strstr(f1, "retention = 1h\n"));
}

/* The shipped example file is valid and spells out exactly the defaults. */
static void test_example_file(void **state) {
        _cleanup_(config_freep) Config *c = config_new(), *d = config_new();
        ConfigError e = {};
        const char *top = getenv("TOP");
        _cleanup_free_ char *path = NULL;

        (void) state;
        if (asprintf(&path, "%s/units/exposured.conf", top ?: ".") < 0)
                abort();
        assert_int_equal(config_load(c, path, false, &e), 0);
        assert_int_equal(config_validate(c, &e), 0);
        _cleanup_free_ char *a = config_format(c), *b = config_format(d);
        assert_string_equal(a, b);
        /* Every setting is there, commented out (as systemd ships its files), at its default:
         * each "#key = value" line uncommented is exactly the default's line. */
        _cleanup_free_ char *text = read_file(path, NULL);
        assert_non_null(text);
        unsigned found = 0;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                assert_false(line[0] != '#' && line[0] != 0); /* nothing is set */
                if (line[0] != '#' || line[1] == ' ' || line[1] == 0)
                        continue;
                _cleanup_(config_freep) Config *u = config_new();
                assert_int_equal(parse(u, line + 1, &e), 0);
                _cleanup_free_ char *uf = config_format(u);
                assert_string_equal(uf, b);
                assert_non_null(strstr(b, line + 1)); /* written as config_format() writes it */
                found++;
        }
        unsigned n_keys = 0;
        for (const char *p = b; (p = strchr(p, '\n')); p++)
                n_keys++;
        assert_int_equal(found, n_keys);
}

/* A `#` at the start of a value or after a blank starts a comment; any other `#` is data. */
static void test_inline_comments(void **state) {
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};

        (void) state;
        assert_int_equal(parse(c, "db = /x.db # note\nretention = 7d\t# a week\n", &e), 0);
        assert_string_equal(c->db, "/x.db");
        assert_int_equal(c->retention_usec, 7ULL * 86400 * 1000000);
        assert_int_equal(parse(c, "db = /srv/a#1.db\ntoken_file = /etc/t#2\n", &e), 0);
        assert_string_equal(c->db, "/srv/a#1.db");
        assert_string_equal(c->token_file, "/etc/t#2");
        assert_int_equal(parse(c, "db=/y.db#z  #  comment # more\n", &e), 0);
        assert_string_equal(c->db, "/y.db#z");
        /* A value that is only a comment is empty: an error for db, which names the line. */
        assert_int_equal(parse(c, "\n\ndb = # nothing\n", &e), -EINVAL);
        assert_int_equal(e.line, 3);
        assert_non_null(strstr(e.message, "db:"));
        config_error_done(&e);
        assert_string_equal(c->db, "/y.db#z");
        /* The empty listen list stays possible with a comment after it. */
        assert_int_equal(parse(c, "listen =   # socket activation only\n", &e), 0);
        assert_int_equal(c->n_listen, 0);
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* PATH.d/\*.conf after PATH, in strcmp() order of the names, later wins; errors name the drop-in
 * and its line; all or nothing across the files; origins are kept for every key. */
static void test_dropins(void **state) {
        char tmp[] = "/tmp/test-config-dropins-XXXXXX";
        char main_path[PATH_MAX], dir[PATH_MAX], p[PATH_MAX + 32];
        ConfigError e = {};
        const char *file = NULL;
        unsigned line = 0;

        (void) state;
        assert_non_null(mkdtemp(tmp));
        (void) snprintf(main_path, sizeof main_path, "%s/x.conf", tmp);
        (void) snprintf(dir, sizeof dir, "%s/x.conf.d", tmp);

        /* No main file and no directory: the defaults; a directory without a main file works. */
        {
                _cleanup_(config_freep) Config *c = config_new();
                assert_int_equal(config_load(c, main_path, true, &e), 0);
                assert_int_equal(config_origin(c, "db", NULL, NULL), 0);
        }
        assert_int_equal(mkdir(dir, 0755), 0);
        (void) snprintf(p, sizeof p, "%s/50-b.conf", dir);
        write_text(p, "# b\nretention = 2d\ndb = /b.db\n");
        (void) snprintf(p, sizeof p, "%s/10-a.conf", dir);
        write_text(p, "retention = 1d\nmax_connections = 5\n");
        (void) snprintf(p, sizeof p, "%s/90-c.conf.disabled", dir); /* not *.conf: ignored */
        write_text(p, "bogus\n");
        (void) snprintf(p, sizeof p, "%s/.hidden.conf", dir);
        write_text(p, "bogus\n");
        {
                _cleanup_(config_freep) Config *c = config_new();
                assert_int_equal(config_load(c, main_path, true, &e), 0);
                assert_int_equal(c->retention_usec, 2ULL * 86400 * 1000000);
                assert_string_equal(c->db, "/b.db");
                assert_int_equal(c->max_connections, 5);
        }
        write_text(main_path, "db = /main.db\nretention = 9d\nlog_level = debug\n");
        {
                _cleanup_(config_freep) Config *c = config_new();
                assert_int_equal(config_load(c, main_path, false, &e), 0);
                assert_string_equal(c->db, "/b.db"); /* drop-ins come after the main file */
                assert_int_equal(c->retention_usec, 2ULL * 86400 * 1000000);
                assert_int_equal(c->log_level, LOG_DEBUG);
                assert_int_equal(config_origin(c, "db", &file, &line), 1);
                assert_non_null(strstr(file, "/x.conf.d/50-b.conf"));
                assert_int_equal(line, 3);
                assert_int_equal(config_origin(c, "log_level", &file, &line), 1);
                assert_string_equal(file, main_path);
                assert_int_equal(line, 3);
                assert_int_equal(config_origin(c, "max_connections", &file, &line), 1);
                assert_non_null(strstr(file, "/10-a.conf"));
                assert_int_equal(config_origin(c, "tls", NULL, NULL), 0);
                assert_int_equal(config_origin(c, "no_such_key", NULL, NULL), -ENOENT);
                assert_int_equal(config_set(c, "db", "/flag.db", &e), 0);
                assert_int_equal(config_origin(c, "db", NULL, NULL), 2);
        }
        /* A bad line in a drop-in: its file and line, and nothing applied from any file. */
        (void) snprintf(p, sizeof p, "%s/60-bad.conf", dir);
        write_text(p, "\n\nretention = forever\n");
        {
                _cleanup_(config_freep) Config *c = config_new();
                assert_int_equal(config_load(c, main_path, false, &e), -EINVAL);
                assert_non_null(e.file);
                assert_non_null(strstr(e.file, "/x.conf.d/60-bad.conf"));
                assert_int_equal(e.line, 3);
                assert_non_null(strstr(e.message, "retention:"));
                assert_string_equal(c->db, "/var/lib/exposured/exposured.db");
                config_error_done(&e);
        }
        assert_int_equal(unlink(p), 0);
        /* Cross-key checks name the line that set the key. */
        (void) snprintf(p, sizeof p, "%s/70-interval.conf", dir);
        write_text(p, "\nrescan_interval = 1m\nrescan_coalesce = 60s\n");
        {
                _cleanup_(config_freep) Config *c = config_new();
                assert_int_equal(config_load(c, main_path, false, &e), 0);
                assert_int_equal(config_validate(c, &e), -EINVAL);
                assert_non_null(strstr(e.file, "/70-interval.conf"));
                assert_int_equal(e.line, 3);
                config_error_done(&e);
        }
        assert_int_equal(unlink(p), 0);
        /* A symlink is refused like the main file's, by name. */
        (void) snprintf(p, sizeof p, "%s/80-link.conf", dir);
        assert_int_equal(symlink(main_path, p), 0);
        {
                _cleanup_(config_freep) Config *c = config_new();
                assert_int_equal(config_load(c, main_path, false, &e), -ELOOP);
                assert_non_null(strstr(e.file, "/80-link.conf"));
                config_error_done(&e);
        }
        assert_int_equal(unlink(p), 0);
        const char *names[] = { "50-b.conf", "10-a.conf", "90-c.conf.disabled", ".hidden.conf" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                (void) snprintf(p, sizeof p, "%s/%s", dir, names[i]);
                assert_int_equal(unlink(p), 0);
        }
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(unlink(main_path), 0);
        assert_int_equal(rmdir(tmp), 0);
}

static void test_corpus(void **state) {
        const char *top = getenv("TOP");
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        unsigned n = 0;

        (void) state;
        if (asprintf(&dir, "%s/tests/fuzz/corpus/config", top ?: ".") < 0)
                abort();
        DIR *d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = NULL, *data = xmalloc(CONFIG_FILE_MAX + 1);
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        abort();
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                ssize_t len = read(fd, data, CONFIG_FILE_MAX + 1);
                close(fd);
                assert_true(len >= 0);

                (void) LLVMFuzzerTestOneInput((const uint8_t *) data, (size_t) len);

                _cleanup_(config_freep) Config *c = config_new();
                ConfigError e = {};
                int r = config_parse(c, data, (size_t) len, &e);
                if (startswith(de->d_name, "ok-") && r != 0)
                        fail_msg("%s: %u: %s", de->d_name, e.line, e.message);
                if (startswith(de->d_name, "bad-") && r >= 0)
                        fail_msg("%s parsed", de->d_name);
                config_error_done(&e);
                n++;
        }
        closedir(d);
        assert_true(n >= 10);
}

/* tests/fuzz/corpus/config/bad-roundtrip-at-line-limit.bin (found by fuzz-config): one
 * 4,096-byte line "tls_key=/..." with tabs and bytes that are not UTF-8 parsed, but config_format()
 * wrote it back as "tls_key = /...", longer than the line limit, so the written config no longer
 * parsed. Now a credential source with control characters or bad UTF-8 is refused at its line,
 * and a value whose written-back line would be too long is refused even when it is clean. */
static void test_line_limit_roundtrip(void **state) {
        const size_t room = CONFIG_LINE_MAX - strlen("tls_key = ");
        _cleanup_free_ char *data = xmalloc(CONFIG_FILE_MAX + 1);
        const char *top = getenv("TOP");
        _cleanup_free_ char *path = NULL;
        ConfigError e = {};
        ssize_t len;
        int fd;

        (void) state;
        if (asprintf(&path, "%s/tests/fuzz/corpus/config/bad-roundtrip-at-line-limit.bin",
                     top ?: ".") < 0)
                abort();
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        len = read(fd, data, CONFIG_FILE_MAX + 1);
        close(fd);
        assert_int_equal(len, 4096);
        {
                _cleanup_(config_freep) Config *c = config_new();
                _cleanup_free_ char *before = config_format(c), *after = NULL;
                assert_int_equal(config_parse(c, data, (size_t) len, &e), -EINVAL);
                assert_int_equal(e.line, 1);
                if (!strstr(e.message, "tls_key: '/s),"))
                        fail_msg("%s", e.message);
                after = config_format(c);
                assert_string_equal(before, after);
                config_error_done(&e);
        }

        /* the same length, clean: at most CONFIG_LINE_MAX as written back, whatever was read */
        for (size_t n = room - 1; n <= room + 1; n++) {
                _cleanup_(config_freep) Config *c = config_new(), *d = config_new();
                _cleanup_free_ char *v = xmalloc(n + 1), *t = NULL, *line = NULL;
                Buf in = {};

                memset(v, 'k', n);
                v[0] = '/';
                v[n] = 0;
                buf_printf(&in, "\n# tight\ntls_key=%s", v);
                int r = config_parse(c, in.data, in.len, &e);
                buf_done(&in);
                if (n > room) {
                        assert_int_equal(r, -EINVAL);
                        assert_int_equal(e.line, 3);
                        assert_non_null(strstr(e.message, "tls_key: value too long"));
                        assert_string_equal(c->tls_key, "tls.key");
                        config_error_done(&e);
                        /* a flag gets the same check */
                        assert_int_equal(config_set(c, "tls_key", v, &e), -EINVAL);
                        config_error_done(&e);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(c->tls_key, v);
                t = config_format(c);
                if (asprintf(&line, "\ntls_key = %s\n", v) < 0)
                        abort();
                assert_non_null(strstr(t, line));
                assert_true(strlen(line) - 2 <= CONFIG_LINE_MAX);
                assert_int_equal(config_parse(d, t, strlen(t), &e), 0);
                assert_string_equal(d->tls_key, v);
        }
}

/* Credential names and paths: control characters (tab, DEL, C1) and bad UTF-8 are refused with
 * the line; printable UTF-8 is fine. */
static void test_credential_sources(void **state) {
        static const char *const bad[] = {
                "tls_key = /etc/a\tb.pem",   "tls_key = a\tb",
                "tls_key = /etc/\x7f.pem",   "tls_certificate = /etc/\xc2\x85.pem",
                "token_file = tok\xff",      "token_file = /etc/\xe2\x82",
                "token_file = /etc/\xc0\xaf", "tls_key = ..",
                "tls_key = a/b",             "tls_key = /etc/",
        };
        static const char *const good[] = {
                "tls_key = /etc/exposured/clé.pem", "token_file = jeton-\xe2\x82\xac",
                "tls_certificate = a b.pem",
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(config_freep) Config *c = config_new();
                _cleanup_free_ char *text = NULL;
                ConfigError e = {};

                if (asprintf(&text, "log_level = debug\n%s\n", bad[i]) < 0)
                        abort();
                assert_int_equal(parse(c, text, &e), -EINVAL);
                /* "KEY: ..." at line 2 (DEL is found before the key's own rules run) */
                if (e.line != 2 || strncmp(e.message, bad[i], strcspn(bad[i], " ")) != 0 ||
                    e.message[strcspn(bad[i], " ")] != ':')
                        fail_msg("'%s': line %u: %s", bad[i], e.line, e.message);
                /* the message quotes the value escaped: nothing invisible reaches the log */
                for (const char *p = e.message; *p; p++)
                        assert_true((unsigned char) *p >= 0x20 && (unsigned char) *p < 0x7f);
                config_error_done(&e);
        }
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_(config_freep) Config *c = config_new();
                ConfigError e = {};

                if (parse(c, good[i], &e) != 0)
                        fail_msg("'%s': %s", good[i], e.message);
        }
        assert_true(credential_source_valid("tls.key"));
        assert_false(credential_source_valid(""));
        assert_false(credential_source_valid(NULL));
        assert_false(credential_source_valid("tls\x01key"));
}

/* listen: one set of rules, here only (the HTTP server binds what this produced): numeric
 * IPv4 or [IPv6], a port 1-65535, and nothing else, each refused with its line. */
static void test_listen_rules(void **state) {
        static const char *const bad[] = {
                "9573", "0.0.0.0:0", "[::1]:0", "", ":", "127.0.0.1", "127.0.0.1:",
                "127.0.0.1:65536", "::1:80", "[::1]80", "[::1", "host:80", "1.2.3.4:-1",
                "1.2.3.4:80x", "[::1]:+80", "127.0.0.1:0x50",
        };
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "db = /x.db\nlisten = 127.0.0.1:80 %s\n", bad[i]) < 0)
                        abort();
                if (!*bad[i])
                        continue; /* "listen = 127.0.0.1:80 " is fine: one address */
                if (parse(c, text, &e) != -EINVAL || e.line != 2 || !strstr(e.message, "listen:"))
                        fail_msg("'%s' accepted or misreported: %u %s", bad[i], e.line,
                                 e.message ?: "");
                config_error_done(&e);
        }
        assert_int_equal(c->n_listen, 1);
        assert_string_equal(c->listen[0].text, "127.0.0.1:9573");

        assert_int_equal(parse(c, "listen = [::1]:1,10.0.0.1:65535", &e), 0);
        assert_int_equal(c->n_listen, 2);
        assert_int_equal(c->listen[0].addr.ss_family, AF_INET6);
        assert_int_equal(c->listen[0].addr_len, sizeof(struct sockaddr_in6));
        assert_int_equal(ntohs(((struct sockaddr_in6 *) &c->listen[0].addr)->sin6_port), 1);
        assert_int_equal(c->listen[1].addr.ss_family, AF_INET);
        assert_int_equal(ntohs(((struct sockaddr_in *) &c->listen[1].addr)->sin_port), 65535);
        assert_string_equal(c->listen[1].text, "10.0.0.1:65535");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),     cmocka_unit_test(test_keys),
                cmocka_unit_test(test_errors),       cmocka_unit_test(test_all_or_nothing),
                cmocka_unit_test(test_set),          cmocka_unit_test(test_load_validate_format),
                cmocka_unit_test(test_example_file), cmocka_unit_test(test_corpus),
                cmocka_unit_test(test_line_limit_roundtrip),
                cmocka_unit_test(test_credential_sources),
                cmocka_unit_test(test_listen_rules),
                cmocka_unit_test(test_inline_comments),
                cmocka_unit_test(test_dropins),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
