/* SPDX-License-Identifier: MIT */
/* `exposured scan [OPTIONS] [UNIT...]`: one-shot scoring of services, the way
 * `systemd-analyze security` does it, from the same D-Bus data, without the daemon.
 *
 * Which units:
 *   - No UNIT: exactly the set `systemd-analyze security` lists: ListUnits, ids ending in
 *     ".service", sorted with strcmp, LoadState=loaded only, Type=oneshot skipped. --all keeps the
 *     oneshot services too (marked "oneshot": true, TYPE column "oneshot").
 *   - UNIT...: each name mangled like systemctl does ("foo" -> "foo.service"); a name that is not a
 *     service is refused before anything is read ("Unit X is not a service unit, refusing.");
 *     a template "foo@.service" is analyzed as the instance the running systemd-analyze would use
 *     (foo@test-instance.service before v257, foo@test_instance.service from v257). A unit that is
 *     not loaded yet is loaded on demand by the property reads, as systemd-analyze does; an alias
 *     reports its real unit (the Id property), also as systemd-analyze does. Oneshot services are
 *     scored when named. A unit that is not found, masked or failed to load is an error ("Unit X
 *     not found, cannot analyze.", ...): the other units are still printed and the exit status
 *     is 1, as with systemd-analyze.
 *
 * JSON contract (--json): ONE array, one object per unit, in the order above:
 *   { "unit": "foo.service",        the canonical id
 *     "exposure": 9.6,              a JSON number with one decimal, 0.0 .. 10.0
 *     "predicate": "UNSAFE",        PERFECT SAFE OK MEDIUM EXPOSED UNSAFE DANGEROUS
 *     "oneshot": false,
 *     "checks": [ {                 one per assessor of the table for this systemd version,
 *                                   in table order (systemd sorts its table by description;
 *                                   compare checks by "name")
 *         "name": "PrivateNetwork=",    \  the same values and JSON types as
 *         "json_field": "PrivateNetwork",|  `systemd-analyze security --json=short UNIT`:
 *         "set": false,                  |  set true/false/null (null = not applicable),
 *         "exposure": "0.4",             |  exposure a string like "0.4" or null (the per-row
 *         "description": "...",         /   column, null when empty), description null exactly
 *                                           when systemd prints null (partial badness, no text)
 *         "weight": 2500, "range": 1,   effective values (after --security-policy), numbers
 *         "badness": 1,                 0..range, null when not applicable
 *         "fix": "PrivateNetwork=yes" } ] }   the unit-file line that passes the check, or null
 * systemd < 250 has no --json and no json_field: for those tables json_field carries the v250 key
 * (the key --security-policy files use), so policies and consumers work the same everywhere.
 *
 * Text output: without UNIT, UNIT EXPOSURE PREDICATE (+ TYPE with --all); with UNIT, each unit's
 * check table and overall line exactly as `systemd-analyze security UNIT` prints them (bytes equal
 * on a pipe; render_text_scan_unit()), then, for two or more units, the one-line table.
 * Colour only on a terminal and never with $NO_COLOR set. Errors: one line on stderr each, exit
 * status 1 (2 for a usage error, cli.h). The exit status is also 1
 * when a unit's exposure is above --threshold (0..100, tenths, as systemd-analyze).
 *
 * --security-policy=FILE takes systemd-analyze's policy format (policy.h). Without it, the default
 * lookup of systemd-analyze runs on this machine (/etc/systemd, /run/systemd,
 * /usr/local/lib/systemd, /usr/lib/systemd: systemd-analyze-security.policy); when scanning a
 * container from the host, that is the host's policy, not the container's.
 * --systemd-version=V scores with the table of systemd V (a release such as 252.5; a bare major
 * is the release docs/versions.md models it at, 252.39 for 252) instead of the manager's version (the template instance name still follows the
 * running manager).
 *
 * --user scores the calling user's manager, found as systemd-analyze --user finds it (its private
 * socket $XDG_RUNTIME_DIR/systemd/private, else the session bus); every unit is marked
 * UnitProps.user_manager, which the 262+ tables score as the manager's user instead of root
 * (systemd#42743). --user --machine=USER@.host, as root, connects to USER's private socket in
 * /run/user/UID (systemd-analyze refuses --user with --machine= on 252 and 262; the manager's
 * answers are the same as to USER, tests/integration/test_scan_user.py). A private socket whose
 * peer is neither root nor the expected user is refused, as systemd's bus_check_peercred() does.
 *
 * --props prints, instead of scores, the selected units' properties as props_text_format()
 * writes them, framed as a user report (user-reports.h): what exposured-user@.service writes for
 * the daemon's user_managers = lingering. A unit whose values the format cannot carry is an error
 * (exit status 1) and is left out. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-scan.h"
#include "cleanup.h"
#include "cli.h"
#include "log.h"
#include "policy.h"
#include "render.h"
#include "cmd-scan.h"
#include "props-text.h"
#include "unit-name.h"
#include "user-reports.h"
#include "util.h"
#include "version.h"

/* ---- the command ---- */

