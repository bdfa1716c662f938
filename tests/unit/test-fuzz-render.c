/* SPDX-License-Identifier: MIT */
/* Replays tests/fuzz/corpus/render/ through the fuzz-render target, plus deterministic mutations
 * (fuzz-replay.h), so `make check-unit` exercises the fuzzer without libFuzzer. */
#define FUZZ_NO_MAIN
#include "../fuzz/fuzz-render.c"

#include "fuzz-replay.h"

static void test_corpus(void **state) {
        static const char alphabet[] = "<>&\"'%\\/\n\0?=.@";
        (void) state;
        fuzz_replay("render", alphabet, sizeof alphabet - 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_corpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
