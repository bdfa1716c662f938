/* SPDX-License-Identifier: MIT */
/* The exposure scorer: systemd-analyze security's online assessment
 * (src/analyze/analyze-security.c, assess() and acquire_security_info()) re-done as a pure
 * function over UnitProps and a per-version table (score-table.c). It must never do I/O, log,
 * allocate, keep state or read a clock: the same inputs always give the same report.
 * Descriptions are not built here but by score_check_describe(), from static templates chosen
 * by the assessors. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "buf.h" /* score_check_describe()'s output (score.h's contract) */
#include "score.h"
#include "unit-props.h"

/* Capability and clone(2) bits, as the kernel numbers them (linux/capability.h, sched.h); spelled
 * out so that this file needs no kernel headers. */
#define CAP_BIT(n) (UINT64_C(1) << (n))
#define CAP_MKNOD_BIT       CAP_BIT(27)
#define CAP_SYS_RAWIO_BIT   CAP_BIT(17)
#define CAP_SYS_MODULE_BIT  CAP_BIT(16)
#define CAP_SYSLOG_BIT      CAP_BIT(34)
#define CAP_SYS_TIME_BIT    CAP_BIT(25)
#define CAP_WAKE_ALARM_BIT  CAP_BIT(35)

/* systemd's DIV_ROUND_UP(): no "+ y - 1", so it cannot overflow before dividing. */
static uint64_t div_round_up(uint64_t x, uint64_t y) {
        return x / y + !!(x % y);
}

