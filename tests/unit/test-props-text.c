/* SPDX-License-Identifier: MIT */
/* props-text: the `systemctl show` fixture format. Each property type as systemctl prints it
 * (formats checked in containers with systemd 247, 252, 257 and 262), every error path with its
 * line number, "ret untouched on error", a real captured fixture, and a replay of the fuzz corpus
 * (tests/fuzz/corpus/props) through the fuzz target's function. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "props-text.h"
#include "score.h"
#include "util.h"

#define FUZZ_NO_MAIN
#include "../fuzz/fuzz-props.c"

static int parse(const char *s, UnitProps *ret, unsigned *ret_line) {
        return props_text_parse(s, strlen(s), ret, ret_line);
}

static void test_scalars(void **state) {
        UnitProps p;

        (void) state;
        assert_int_equal(parse("Id=foo.service\nUser=\nDynamicUser=yes\nPrivateTmp=no\n"
                               "ProtectHome=read-only\nUMask=0027\nKeyringMode=private\n"
                               "DefaultDependencies=no\nDescription=a = b\n", &p, NULL), 0);
        assert_string_equal(p.id, "foo.service");
        assert_null(p.user); /* empty strings are NULL, as from D-Bus */
        assert_true(p.dynamic_user);
        assert_false(p.private_tmp);
        assert_string_equal(p.protect_home, "read-only");
        assert_int_equal(p.umask, 0027);
        assert_false(p.default_dependencies);
        assert_string_equal(p.description, "a = b");
        /* defaults for what is absent */
        assert_int_equal(p.capability_bounding_set, UINT64_MAX);
        assert_int_equal(p.restrict_namespaces, UINT64_MAX);
        unit_props_done(&p);

        /* absent UMask keeps unit_props_init()'s 0002; a repeated key replaces */
        assert_int_equal(parse("User=a\nUser=b", &p, NULL), 0);
        assert_string_equal(p.user, "b");
        assert_int_equal(p.umask, 0002);
        unit_props_done(&p);
}

static void test_lists(void **state) {
        UnitProps p;

        (void) state;
        assert_int_equal(parse("CapabilityBoundingSet=cap_chown cap_sys_admin CAP_BPF 40\n"
                               "AmbientCapabilities=\n"
                               "RestrictNamespaces=cgroup ipc mnt pid user uts\n"
                               "RestrictAddressFamilies=~AF_PACKET AF_X25\n"
                               "SystemCallFilter=read write:EPERM\n"
                               "SystemCallArchitectures=native x86\n"
                               "SupplementaryGroups=adm  wheel\n", &p, NULL), 0);
        assert_int_equal(p.capability_bounding_set,
                         (UINT64_C(1) << 0) | (UINT64_C(1) << 21) | (UINT64_C(1) << 39) |
                                 (UINT64_C(1) << 40));
        assert_int_equal(p.ambient_capabilities, 0);
        assert_int_equal(p.restrict_namespaces, 0x02000000 | 0x08000000 | 0x00020000 |
                                                        0x20000000 | 0x10000000 | 0x04000000);
        assert_false(p.restrict_address_families_allow_list);
        assert_int_equal(strv_length(p.restrict_address_families), 2);
        assert_string_equal(p.restrict_address_families[1], "AF_X25");
        assert_true(p.system_call_filter_allow_list);
        assert_string_equal(p.system_call_filter[1], "write:EPERM");
        assert_int_equal(strv_length(p.system_call_architectures), 2);
        assert_int_equal(strv_length(p.supplementary_groups), 2);
        unit_props_done(&p);

        /* "yes"/"no" and the ~ form; "~" alone is "no filter", "" an empty allow list */
        assert_int_equal(parse("RestrictNamespaces=yes\nSystemCallFilter=~\n"
                               "RestrictAddressFamilies=\n", &p, NULL), 0);
        assert_int_equal(p.restrict_namespaces, 0);
        assert_false(p.system_call_filter_allow_list);
        assert_null(p.system_call_filter);
        assert_true(p.restrict_address_families_allow_list);
        assert_null(p.restrict_address_families);
        unit_props_done(&p);
        assert_int_equal(parse("RestrictNamespaces=~net\n", &p, NULL), 0);
        assert_int_equal(p.restrict_namespaces & 0x40000000, 0);
        assert_int_not_equal(p.restrict_namespaces & 0x10000000, 0);
        unit_props_done(&p);
        assert_int_equal(parse("RestrictNamespaces=no\n", &p, NULL), 0);
        assert_int_equal(p.restrict_namespaces, UINT64_MAX);
        unit_props_done(&p);
}

