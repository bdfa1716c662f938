/* SPDX-License-Identifier: MIT */
/* The HTTP server's secrets (TLS key and certificate, bearer token), loaded from the sources a
 * Config names. Called by the manager at start-up; logs its own errors. */
#pragma once

#include "config.h"

/* Read the TLS key and certificate that c asks for: none with tls = no; both or neither with
 * tls = auto (neither: no credentials found); both with tls = yes. On success *ret_key and
 * *ret_cert are NUL-terminated PEM texts (free with credential_free()) or both NULL for plain
 * HTTP. Returns 0, or a logged -errno: -ENOENT (a credential required but missing, or only one
 * of the two), -EFBIG, -ENODATA, -EBADMSG (not PEM, an encrypted key, a NUL byte), -EACCES, ...
 * Nothing is returned on error. */
int secrets_load_tls(const Config *c, char **ret_key, char **ret_cert);
/* The same for any program mode's keys tls, tls_key and tls_certificate (the two sources). */
int secrets_read_tls(ConfigSwitch tls, const char *key_source, const char *cert_source,
                     char **ret_key, char **ret_cert);

/* Read the bearer token that c asks for: none with token = no, or with token = auto when its
 * credential is absent. On success *ret is the token (trailing newline stripped; free with
 * credential_free()) or NULL. Returns 0, or a logged -errno: -ENOENT, -EFBIG (longer than
 * CREDENTIAL_TOKEN_MAX), -EINVAL (spaces, control characters), -ENODATA, ... */
int secrets_load_token(const Config *c, char **ret);

/* The one token reader behind secrets_load_token() and `exposured fleet`'s tokens: the token that
 * source (a credential name or an absolute path) holds, for the configuration key `key` (quoted in
 * messages). mode: CONFIG_NO reads nothing; CONFIG_AUTO accepts an absent credential; CONFIG_YES
 * requires it. Symlinks, FIFOs and other non-regular files are refused; a group- or
 * world-readable file is used with a warning. Returns 1 and *ret (credential_free() it), 0 with
 * *ret NULL when there is none, or a logged -errno. */
int secrets_read_token(const char *key, const char *source, ConfigSwitch mode, char **ret);
