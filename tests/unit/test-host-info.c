/* SPDX-License-Identifier: MIT */
/* host-info.c: the os-release parser (quoting, escapes, missing keys, bounds) and the file lookup
 * under a root (etc/ first, then usr/lib/). The bus half is tested against real managers in
 * tests/integration/test_host_info.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "host-info.h"
#include "util.h"

static void parse(const char *text, const char *want_id, const char *want_version) {
        _cleanup_free_ char *id = NULL, *version = NULL;

        assert_int_equal(host_info_parse_os_release(text, strlen(text), &id, &version), 0);
        if (want_id)
                assert_string_equal(id, want_id);
        else
                assert_null(id);
        if (want_version)
                assert_string_equal(version, want_version);
        else
                assert_null(version);
}

static void test_parse(void **state) {
        (void) state;
        parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
              "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n", "debian", "12");
        /* sid: no VERSION_ID; VERSION_CODENAME must not match VERSION_ID */
        parse("PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\nVERSION_CODENAME=sid\n",
              "debian", NULL);
        /* ID_LIKE= is not ID=; the last assignment wins; single quotes; leading blanks */
        parse("ID_LIKE=debian\n  ID='ubuntu'\nID=ubuntu2\nVERSION_ID='22.04'", "ubuntu2", "22.04");
        /* escapes in double quotes (others are kept as written); no final newline */
        parse("ID=\"a\\\"b\\\\c\\$d\"\nVERSION_ID=\"1\\x\"", "a\"b\\c$d", "1\\x");
        /* empty values count as missing */
        parse("ID=\nVERSION_ID=\"\"\n", NULL, NULL);
        parse("", NULL, NULL);
        /* not NUL-terminated: only len bytes are read */
        {
                _cleanup_free_ char *id = NULL, *version = NULL;
                const char text[] = { 'I', 'D', '=', 'x', 'y' };
                assert_int_equal(host_info_parse_os_release(text, 4, &id, &version), 0);
                assert_string_equal(id, "x");
                assert_null(version);
        }
        /* oversized values are cut, not overflowed */
        {
                Buf b = {};
                buf_puts(&b, "ID=");
                for (int i = 0; i < 1000; i++)
                        buf_putc(&b, 'z');
                _cleanup_free_ char *text = buf_steal(&b), *id = NULL, *version = NULL;
                assert_int_equal(host_info_parse_os_release(text, strlen(text), &id, &version), 0);
                assert_int_equal(strlen(id), HOST_INFO_VALUE_MAX - 1);
        }
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void test_read(void **state) {
        char root[] = "/tmp/exposured-host-info-XXXXXX";
        _cleanup_free_ char *id = NULL, *version = NULL, *etc = NULL, *usr = NULL,
                            *etc_file = NULL, *usr_file = NULL, *with_slash = NULL;
        (void) state;

        assert_non_null(mkdtemp(root));
        assert_true(asprintf(&etc, "%s/etc", root) > 0);
        assert_true(asprintf(&usr, "%s/usr", root) > 0);
        assert_true(asprintf(&etc_file, "%s/etc/os-release", root) > 0);
        assert_true(asprintf(&usr_file, "%s/usr/lib/os-release", root) > 0);
        assert_true(asprintf(&with_slash, "%s/", root) > 0);

        /* nothing there */
        assert_int_equal(host_info_read_os_release(root, &id, &version), -ENOENT);
        assert_null(id);

        /* usr/lib only (an image without /etc/os-release) */
        assert_int_equal(mkdir(etc, 0755), 0);
        assert_int_equal(mkdir(usr, 0755), 0);
        _cleanup_free_ char *lib = NULL;
        assert_true(asprintf(&lib, "%s/usr/lib", root) > 0);
        assert_int_equal(mkdir(lib, 0755), 0);
        write_file(usr_file, "ID=debian\nVERSION_ID=\"11\"\n");
        assert_int_equal(host_info_read_os_release(with_slash, &id, &version), 0);
        assert_string_equal(id, "debian");
        assert_string_equal(version, "11");
        id = (free(id), NULL);
        version = (free(version), NULL);

        /* etc/ wins */
        write_file(etc_file, "ID=fedora\nVERSION_ID=40\n");
        assert_int_equal(host_info_read_os_release(root, &id, &version), 0);
        assert_string_equal(id, "fedora");
        assert_string_equal(version, "40");

        assert_int_equal(unlink(etc_file), 0);
        assert_int_equal(unlink(usr_file), 0);
        assert_int_equal(rmdir(lib), 0);
        assert_int_equal(rmdir(usr), 0);
        assert_int_equal(rmdir(etc), 0);
        assert_int_equal(rmdir(root), 0);
}

/* The real one: whatever this machine runs, "/" has an os-release with an ID. */
static void test_read_host(void **state) {
        _cleanup_free_ char *id = NULL, *version = NULL;
        (void) state;
        if (host_info_read_os_release(NULL, &id, &version) < 0)
                skip();
        assert_non_null(id);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_read),
                cmocka_unit_test(test_read_host),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
