/* SPDX-License-Identifier: MIT */
/* Replays tests/fuzz/corpus/policy/ through the fuzz-policy target, plus deterministic mutations
 * (fuzz-replay.h), so `make check-unit` exercises the fuzzer without libFuzzer. */
#define FUZZ_NO_MAIN
#include "../fuzz/fuzz-policy.c"

#include "fuzz-replay.h"

static void test_corpus(void **state) {
        static const char alphabet[] = "{}[]:,\"\\0-.eE u";
        (void) state;
        fuzz_replay("policy", alphabet, sizeof alphabet - 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_corpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
