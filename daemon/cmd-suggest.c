/* SPDX-License-Identifier: MIT */
/* `exposured suggest`: the fix plan of one service (plan.c) as a table, a drop-in and the commands
 * that apply it, or as JSON; without a unit, the services where a safe plan of at most five lines
 * gains the most. It reads the unit from the manager over D-Bus (bus-scan) and, as root, looks at
 * the unit's running processes in /proc (socket families, effective capabilities, writable and
 * executable mappings, user namespaces) so that the plan keeps what they use. It never writes
 * the drop-in itself: applying is the admin's step. The sandboxed daemon never looks at /proc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-props.h"
#include "bus-scan.h"
#include "cleanup.h"
#include "cli.h"
#include "cmd-suggest.h"
#include "log.h"
#include "plan.h"
#include "render-plan.h"
#include "score.h"
#include "util.h"
#include "version.h"

#define FLEET_STEPS 5
#define FLEET_ROWS 20
#define PIDS_MAX 4096
#define SOCKETS_MAX 65536

typedef struct SuggestArgs {
        bool json, pretty, dropin_only, runtime, greedy;
        unsigned target;        /* tenths */
        PlanRisk max_risk;
        bool max_risk_set;
        size_t steps;
        const char *unit;
} SuggestArgs;

static void help(void) {
        printf("Usage: exposured suggest [OPTIONS] [UNIT]\n\n"
               "Propose unit-file lines that lower a service's exposure, in order, with the\n"
               "exposure after each (computed by the scorer, as systemd-analyze security would\n"
               "print it) and the risk of each.\n\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --target=EXPOSURE Stop once the exposure is at or below this (0.0..10.0)\n"
               "     --max-risk=CLASS  safe, may-break (the default for a unit) or breaks\n"
               "     --steps=N         At most N lines (default: as many as lower the exposure)\n"
               "     --json[=pretty]   The plan as JSON\n"
               "     --dropin          Print only the drop-in\n"
               "     --greedy          Plain greedy order (no look-ahead)\n"
               "     --no-runtime      Do not look at the running processes (as root)\n\n"
               "Without UNIT: the services where a plan of at most %d lines (default class\n"
               "safe) gains the most.\n", FLEET_STEPS);
}

static int parse_args(int argc, char *argv[], SuggestArgs *a) {
        enum {
                ARG_TARGET = 0x100,
                ARG_MAX_RISK,
                ARG_STEPS,
                ARG_JSON,
                ARG_DROPIN,
                ARG_GREEDY,
                ARG_NO_RUNTIME,
                ARG_VERSION,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "target", required_argument, NULL, ARG_TARGET },
                { "max-risk", required_argument, NULL, ARG_MAX_RISK },
                { "steps", required_argument, NULL, ARG_STEPS },
                { "json", optional_argument, NULL, ARG_JSON },
                { "dropin", no_argument, NULL, ARG_DROPIN },
                { "greedy", no_argument, NULL, ARG_GREEDY },
                { "no-runtime", no_argument, NULL, ARG_NO_RUNTIME },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        uint64_t v;
        int c;

        *a = (SuggestArgs) { .runtime = true, .max_risk = PLAN_RISK_MAY_BREAK };
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_TARGET:
                        if (plan_exposure_from_string(optarg, &a->target) < 0)
                                return log_error_errno(EINVAL, "Invalid --target=%s: expected an "
                                                               "exposure from 0.0 to 10.0.",
                                                       optarg);
                        break;
                case ARG_MAX_RISK:
                        a->max_risk = plan_risk_from_string(optarg);
                        if (a->max_risk < 0)
                                return log_error_errno(EINVAL, "Unknown risk class '%s': expected "
                                                               "safe, may-break or breaks.",
                                                       optarg);
                        a->max_risk_set = true;
                        break;
                case ARG_STEPS:
                        if (parse_uint(optarg, 1000, &v) < 0 || v == 0)
                                return log_error_errno(EINVAL, "Invalid --steps=%s: expected 1 "
                                                               "to 1000.", optarg);
                        a->steps = (size_t) v;
                        break;
                case ARG_JSON:
                        if (cli_parse_json(optarg, &a->json, &a->pretty) < 0)
                                return -EINVAL;
                        break;
                case ARG_DROPIN:
                        a->dropin_only = true;
                        break;
                case ARG_GREEDY:
                        a->greedy = true;
                        break;
                case ARG_NO_RUNTIME:
                        a->runtime = false;
                        break;
                case ARG_VERSION:
                        printf("exposured %s\n", EXPOSURED_VERSION);
                        return 0;
                default:
                        return cli_option_error("suggest", argv);
                }
        if (optind + 1 < argc)
                return log_error_errno(EINVAL, "Too many arguments: suggest takes one unit.");
        a->unit = optind < argc ? argv[optind] : NULL;
        return 1;
}

