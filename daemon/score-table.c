/* SPDX-License-Identifier: MIT */
/* The assessor tables of systemd-analyze security, one per range of systemd versions: data only.
 * The rows are written once, in score-rows.h, with each version's differences as deltas on the
 * rows (SINCE()/UNTIL()/ONLY(), below); this file expands that one list into one static array per
 * distinct row set and adds what is per table, not per row (version range, system-call groups,
 * boot-phase text, quirks of the filter parser and of the assessor texts). Weights, ranges,
 * names, json_field keys and descriptions appear nowhere else. tests/golden/tables/ pins each
 * table's effective rows; docs/versions.md has the same facts as a table.
 *
 * Verified live, byte for byte against the oracle (`SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze
 * security`, online, tests/integration/test_scan_oracle.py) in Debian containers: 247 (247.3),
 * 252 (252.39), 254 (254.26, bookworm-backports), 257 (257.13), 262 (262.1). Sources: Debian's
 * analyze-security.c of 247.3, 252.39, 257.13; for 262.1 the live oracle and the strings of sid's
 * /usr/bin/systemd-analyze; 254 was written from upstream's source first, then run.
 *  - v247: 80 rows (no CapabilityBoundingSet=~CAP_BPF), total weight 56435. Namespace rows are
 *    named RestrictNamespaces=~CLONE_NEWUSER etc. The tool has no --json and no
 *    --security-policy: the json_field values are the v250 keys, kept so that policies and
 *    our API stay uniform (for every older version too). The DeviceAllow text does not list the
 *    ACL. (Upstream 247.3's source says "option does not apply" for the boot-phase n/a rows, but
 *    Debian's 247.3 binary prints "option is not appropriate", like 248 and later: the live
 *    oracle wins.) The IPEgressFilterPath reader writes the ingress flag (so only an egress
 *    filter counts). SystemCallFilter entries keep their ":EPERM" suffix (so they never match a
 *    group member; syscall_filter_strip_errno is false). All three quirks were confirmed live
 *    (units t-ip-ingress, t-ip-egress, t-devstrict, t-sc-errno in tests/fixtures).
 *  - v252, v254, v257: 81 rows, total weight 56460 (tables identical, diffed). Note the stray ')' in the
 *    json_field "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)".
 *  - v262: the same 81 rows and texts (no new assessor). The system-call groups changed
 *    (score-syscalls.c), and a user manager's services are no longer scored as root
 *    (systemd#42743, TABLE_QUIRK_USER_SCOPE): User=/DynamicUser= passes with "Service runs under
 *    the calling user's identity" where it said root, SupplementaryGroups= is assessed instead
 *    of "not applicable", and RemoveIPC= is not applicable with "RemoveIPC= has no effect on
 *    per-user services" (whatever User= says). Checked live with `scan --user` against
 *    `systemd-analyze security --user` (tests/integration/test_scan_user.py).
 *
 * Derived from upstream's source (systemd-stable tags: src/analyze/analyze-security.c,
 * src/shared/seccomp-util.c), not run live. The analyzer changed within point releases, so a
 * table covers a range of releases (major.point .. major.point); the boundaries are the tags at
 * which analyze-security.c changed (TABLE() below, docs/versions.md). The system-call groups are
 * per major, taken at ONE release: the one a long-term distribution ships where there is one,
 * else the last stable point release (score_table_for_version() picks that release too).
 *  - v245 (245.4, Ubuntu 20.04): 78 rows (no ProtectProc=, ProcSubset=, CAP_BPF), total weight
 *    55425; CapabilityBoundingSet=~CAP_RAWIO; "whitelist"/"blacklist" in the SystemCallFilter and
 *    IPAddressDeny texts; no "(e.g. X is allowed)"; a deny list that includes the group scores 5;
 *    boot-phase text "option does not apply"; @debug without pidfd_getfd. Reproduces steps 0..4
 *    of a walk-through published on a 245 host; its step 5 gives 7.9 against a published 7.8
 *    (tests/fixtures/walkthrough/README.md).
 *  - v246: v245 but CAP_SYS_RAWIO (renamed in 245.7 already) and "allow list"/"deny list".
 *    245.8+ and 246.3+ score a deny list that includes the group 0, as 247 does.
 *  - v248 (248.13): the v247 rows (the sources differ only in the boot-phase text, which Debian's
 *    247.3 already prints as 248 does), with mount_setattr in @mount (a 248.x backport; it
 *    resolves with libseccomp 2.5.2 or later).
 *  - v249 (249.11, Ubuntu 22.04): v248 with the IPEgressFilterPath reader fixed (249.4) and
 *    mount_setattr in @mount. 249.12+ (and 250.5..250.7, 251.0..251.2) invert the SystemCallFilter
 *    membership test: the backport of an offline-path fix (systemd#22914) that is wrong online.
 *  - v250 (250.14): the v250 names (RestrictNamespaces=~user ...), ":errno" suffixes stripped
 *    (250.8), still 80 rows. v251 (251.20): v250 plus the ACL in the DeviceAllow text and v252's
 *    system-call groups.
 *  - v253 (253.26): the v252 table, as 254 is. CAP_BPF arrived in 255 and was backported to
 *    252.19, 253.13, 254.6; its two texts were swapped until 252.28, 253.22, 254.15, 255.9.
 *  - v255 (255.4, Ubuntu 24.04): v252 with the CAP_BPF texts swapped. 256.0 (the tag) still has
 *    them swapped; the fix (systemd#33464, 2024-06-24) is assumed in 256.2+ (systemd-stable has
 *    no later 256 tag). 256.2..261: the v257 table (258..261 sit between 257 and 262, verified live with equal rows; they get 257's
 *    groups, so if open_tree_attr entered @mount before 262, filters naming open_tree or
 *    open_tree_attr score differently there).
 * The "fix" field is ours: the unit-file line that makes the row pass, shown by the dashboard. */