static bool str_eq(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool str_empty(const char *s) {
        return !s || !s[0];
}

static bool strv_empty(char *const *l) {
        return !l || !l[0];
}

/* systemd's parse_boolean(), which analyze-security.c applies to ProtectHome= and
 * ProtectSystem=: 1 yes y true t on / 0 no n false f off, in any case; -EINVAL otherwise. A
 * copy of util.c's parse_bool(), so that the scorer needs nothing but libc (STYLE.md). */
static int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* systemd's empty_or_root(): NULL, "" or only slashes. */
static bool empty_or_root(const char *s) {
        if (!s)
                return true;
        return s[strspn(s, "/")] == '\0';
}

/* analyze-security.c security_info_runs_privileged(). From v262 (systemd#42743) a user manager's
 * service never runs privileged: a user manager cannot switch identities (systemd.exec(5)), so
 * it runs as the manager's user whatever User= says. */
static bool runs_privileged(const ScoreTable *t, const UnitProps *p) {
        if (p->user_manager && (t->quirks & TABLE_QUIRK_USER_SCOPE))
                return false;
        if (str_eq(p->user, "0") || str_eq(p->user, "root"))
                return true;
        if (p->dynamic_user)
                return false;
        return str_empty(p->user);
}

static void result(AssessResult *ret, uint64_t badness, const char *text) {
        *ret = (AssessResult) { .badness = badness, .text = text };
}

void assess_bool(const ScoreTable *t, const Assessor *a, const UnitProps *p, AssessResult *ret) {
        bool b = *(const bool *) ((const uint8_t *) p + a->offset);

        (void) t;
        result(ret, (a->parameter & ASSESS_BOOL_INVERT) ? b : !b, NULL);
}

void assess_user(const ScoreTable *t, const Assessor *a, const UnitProps *p, AssessResult *ret) {
        bool root = str_eq(p->user, "0") || str_eq(p->user, "root");

        (void) a;
        /* Debian builds systemd with NOBODY_USER_NAME "nobody". */
        if (str_eq(p->user, "nobody"))
                result(ret, 9, "Service runs under as 'nobody' user, which should not be used for "
                               "services");
        else if (p->dynamic_user && !root)
                result(ret, 0, "Service runs under a transient non-root user identity");
        else if (p->user && !root && p->user[0])
                result(ret, 0, "Service runs under a static non-root user identity");
        else if (p->user_manager && (t->quirks & TABLE_QUIRK_USER_SCOPE))
                result(ret, 0, "Service runs under the calling user's identity");
        else
                result(ret, 10, NULL);
}

void assess_supplementary_groups(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                                 AssessResult *ret) {
        (void) a;
        result(ret, runs_privileged(t, p) ? BADNESS_NA : !strv_empty(p->supplementary_groups),
               NULL);
}

void assess_protect_home(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                         AssessResult *ret) {
        int r = parse_boolean(p->protect_home);

        (void) t;
        (void) a;
        if (r > 0)
                result(ret, 0, "Service has no access to home directories");
        else if (r < 0 && str_eq(p->protect_home, "read-only"))
                result(ret, 5, "Service has read-only access to home directories");
        else if (r < 0 && str_eq(p->protect_home, "tmpfs"))
                result(ret, 1, "Service has access to fake empty home directories");
        else
                result(ret, 10, "Service has full access to home directories");
}

void assess_protect_system(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                           AssessResult *ret) {
        int r = parse_boolean(p->protect_system);

        (void) t;
        (void) a;
        if (r > 0)
                result(ret, 5, "Service has limited write access to the OS file hierarchy");
        else if (r < 0 && str_eq(p->protect_system, "full"))
                result(ret, 3, "Service has very limited write access to the OS file hierarchy");
        else if (r < 0 && str_eq(p->protect_system, "strict"))
                result(ret, 0, "Service has strict read-only access to the OS file hierarchy");
        else
                result(ret, 10, "Service has full access to the OS file hierarchy");
}

void assess_root_directory(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                           AssessResult *ret) {
        (void) t;
        (void) a;
        result(ret, empty_or_root(p->root_directory) && empty_or_root(p->root_image), NULL);
}

void assess_capability_bounding_set(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                                    AssessResult *ret) {
        (void) t;
        result(ret, !!(p->capability_bounding_set & a->parameter), NULL);
}

void assess_umask(const ScoreTable *t, const Assessor *a, const UnitProps *p, AssessResult *ret) {
        (void) t;
        (void) a;
        if (!(p->umask & 0002))
                result(ret, 10, "Files created by service are world-writable by default");
        else if (!(p->umask & 0004))
                result(ret, 5, "Files created by service are world-readable by default");
        else if (!(p->umask & 0020))
                result(ret, 2, "Files created by service are group-writable by default");
        else if (!(p->umask & 0040))
                result(ret, 1, "Files created by service are group-readable by default");
        else
                result(ret, 0, "Files created by service are accessible only by service's own user "
                               "by default");
}

void assess_keyring_mode(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                         AssessResult *ret) {
        (void) t;
        (void) a;
        result(ret, !str_eq(p->keyring_mode, "private"), NULL);
}

void assess_protect_proc(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                         AssessResult *ret) {
        (void) t;
        (void) a;
        if (str_eq(p->protect_proc, "noaccess"))
                result(ret, 1, NULL);
        else if (str_eq(p->protect_proc, "invisible") || str_eq(p->protect_proc, "ptraceable"))
                result(ret, 0, NULL);
        else
                result(ret, 3, NULL);
}

void assess_proc_subset(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                        AssessResult *ret) {
        (void) t;
        (void) a;
        result(ret, !str_eq(p->proc_subset, "pid"), NULL);
}

void assess_notify_access(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                          AssessResult *ret) {
        (void) t;
        (void) a;
        result(ret, str_eq(p->notify_access, "all"), NULL);
}

void assess_remove_ipc(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                       AssessResult *ret) {
        (void) a;
        /* 262+: a user manager removes no IPC objects of its own user's services. */
        if (p->user_manager && (t->quirks & TABLE_QUIRK_USER_SCOPE)) {
                result(ret, BADNESS_NA, "RemoveIPC= has no effect on per-user services");
                ret->na = NA_USER_MANAGER;
        } else
                result(ret, runs_privileged(t, p) ? BADNESS_NA : !p->remove_ipc, NULL);
}

void assess_restrict_namespaces(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                                AssessResult *ret) {
        (void) t;
        result(ret, !!(p->restrict_namespaces & a->parameter), NULL);
}

/* property_read_restrict_address_families(): every class starts "restricted" for an allow list
 * and "unrestricted" for a deny list; each listed family flips its class. */
void assess_address_families(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                             AssessResult *ret) {
        bool allow = p->restrict_address_families_allow_list;
        bool flag = allow; /* true = the class may NOT be allocated */

        (void) t;
        for (char **f = p->restrict_address_families; f && *f; f++) {
                uint64_t class;

                if (strcmp(*f, "AF_INET") == 0 || strcmp(*f, "AF_INET6") == 0)
                        class = AF_CLASS_INET;
                else if (strcmp(*f, "AF_UNIX") == 0)
                        class = AF_CLASS_UNIX;
                else if (strcmp(*f, "AF_NETLINK") == 0)
                        class = AF_CLASS_NETLINK;
                else if (strcmp(*f, "AF_PACKET") == 0)
                        class = AF_CLASS_PACKET;
                else
                        class = AF_CLASS_OTHER;
                if (class == a->parameter)
                        flag = !allow;
        }
        result(ret, !flag, NULL);
}

void assess_system_call_architectures(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                                      AssessResult *ret) {
        char **l = p->system_call_architectures;
        bool only_native = !strv_empty(l);

        (void) t;
        (void) a;
        /* The analyzer keeps a set: {"native"} and nothing else is good. */
        for (char **i = l; i && *i; i++)
                if (strcmp(*i, "native") != 0)
                        only_native = false;

        if (strv_empty(l))
                result(ret, 10, "Service may execute system calls with all ABIs");
        else if (only_native)
                result(ret, 0, "Service may execute system calls only with native ABI");
        else
                result(ret, 8, "Service may execute system calls with multiple ABIs");
}

/* The system-call group a SystemCallFilter row checks in table t (its parameter indexes the
 * table's group set); NULL for other rows. */
static const SyscallGroup *syscall_group(const ScoreTable *t, const Assessor *a) {
        if (!t || !t->syscall_groups || a->assess != assess_system_call_filter ||
            a->parameter >= _SYSCALL_GROUP_MAX)
                return NULL;
        return t->syscall_groups + a->parameter;
}

/* Whether the unit's filter lists name: exactly, or with strip_errno also as "name:errno". A list
 * the reader sorted (unit-props.h) is binary-searched, which the order allows in both modes; any
 * other list is searched linearly. With hundreds of names in a filter (@system-service) and about
 * 100 group members checked a unit, the linear search was most of a full rescan's scoring time. */
static bool filter_contains(const UnitProps *p, size_t n, const char *name, bool strip_errno) {
        char *const *filter = p->system_call_filter;

        if (filter && p->system_call_filter_sorted == filter) {
                size_t lo = 0, hi = n;

                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        int c = unit_props_syscall_cmp(name, filter[mid], strip_errno);

                        if (c == 0)
                                return true;
                        if (c < 0)
                                hi = mid;
                        else
                                lo = mid + 1;
                }
                return false;
        }

        size_t len = strlen(name);
        for (char *const *i = filter; i && *i; i++) {
                if (strip_errno) {
                        if (strncmp(*i, name, len) == 0 && ((*i)[len] == '\0' || (*i)[len] == ':'))
                                return true;
                } else if (strcmp(*i, name) == 0)
                        return true;
        }
        return false;
}