/* The few properties a plan needs beyond the scan's are read synchronously from the unit's object
 * path (a CLI's handful of calls, not the daemon's hot path); a failed read leaves them out. */
#define SYSTEMD_DEST "org.freedesktop.systemd1"

/* ---- the running processes (as root) ---- */

typedef struct Sockets {
        uint64_t inode[SOCKETS_MAX];
        unsigned family[SOCKETS_MAX]; /* 0 until found in a /proc/PID/net table */
        size_t n;
} Sockets;

static void collect_pids(const char *dir, pid_t *pids, size_t *n, unsigned depth) {
        _cleanup_free_ char *procs = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        DIR *d;
        struct dirent *de;
        long pid;

        if (asprintf(&procs, "%s/cgroup.procs", dir) < 0)
                return;
        f = fopen(procs, "re");
        if (f)
                while (*n < PIDS_MAX && fscanf(f, "%ld", &pid) == 1)
                        pids[(*n)++] = (pid_t) pid;
        if (depth >= 8)
                return;
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        _cleanup_free_ char *sub = NULL;

                        if (asprintf(&sub, "%s/%s", dir, de->d_name) >= 0)
                                collect_pids(sub, pids, n, depth + 1);
                }
        closedir(d);
}

/* Mark the sockets listed in one /proc/PID/net table (inode in column col, 0-based). */
static void match_table(pid_t pid, const char *table, unsigned col, unsigned family,
                        Sockets *s) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size = 0;

        if (asprintf(&path, "/proc/%ld/net/%s", (long) pid, table) < 0)
                return;
        f = fopen(path, "re");
        if (!f)
                return;
        if (getline(&line, &size, f) < 0) /* the header */
                return;
        while (getline(&line, &size, f) >= 0) {
                char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
                unsigned long long inode;

                for (unsigned i = 0; tok && i < col; i++)
                        tok = strtok_r(NULL, " \t\n", &save);
                if (!tok || sscanf(tok, "%llu", &inode) != 1)
                        continue;
                for (size_t i = 0; i < s->n; i++)
                        if (s->inode[i] == inode)
                                s->family[i] = family;
        }
}

