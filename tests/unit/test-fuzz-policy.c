/* SPDX-License-Identifier: MIT */
/* Replays tests/fuzz/corpus/policy/ through the fuzz-policy target, then 3000 deterministic
 * mutations of it (xorshift, fixed seed: failures reproduce), so `make check-unit` exercises the
 * fuzzer without libFuzzer. */
#define FUZZ_NO_MAIN
#include "../fuzz/fuzz-policy.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static void test_corpus(void **state) {
        const char *top = getenv("TOP");
        Buf dir = {}, inputs[64] = {};
        size_t n = 0;
        DIR *d;
        struct dirent *de;
        (void) state;

        buf_puts(&dir, top ? top : ".");
        buf_puts(&dir, "/tests/fuzz/corpus/policy");
        d = opendir(dir.data);
        assert_non_null(d);
        while ((de = readdir(d)) && n < ELEMENTSOF(inputs)) {
                Buf p = {};
                FILE *f;
                char chunk[4096];
                size_t k;

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
                const Buf *src = &inputs[next() % n];
                Buf m = {};
                buf_append(&m, src->data, src->len);
                for (unsigned k = 0, edits = 1 + (unsigned) (next() % 8); k < edits && m.len; k++) {
                        size_t at = next() % m.len;
                        switch (next() % 3) {
                        case 0:
                                m.data[at] = (char) next();
                                break;
                        case 1:
                                m.data[at] = "{}[]:,\"\\0-.eE u"[next() % 15];
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_corpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