/* The four verdicts of assess_system_call_filter(), by wording (0: v247 and later; 1: v246;
 * 2: v245, TABLE_QUIRK_*): allow list with an offending member, allow list without one, deny list
 * with one (a member it does not deny), deny list without. */
static const uint64_t filter_badness[4] = { 9, 0, 10, 0 };
static const char *const filter_texts[3][4] = {
        {
                "System call allow list defined for service, and %G is included "
                "(e.g. %S is allowed)",
                "System call allow list defined for service, and %G is not included",
                "System call deny list defined for service, and %G is not included "
                "(e.g. %S is allowed)",
                "System call deny list defined for service, and %G is included",
        },
        {
                "System call allow list defined for service, and %G is included",
                "System call allow list defined for service, and %G is not included",
                "System call deny list defined for service, and %G is not included",
                "System call deny list defined for service, and %G is included",
        },
        {
                "System call whitelist defined for service, and %G is included",
                "System call whitelist defined for service, and %G is not included",
                "System call blacklist defined for service, and %G is not included",
                "System call blacklist defined for service, and %G is included",
        },
};

void assess_system_call_filter(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                               AssessResult *ret) {
        const SyscallGroup *g = syscall_group(t, a);
        bool allow = p->system_call_filter_allow_list;
        const char *offender = NULL;
        size_t verdict, wording, n = 0;
        bool strip_errno;

        assert(g); /* the tables are data: test-score checks every row has its group */
        strip_errno = t->syscall_filter_strip_errno;

        if (!allow && strv_empty(p->system_call_filter)) {
                result(ret, 10, "Service does not filter system calls");
                return;
        }

        while (p->system_call_filter && p->system_call_filter[n])
                n++;
        /* syscall_names_in_filter(): the first member (definition order) that is allowed; with
         * TABLE_QUIRK_FILTER_INVERTED the first one that is not. */
        for (const char *const *s = g->syscalls; *s; s++)
                if ((filter_contains(p, n, *s, strip_errno) == allow) !=
                    !!(t->quirks & TABLE_QUIRK_FILTER_INVERTED)) {
                        offender = *s;
                        break;
                }

        verdict = allow ? (offender ? 0 : 1) : (offender ? 2 : 3);
        wording = t->quirks & TABLE_QUIRK_WHITELIST    ? 2
                  : t->quirks & TABLE_QUIRK_FILTER_V246 ? 1
                                                        : 0;
        /* 245.0..245.7 and 246.0..246.2 scored a deny list that includes the group 5 (of 10),
         * later ones 0. */
        result(ret,
               verdict == 3 && (t->quirks & TABLE_QUIRK_DENY_INCLUDED_5) ? 5
                                                                           : filter_badness[verdict],
               filter_texts[wording][verdict]);
        ret->offending = offender;
}

