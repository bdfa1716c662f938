/* SPDX-License-Identifier: MIT */
/* The configuration: /etc/exposured/exposured.conf, then its drop-ins
 * /etc/exposured/exposured.conf.d/\*.conf in lexical order (a later line wins, as in systemd),
 * `key = value` lines, `#` comments, no sections (format and keys: exposured.conf(5)). Parsing is
 * pure (text -> Config, no I/O, no logging): a bad line yields its file, number and a message and
 * changes nothing; the caller logs "FILE:LINE: message". Every key remembers the file and line
 * that set it, so cross-key checks name them too. Command-line flags go through config_set(), so
 * they get the same checks. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "cleanup.h"
#include "util.h"

#define CONFIG_PATH_DEFAULT "/etc/exposured/exposured.conf"
#define CONFIG_FILE_MAX (64U * 1024U) /* bytes */
#define CONFIG_LINE_MAX 4096U
#define CONFIG_LISTEN_MAX 16U
#define CONFIG_HOSTS_MAX 32U
#define CONFIG_DROPINS_MAX 128U /* *.conf files read from one drop-in directory */
#define CONFIG_KEYS_MAX 64U     /* room in Config.origin; config.c asserts the key table fits */

/* yes / no / auto, for features that auto-enable when their credentials are present. */
typedef enum ConfigSwitch {
        CONFIG_NO,
        CONFIG_YES,
        CONFIG_AUTO,
        _CONFIG_SWITCH_MAX,
        _CONFIG_SWITCH_INVALID = -EINVAL,
} ConfigSwitch;

/* A `listen` address, parsed once here and carried as is to the HTTP server (http-server.h),
 * which binds addr and quotes text in its messages. */
typedef struct ListenAddress {
        char *text;                    /* normalized: "127.0.0.1:9573", "[::1]:9573" */
        struct sockaddr_storage addr;  /* AF_INET or AF_INET6, port 1-65535 */
        socklen_t addr_len;
} ListenAddress;

/* Where a key's value came from: line `line` of sources[source - 1]; source 0 with line 0 is the
 * built-in default, source 0 with a line is unnamed text (config_parse()), CONFIG_SOURCE_FLAG a
 * command-line flag (config_set()). */
#define CONFIG_SOURCE_FLAG UINT32_MAX
typedef struct ConfigOrigin {
        uint32_t source;
        uint32_t line;
} ConfigOrigin;

typedef struct Config {
        char *db;             /* absolute path */
        ListenAddress *listen; /* used when no socket is passed in (sd_listen_fds) */
        size_t n_listen;
        uint64_t retention_usec;     /* 0 = keep forever */
        unsigned new_unit_threshold; /* tenths, 0..100 */
        bool per_check_metrics;
        bool user_managers;          /* user_managers = lingering: read USER_REPORTS_DIR too */
        uint64_t rescan_coalesce_usec;
        uint64_t rescan_interval_usec; /* periodic full rescan; 0 = off */
        unsigned max_connections;
        /* HTTP limits against hostile clients (http-server.h; the server never lets one exceed
         * max_connections): */
        unsigned max_connections_per_address; /* per IPv4 address or IPv6 /64 */
        unsigned max_reading_connections;     /* still sending a request head; 0 = auto: half
                                               * of max_connections */
        uint64_t request_head_timeout_usec;   /* the whole head must arrive within it */
        uint64_t idle_timeout_usec;           /* a connection with nothing to do is closed */
        int log_level;          /* LOG_ERR..LOG_DEBUG */
        char *systemd_version;  /* override of the manager's Version; NULL = ask it */
        unsigned systemd_major; /* its leading number; 0 when not overridden */
        uint64_t db_max_bytes;  /* cap on the database file; 0 = none */
        uint64_t db_retry_usec; /* after a failed database write or open, retry this often */
        char *os_root;          /* where the watched host's os-release is (absolute dir) */
        /* Access (docs/http.md): sources are credential names ($CREDENTIALS_DIRECTORY, from
         * LoadCredential=) or absolute paths. */
        ConfigSwitch tls;       /* auto: HTTPS when both TLS credentials exist */
        char *tls_key;          /* PEM private key source */
        char *tls_certificate;  /* PEM certificate (chain) source */
        ConfigSwitch token;     /* auto: require the bearer token when its credential exists */
        char *token_file;       /* bearer token source */
        char **allowed_hosts;   /* Host names accepted besides loopback ones (strv, lower case,
                                 * "*" = any); NULL = auto: loopback names only when every
                                 * listening socket is a loopback one, else any */
        char **sources;         /* the files applied, in order (strv); NULL entries never */
        ConfigOrigin origin[CONFIG_KEYS_MAX]; /* by key, in the key table's order */
} Config;

/* Where a parse failed: line 0 for a problem not tied to a line (config_set, I/O); file set when
 * it is not the caller's source. */
typedef TextError ConfigError;

