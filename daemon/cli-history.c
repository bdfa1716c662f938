/* SPDX-License-Identifier: MIT */
/* `exposured history` and `exposured events`: read the store read-only and print a table or JSON.
 * Everything printed that came from the database is escaped (the table: non-printable bytes as
 * \xNN; JSON: render_json_changes(), with the API's keys). Limits are the store's
 * (1..STORE_ROWS_MAX rows). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli-history.h"
#include "config.h"
#include "log.h"
#include "render.h"
#include "store.h"
#include "util.h"

#define DEFAULT_LIMIT 100

int cli_parse_time(const char *s, uint64_t now_usec, uint64_t *ret) {
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

static void put_escaped(FILE *f, const char *s) {
        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c < 0x20 || c == 0x7f || c == '\\')
                        (void) fprintf(f, "\\x%02x", c);
                else
                        (void) fputc(c, f);
        }
}

static void format_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                (void) snprintf(buf, 32, "@%" PRIu64, usec / UINT64_C(1000000));
}

static void format_tenths(int t, char buf[static 8]) {
        if (t < 0 || t > 100)
                (void) snprintf(buf, 8, "-");
        else
                (void) snprintf(buf, 8, "%u.%u", (unsigned) t / 10 % 100, (unsigned) t % 10);
}

static void format_badness(uint64_t b, char buf[static 24]) {
        if (b == BADNESS_ABSENT)
                (void) snprintf(buf, 24, "absent");
        else if (b == BADNESS_NA)
                (void) snprintf(buf, 24, "n/a");
        else
                (void) snprintf(buf, 24, "%" PRIu64, b);
}

static void print_table(const Change *c, size_t n, bool with_unit) {
        (void) printf("%-20s %s%-16s %-13s %-7s %-7s %s\n", "TIME",
                      with_unit ? "UNIT                 " : "", "KIND", "CAUSE", "BEFORE", "AFTER",
                      "CHECKS (name old->new)");
        for (size_t i = 0; i < n; i++) {
                char t[32], b[8], a[8];
                format_time(c[i].time_usec, t);
                format_tenths(c[i].previous, b);
                format_tenths(c[i].exposure, a);
                (void) printf("%-20s ", t);
                if (with_unit) {
                        put_escaped(stdout, c[i].unit ?: "-");
                        (void) printf("%*s",
                                      (int) (c[i].unit && strlen(c[i].unit) < 20
                                                     ? 20 - strlen(c[i].unit)
                                                     : 1),
                                      "");
                }
                (void) printf("%-16s %-13s %-7s %-7s", event_kind_to_string(c[i].kind) ?: "?",
                              cause_to_string(c[i].cause) ?: "?", b, a);
                if (c[i].systemd_version_before) {
                        (void) fputs(" systemd ", stdout);
                        put_escaped(stdout, c[i].systemd_version_before);
                        (void) fputs(" -> ", stdout);
                        put_escaped(stdout, c[i].systemd_version);
                }
                for (size_t k = 0; k < c[i].n_checks; k++) {
                        char o[24], nw[24];
                        format_badness(c[i].checks[k].old_badness, o);
                        format_badness(c[i].checks[k].new_badness, nw);
                        (void) fputc(' ', stdout);
                        put_escaped(stdout, c[i].checks[k].check);
                        (void) printf(" %s->%s", o, nw);
                }
                (void) fputc('\n', stdout);
        }
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
                        if (cli_parse_time(optarg, now, c == 's' ? &a->since : &a->until) < 0) {
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
        if (a.json) {
                r = render_json_changes(c, n, &out);
                if (r >= 0 && fwrite(out.data, 1, out.len, stdout) != out.len)
                        r = -EIO;
                buf_done(&out);
        } else
                print_table(c, n, !history);
        changes_free(c, n);
        if (r < 0 || fflush(stdout) != 0) {
                log_error("Failed to write the output.");
                return 1;
        }
        return 0;
}

int cli_history(int argc, char **argv) {
        return run(argc, argv, true);
}

int cli_events(int argc, char **argv) {
        return run(argc, argv, false);
}
