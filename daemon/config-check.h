/* SPDX-License-Identifier: MIT */
/* `exposured --check-config` beyond the text: would exposured.service start with this
 * configuration? The TLS key and certificate and the bearer token come from credentials that the
 * unit's LoadCredential= (or SetCredential=, ImportCredential=) hands over, or from absolute
 * paths; a switch set to yes without them, half a TLS pair, or a LoadCredential= whose file is
 * missing stops every start, and Restart=on-failure turns that into a restart loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define CONFIG_CHECK_UNIT "exposured.service"

/* A credential the unit passes to the service. */
typedef struct UnitCredential {
        char *name;     /* the credential ID */
        char *setting;  /* e.g. "LoadCredential=tls.key:/etc/exposured/tls.key", for messages */
        bool present;   /* its source exists (a LoadCredential= file), or it needs none */
} UnitCredential;

void unit_credentials_free(UnitCredential *l, size_t n);

/* Check c against the credentials l[0..n) the service receives. Absolute sources are stat()ed
 * (they must be regular files); otherwise pure. 0, or -ENOENT with *ret_error naming the line
 * that asked for the missing credential (config_origin()), or the unit for a LoadCredential= whose
 * file is missing. */
int config_check_credentials(const Config *c, const UnitCredential *l, size_t n,
                             ConfigError *ret_error);

/* The whole check, as --check-config runs it: the credentials are those in
 * $CREDENTIALS_DIRECTORY when it is set (run as the service, e.g. ExecStartPre=), else those that
 * the system manager says CONFIG_CHECK_UNIT's settings pass (read over the system bus). When
 * neither can be read (no bus, the unit not installed) the credentials are not checked and a
 * warning says so. 0, or -errno with *ret_error as config_check_credentials(). */
int config_check_start(const Config *c, ConfigError *ret_error);
