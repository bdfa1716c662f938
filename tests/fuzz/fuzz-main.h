/* SPDX-License-Identifier: MIT */
/* The stdin/file driver of a fuzz target: without libFuzzer (FUZZ_LIBFUZZER) the target is a
 * plain program that runs each file named on the command line, or stdin, through
 * LLVMFuzzerTestOneInput(), so a crash found by the fuzzer reproduces with any build. Include at
 * the end of the target. FUZZ_NO_MAIN leaves it out (the unit tests replay corpora themselves). */
#pragma once

#if !defined(FUZZ_LIBFUZZER) && !defined(FUZZ_NO_MAIN)
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

static void fuzz_run_file(FILE *f) {
        Buf b = {};
        char chunk[4096];
        size_t n;

        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
                buf_append(&b, chunk, n);
        (void) LLVMFuzzerTestOneInput((const uint8_t *) (b.data ? b.data : ""), b.len);
        buf_done(&b);
}

int main(int argc, char *argv[]) {
        if (argc < 2)
                fuzz_run_file(stdin);
        for (int i = 1; i < argc; i++) {
                FILE *f = fopen(argv[i], "re");
                if (!f) {
                        perror(argv[i]);
                        return EXIT_FAILURE;
                }
                fuzz_run_file(f);
                (void) fclose(f);
        }
        return EXIT_SUCCESS;
}
#endif