static bool prefix_is_localhost(const IPPrefix *a) {
        static const uint8_t loopback6[16] = { [15] = 1 };

        /* The online reader counts only a /8 inside 127/8 or ::1/128 as localhost. */
        if (a->family == AF_INET && a->prefixlen == 8)
                return a->address[0] == 127;
        if (a->family == AF_INET6 && a->prefixlen == 128)
                return memcmp(a->address, loopback6, 16) == 0;
        return false;
}

void assess_ip_address(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                       AssessResult *ret) {
        bool custom, deny4 = false, deny6 = false, other = false, localhost = false;
        bool whitelist = t->quirks & TABLE_QUIRK_WHITELIST; /* v245's word */

        if (a->parameter & IP_QUIRK_V247_EGRESS)
                /* v247 stores the IPEgressFilterPath result in the ingress flag, after reading
                 * IPIngressFilterPath: only the egress list counts. */
                custom = !strv_empty(p->ip_egress_filter_path);
        else
                custom = !strv_empty(p->ip_ingress_filter_path) ||
                         !strv_empty(p->ip_egress_filter_path);

        for (size_t i = 0; i < p->n_ip_address_deny; i++) {
                const IPPrefix *d = p->ip_address_deny + i;

                if (d->family == AF_INET && d->prefixlen == 0)
                        deny4 = true;
                else if (d->family == AF_INET6 && d->prefixlen == 0)
                        deny6 = true;
        }
        for (size_t i = 0; i < p->n_ip_address_allow; i++) {
                if (prefix_is_localhost(p->ip_address_allow + i))
                        localhost = true;
                else
                        other = true;
        }

        if (custom)
                result(ret, 0, "Service defines custom ingress/egress IP filters with BPF "
                               "programs");
        else if (!(deny4 && deny6))
                result(ret, 10, whitelist ? "Service does not define an IP address whitelist"
                                          : "Service does not define an IP address allow list");
        else if (other)
                result(ret, 5, whitelist ? "Service defines IP address whitelist with "
                                           "non-localhost entries"
                                         : "Service defines IP address allow list with "
                                           "non-localhost entries");
        else if (localhost)
                result(ret, 2, whitelist ? "Service defines IP address whitelist with only "
                                           "localhost entries"
                                         : "Service defines IP address allow list with only "
                                           "localhost entries");
        else
                result(ret, 0, "Service blocks all IP address ranges");
}

void assess_device_allow(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                         AssessResult *ret) {
        (void) t;
        if (!str_eq(p->device_policy, "strict") && !str_eq(p->device_policy, "closed"))
                result(ret, 10, "Service has no device ACL");
        else if (p->n_device_allow == 0)
                result(ret, 0, "Service has a minimal device ACL");
        else if (a->parameter & DEVICE_ALLOW_LIST_IN_TEXT) {
                result(ret, 5, "Service has a device ACL with some special devices: %D");
                ret->device_allow = p->device_allow;
                ret->n_device_allow = p->n_device_allow;
        } else
                result(ret, 5, "Service has a device ACL with some special devices");
}

