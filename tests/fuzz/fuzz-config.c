/* SPDX-License-Identifier: MIT */
/* Fuzz target for config_parse(): any bytes must give 0 or -errno with a message, never a crash,
 * a leak or a half-applied Config; whatever parses must survive config_format() -> config_parse()
 * unchanged. Built as a libFuzzer target (clang -fsanitize=fuzzer -DFUZZ_LIBFUZZER) or, without
 * that define, as a driver that runs each file named on the command line (or stdin) once. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Config *c = config_new(), *d = config_new();
        char *before = config_format(c);
        ConfigError e = {};
        int r;

        r = config_parse(c, (const char *) data, size, &e);
        if (r < 0) {
                /* Failed: a message, and the Config untouched. */
                assert(e.message);
                char *after = config_format(c);
                assert(strcmp(before, after) == 0);
                free(after);
        } else {
                /* Parsed: the formatted result parses to the same thing. */
                char *t = config_format(c);
                r = config_parse(d, t, strlen(t), &e);
                assert(r == 0);
                char *t2 = config_format(d);
                assert(strcmp(t, t2) == 0);
                free(t);
                free(t2);
                (void) config_validate(c, &e);
        }
        config_error_done(&e);
        free(before);
        config_free(c);
        config_free(d);
        return 0;
}

#ifndef FUZZ_LIBFUZZER
static void run_file(FILE *f) {
        size_t cap = CONFIG_FILE_MAX + 2, len = 0, n;
        uint8_t *buf = malloc(cap);
        if (!buf)
                abort();
        while (len < cap && (n = fread(buf + len, 1, cap - len, f)) > 0)
                len += n;
        (void) LLVMFuzzerTestOneInput(buf, len);
        free(buf);
}

int main(int argc, char **argv) {
        if (argc < 2)
                run_file(stdin);
        for (int i = 1; i < argc; i++) {
                FILE *f = fopen(argv[i], "re");
                if (!f) {
                        perror(argv[i]);
                        return 1;
                }
                run_file(f);
                (void) fclose(f);
        }
        return 0;
}
#endif
