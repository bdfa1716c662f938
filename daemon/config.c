/* SPDX-License-Identifier: MIT */
/* Configuration parsing: a key table {name, parse, format}, all-or-nothing application (lines are
 * applied to a copy that replaces the original only when every line of every file parsed), the
 * origin (file, line) of every key, and cross-key validation. Pure except config_load(), which
 * only reads the file and its drop-in directory. Never logs: errors carry the file, the line and
 * a message with any user text escaped. */
#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "credential.h"
#include "log.h"
#include "util.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY (UINT64_C(24) * USEC_PER_HOUR)
#define USEC_PER_WEEK (UINT64_C(7) * USEC_PER_DAY)

#define RETENTION_MIN USEC_PER_HOUR
#define RETENTION_MAX (100ULL * 366ULL * USEC_PER_DAY)
#define COALESCE_MAX (UINT64_C(60) * USEC_PER_SEC)
#define RESCAN_INTERVAL_MIN USEC_PER_MINUTE
#define RESCAN_INTERVAL_MAX USEC_PER_WEEK
#define CONNECTIONS_MAX 4096U
#define HEAD_TIMEOUT_MAX (UINT64_C(5) * USEC_PER_MINUTE)
#define IDLE_TIMEOUT_MAX USEC_PER_HOUR
#define VERSION_LEN_MAX 64U
#define DB_MAX_BYTES_MIN (1024ULL * 1024ULL)
#define DB_RETRY_MIN USEC_PER_SEC
#define DB_RETRY_MAX USEC_PER_HOUR

#define set_error config_error_set

void config_error_set(ConfigError *e, unsigned line, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        text_error_setv(e, e ? e->file : NULL, line, fmt, ap);
        va_end(ap);
}

void config_error_done(ConfigError *e) {
        text_error_done(e);
}

static void set_error_file(ConfigError *e, const char *file) {
        if (!e)
                return;
        free(e->file);
        e->file = file ? xstrdup(file) : NULL;
}

/* ---- value parsers ---- */

typedef struct Unit {
        const char *suffix;
        uint64_t usec;
} Unit;

/* "<number><unit>", with the unit from `units`; bare numbers use default_unit (0: not allowed). */
static int parse_duration(const char *v, const Unit *units, size_t n_units, uint64_t default_unit,
                          uint64_t *ret) {
        const char *p = v;
        uint64_t n = 0, mult = 0;
        char num[32];
        size_t len;
        int r;

        while (*p >= '0' && *p <= '9')
                p++;
        len = (size_t) (p - v);
        if (len == 0 || len >= sizeof num)
                return -EINVAL;
        memcpy(num, v, len);
        num[len] = 0;
        r = parse_uint(num, UINT64_MAX, &n);
        if (r < 0)
                return r;
        if (*p == 0)
                mult = default_unit;
        else
                for (size_t i = 0; i < n_units; i++)
                        if (streq(p, units[i].suffix))
                                mult = units[i].usec;
        if (mult == 0)
                return n == 0 && *p == 0 ? (*ret = 0, 0) : -EINVAL;
        if (n > UINT64_MAX / mult)
                return -ERANGE;
        *ret = n * mult;
        return 0;
}

static const Unit long_units[] = {
        { "s", USEC_PER_SEC },  { "m", USEC_PER_MINUTE }, { "min", USEC_PER_MINUTE },
        { "h", USEC_PER_HOUR }, { "d", USEC_PER_DAY },    { "w", USEC_PER_WEEK },
};
static const Unit short_units[] = { { "ms", USEC_PER_MSEC }, { "s", USEC_PER_SEC } };

typedef int (*ParseFunc)(Config *c, const char *v, ConfigError *e);

/* The root whose os-release names the OS in exposured_host_info: "/" unless the daemon watches
 * another root's manager (a container's bus: its /proc/PID/root). */
static int p_os_root(Config *c, const char *v, ConfigError *e) {
        if (v[0] != '/' || strlen(v) >= PATH_MAX) {
                set_error(e, 0, "os_root: expected an absolute directory path");
                return -EINVAL;
        }
        free(c->os_root);
        c->os_root = xstrdup(v);
        return 0;
}

static int p_db(Config *c, const char *v, ConfigError *e) {
        if (v[0] != '/' || endswith(v, "/") || strlen(v) >= PATH_MAX) {
                set_error(e, 0, "db: expected an absolute file path");
                return -EINVAL;
        }
        free(c->db);
        c->db = xstrdup(v);
        return 0;
}

