/* SPDX-License-Identifier: MIT */
/* --check-config's start-up check: which credentials will exposured.service receive, and does the
 * configuration ask for one it will not? The decision (config_check_credentials()) only stat()s
 * absolute sources; config_check_start() gathers the credentials from $CREDENTIALS_DIRECTORY or
 * from the manager's view of the unit (synchronous sd-bus calls: this is a one-shot command, never
 * the daemon's loop). Never reads a secret: existence is all it checks (secrets.c reads them at
 * start and says what is wrong with their contents). */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-bus.h>

#include "buf.h"
#include "cleanup.h"
#include "config-check.h"
#include "log.h"
#include "util.h"

void unit_credentials_free(UnitCredential *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].name);
                free(l[i].setting);
        }
        free(l);
}

/* Error at the first of keys[] that a file set (config_origin()); at no line when none did. */
static void at_first_origin(const Config *c, const char *const *keys, size_t n, ConfigError *e) {
        for (size_t i = 0; i < n; i++)
                if (config_origin(c, keys[i], NULL, NULL) == 1) {
                        config_error_at(c, keys[i], e);
                        return;
                }
}

static bool file_exists(const char *path) {
        struct stat st;

        return stat(path, &st) >= 0 && S_ISREG(st.st_mode);
}

/* The credential that provides source (a name; ImportCredential= entries are globs). */
static const UnitCredential *find(const UnitCredential *l, size_t n, const char *source) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i].name, source) || fnmatch(l[i].name, source, 0) == 0)
                        return &l[i];
        return NULL;
}

/* Is the secret that `key` names (source) going to be there? If not, *ret_why says why. */
static bool available(const UnitCredential *l, size_t n, const char *key, const char *source,
                      char **ret_why) {
        const UnitCredential *u;
        char *why = NULL;

        if (source[0] == '/') {
                if (file_exists(source))
                        return true;
                if (asprintf(&why, "%s '%s' is not a regular file that exists", key, source) < 0)
                        abort();
        } else {
                u = find(l, n, source);
                if (u && u->present)
                        return true;
                if (u) {
                        if (asprintf(&why, "%s: the file of %s does not exist", key, u->setting) <
                            0)
                                abort();
                } else if (asprintf(&why,
                                    "%s: no credential '%s' is passed to %s (LoadCredential=%s:"
                                    "FILE; see exposured-tls.conf.example)",
                                    key, source, CONFIG_CHECK_UNIT, source) < 0)
                        abort();
        }
        *ret_why = why;
        return false;
}

int config_check_credentials(const Config *c, const UnitCredential *l, size_t n,
                             ConfigError *ret_error) {
        assert(c);

        /* systemd refuses to start a unit whose LoadCredential= file is missing, whatever the
         * configuration says. */
        for (size_t i = 0; i < n; i++)
                if (!l[i].present) {
                        text_error_set(ret_error, CONFIG_CHECK_UNIT, 0,
                                       "%s: the file does not exist: the service would fail "
                                       "to start", l[i].setting);
                        return -ENOENT;
                }

        if (c->tls != CONFIG_NO) {
                _cleanup_free_ char *why_key = NULL, *why_cert = NULL;
                bool k = available(l, n, "tls_key", c->tls_key, &why_key);
                bool crt = available(l, n, "tls_certificate", c->tls_certificate, &why_cert);

                if (c->tls == CONFIG_YES && (!k || !crt)) {
                        static const char *const at[] = { "tls" };
                        text_error_set(ret_error, NULL, 0,
                                       "tls = yes, but %s: the service would fail to start",
                                       !k ? why_key : why_cert);
                        at_first_origin(c, at, ELEMENTSOF(at), ret_error);
                        return -ENOENT;
                }
                if (c->tls == CONFIG_AUTO && k != crt) {
                        /* The line to fix: tls if a file set it, else the missing half's key. */
                        const char *const at[] = { "tls", k ? "tls_certificate" : "tls_key",
                                                   k ? "tls_key" : "tls_certificate" };
                        text_error_set(ret_error, NULL, 0,
                                       "tls = auto finds %s '%s' but not %s (%s): give both "
                                       "or neither, or the service fails to start",
                                       k ? "tls_key" : "tls_certificate",
                                       k ? c->tls_key : c->tls_certificate, k ? why_cert : why_key,
                                       k ? "tls_certificate" : "tls_key");
                        at_first_origin(c, at, ELEMENTSOF(at), ret_error);
                        return -ENOENT;
                }
        }
        if (c->token == CONFIG_YES) {
                _cleanup_free_ char *why = NULL;
                static const char *const at[] = { "token", "token_file" };

                if (!available(l, n, "token_file", c->token_file, &why)) {
                        text_error_set(ret_error, NULL, 0,
                                       "token = yes, but %s: the service would fail to start", why);
                        at_first_origin(c, at, ELEMENTSOF(at), ret_error);
                        return -ENOENT;
                }
        }
        return 0;
}

