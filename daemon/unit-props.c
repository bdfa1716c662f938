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

int unit_props_syscall_cmp(const char *a, const char *b, bool name_only) {
        /* Byte by byte with ':' read as the end of the name: the scorer calls this some 900 times
         * a unit, so no strcspn() setup per call. */
        for (;; a++, b++) {
                unsigned char ca = *a == ':' ? 0 : (unsigned char) *a;
                unsigned char cb = *b == ':' ? 0 : (unsigned char) *b;

                if (ca != cb)
                        return ca < cb ? -1 : 1;
                if (ca == 0)
                        break;
        }
        /* both names ended: a and b point at their suffixes ("" or ":errno") */
        return name_only ? 0 : strcmp(a, b);
}

static int cmp_syscall(const void *a, const void *b) {
        return unit_props_syscall_cmp(*(char *const *) a, *(char *const *) b, false);
}

void unit_props_sort_system_call_filter(UnitProps *p) {
        char **l = p->system_call_filter;
        size_t n = strv_length(l), k = 0;

        if (n > 1) {
                qsort(l, n, sizeof(char *), cmp_syscall);
                for (size_t i = 0; i < n; i++) {
                        if (k > 0 && streq(l[k - 1], l[i]))
                                free(l[i]);
                        else
                                l[k++] = l[i];
                }
                l[k] = NULL;
        }
        p->system_call_filter_sorted = l;
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