static void test_ip_and_devices(void **state) {
        UnitProps p;

        (void) state;
        assert_int_equal(parse("IPAddressDeny=0.0.0.0/0 ::/0\n"
                               "IPAddressAllow=127.0.0.1 10.0.0.0/8 ::1/128\n"
                               "DeviceAllow=char-pts rwm\nDeviceAllow=/dev/null rw\n"
                               "DeviceAllow=\nDevicePolicy=strict\n", &p, NULL), 0);
        assert_int_equal(p.n_ip_address_deny, 2);
        assert_int_equal(p.ip_address_deny[0].family, AF_INET);
        assert_int_equal(p.ip_address_deny[0].prefixlen, 0);
        assert_int_equal(p.ip_address_deny[1].family, AF_INET6);
        assert_int_equal(p.n_ip_address_allow, 3);
        assert_int_equal(p.ip_address_allow[0].prefixlen, 32); /* no prefix: the full length */
        assert_int_equal(p.ip_address_allow[0].address[0], 127);
        assert_int_equal(p.ip_address_allow[0].address[3], 1);
        assert_int_equal(p.ip_address_allow[1].prefixlen, 8);
        assert_int_equal(p.ip_address_allow[2].prefixlen, 128);
        assert_int_equal(p.ip_address_allow[2].address[15], 1);
        assert_int_equal(p.n_device_allow, 2); /* one line per entry, in order */
        assert_string_equal(p.device_allow[0].path, "char-pts");
        assert_string_equal(p.device_allow[0].permissions, "rwm");
        assert_string_equal(p.device_allow[1].path, "/dev/null");
        unit_props_done(&p);
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                unsigned line;
        } bad[] = {
                { "Id=x\nno equals sign\n", 2 },
                { "PrivateTmp=maybe\n", 1 },
                { "# c\n\nUMask=0888\n", 3 },
                { "UMask=12345\n", 1 },
                { "UMask=\n", 1 },
                { "CapabilityBoundingSet=cap_nonsense\n", 1 },
                { "CapabilityBoundingSet=64\n", 1 },
                { "RestrictNamespaces=foo\n", 1 },
                { "IPAddressAllow=10.0.0.0/33\n", 1 },
                { "IPAddressAllow=::1/129\n", 1 },
                { "IPAddressAllow=example.com\n", 1 },
                { "IPAddressDeny=1.2.3.4/\n", 1 },
                { "DeviceAllow=/dev/null\n", 1 },
                { "DeviceAllow=/dev/null rwx\n", 1 },
                { "DeviceAllow=/dev/null r w\n", 1 },
                { "User=a\0b\n", 1 },
        };
        UnitProps p = { .id = (char *) "untouched" };

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                unsigned line = 0;
                size_t len = strlen(bad[i].text);

                if (strcmp(bad[i].text, "User=a") == 0)
                        len = 9; /* the embedded NUL case */
                assert_int_equal(props_text_parse(bad[i].text, len, &p, &line), -EINVAL);
                assert_int_equal(line, bad[i].line);
                assert_string_equal(p.id, "untouched");
        }
        assert_int_equal(props_text_parse(NULL, 1, &p, NULL), -EINVAL);
}

static void test_tolerated(void **state) {
        UnitProps p;

        (void) state;
        /* unknown keys, comments, blank lines, CRLF, no final newline, empty input */
        assert_int_equal(parse("# captured\r\nFooBar=1\r\n\r\nPrivateNetwork=yes\r\nId=a", &p,
                               NULL), 0);
        assert_true(p.private_network);
        assert_string_equal(p.id, "a");
        unit_props_done(&p);
        assert_int_equal(props_text_parse("", 0, &p, NULL), 0);
        unit_props_done(&p);
        assert_int_equal(props_text_parse(NULL, 0, &p, NULL), 0);
        unit_props_done(&p);
        /* len bounds the input: nothing after it is read */
        assert_int_equal(props_text_parse("Id=abcdef", 5, &p, NULL), 0);
        assert_string_equal(p.id, "ab");
        unit_props_done(&p);
}