typedef struct ScanArgs {
        bool json, pretty, all, stats;
        bool props;                    /* --props: the properties, not the scores */
        unsigned threshold;            /* tenths */
        const char *policy_path;       /* NULL: the default lookup */
        const char *bus_address;       /* NULL: $DBUS_SYSTEM_BUS_ADDRESS or the system bus */
        bool user;                     /* --user: a user manager */
        const char *machine_user;      /* --machine=USER@.host: that user's manager (root) */
        ScoreRelease systemd_version;  /* .major 0: the manager's */
        unsigned in_flight;            /* 0: the default */
        uint64_t timeout_usec;
        char **units;                  /* borrowed from argv */
} ScanArgs;

static void help(void) {
        printf("Usage: exposured scan [OPTIONS] [UNIT...]\n\n"
               "Score the sandboxing of services like `systemd-analyze security`, once.\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "     --json[=short|pretty|off]  One JSON array of units and their checks\n"
               "     --threshold=N          Exit 1 when a unit's exposure is above N (0..100,\n"
               "                            in tenths: 50 means 5.0)\n"
               "     --security-policy=FILE Weights/ranges/descriptions in systemd-analyze's\n"
               "                            policy format\n"
               "     --systemd-version=V    Score with the table of systemd V\n"
               "     --all                  Also oneshot services (marked)\n"
               "     --max-in-flight=N      Pending D-Bus calls at most (1..%u, default %u)\n"
               "     --timeout=SEC          Per-call D-Bus timeout (default %u)\n"
               "     --bus=ADDRESS          Talk to the manager on this D-Bus address (e.g.\n"
               "                            unix:path=/proc/PID/root/run/dbus/system_bus_socket\n"
               "                            for a container)\n"
               "     --user                 Score the services of the calling user's manager\n"
               "  -M --machine=USER@.host   With --user: the manager of USER on this host\n"
               "                            (needs root)\n"
               "     --props                Print the units' properties (the format of\n"
               "                            `systemctl show`), not their scores\n"
               "     --stats                Print call statistics to stderr\n\n"
               "Without UNIT: every loaded long-running service, as systemd-analyze lists them,\n"
               "one line each. With UNIT: each unit's check table and overall exposure, as\n"
               "`systemd-analyze security UNIT` prints them.\n"
               "The bus is --bus=, else $DBUS_SYSTEM_BUS_ADDRESS, else the system bus; with\n"
               "--user the user manager's private socket, else the session bus.\n",
               BUS_SCAN_IN_FLIGHT_MAX, BUS_SCAN_IN_FLIGHT_DEFAULT,
               BUS_SCAN_TIMEOUT_DEFAULT_USEC / 1000000U);
}

/* --machine=USER@.host (or USER@): *ret_user points into arg. Other machines are refused: a
 * container's manager is reached with --bus= (from the host, through /proc/PID/root). */
