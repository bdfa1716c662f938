/* SPDX-License-Identifier: MIT */
/* blame: SHA-256 against the FIPS 180-4 / NIST example vectors; unit-file parsing (sections,
 * comments, continuations, whitespace, junk); the diff of two snapshots for each case the daemon
 * records (a drop-in added, edited, removed, the fragment replaced, a set-property file, nothing
 * changed with and without an upgrade, a first score), its bounds, and the stored text's round
 * trip and refusals; the stored snapshot (what a restarted daemon compares with): round trip,
 * its caps on huge and many files, a diff against a snapshot that could not keep a file's lines,
 * and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blame.h"
#include "cleanup.h"
#include "render.h"
#include "util.h"

static void hex_of(const char *s, size_t n, char ret[static SHA256_HEX_SIZE]) {
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256(s, n, d);
        (void) sha256_hex(d, ret);
}

static void test_sha256(void **state) {
        char h[SHA256_HEX_SIZE];
        (void) state;

        hex_of("", 0, h);
        assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        hex_of("abc", 3, h);
        assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        /* Two blocks: the padding does not fit after 56 bytes. */
        const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        hex_of(m, strlen(m), h);
        assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        /* A million 'a', fed in odd pieces. */
        Sha256 s;
        uint8_t d[SHA256_DIGEST_SIZE];
        char a[1000];
        memset(a, 'a', sizeof a);
        sha256_init(&s);
        for (unsigned i = 0; i < 1000; i++) {
                sha256_update(&s, a, 333);
                sha256_update(&s, a, 667);
        }
        sha256_final(&s, d);
        assert_string_equal(sha256_hex(d, h),
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_parse(void **state) {
        const char *t = "# comment\nJunk=before any section\n[Unit]\nDescription = A  b \n"
                        "; other comment\n\n[Service]\n  ExecStart=/bin/a \\\n   --flag \\\n"
                        "# inside\n   --more\nProtectSystem=strict\nNoEquals\n=novalue\n"
                        "SystemCallFilter=\r\n[Install]\nWantedBy=multi-user.target";
        BlameDirective *d;
        size_t n;
        (void) state;

        blame_parse(t, strlen(t), &d, &n);
        assert_int_equal(n, 5);
        assert_string_equal(d[0].section, "Unit");
        assert_string_equal(d[0].key, "Description");
        assert_string_equal(d[0].value, "A  b");
        assert_string_equal(d[1].section, "Service");
        assert_string_equal(d[1].key, "ExecStart");
        assert_string_equal(d[1].value, "/bin/a  --flag  --more");
        assert_string_equal(d[2].key, "ProtectSystem");
        assert_string_equal(d[2].value, "strict");
        assert_string_equal(d[3].key, "SystemCallFilter");
        assert_string_equal(d[3].value, "");
        assert_string_equal(d[4].section, "Install");
        assert_string_equal(d[4].value, "multi-user.target");
        blame_directives_free(d, n);

        blame_parse("", 0, &d, &n);
        assert_int_equal(n, 0);
        assert_null(d);
        /* Not NUL-terminated: only n bytes are read. */
        blame_parse("[S]\nA=1\nB=2", 8, &d, &n);
        assert_int_equal(n, 1);
        blame_directives_free(d, n);
}

/* A snapshot file from text. */
static BlameFile file(const char *path, const char *text) {
        BlameFile f = { .path = xstrdup(path), .size = strlen(text), .mtime_usec = 7 };
        sha256(text, strlen(text), f.sha256);
        blame_parse(text, strlen(text), &f.directives, &f.n_directives);
        return f;
}

#define FRAG "/etc/systemd/system/x.service"
#define DROP "/etc/systemd/system/x.service.d/override.conf"
#define CTRL "/etc/systemd/system.control/x.service.d/50-ProtectSystem.conf"

static void snap(BlameFiles *s, size_t n, ...) {
        va_list ap;
        va_start(ap, n);
        *s = (BlameFiles) { .files = xcalloc(n ? n : 1, sizeof(BlameFile)), .n_files = n };
        for (size_t i = 0; i < n; i++) {
                const char *p = va_arg(ap, const char *), *t = va_arg(ap, const char *);
                s->files[i] = file(p, t);
        }
        va_end(ap);
}

static const BlameContext changed_ctx = { .old_known = true, .running_exposure = -1 };

static void test_dropin_added(void **state) {
        BlameFiles o, n;
        BlameRecord r;
        (void) state;

        snap(&o, 1, FRAG, "[Service]\nProtectSystem=strict\nPrivateTmp=yes\n");
        snap(&n, 2, FRAG, "[Service]\nProtectSystem=strict\nPrivateTmp=yes\n", DROP,
             "[Service]\nProtectSystem=no\nPrivateDevices=no\n");
        blame_diff(&o, &n, &changed_ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_FILES);
        assert_int_equal(r.n_files, 2);
        assert_int_equal(r.files[0].op, BLAME_OP_SAME);
        assert_int_equal(r.files[1].op, BLAME_OP_ADDED);
        assert_string_equal(r.files[1].path, DROP);
        assert_int_equal(strlen(r.files[1].sha256), 64);
        assert_int_equal(r.n_lines, 2);
        /* It overrides the fragment's value: a change, in the drop-in. */
        assert_int_equal(r.lines[0].op, BLAME_OP_CHANGED);
        assert_string_equal(r.lines[0].path, DROP);
        assert_string_equal(r.lines[0].key, "ProtectSystem");
        assert_string_equal(r.lines[0].old_value, "strict");
        assert_string_equal(r.lines[0].new_value, "no");
        assert_int_equal(r.lines[1].op, BLAME_OP_ADDED);
        assert_string_equal(r.lines[1].key, "PrivateDevices");
        assert_null(r.lines[1].old_value);
        blame_record_done(&r);

        /* And back: the drop-in removed, the fragment's value applies again. */
        blame_diff(&n, &o, &changed_ctx, &r);
        assert_int_equal(r.n_files, 2);
        assert_int_equal(r.files[1].op, BLAME_OP_REMOVED);
        assert_int_equal(r.n_lines, 2);
        assert_int_equal(r.lines[0].op, BLAME_OP_REMOVED);
        assert_string_equal(r.lines[0].old_value, "no");
        assert_string_equal(r.lines[0].new_value, "strict");
        assert_null(r.lines[1].new_value);
        blame_record_done(&r);
        blame_files_done(&o);
        blame_files_done(&n);
}

static void test_dropin_edited_and_fragment_replaced(void **state) {
        BlameFiles o, n;
        BlameRecord r;
        (void) state;

        snap(&o, 2, FRAG, "[Service]\nExecStart=/bin/a\nUser=a\n", DROP,
             "[Service]\nProtectSystem=strict\n# note\n");
        snap(&n, 2, FRAG, "[Service]\nExecStart=/bin/b\nUser=a\nPrivateTmp=yes\n", DROP,
             "[Service]\n# edited\nProtectSystem=no\n");
        blame_diff(&o, &n, &changed_ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_FILES);
        assert_int_equal(r.files[0].op, BLAME_OP_CHANGED);
        assert_int_equal(r.files[1].op, BLAME_OP_CHANGED);
        assert_int_equal(r.n_lines, 3);
        assert_int_equal(r.lines[0].op, BLAME_OP_CHANGED);
        assert_string_equal(r.lines[0].key, "ExecStart");
        assert_string_equal(r.lines[0].old_value, "/bin/a");
        assert_string_equal(r.lines[0].new_value, "/bin/b");
        assert_int_equal(r.lines[1].op, BLAME_OP_ADDED);
        assert_string_equal(r.lines[1].key, "PrivateTmp");
        assert_string_equal(r.lines[2].path, DROP);
        assert_string_equal(r.lines[2].old_value, "strict");
        assert_string_equal(r.lines[2].new_value, "no");
        blame_record_done(&r);
        blame_files_done(&o);
        blame_files_done(&n);

        /* Only a comment changed: the file is listed as changed, no directive line. */
        snap(&o, 1, FRAG, "[Service]\nUser=a\n");
        snap(&n, 1, FRAG, "[Service]\n# hello\nUser=a\n");
        blame_diff(&o, &n, &changed_ctx, &r);
        assert_int_equal(r.files[0].op, BLAME_OP_CHANGED);
        assert_int_equal(r.n_lines, 0);
        blame_record_done(&r);
        blame_files_done(&o);
        blame_files_done(&n);
}

static void test_runtime_and_reasons(void **state) {
        BlameFiles o, n;
        BlameRecord r;
        (void) state;

        snap(&o, 1, FRAG, "[Service]\nProtectSystem=strict\n");
        snap(&n, 2, FRAG, "[Service]\nProtectSystem=strict\n", CTRL,
             "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n"
             "# or an equivalent operation. Do not edit.\n[Service]\nProtectSystem=no\n");
        blame_diff(&o, &n, &changed_ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_RUNTIME);
        assert_int_equal(r.n_lines, 1);
        assert_string_equal(r.lines[0].path, CTRL);
        assert_string_equal(r.lines[0].new_value, "no");
        blame_record_done(&r);
        assert_true(blame_path_is_runtime("/run/systemd/transient/a.service"));
        assert_true(blame_path_is_runtime("/run/systemd/system.control/a.service.d/50-X.conf"));
        assert_false(blame_path_is_runtime("/run/systemd/system/a.service"));

        /* No file changed: an upgrade or nothing known. */
        BlameContext ctx = changed_ctx;
        blame_diff(&n, &n, &ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_UNKNOWN);
        assert_int_equal(r.n_lines, 0);
        assert_int_equal(r.files[0].op, BLAME_OP_SAME);
        blame_record_done(&r);
        ctx.systemd_changed = true;
        blame_diff(&n, &n, &ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_SYSTEMD_UPGRADE);
        blame_record_done(&r);
        ctx.systemd_changed = false;
        ctx.scorer_changed = true;
        blame_diff(&n, &n, &ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_SCORER_UPGRADE);
        blame_record_done(&r);
        /* A file change wins over an upgrade: the files say more. */
        blame_diff(&o, &n, &ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_RUNTIME);
        blame_record_done(&r);
        /* Older snapshot unknown (after a restart): files listed as they are, no lines. */
        ctx = (BlameContext) { .running_exposure = 42 };
        blame_diff(&o, &n, &ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_UNKNOWN);
        assert_int_equal(r.n_lines, 0);
        assert_int_equal(r.n_files, 2);
        assert_int_equal(r.running_exposure, 42);
        blame_record_done(&r);
        ctx.first = true;
        blame_diff(NULL, &n, &ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_FIRST);
        blame_record_done(&r);
        blame_files_done(&o);
        blame_files_done(&n);

        /* A transient unit made again (its older files not known): a runtime change. */
        snap(&n, 1, "/run/systemd/transient/t.service", "[Service]\nExecStart=/bin/true\n");
        blame_diff(NULL, &n, &(BlameContext) { .running_exposure = -1 }, &r);
        assert_int_equal(r.reason, BLAME_REASON_RUNTIME);
        blame_record_done(&r);
        blame_files_done(&n);
}

static void test_bounds(void **state) {
        Buf t = {};
        BlameFiles o, n;
        BlameRecord r;
        (void) state;

        buf_puts(&t, "[Service]\nDescription=");
        for (unsigned i = 0; i < BLAME_VALUE_MAX; i++)
                buf_puts(&t, "\xc3\xa9"); /* é: two bytes, cut on a character boundary */
        buf_putc(&t, '\n');
        for (unsigned i = 0; i < BLAME_LINES_MAX + 10; i++)
                buf_printf(&t, "Environment=V%u=%u\n", i, i);
        snap(&o, 1, FRAG, "[Service]\n");
        snap(&n, 1, FRAG, t.data);
        blame_diff(&o, &n, &changed_ctx, &r);
        assert_int_equal(r.n_lines, BLAME_LINES_MAX);
        assert_int_equal(r.n_lines_omitted, 11);
        blame_record_done(&r);
        blame_files_done(&o);

        /* More files than a record lists. */
        o = (BlameFiles) { .files = xcalloc(BLAME_FILES_MAX + 3, sizeof(BlameFile)),
                           .n_files = BLAME_FILES_MAX + 3 };
        for (size_t i = 0; i < o.n_files; i++) {
                char p[64];
                (void) snprintf(p, sizeof p, "/etc/systemd/system/x.service.d/%02zu.conf", i);
                o.files[i] = file(p, "[Service]\nUser=a\n");
        }
        blame_diff(&n, &o, &changed_ctx, &r);
        assert_int_equal(r.n_files, BLAME_FILES_MAX);
        assert_int_equal(r.n_files_omitted, 4);
        blame_record_done(&r);
        blame_files_done(&o);

        /* A value longer than BLAME_VALUE_MAX is cut, with "...". */
        snap(&o, 1, FRAG, "[Service]\n");
        blame_diff(&o, &n, &changed_ctx, &r);
        const BlameLine *first = &r.lines[0];
        assert_string_equal(first->key, "Description");
        assert_true(strlen(first->new_value) <= BLAME_VALUE_MAX + 3);
        assert_true(endswith(first->new_value, "..."));
        assert_true(startswith(first->new_value, "\xc3\xa9"));
        assert_int_equal((unsigned char) first->new_value[strlen(first->new_value) - 4], 0xa9);
        blame_record_done(&r);
        blame_files_done(&o);
        blame_files_done(&n);
        buf_done(&t);
}

static void test_encode_roundtrip(void **state) {
        BlameFiles o, n;
        BlameRecord r, d;
        Buf a = {}, b = {};
        (void) state;

        snap(&o, 1, FRAG, "[Service]\nProtectSystem=strict\nEnvironment=A=1\\tx\n");
        snap(&n, 2, FRAG, "[Service]\nProtectSystem=strict\n", "/etc/a\tb\\c\nd.conf",
             "[Service]\nProtectSystem=no\n");
        blame_diff(&o, &n, &(BlameContext) { .old_known = true, .running_exposure = 17 }, &r);
        r.n_lines_omitted = 3;
        blame_encode(&r, &a);
        assert_int_equal(blame_decode(a.data, &d), 0);
        blame_encode(&d, &b);
        assert_string_equal(a.data, b.data);
        assert_int_equal(d.reason, BLAME_REASON_FILES);
        assert_int_equal(d.running_exposure, 17);
        assert_string_equal(d.files[1].path, "/etc/a\tb\\c\nd.conf");
        assert_int_equal(d.n_lines, r.n_lines);
        assert_int_equal(d.lines[0].op, BLAME_OP_REMOVED);
        assert_string_equal(d.lines[0].old_value, "A=1\\tx");
        assert_null(d.lines[0].new_value);
        assert_int_equal(d.n_lines_omitted, 3);
        blame_record_done(&d);
        blame_record_done(&r);
        blame_files_done(&o);
        blame_files_done(&n);
        buf_done(&a);
        buf_done(&b);

        /* Not records. */
        static const char *const bad[] = {
                "", "v2\nr\tfiles\n", "v1\n", "v1\nr\tnope\n", "v1\nr\tfiles", "v1\nr\tfiles\nx\n",
                "v1\nr\tfiles\nl\t=\t/a\tS\tK\ta\tb\n", "v1\nr\tfiles\nf\t+\t/a\t1\t2\tab\t1\n",
                "v1\nr\tfiles\nf\t+\t/a\tx\t2\t\t0\n", "v1\nr\tfiles\np\t-2\n",
                "v1\nr\tfiles\nl\t+\t/a\tS\tK\t\\q\tb\n", "v1\nr\tfiles\nl\t+\t/a\tS\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                d = (BlameRecord) { .reason = 99 };
                assert_int_equal(blame_decode(bad[i], &d), -EBADMSG);
                assert_int_equal(d.reason, 99);
        }
        assert_int_equal(blame_decode(NULL, &d), -EBADMSG);
}

/* A snapshot survives its stored text: the same files, hashes, errors and directives, and a
 * diff against the decoded one says what a diff against the original says. */
static void test_snapshot_roundtrip(void **state) {
        BlameFiles o, n, d;
        BlameRecord r1, r2;
        Buf a = {}, b = {}, t1 = {}, t2 = {};
        (void) state;

        snap(&o, 2, FRAG, "[Service]\nProtectSystem=strict\nEnvironment=A=1\\tx\n",
             "/etc/a\tb\\c\nd.conf", "[Service]\nUser=\n");
        o.files = xrealloc(o.files, 3 * sizeof(BlameFile));
        o.files[2] = (BlameFile) { .path = xstrdup("/run/x.conf"), .error = -EACCES };
        o.n_files = 3;
        blame_files_encode(&o, &a);
        assert_true(startswith(a.data, "s1\n"));
        assert_int_equal(blame_files_decode(a.data, &d), 0);
        blame_files_encode(&d, &b);
        assert_string_equal(a.data, b.data);
        assert_true(blame_files_equal(&o, &d));
        assert_int_equal(d.n_files, 3);
        assert_string_equal(d.files[1].path, "/etc/a\tb\\c\nd.conf");
        assert_int_equal(d.files[0].size, o.files[0].size);
        assert_int_equal(d.files[0].mtime_usec, 7);
        assert_memory_equal(d.files[0].sha256, o.files[0].sha256, SHA256_DIGEST_SIZE);
        assert_int_equal(d.files[0].n_directives, 2);
        assert_string_equal(d.files[0].directives[1].value, "A=1\\tx");
        assert_string_equal(d.files[1].directives[0].value, "");
        assert_int_equal(d.files[2].error, -EACCES);
        assert_false(d.files[0].lines_unknown);

        snap(&n, 2, FRAG, "[Service]\nProtectSystem=strict\n", DROP,
             "[Service]\nProtectSystem=no\n");
        blame_diff(&o, &n, &changed_ctx, &r1);
        blame_diff(&d, &n, &changed_ctx, &r2);
        blame_encode(&r1, &t1);
        blame_encode(&r2, &t2);
        assert_string_equal(t1.data, t2.data);
        assert_int_equal(r2.reason, BLAME_REASON_FILES);
        assert_true(r2.n_lines >= 2);
        blame_record_done(&r1);
        blame_record_done(&r2);
        blame_files_done(&d);
        blame_files_done(&o);
        blame_files_done(&n);
        buf_done(&a);
        buf_done(&b);
        buf_done(&t1);
        buf_done(&t2);

        /* No files (a unit without a fragment): still a snapshot. */
        blame_files_encode(&(BlameFiles) {}, &a);
        assert_int_equal(blame_files_decode(a.data, &d), 0);
        assert_int_equal(d.n_files, 0);
        buf_done(&a);

        static const char *const bad[] = {
                "", "s2\n", "s1", "s1\nF\t/a\t1\t2\tab\t0\t1\n", "s1\nF\trel\t1\t2\t\t-2\t1\n",
                "s1\nd\tS\tK\tV\n", "s1\nF\t/a\t1\t2\t\t-2\t1\nd\tS\tK\tV\n",
                "s1\nF\t/a\tx\t2\t\t-2\t1\n", "s1\nF\t/a\t1\t2\t\t-2\t2\n", "s1\nt\tx\n",
                "s1\nF\t/a\t1\t2\t\t-2\t1\nd\tS\t\tV\n", "s1\nF\t/a\t1\t2\t\t-2\t1",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                d = (BlameFiles) { .n_files = 99 };
                assert_int_equal(blame_files_decode(bad[i], &d), -EBADMSG);
                assert_int_equal(d.n_files, 99);
        }
        assert_int_equal(blame_files_decode(NULL, &d), -EBADMSG);
}

/* Whatever a unit's files hold, its stored snapshot stays under BLAME_SNAPSHOT_TEXT_MAX: a file
 * whose directives do not fit the budget keeps its hash but not its lines (a change of it is
 * then a file change without lines, never lines made up); more files than
 * BLAME_SNAPSHOT_FILES_MAX, or a path longer than BLAME_PATH_MAX, are not kept at all. */
static void test_snapshot_bounds(void **state) {
        Buf t = {}, a = {};
        BlameFiles o, d, n;
        BlameRecord r;
        (void) state;

        /* A 1 MiB fragment (BLAME_READ_MAX) of distinct directives, then a small drop-in. */
        buf_puts(&t, "[Service]\n");
        for (unsigned i = 0; t.len < 1024U * 1024U; i++)
                buf_printf(&t, "Environment=VARIABLE_%u=%0100u\n", i, i);
        snap(&o, 2, FRAG, t.data, DROP, "[Service]\nProtectSystem=strict\n");
        assert_true(o.files[0].n_directives > 1000);
        blame_files_encode(&o, &a);
        assert_true(a.len < BLAME_SNAPSHOT_LINES_MAX);
        assert_int_equal(blame_files_decode(a.data, &d), 0);
        assert_true(d.files[0].lines_unknown);
        assert_int_equal(d.files[0].n_directives, 0);
        assert_memory_equal(d.files[0].sha256, o.files[0].sha256, SHA256_DIGEST_SIZE);
        assert_false(d.files[1].lines_unknown);
        assert_int_equal(d.files[1].n_directives, 1);
        assert_true(blame_files_equal(&o, &d));
        buf_done(&a);

        /* The big file changed: a file change, no lines listed for it; the drop-in's lines are. */
        buf_puts(&t, "Environment=ONE_MORE=1\n");
        snap(&n, 2, FRAG, t.data, DROP, "[Service]\nProtectSystem=full\n");
        blame_diff(&d, &n, &changed_ctx, &r);
        assert_int_equal(r.reason, BLAME_REASON_FILES);
        assert_int_equal(r.files[0].op, BLAME_OP_CHANGED);
        assert_int_equal(r.n_lines, 1);
        assert_string_equal(r.lines[0].path, DROP);
        assert_string_equal(r.lines[0].old_value, "strict");
        assert_string_equal(r.lines[0].new_value, "full");
        blame_record_done(&r);
        blame_files_done(&n);
        blame_files_done(&d);
        blame_files_done(&o);

        /* Sixteen files of 4 KiB paths, each full of directives: still within the cap. */
        o = (BlameFiles) { .files = xcalloc(BLAME_SNAPSHOT_FILES_MAX, sizeof(BlameFile)),
                           .n_files = BLAME_SNAPSHOT_FILES_MAX };
        for (size_t i = 0; i < o.n_files; i++) {
                char p[BLAME_PATH_MAX + 1], q[32];
                int k = snprintf(q, sizeof q, "/%02zu.conf", i);
                memset(p, '\\', BLAME_PATH_MAX);
                p[0] = '/';
                memcpy(p + BLAME_PATH_MAX - k, q, (size_t) k + 1);
                o.files[i] = file(p, t.data);
        }
        blame_files_encode(&o, &a);
        assert_true(a.len <= BLAME_SNAPSHOT_TEXT_MAX);
        assert_int_equal(blame_files_decode(a.data, &d), 0);
        assert_int_equal(d.n_files, BLAME_SNAPSHOT_FILES_MAX);
        blame_files_done(&d);
        buf_done(&a);
        blame_files_done(&o);

        /* One file more than that: not kept (and said so: -E2BIG, not a broken text). */
        o = (BlameFiles) { .files = xcalloc(BLAME_SNAPSHOT_FILES_MAX + 1, sizeof(BlameFile)),
                           .n_files = BLAME_SNAPSHOT_FILES_MAX + 1 };
        for (size_t i = 0; i < o.n_files; i++) {
                char p[64];
                (void) snprintf(p, sizeof p, "/etc/systemd/system/x.service.d/%02zu.conf", i);
                o.files[i] = file(p, "[Service]\nUser=a\n");
        }
        blame_files_encode(&o, &a);
        assert_string_equal(a.data, "s1\nt\t17\n");
        assert_int_equal(blame_files_decode(a.data, &d), -E2BIG);
        buf_done(&a);
        blame_files_done(&o);

        /* A path longer than a record keeps: not kept either (it would never match again). */
        buf_clear(&t);
        buf_putc(&t, '/');
        for (unsigned i = 0; i < BLAME_PATH_MAX; i++)
                buf_putc(&t, 'p');
        snap(&o, 1, t.data, "[Service]\n");
        blame_files_encode(&o, &a);
        assert_string_equal(a.data, "s1\nt\t1\n");
        buf_done(&a);
        blame_files_done(&o);
        buf_done(&t);
}

/* The text the history shows: the unit page's lines, the journal's summary, the CLI's table. */
static void test_render(void **state) {
        BlameRecord r;
        Buf b = {};
        Change c = { .unit = (char *) "x.service", .kind = EVENT_REGRESSION, .previous = 20,
                     .exposure = 50, .blame = &r };
        (void) state;

        assert_int_equal(blame_decode("v1\nr\tfiles\np\t20\n"
                                      "l\t~\t/etc/o.conf\tService\tProtectSystem\tstrict\tno\n"
                                      "l\t+\t/etc/o.conf\tService\tPrivateTmp\t\\0\tyes\n"
                                      "l\t-\t/etc/a\\nb\tService\tUser\ta\tb\n"
                                      "o\t0\t5\n",
                                      &r),
                         0);
        render_blame_line(&b, &r.lines[0]);
        assert_string_equal(b.data, "ProtectSystem=strict \xe2\x86\x92 no in /etc/o.conf");
        buf_clear(&b);
        render_blame_line(&b, &r.lines[1]);
        assert_string_equal(b.data, "PrivateTmp=yes added in /etc/o.conf");
        buf_clear(&b);
        render_blame_line(&b, &r.lines[2]);
        assert_string_equal(b.data, "User=a removed from /etc/a\nb (now b)");
        buf_clear(&b);
        render_blame_summary(&b, &r, 1);
        assert_string_equal(b.data, "ProtectSystem=strict \xe2\x86\x92 no in /etc/o.conf; and 7 more");
        buf_clear(&b);
        render_text_changes(&c, 1, true, &b);
        assert_non_null(strstr(b.data, "\n    ProtectSystem=strict \xe2\x86\x92 no in /etc/o.conf\n"));
        /* The newline in the path is escaped: one row stays one line. */
        assert_non_null(strstr(b.data, "\n    User=a removed from /etc/a\\x0ab (now b)\n"));
        assert_non_null(strstr(b.data, "\n    and 5 more lines\n"));
        blame_record_done(&r);

        /* No line: the files, else the reason. */
        assert_int_equal(blame_decode("v1\nr\tsystemd-upgrade\np\t-1\n"
                                      "f\t=\t/etc/x.service\t1\t2\t\t0\n", &r), 0);
        buf_clear(&b);
        render_blame_summary(&b, &r, 3);
        assert_string_equal(b.data, "no unit file changed: systemd was upgraded");
        blame_record_done(&r);
        assert_int_equal(blame_decode("v1\nr\tfiles\np\t-1\n"
                                      "f\t+\t/etc/x.service.d/a.conf\t1\t2\t\t0\n", &r), 0);
        buf_clear(&b);
        render_blame_summary(&b, &r, 3);
        assert_string_equal(b.data, "/etc/x.service.d/a.conf added");
        blame_record_done(&r);
        buf_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sha256),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_dropin_added),
                cmocka_unit_test(test_dropin_edited_and_fragment_replaced),
                cmocka_unit_test(test_runtime_and_reasons),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_encode_roundtrip),
                cmocka_unit_test(test_snapshot_roundtrip),
                cmocka_unit_test(test_snapshot_bounds),
                cmocka_unit_test(test_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
