/* SPDX-License-Identifier: MIT */
/* props-text: `systemctl show` output -> UnitProps. Formats were checked against systemctl of
 * systemd 247, 252, 257 and 262 (src/shared/bus-print-properties.c and the property-specific
 * printers): booleans "yes"/"no"; capability sets as "cap_chown cap_kill ..."; RestrictNamespaces
 * as "yes" (none allowed), "no" (all allowed) or the allowed names; RestrictAddressFamilies and
 * SystemCallFilter as "~a b" for deny lists and "a b" for allow lists ("" = empty allow list,
 * "~" = no filter); UMask in octal; IPAddressAllow/Deny as "addr/prefix ..."; DeviceAllow as one
 * "path perms" line per entry. It must never crash or read past len, whatever the input. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "props-text.h"
#include "util.h"

/* Longest line we accept: a full SystemCallFilter list is ~4 KiB. */
#define LINE_MAX_LEN (64 * 1024)

typedef enum PropType {
        PROP_STRING,
        PROP_BOOL,
        PROP_STRV,
        PROP_CAPS,
        PROP_UMASK,
        PROP_NAMESPACES,
        PROP_FAMILIES,
        PROP_SYSCALLS,
        PROP_DEVICES,
        PROP_IPS,
} PropType;

typedef struct PropMap {
        const char *name;
        PropType type;
        size_t offset;
        size_t n_offset; /* PROP_IPS: the count field */
} PropMap;

#define P(n, t, f) { n, t, offsetof(UnitProps, f), 0 }
static const PropMap prop_map[] = {
        P("Id", PROP_STRING, id),
        P("LoadState", PROP_STRING, load_state),
        P("FragmentPath", PROP_STRING, fragment_path),
        P("Description", PROP_STRING, description),
        P("DefaultDependencies", PROP_BOOL, default_dependencies),
        P("Type", PROP_STRING, type),
        P("NotifyAccess", PROP_STRING, notify_access),
        P("User", PROP_STRING, user),
        P("DynamicUser", PROP_BOOL, dynamic_user),
        P("SupplementaryGroups", PROP_STRV, supplementary_groups),
        P("PrivateDevices", PROP_BOOL, private_devices),
        P("PrivateMounts", PROP_BOOL, private_mounts),
        P("PrivateNetwork", PROP_BOOL, private_network),
        P("PrivateTmp", PROP_BOOL, private_tmp),
        P("PrivateUsers", PROP_BOOL, private_users),
        P("ProtectControlGroups", PROP_BOOL, protect_control_groups),
        P("ProtectKernelModules", PROP_BOOL, protect_kernel_modules),
        P("ProtectKernelTunables", PROP_BOOL, protect_kernel_tunables),
        P("ProtectKernelLogs", PROP_BOOL, protect_kernel_logs),
        P("ProtectClock", PROP_BOOL, protect_clock),
        P("ProtectHostname", PROP_BOOL, protect_hostname),
        P("ProtectHome", PROP_STRING, protect_home),
        P("ProtectSystem", PROP_STRING, protect_system),
        P("RootDirectory", PROP_STRING, root_directory),
        P("RootImage", PROP_STRING, root_image),
        P("LockPersonality", PROP_BOOL, lock_personality),
        P("MemoryDenyWriteExecute", PROP_BOOL, memory_deny_write_execute),
        P("NoNewPrivileges", PROP_BOOL, no_new_privileges),
        P("CapabilityBoundingSet", PROP_CAPS, capability_bounding_set),
        P("AmbientCapabilities", PROP_CAPS, ambient_capabilities),
        P("UMask", PROP_UMASK, umask),
        P("KeyringMode", PROP_STRING, keyring_mode),
        P("ProtectProc", PROP_STRING, protect_proc),
        P("ProcSubset", PROP_STRING, proc_subset),
        P("RemoveIPC", PROP_BOOL, remove_ipc),
        P("RestrictRealtime", PROP_BOOL, restrict_realtime),
        P("RestrictSUIDSGID", PROP_BOOL, restrict_suid_sgid),
        P("RestrictNamespaces", PROP_NAMESPACES, restrict_namespaces),
        P("RestrictAddressFamilies", PROP_FAMILIES, restrict_address_families),
        P("SystemCallArchitectures", PROP_STRV, system_call_architectures),
        P("SystemCallFilter", PROP_SYSCALLS, system_call_filter),
        P("Delegate", PROP_BOOL, delegate),
        P("DevicePolicy", PROP_STRING, device_policy),
        P("DeviceAllow", PROP_DEVICES, device_allow),
        { "IPAddressAllow", PROP_IPS, offsetof(UnitProps, ip_address_allow),
          offsetof(UnitProps, n_ip_address_allow) },
        { "IPAddressDeny", PROP_IPS, offsetof(UnitProps, ip_address_deny),
          offsetof(UnitProps, n_ip_address_deny) },
        P("IPIngressFilterPath", PROP_STRV, ip_ingress_filter_path),
        P("IPEgressFilterPath", PROP_STRV, ip_egress_filter_path),
};
#undef P