#include <linux/capability.h>
#include <sched.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#include "score.h"

#define CAP(c) (UINT64_C(1) << (c))

/* score-syscalls.c: each version's system-call groups, indexed by SyscallGroupId */
extern const SyscallGroup syscall_groups_v245[_SYSCALL_GROUP_MAX];
extern const SyscallGroup syscall_groups_v247[_SYSCALL_GROUP_MAX];
extern const SyscallGroup syscall_groups_v249[_SYSCALL_GROUP_MAX];
extern const SyscallGroup syscall_groups_v252[_SYSCALL_GROUP_MAX];
extern const SyscallGroup syscall_groups_v262[_SYSCALL_GROUP_MAX];

/* The deltas of score-rows.h: true when the table being expanded describes version v or later
 * (SINCE), v or earlier (UNTIL), v alone (ONLY), or within version v, point release v.p and later
 * (FROM) or before v.p (BEFORE). Constant expressions, usable in #if and in initializers. */
#define SINCE(v) (SCORE_ROWS_VERSION >= (v))
#define UNTIL(v) (SCORE_ROWS_VERSION <= (v))
#define ONLY(v) (SCORE_ROWS_VERSION == (v))
#define FROM(v, p) (ONLY(v) && SCORE_ROWS_POINT >= (p))
#define BEFORE(v, p) (ONLY(v) && SCORE_ROWS_POINT < (p))
#define POINT_LAST 9999 /* the newest point release of a major */

