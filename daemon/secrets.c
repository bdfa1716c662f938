/* SPDX-License-Identifier: MIT */
/* The HTTP server's secrets, read once at start-up from the sources the configuration names
 * (docs/http.md): the TLS key and certificate and the bearer token, through credential.c
 * (LoadCredential= names or absolute paths). Checks what it read (a PEM key that is not
 * encrypted, a PEM certificate, a token of printable ASCII) and logs what is wrong, quoting the
 * configuration key. Must never log a secret itself, nor keep a copy: what it returns is the
 * caller's, to wipe with credential_free(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "credential.h"
#include "http-access.h"
#include "log.h"
#include "secrets.h"

_Static_assert(CREDENTIAL_TOKEN_MAX <= HTTP_TOKEN_MAX, "a token read must fit the comparison");

/* Read the secret `key` names (source: a credential name or a path) into *ret. Returns 1, or 0
 * when it is absent and mode is auto, or a logged -errno: a secret that is asked for (yes) or
 * present but unusable never falls back to "off". */
static int load_secret(const char *key, const char *source, ConfigSwitch mode, size_t max,
                       bool private, char **ret) {
        _cleanup_free_ char *path = NULL;
        mode_t perm = 0;
        int r;

        r = credential_path(source, &path);
        if (r == -ENOENT && mode == CONFIG_AUTO)
                return 0;
        if (r == -ENOENT)
                return log_error_errno(r,
                                       "%s: credential '%s' required, but $CREDENTIALS_DIRECTORY "
                                       "is not set (LoadCredential= in the unit, see "
                                       "exposured-tls.conf.example).",
                                       key, source);
        if (r < 0)
                return log_error_errno(r, "%s: '%s' is neither a credential name nor a path.",
                                       key, source);
        r = credential_read(path, max, ret, NULL, &perm);
        if (r == -ENOENT && mode == CONFIG_AUTO)
                return 0;
        if (r == -ELOOP)
                return log_error_errno(r, "%s: '%s' is a symbolic link: give the file itself.",
                                       key, path);
        if (r == -EISDIR || r == -EBADFD)
                return log_error_errno(r, "%s: '%s' is not a regular file.", key, path);
        if (r == -EFBIG)
                return log_error_errno(r, "%s: '%s' is larger than %zu bytes.", key, path, max);
        if (r == -ENODATA)
                return log_error_errno(r, "%s: '%s' is empty.", key, path);
        if (r == -EBADMSG)
                return log_error_errno(r, "%s: '%s' contains a NUL byte.", key, path);
        if (r < 0)
                return log_error_errno(r, "%s: failed to read '%s': %m", key, path);
        /* A secret others can read is already disclosed; say so, but serve: refusing would turn
         * a loose chmod into an outage. LoadCredential= copies are 0400 to the service. */
        if (private && (perm & 077))
                log_warning("%s: '%s' is readable by %s (mode %04o): chmod 0600 it, ignoring.",
                            key, path, (perm & 07) ? "everyone" : "its group",
                            (unsigned) perm);
        return 1;
}

static int check_pem(const char *key, const char *source, const char *pem, const char *label) {
        if (!strstr(pem, "-----BEGIN ") || !strstr(pem, label))
                return log_error_errno(EBADMSG, "%s: '%s' is not a PEM %s.", key, source,
                                       strstr(label, "KEY") ? "private key" : "certificate");
        if (strstr(pem, "ENCRYPTED"))
                return log_error_errno(EBADMSG,
                                       "%s: '%s' is an encrypted key; exposured needs it "
                                       "unencrypted (keep the file 0600 root, LoadCredential= "
                                       "hands it over).",
                                       key, source);
        return 0;
}

int secrets_read_tls(ConfigSwitch tls, const char *key_source, const char *cert_source,
                     char **ret_key, char **ret_cert) {
        _cleanup_(credential_freep) char *key = NULL, *cert = NULL;
        int rk, rc, r;

        *ret_key = *ret_cert = NULL;
        if (tls == CONFIG_NO) {
                log_info("HTTP without TLS (tls = no).");
                return 0;
        }
        rk = load_secret("tls_key", key_source, tls, CREDENTIAL_PEM_MAX, true, &key);
        if (rk < 0)
                return rk;
        rc = load_secret("tls_certificate", cert_source, tls, CREDENTIAL_PEM_MAX, false, &cert);
        if (rc < 0)
                return rc;
        if (rk == 0 && rc == 0) {
                log_info("HTTP without TLS (tls = auto, no credential '%s').", cert_source);
                return 0;
        }
        if (rk == 0 || rc == 0)
                return log_error_errno(ENOENT,
                                       "TLS: found '%s' but not '%s': give both or neither.",
                                       rk ? key_source : cert_source,
                                       rk ? cert_source : key_source);
        r = check_pem("tls_key", key_source, key, "PRIVATE KEY-----");
        if (r >= 0)
                r = check_pem("tls_certificate", cert_source, cert, "CERTIFICATE-----");
        if (r < 0)
                return r;
        log_info("HTTPS with the certificate '%s'.", cert_source);
        *ret_key = TAKE_PTR(key);
        *ret_cert = TAKE_PTR(cert);
        return 0;
}

int secrets_load_tls(const Config *c, char **ret_key, char **ret_cert) {
        return secrets_read_tls(c->tls, c->tls_key, c->tls_certificate, ret_key, ret_cert);
}

int secrets_read_token(const char *key, const char *source, ConfigSwitch mode, char **ret) {
        _cleanup_(credential_freep) char *token = NULL;
        int r;

        *ret = NULL;
        if (mode == CONFIG_NO || !source)
                return 0;
        r = load_secret(key, source, mode, CREDENTIAL_TOKEN_MAX + 2, true, &token);
        if (r <= 0)
                return r;
        r = credential_token_parse(token);
        if (r == -EFBIG)
                return log_error_errno(r, "%s: '%s': the token is longer than %u bytes.", key,
                                       source, CREDENTIAL_TOKEN_MAX);
        if (r < 0)
                return log_error_errno(r,
                                       "%s: '%s': expected one line of printable ASCII "
                                       "without spaces.",
                                       key, source);
        *ret = TAKE_PTR(token);
        return 1;
}

int secrets_load_token(const Config *c, char **ret) {
        char *token = NULL;
        int r;

        *ret = NULL;
        if (c->token == CONFIG_NO)
                return 0;
        r = secrets_read_token("token_file", c->token_file, c->token, &token);
        if (r < 0)
                return r;
        if (r == 0) {
                log_info("No bearer token (token = auto, no credential '%s').", c->token_file);
                return 0;
        }
        log_info("Requests need the bearer token from '%s'.", c->token_file);
        *ret = token;
        return 0;
}
