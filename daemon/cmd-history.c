/* SPDX-License-Identifier: MIT */
/* `exposured history` and `exposured events`: read the store read-only and print a table or JSON.
 * This file gathers the rows; render_text_changes() and render_json_changes() encode them (and
 * escape everything that came from the database). Limits are the store's (1..STORE_ROWS_MAX). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd-history.h"
#include "config.h"
#include "log.h"
#include "render.h"
#include "store.h"
#include "util.h"

#define DEFAULT_LIMIT 100

int cmd_history_parse_time(const char *s, uint64_t now_usec, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = { { "s", 1000000ULL },
                      { "m", 60000000ULL },
                      { "h", 3600000000ULL },
                      { "d", 86400000000ULL },
                      { "w", 604800000000ULL } };
        uint64_t n;
        struct tm tm = {};
        const char *end;

        if (isempty(s))
                return -EINVAL;
        if (s[0] == '@') {
                if (parse_uint(s + 1, UINT64_MAX / 1000000ULL, &n) < 0)
                        return -EINVAL;
                *ret = n * 1000000ULL;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                size_t l = strlen(s), k = strlen(units[i].suffix);
                char num[24];
                if (l <= k || l - k >= sizeof num || !endswith(s, units[i].suffix))
                        continue;
                memcpy(num, s, l - k);
                num[l - k] = 0;
                if (parse_uint(num, UINT64_MAX / units[i].usec, &n) < 0)
                        return -EINVAL;
                n *= units[i].usec;
                *ret = n > now_usec ? 0 : now_usec - n;
                return 0;
        }
        end = strptime(s, "%Y-%m-%d", &tm);
        if (end && *end == 'T')
                end = strptime(end + 1, "%H:%M", &tm);
        if (end && *end == ':')
                end = strptime(end + 1, "%S", &tm);
        if (!end || *end)
                return -EINVAL;
        time_t t = timegm(&tm);
        if (t < 0)
                return -EINVAL;
        *ret = (uint64_t) t * 1000000ULL;
        return 0;
}

typedef struct Args {
        const char *db, *config, *unit, *kinds;
        uint64_t since, until;
        uint64_t limit;
        bool json;
} Args;

static int parse_args(int argc, char **argv, bool history, Args *a) {
        static const struct option opts[] = { { "db", required_argument, NULL, 'd' },
                                              { "config", required_argument, NULL, 'c' },
                                              { "since", required_argument, NULL, 's' },
                                              { "until", required_argument, NULL, 'u' },
                                              { "limit", required_argument, NULL, 'l' },
                                              { "json", no_argument, NULL, 'j' },
                                              { "unit", required_argument, NULL, 'U' },
                                              { "kind", required_argument, NULL, 'k' },
                                              { "help", no_argument, NULL, 'h' },
                                              {} };
        uint64_t now = now_realtime_usec();
        int c;

        *a = (Args){ .limit = DEFAULT_LIMIT };
        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
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
                                goto usage;
                        a->unit = optarg;
                        break;
                case 'k':
                        if (history)
                                goto usage;
                        a->kinds = optarg;
                        break;
                case 's':
                case 'u':
                        if (cmd_history_parse_time(optarg, now,
                                                   c == 's' ? &a->since : &a->until) < 0) {
                                log_error("Invalid time '%s'.", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'l':
                        if (parse_uint(optarg, STORE_ROWS_MAX, &a->limit) < 0 || a->limit == 0) {
                                log_error("--limit= must be 1..%u.", STORE_ROWS_MAX);
                                return -EINVAL;
                        }
                        break;
                default:
                        goto usage;
                }
        if (history) {
                if (optind + 1 != argc)
                        goto usage;
                a->unit = argv[optind];
        } else if (optind != argc)
                goto usage;
        return 0;
usage:
        (void) fprintf(stderr, history ? "Usage: exposured history UNIT [--since=T] [--until=T] "
                                         "[--limit=N] [--json] [--db=PATH] [--config=PATH]\n"
                                       : "Usage: exposured events [--unit=UNIT] [--kind=K,...] "
                                         "[--since=T] [--until=T] [--limit=N] [--json] [--db=PATH] "
                                         "[--config=PATH]\n");
        return -EINVAL;
}

static int open_store(const Args *a, Store **ret) {
        _cleanup_(config_freep) Config *cfg = config_new();
        ConfigError e = {};
        const char *path = a->db;
        int r;

        if (!path) {
                r = config_load(cfg, a->config ?: CONFIG_PATH_DEFAULT, !a->config, &e);
                if (r < 0) {
                        log_error("%s:%u: %s", a->config ?: CONFIG_PATH_DEFAULT, e.line, e.message);
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

        if (parse_args(argc, argv, history, &a) < 0)
                return 2;
        if (a.kinds) {
                _cleanup_free_ char *copy = xstrdup(a.kinds);
                char *save = NULL;
                for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                        EventKind ek = event_kind_from_string(k);
                        if (ek < 0 || ek == EVENT_NONE) {
                                log_error("Unknown event kind '%s'.", k);
                                return 2;
                        }
                        kinds |= EVENT_KIND_MASK(ek);
                }
        }
        if (open_store(&a, &s) < 0)
                return 1;
        r = history ? store_history(s, a.unit, a.since, a.until, a.limit, &c, &n)
                    : store_events(s, a.unit, kinds, a.since, a.until, a.limit, &c, &n);
        if (r == -ENOENT) {
                log_error("No history for unit '%s'.", a.unit);
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read the database: %m");
                return 1;
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
                return 1;
        }
        return 0;
}

int cmd_history(int argc, char **argv) {
        return run(argc, argv, true);
}

int cmd_events(int argc, char **argv) {
        return run(argc, argv, false);
}
