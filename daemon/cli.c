/* SPDX-License-Identifier: MIT */
/* cli: what every verb shares (see cli.h): usage errors in one wording, --json= modes, unit
 * arguments, a scan run to completion. Logs to the verb's target; never writes stdout. */
#include <errno.h>
#include <getopt.h>

#include "buf.h"
#include "cleanup.h"
#include "cli.h"
#include "log.h"
#include "render.h"
#include "unit-name.h"
#include "util.h"

char *cli_printable(const char *s) {
        Buf b = {};

        (void) render_text_escape(&b, s, NULL);
        return buf_steal(&b);
}

int cli_option_error(const char *verb, char *const argv[]) {
        if (optopt > 0 && optopt < 0x100)
                return log_error_errno(EINVAL, "Unknown option: -%c (see exposured %s --help)",
                                       optopt, verb);
        return log_error_errno(EINVAL, "Unknown or incomplete option: %s (see exposured %s "
                                       "--help)", argv[optind - 1], verb);
}

int cli_parse_json(const char *arg, bool *ret_json, bool *ret_pretty) {
        bool pretty = arg && streq(arg, "pretty");

        if (arg && !pretty && !streq(arg, "short") && !streq(arg, "off"))
                return log_error_errno(EINVAL, "Unknown --json= mode: %s", arg);
        *ret_json = !arg || !streq(arg, "off");
        *ret_pretty = pretty;
        return 0;
}

int cli_service_name(const char *arg, bool allow_template, char **ret) {
        _cleanup_free_ char *m = NULL, *shown = cli_printable(arg);
        int r;

        r = unit_name_mangle(arg, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to mangle unit name '%s': %m", shown);
        if (!endswith(m, ".service"))
                return log_error_errno(EINVAL, "Unit %s is not a service unit, refusing.", shown);
        if (!allow_template && unit_name_is_template(m))
                return log_error_errno(EINVAL, "Unit %s is a template; name an instance.",
                                       shown);
        *ret = TAKE_PTR(m);
        return 0;
}

typedef struct ScanWait {
        bool done;
        int error;
} ScanWait;

static void on_scan_done(BusScan *s, int error, void *userdata) {
        ScanWait *w = userdata;

        (void) s;
        w->done = true;
        w->error = error;
}

int cli_run_scan(sd_bus *bus, sd_event *event, unsigned in_flight, uint64_t timeout_usec,
                 char *const *names, BusScan **ret) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        ScanWait w = {};
        int r;

        r = bus_scan_new(bus, in_flight, timeout_usec, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the scan: %m");
        r = bus_scan_start(s, names, on_scan_done, &w);
        if (r < 0)
                return log_error_errno(r, "Failed to talk to the service manager: %m");
        while (!w.done) {
                r = sd_event_run(event, UINT64_MAX);
                if (r < 0)
                        return log_error_errno(r, "Event loop failed: %m");
        }
        if (w.error < 0 || !bus_scan_version(s))
                return log_error_errno(w.error < 0 ? w.error : -EIO,
                                       "Failed to query the service manager: %m");
        *ret = TAKE_PTR(s);
        return 0;
}