static void inspect_pid(pid_t pid, const char *init_userns, PlanRuntime *rt, Sockets *s) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size = 0;
        char ns[64];
        ssize_t k;
        DIR *d;
        struct dirent *de;

        if (asprintf(&path, "/proc/%ld/status", (long) pid) < 0)
                return;
        f = fopen(path, "re");
        while (f && getline(&line, &size, f) >= 0) {
                unsigned long long caps;

                if (sscanf(line, "CapEff: %llx", &caps) == 1)
                        rt->effective_caps |= caps;
        }
        if (f)
                fclose(f);
        free(path);
        path = NULL;

        if (asprintf(&path, "/proc/%ld/maps", (long) pid) < 0)
                return;
        f = fopen(path, "re");
        while (f && getline(&line, &size, f) >= 0) {
                char perms[8];

                if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x')
                        rt->write_exec = true;
        }
        free(path);
        path = NULL;

        if (asprintf(&path, "/proc/%ld/ns/user", (long) pid) < 0)
                return;
        k = readlink(path, ns, sizeof ns - 1);
        if (k > 0) {
                ns[k] = '\0';
                if (init_userns && !streq(ns, init_userns))
                        rt->user_namespace = true;
        }
        free(path);
        path = NULL;

        if (asprintf(&path, "/proc/%ld/fd", (long) pid) < 0)
                return;
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d)) && s->n < SOCKETS_MAX) {
                char target[64];
                unsigned long long inode;
                int fd = dirfd(d);

                k = readlinkat(fd, de->d_name, target, sizeof target - 1);
                if (k <= 0)
                        continue;
                target[k] = '\0';
                if (sscanf(target, "socket:[%llu]", &inode) == 1)
                        s->inode[s->n++] = inode;
        }
        closedir(d);

        /* The tables of the process's network namespace; a socket in none of them keeps
         * family 0, which the planner cannot name (so it proposes no family list). */
        match_table(pid, "unix", 6, 1, s);
        match_table(pid, "tcp", 9, 2, s);
        match_table(pid, "udp", 9, 2, s);
        match_table(pid, "raw", 9, 2, s);
        match_table(pid, "tcp6", 9, 10, s);
        match_table(pid, "udp6", 9, 10, s);
        match_table(pid, "raw6", 9, 10, s);
        match_table(pid, "netlink", 9, 16, s);
        match_table(pid, "packet", 8, 17, s);
}

/* What the unit's processes hold. Returns 1 with *ret filled, 0 when there is nothing to look at
 * (not root, not running), <0 on errors worth no more than a debug line. */
static int inspect_runtime(sd_bus *bus, const char *path, PlanRuntime *ret) {
        static const char *const roots[] = {
                "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd",
        };
        _cleanup_free_ char *cg = NULL, *dir = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ Sockets *s = NULL;
        char init_userns[64];
        PlanRuntime rt = {};
        uint32_t main_pid = 0;
        size_t n = 0;
        ssize_t k;
        int r;

        if (geteuid() != 0)
                return 0;
        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, BUS_PROP_SERVICE_INTERFACE,
                                       "ControlGroup", NULL, &cg);
        if (r < 0)
                return r;
        if (isempty(cg))
                return 0;
        /* The unit's cgroup in the unified hierarchy (cgroup v2), else in the hybrid layout's
         * unified or named systemd hierarchy (cgroup v1 hosts, and containers on them). */
        for (size_t i = 0; i < ELEMENTSOF(roots) && !dir; i++) {
                _cleanup_free_ char *d = NULL, *procs = NULL;

                if (asprintf(&d, "%s%s", roots[i], cg) < 0 ||
                    asprintf(&procs, "%s/cgroup.procs", d) < 0)
                        return -ENOMEM;
                if (access(procs, F_OK) >= 0)
                        dir = TAKE_PTR(d);
        }
        if (!dir)
                return 0;
        pids = xcalloc(PIDS_MAX, sizeof(pid_t));
        collect_pids(dir, pids, &n, 0);
        if (n == 0)
                return 0;
        /* The bus may be another PID namespace's manager (a container's, through
         * DBUS_SYSTEM_BUS_ADDRESS): its cgroup paths then name our own units of the same name.
         * The main PID it reports must be one of the processes we found, or we look at none. */
        if (sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path, BUS_PROP_SERVICE_INTERFACE,
                                        "MainPID", NULL, 'u', &main_pid) >= 0 &&
            main_pid > 0) {
                bool found = false;

                for (size_t i = 0; i < n && !found; i++)
                        found = pids[i] == (pid_t) main_pid;
                if (!found)
                        return -ESRCH;
        }

        k = readlink("/proc/1/ns/user", init_userns, sizeof init_userns - 1);
        if (k > 0)
                init_userns[k] = '\0';
        s = xcalloc(1, sizeof(Sockets));
        for (size_t i = 0; i < n; i++) {
                size_t first = s->n;

                inspect_pid(pids[i], k > 0 ? init_userns : NULL, &rt, s);
                for (size_t j = first; j < s->n; j++)
                        rt.families |= UINT64_C(1) << (s->family[j] < 64 ? s->family[j] : 0);
        }
        *ret = rt;
        return 1;
}