void config_error_done(ConfigError *e);
/* Replace e's message (e may be NULL) and set its line; its file stays. */
void config_error_set(ConfigError *e, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Log e as "FILE:LINE: problem" (FILE: e->file, else source; "FILE: problem" when it has no line;
 * r is the -errno for that case) for the verbs that read a configuration. Returns EXIT_FAILURE. */
int config_error_log(const char *source, const ConfigError *e, int r);

/* A Config holding the defaults. Allocation aborts on OOM. */
Config *config_new(void);
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* Apply `text` (len bytes, need not be NUL-terminated) on top of c. All or nothing: on error c is
 * unchanged, *ret_error (if not NULL) names the line and the problem, and -EINVAL is returned. */
int config_parse(Config *c, const char *text, size_t len, ConfigError *ret_error);

/* Set one key from a string (a command-line flag). -ENOENT for an unknown key, -EINVAL/-ERANGE
 * for a bad value (message in *ret_error); c is unchanged on error. */
int config_set(Config *c, const char *key, const char *value, ConfigError *ret_error);

/* Read and parse a file onto c, then the drop-ins PATH.d/\*.conf (names not starting with ".", at
 * most CONFIG_DROPINS_MAX, applied in strcmp() order of their names, as systemd orders drop-ins).
 * All or nothing over every file. A missing file is fine (-ENOENT is returned only when missing_ok
 * is false), as is a missing drop-in directory; files over CONFIG_FILE_MAX are -EFBIG; symlinks,
 * FIFOs and devices are refused. Errors as config_parse(), with ret_error->file naming the file. */
int config_load(Config *c, const char *path, bool missing_ok, ConfigError *ret_error);

/* Where key's value came from: 1 and the file (owned by c; NULL for unnamed text) and line when a
 * file set it, 2 when a command-line flag did, 0 when it is the default; -ENOENT for an unknown
 * key. ret_file and ret_line may be NULL. */
int config_origin(const Config *c, const char *key, const char **ret_file, unsigned *ret_line);

/* Copy key's origin into e (e->file and e->line) for a message about that key. */
void config_error_at(const Config *c, const char *key, ConfigError *e);

/* Checks across keys (run after every source is applied). 0 or -EINVAL with a message naming the
 * file and line that set the offending key. */
int config_validate(const Config *c, ConfigError *ret_error);

/* Parse a `listen` value (ADDRESS:PORT items separated by spaces or commas, at most
 * CONFIG_LISTEN_MAX) into a new array (possibly empty) for listen_addresses_free(). Shared by
 * every program mode's configuration. Pure. 0, or -EINVAL/-ERANGE with a message. */
int config_parse_listen(const char *v, ListenAddress **ret, size_t *ret_n,
                        ConfigError *ret_error);
void listen_addresses_free(ListenAddress *l, size_t n);

/* The file syntax every program mode's configuration shares (exposured.conf, fleet.conf): one
 * engine reads the file and then its drop-ins PATH.d/\*.conf (config_load()), the lines (comments,
 * inline `#` comments, blank lines, CR, limits, control characters) and applies them all or
 * nothing over every file, through the mode's own key table behind apply. */
typedef struct ConfigSyntax {
        /* Apply one key to obj: 0, -ENOENT for an unknown key (the engine says so), or
         * -EINVAL/-ERANGE with a message in e (the engine adds the line). */
        int (*apply)(void *obj, const char *key, const char *value, uint32_t source,
                     unsigned line, ConfigError *e);
        /* A file is about to be applied onto obj: its origin number (from 1) for apply's source,
         * or 0. NULL when obj does not record origins. */
        uint32_t (*add_source)(void *obj, const char *path);
        void *(*copy)(const void *obj);
        void (*replace)(void *dst, void *src); /* move src's contents into dst; frees src */
        void (*free)(void *obj);
} ConfigSyntax;

/* config_parse(), config_set() and config_load() for any configuration object. */
int config_syntax_parse(const ConfigSyntax *s, void *obj, const char *text, size_t len,
                        ConfigError *ret_error);
int config_syntax_set(const ConfigSyntax *s, void *obj, const char *key, const char *value,
                      ConfigError *ret_error);
int config_syntax_load(const ConfigSyntax *s, void *obj, const char *path, bool missing_ok,
                       ConfigError *ret_error);

/* The access keys every program mode's listener has (docs/http.md), parsed by the same rules
 * everywhere. Pure; 0, or -EINVAL with a message naming key. */
/* auto, or a boolean (parse_bool()) as yes/no. */
int config_parse_switch(const char *key, const char *v, ConfigSwitch *ret, ConfigError *e);
const char *config_switch_to_string(ConfigSwitch s);
/* A credential name or an absolute path (credential_source_valid()) into *field (replaced). */
int config_parse_source(const char *key, const char *v, char **field, ConfigError *e);
/* allowed_hosts: "auto" (*hosts = NULL) or up to CONFIG_HOSTS_MAX names, lower-cased, into
 * *hosts (a strv, replaced); and back in the same syntax. */
int config_parse_allowed_hosts(const char *v, char ***hosts, ConfigError *e);
void config_format_allowed_hosts(char *const *hosts, Buf *b);

/* The effective configuration in the file's own syntax (for --check-config). Returns a string
 * the caller frees; it parses back to the same Config. */
char *config_format(const Config *c);