/* Capability names by bit number (linux/capability.h), as capability_to_name() spells them. */
static const char *const cap_names[] = {
        "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid",
        "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable",
        "cap_net_bind_service", "cap_net_broadcast", "cap_net_admin", "cap_net_raw",
        "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot",
        "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
        "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
        "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override",
        "cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read",
        "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
};

/* clone(2) flags by namespace name (src/shared/nsflags.c). */
static const struct {
        const char *name;
        uint64_t flag;
} ns_names[] = {
        { "cgroup", 0x02000000 }, { "ipc", 0x08000000 }, { "net", 0x40000000 },
        { "mnt", 0x00020000 },    { "pid", 0x20000000 }, { "user", 0x10000000 },
        { "uts", 0x04000000 },    { "time", 0x00000080 },
};

typedef struct Word {
        const char *p;
        size_t n;
} Word;

/* Next space-separated word of [*s, end); false at the end. */
static bool next_word(const char **s, const char *end, Word *ret) {
        const char *p = *s;

        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p >= end)
                return false;
        ret->p = p;
        while (p < end && *p != ' ' && *p != '\t')
                p++;
        ret->n = (size_t) (p - ret->p);
        *s = p;
        return true;
}

static bool word_is(const Word *w, const char *s) {
        return strlen(s) == w->n && memcmp(w->p, s, w->n) == 0;
}

static int parse_caps(const char *v, const char *end, uint64_t *ret) {
        uint64_t mask = 0;
        Word w;

        while (next_word(&v, end, &w)) {
                bool found = false;

                for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
                        if (strlen(cap_names[i]) == w.n &&
                            strncasecmp(w.p, cap_names[i], w.n) == 0) {
                                mask |= UINT64_C(1) << i;
                                found = true;
                                break;
                        }
                if (found)
                        continue;
                /* A capability newer than this list is printed by number. */
                uint64_t bit = 0;
                if (w.n == 0 || w.n > 2)
                        return -EINVAL;
                for (size_t i = 0; i < w.n; i++) {
                        if (w.p[i] < '0' || w.p[i] > '9')
                                return -EINVAL;
                        bit = bit * 10 + (uint64_t) (w.p[i] - '0');
                }
                if (bit > 63)
                        return -EINVAL;
                mask |= UINT64_C(1) << bit;
        }
        *ret = mask;
        return 0;
}

