/* SPDX-License-Identifier: MIT */
/* Fuzz target for blame.c: the input is split at its first NUL byte (or in half) into two unit
 * files, the older and the newer version of a drop-in; both are parsed (blame_parse()), diffed
 * (blame_diff()), and the record goes through blame_encode() and blame_decode(), which must give
 * the same record back (encoded again: byte for byte) and stay under BLAME_TEXT_MAX. The whole
 * input is also decoded as a stored record, which must be refused or round-trip. Both snapshots
 * go through blame_files_encode() and blame_files_decode() (under BLAME_SNAPSHOT_TEXT_MAX, the
 * same text again, the same content; a diff against the decoded older one lists no line the
 * diff against the original does not), and the input is decoded as a stored snapshot. Nothing may
 * crash, leak or read out of bounds, whatever the bytes.
 *   libFuzzer: make fuzz (build/fuzz/fuzz-blame)
 *   stdin driver (default): reads one input from stdin, or each file named on the command line.
 * `make check-unit` replays tests/fuzz/corpus/blame/. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blame.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const BlameRecord *r) {
        Buf a = {}, b = {};
        BlameRecord d;

        blame_encode(r, &a);
        assert(a.len <= BLAME_TEXT_MAX);
        assert(blame_decode(a.data, &d) == 0);
        blame_encode(&d, &b);
        assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        blame_record_done(&d);
        buf_done(&a);
        buf_done(&b);
}

static void snapshot_roundtrip(const BlameFiles *f) {
        Buf a = {}, b = {};
        BlameFiles d;

        blame_files_encode(f, &a);
        assert(a.len <= BLAME_SNAPSHOT_TEXT_MAX);
        assert(blame_files_decode(a.data, &d) == 0);
        assert(blame_files_equal(f, &d));
        blame_files_encode(&d, &b);
        assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        blame_files_done(&d);
        buf_done(&a);
        buf_done(&b);
}

static BlameFile file(const char *path, const char *text, size_t n) {
        BlameFile f = { .path = xstrdup(path), .size = n };

        sha256(text, n, f.sha256);
        blame_parse(text, n, &f.directives, &f.n_directives);
        return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *t = (const char *) data;
        const char *nul = memchr(t, 0, size);
        size_t h = nul ? (size_t) (nul - t) : size / 2, rest = nul ? size - h - 1 : size - h;
        const char *second = nul ? nul + 1 : t + h;
        BlameFile fo[2], fn[2];
        BlameFiles o = { fo, 2 }, n = { fn, 2 };
        BlameRecord r;

        /* Older: a fragment and the drop-in; newer: the fragment and the drop-in edited. */
        fo[0] = file("/etc/systemd/system/x.service", t, h);
        fo[1] = file("/etc/systemd/system/x.service.d/o.conf", second, rest);
        fn[0] = file("/etc/systemd/system/x.service", t, h);
        fn[1] = file("/etc/systemd/system/x.service.d/o.conf", t, h);
        blame_diff(&o, &n, &(BlameContext) { .old_known = true, .running_exposure = 5 }, &r);
        assert(r.n_lines <= BLAME_LINES_MAX && r.n_files <= BLAME_FILES_MAX);
        roundtrip(&r);
        blame_record_done(&r);
        blame_diff(&n, &o, &(BlameContext) { .old_known = true, .running_exposure = -1 }, &r);
        roundtrip(&r);
        blame_record_done(&r);
        snapshot_roundtrip(&o);
        snapshot_roundtrip(&n);
        {
                Buf a = {};
                BlameFiles d;
                BlameRecord r2;
                blame_files_encode(&o, &a);
                assert(blame_files_decode(a.data, &d) == 0);
                blame_diff(&o, &n, &(BlameContext) { .old_known = true, .running_exposure = 5 },
                           &r);
                blame_diff(&d, &n, &(BlameContext) { .old_known = true, .running_exposure = 5 },
                           &r2);
                assert(r2.reason == r.reason && r2.n_files == r.n_files &&
                       r2.n_lines <= r.n_lines + (r.n_lines_omitted ? BLAME_LINES_MAX : 0));
                blame_record_done(&r);
                blame_record_done(&r2);
                blame_files_done(&d);
                buf_done(&a);
        }
        for (size_t i = 0; i < 2; i++) {
                blame_file_done(&fo[i]);
                blame_file_done(&fn[i]);
        }

        /* The bytes as a stored record. */
        char *s = xstrndup(t, size);
        if (blame_decode(s, &r) == 0) {
                roundtrip(&r);
                blame_record_done(&r);
        }
        /* ... and as a stored snapshot. */
        if (blame_files_decode(s, &o) == 0) {
                snapshot_roundtrip(&o);
                blame_files_done(&o);
        }
        free(s);
        return 0;
}

#include "fuzz-main.h"