static char *read_all(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        Buf b = {};
        char chunk[4096];
        size_t n;

        assert_non_null(f);
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                buf_append(&b, chunk, n);
        fclose(f);
        *ret_len = b.len;
        return buf_steal(&b);
}

static void test_real_fixture(void **state) {
        char path[4096];
        size_t len;
        UnitProps p;
        char *text;

        (void) state;
        snprintf(path, sizeof(path), "%s/tests/fixtures/v252-t-hardened.props",
                 getenv("TOP") ?: ".");
        text = read_all(path, &len);
        assert_int_equal(props_text_parse(text, len, &p, NULL), 0);
        free(text);
        assert_string_equal(p.id, "t-hardened.service");
        assert_string_equal(p.user, "svc");
        assert_string_equal(p.protect_system, "strict");
        assert_int_equal(p.capability_bounding_set, 0);
        assert_int_equal(p.restrict_namespaces, 0);
        assert_true(p.system_call_filter_allow_list);
        assert_true(strv_contains(p.system_call_filter, "read"));
        assert_int_equal(p.n_ip_address_deny, 2);
        assert_string_equal(p.device_policy, "closed");
        /* the manager added char-rtc for ProtectClock=yes (systemd issue #32513) */
        assert_int_equal(p.n_device_allow, 1);
        assert_string_equal(p.device_allow[0].path, "char-rtc");
        unit_props_done(&p);
}

static void test_fuzz_corpus(void **state) {
        char dir[4096];
        DIR *d;
        struct dirent *de;
        unsigned n = 0;

        (void) state;
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/props", getenv("TOP") ?: ".");
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char path[8192];
                size_t len;
                char *data;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                data = read_all(path, &len);
                assert_int_equal(fuzz_props_one((const uint8_t *) data, len), 0);
                free(data);
                n++;
        }
        closedir(d);
        assert_true(n >= 5);
}

/* props_text_format() writes what props_text_parse() reads back to the same properties: on every
 * captured fixture, format(parse(format(parse(f)))) equals format(parse(f)), and both parses score
 * the same under every table, as a user manager's and as the system's (the daemon scores the
 * reports of `exposured scan --user --props`, user-reports.h). */
static void assert_same_scores(const UnitProps *a, const UnitProps *b) {
        for (size_t t = 0; t < score_tables_count; t++) {
                ScoreReport ra, rb;

                assert_int_equal(score_unit(score_tables[t], NULL, a, &ra), 0);
                assert_int_equal(score_unit(score_tables[t], NULL, b, &rb), 0);
                assert_int_equal(ra.exposure, rb.exposure);
                assert_int_equal(ra.badness_sum, rb.badness_sum);
                assert_int_equal(ra.n_checks, rb.n_checks);
                for (size_t i = 0; i < ra.n_checks; i++) {
                        assert_int_equal(ra.checks[i].badness, rb.checks[i].badness);
                        assert_int_equal(ra.checks[i].na, rb.checks[i].na);
                        assert_int_equal(ra.checks[i].exposure, rb.checks[i].exposure);
                        assert_true(streq_ptr(ra.checks[i].text, rb.checks[i].text));
                }
        }
}

