/* SPDX-License-Identifier: MIT */
/* exposured: entry point. Parses the subcommand and hands over to it. */
#include <stdio.h>

int main(int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        (void) fputs("exposured: not yet\n", stderr);
        return 1;
}
