/* SPDX-License-Identifier: MIT */
/* `exposured history` and `exposured events`: read the store read-only and print a table or JSON.
 * This file gathers the rows; render_text_changes() and render_json_changes() encode them (and
 * escape everything that came from the database). Limits are the store's (1..STORE_ROWS_MAX). */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "cmd-history.h"
#include "config.h"
#include "log.h"
#include "render.h"
#include "store.h"
#include "time-parse.h"
#include "unit-name.h"
#include "util.h"
#include "version.h"

#define DEFAULT_LIMIT 100

int cmd_history_parse_time(const char *s, uint64_t now_usec, uint64_t *ret) {
        return time_parse_timestamp(s, now_usec, ret);
}

typedef struct Args {
        const char *db, *config, *kinds;
        const char *user; /* a lingering user's units (--user=), NULL: the system's */
        char *unit; /* mangled, owned */
        uint64_t since, until;
        uint64_t limit;
        bool json;
} Args;

static void help(bool history) {
        if (history)
                printf("Usage: exposured history [OPTIONS] UNIT\n\n"
                       "Show one unit's stored exposure changes, newest first.\n\n");
        else
                printf("Usage: exposured events [OPTIONS]\n\n"
                       "Show regressions, improvements and other events, newest first.\n\n");
        printf("  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --since=TIME      Only rows at or after TIME\n"
               "     --until=TIME      Only rows before TIME\n"
               "     --limit=N         At most N rows (1..%u, default %u)\n"
               "     --json            One JSON array\n"
               "     --db=PATH         The database (default: the config file's db)\n"
               "     --config=PATH     The config file (default %s)\n",
               STORE_ROWS_MAX, DEFAULT_LIMIT, CONFIG_PATH_DEFAULT);
        if (history)
                printf("     --user=USER       UNIT is this lingering user's unit, not the "
                       "system's\n");
        else
                printf("     --user=USER       Only this lingering user's units' events\n"
                       "     --unit=UNIT       Only this unit's events (with --user=, the "
                       "user's unit)\n"
                       "     --kind=KIND,...   Only these kinds (%s)\n",
                       "regression, improvement, ...; see exposured(8)");
        printf("\nTIME is a systemd.time(7) timestamp: \"2026-12-01 10:00\", yesterday, -1h,\n"
               "\"2 days ago\", @UNIX-SECONDS. UNIT is mangled like systemctl: dbus is\n"
               "dbus.service.\n");
}

/* Usage errors: one line, exit status 2 (EXIT_USAGE). */
static int unknown_option(char **argv, bool history) {
        return cli_option_error(history ? "history" : "events", argv);
}

/* The unit name as systemctl mangles it, the same rule as `exposured scan` ("dbus" ->
 * "dbus.service"). */
