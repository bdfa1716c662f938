/* SPDX-License-Identifier: MIT */
/* The assessor tables of systemd-analyze security, one per range of systemd versions: data only.
 * The rows are written once, in score-rows.h, with each version's differences as deltas on the
 * rows (SINCE()/UNTIL(), below); this file expands that one list into one static array per table
 * and adds what is per table, not per row (version range, system-call groups, quirks of the
 * filter parser). Weights, ranges, names, json_field keys and descriptions appear nowhere else.
 * Every table was checked byte for byte against the live oracle (`SYSTEMD_ANALYZE_DEBUG=1
 * systemd-analyze security`, online) in Debian containers running systemd 247, 252, 257 and 262;
 * tests/golden/tables/ pins each table's effective rows.
 *
 * Verified per-version facts (sources: src/analyze/analyze-security.c of Debian's 247.3, 252.39,
 * 257.13; for 262.1, whose source was not downloadable, the live oracle and the strings of sid's
 * /usr/bin/systemd-analyze):
 *  - v247: 80 rows (no CapabilityBoundingSet=~CAP_BPF), total weight 56435. Namespace rows are
 *    named RestrictNamespaces=~CLONE_NEWUSER etc. The tool has no --json and no
 *    --security-policy: the json_field values are the v250 keys, kept so that policies and
 *    our API stay uniform. The DeviceAllow text does not list the ACL. (Upstream 247.3's source
 *    says "option does not apply" for the boot-phase n/a rows, but Debian's 247.3 binary prints
 *    "option is not appropriate", like all later versions: the live oracle wins.)
 *    The IPEgressFilterPath reader writes the ingress flag (so only an egress filter counts).
 *    SystemCallFilter entries keep their ":EPERM" suffix (so they never match a group member;
 *    syscall_filter_strip_errno is false).
 *    All three quirks were confirmed live (units t-ip-ingress, t-ip-egress, t-devstrict,
 *    t-sc-errno in tests/fixtures).
 *  - v250..v257: 81 rows, total weight 56460 (v252 and v257 tables identical, diffed). Note the
 *    stray ')' in the json_field "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)".
 *  - v262: the same 81 rows and texts (no new assessor; the only new string, "Service runs under
 *    the calling user's identity", is for --user managers, which we never score), so table_v262
 *    shares rows_v250. Only the system-call groups changed (score-syscalls.c: open_tree left
 *    @mount for open_tree_attr): ScoreTable.syscall_groups, which the SystemCallFilter rows
 *    index with their SyscallGroupId.
 *  - 248, 249 and 253..256, 258..261 were not run: they get the neighbouring table (below), and
 *    the deltas in score-rows.h are written at 250, the first version of the next table; where
 *    between 248 and 250 each one really changed is not pinned down here.
 * The "fix" field is ours: the unit-file line that makes the row pass, shown by the dashboard. */
#include <linux/capability.h>
#include <sched.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#include "score.h"

#define CAP(c) (UINT64_C(1) << (c))

/* score-syscalls.c: each version's system-call groups, indexed by SyscallGroupId */
extern const SyscallGroup syscall_groups_v247[_SYSCALL_GROUP_MAX];
extern const SyscallGroup syscall_groups_v252[_SYSCALL_GROUP_MAX];
extern const SyscallGroup syscall_groups_v262[_SYSCALL_GROUP_MAX];

/* The deltas of score-rows.h: true when the table being expanded describes version v or later
 * (SINCE), or v or earlier (UNTIL). Constant expressions, usable in #if and in initializers. */
#define SINCE(v) (SCORE_ROWS_VERSION >= (v))
#define UNTIL(v) (SCORE_ROWS_VERSION <= (v))

/* v247 (and 248, 249). */
#define SCORE_ROWS_VERSION 247
static const Assessor rows_v247[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

/* v250 and later: shared by table_v250 and table_v262, which differ only in the system-call
 * groups behind the SystemCallFilter rows (their .parameter names the group). */
#define SCORE_ROWS_VERSION 250
static const Assessor rows_v250[] = {
#include "score-rows.h"
};
#undef SCORE_ROWS_VERSION

#define BOOT_PHASE_TEXT "Service runs in special boot phase, option is not appropriate"

static const ScoreTable table_v247 = {
        .version_min = 0,
        .version_max = 249,
        .rows = rows_v247,
        .n_rows = sizeof(rows_v247) / sizeof(rows_v247[0]),
        .boot_phase_text = BOOT_PHASE_TEXT,
        .syscall_groups = syscall_groups_v247,
        .syscall_filter_strip_errno = false,
};

static const ScoreTable table_v250 = {
        .version_min = 250,
        .version_max = 261,
        .rows = rows_v250,
        .n_rows = sizeof(rows_v250) / sizeof(rows_v250[0]),
        .boot_phase_text = BOOT_PHASE_TEXT,
        .syscall_groups = syscall_groups_v252,
        .syscall_filter_strip_errno = true,
};

static const ScoreTable table_v262 = {
        .version_min = 262,
        .version_max = UINT_MAX,
        .rows = rows_v250, /* the v250 rows: only the system-call groups changed */
        .n_rows = sizeof(rows_v250) / sizeof(rows_v250[0]),
        .boot_phase_text = BOOT_PHASE_TEXT,
        .syscall_groups = syscall_groups_v262,
        .syscall_filter_strip_errno = true,
};

const ScoreTable *const score_tables[] = { &table_v247, &table_v250, &table_v262 };
const size_t score_tables_count = sizeof(score_tables) / sizeof(score_tables[0]);

const ScoreTable *score_table_for_version(unsigned version) {
        for (size_t i = 0; i < score_tables_count; i++)
                if (version <= score_tables[i]->version_max)
                        return score_tables[i];
        return score_tables[score_tables_count - 1];
}
