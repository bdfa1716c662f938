/* SPDX-License-Identifier: MIT */
/* Corpus replay for the fuzz targets, so `make check-unit` exercises them without libFuzzer:
 * every file of tests/fuzz/corpus/<name>/, then 3000 deterministic mutations of them (xorshift
 * with a fixed seed, so a failure reproduces). Include after the target's .c file (built with
 * FUZZ_NO_MAIN), which provides LLVMFuzzerTestOneInput(). Header-only: the .c helpers in tests/unit/
 * are linked into every test, and only the fuzz tests have a target to call. */
#pragma once

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "cleanup.h"

static uint64_t fuzz_replay_next(uint64_t *rng) {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        return *rng;
}

/* Replay corpus <name>; mutations overwrite bytes at random, with bytes from alphabet (the
 * format's syntax characters, alphabet_len of them), or duplicate a slice. */
static void fuzz_replay(const char *name, const char *alphabet, size_t alphabet_len) {
        const char *top = getenv("TOP");
        uint64_t rng = 0x9e3779b97f4a7c15u;
        Buf dir = {}, inputs[64] = {};
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        buf_printf(&dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", name);
        d = opendir(dir.data);
        assert_non_null(d);
        while ((de = readdir(d)) && n < ELEMENTSOF(inputs)) {
                Buf p = {};
                char chunk[4096];
                size_t k;
                FILE *f;

                if (de->d_name[0] == '.')
                        continue;
                buf_printf(&p, "%s/%s", dir.data, de->d_name);
                f = fopen(p.data, "re");
                assert_non_null(f);
                while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
                        buf_append(&inputs[n], chunk, k);
                fclose(f);
                buf_done(&p);
                assert_int_equal(LLVMFuzzerTestOneInput((const uint8_t *) inputs[n].data,
                                                        inputs[n].len), 0);
                n++;
        }
        closedir(d);
        assert_true(n >= 5);

        for (size_t i = 0; i < 3000; i++) {
                const Buf *src = &inputs[fuzz_replay_next(&rng) % n];
                unsigned edits = 1 + (unsigned) (fuzz_replay_next(&rng) % 8);
                Buf m = {};

                buf_append(&m, src->data, src->len);
                for (unsigned k = 0; k < edits && m.len; k++) {
                        size_t at = fuzz_replay_next(&rng) % m.len;
                        switch (fuzz_replay_next(&rng) % 3) {
                        case 0:
                                m.data[at] = (char) fuzz_replay_next(&rng);
                                break;
                        case 1:
                                m.data[at] = alphabet[fuzz_replay_next(&rng) % alphabet_len];
                                break;
                        default: {
                                /* duplicate a slice (copied first: the append may realloc) */
                                char slice[32];
                                size_t len = (m.len - at) % 32;
                                memcpy(slice, m.data + at, len);
                                buf_append(&m, slice, len);
                        }
                        }
                }
                assert_int_equal(LLVMFuzzerTestOneInput((const uint8_t *) m.data, m.len), 0);
                buf_done(&m);
        }
        for (size_t i = 0; i < n; i++)
                buf_done(&inputs[i]);
        buf_done(&dir);
}