/* One array per distinct row set, named after the first release that has it. */
#define SCORE_ROWS_VERSION 245
#define SCORE_ROWS_POINT 0
static const Assessor rows_v245[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#define SCORE_ROWS_POINT 7
static const Assessor rows_v245_7[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 246
#define SCORE_ROWS_POINT POINT_LAST
static const Assessor rows_v246[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 247 /* and 248 */
#define SCORE_ROWS_POINT POINT_LAST
static const Assessor rows_v247[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 249
#define SCORE_ROWS_POINT 0
static const Assessor rows_v249[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#define SCORE_ROWS_POINT 4
static const Assessor rows_v249_4[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 250
#define SCORE_ROWS_POINT POINT_LAST
static const Assessor rows_v250[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 251
#define SCORE_ROWS_POINT POINT_LAST
static const Assessor rows_v251[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

/* 252.0..252.18 (and 253.0..253.12, 254.0..254.5): no CAP_BPF row; 252.19..252.27 (and
 * 253.13..253.21, 254.6..254.14, 255.0..255.8, 256.0..256.1): its texts swapped; 252.28 on (and
 * 253.22+, 254.15+, 255.9+, 256.2+, 257+): the texts fixed. The 253..257 sources differ from 252's
 * in nothing the rows hold (diffed at the tags named). */
#define SCORE_ROWS_VERSION 252
#define SCORE_ROWS_POINT 0
static const Assessor rows_v252[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#define SCORE_ROWS_POINT 19
static const Assessor rows_v252_19[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#define SCORE_ROWS_POINT 28
static const Assessor rows_v252_28[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_POINT
#undef SCORE_ROWS_VERSION

#define BOOT_PHASE_V245 "Service runs in special boot phase, option does not apply"
#define BOOT_PHASE_V247 "Service runs in special boot phase, option is not appropriate"

#define Q_V245 (TABLE_QUIRK_WHITELIST | TABLE_QUIRK_FILTER_V246)
#define Q_V246 TABLE_QUIRK_FILTER_V246
#define Q_DENY5 TABLE_QUIRK_DENY_INCLUDED_5
#define Q_INV TABLE_QUIRK_FILTER_INVERTED

/* A table: releases vmin.pmin .. vmax.pmax scored with rows, the system-call groups, the
 * boot-phase text, whether ":errno" suffixes are stripped from the filter, and TABLE_QUIRK_*
 * flags. */
#define TABLE(id, name_, vmin, pmin, vmax, pmax, rows_, groups, boot, strip, quirks_)            \
        static const ScoreTable id = {                                                          \
                .name = (name_),                                                                \
                .version_min = (vmin),                                                          \
                .point_min = (pmin),                                                            \
                .version_max = (vmax),                                                          \
                .point_max = (pmax),                                                            \
                .rows = (rows_),                                                                \
                .n_rows = sizeof(rows_) / sizeof((rows_)[0]),                                   \
                .boot_phase_text = (boot),                                                      \
                .syscall_groups = (groups),                                                     \
                .syscall_filter_strip_errno = (strip),                                          \
                .quirks = (quirks_),                                                            \
        }
#define ALL UINT_MAX

/* The point-release boundaries are the systemd-stable tags where analyze-security.c or the
 * member lists of the checked groups in seccomp-util.c changed (docs/versions.md lists them):
 * pidfd_getfd joined @debug in 245.6; mount_setattr joined @mount in 246.15, 247.8 and 248.4
 * (249.0 has it); quotactl_fd (@privileged) and set_mempolicy_home_node (@resources) in 251.14,
 * 252.8 and 253.2 (254.0 has them). */
TABLE(t245_0, "245.0-245.5", 0, 0, 245, 5, rows_v245, syscall_groups_v245, BOOT_PHASE_V245,
      false, Q_V245 | Q_DENY5);
TABLE(t245_6, "245.6", 245, 6, 245, 6, rows_v245, syscall_groups_v247, BOOT_PHASE_V245, false,
      Q_V245 | Q_DENY5);
TABLE(t245_7, "245.7", 245, 7, 245, 7, rows_v245_7, syscall_groups_v247, BOOT_PHASE_V245, false,
      Q_V245 | Q_DENY5);
TABLE(t245_8, "245.8+", 245, 8, 245, ALL, rows_v245_7, syscall_groups_v247, BOOT_PHASE_V245,
      false, Q_V245);
TABLE(t246_0, "246.0-246.2", 246, 0, 246, 2, rows_v246, syscall_groups_v247, BOOT_PHASE_V245,
      false, Q_V246 | Q_DENY5);
TABLE(t246_3, "246.3-246.14", 246, 3, 246, 14, rows_v246, syscall_groups_v247, BOOT_PHASE_V245,
      false, Q_V246);
TABLE(t246_15, "246.15+", 246, 15, 246, ALL, rows_v246, syscall_groups_v249, BOOT_PHASE_V245,
      false, Q_V246);
TABLE(t247_0, "247.0-247.7", 247, 0, 247, 7, rows_v247, syscall_groups_v247, BOOT_PHASE_V247,
      false, 0);
TABLE(t247_8, "247.8+", 247, 8, 247, ALL, rows_v247, syscall_groups_v249, BOOT_PHASE_V247, false,
      0);
TABLE(t248_0, "248.0-248.3", 248, 0, 248, 3, rows_v247, syscall_groups_v247, BOOT_PHASE_V247,
      false, 0);
TABLE(t248_4, "248.4+", 248, 4, 248, ALL, rows_v247, syscall_groups_v249, BOOT_PHASE_V247, false,
      0);
TABLE(t249_0, "249.0-249.3", 249, 0, 249, 3, rows_v249, syscall_groups_v249, BOOT_PHASE_V247,
      false, 0);
TABLE(t249_4, "249.4-249.11", 249, 4, 249, 11, rows_v249_4, syscall_groups_v249, BOOT_PHASE_V247,
      false, 0);
TABLE(t249_12, "249.12+", 249, 12, 249, ALL, rows_v249_4, syscall_groups_v249, BOOT_PHASE_V247,
      false, Q_INV);
TABLE(t250_0, "250.0-250.4", 250, 0, 250, 4, rows_v250, syscall_groups_v249, BOOT_PHASE_V247,
      false, 0);
TABLE(t250_5, "250.5-250.7", 250, 5, 250, 7, rows_v250, syscall_groups_v249, BOOT_PHASE_V247,
      false, Q_INV);
TABLE(t250_8, "250.8+", 250, 8, 250, ALL, rows_v250, syscall_groups_v249, BOOT_PHASE_V247, true,
      0);
TABLE(t251_0, "251.0-251.2", 251, 0, 251, 2, rows_v251, syscall_groups_v249, BOOT_PHASE_V247,
      false, Q_INV);
TABLE(t251_3, "251.3-251.13", 251, 3, 251, 13, rows_v251, syscall_groups_v249, BOOT_PHASE_V247,
      true, 0);
TABLE(t251_14, "251.14+", 251, 14, 251, ALL, rows_v251, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t252_0, "252.0-252.7", 252, 0, 252, 7, rows_v252, syscall_groups_v249, BOOT_PHASE_V247,
      true, 0);
TABLE(t252_8, "252.8-252.18", 252, 8, 252, 18, rows_v252, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t252_19, "252.19-252.27", 252, 19, 252, 27, rows_v252_19, syscall_groups_v252,
      BOOT_PHASE_V247, true, 0);
TABLE(t252_28, "252.28+", 252, 28, 252, ALL, rows_v252_28, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t253_0, "253.0-253.1", 253, 0, 253, 1, rows_v252, syscall_groups_v249, BOOT_PHASE_V247,
      true, 0);
TABLE(t253_2, "253.2-253.12", 253, 2, 253, 12, rows_v252, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t253_13, "253.13-253.21", 253, 13, 253, 21, rows_v252_19, syscall_groups_v252,
      BOOT_PHASE_V247, true, 0);
TABLE(t253_22, "253.22+", 253, 22, 253, ALL, rows_v252_28, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t254_0, "254.0-254.5", 254, 0, 254, 5, rows_v252, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t254_6, "254.6-254.14", 254, 6, 254, 14, rows_v252_19, syscall_groups_v252,
      BOOT_PHASE_V247, true, 0);
TABLE(t254_15, "254.15+", 254, 15, 254, ALL, rows_v252_28, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t255_0, "255.0-255.8", 255, 0, 255, 8, rows_v252_19, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t255_9, "255.9+", 255, 9, 255, ALL, rows_v252_28, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t256_0, "256.0-256.1", 256, 0, 256, 1, rows_v252_19, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t256_2, "256.2-261", 256, 2, 261, ALL, rows_v252_28, syscall_groups_v252, BOOT_PHASE_V247,
      true, 0);
TABLE(t262, "262+", 262, 0, UINT_MAX, ALL, rows_v252_28, syscall_groups_v262, BOOT_PHASE_V247,
      true, TABLE_QUIRK_USER_SCOPE);

const ScoreTable *const score_tables[] = {
        &t245_0,  &t245_6,  &t245_7,  &t245_8,  &t246_0,  &t246_3,  &t246_15, &t247_0,
        &t247_8,  &t248_0,  &t248_4,  &t249_0,  &t249_4,  &t249_12, &t250_0,  &t250_5,
        &t250_8,  &t251_0,  &t251_3,  &t251_14, &t252_0,  &t252_8,  &t252_19, &t252_28,
        &t253_0,  &t253_2,  &t253_13, &t253_22, &t254_0,  &t254_6,  &t254_15, &t255_0,
        &t255_9,  &t256_0,  &t256_2,  &t262,
};
const size_t score_tables_count = sizeof(score_tables) / sizeof(score_tables[0]);

int score_release_parse(const char *version, ScoreRelease *ret) {
        unsigned v[2] = {};
        const char *p = version;

        if (!p)
                return -EINVAL;
        if (*p == 'v')
                p++;
        for (size_t k = 0; k < 2; k++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        v[k] = v[k] * 10 + (unsigned) (*p - '0');
                        if (v[k] > 1000000)
                                return -EINVAL;
                }
                if (*p != '.' || p[1] < '0' || p[1] > '9')
                        break;
                p++;
        }
        *ret = (ScoreRelease) { .major = v[0], .point = v[1] };
        return 0;
}

const ScoreTable *score_table_for_release(ScoreRelease r) {
        for (size_t i = 0; i < score_tables_count; i++) {
                const ScoreTable *t = score_tables[i];

                if (r.major < t->version_max ||
                    (r.major == t->version_max && r.point <= t->point_max))
                        return t;
        }
        return score_tables[score_tables_count - 1];
}

/* The release each major is modelled at when only the major is known (docs/versions.md): the one
 * a long-term distribution ships, else the last stable point release in systemd-stable (256: its
 * last, whatever its number). */
static const ScoreRelease modelled[] = {
        { 245, 4 },  { 246, 16 }, { 247, 3 },  { 248, 13 }, { 249, 11 }, { 250, 14 },
        { 251, 20 }, { 252, 39 }, { 253, 26 }, { 254, 26 }, { 255, 4 },  { 256, POINT_LAST },
        { 257, 13 }, { 258, 0 },  { 259, 0 },  { 260, 0 },  { 261, 0 },  { 262, 1 },
};

/* The releases the oracle comparison ran on with zero differences (test_scan_oracle.py in the
 * container bench: bullseye, host/bookworm, bookworm-backports, trixie, sid). */
static const ScoreRelease live[] = {
        { 247, 3 }, { 252, 39 }, { 254, 26 }, { 257, 13 }, { 262, 1 },
};

ScoreRelease score_release_modelled(unsigned major) {
        for (size_t i = 0; i < sizeof(modelled) / sizeof(modelled[0]); i++)
                if (modelled[i].major == major)
                        return modelled[i];
        return (ScoreRelease) { .major = major };
}

const ScoreTable *score_table_for_version(unsigned version) {
        return score_table_for_release(score_release_modelled(version));
}

static const char *const checked_names[_SCORE_CHECKED_MAX] = {
        [SCORE_CHECKED_LIVE] = "live",
        [SCORE_CHECKED_SOURCE] = "source",
        [SCORE_CHECKED_DERIVED] = "derived",
        [SCORE_CHECKED_NEWER] = "newer",
        [SCORE_CHECKED_OLDER] = "older",
};

const char *score_checked_to_string(ScoreChecked c) {
        return c >= 0 && c < _SCORE_CHECKED_MAX ? checked_names[c] : NULL;
}

void score_table_choose(ScoreRelease r, ScoreTableChoice *ret) {
        const ScoreTable *t = score_table_for_release(r);
        ScoreChecked c = SCORE_CHECKED_SOURCE;

        if (r.major > SCORE_VERSION_NEWEST)
                c = SCORE_CHECKED_NEWER;
        else if (r.major < SCORE_VERSION_OLDEST)
                c = SCORE_CHECKED_OLDER;
        else if (r.major > 257 && r.major < 262)
                c = SCORE_CHECKED_DERIVED;
        /* Live: the release shares its table with one that ran live, in the same major (a table
         * spanning majors is still only checked on the majors that ran). */
        for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
                if (live[i].major == r.major && score_table_for_release(live[i]) == t)
                        c = SCORE_CHECKED_LIVE;
        *ret = (ScoreTableChoice) { .table = t, .release = r, .checked = c };
}