static int parse_listen_one(const char *s, size_t len, ListenAddress *ret) {
        char host[INET6_ADDRSTRLEN + 2], port_s[8];
        const char *colon;
        uint64_t port;
        ListenAddress l = {};

        if (len == 0 || len >= sizeof host + sizeof port_s)
                return -EINVAL;
        colon = memrchr(s, ':', len);
        if (!colon || colon == s || (size_t) (s + len - colon - 1) >= sizeof port_s)
                return -EINVAL;
        memcpy(port_s, colon + 1, (size_t) (s + len - colon - 1));
        port_s[s + len - colon - 1] = 0;
        if (parse_uint(port_s, 65535, &port) < 0 || port == 0)
                return -EINVAL;

        size_t hlen = (size_t) (colon - s);
        if (s[0] == '[') {
                if (hlen < 3 || s[hlen - 1] != ']' || hlen - 2 >= sizeof host)
                        return -EINVAL;
                memcpy(host, s + 1, hlen - 2);
                host[hlen - 2] = 0;
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &l.addr;
                if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
                        return -EINVAL;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t) port);
                l.addr_len = sizeof(struct sockaddr_in6);
                if (asprintf(&l.text, "[%s]:%" PRIu64, host, port) < 0)
                        abort();
        } else {
                if (hlen >= sizeof host)
                        return -EINVAL;
                memcpy(host, s, hlen);
                host[hlen] = 0;
                struct sockaddr_in *a = (struct sockaddr_in *) &l.addr;
                if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                        return -EINVAL;
                a->sin_family = AF_INET;
                a->sin_port = htons((uint16_t) port);
                l.addr_len = sizeof(struct sockaddr_in);
                if (asprintf(&l.text, "%s:%" PRIu64, host, port) < 0)
                        abort();
        }
        *ret = l;
        return 0;
}

void listen_addresses_free(ListenAddress *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i].text);
        free(l);
}

static void listen_free(ListenAddress *l, size_t n) {
        listen_addresses_free(l, n);
}

