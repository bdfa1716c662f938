/* SPDX-License-Identifier: MIT */
/* fleet.conf parsing (see fleet-config.h): a key table {name, parse, format}; lines are applied
 * to a copy that replaces the original only when every line parsed, by config.c's engine
 * (ConfigSyntax), which reads exposured.conf too. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "credential.h"
#include "fleet-config.h"
#include "log.h"
#include "render-fleet.h"
#include "util.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define TIMEOUT_MIN (100 * USEC_PER_MSEC)
#define TIMEOUT_MAX (300 * USEC_PER_SEC)
#define RESPONSE_MIN (4U * 1024U)
#define RESPONSE_MAX (1024U * 1024U * 1024U)
#define CACHE_MAX (3600 * USEC_PER_SEC)
#define STALE_MIN (60 * USEC_PER_SEC)
#define URL_MAX 2048U
#define JOB_MAX 200U

/* "<n>ms", "<n>s", "<n>m", "<n>min", "<n>h", "<n>d"; a bare number is seconds. */
static int parse_duration(const char *v, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "", USEC_PER_SEC },          { "ms", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },         { "m", 60 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },  { "h", 3600 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC },
        };
        size_t len = strspn(v, "0123456789");
        char num[21];
        uint64_t n;

        if (len == 0 || len >= sizeof num)
                return -EINVAL;
        memcpy(num, v, len);
        num[len] = 0;
        if (parse_uint(num, UINT64_MAX / (86400 * USEC_PER_SEC), &n) < 0)
                return -ERANGE;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(v + len, units[i].suffix)) {
                        *ret = n * units[i].usec;
                        return 0;
                }
        return -EINVAL;
}

/* "<n>", "<n>K", "<n>M", "<n>G" bytes */
static int parse_size(const char *v, uint64_t *ret) {
        size_t len = strspn(v, "0123456789");
        uint64_t n, mult = 1;
        char num[21];

        if (len == 0 || len >= sizeof num)
                return -EINVAL;
        memcpy(num, v, len);
        num[len] = 0;
        if (parse_uint(num, UINT64_C(1) << 40, &n) < 0)
                return -ERANGE;
        if (streq(v + len, "K"))
                mult = 1024;
        else if (streq(v + len, "M"))
                mult = 1024 * 1024;
        else if (streq(v + len, "G"))
                mult = 1024 * 1024 * 1024;
        else if (v[len])
                return -EINVAL;
        *ret = n * mult;
        return 0;
}

typedef int (*ParseFunc)(FleetConfig *c, const char *v, ConfigError *e);

static void replace(char **field, const char *v) {
        free(*field);
        *field = v ? xstrdup(v) : NULL;
}

static int p_prometheus(FleetConfig *c, const char *v, ConfigError *e) {
        size_t n = strlen(v);

        if ((!startswith(v, "http://") && !startswith(v, "https://")) || n > URL_MAX ||
            strpbrk(v, " \"<>\\?#") || n <= strlen("http://")) {
                config_error_set(e, 0, "prometheus: expected an http:// or https:// URL without a query");
                return -EINVAL;
        }
        replace(&c->prometheus, v);
        while (n > 0 && c->prometheus[n - 1] == '/')
                c->prometheus[--n] = 0;
        return 0;
}

static int p_listen(FleetConfig *c, const char *v, ConfigError *e) {
        ListenAddress *l = NULL;
        size_t n = 0;
        int r = config_parse_listen(v, &l, &n, e);

        if (r < 0)
                return r;
        if (n == 0) {
                config_error_set(e, 0, "listen: expected ADDRESS:PORT");
                return -EINVAL;
        }
        listen_addresses_free(c->listen, c->n_listen);
        c->listen = l;
        c->n_listen = n;
        return 0;
}

static int p_job(FleetConfig *c, const char *v, ConfigError *e) {
        if (isempty(v) || strlen(v) > JOB_MAX) {
                config_error_set(e, 0, "job: expected a job name of 1 to %u characters", JOB_MAX);
                return -EINVAL;
        }
        replace(&c->job, v);
        return 0;
}