static int parse_machine(const char *arg, const char **ret_user) {
        const char *at = strchr(arg, '@');
        size_t n = at ? (size_t) (at - arg) : 0;

        if (!at || n == 0 || (!streq(at + 1, ".host") && !streq(at + 1, "")))
                return log_error_errno(EINVAL, "Unsupported --machine=%s: only USER@.host, the "
                                               "manager of a user on this host", arg);
        *ret_user = arg;
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully (--help), <0 on a usage error (already logged). */
static int parse_args(int argc, char *argv[], ScanArgs *a) {
        enum {
                ARG_JSON = 0x100,
                ARG_THRESHOLD,
                ARG_POLICY,
                ARG_VERSION,
                ARG_ALL,
                ARG_IN_FLIGHT,
                ARG_TIMEOUT,
                ARG_STATS,
                ARG_BUS,
                ARG_VERSION_INFO,
                ARG_USER,
                ARG_PROPS,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", optional_argument, NULL, ARG_JSON },
                { "threshold", required_argument, NULL, ARG_THRESHOLD },
                { "security-policy", required_argument, NULL, ARG_POLICY },
                { "systemd-version", required_argument, NULL, ARG_VERSION },
                { "all", no_argument, NULL, ARG_ALL },
                { "max-in-flight", required_argument, NULL, ARG_IN_FLIGHT },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "stats", no_argument, NULL, ARG_STATS },
                { "bus", required_argument, NULL, ARG_BUS },
                { "version", no_argument, NULL, ARG_VERSION_INFO },
                { "user", no_argument, NULL, ARG_USER },
                { "props", no_argument, NULL, ARG_PROPS },
                { "machine", required_argument, NULL, 'M' },
                {}
        };
        uint64_t v;
        int c, r;

        *a = (ScanArgs) { .threshold = 100, .timeout_usec = BUS_SCAN_TIMEOUT_DEFAULT_USEC };
        optind = 0;
        opterr = 0;
        /* Options may follow the units, as with systemd-analyze (GNU getopt permutes). */
        while ((c = getopt_long(argc, argv, "hM:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_JSON:
                        r = cli_parse_json(optarg, &a->json, &a->pretty);
                        if (r < 0)
                                return r;
                        break;
                case ARG_THRESHOLD:
                        r = parse_uint(optarg, 100, &v);
                        if (r < 0)
                                return log_error_errno(r, "Failed to parse threshold: %s "
                                                          "(expected 0..100)", optarg);
                        a->threshold = (unsigned) v;
                        break;
                case ARG_POLICY:
                        a->policy_path = optarg;
                        break;
                case ARG_VERSION:
                        r = score_release_parse(optarg, &a->systemd_version);
                        if (r < 0 || a->systemd_version.major == 0)
                                return log_error_errno(EINVAL, "Failed to parse systemd "
                                                               "version: %s", optarg);
                        /* a bare major names its usual release (252: Debian 12's 252.39) */
                        if (!strchr(optarg, '.'))
                                a->systemd_version =
                                        score_release_modelled(a->systemd_version.major);
                        break;
                case ARG_ALL:
                        a->all = true;
                        break;
                case ARG_IN_FLIGHT:
                        r = parse_uint(optarg, BUS_SCAN_IN_FLIGHT_MAX, &v);
                        if (r < 0 || v == 0)
                                return log_error_errno(EINVAL, "Failed to parse --max-in-flight: "
                                                               "%s (expected 1..%u)",
                                                       optarg, BUS_SCAN_IN_FLIGHT_MAX);
                        a->in_flight = (unsigned) v;
                        break;
                case ARG_TIMEOUT:
                        r = parse_uint(optarg, 3600, &v);
                        if (r < 0 || v == 0)
                                return log_error_errno(EINVAL, "Failed to parse --timeout: %s "
                                                               "(expected 1..3600 seconds)",
                                                       optarg);
                        a->timeout_usec = v * 1000000U;
                        break;
                case ARG_STATS:
                        a->stats = true;
                        break;
                case ARG_VERSION_INFO:
                        printf("exposured %s\n", EXPOSURED_VERSION);
                        return 0;
                case ARG_BUS:
                        if (isempty(optarg))
                                return log_error_errno(EINVAL, "--bus= needs a D-Bus address");
                        a->bus_address = optarg;
                        break;
                case ARG_USER:
                        a->user = true;
                        break;
                case ARG_PROPS:
                        a->props = true;
                        break;
                case 'M':
                        r = parse_machine(optarg, &a->machine_user);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return cli_option_error("scan", argv);
                }
        if (a->machine_user && !a->user)
                return log_error_errno(EINVAL, "--machine=%s needs --user (a system manager in "
                                               "a container: use --bus=)", a->machine_user);
        if (a->props && a->json)
                return log_error_errno(EINVAL, "--props and --json exclude each other");
        if (a->user && a->bus_address)
                return log_error_errno(EINVAL, "--user and --bus= exclude each other");
        a->units = argv + optind;
        return 1;
}

/* Mangle the arguments; refuses non-services like systemd-analyze, before any bus traffic.
 * *ret_template is set when an argument is a template (its instance name needs the version). */
static int mangle_args(char *const *units, char ***ret, bool *ret_template) {
        char **names = NULL;

        *ret_template = false;
        for (char *const *u = units; *u; u++) {
                _cleanup_free_ char *m = NULL;
                int r;

                r = cli_service_name(*u, true, &m);
                if (r < 0) {
                        strv_free(names);
                        return r;
                }
                if (unit_name_is_template(m))
                        *ret_template = true;
                strv_push(&names, m);
        }
        *ret = names;
        return 0;
}

static int load_policy(const ScanArgs *a, Policy **ret) {
        _cleanup_free_ char *path = NULL;
        unsigned line, column;
        int r;

        if (a->policy_path) {
                r = policy_load(a->policy_path, ret, &line, &column);
                if (r == -EFBIG)
                        return log_error_errno(r, "Failed to parse '%s': larger than %u bytes",
                                               a->policy_path, POLICY_SIZE_MAX);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse '%s' at %u:%u: %m",
                                               a->policy_path, line, column);
                return 0;
        }
        r = policy_load_default(NULL, ret, &path, &line, &column);
        if (r < 0)
                return log_error_errno(r, "[%s:%u:%u] Failed to parse JSON policy: %m", path,
                                       line, column);
        if (r > 0)
                log_debug("Using security policy %s.", path);
        return 0;
}

/* Name the row whose policy range is below its badness (score_unit() only says -EINVAL). */
static int report_score_error(const ScoreTable *t, const ScoreOverride *o, const UnitProps *p,
                              const char *unit) {
        _cleanup_free_ ScoreOverride *plain = xcalloc(t->n_rows, sizeof(ScoreOverride));
        ScoreReport r;

        for (size_t i = 0; i < t->n_rows; i++) {
                plain[i] = o[i];
                plain[i].has_range = false;
        }
        if (score_unit(t, plain, p, &r) < 0)
                return log_error_errno(EINVAL, "Cannot score %s: the security policy excludes "
                                               "every check.", unit);
        for (size_t i = 0; i < r.n_checks; i++)
                if (o[i].has_range && r.checks[i].badness != BADNESS_NA &&
                    r.checks[i].badness > o[i].range)
                        return log_error_errno(EINVAL, "Cannot score %s: the security policy "
                                               "sets range %" PRIu64 " for %s, below its badness "
                                               "%" PRIu64 ".", unit, o[i].range,
                                               t->rows[i].json_field ? t->rows[i].json_field
                                                                     : t->rows[i].id,
                                               r.checks[i].badness);
        return log_error_errno(EINVAL, "Cannot score %s: the security policy is inconsistent.",
                               unit);
}

/* Terminal styling as systemd-analyze decides it: colour on a terminal unless $NO_COLOR or
 * TERM=dumb; UTF-8 glyphs when the locale's charset is UTF-8, or when it is C/POSIX only because
 * nothing was set (systemd's is_locale_utf8()); emoji only on a terminal (a pipe gets the ASCII
 * smileys, as systemd-analyze prints them there). */
static TextStyle text_style(void) {
        const char *term = getenv("TERM"), *ctype;
        bool tty = isatty(STDOUT_FILENO), dumb = term && streq(term, "dumb");
        TextStyle st = { .color = tty && !getenv("NO_COLOR") && !dumb };

        ctype = setlocale(LC_CTYPE, "");
        if (!ctype || streq(nl_langinfo(CODESET), "UTF-8"))
                st.utf8 = true;
        else
                st.utf8 = (streq(ctype, "C") || streq(ctype, "POSIX")) && !getenv("LC_ALL") &&
                          !getenv("LC_CTYPE") && !getenv("LANG");
        st.emoji = st.utf8 && tty && !dumb && !(term && streq(term, "linux"));
        return st;
}

/* --bus=ADDRESS: a client connection to that bus (Hello() included), else the system bus. */
/* D-Bus address escaping (the D-Bus specification, "Server Addresses"): bytes outside
 * [-0-9A-Za-z_/.\\*] become %XX. */
static char *address_escape(const char *s) {
        static const char hex[] = "0123456789abcdef";
        Buf b = {};

        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                    (*c >= 'A' && *c <= 'Z') || strchr("-_/.\\*", *c))
                        buf_putc(&b, (char) *c);
                else {
                        buf_putc(&b, '%');
                        buf_putc(&b, hex[*c >> 4]);
                        buf_putc(&b, hex[*c & 15]);
                }
        return buf_steal(&b);
}