int config_parse_listen(const char *v, ListenAddress **ret, size_t *ret_n, ConfigError *e) {
        ListenAddress *l = NULL;
        size_t n = 0;
        const char *p = v;

        while (*p) {
                size_t len = strcspn(p, " \t,");
                if (len > 0) {
                        if (n >= CONFIG_LISTEN_MAX) {
                                listen_free(l, n);
                                set_error(e, 0, "listen: more than %u addresses",
                                          CONFIG_LISTEN_MAX);
                                return -ERANGE;
                        }
                        l = xrealloc(l, (n + 1) * sizeof(ListenAddress));
                        if (parse_listen_one(p, len, &l[n]) < 0) {
                                _cleanup_free_ char *t = xstrndup(p, len);
                                _cleanup_free_ char *sh = buf_shown(t);
                                listen_free(l, n);
                                set_error(e, 0,
                                          "listen: '%s' is not ADDRESS:PORT (numeric IPv4, or "
                                          "[IPv6], port 1-65535)",
                                          sh);
                                return -EINVAL;
                        }
                        n++;
                }
                p += len;
                p += strspn(p, " \t,");
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

static int p_listen(Config *c, const char *v, ConfigError *e) {
        ListenAddress *l = NULL;
        size_t n = 0;
        int r = config_parse_listen(v, &l, &n, e);

        if (r < 0)
                return r;
        listen_free(c->listen, c->n_listen);
        c->listen = l;
        c->n_listen = n;
        return 0;
}

static int p_retention(Config *c, const char *v, ConfigError *e) {
        uint64_t u;

        if (streq(v, "infinity") || streq(v, "0")) {
                c->retention_usec = 0;
                return 0;
        }
        if (parse_duration(v, long_units, ELEMENTSOF(long_units), 0, &u) < 0 || u < RETENTION_MIN ||
            u > RETENTION_MAX) {
                set_error(e, 0,
                          "retention: expected a duration from 1h to 36600d with a unit "
                          "(s, m, h, d, w), or infinity");
                return -EINVAL;
        }
        c->retention_usec = u;
        return 0;
}

static int p_threshold(Config *c, const char *v, ConfigError *e) {
        /* "9" or "9.5": exposure as systemd-analyze prints it, 0.0 to 10.0. */
        uint64_t whole, tenth = 0;
        const char *dot = strchr(v, '.');
        char w[4];

        if ((dot ? (size_t) (dot - v) : strlen(v)) >= sizeof w)
                goto bad;
        memcpy(w, v, dot ? (size_t) (dot - v) : strlen(v) + 1);
        w[dot ? (size_t) (dot - v) : strlen(v)] = 0;
        if (parse_uint(w, 10, &whole) < 0)
                goto bad;
        if (dot && (strlen(dot + 1) != 1 || parse_uint(dot + 1, 9, &tenth) < 0))
                goto bad;
        if (whole * 10 + tenth > 100)
                goto bad;
        c->new_unit_threshold = (unsigned) (whole * 10 + tenth);
        return 0;
bad:
        set_error(e, 0, "new_unit_threshold: expected an exposure from 0.0 to 10.0, e.g. 9.0");
        return -EINVAL;
}

static int p_per_check_metrics(Config *c, const char *v, ConfigError *e) {
        int r = parse_bool(v);

        if (r < 0) {
                set_error(e, 0, "per_check_metrics: expected yes or no");
                return -EINVAL;
        }
        c->per_check_metrics = r;
        return 0;
}

/* user_managers: "lingering" also watches the user managers of lingering users through their
 * reports (user-reports.h, docs/user-managers.md); "no" watches the system manager only. */
static int p_user_managers(Config *c, const char *v, ConfigError *e) {
        if (streq(v, "lingering"))
                c->user_managers = true;
        else if (streq(v, "no"))
                c->user_managers = false;
        else {
                set_error(e, 0, "user_managers: expected lingering or no");
                return -EINVAL;
        }
        return 0;
}

static int p_coalesce(Config *c, const char *v, ConfigError *e) {
        uint64_t u;
        if (parse_duration(v, short_units, ELEMENTSOF(short_units), USEC_PER_MSEC, &u) < 0 ||
            u > COALESCE_MAX) {
                set_error(e, 0, "rescan_coalesce: expected 0 to 60s (bare numbers are ms)");
                return -EINVAL;
        }
        c->rescan_coalesce_usec = u;
        return 0;
}

static int p_interval(Config *c, const char *v, ConfigError *e) {
        uint64_t u;
        if (parse_duration(v, long_units, ELEMENTSOF(long_units), 0, &u) < 0 ||
            (u != 0 && (u < RESCAN_INTERVAL_MIN || u > RESCAN_INTERVAL_MAX))) {
                set_error(e, 0, "rescan_interval: expected 0 (off) or 1m to 7d with a unit");
                return -EINVAL;
        }
        c->rescan_interval_usec = u;
        return 0;
}

static int p_db_retry(Config *c, const char *v, ConfigError *e) {
        uint64_t u;
        if (parse_duration(v, long_units, ELEMENTSOF(long_units), 0, &u) < 0 ||
            u < DB_RETRY_MIN || u > DB_RETRY_MAX) {
                set_error(e, 0, "db_retry: expected 1s to 1h with a unit");
                return -EINVAL;
        }
        c->db_retry_usec = u;
        return 0;
}

static int p_max_connections(Config *c, const char *v, ConfigError *e) {
        uint64_t n;
        if (parse_uint(v, CONNECTIONS_MAX, &n) < 0 || n == 0) {
                set_error(e, 0, "max_connections: expected 1 to %u", CONNECTIONS_MAX);
                return -EINVAL;
        }
        c->max_connections = (unsigned) n;
        return 0;
}

static int p_per_address(Config *c, const char *v, ConfigError *e) {
        uint64_t n;
        if (parse_uint(v, CONNECTIONS_MAX, &n) < 0 || n == 0) {
                set_error(e, 0, "max_connections_per_address: expected 1 to %u", CONNECTIONS_MAX);
                return -EINVAL;
        }
        c->max_connections_per_address = (unsigned) n;
        return 0;
}

static int p_reading(Config *c, const char *v, ConfigError *e) {
        uint64_t n = 0;
        if (!streq(v, "auto") && (parse_uint(v, CONNECTIONS_MAX, &n) < 0 || n == 0)) {
                set_error(e, 0, "max_reading_connections: expected auto or 1 to %u",
                          CONNECTIONS_MAX);
                return -EINVAL;
        }
        c->max_reading_connections = (unsigned) n;
        return 0;
}

/* Whole seconds from 1 s to max (the HTTP server counts seconds). */
static int parse_seconds(const char *key, const char *v, uint64_t max, uint64_t *ret,
                         ConfigError *e) {
        uint64_t u;
        if (parse_duration(v, long_units, ELEMENTSOF(long_units), 0, &u) < 0 ||
            u < USEC_PER_SEC || u > max) {
                set_error(e, 0, "%s: expected 1s to %" PRIu64 "%s with a unit", key,
                          max % USEC_PER_HOUR == 0 ? max / USEC_PER_HOUR : max / USEC_PER_MINUTE,
                          max % USEC_PER_HOUR == 0 ? "h" : "m");
                return -EINVAL;
        }
        *ret = u;
        return 0;
}

static int p_head_timeout(Config *c, const char *v, ConfigError *e) {
        return parse_seconds("request_head_timeout", v, HEAD_TIMEOUT_MAX,
                             &c->request_head_timeout_usec, e);
}

static int p_idle_timeout(Config *c, const char *v, ConfigError *e) {
        return parse_seconds("idle_timeout", v, IDLE_TIMEOUT_MAX, &c->idle_timeout_usec, e);
}

static int p_log_level(Config *c, const char *v, ConfigError *e) {
        int l = log_level_from_string(v);
        if (l < 0) {
                set_error(e, 0, "log_level: expected err, warning, notice, info or debug");
                return -EINVAL;
        }
        c->log_level = l;
        return 0;
}

static int p_systemd_version(Config *c, const char *v, ConfigError *e) {
        uint64_t major;
        size_t digits = strspn(v, "0123456789");
        char num[8];

        if (streq(v, "auto")) {
                free(c->systemd_version);
                c->systemd_version = NULL;
                c->systemd_major = 0;
                return 0;
        }
        if (digits == 0 || digits >= sizeof num || strlen(v) > VERSION_LEN_MAX ||
            v[strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.~+_-")])
                goto bad;
        memcpy(num, v, digits);
        num[digits] = 0;
        if (parse_uint(num, 9999, &major) < 0 || major == 0)
                goto bad;
        free(c->systemd_version);
        c->systemd_version = xstrdup(v);
        c->systemd_major = (unsigned) major;
        return 0;
bad:
        set_error(e, 0, "systemd_version: expected auto or a version such as 252 or 252.38-1");
        return -EINVAL;
}

static int p_db_max_size(Config *c, const char *v, ConfigError *e) {
        static const Unit size_units[] = { { "K", 1024ULL },
                                           { "M", 1024ULL * 1024ULL },
                                           { "G", 1024ULL * 1024ULL * 1024ULL } };
        uint64_t n;
        if (parse_duration(v, size_units, ELEMENTSOF(size_units), 1, &n) < 0 ||
            (n != 0 && n < DB_MAX_BYTES_MIN)) {
                set_error(e, 0,
                          "db_max_size: expected 0 (no cap) or a size of at least 1M "
                          "(K, M, G suffixes)");
                return -EINVAL;
        }
        c->db_max_bytes = n;
        return 0;
}

static const char *const switch_names[_CONFIG_SWITCH_MAX] = {
        [CONFIG_NO] = "no",
        [CONFIG_YES] = "yes",
        [CONFIG_AUTO] = "auto",
};

int config_parse_switch(const char *key, const char *v, ConfigSwitch *ret, ConfigError *e) {
        int b;

        if (streq(v, "auto"))
                return *ret = CONFIG_AUTO, 0;
        b = parse_bool(v);
        if (b < 0) {
                set_error(e, 0, "%s: expected auto, yes or no", key);
                return -EINVAL;
        }
        *ret = b ? CONFIG_YES : CONFIG_NO;
        return 0;
}

const char *config_switch_to_string(ConfigSwitch s) {
        return s >= 0 && s < _CONFIG_SWITCH_MAX ? switch_names[s] : "auto";
}

static int p_tls(Config *c, const char *v, ConfigError *e) {
        return config_parse_switch("tls", v, &c->tls, e);
}

static int p_token(Config *c, const char *v, ConfigError *e) {
        return config_parse_switch("token", v, &c->token, e);
}

int config_parse_source(const char *key, const char *v, char **field, ConfigError *e) {
        if (!credential_source_valid(v)) {
                _cleanup_free_ char *sh = buf_shown(v);
                set_error(e, 0,
                          "%s: '%s' is not a credential name (no '/') or an absolute path (both "
                          "UTF-8 without control characters)",
                          key, sh);
                return -EINVAL;
        }
        free(*field);
        *field = xstrdup(v);
        return 0;
}

static int p_tls_key(Config *c, const char *v, ConfigError *e) {
        return config_parse_source("tls_key", v, &c->tls_key, e);
}

static int p_tls_certificate(Config *c, const char *v, ConfigError *e) {
        return config_parse_source("tls_certificate", v, &c->tls_certificate, e);
}

static int p_token_file(Config *c, const char *v, ConfigError *e) {
        return config_parse_source("token_file", v, &c->token_file, e);
}

/* A Host name as a client sends it, without the port: a DNS name, a dotted IPv4 address or a
 * bracketed IPv6 address; or "*". */
static bool host_valid(const char *h) {
        size_t n = strlen(h);

        if (streq(h, "*"))
                return true;
        if (n == 0 || n > 255)
                return false;
        if (h[0] == '[')
                return n > 2 && h[n - 1] == ']' &&
                       strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
        return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

int config_parse_allowed_hosts(const char *v, char ***hosts, ConfigError *e) {
        char **l = NULL;
        size_t n = 0;
        const char *p = v;

        if (streq(v, "auto")) {
                *hosts = strv_free(*hosts);
                return 0;
        }
        while (*p) {
                size_t len = strcspn(p, " \t,");
                if (len > 0) {
                        _cleanup_free_ char *h = xstrndup(p, len);
                        if (n >= CONFIG_HOSTS_MAX || !host_valid(h)) {
                                _cleanup_free_ char *sh = buf_shown(h);
                                strv_free(l);
                                if (n >= CONFIG_HOSTS_MAX)
                                        set_error(e, 0, "allowed_hosts: more than %u names",
                                                  CONFIG_HOSTS_MAX);
                                else
                                        set_error(e, 0,
                                                  "allowed_hosts: '%s' is not a host name, an "
                                                  "IPv4 address, an [IPv6] address or *",
                                                  sh);
                                return -EINVAL;
                        }
                        for (char *q = h; *q; q++)
                                if (*q >= 'A' && *q <= 'Z')
                                        *q = (char) (*q - 'A' + 'a');
                        if (!strv_contains(l, h)) {
                                strv_push(&l, h);
                                n++;
                        }
                }
                p += len;
                p += strspn(p, " \t,");
        }
        if (n == 0) {
                set_error(e, 0, "allowed_hosts: expected auto, * or a list of host names");
                return -EINVAL;
        }
        strv_free(*hosts);
        *hosts = l;
        return 0;
}

static int p_allowed_hosts(Config *c, const char *v, ConfigError *e) {
        return config_parse_allowed_hosts(v, &c->allowed_hosts, e);
}

/* ---- formatting: each key's value as config_format() writes it ---- */

typedef void (*FormatFunc)(const Config *c, Buf *b);

static void format_duration(Buf *b, uint64_t u, bool short_unit) {
        if (short_unit)
                buf_printf(b, "%" PRIu64 "ms", u / USEC_PER_MSEC);
        else if (u % USEC_PER_DAY == 0)
                buf_printf(b, "%" PRIu64 "d", u / USEC_PER_DAY);
        else if (u % USEC_PER_HOUR == 0)
                buf_printf(b, "%" PRIu64 "h", u / USEC_PER_HOUR);
        else if (u % USEC_PER_MINUTE == 0)
                buf_printf(b, "%" PRIu64 "m", u / USEC_PER_MINUTE);
        else
                buf_printf(b, "%" PRIu64 "s", u / USEC_PER_SEC);
}

void config_format_allowed_hosts(char *const *hosts, Buf *b) {
        if (!hosts)
                buf_puts(b, "auto");
        for (char *const *h = hosts; h && *h; h++) {
                if (h != hosts)
                        buf_putc(b, ' ');
                buf_puts(b, *h);
        }
}

static void f_allowed_hosts(const Config *c, Buf *b) {
        config_format_allowed_hosts(c->allowed_hosts, b);
}

static void f_db(const Config *c, Buf *b) {
        buf_puts(b, c->db);
}

static void f_os_root(const Config *c, Buf *b) {
        buf_puts(b, c->os_root);
}

static void f_db_max_size(const Config *c, Buf *b) {
        buf_printf(b, "%" PRIu64, c->db_max_bytes);
}

static void f_db_retry(const Config *c, Buf *b) {
        format_duration(b, c->db_retry_usec, false);
}

static void f_listen(const Config *c, Buf *b) {
        for (size_t i = 0; i < c->n_listen; i++) {
                if (i > 0)
                        buf_putc(b, ' ');
                buf_puts(b, c->listen[i].text);
        }
}

static void f_log_level(const Config *c, Buf *b) {
        static const char *const levels[] = { "emerg",   "alert",  "crit", "err",
                                              "warning", "notice", "info", "debug" };

        buf_puts(b, c->log_level >= 0 && c->log_level < 8 ? levels[c->log_level] : "info");
}

static void f_max_connections(const Config *c, Buf *b) {
        buf_printf(b, "%u", c->max_connections);
}

static void f_per_address(const Config *c, Buf *b) {
        buf_printf(b, "%u", c->max_connections_per_address);
}

static void f_reading(const Config *c, Buf *b) {
        if (c->max_reading_connections == 0)
                buf_puts(b, "auto");
        else
                buf_printf(b, "%u", c->max_reading_connections);
}

static void f_head_timeout(const Config *c, Buf *b) {
        format_duration(b, c->request_head_timeout_usec, false);
}

static void f_idle_timeout(const Config *c, Buf *b) {
        format_duration(b, c->idle_timeout_usec, false);
}

static void f_threshold(const Config *c, Buf *b) {
        buf_printf(b, "%u.%u", c->new_unit_threshold / 10, c->new_unit_threshold % 10);
}

static void f_per_check_metrics(const Config *c, Buf *b) {
        buf_puts(b, c->per_check_metrics ? "yes" : "no");
}

static void f_user_managers(const Config *c, Buf *b) {
        buf_puts(b, c->user_managers ? "lingering" : "no");
}

static void f_coalesce(const Config *c, Buf *b) {
        format_duration(b, c->rescan_coalesce_usec, true);
}

static void f_interval(const Config *c, Buf *b) {
        if (c->rescan_interval_usec == 0)
                buf_puts(b, "0");
        else
                format_duration(b, c->rescan_interval_usec, false);
}

static void f_retention(const Config *c, Buf *b) {
        if (c->retention_usec == 0)
                buf_puts(b, "infinity");
        else
                format_duration(b, c->retention_usec, false);
}

static void f_systemd_version(const Config *c, Buf *b) {
        buf_puts(b, c->systemd_version ?: "auto");
}

static void f_tls(const Config *c, Buf *b) {
        buf_puts(b, config_switch_to_string(c->tls));
}

static void f_tls_certificate(const Config *c, Buf *b) {
        buf_puts(b, c->tls_certificate);
}

static void f_tls_key(const Config *c, Buf *b) {
        buf_puts(b, c->tls_key);
}

static void f_token(const Config *c, Buf *b) {
        buf_puts(b, config_switch_to_string(c->token));
}

static void f_token_file(const Config *c, Buf *b) {
        buf_puts(b, c->token_file);
}

/* The key table: what parses a value and what writes it back (config_format() lists the keys in
 * this order). */
typedef struct Key {
        const char *name;
        ParseFunc parse;
        FormatFunc format;
} Key;

static const Key keys[] = {
        /* Keep in step with exposured.conf(5) and units/exposured.conf: tests/check-man.py checks
         * that every key is documented in both. */
        { "allowed_hosts", p_allowed_hosts, f_allowed_hosts },
        { "db", p_db, f_db },
        { "db_max_size", p_db_max_size, f_db_max_size },
        { "db_retry", p_db_retry, f_db_retry },
        { "idle_timeout", p_idle_timeout, f_idle_timeout },
        { "listen", p_listen, f_listen },
        { "log_level", p_log_level, f_log_level },
        { "max_connections", p_max_connections, f_max_connections },
        { "max_connections_per_address", p_per_address, f_per_address },
        { "max_reading_connections", p_reading, f_reading },
        { "new_unit_threshold", p_threshold, f_threshold },
        { "os_root", p_os_root, f_os_root },
        { "per_check_metrics", p_per_check_metrics, f_per_check_metrics },
        { "request_head_timeout", p_head_timeout, f_head_timeout },
        { "rescan_coalesce", p_coalesce, f_coalesce },
        { "rescan_interval", p_interval, f_interval },
        { "retention", p_retention, f_retention },
        { "systemd_version", p_systemd_version, f_systemd_version },
        { "tls", p_tls, f_tls },
        { "tls_certificate", p_tls_certificate, f_tls_certificate },
        { "tls_key", p_tls_key, f_tls_key },
        { "token", p_token, f_token },
        { "token_file", p_token_file, f_token_file },
        { "user_managers", p_user_managers, f_user_managers },
};

_Static_assert(ELEMENTSOF(keys) <= CONFIG_KEYS_MAX, "Config.origin has no room for every key");

/* Append k's line as config_format() writes it ("key = value", or "key =" for an empty list),
 * without the newline. */
static void format_line(const Key *k, const Config *c, Buf *b) {
        Buf v = {};

        k->format(c, &v);
        buf_puts(b, k->name);
        buf_puts(b, " =");
        if (v.len > 0) {
                buf_putc(b, ' ');
                buf_append(b, v.data, v.len);
        }
        buf_done(&v);
}

/* ---- Config objects ---- */

Config *config_new(void) {
        Config *c = xcalloc(1, sizeof(Config));
        int r;

        c->db = xstrdup("/var/lib/exposured/exposured.db");
        r = p_listen(c, "127.0.0.1:9573", NULL);
        assert(r == 0);
        c->retention_usec = 90 * USEC_PER_DAY;
        c->new_unit_threshold = 90;
        c->per_check_metrics = false;
        c->rescan_coalesce_usec = 500 * USEC_PER_MSEC;
        c->rescan_interval_usec = USEC_PER_HOUR;
        c->max_connections = 64;
        c->max_connections_per_address = 16;
        c->max_reading_connections = 0;
        c->request_head_timeout_usec = 10 * USEC_PER_SEC;
        c->idle_timeout_usec = 15 * USEC_PER_SEC;
        c->log_level = LOG_INFO;
        c->db_retry_usec = 30 * USEC_PER_SEC;
        c->tls = CONFIG_AUTO;
        c->tls_key = xstrdup("tls.key");
        c->tls_certificate = xstrdup("tls.crt");
        c->token = CONFIG_AUTO;
        c->token_file = xstrdup("token");
        c->os_root = xstrdup("/");
        (void) r;
        return c;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        free(c->db);
        listen_free(c->listen, c->n_listen);
        free(c->systemd_version);
        free(c->tls_key);
        free(c->tls_certificate);
        free(c->token_file);
        free(c->os_root);
        strv_free(c->allowed_hosts);
        strv_free(c->sources);
        free(c);
        return NULL;
}

static Config *config_copy(const Config *c) {
        Config *d = xmalloc(sizeof(Config));
        *d = *c;
        d->db = c->db ? xstrdup(c->db) : NULL;
        d->systemd_version = c->systemd_version ? xstrdup(c->systemd_version) : NULL;
        d->tls_key = c->tls_key ? xstrdup(c->tls_key) : NULL;
        d->tls_certificate = c->tls_certificate ? xstrdup(c->tls_certificate) : NULL;
        d->token_file = c->token_file ? xstrdup(c->token_file) : NULL;
        d->os_root = c->os_root ? xstrdup(c->os_root) : NULL;
        d->allowed_hosts = NULL;
        for (char **h = c->allowed_hosts; h && *h; h++)
                strv_push(&d->allowed_hosts, *h);
        d->sources = NULL;
        for (char **f = c->sources; f && *f; f++)
                strv_push(&d->sources, *f);
        d->listen = c->n_listen ? xcalloc(c->n_listen, sizeof(ListenAddress)) : NULL;
        for (size_t i = 0; i < c->n_listen; i++) {
                d->listen[i] = c->listen[i];
                d->listen[i].text = xstrdup(c->listen[i].text);
        }
        return d;
}

/* Move src's contents into dst (freeing dst's old ones) and free the src shell. */
static void config_replace(Config *dst, Config *src) {
        free(dst->db);
        listen_free(dst->listen, dst->n_listen);
        free(dst->systemd_version);
        free(dst->tls_key);
        free(dst->tls_certificate);
        free(dst->token_file);
        free(dst->os_root);
        strv_free(dst->allowed_hosts);
        strv_free(dst->sources);
        *dst = *src;
        free(src);
}

static const Key *key_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].name, name))
                        return &keys[i];
        return NULL;
}

int config_origin(const Config *c, const char *key, const char **ret_file, unsigned *ret_line) {
        const Key *k = key_find(key);
        ConfigOrigin o;

        assert(c);
        if (!k)
                return -ENOENT;
        o = c->origin[k - keys];
        if (o.source == CONFIG_SOURCE_FLAG)
                return 2;
        if (o.source == 0 && o.line == 0)
                return 0;
        if (ret_file)
                *ret_file = o.source > 0 && o.source <= strv_length(c->sources)
                                    ? c->sources[o.source - 1]
                                    : NULL;
        if (ret_line)
                *ret_line = o.line;
        return 1;
}

void config_error_at(const Config *c, const char *key, ConfigError *e) {
        const char *file = NULL;
        unsigned line = 0;

        if (!e)
                return;
        if (config_origin(c, key, &file, &line) != 1)
                file = NULL, line = 0;
        set_error_file(e, file);
        e->line = line;
}

/* Apply one key to c, recording where it came from (ConfigSyntax.apply). */
static int apply(void *obj, const char *key, const char *value, uint32_t source, unsigned line,
                 ConfigError *e) {
        Config *c = obj;
        const Key *k = key_find(key);
        int r;

        if (!k)
                return -ENOENT;
        r = k->parse(c, value, e);
        if (r < 0)
                return r;
        /* What config_format() writes back must parse again: "key = value" may be longer than
         * the line it came from ("key=value", a duration in other units, a size in bytes), so
         * the line limit is checked on the line as written back. */
        Buf b = {};
        format_line(k, c, &b);
        size_t n = b.len;
        buf_done(&b);
        if (n > CONFIG_LINE_MAX) {
                set_error(e, 0, "%s: value too long (more than %u bytes as 'key = value')",
                          k->name, CONFIG_LINE_MAX);
                return -EINVAL;
        }
        c->origin[k - keys] = (ConfigOrigin) { .source = source, .line = line };
        return r;
}

/* A file applied onto c (ConfigSyntax.add_source): its number in c->sources, from 1. */
static uint32_t add_source(void *obj, const char *path) {
        Config *c = obj;

        strv_push(&c->sources, path);
        return (uint32_t) strv_length(c->sources);
}

static void *copy_config(const void *c) {
        return config_copy(c);
}

static void replace_config(void *dst, void *src) {
        config_replace(dst, src);
}

static void free_config(void *c) {
        config_free(c);
}

static const ConfigSyntax config_syntax = {
        .apply = apply,
        .add_source = add_source,
        .copy = copy_config,
        .replace = replace_config,
        .free = free_config,
};

int config_set(Config *c, const char *key, const char *value, ConfigError *ret_error) {
        return config_syntax_set(&config_syntax, c, key, value, ret_error);
}

int config_parse(Config *c, const char *text, size_t len, ConfigError *ret_error) {
        return config_syntax_parse(&config_syntax, c, text, len, ret_error);
}

int config_load(Config *c, const char *path, bool missing_ok, ConfigError *ret_error) {
        return config_syntax_load(&config_syntax, c, path, missing_ok, ret_error);
}

/* ---- the syntax every program mode's configuration shares ---- */

/* One "key = value" through s->apply, on obj; messages get the line and the key. */
static int syntax_apply(const ConfigSyntax *s, void *obj, const char *key, const char *value,
                        uint32_t source, unsigned line, ConfigError *e) {
        int r;

        for (const char *p = value; *p; p++)
                if (((unsigned char) *p < 0x20 && *p != '\t') || *p == 0x7f) {
                        _cleanup_free_ char *sh = buf_shown(key);
                        set_error(e, line, "%s: control character in value", sh);
                        return -EINVAL;
                }
        r = s->apply(obj, key, value, source, line, e);
        if (r == -ENOENT) {
                _cleanup_free_ char *sh = buf_shown(key);
                set_error(e, line, "unknown key '%s'", sh);
        } else if (r < 0 && e)
                e->line = line;
        return r;
}

int config_syntax_set(const ConfigSyntax *s, void *obj, const char *key, const char *value,
                      ConfigError *ret_error) {
        void *d;
        int r;

        assert(obj);
        if (!key || !value) {
                set_error(ret_error, 0, "missing key or value");
                return -EINVAL;
        }
        d = s->copy(obj);
        r = syntax_apply(s, d, key, value, CONFIG_SOURCE_FLAG, 0, ret_error);
        if (r < 0) {
                s->free(d);
                return r;
        }
        s->replace(obj, d);
        return 0;
}

static char *strip(char *s) {
        char *end;

        s += strspn(s, " \t");
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = 0;
        return s;
}

/* The value part of a line: a `#` at its start or after a space or tab begins a comment that
 * runs to the end of the line ("db = /x.db  # note" is "/x.db"); any other `#` is part of the
 * value ("/srv/a#1.db"). So a value can neither start with `#` nor contain " #": no key needs
 * that (paths and credential names are the only free text), and exposured.conf(5) says so. */
static char *strip_comment(char *v) {
        for (char *p = v; *p; p++)
                if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
                        *p = 0;
                        break;
                }
        return v;
}

