/* SPDX-License-Identifier: MIT */
/* `exposured baseline`: one scan over the bus (as `exposured scan`, and as the daemon scores:
 * the running systemd's table, no --security-policy), then unit_policy_format_baseline() writes
 * the file. Services listed are what the daemon watches: every loaded .service, oneshot ones
 * included. It only reads: nothing is installed or reloaded. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "bus-scan.h"
#include "cli.h"
#include "cmd-baseline.h"
#include "log.h"
#include "score.h"
#include "unit-policy.h"
#include "util.h"
#include "version.h"

static void help(void) {
        printf("Usage: exposured baseline [OPTIONS] [UNIT...]\n\n"
               "Print a unit policy that accepts today's state exactly: for each service its\n"
               "exposure as max_exposure= and each failing check as accept=. Installed as\n"
               "%s/NAME.conf (then `systemctl reload exposured`), every service\n"
               "is ok, and anything worse than today is over policy.\n\n"
               "  -h --help           Show this help\n"
               "     --version        Show the version\n"
               "     --reason=TEXT    The reason= of the waivers (default: \"baseline of DATE\")\n"
               "     --bus=ADDRESS    Talk to the manager on this D-Bus address\n\n"
               "Without UNIT: every loaded service, oneshot ones included (the daemon watches\n"
               "them all).\n",
               POLICY_DIR_DEFAULT);
}

int cmd_baseline(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "reason", required_argument, NULL, 'r' },
                { "bus", required_argument, NULL, 'b' },
                {},
        };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(bus_scan_freep) BusScan *scan = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ PolicyBaselineUnit *entries = NULL;
        _cleanup_free_ ScoreReport *reports = NULL;
        _cleanup_free_ char *reason_buf = NULL, *comment = NULL, *text = NULL;
        const char *reason = NULL, *address = NULL;
        const BusScanUnit *units;
        unsigned version = 0;
        size_t n_units, n = 0;
        bool failed = false;
        char today[32];
        Buf out = {};
        int c, r;

        log_set_target("stderr");
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'V':
                        printf("exposured %s\n", EXPOSURED_VERSION);
                        return EXIT_SUCCESS;
                case 'r':
                        reason = optarg;
                        break;
                case 'b':
                        address = optarg;
                        break;
                default:
                        (void) cli_option_error("baseline", argv);
                        return EXIT_USAGE;
                }
        if (reason && (isempty(reason) || strlen(reason) > POLICY_REASON_MAX ||
                       strpbrk(reason, "\n\r"))) {
                log_error("--reason= must be one line of 1..%u bytes.", POLICY_REASON_MAX);
                return EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *m = NULL;

                if (cli_service_name(argv[i], false, &m) < 0)
                        return EXIT_USAGE;
                strv_push(&names, m);
        }

        {
                time_t t = time(NULL);
                struct tm tm;
                if (!gmtime_r(&t, &tm) || strftime(today, sizeof today, "%Y-%m-%d", &tm) == 0)
                        (void) snprintf(today, sizeof today, "today");
        }
        if (!reason) {
                if (asprintf(&reason_buf, "baseline of %s: accepted as found", today) < 0)
                        abort();
                reason = reason_buf;
        }

        r = bus_scan_open(address, true, &bus);
        if (r >= 0)
                r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error_errno(r, "Failed to query the service manager: %m");
                return EXIT_FAILURE;
        }
        if (cli_run_scan(bus, event, 0, BUS_SCAN_TIMEOUT_DEFAULT_USEC, names, &scan) < 0)
                return EXIT_FAILURE;
        if (bus_scan_parse_version(bus_scan_version(scan), &version) < 0) {
                log_error("Cannot parse the service manager's version '%s'.",
                          bus_scan_version(scan));
                return EXIT_FAILURE;
        }

        const ScoreTable *table = score_table_for_version(version);
        units = bus_scan_units(scan, &n_units);
        entries = xcalloc(n_units ? n_units : 1, sizeof(PolicyBaselineUnit));
        reports = xcalloc(n_units ? n_units : 1, sizeof(ScoreReport));
        for (size_t i = 0; i < n_units; i++) {
                const BusScanUnit *u = &units[i];
                _cleanup_free_ char *name = cli_printable(u->name);

                if (u->error < 0) {
                        log_error_errno(u->error, "Failed to get unit properties of %s: %m",
                                        name);
                        failed = true;
                        continue;
                }
                if (!streq_ptr(u->props.load_state, "loaded") || !u->props.id ||
                    !endswith(u->props.id, ".service")) {
                        if (names) {
                                log_error("Unit %s not loaded, cannot analyze.", name);
                                failed = true;
                        }
                        continue;
                }
                if (score_unit(table, NULL, &u->props, &reports[n]) < 0) {
                        log_error("Failed to score %s.", name);
                        failed = true;
                        continue;
                }
                entries[n] = (PolicyBaselineUnit) { u->props.id, &reports[n] };
                n++;
        }
        if (asprintf(&comment, "Generated by `exposured baseline` on %s, systemd %s, %zu "
                     "services.", today, bus_scan_version(scan), n) < 0)
                abort();
        unit_policy_format_baseline(entries, n, comment, reason, &out);
        text = buf_steal(&out);
        if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
                log_error_errno(errno, "Failed to write the output: %m");
                failed = true;
        }
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
