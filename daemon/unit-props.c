/* SPDX-License-Identifier: MIT */
/* UnitProps lifecycle: the defaults systemd-analyze assumes and the release of what the struct
 * owns. Plain data: no D-Bus (bus-props.c decodes messages into UnitProps), no I/O, no logging. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "unit-props.h"
#include "util.h"

void unit_props_init(UnitProps *p) {
        *p = (UnitProps) {
                .default_dependencies = true,
                .capability_bounding_set = UINT64_MAX,
                .restrict_namespaces = UINT64_MAX,
                .umask = 0002,
        };
}

static void free_prefixes(IPPrefix **l, size_t *n) {
        free(*l);
        *l = NULL;
        *n = 0;
}

static void free_device_allow(UnitProps *p) {
        for (size_t i = 0; i < p->n_device_allow; i++) {
                free(p->device_allow[i].path);
                free(p->device_allow[i].permissions);
        }
        free(p->device_allow);
        p->device_allow = NULL;
        p->n_device_allow = 0;
}

void unit_props_set_device_allow(UnitProps *p, DeviceAllowEntry *l, size_t n) {
        free_device_allow(p);
        p->device_allow = l;
        p->n_device_allow = n;
}

void unit_props_done(UnitProps *p) {
        free(p->id);
        free(p->load_state);
        free(p->fragment_path);
        strv_free(p->drop_in_paths);
        free(p->source_path);
        free(p->description);
        free(p->type);
        free(p->notify_access);
        free(p->user);
        strv_free(p->supplementary_groups);
        free(p->protect_home);
        free(p->protect_system);
        free(p->root_directory);
        free(p->root_image);
        free(p->keyring_mode);
        free(p->protect_proc);
        free(p->proc_subset);
        strv_free(p->restrict_address_families);
        strv_free(p->system_call_architectures);
        strv_free(p->system_call_filter);
        free(p->device_policy);
        free_device_allow(p);
        free_prefixes(&p->ip_address_allow, &p->n_ip_address_allow);
        free_prefixes(&p->ip_address_deny, &p->n_ip_address_deny);
        strv_free(p->ip_ingress_filter_path);
        strv_free(p->ip_egress_filter_path);
        unit_props_init(p);
}
