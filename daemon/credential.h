/* SPDX-License-Identifier: MIT */
/* Secrets handed in by systemd's LoadCredential=/SetCredential=: the TLS key and certificate and
 * the bearer token. A source is a credential name, looked up in $CREDENTIALS_DIRECTORY, or an
 * absolute path. Reading is bounded and the buffers are wiped before they are freed. Does I/O but
 * never logs: callers (the manager) say what went wrong. Never keeps a copy of what it reads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cleanup.h"

#define CREDENTIAL_PEM_MAX (64U * 1024U) /* a key or a certificate chain, PEM */
#define CREDENTIAL_TOKEN_MAX 256U        /* bytes of a bearer token (HTTP_TOKEN_MAX agrees) */
#define CREDENTIAL_NAME_MAX 255U

/* Is name a valid credential name (systemd's rules: a file name, no "/", not "." or "..", at
 * most CREDENTIAL_NAME_MAX bytes), in UTF-8 without control characters? Pure. */
bool credential_name_valid(const char *name);

/* Is source a valid credential name, or an absolute path (shorter than PATH_MAX, not ending in
 * "/") in UTF-8 without control characters (C0, DEL, C1; tabs included)? Pure. */
bool credential_source_valid(const char *source);

/* Resolve source (a credential name or an absolute path) to a path the caller frees.
 * -ENOENT when source is a credential name and $CREDENTIALS_DIRECTORY is not set; -EINVAL for a
 * source that is neither. Pure but for getenv(). */
int credential_path(const char *source, char **ret);

/* Open path for reading the way every secret and configuration file is opened: without
 * following a symlink in its last component (-ELOOP), without blocking (a FIFO or a device never
 * hangs start-up), and only if it is a regular file (-EISDIR for a directory, -EBADFD for a FIFO,
 * socket or device). Returns the fd (O_NONBLOCK is harmless on regular files; the caller closes
 * it) and, when ret_mode is not NULL, the file's permission bits. */
int credential_open(const char *path, mode_t *ret_mode);

/* Read at most max bytes of path (opened with credential_open()) into a NUL-terminated buffer
 * (free it with credential_free()), and the file's permission bits into *ret_mode (may be NULL).
 * -ENOENT (missing), -EACCES, -ELOOP (a symlink), -EISDIR, -EBADFD (not a regular file), ...,
 * -EFBIG (more than max bytes), -EBADMSG (a NUL byte inside: the text would be cut short),
 * -ENODATA (empty). Nothing is returned on error and whatever was read is wiped. */
int credential_read(const char *path, size_t max, char **ret, size_t *ret_size,
                    mode_t *ret_mode);

/* Wipe s (up to its NUL) and free it. Accepts NULL, returns NULL. */
char *credential_free(char *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(char *, credential_free);

/* Turn a token file's contents into the token, in place: trailing newlines (\n, \r\n) are
 * stripped; what remains must be 1 to CREDENTIAL_TOKEN_MAX printable ASCII characters without
 * spaces (RFC 6750 b64token is a subset). Returns its length or -EINVAL (empty, spaces, control
 * characters) or -EFBIG (too long). Pure. */
int credential_token_parse(char *s);
