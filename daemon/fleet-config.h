/* SPDX-License-Identifier: MIT */
/* The configuration of `exposured fleet`: /etc/exposured/fleet.conf, the same `key = value`
 * syntax as exposured.conf (keys: units/fleet.conf). Parsing is pure (text -> FleetConfig, no
 * I/O but fleet_config_load(), no logging); a bad line yields its number and a message and
 * changes nothing. Command-line flags go through fleet_config_set(), so they get the same
 * checks. Secrets are never in this file: the token and CA keys name credentials
 * (LoadCredential=) or absolute paths, read at start-up. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "config.h"

#define FLEET_CONFIG_PATH_DEFAULT "/etc/exposured/fleet.conf"
#define FLEET_LISTEN_DEFAULT "127.0.0.1:9574"

typedef struct FleetConfig {
        char *prometheus;          /* base URL, http:// or https://, no trailing slash */
        ListenAddress *listen;     /* where to listen when no socket is passed in */
        size_t n_listen;
        char *job;                 /* the scrape job of the hosts' exposured */
        char *prometheus_token;    /* credential source or NULL */
        char *prometheus_ca;       /* credential source or NULL */
        char *hosts_token;         /* credential source or NULL: bearer token of the hosts */
        char *hosts_ca;            /* credential source or NULL */
        char *token;               /* credential source or NULL: the bearer token clients of
                                    * the fleet dashboard must send */
        /* The listener's TLS and Host check: the host daemon's keys and rules (config.h,
         * docs/http.md). */
        ConfigSwitch tls;          /* auto: HTTPS when both TLS credentials exist */
        char *tls_key;             /* PEM private key source */
        char *tls_certificate;     /* PEM certificate (chain) source */
        char **allowed_hosts;      /* strv, or NULL = auto */
        char *host_url;            /* template of a host's dashboard, render_fleet_host_url() */
        uint64_t query_timeout_usec;
        size_t max_response_bytes;
        uint64_t stale_after_usec; /* a host whose last scan is older is stale */
        uint64_t cache_usec;       /* reuse a fresh answer this long; 0 = ask every time */
        int log_level;
} FleetConfig;

FleetConfig *fleet_config_new(void);
FleetConfig *fleet_config_free(FleetConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetConfig *, fleet_config_free);

/* Apply text on top of c, all or nothing; errors as config_parse() (ConfigError, config.h). */
int fleet_config_parse(FleetConfig *c, const char *text, size_t len, ConfigError *ret_error);
/* Set one key (a command-line flag). -ENOENT for an unknown key, -EINVAL/-ERANGE for a bad
 * value; c is unchanged on error. */
int fleet_config_set(FleetConfig *c, const char *key, const char *value, ConfigError *ret_error);
/* Read a file (at most CONFIG_FILE_MAX bytes) and parse it onto c; missing_ok as config_load(). */
int fleet_config_load(FleetConfig *c, const char *path, bool missing_ok, ConfigError *ret_error);
/* Cross-key checks: prometheus is required. */
int fleet_config_validate(const FleetConfig *c, ConfigError *ret_error);
/* The effective configuration in the file's syntax; parses back to the same FleetConfig. */
char *fleet_config_format(const FleetConfig *c);
