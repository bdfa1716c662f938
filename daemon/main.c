/* SPDX-License-Identifier: MIT */
/* exposured: entry point. Picks the subcommand and hands over to it: run (the daemon, also the
 * default), scan (one-shot scoring), history and events (the stored history), fleet (the fleet
 * dashboard over Prometheus), suggest (fix plans). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-baseline.h"
#include "cmd-fleet.h"
#include "cmd-history.h"
#include "cmd-run.h"
#include "cmd-scan.h"
#include "cmd-suggest.h"
#include "util.h"
#include "version.h"

static int usage(void) {
        printf("Usage: exposured [COMMAND] [OPTIONS]\n\n"
               "Commands:\n"
               "  run        Watch every service, keep the history, serve HTTP (the default)\n"
               "  scan       Score services once, like systemd-analyze security\n"
               "  history    Show one unit's stored changes\n"
               "  events     Show regressions, improvements and other events\n"
               "  fleet      Serve the fleet dashboard from Prometheus\n"
               "  suggest    Propose unit-file lines that lower a service's exposure\n"
               "  baseline   Print a unit policy that accepts today's state exactly\n\n"
               "  exposured COMMAND --help shows a command's options.\n"
               "  --version  Show the version\n\n"
               "Exit status: 0 success, 1 failure (or, for scan, a unit above --threshold),\n"
               "2 usage error.\n");
        return EXIT_SUCCESS;
}

#if defined(__SANITIZE_ADDRESS__)
#  define SANITIZED 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define SANITIZED 1
#  endif
#endif

/* The exit of main(). Only a SANITIZE=1 build differs: LeakSanitizer's check at exit stops the
 * process with ptrace(), which the shipped units' SystemCallFilter= denies (ptrace is not in
 * @system-service), so every stop of the service ended in "LeakSanitizer has encountered a fatal
 * error" and exit status 1: a failed unit where the real build exits 0. Started by systemd
 * (INVOCATION_ID set), a sanitized build leaves by _exit(), which skips only that check; ASan's
 * and UBSan's own checks ran while it worked. From a shell or a test (`exposured run` in a
 * container, every CLI verb), leaks are checked as usual. */
static int finish(int status) {
#ifdef SANITIZED
        if (getenv("INVOCATION_ID")) {
                (void) fflush(NULL);
                _exit(status);
        }
#endif
        return status;
}

static int dispatch(int argc, char *argv[]) {
        static const struct {
                const char *name;
                int (*main)(int argc, char **argv);
        } commands[] = {
                { "run", cmd_run },
                { "scan", cmd_scan },
                { "history", cmd_history },
                { "events", cmd_events },
                { "fleet", cmd_fleet },
                { "suggest", cmd_suggest },
                { "baseline", cmd_baseline },
        };

        if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h")))
                return usage();
        if (argc >= 2 && streq(argv[1], "--version")) {
                printf("exposured %s\n", EXPOSURED_VERSION);
                return EXIT_SUCCESS;
        }
        if (argc >= 2 && argv[1][0] != '-') {
                for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                        if (streq(argv[1], commands[i].name))
                                return commands[i].main(argc - 1, argv + 1);
                fprintf(stderr, "Unknown command '%s' (see exposured --help).\n", argv[1]);
                return EXIT_USAGE;
        }
        /* No command: run the daemon, options included (`exposured --db=...`). */
        return cmd_run(argc, argv);
}

int main(int argc, char *argv[]) {
        return finish(dispatch(argc, argv));
}