/* Apply text onto d (a copy the caller discards on error), recording source as the origin. */
static int parse_text(const ConfigSyntax *s, void *d, const char *text, size_t len,
                      uint32_t source, ConfigError *ret_error) {
        unsigned line = 0;
        size_t off = 0;

        assert(text || len == 0);
        if (len > CONFIG_FILE_MAX) {
                set_error(ret_error, 0, "file larger than %u bytes", CONFIG_FILE_MAX);
                return -EFBIG;
        }

        while (off < len) {
                const char *nl = memchr(text + off, '\n', len - off);
                size_t n = nl ? (size_t) (nl - (text + off)) : len - off;
                _cleanup_free_ char *buf = NULL;
                char *l, *eq;

                line++;
                if (n > CONFIG_LINE_MAX) {
                        set_error(ret_error, line, "line longer than %u bytes", CONFIG_LINE_MAX);
                        return -EINVAL;
                }
                if (memchr(text + off, 0, n)) {
                        set_error(ret_error, line, "NUL byte in line");
                        return -EINVAL;
                }
                buf = xstrndup(text + off, n);
                off += n + (nl ? 1 : 0);
                if (n > 0 && buf[n - 1] == '\r')
                        buf[n - 1] = 0;

                l = strip(buf);
                if (*l == 0 || *l == '#')
                        continue;
                eq = strchr(l, '=');
                if (!eq) {
                        _cleanup_free_ char *sh = buf_shown(l);
                        set_error(ret_error, line, "expected 'key = value', got '%s'", sh);
                        return -EINVAL;
                }
                *eq = 0;
                if (syntax_apply(s, d, strip(l), strip(strip_comment(eq + 1)), source, line,
                                 ret_error) < 0)
                        return -EINVAL;
        }
        return 0;
}