/* A direct (not bus-client) connection to a user manager's private socket in runtime_dir, as
 * systemd-analyze --user makes first. The peer must be root or uid, as systemd's
 * bus_check_peercred() demands: a socket another user planted is refused with -EPERM (and
 * *ret_peer says who it was); any other failure is the socket's absence or a dead manager. */
static int open_user_private(const char *runtime_dir, uid_t uid, sd_bus **ret,
                             uid_t *ret_peer) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *e = address_escape(runtime_dir), *address = NULL;
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        Buf b = {};
        uid_t peer;
        int r;

        buf_printf(&b, "unix:path=%s/systemd/private", e);
        address = buf_steal(&b);
        r = bus_scan_open(address, false, &bus);
        if (r < 0)
                return r;
        /* SO_PEERCRED itself, as bus_check_peercred(): sd-bus's owner creds would augment them
         * from /proc/PID, which fails for a peer in another PID namespace. */
        if (getsockopt(sd_bus_get_fd(bus), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        peer = cred.uid;
        if (peer != 0 && peer != uid) {
                *ret_peer = peer;
                return -EPERM;
        }
        *ret = TAKE_PTR(bus);
        return 0;
}

/* --user: the calling user's manager where systemd-analyze --user finds it: the private socket
 * under $XDG_RUNTIME_DIR, else through the user's D-Bus session bus ($DBUS_SESSION_BUS_ADDRESS,
 * else $XDG_RUNTIME_DIR/bus). --machine=USER@.host: USER's private socket in /run/user/UID,
 * which its manager lets root connect to (systemd-analyze goes through systemd-run and the
 * user's session bus instead; the manager and its answers are the same). */
static int open_user_bus(const ScanArgs *a, sd_bus **ret) {
        const char *runtime_dir = secure_getenv("XDG_RUNTIME_DIR");
        _cleanup_free_ char *user = NULL, *dir = NULL;
        struct passwd *pw;
        uid_t peer = 0;
        Buf b = {};
        int r;

        if (!a->machine_user) {
                /* As systemd-analyze: no private socket, the session bus; a private socket
                 * that belongs to someone else, an error (not a fallback). */
                r = runtime_dir ? open_user_private(runtime_dir, geteuid(), ret, &peer) : -ENOENT;
                if (r >= 0)
                        return 0;
                if (r == -EPERM) {
                        _cleanup_free_ char *shown = cli_printable(runtime_dir);

                        return log_error_errno(r, "Refusing %s/systemd/private: its peer is uid "
                                                  "%lu, neither root nor us.", shown,
                                               (unsigned long) peer);
                }
                r = sd_bus_open_user(ret);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the user manager (is "
                                                  "$XDG_RUNTIME_DIR set?): %m");
                return 0;
        }
        user = xstrndup(a->machine_user, strcspn(a->machine_user, "@"));
        errno = 0;
        pw = getpwnam(user);
        if (!pw) {
                _cleanup_free_ char *p = cli_printable(user);

                return log_error_errno(errno > 0 ? errno : ESRCH, "Unknown user '%s'%s", p,
                                       errno > 0 ? ": %m" : ".");
        }
        buf_printf(&b, "/run/user/%lu", (unsigned long) pw->pw_uid);
        dir = buf_steal(&b);
        r = open_user_private(dir, pw->pw_uid, ret, &peer);
        if (r == -EPERM)
                return log_error_errno(r, "Refusing %s/systemd/private: its peer is uid %lu, "
                                          "neither root nor user '%s'.", dir,
                                       (unsigned long) peer, user);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the manager of user '%s' at "
                                          "%s/systemd/private (is it running, e.g. lingering; "
                                          "are we root?): %m", user, dir);
        return 0;
}