/* ---- the command ---- */

static int write_out(Buf *out) {
        _cleanup_free_ char *text = buf_steal(out);

        if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
                return log_error_errno(errno, "Failed to write the output: %m");
        return 0;
}

static int suggest_unit(sd_bus *bus, sd_event *event, const SuggestArgs *a) {
        _cleanup_(bus_scan_freep) BusScan *scan = NULL;
        _cleanup_(strv_freep) char **names = NULL, **state = NULL, **cache = NULL, **logs = NULL,
                **dropins = NULL;
        _cleanup_free_ char *name = NULL, *shown = NULL, *path = NULL;
        PlanRuntime runtime;
        bool have_runtime = false;
        const BusScanUnit *u;
        ScoreRelease version;
        size_t n_units;
        Plan plan;
        Buf out = {};
        int r;

        shown = cli_printable(a->unit);
        r = cli_service_name(a->unit, false, &name);
        if (r < 0)
                return r;

        strv_push(&names, name);
        if (cli_run_scan(bus, event, 0, 0, names, &scan) < 0)
                return -EIO;
        u = bus_scan_units(scan, &n_units);
        if (n_units != 1)
                return log_error_errno(EIO, "Failed to read unit %s.", shown);
        if (u->error < 0)
                return log_error_errno(u->error, "Failed to get unit properties of %s: %s", shown,
                                       u->error_message ? u->error_message
                                                        : strerror(-u->error));
        if (streq_ptr(u->props.load_state, "not-found"))
                return log_error_errno(ENOENT, "Unit %s not found.", shown);
        if (streq_ptr(u->props.load_state, "masked"))
                return log_error_errno(EINVAL, "Unit %s is masked.", shown);
        if (!streq_ptr(u->props.load_state, "loaded"))
                return log_error_errno(EINVAL, "Unit %s is not loaded properly.", shown);
        if (score_release_parse(bus_scan_version(scan), &version) < 0)
                return log_error_errno(EINVAL, "Cannot parse the service manager's version '%s'.",
                                       bus_scan_version(scan));

        /* Optional facts: a failure leaves them out (the plan is then less specific). */
        r = bus_scan_unit_path(name, &path);
        if (r < 0)
                return log_error_errno(r, "Failed to encode the object path of %s: %m", shown);
        (void) sd_bus_get_property_strv(bus, SYSTEMD_DEST, path, BUS_PROP_SERVICE_INTERFACE,
                                        "StateDirectory", NULL, &state);
        (void) sd_bus_get_property_strv(bus, SYSTEMD_DEST, path, BUS_PROP_SERVICE_INTERFACE,
                                        "CacheDirectory", NULL, &cache);
        (void) sd_bus_get_property_strv(bus, SYSTEMD_DEST, path, BUS_PROP_SERVICE_INTERFACE,
                                        "LogsDirectory", NULL, &logs);
        (void) sd_bus_get_property_strv(bus, SYSTEMD_DEST, path, BUS_PROP_UNIT_INTERFACE,
                                        "DropInPaths", NULL, &dropins);
        if (a->runtime) {
                r = inspect_runtime(bus, path, &runtime);
                if (r < 0)
                        log_debug("Could not look at the processes of %s: %s", shown,
                                  strerror(-r));
                have_runtime = r > 0;
        }

        PlanInput in = {
                .table = score_table_for_release(version),
                .props = &u->props,
                .state_dirs = state,
                .cache_dirs = cache,
                .logs_dirs = logs,
                .runtime = have_runtime ? &runtime : NULL,
        };
        PlanOptions o = {
                .max_risk = a->max_risk,
                .target = a->target,
                .max_steps = a->steps,
                .lookahead = !a->greedy,
        };
        r = plan_unit(&in, &o, &plan);
        if (r < 0)
                return log_error_errno(r, "Cannot plan %s: the scorer refuses the unit.", shown);

        if (a->dropin_only) {
                _cleanup_free_ char *d = plan_dropin(&plan);

                buf_puts(&out, d ? d : "");
        } else if (a->json) {
                r = render_plan_json(u->props.id ? u->props.id : name, &plan, a->max_risk,
                                     plan_dropin_name(dropins), a->pretty, &out);
                buf_putc(&out, '\n');
        } else
                render_plan_text(u->props.id ? u->props.id : name, &plan, a->max_risk,
                                 plan_dropin_name(dropins), &out);
        plan_done(&plan);
        if (r < 0)
                return log_error_errno(r, "Failed to render the plan: %m");
        return write_out(&out);
}