int config_syntax_parse(const ConfigSyntax *s, void *obj, const char *text, size_t len,
                        ConfigError *ret_error) {
        void *d;
        int r;

        assert(obj);
        d = s->copy(obj);
        r = parse_text(s, d, text, len, 0, ret_error);
        if (r < 0) {
                s->free(d);
                return r;
        }
        s->replace(obj, d);
        return 0;
}

/* Read one file (at most CONFIG_FILE_MAX + 1 bytes, so that a bigger one is caught) and apply it
 * onto d. Errors name the file. */
static int load_file(const ConfigSyntax *s, void *d, const char *path, bool missing_ok,
                     ConfigError *e) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        ssize_t n;
        int r;

        /* Like a secret: no symlink, no FIFO or device that would hang or feed us forever. */
        fd = credential_open(path, NULL);
        if (fd < 0) {
                r = fd;
                if (r == -ENOENT && missing_ok)
                        return 0;
                if (r == -ELOOP)
                        set_error(e, 0, "cannot open: a symbolic link (give the file)");
                else if (r == -EISDIR || r == -EBADFD)
                        set_error(e, 0, "cannot open: not a regular file");
                else
                        set_error(e, 0, "cannot open: %s", strerror(-r));
                set_error_file(e, path);
                return r;
        }
        data = xmalloc(CONFIG_FILE_MAX + 1);
        while ((n = read(fd, data + len, CONFIG_FILE_MAX + 1 - len)) > 0) {
                len += (size_t) n;
                if (len > CONFIG_FILE_MAX)
                        break;
        }
        if (n < 0) {
                r = -errno;
                set_error(e, 0, "cannot read: %s", strerror(-r));
                set_error_file(e, path);
                return r;
        }
        r = parse_text(s, d, data, len, s->add_source ? s->add_source(d, path) : 0, e);
        if (r < 0)
                set_error_file(e, path);
        return r;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* PATH.d/\*.conf, sorted by name (systemd's drop-in order: the file name decides, whatever the
 * directory). A missing directory has none. */