static void test_format_round_trip(void **state) {
        char dir[4096];
        DIR *d;
        struct dirent *de;
        unsigned n = 0;

        (void) state;
        snprintf(dir, sizeof(dir), "%s/tests/fixtures", getenv("TOP") ?: ".");
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char path[8192];
                size_t len;
                char *text;
                UnitProps a, b;
                Buf fa = {}, fb = {};

                if (!endswith(de->d_name, ".props"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                text = read_all(path, &len);
                assert_int_equal(props_text_parse(text, len, &a, NULL), 0);
                free(text);
                assert_int_equal(props_text_format(&a, &fa), 0);
                assert_null(strstr(fa.data, "\n\n")); /* no empty line: reports separate on one */
                assert_int_equal(props_text_parse(fa.data, fa.len, &b, NULL), 0);
                assert_int_equal(props_text_format(&b, &fb), 0);
                assert_string_equal(fa.data, fb.data);
                for (int user = 0; user <= 1; user++) {
                        a.user_manager = b.user_manager = user;
                        assert_same_scores(&a, &b);
                }
                unit_props_done(&a);
                unit_props_done(&b);
                buf_done(&fa);
                buf_done(&fb);
                n++;
        }
        closedir(d);
        assert_true(n >= 50);
}

/* Values the format cannot carry are refused, and out keeps what it had; the defaults and every
 * list shape survive. */
static void test_format_edges(void **state) {
        static const char *const lists[] = {
                "RestrictAddressFamilies=\nSystemCallFilter=~\n",   /* empty allow, empty deny */
                "RestrictAddressFamilies=~~odd\nSystemCallFilter=~read\n",
                "RestrictNamespaces=yes\nCapabilityBoundingSet=\n",
                "RestrictNamespaces=~net\nCapabilityBoundingSet=cap_chown 45 63\n",
                "IPAddressAllow=10.0.0.0/8 ::1/128 192.0.2.1\nDeviceAllow=/dev/null rw\n",
                "",
        };
        UnitProps p, q;
        Buf out = {}, again = {};

        (void) state;
        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
                assert_int_equal(parse(lists[i], &p, NULL), 0);
                assert_int_equal(props_text_format(&p, &out), 0);
                assert_int_equal(props_text_parse(out.data, out.len, &q, NULL), 0);
                assert_int_equal(props_text_format(&q, &again), 0);
                assert_string_equal(out.data, again.data);
                assert_int_equal(p.capability_bounding_set, q.capability_bounding_set);
                assert_int_equal(p.restrict_namespaces, q.restrict_namespaces);
                assert_int_equal(p.restrict_address_families_allow_list,
                                 q.restrict_address_families_allow_list);
                assert_int_equal(p.system_call_filter_allow_list, q.system_call_filter_allow_list);
                assert_int_equal(p.umask, q.umask);
                unit_props_done(&p);
                unit_props_done(&q);
                buf_clear(&out);
                buf_clear(&again);
        }

        /* what cannot be written: out is left as it was */
        buf_puts(&out, "kept\n");
        unit_props_init(&p);
        p.user = xstrdup("a\nPrivateNetwork=yes");
        assert_int_equal(props_text_format(&p, &out), -EINVAL);
        assert_string_equal(out.data, "kept\n");
        unit_props_done(&p);
        p.restrict_address_families_allow_list = true;
        strv_push(&p.restrict_address_families, "~AF_INET");
        assert_int_equal(props_text_format(&p, &out), -EINVAL);
        unit_props_done(&p);
        strv_push(&p.supplementary_groups, "a b");
        assert_int_equal(props_text_format(&p, &out), -EINVAL);
        unit_props_done(&p);
        p.device_allow = xcalloc(1, sizeof(DeviceAllowEntry));
        p.n_device_allow = 1;
        p.device_allow[0].path = xstrdup("/dev/null");
        p.device_allow[0].permissions = xstrdup("");
        assert_int_equal(props_text_format(&p, &out), -EINVAL);
        assert_string_equal(out.data, "kept\n");
        unit_props_done(&p);

        /* Description= is display only: control characters become spaces */
        p.description = xstrdup("two\nlines\r");
        assert_int_equal(props_text_format(&p, &out), 0);
        assert_non_null(strstr(out.data, "Description=two lines \n"));
        unit_props_done(&p);
        buf_done(&out);
        buf_done(&again);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scalars),
                cmocka_unit_test(test_lists),
                cmocka_unit_test(test_ip_and_devices),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_tolerated),
                cmocka_unit_test(test_real_fixture),
                cmocka_unit_test(test_fuzz_corpus),
                cmocka_unit_test(test_format_round_trip),
                cmocka_unit_test(test_format_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