void assess_ambient_capabilities(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                                 AssessResult *ret) {
        (void) t;
        (void) a;
        result(ret, p->ambient_capabilities != 0, NULL);
}

/* acquire_security_info(): what the online reader adds to the manager's properties. */
static void effective_props(const UnitProps *p, UnitProps *ret) {
        *ret = *p; /* shallow: the heap data stays the caller's */

        if (p->private_devices || p->private_tmp || p->protect_control_groups ||
            p->protect_kernel_tunables || p->protect_kernel_modules ||
            !str_eq(p->protect_home, "no") || !str_eq(p->protect_system, "no") || p->root_image)
                ret->private_mounts = true;

        /* The manager already dropped these (unit_patch_contexts()); the reader drops them again,
         * which matters only for props that did not come from a manager (fixtures). */
        if (p->protect_kernel_modules)
                ret->capability_bounding_set &= ~CAP_SYS_MODULE_BIT;
        if (p->protect_kernel_logs)
                ret->capability_bounding_set &= ~CAP_SYSLOG_BIT;
        if (p->protect_clock)
                ret->capability_bounding_set &= ~(CAP_SYS_TIME_BIT | CAP_WAKE_ALARM_BIT);
        if (p->private_devices)
                ret->capability_bounding_set &= ~(CAP_MKNOD_BIT | CAP_SYS_RAWIO_BIT);
}

static const char *const predicate_table[_PREDICATE_MAX] = {
        [PREDICATE_PERFECT] = "PERFECT",
        [PREDICATE_SAFE] = "SAFE",
        [PREDICATE_OK] = "OK",
        [PREDICATE_MEDIUM] = "MEDIUM",
        [PREDICATE_EXPOSED] = "EXPOSED",
        [PREDICATE_UNSAFE] = "UNSAFE",
        [PREDICATE_DANGEROUS] = "DANGEROUS",
};

const char *predicate_to_string(Predicate p) {
        if (p < 0 || p >= _PREDICATE_MAX)
                return NULL;
        return predicate_table[p];
}

Predicate predicate_from_string(const char *s) {
        if (!s)
                return _PREDICATE_INVALID;
        for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                if (strcmp(predicate_table[p], s) == 0)
                        return p;
        return _PREDICATE_INVALID;
}

Predicate predicate_from_exposure(unsigned exposure) {
        /* assess()'s badness_table: the first threshold <= exposure wins. */
        static const struct {
                unsigned min;
                Predicate predicate;
        } thresholds[] = {
                { 100, PREDICATE_DANGEROUS },
                { 90, PREDICATE_UNSAFE },
                { 75, PREDICATE_EXPOSED },
                { 50, PREDICATE_MEDIUM },
                { 10, PREDICATE_OK },
                { 1, PREDICATE_SAFE },
        };

        for (size_t i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++)
                if (exposure >= thresholds[i].min)
                        return thresholds[i].predicate;
        return PREDICATE_PERFECT;
}