static int parse_namespaces(const char *v, const char *end, uint64_t *ret) {
        uint64_t mask = 0;
        bool invert = false;
        Word w;

        if ((size_t) (end - v) == 3 && memcmp(v, "yes", 3) == 0) {
                *ret = 0;
                return 0;
        }
        if ((size_t) (end - v) == 2 && memcmp(v, "no", 2) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (v < end && *v == '~') {
                invert = true;
                v++;
        }
        while (next_word(&v, end, &w)) {
                size_t i;

                for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
                        if (word_is(&w, ns_names[i].name))
                                break;
                if (i >= sizeof(ns_names) / sizeof(ns_names[0]))
                        return -EINVAL;
                mask |= ns_names[i].flag;
        }
        if (invert) {
                uint64_t all = 0;

                for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
                        all |= ns_names[i].flag;
                mask = all & ~mask;
        }
        *ret = mask;
        return 0;
}

static char **parse_strv(const char *v, const char *end) {
        char **l = NULL;
        Word w;

        while (next_word(&v, end, &w)) {
                char *s = xstrndup(w.p, w.n);

                strv_push(&l, s);
                free(s);
        }
        return l;
}

static int parse_umask(const char *v, size_t n, uint32_t *ret) {
        uint32_t m = 0;

        if (n == 0 || n > 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (v[i] < '0' || v[i] > '7')
                        return -EINVAL;
                m = m * 8 + (uint32_t) (v[i] - '0');
        }
        if (m > 0777)
                return -EINVAL;
        *ret = m;
        return 0;
}

static int parse_ip(const Word *w, IPPrefix *ret) {
        char buf[INET6_ADDRSTRLEN + 8];
        const char *slash;
        size_t alen;
        IPPrefix a = { 0 };
        uint32_t maxlen;

        if (w->n == 0 || w->n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, w->p, w->n);
        buf[w->n] = '\0';
        slash = strchr(buf, '/');
        alen = slash ? (size_t) (slash - buf) : w->n;
        buf[alen] = '\0';

        if (inet_pton(AF_INET, buf, a.address) == 1) {
                a.family = AF_INET;
                maxlen = 32;
        } else if (inet_pton(AF_INET6, buf, a.address) == 1) {
                a.family = AF_INET6;
                maxlen = 128;
        } else
                return -EINVAL;

        a.prefixlen = maxlen;
        if (slash) {
                const char *q = slash + 1;
                uint32_t len = 0;

                if (!*q || strlen(q) > 3)
                        return -EINVAL;
                for (; *q; q++) {
                        if (*q < '0' || *q > '9')
                                return -EINVAL;
                        len = len * 10 + (uint32_t) (*q - '0');
                }
                if (len > maxlen)
                        return -EINVAL;
                a.prefixlen = len;
        }
        *ret = a;
        return 0;
}

static int parse_ips(const char *v, const char *end, IPPrefix **ret, size_t *ret_n) {
        IPPrefix *l = NULL;
        size_t n = 0;
        Word w;

        while (next_word(&v, end, &w)) {
                IPPrefix a;

                if (parse_ip(&w, &a) < 0) {
                        free(l);
                        return -EINVAL;
                }
                l = xrealloc(l, (n + 1) * sizeof(IPPrefix));
                l[n++] = a;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

static int parse_device(const char *v, const char *end, UnitProps *p) {
        Word path, perms, extra;

        if (!next_word(&v, end, &path))
                return 0; /* "DeviceAllow=": no entry */
        if (!next_word(&v, end, &perms) || next_word(&v, end, &extra))
                return -EINVAL;
        for (size_t i = 0; i < perms.n; i++)
                if (!strchr("rwm", perms.p[i]))
                        return -EINVAL;

        p->device_allow = xrealloc(p->device_allow,
                                   (p->n_device_allow + 1) * sizeof(DeviceAllowEntry));
        p->device_allow[p->n_device_allow++] = (DeviceAllowEntry) {
                .path = xstrndup(path.p, path.n),
                .permissions = xstrndup(perms.p, perms.n),
        };
        return 0;
}

static int parse_line(const char *line, size_t n, UnitProps *p) {
        const char *eq = memchr(line, '=', n), *v, *end = line + n;
        const PropMap *m = NULL;
        size_t klen;

        if (!eq)
                return -EINVAL;
        klen = (size_t) (eq - line);
        for (size_t i = 0; i < sizeof(prop_map) / sizeof(prop_map[0]); i++)
                if (strlen(prop_map[i].name) == klen && memcmp(prop_map[i].name, line, klen) == 0) {
                        m = prop_map + i;
                        break;
                }
        if (!m)
                return 0; /* unknown keys are ignored */

        v = eq + 1;
        uint8_t *field = (uint8_t *) p + m->offset;
        size_t vlen = (size_t) (end - v);

        switch (m->type) {
        case PROP_STRING: {
                char **s = (char **) field;

                if (memchr(v, '\0', vlen))
                        return -EINVAL;
                free(*s);
                *s = vlen > 0 ? xstrndup(v, vlen) : NULL;
                return 0;
        }
        case PROP_BOOL: {
                int r = parse_bool_n(v, vlen);

                if (r < 0)
                        return r;
                *(bool *) field = r;
                return 0;
        }
        case PROP_STRV: {
                char ***l = (char ***) field;

                strv_free(*l);
                *l = parse_strv(v, end);
                return 0;
        }
        case PROP_CAPS:
                return parse_caps(v, end, (uint64_t *) field);
        case PROP_UMASK:
                return parse_umask(v, vlen, (uint32_t *) field);
        case PROP_NAMESPACES:
                return parse_namespaces(v, end, (uint64_t *) field);
        case PROP_FAMILIES:
        case PROP_SYSCALLS: {
                bool allow = !(v < end && *v == '~');
                char ***l = (char ***) field;

                if (!allow)
                        v++;
                strv_free(*l);
                *l = parse_strv(v, end);
                if (m->type == PROP_FAMILIES)
                        p->restrict_address_families_allow_list = allow;
                else {
                        p->system_call_filter_allow_list = allow;
                        unit_props_sort_system_call_filter(p); /* as bus-props.c does */
                }
                return 0;
        }
        case PROP_DEVICES:
                return parse_device(v, end, p);
        case PROP_IPS: {
                IPPrefix **l = (IPPrefix **) field;
                size_t *cnt = (size_t *) ((uint8_t *) p + m->n_offset);
                IPPrefix *nl;
                size_t nn;

                if (parse_ips(v, end, &nl, &nn) < 0)
                        return -EINVAL;
                free(*l);
                *l = nl;
                *cnt = nn;
                return 0;
        }
        }
        return -EINVAL;
}

int props_text_parse(const char *text, size_t len, UnitProps *ret, unsigned *ret_line) {
        UnitProps p;
        unsigned lineno = 0;
        const char *s = text, *end = text + len;

        if (!text && len > 0)
                return -EINVAL;
        unit_props_init(&p);

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                const char *e = nl ? nl : end;
                size_t n = (size_t) (e - s);
                int r = 0;

                lineno++;
                if (n > 0 && s[n - 1] == '\r')
                        n--;
                if (n > LINE_MAX_LEN)
                        r = -EINVAL;
                else if (n > 0 && s[0] != '#')
                        r = parse_line(s, n, &p);
                if (r < 0) {
                        unit_props_done(&p);
                        if (ret_line)
                                *ret_line = lineno;
                        return -EINVAL;
                }
                s = nl ? nl + 1 : end;
        }

        *ret = p;
        return 0;
}

/* ---- the writer: UnitProps -> the same lines ---- */

/* A string value survives a line of its own: no line break, no NUL (C strings have none), and
 * no trailing '\r', which the parser's CRLF handling would eat. */
static bool line_safe(const char *s) {
        return !s || (!strchr(s, '\n') && !endswith(s, "\r"));
}

/* A list entry survives next_word(): non-empty, no blank, no line break (nor a '\r' that could
 * end up at the end of the line). */
static bool word_safe(const char *s) {
        return !isempty(s) && !strpbrk(s, " \t\n\r");
}

static int format_strv(char *const *l, bool allow_tilde_first, Buf *out) {
        for (char *const *i = l; i && *i; i++) {
                if (!word_safe(*i) || (!allow_tilde_first && i == l && **i == '~'))
                        return -EINVAL;
                if (i != l)
                        buf_putc(out, ' ');
                buf_puts(out, *i);
        }
        return 0;
}

static void format_caps(uint64_t mask, Buf *out) {
        bool first = true;

        for (unsigned i = 0; i < 64; i++) {
                if (!(mask & (UINT64_C(1) << i)))
                        continue;
                if (!first)
                        buf_putc(out, ' ');
                first = false;
                if (i < sizeof(cap_names) / sizeof(cap_names[0]))
                        buf_puts(out, cap_names[i]);
                else
                        buf_printf(out, "%u", i); /* parse_caps() reads numbers back */
        }
}

/* 0 is "yes" (nothing allowed) and all ones "no", as parse_namespaces() reads them; anything else
 * is the allowed names. Bits no namespace has are not written: the scorer reads only the named
 * ones. */
static void format_namespaces(uint64_t mask, Buf *out) {
        bool first = true;

        if (mask == 0) {
                buf_puts(out, "yes");
                return;
        }
        if (mask == UINT64_MAX) {
                buf_puts(out, "no");
                return;
        }
        for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
                if (mask & ns_names[i].flag) {
                        if (!first)
                                buf_putc(out, ' ');
                        first = false;
                        buf_puts(out, ns_names[i].name);
                }
}

static int format_ips(const IPPrefix *l, size_t n, Buf *out) {
        for (size_t i = 0; i < n; i++) {
                char a[INET6_ADDRSTRLEN];
                uint32_t maxlen = l[i].family == AF_INET ? 32 : 128;

                if ((l[i].family != AF_INET && l[i].family != AF_INET6) ||
                    l[i].prefixlen > maxlen || !inet_ntop(l[i].family, l[i].address, a, sizeof(a)))
                        return -EINVAL;
                buf_printf(out, "%s%s/%u", i > 0 ? " " : "", a, (unsigned) l[i].prefixlen);
        }
        return 0;
}

static int format_devices(const UnitProps *p, Buf *out) {
        for (size_t i = 0; i < p->n_device_allow; i++) {
                const DeviceAllowEntry *d = &p->device_allow[i];

                if (!word_safe(d->path) || isempty(d->permissions) ||
                    strspn(d->permissions, "rwm") != strlen(d->permissions))
                        return -EINVAL;
                buf_printf(out, "DeviceAllow=%s %s\n", d->path, d->permissions);
        }
        return 0;
}

static int format_prop(const PropMap *m, const UnitProps *p, Buf *out) {
        const uint8_t *field = (const uint8_t *) p + m->offset;

        if (m->type == PROP_DEVICES)
                return format_devices(p, out);
        buf_puts(out, m->name);
        buf_putc(out, '=');
        switch (m->type) {
        case PROP_STRING: {
                const char *s = *(char *const *) field;

                if (field == (const uint8_t *) &p->description) {
                        for (const char *c = s; c && *c; c++)
                                buf_putc(out, (unsigned char) *c < 0x20 || *c == 0x7f ? ' ' : *c);
                        break;
                }
                if (!line_safe(s))
                        return -EINVAL;
                if (s)
                        buf_puts(out, s);
                break;
        }
        case PROP_BOOL:
                buf_puts(out, *(const bool *) field ? "yes" : "no");
                break;
        case PROP_STRV:
                if (format_strv(*(char **const *) field, true, out) < 0)
                        return -EINVAL;
                break;
        case PROP_CAPS:
                format_caps(*(const uint64_t *) field, out);
                break;
        case PROP_UMASK:
                if (*(const uint32_t *) field > 0777)
                        return -EINVAL;
                buf_printf(out, "%04o", (unsigned) *(const uint32_t *) field);
                break;
        case PROP_NAMESPACES:
                format_namespaces(*(const uint64_t *) field, out);
                break;
        case PROP_FAMILIES:
        case PROP_SYSCALLS: {
                bool allow = m->type == PROP_FAMILIES ? p->restrict_address_families_allow_list
                                                      : p->system_call_filter_allow_list;

                if (!allow)
                        buf_putc(out, '~');
                if (format_strv(*(char **const *) field, !allow, out) < 0)
                        return -EINVAL;
                break;
        }
        case PROP_IPS:
                if (format_ips(*(IPPrefix *const *) field,
                               *(const size_t *) ((const uint8_t *) p + m->n_offset), out) < 0)
                        return -EINVAL;
                break;
        case PROP_DEVICES:
                break;
        }
        buf_putc(out, '\n');
        return 0;
}

int props_text_format(const UnitProps *p, Buf *out) {
        size_t start = out->len;

        for (size_t i = 0; i < sizeof(prop_map) / sizeof(prop_map[0]); i++)
                if (format_prop(prop_map + i, p, out) < 0) {
                        out->len = start;
                        if (out->data)
                                out->data[start] = '\0';
                        return -EINVAL;
                }
        return 0;
}