static int list_dropins(const char *dir, char ***ret, ConfigError *e) {
        _cleanup_(strv_freep) char **names = NULL;
        DIR *d;
        struct dirent *de;
        size_t n = 0;

        d = opendir(dir);
        if (!d) {
                int r = -errno;
                if (r == -ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                set_error(e, 0, "cannot open drop-in directory: %s", strerror(-r));
                set_error_file(e, dir);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf"))
                        continue;
                if (n >= CONFIG_DROPINS_MAX) {
                        (void) closedir(d);
                        set_error(e, 0, "more than %u drop-ins", CONFIG_DROPINS_MAX);
                        set_error_file(e, dir);
                        return -E2BIG;
                }
                strv_push(&names, de->d_name);
                n++;
        }
        if (errno != 0) {
                int r = -errno;
                (void) closedir(d);
                set_error(e, 0, "cannot read drop-in directory: %s", strerror(-r));
                set_error_file(e, dir);
                return r;
        }
        (void) closedir(d);
        if (n > 1)
                qsort(names, n, sizeof(char *), name_cmp);
        *ret = TAKE_PTR(names);
        return 0;
}

/* The file, then its drop-ins, all onto one copy: all or nothing over every file. */
static int load_all(const ConfigSyntax *s, void *d, const char *path, bool missing_ok,
                    ConfigError *e) {
        _cleanup_(strv_freep) char **dropins = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        r = load_file(s, d, path, missing_ok, e);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s.d", path) < 0)
                abort();
        r = list_dropins(dir, &dropins, e);
        if (r < 0)
                return r;
        for (char **f = dropins; f && *f; f++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, *f) < 0)
                        abort();
                r = load_file(s, d, p, false, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_syntax_load(const ConfigSyntax *s, void *obj, const char *path, bool missing_ok,
                       ConfigError *ret_error) {
        void *d;
        int r;

        assert(obj);
        assert(path);
        d = s->copy(obj);
        r = load_all(s, d, path, missing_ok, ret_error);
        if (r < 0) {
                s->free(d);
                return r;
        }
        s->replace(obj, d);
        return 0;
}

int config_validate(const Config *c, ConfigError *ret_error) {
        assert(c);
        if (isempty(c->db) || c->db[0] != '/') {
                set_error(ret_error, 0, "db: expected an absolute file path");
                config_error_at(c, "db", ret_error);
                return -EINVAL;
        }
        for (size_t i = 0; i < c->n_listen; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(c->listen[i].text, c->listen[j].text)) {
                                set_error(ret_error, 0, "listen: %s given twice",
                                          c->listen[i].text);
                                config_error_at(c, "listen", ret_error);
                                return -EINVAL;
                        }
        if (c->rescan_interval_usec != 0 && c->rescan_coalesce_usec >= c->rescan_interval_usec) {
                set_error(ret_error, 0, "rescan_coalesce must be shorter than rescan_interval");
                /* Name whichever of the two a file set last. */
                config_error_at(c, "rescan_coalesce", ret_error);
                if (!ret_error || !ret_error->file)
                        config_error_at(c, "rescan_interval", ret_error);
                return -EINVAL;
        }
        return 0;
}

char *config_format(const Config *c) {
        Buf b = {};

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                format_line(&keys[i], c, &b);
                buf_putc(&b, '\n');
        }
        return buf_steal(&b);
}

int config_error_log(const char *source, const ConfigError *e, int r) {
        if (e->file)
                source = e->file;
        if (e->line > 0)
                log_error("%s:%u: %s", source, e->line, e->message ? e->message : "invalid");
        else
                log_error("%s: %s", source, e->message ? e->message : strerror(-r));
        return EXIT_FAILURE;
}
