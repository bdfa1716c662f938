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
 *  - v262: the same 81 rows and texts (no new assessor; the only new string, "Service runs under
 *    the calling user's identity", is for --user managers, which we never score). Only the
 *    system-call groups changed (score-syscalls.c).
 *
 * Derived from upstream's source (systemd-stable tags: src/analyze/analyze-security.c,
 * src/shared/seccomp-util.c), not run live. We select a table by the major version alone, but
 * the analyzer changed within point releases; each major is modelled at ONE release: the one a
 * long-term distribution ships where there is one, else the last stable point release.
 *  - v245 (245.4, Ubuntu 20.04): 78 rows (no ProtectProc=, ProcSubset=, CAP_BPF), total weight
 *    55425; CapabilityBoundingSet=~CAP_RAWIO; "whitelist"/"blacklist" in the SystemCallFilter and
 *    IPAddressDeny texts; no "(e.g. X is allowed)"; a deny list that includes the group scores 5;
 *    boot-phase text "option does not apply"; @debug without pidfd_getfd. Reproduces steps 0..4
 *    of a walk-through published on a 245 host; its step 5 gives 7.9 against a published 7.8
 *    (tests/fixtures/walkthrough/README.md).
 *  - v246 (246.0): v245 but CAP_SYS_RAWIO and "allow list"/"deny list". (245.8+ and 246.3+ score a
 *    deny list that includes the group 0, as 247 does: not modelled.)
 *  - v248 (248.13): the v247 rows (the sources differ only in the boot-phase text, which Debian's
 *    247.3 already prints as 248 does), with mount_setattr in @mount (a 248.x backport; it
 *    resolves with libseccomp 2.5.2 or later).
 *  - v249 (249.11, Ubuntu 22.04): v248 with the IPEgressFilterPath reader fixed (249.4) and
 *    mount_setattr in @mount. (249.12..249.17 invert the SystemCallFilter membership test, an
 *    upstream backport bug: not modelled.)
 *  - v250 (250.14): the v250 names (RestrictNamespaces=~user ...), ":errno" suffixes stripped
 *    (250.8), still 80 rows. v251 (251.20): v250 plus the ACL in the DeviceAllow text and v252's
 *    system-call groups.
 *  - v253 (253.26): the v252 table, as 254 is. CAP_BPF arrived in 255 and was backported to
 *    252.19, 253.13, 254.6; its two texts were swapped until 252.28, 253.22, 254.15, 255.9.
 *  - v255 (255.4, Ubuntu 24.04): v252 with the CAP_BPF texts swapped. v256, 258..261: the v257
 *    table (256.0's sources equal 255's but for that fix, assumed backported as on every other
 *    branch; 258..261 sit between 257 and 262, verified live with equal rows; they get 257's
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
 * (SINCE), v or earlier (UNTIL), or v alone (ONLY). Constant expressions, usable in #if and in
 * initializers. */
#define SINCE(v) (SCORE_ROWS_VERSION >= (v))
#define UNTIL(v) (SCORE_ROWS_VERSION <= (v))
#define ONLY(v) (SCORE_ROWS_VERSION == (v))

/* One array per distinct row set. */
#define SCORE_ROWS_VERSION 245
static const Assessor rows_v245[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 246
static const Assessor rows_v246[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 247 /* and 248 */
static const Assessor rows_v247[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 249
static const Assessor rows_v249[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 250
static const Assessor rows_v250[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 251
static const Assessor rows_v251[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 252 /* and 253, 254, 256..262 */
static const Assessor rows_v252[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define SCORE_ROWS_VERSION 255
static const Assessor rows_v255[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define BOOT_PHASE_V245 "Service runs in special boot phase, option does not apply"
#define BOOT_PHASE_V247 "Service runs in special boot phase, option is not appropriate"

/* A table: versions min..max scored with rows, the system-call groups, the boot-phase text,
 * whether ":errno" suffixes are stripped from the filter, and TABLE_QUIRK_* flags. */
#define TABLE(name, min, max, rows_, groups, boot, strip, quirks_)                               \
        static const ScoreTable name = {                                                        \
                .version_min = (min),                                                           \
                .version_max = (max),                                                           \
                .rows = (rows_),                                                                \
                .n_rows = sizeof(rows_) / sizeof((rows_)[0]),                                   \
                .boot_phase_text = (boot),                                                      \
                .syscall_groups = (groups),                                                     \
                .syscall_filter_strip_errno = (strip),                                          \
                .quirks = (quirks_),                                                            \
        }

TABLE(table_v245, 0, 245, rows_v245, syscall_groups_v245, BOOT_PHASE_V245, false,
      TABLE_QUIRK_WHITELIST | TABLE_QUIRK_FILTER_V246);
TABLE(table_v246, 246, 246, rows_v246, syscall_groups_v247, BOOT_PHASE_V245, false,
      TABLE_QUIRK_FILTER_V246);
TABLE(table_v247, 247, 247, rows_v247, syscall_groups_v247, BOOT_PHASE_V247, false, 0);
TABLE(table_v248, 248, 248, rows_v247, syscall_groups_v249, BOOT_PHASE_V247, false, 0);
TABLE(table_v249, 249, 249, rows_v249, syscall_groups_v249, BOOT_PHASE_V247, false, 0);
TABLE(table_v250, 250, 250, rows_v250, syscall_groups_v249, BOOT_PHASE_V247, true, 0);
TABLE(table_v251, 251, 251, rows_v251, syscall_groups_v252, BOOT_PHASE_V247, true, 0);
TABLE(table_v252, 252, 254, rows_v252, syscall_groups_v252, BOOT_PHASE_V247, true, 0);
TABLE(table_v255, 255, 255, rows_v255, syscall_groups_v252, BOOT_PHASE_V247, true, 0);
TABLE(table_v256, 256, 261, rows_v252, syscall_groups_v252, BOOT_PHASE_V247, true, 0);
TABLE(table_v262, 262, UINT_MAX, rows_v252, syscall_groups_v262, BOOT_PHASE_V247, true, 0);

const ScoreTable *const score_tables[] = {
        &table_v245, &table_v246, &table_v247, &table_v248, &table_v249, &table_v250,
        &table_v251, &table_v252, &table_v255, &table_v256, &table_v262,
};
const size_t score_tables_count = sizeof(score_tables) / sizeof(score_tables[0]);

const ScoreTable *score_table_for_version(unsigned version) {
        for (size_t i = 0; i < score_tables_count; i++)
                if (version <= score_tables[i]->version_max)
                        return score_tables[i];
        return score_tables[score_tables_count - 1];
}