/* The text output: the one-line table for the listing; for named units each unit's check table
 * and overall line, blocks separated by an empty line, and with two or more units the one-line
 * table after them, as systemd-analyze prints its overview (without its HAPPY column). */
static void render_text(const ScanEntry *entries, size_t n, const ScoreOverride *overrides,
                        const ScanArgs *a, Buf *out) {
        TextStyle st = text_style();

        if (!*a->units) {
                render_text_scan(entries, n, st.color, a->all, out);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        buf_putc(out, '\n');
                render_text_scan_unit(&entries[i], overrides, &st, out);
        }
        if (n >= 2) {
                buf_putc(out, '\n');
                render_text_scan(entries, n, st.color, false, out);
        }
}

int cmd_scan(int argc, char *argv[]) {
        /* Not flush_close: every call is answered or cancelled by now, and flushing a connection
         * that never authenticated would wait for sd-bus's 90 s authentication timeout. */
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(bus_scan_freep) BusScan *scan = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_free_ ScoreOverride *overrides = NULL;
        _cleanup_free_ ScanEntry *entries = NULL;
        _cleanup_free_ char *out_text = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        const BusScanUnit *units;
        BusScanUnit *all_units;
        const ScoreTable *table;
        unsigned running = 0;
        ScoreRelease release = {};
        ScoreTableChoice choice;
        bool failed = false, template = false;
        size_t n_units, n = 0, bad_row, n_props = 0;
        ScanArgs a;
        Buf out = {}, props = {};
        int r;

        log_set_target("stderr");
        r = parse_args(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

        if (mangle_args(a.units, &names, &template) < 0)
                return 1;
        if (load_policy(&a, &policy) < 0)
                return 1;

        if (a.user) {
                if (open_user_bus(&a, &bus) < 0)
                        return 1;
        } else
                r = bus_scan_open(a.bus_address, true, &bus);
        if (!a.user && r < 0) {
                if (a.bus_address)
                        log_error_errno(r, "Failed to connect to bus '%s': %m", a.bus_address);
                else
                        log_error_errno(r, "Failed to connect to the system bus: %m");
                return 1;
        }
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the event loop: %m");
                return 1;
        }

        /* A template's instance name depends on the running systemd: ask for the version first
         * (a scan of no units), then scan. */
        if (template) {
                static char *const none[] = { NULL };

                if (cli_run_scan(bus, event, a.in_flight, a.timeout_usec, none, &scan) < 0)
                        return 1;
                if (bus_scan_parse_version(bus_scan_version(scan), &running) < 0) {
                        log_error("Cannot parse the service manager's version '%s'.",
                                  bus_scan_version(scan));
                        return 1;
                }
                for (char **i = names; *i; i++) {
                        char *inst;

                        if (unit_name_template_instance(*i, running, &inst) > 0) {
                                free(*i);
                                *i = inst;
                        }
                }
                scan = bus_scan_free(scan);
        }

        if (cli_run_scan(bus, event, a.in_flight, a.timeout_usec, *a.units ? names : NULL,
                         &scan) < 0)
                return 1;

        if (score_release_parse(bus_scan_version(scan), &release) < 0 && !a.systemd_version.major) {
                log_error("Cannot parse the service manager's version '%s'; use "
                          "--systemd-version=.", bus_scan_version(scan));
                return 1;
        }
        /* The full release picks the table (252.5 and 252.39 differ: score-table.c). */
        score_table_choose(a.systemd_version.major ? a.systemd_version : release, &choice);
        table = choice.table;
        if (choice.checked == SCORE_CHECKED_NEWER || choice.checked == SCORE_CHECKED_OLDER)
                log_warning("systemd %u.%u is %s than every scoring table: scoring with the "
                            "table for %s, which was not checked on it.", choice.release.major,
                            choice.release.point,
                            choice.checked == SCORE_CHECKED_NEWER ? "newer" : "older",
                            table->name);

        overrides = xcalloc(table->n_rows, sizeof(ScoreOverride));
        r = policy_apply(policy, table, overrides, &bad_row);
        if (r < 0) {
                const Assessor *row = &table->rows[bad_row];

                if (r == -ERANGE)
                        log_error("Security policy: weight for %s is above %" PRIu64 ".",
                                  row->json_field, POLICY_WEIGHT_MAX);
                else
                        log_error("Security policy: range 0 for %s (ranges must be at "
                                  "least 1).", row->json_field);
                return 1;
        }

        /* Scored as a user manager's (the 262+ tables care: TABLE_QUIRK_USER_SCOPE). */
        all_units = bus_scan_units(scan, &n_units);
        for (size_t i = 0; i < n_units; i++)
                all_units[i].props.user_manager = a.user;
        units = all_units;
        entries = xcalloc(n_units ? n_units : 1, sizeof(ScanEntry));
        for (size_t i = 0; i < n_units; i++) {
                const BusScanUnit *u = &units[i];
                const UnitProps *p = &u->props;
                _cleanup_free_ char *name = cli_printable(u->name);
                bool oneshot = streq_ptr(p->type, "oneshot");

                if (u->error < 0) {
                        log_error_errno(u->error, "Failed to get unit properties of %s: %s", name,
                                        u->error_message ? u->error_message : strerror(-u->error));
                        failed = true;
                        continue;
                }
                if (!streq_ptr(p->load_state, "loaded")) {
                        if (!*a.units)
                                continue; /* listing: silently skipped, as systemd-analyze */
                        if (streq_ptr(p->load_state, "not-found"))
                                log_error("Unit %s not found, cannot analyze.", name);
                        else if (streq_ptr(p->load_state, "masked"))
                                log_error("Unit %s is masked, cannot analyze.", name);
                        else
                                log_error("Unit %s not loaded properly, cannot analyze.", name);
                        failed = true;
                        continue;
                }
                if (!*a.units && oneshot && !a.all)
                        continue;

                ScanEntry *e = &entries[n];
                e->unit = p->id ? p->id : u->name;
                e->oneshot = oneshot;
                if (score_unit(table, overrides, p, &e->report) < 0) {
                        report_score_error(table, overrides, p, name);
                        failed = true;
                        continue;
                }
                if (e->report.exposure > a.threshold)
                        failed = true;
                n++;
                if (!a.props)
                        continue;
                if (props_text_format(p, &props) < 0) {
                        log_error("Cannot write the properties of %s: a value does not fit "
                                  "the format, skipping.", name);
                        failed = true;
                        continue;
                }
                buf_putc(&props, '\n');
                n_props++;
        }

        /* JSON always prints its one array; an empty table after errors would look like "no
         * services", so it is left out. */
        if (a.props) {
                user_report_begin(&out);
                if (props.data)
                        buf_append(&out, props.data, props.len);
                user_report_end(n_props, &out);
                buf_done(&props);
        } else if (a.json)
                render_json_scan(entries, n, overrides, a.pretty, &out);
        else if (n > 0 || !failed)
                render_text(entries, n, overrides, &a, &out);
        out_text = buf_steal(&out);
        if (fputs(out_text, stdout) == EOF || fflush(stdout) != 0) {
                log_error_errno(errno, "Failed to write the output: %m");
                failed = true;
        }

        if (a.stats) {
                const BusScanStats *st = bus_scan_stats(scan);

                fprintf(stderr, "scan: %zu units read, %zu scored, %" PRIu64 " calls, %" PRIu64
                        " errors, peak %u in flight (limit %u), %.1f ms, systemd %s (table %s, checked: %s)\n",
                        n_units, n, st->n_calls, st->n_errors, st->in_flight_peak,
                        st->in_flight_max, st->elapsed_usec / 1000.0, bus_scan_version(scan),
                        table->name, score_checked_to_string(choice.checked));
        }
        return failed ? 1 : 0;
}