static void push(UnitCredential **l, size_t *n, const char *name, bool present, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

static void push(UnitCredential **l, size_t *n, const char *name, bool present, const char *fmt,
                 ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        *l = xrealloc(*l, (*n + 1) * sizeof(UnitCredential));
        (*l)[*n] = (UnitCredential) { .name = xstrdup(name), .setting = s, .present = present };
        (*n)++;
}

/* Every file in $CREDENTIALS_DIRECTORY: what the service really got. */
static int credentials_from_directory(const char *dir, UnitCredential **l, size_t *n) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        push(l, n, de->d_name, true, "$CREDENTIALS_DIRECTORY/%s", de->d_name);
        (void) closedir(d);
        return 0;
}

/* One of the unit's credential settings. Properties a version does not have (ImportCredential=
 * before systemd 254) or with another signature are skipped. */
static void read_setting(sd_bus *bus, const char *path, const char *prop, bool has_source,
                         UnitCredential **l, size_t *n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id, *src;
        int r;

        r = sd_bus_get_property(bus, "org.freedesktop.systemd1", path,
                                "org.freedesktop.systemd1.Service", prop, &error, &reply,
                                has_source ? "a(ss)" : streq(prop, "ImportCredential") ? "as"
                                                                                       : "a(say)");
        if (r < 0)
                return;
        if (streq(prop, "ImportCredential")) {
                if (sd_bus_message_enter_container(reply, 'a', "s") < 0)
                        return;
                while (sd_bus_message_read(reply, "s", &id) > 0)
                        push(l, n, id, true, "%s=%s", prop, id);
                return;
        }
        if (sd_bus_message_enter_container(reply, 'a', has_source ? "(ss)" : "(say)") < 0)
                return;
        for (;;) {
                if (has_source) {
                        r = sd_bus_message_read(reply, "(ss)", &id, &src);
                        if (r <= 0)
                                break;
                        /* A relative or empty source is looked up in the credential stores by
                         * systemd; only a given absolute path can be checked here. */
                        struct stat st;
                        bool present = src[0] != '/' || stat(src, &st) >= 0;
                        push(l, n, id, present, "%s=%s:%s", prop, id, src);
                } else {
                        r = sd_bus_message_enter_container(reply, 'r', "say");
                        if (r <= 0)
                                break;
                        if (sd_bus_message_read(reply, "s", &id) < 0 ||
                            sd_bus_message_skip(reply, "ay") < 0 ||
                            sd_bus_message_exit_container(reply) < 0)
                                break;
                        push(l, n, id, true, "%s=%s:...", prop, id);
                }
        }
}

/* What the manager says the unit passes. 0, -ENOENT when the unit is not installed, or -errno. */
static int credentials_from_unit(UnitCredential **l, size_t *n) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        const char *path;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "LoadUnit", &error, &reply, "s",
                               CONFIG_CHECK_UNIT);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                       "org.freedesktop.systemd1.Unit", "LoadState", &error,
                                       &state);
        if (r < 0)
                return r;
        if (!streq(state, "loaded"))
                return -ENOENT;
        read_setting(bus, path, "LoadCredential", true, l, n);
        read_setting(bus, path, "LoadCredentialEncrypted", true, l, n);
        read_setting(bus, path, "SetCredential", false, l, n);
        read_setting(bus, path, "SetCredentialEncrypted", false, l, n);
        read_setting(bus, path, "ImportCredential", false, l, n);
        return 0;
}

int config_check_start(const Config *c, ConfigError *ret_error) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        UnitCredential *l = NULL;
        size_t n = 0;
        int r;

        if (!isempty(dir)) {
                r = credentials_from_directory(dir, &l, &n);
                if (r < 0) {
                        log_warning_errno(r, "Cannot list $CREDENTIALS_DIRECTORY '%s': %m; "
                                             "credentials not checked.", dir);
                        return 0;
                }
        } else {
                r = credentials_from_unit(&l, &n);
                if (r < 0) {
                        unit_credentials_free(l, n);
                        if (r == -ENOENT)
                                log_warning("%s is not installed: the credentials it would pass "
                                            "are not checked.", CONFIG_CHECK_UNIT);
                        else
                                log_warning_errno(r, "Cannot ask the service manager which "
                                                     "credentials %s passes (%m): not checked.",
                                                  CONFIG_CHECK_UNIT);
                        return 0;
                }
        }
        r = config_check_credentials(c, l, n, ret_error);
        unit_credentials_free(l, n);
        return r;
}