/* A credential name, an absolute path, or "" for none. */
static int parse_source(const char *key, const char *v, char **field, ConfigError *e) {
        if (isempty(v)) {
                replace(field, NULL);
                return 0;
        }
        if (v[0] != '/' && !credential_name_valid(v)) {
                config_error_set(e, 0, "%s: expected a credential name or an absolute path", key);
                return -EINVAL;
        }
        replace(field, v);
        return 0;
}

static int p_prometheus_token(FleetConfig *c, const char *v, ConfigError *e) {
        return parse_source("prometheus_token", v, &c->prometheus_token, e);
}

static int p_prometheus_ca(FleetConfig *c, const char *v, ConfigError *e) {
        return parse_source("prometheus_ca", v, &c->prometheus_ca, e);
}

static int p_hosts_token(FleetConfig *c, const char *v, ConfigError *e) {
        return parse_source("hosts_token", v, &c->hosts_token, e);
}

static int p_hosts_ca(FleetConfig *c, const char *v, ConfigError *e) {
        return parse_source("hosts_ca", v, &c->hosts_ca, e);
}

static int p_token(FleetConfig *c, const char *v, ConfigError *e) {
        return parse_source("token", v, &c->token, e);
}

static int p_tls(FleetConfig *c, const char *v, ConfigError *e) {
        return config_parse_switch("tls", v, &c->tls, e);
}

static int p_tls_key(FleetConfig *c, const char *v, ConfigError *e) {
        return config_parse_source("tls_key", v, &c->tls_key, e);
}

static int p_tls_certificate(FleetConfig *c, const char *v, ConfigError *e) {
        return config_parse_source("tls_certificate", v, &c->tls_certificate, e);
}

static int p_allowed_hosts(FleetConfig *c, const char *v, ConfigError *e) {
        return config_parse_allowed_hosts(v, &c->allowed_hosts, e);
}

static int p_host_url(FleetConfig *c, const char *v, ConfigError *e) {
        if (strlen(v) > URL_MAX || !render_fleet_host_url_valid(v)) {
                config_error_set(e, 0, "host_url: expected an http:// or https:// URL with only "
                             "{instance} and {hostname} placeholders");
                return -EINVAL;
        }
        replace(&c->host_url, v);
        return 0;
}

static int p_query_timeout(FleetConfig *c, const char *v, ConfigError *e) {
        uint64_t u;

        if (parse_duration(v, &u) < 0 || u < TIMEOUT_MIN || u > TIMEOUT_MAX) {
                config_error_set(e, 0, "query_timeout: expected 100ms to 300s");
                return -EINVAL;
        }
        c->query_timeout_usec = u;
        return 0;
}

static int p_max_response(FleetConfig *c, const char *v, ConfigError *e) {
        uint64_t n;

        if (parse_size(v, &n) < 0 || n < RESPONSE_MIN || n > RESPONSE_MAX) {
                config_error_set(e, 0, "max_response: expected 4K to 1G");
                return -EINVAL;
        }
        c->max_response_bytes = (size_t) n;
        return 0;
}

static int p_stale_after(FleetConfig *c, const char *v, ConfigError *e) {
        uint64_t u;

        if (parse_duration(v, &u) < 0 || u < STALE_MIN) {
                config_error_set(e, 0, "stale_after: expected a duration of at least 1m");
                return -EINVAL;
        }
        c->stale_after_usec = u;
        return 0;
}

static int p_cache(FleetConfig *c, const char *v, ConfigError *e) {
        uint64_t u;

        if (parse_duration(v, &u) < 0 || u > CACHE_MAX) {
                config_error_set(e, 0, "cache: expected 0 (off) to 1h");
                return -EINVAL;
        }
        c->cache_usec = u;
        return 0;
}