static int set_unit(Args *a, const char *arg) {
        char *m;
        int r;

        r = unit_name_mangle(arg, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to mangle unit name '%s'.", arg);
        free(a->unit);
        a->unit = m;
        return 0;
}

/* Returns 1 to go on, 0 after --help/--version, <0 on a usage error (logged). */
static int parse_args(int argc, char **argv, bool history, Args *a) {
        static const struct option opts[] = { { "db", required_argument, NULL, 'd' },
                                              { "config", required_argument, NULL, 'c' },
                                              { "since", required_argument, NULL, 's' },
                                              { "until", required_argument, NULL, 'u' },
                                              { "limit", required_argument, NULL, 'l' },
                                              { "json", no_argument, NULL, 'j' },
                                              { "unit", required_argument, NULL, 'U' },
                                              { "kind", required_argument, NULL, 'k' },
                                              { "user", required_argument, NULL, 'w' },
                                              { "help", no_argument, NULL, 'h' },
                                              { "version", no_argument, NULL, 'V' },
                                              {} };
        uint64_t now = now_realtime_usec();
        int c, r;

        *a = (Args){ .limit = DEFAULT_LIMIT };
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(history);
                        return 0;
                case 'V':
                        printf("exposured %s\n", EXPOSURED_VERSION);
                        return 0;
                case 'd':
                        a->db = optarg;
                        break;
                case 'c':
                        a->config = optarg;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'U':
                        if (history)
                                return unknown_option(argv, history);
                        r = set_unit(a, optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'k':
                        if (history)
                                return unknown_option(argv, history);
                        a->kinds = optarg;
                        break;
                case 'w':
                        /* the API's user= rule (util.h): a name stored units can have */
                        if (!user_name_valid(optarg, strlen(optarg))) {
                                _cleanup_free_ char *shown = cli_printable(optarg);
                                return log_error_errno(EINVAL, "Failed to parse --user= '%s' "
                                                               "(expected a user name: 1 to 64 "
                                                               "of A-Za-z0-9_.-, not starting "
                                                               "with - or .).",
                                                       shown);
                        }
                        a->user = optarg;
                        break;
                case 's':
                case 'u':
                        r = time_parse_timestamp(optarg, now, c == 's' ? &a->since : &a->until);
                        if (r < 0)
                                return log_error_errno(r, "Failed to parse --%s= timestamp '%s' "
                                                          "(see systemd.time(7)).",
                                                       c == 's' ? "since" : "until", optarg);
                        break;
                case 'l':
                        if (parse_uint(optarg, STORE_ROWS_MAX, &a->limit) < 0 || a->limit == 0)
                                return log_error_errno(EINVAL, "Failed to parse --limit= '%s' "
                                                               "(expected 1..%u).",
                                                       optarg, STORE_ROWS_MAX);
                        break;
                default:
                        return unknown_option(argv, history);
                }
        if (history) {
                if (optind + 1 != argc)
                        return log_error_errno(EINVAL, "%s (see exposured history --help).",
                                               optind == argc ? "Missing UNIT"
                                                              : "Too many arguments");
                r = set_unit(a, argv[optind]);
                if (r < 0)
                        return r;
        } else if (optind != argc)
                return log_error_errno(EINVAL, "Too many arguments (see exposured events "
                                               "--help).");
        return 1;
}

static int open_store(const Args *a, Store **ret) {
        _cleanup_(config_freep) Config *cfg = config_new();
        ConfigError e = {};
        const char *path = a->db;
        int r;

        if (!path) {
                r = config_load(cfg, a->config ?: CONFIG_PATH_DEFAULT, !a->config, &e);
                if (r < 0) {
                        (void) config_error_log(a->config ?: CONFIG_PATH_DEFAULT, &e, r);
                        config_error_done(&e);
                        return r;
                }
                path = cfg->db;
        }
        r = store_open_readonly(path, ret);
        if (r == -ESTALE)
                return log_error_errno(r,
                                       "Database '%s' has an older schema; start the daemon once "
                                       "to migrate it.",
                                       path);
        if (r == -EACCES) {
                /* Name who may read it: the group of its directory (exposured(8), FILES). */
                _cleanup_free_ char *dir = xstrdup(path);
                struct stat st;
                struct group *g;
                char *slash = strrchr(dir, '/');

                if (slash)
                        *(slash == dir ? slash + 1 : slash) = 0;
                if (slash && stat(dir, &st) >= 0 && (st.st_mode & 0050) == 0050 &&
                    (g = getgrgid(st.st_gid)))
                        return log_error_errno(r,
                                               "Permission denied: cannot read the database "
                                               "'%s': it is readable by root and the members of "
                                               "group '%s' only (usermod -aG %s USER).",
                                               path, g->gr_name, g->gr_name);
                return log_error_errno(r, "Permission denied: cannot read the database '%s'.",
                                       path);
        }
        if (r == -ENOENT)
                return log_error_errno(r,
                                       "Database '%s' does not exist (the daemon creates it when "
                                       "it starts: systemctl status exposured.service).",
                                       path);
        if (r == -EBADMSG)
                return log_error_errno(r, "'%s' is not an exposured database, or is damaged.",
                                       path);
        if (r < 0)
                return log_error_errno(r, "Failed to open database '%s': %m", path);
        return 0;
}

static int run(int argc, char **argv, bool history) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *c = NULL;
        unsigned kinds = 0;
        size_t n = 0;
        Buf out = {};
        Args a;
        int r;

        r = parse_args(argc, argv, history, &a);
        if (r <= 0) {
                free(a.unit);
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        }
        if (a.kinds) {
                _cleanup_free_ char *copy = xstrdup(a.kinds);
                char *save = NULL;
                for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                        EventKind ek = event_kind_from_string(k);
                        if (ek < 0 || ek == EVENT_NONE) {
                                log_error("Unknown event kind '%s' (see exposured events --help).",
                                          k);
                                free(a.unit);
                                return EXIT_USAGE;
                        }
                        kinds |= EVENT_KIND_MASK(ek);
                }
        }
        r = open_store(&a, &s);
        if (r >= 0)
                r = history ? store_history(s, a.user, a.unit, a.since, a.until, a.limit, &c,
                                            &n)
                            : store_events(s, a.user, a.unit, kinds, a.since, a.until, a.limit,
                                           &c, &n);
        if (r < 0 && !s) {
                free(a.unit);
                return EXIT_FAILURE;
        }
        if (r == -ENOENT) {
                if (a.user)
                        log_error("No history for unit '%s' of user '%s'.", a.unit, a.user);
                else
                        log_error("No history for unit '%s'.", a.unit);
                free(a.unit);
                return EXIT_FAILURE;
        }
        free(a.unit);
        if (r < 0) {
                log_error_errno(r, "Failed to read the database: %m");
                return EXIT_FAILURE;
        }
        if (a.json)
                r = render_json_changes(c, n, &out);
        else
                render_text_changes(c, n, !history, &out);
        changes_free(c, n);
        if (r >= 0 && out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len)
                r = -EIO;
        buf_done(&out);
        if (r < 0 || fflush(stdout) != 0) {
                log_error("Failed to write the output.");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

int cmd_history(int argc, char **argv) {
        return run(argc, argv, true);
}

int cmd_events(int argc, char **argv) {
        return run(argc, argv, false);
}