static int fleet_gain_cmp(const void *x, const void *y) {
        const PlanFleetEntry *a = x, *b = y;
        unsigned ga = a->plan.exposure - (a->plan.n_steps ? a->plan.steps[a->plan.n_steps - 1].exposure
                                                         : a->plan.exposure);
        unsigned gb = b->plan.exposure - (b->plan.n_steps ? b->plan.steps[b->plan.n_steps - 1].exposure
                                                         : b->plan.exposure);

        if (ga != gb)
                return ga < gb ? 1 : -1;
        return strcmp(a->unit, b->unit);
}

static int suggest_fleet(sd_bus *bus, sd_event *event, const SuggestArgs *a) {
        _cleanup_(bus_scan_freep) BusScan *scan = NULL;
        _cleanup_free_ PlanFleetEntry *e = NULL;
        const BusScanUnit *units;
        const ScoreTable *table;
        ScoreRelease version;
        size_t n_units, n = 0;
        Buf out = {};
        int r = 0;

        if (cli_run_scan(bus, event, 0, 0, NULL, &scan) < 0)
                return -EIO;
        if (score_release_parse(bus_scan_version(scan), &version) < 0)
                return log_error_errno(EINVAL, "Cannot parse the service manager's version '%s'.",
                                       bus_scan_version(scan));
        table = score_table_for_release(version);
        units = bus_scan_units(scan, &n_units);
        e = xcalloc(n_units ? n_units : 1, sizeof(PlanFleetEntry));
        for (size_t i = 0; i < n_units; i++) {
                const UnitProps *p = &units[i].props;
                PlanInput in = { .table = table, .props = p };
                PlanOptions o = {
                        .max_risk = a->max_risk_set ? a->max_risk : PLAN_RISK_SAFE,
                        .target = a->target,
                        .max_steps = a->steps ? a->steps : FLEET_STEPS,
                        .lookahead = !a->greedy,
                };

                if (units[i].error < 0 || !streq_ptr(p->load_state, "loaded") ||
                    streq_ptr(p->type, "oneshot"))
                        continue;
                if (plan_unit(&in, &o, &e[n].plan) < 0)
                        continue;
                e[n].unit = p->id ? p->id : units[i].name;
                n++;
        }
        qsort(e, n, sizeof(*e), fleet_gain_cmp);
        if (a->json) {
                r = render_plan_fleet_json(e, n < FLEET_ROWS ? n : FLEET_ROWS, a->pretty, &out);
                buf_putc(&out, '\n');
        } else
                render_plan_fleet_text(e, n < FLEET_ROWS ? n : FLEET_ROWS, &out);
        for (size_t i = 0; i < n; i++)
                plan_done(&e[i].plan);
        if (r < 0)
                return log_error_errno(r, "Failed to render the plans: %m");
        return write_out(&out);
}

int cmd_suggest(int argc, char *argv[]) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        SuggestArgs a;
        int r;

        log_set_target("stderr");
        r = parse_args(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

        r = sd_bus_default_system(&bus);
        if (r < 0) {
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
        r = a.unit ? suggest_unit(bus, event, &a) : suggest_fleet(bus, event, &a);
        return r < 0 ? 1 : 0;
}