static int p_log_level(FleetConfig *c, const char *v, ConfigError *e) {
        int l = log_level_from_string(v);

        if (l < 0) {
                config_error_set(e, 0, "log_level: expected err, warning, notice, info or debug");
                return -EINVAL;
        }
        c->log_level = l;
        return 0;
}

typedef struct Key {
        const char *name;
        ParseFunc parse;
} Key;

static const Key keys[] = {
        { "allowed_hosts", p_allowed_hosts },
        { "cache", p_cache },
        { "host_url", p_host_url },
        { "hosts_ca", p_hosts_ca },
        { "hosts_token", p_hosts_token },
        { "job", p_job },
        { "listen", p_listen },
        { "log_level", p_log_level },
        { "max_response", p_max_response },
        { "prometheus", p_prometheus },
        { "prometheus_ca", p_prometheus_ca },
        { "prometheus_token", p_prometheus_token },
        { "query_timeout", p_query_timeout },
        { "stale_after", p_stale_after },
        { "tls", p_tls },
        { "tls_certificate", p_tls_certificate },
        { "tls_key", p_tls_key },
        { "token", p_token },
};

FleetConfig *fleet_config_new(void) {
        FleetConfig *c = xcalloc(1, sizeof(*c));
        int r;

        r = p_listen(c, FLEET_LISTEN_DEFAULT, NULL);
        assert(r == 0);
        (void) r;
        c->job = xstrdup("exposured");
        c->host_url = xstrdup("http://{instance}");
        c->query_timeout_usec = 10 * USEC_PER_SEC;
        c->max_response_bytes = 32U * 1024U * 1024U;
        c->stale_after_usec = 2 * 3600 * USEC_PER_SEC;
        c->cache_usec = 10 * USEC_PER_SEC;
        c->log_level = LOG_INFO;
        c->tls = CONFIG_AUTO;
        c->tls_key = xstrdup("tls.key");
        c->tls_certificate = xstrdup("tls.crt");
        return c;
}

FleetConfig *fleet_config_free(FleetConfig *c) {
        if (!c)
                return NULL;
        free(c->prometheus);
        listen_addresses_free(c->listen, c->n_listen);
        free(c->job);
        free(c->prometheus_token);
        free(c->prometheus_ca);
        free(c->hosts_token);
        free(c->hosts_ca);
        free(c->host_url);
        free(c->token);
        free(c->tls_key);
        free(c->tls_certificate);
        strv_free(c->allowed_hosts);
        free(c);
        return NULL;
}

static char *dup_null(const char *s) {
        return s ? xstrdup(s) : NULL;
}

static FleetConfig *copy(const FleetConfig *c) {
        FleetConfig *d = xmalloc(sizeof(*d));

        *d = *c;
        d->prometheus = dup_null(c->prometheus);
        d->listen = c->n_listen ? xcalloc(c->n_listen, sizeof(ListenAddress)) : NULL;
        for (size_t i = 0; i < c->n_listen; i++) {
                d->listen[i] = c->listen[i];
                d->listen[i].text = xstrdup(c->listen[i].text);
        }
        d->job = dup_null(c->job);
        d->prometheus_token = dup_null(c->prometheus_token);
        d->prometheus_ca = dup_null(c->prometheus_ca);
        d->hosts_token = dup_null(c->hosts_token);
        d->hosts_ca = dup_null(c->hosts_ca);
        d->host_url = dup_null(c->host_url);
        d->token = dup_null(c->token);
        d->tls_key = dup_null(c->tls_key);
        d->tls_certificate = dup_null(c->tls_certificate);
        d->allowed_hosts = NULL;
        for (char **h = c->allowed_hosts; h && *h; h++)
                strv_push(&d->allowed_hosts, *h);
        return d;
}

/* Move src's contents into dst and free the src shell. */
static void move_into(void *dst_obj, void *src_obj) {
        FleetConfig *dst = dst_obj, *src = src_obj;
        FleetConfig *old = xmalloc(sizeof(*old));

        *old = *dst;
        *dst = *src;
        free(src);
        fleet_config_free(old);
}