int score_unit(const ScoreTable *table, const ScoreOverride *overrides, const UnitProps *p,
               ScoreReport *ret) {
        ScoreReport r = { .table = table };
        UnitProps eff;

        if (!table || !p || !ret || table->n_rows > SCORE_ROWS_MAX)
                return -EINVAL;

        effective_props(p, &eff);
        r.n_checks = table->n_rows;

        for (size_t i = 0; i < table->n_rows; i++) {
                const Assessor *a = table->rows + i;
                const ScoreOverride *o = overrides ? overrides + i : NULL;
                ScoreCheck *c = r.checks + i;
                AssessResult res;

                c->assessor = a;
                c->weight = o && o->has_weight ? o->weight : a->weight;
                c->range = o && o->has_range ? o->range : a->range;
                if (c->range == 0)
                        return -EINVAL;

                /* assess(): the boot-phase gate first, then the policy gate. */
                if (a->default_dependencies_only && !eff.default_dependencies) {
                        res = (AssessResult) { .badness = BADNESS_NA,
                                               .text = table->boot_phase_text };
                        c->na = NA_BOOT_PHASE;
                } else if (c->weight == 0) {
                        res = (AssessResult) { .badness = BADNESS_NA,
                                               .text = "Option excluded by policy, skipping" };
                        c->na = NA_POLICY;
                } else {
                        a->assess(table, a, &eff, &res);
                        c->na = res.badness != BADNESS_NA ? NA_NONE
                                : res.na != NA_NONE       ? res.na
                                                          : NA_PRIVILEGED;
                }

                c->badness = res.badness;
                c->text = res.text;
                c->offending = res.offending;
                c->device_allow = res.device_allow;
                c->n_device_allow = res.n_device_allow;

                if (c->badness == BADNESS_NA)
                        continue;
                /* systemd asserts here; a policy range below the badness must not abort us. */
                if (c->badness > c->range)
                        return -EINVAL;
                r.badness_sum += div_round_up(c->badness * c->weight, c->range);
                r.weight_sum += c->weight;
        }

        if (r.weight_sum == 0)
                return -EINVAL;

        for (size_t i = 0; i < r.n_checks; i++) {
                ScoreCheck *c = r.checks + i;

                if (c->badness == BADNESS_NA || c->badness == 0)
                        continue;
                /* The per-row EXPOSURE column: ceil(ceil(b * w * 100 / range) / weight_sum). */
                c->exposure = (unsigned) div_round_up(
                        div_round_up(c->badness * c->weight * 100U, c->range), r.weight_sum);
        }

        /* The total: ceil(badness_sum * 100 / weight_sum), in tenths. Each row adds at most its
         * weight, so this is <= 100 unless a policy weight makes the products wrap (systemd
         * wraps the same way; we clamp what we store). */
        uint64_t exposure = div_round_up(r.badness_sum * 100U, r.weight_sum);
        r.exposure = exposure > 100 ? 100 : (unsigned) exposure;
        r.predicate = predicate_from_exposure((unsigned) (exposure > 100 ? 100 : exposure));

        *ret = r;
        return 0;
}

static void describe_template(const ScoreTable *table, const ScoreCheck *c, const char *t,
                              Buf *out) {
        for (;;) {
                const char *pct = strchr(t, '%');

                if (!pct) {
                        buf_puts(out, t);
                        return;
                }
                buf_append(out, t, (size_t) (pct - t));
                switch (pct[1]) {
                case 'G': {
                        const SyscallGroup *g = syscall_group(table, c->assessor);

                        if (g)
                                buf_puts(out, g->name);
                        break;
                }
                case 'S':
                        if (c->offending)
                                buf_puts(out, c->offending);
                        break;
                case 'D':
                        /* strv_join() of "path:perms" with " " */
                        for (size_t i = 0; i < c->n_device_allow; i++) {
                                if (i > 0)
                                        buf_putc(out, ' ');
                                buf_puts(out, c->device_allow[i].path ?: "");
                                buf_putc(out, ':');
                                buf_puts(out, c->device_allow[i].permissions ?: "");
                        }
                        break;
                default:
                        buf_append(out, pct, pct[1] ? 2 : 1);
                        break;
                }
                if (!pct[1])
                        return;
                t = pct + 2;
        }
}

void score_check_describe(const ScoreReport *r, size_t i, const ScoreOverride *overrides,
                          Buf *out) {
        const ScoreCheck *c;
        const ScoreOverride *o;
        const char *d;

        if (!r || i >= r->n_checks || !out)
                return;
        c = r->checks + i;
        o = overrides ? overrides + i : NULL;

        /* assess(): the assessor's own text wins; otherwise n/a, then "bad" when the badness
         * equals the TABLE's range (not an overridden one), then "good" at 0, else nothing. */
        if (c->text) {
                describe_template(r->table, c, c->text, out);
                return;
        }
        if (c->badness == BADNESS_NA)
                d = o && o->description_na ? o->description_na : c->assessor->description_na;
        else if (c->badness == c->assessor->range)
                d = o && o->description_bad ? o->description_bad : c->assessor->description_bad;
        else if (c->badness == 0)
                d = o && o->description_good ? o->description_good :
                                               c->assessor->description_good;
        else
                d = NULL;
        if (d)
                buf_puts(out, d);
}

int score_check_set(const ScoreCheck *c) {
        if (c->badness == BADNESS_NA)
                return -1;
        return c->badness == 0;
}