/* One key (ConfigSyntax.apply). */
static int apply(void *obj, const char *key, const char *value, uint32_t source, unsigned line,
                 ConfigError *e) {
        (void) source;
        (void) line;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].name, key))
                        return keys[i].parse(obj, value, e);
        return -ENOENT;
}

static void *copy_config(const void *c) {
        return copy(c);
}

static void free_config(void *c) {
        fleet_config_free(c);
}

static const ConfigSyntax syntax = {
        .apply = apply,
        .copy = copy_config,
        .replace = move_into,
        .free = free_config,
};

int fleet_config_set(FleetConfig *c, const char *key, const char *value, ConfigError *ret_error) {
        return config_syntax_set(&syntax, c, key, value, ret_error);
}

int fleet_config_parse(FleetConfig *c, const char *text, size_t len, ConfigError *ret_error) {
        return config_syntax_parse(&syntax, c, text, len, ret_error);
}

int fleet_config_load(FleetConfig *c, const char *path, bool missing_ok, ConfigError *ret_error) {
        return config_syntax_load(&syntax, c, path, missing_ok, ret_error);
}

int fleet_config_validate(const FleetConfig *c, ConfigError *ret_error) {
        if (!c->prometheus) {
                config_error_set(ret_error, 0, "prometheus: not set (--prometheus=URL or the config key)");
                return -EINVAL;
        }
        return 0;
}

static void fmt_duration(Buf *b, uint64_t u) {
        if (u % USEC_PER_SEC)
                buf_printf(b, "%" PRIu64 "ms", u / USEC_PER_MSEC);
        else
                buf_printf(b, "%" PRIu64 "s", u / USEC_PER_SEC);
}

char *fleet_config_format(const FleetConfig *c) {
        static const char *const levels[] = { "emerg", "alert", "crit",  "err",
                                              "warning", "notice", "info", "debug" };
        Buf b = {};

        if (c->prometheus)
                buf_printf(&b, "prometheus = %s\n", c->prometheus);
        buf_puts(&b, "listen =");
        for (size_t i = 0; i < c->n_listen; i++)
                buf_printf(&b, " %s", c->listen[i].text);
        buf_printf(&b, "\njob = %s\n", c->job);
        buf_printf(&b, "prometheus_token = %s\n", c->prometheus_token ? c->prometheus_token : "");
        buf_printf(&b, "prometheus_ca = %s\n", c->prometheus_ca ? c->prometheus_ca : "");
        buf_printf(&b, "hosts_token = %s\n", c->hosts_token ? c->hosts_token : "");
        buf_printf(&b, "hosts_ca = %s\n", c->hosts_ca ? c->hosts_ca : "");
        buf_printf(&b, "token = %s\n", c->token ? c->token : "");
        buf_printf(&b, "tls = %s\n", config_switch_to_string(c->tls));
        buf_printf(&b, "tls_key = %s\n", c->tls_key);
        buf_printf(&b, "tls_certificate = %s\n", c->tls_certificate);
        buf_puts(&b, "allowed_hosts = ");
        config_format_allowed_hosts(c->allowed_hosts, &b);
        buf_putc(&b, '\n');
        buf_printf(&b, "host_url = %s\n", c->host_url);
        buf_puts(&b, "query_timeout = ");
        fmt_duration(&b, c->query_timeout_usec);
        buf_printf(&b, "\nmax_response = %zu\n", c->max_response_bytes);
        buf_puts(&b, "stale_after = ");
        fmt_duration(&b, c->stale_after_usec);
        buf_puts(&b, "\ncache = ");
        fmt_duration(&b, c->cache_usec);
        buf_printf(&b, "\nlog_level = %s\n",
                   c->log_level >= 0 && c->log_level < 8 ? levels[c->log_level] : "info");
        return buf_steal(&b);
}
