/* SPDX-License-Identifier: MIT */
/* The exposure scorer: a pure, table-driven reimplementation of `systemd-analyze security`
 * (src/analyze/analyze-security.c). No I/O, no logging, no allocation, no globals, no clock:
 * score_unit() maps (table, overrides, UnitProps) to a ScoreReport and nothing else.
 *
 * The formula (analyze-security.c assess()), integer arithmetic, every division rounded up:
 *   for each check whose badness is not BADNESS_NA:
 *           badness_sum += ceil(badness * weight / range); weight_sum += weight
 *   exposure = ceil(badness_sum * 100 / weight_sum)        (tenths: 96 prints as "9.6")
 * Checks that are not applicable leave both sums. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "unit-props.h"

#define BADNESS_NA UINT64_MAX
#define SCORE_ROWS_MAX 96

typedef enum Predicate {
        PREDICATE_PERFECT,   /* exposure 0 */
        PREDICATE_SAFE,      /* >= 0.1 */
        PREDICATE_OK,        /* >= 1.0 */
        PREDICATE_MEDIUM,    /* >= 5.0 */
        PREDICATE_EXPOSED,   /* >= 7.5 */
        PREDICATE_UNSAFE,    /* >= 9.0 */
        PREDICATE_DANGEROUS, /* >= 10.0 */
        _PREDICATE_MAX,
        _PREDICATE_INVALID = -EINVAL,
} Predicate;

/* "PERFECT", "SAFE", ... ; NULL for out-of-range values. */
const char *predicate_to_string(Predicate p);
Predicate predicate_from_string(const char *s);
/* The predicate of an exposure in tenths (0..100). */
Predicate predicate_from_exposure(unsigned exposure);

/* Why a check is not applicable. */
typedef enum NotApplicable {
        NA_NONE,
        NA_BOOT_PHASE,  /* DefaultDependencies=no on a default_dependencies_only row */
        NA_POLICY,      /* effective weight 0 */
        NA_PRIVILEGED,  /* SupplementaryGroups=/RemoveIPC= on a privileged service */
        NA_USER_MANAGER, /* RemoveIPC= on a user manager's service (262+) */
        _NA_MAX,
} NotApplicable;

typedef struct Assessor Assessor;
typedef struct ScoreCheck ScoreCheck;
typedef struct ScoreTable ScoreTable;

/* What an assessor function found. text is NULL (use the row's good/bad/na description) or a
 * static template: "%G" expands to the row's syscall group name, "%S" to offending (a syscall
 * name), "%D" to the device ACL ("path:perms ..."). offending and device_allow point into the
 * table or the UnitProps; they stay valid as long as the UnitProps' heap data does. */
typedef struct AssessResult {
        uint64_t badness;        /* 0..range, or BADNESS_NA */
        const char *text;
        const char *offending;
        const DeviceAllowEntry *device_allow;
        size_t n_device_allow;
        NotApplicable na;        /* why, when badness is BADNESS_NA: NA_NONE means
                                  * NA_PRIVILEGED, the usual reason */
} AssessResult;

/* Assessor functions (score.c): pure, write every field of *ret. t is the table a belongs to
 * (for the data that differs between versions sharing a row, such as the system-call groups);
 * p is the "effective" view (PrivateMounts inference and implied capability drops already
 * applied). */
typedef void AssessFunc(const ScoreTable *t, const Assessor *a, const UnitProps *p,
                        AssessResult *ret);

/* The system-call groups the SystemCallFilter=~@... rows check (their Assessor.parameter), in
 * the tables' row order. Each table maps them to its version's member lists. */
typedef enum SyscallGroupId {
        SYSCALL_GROUP_SWAP,
        SYSCALL_GROUP_OBSOLETE,
        SYSCALL_GROUP_CLOCK,
        SYSCALL_GROUP_CPU_EMULATION,
        SYSCALL_GROUP_DEBUG,
        SYSCALL_GROUP_MOUNT,
        SYSCALL_GROUP_MODULE,
        SYSCALL_GROUP_RAW_IO,
        SYSCALL_GROUP_REBOOT,
        SYSCALL_GROUP_PRIVILEGED,
        SYSCALL_GROUP_RESOURCES,
        _SYSCALL_GROUP_MAX,
        _SYSCALL_GROUP_INVALID = -EINVAL,
} SyscallGroupId;

/* One system-call group as the analyzer of one systemd version checks it: members in the
 * group's definition order with nested groups expanded in place, restricted to the system calls
 * that resolve on the native architecture (see score-syscalls.c). */
typedef struct SyscallGroup {
        const char *name;               /* "@mount" */
        const char *const *syscalls;    /* NULL-terminated */
} SyscallGroup;

/* One row of the assessor table: written once for all versions in score-rows.h, expanded into
 * one array per table by score-table.c. Data only. */
struct Assessor {
        const char *id;          /* the NAME column, e.g. "PrivateNetwork=" */
        const char *json_field;  /* the json_field / policy key; as systemd spells it */
        const char *description_good;
        const char *description_bad;
        const char *description_na;
        const char *fix;         /* the unit-file line that makes the check pass */
        uint64_t weight;
        uint64_t range;
        bool default_dependencies_only;
        AssessFunc *assess;
        size_t offset;           /* offsetof(UnitProps, ...) for the generic assessors */
        uint64_t parameter;      /* a bit mask, a family class, a SyscallGroupId, a quirk flag */
};

/* One scoring table: the assessor rows of a range of systemd versions, plus the data those rows
 * need that changed between versions (system-call groups, ...). Tables may share rows. */
struct ScoreTable {
        const char *name;        /* the releases it describes, e.g. "252.28+", "245.0-245.6" */
        unsigned version_min;    /* first systemd version (major) this table describes */
        unsigned version_max;    /* last one (UINT_MAX for open-ended) */
        unsigned point_min;      /* the first point release of version_min it describes */
        unsigned point_max;      /* the last of version_max (UINT_MAX: all of them) */
        const Assessor *rows;
        size_t n_rows;
        const char *boot_phase_text; /* n/a text for DefaultDependencies=no rows */
        const SyscallGroup *syscall_groups; /* _SYSCALL_GROUP_MAX entries, by SyscallGroupId */
        bool syscall_filter_strip_errno; /* ignore ":EPERM"-style suffixes in the unit's filter */
        unsigned quirks;         /* TABLE_QUIRK_*: what the version's assessor functions did
                                  * differently, where no row can say it */
};

/* ScoreTable.quirks (read by score.c's assessors). */
#define TABLE_QUIRK_WHITELIST UINT32_C(1)   /* v245: "whitelist"/"blacklist" in the texts of
                                             * SystemCallFilter= and IPAddressDeny= */
#define TABLE_QUIRK_FILTER_V246 UINT32_C(2) /* v245, v246: SystemCallFilter= texts name no
                                             * offending call */
#define TABLE_QUIRK_DENY_INCLUDED_5 UINT32_C(4) /* 245.0..245.7, 246.0..246.2: a deny list that
                                                 * includes the group scores 5, not 0 */
#define TABLE_QUIRK_FILTER_INVERTED UINT32_C(8) /* 249.12+, 250.5..250.7, 251.0..251.2: the
                                                 * membership test is inverted (a backported
                                                 * fix of the offline path, systemd#22914) */
#define TABLE_QUIRK_USER_SCOPE UINT32_C(16) /* 262+: a user manager's service (UnitProps
                                             * .user_manager) runs as the calling user, not as
                                             * root (systemd#42743) */

/* A systemd release: "252.39-1~deb12u1" is 252.39. */
typedef struct ScoreRelease {
        unsigned major;
        unsigned point;          /* 0 when the version names none ("252", "258~rc1") */
} ScoreRelease;

/* Pure: the release a version string names: optional 'v', the major, then optionally '.' and
 * the point release; anything after that (a distribution's "-1~deb12u1", "~rc1") is ignored.
 * Returns 0, or -EINVAL when there is no leading number or a number is above 1000000. */
int score_release_parse(const char *version, ScoreRelease *ret);

/* The table for a release. Releases older than the oldest table get the oldest one; newer get
 * the newest. Never NULL. */
const ScoreTable *score_table_for_release(ScoreRelease r);

/* The table for a major version alone: the one of the release docs/versions.md models that major
 * at (the release a long-term distribution ships, else the last stable one: 252 is 252.39). For
 * callers that know no point release. Never NULL. */
const ScoreTable *score_table_for_version(unsigned version);

/* The release docs/versions.md models a major at (245 -> 245.4, 252 -> 252.39); a major without
 * a model (before 245, after 262) gives major.0. For a version a person names by its major
 * (--systemd-version=252, systemd_version = 252): they mean that major's usual table. */
ScoreRelease score_release_modelled(unsigned major);

/* How the table a release gets was checked (docs/versions.md). */
typedef enum ScoreChecked {
        SCORE_CHECKED_LIVE,    /* compared live with zero differences on a release it covers */
        SCORE_CHECKED_SOURCE,  /* written from that release's upstream sources, not run */
        SCORE_CHECKED_DERIVED, /* 258..261: between two live tables with equal rows, not run */
        SCORE_CHECKED_NEWER,   /* newer than every known version: the newest table, unchecked */
        SCORE_CHECKED_OLDER,   /* older than 245: the oldest table, unchecked */
        _SCORE_CHECKED_MAX,
        _SCORE_CHECKED_INVALID = -EINVAL,
} ScoreChecked;

/* "live", "source", "derived", "newer", "older"; NULL for out-of-range values. */
const char *score_checked_to_string(ScoreChecked c);

/* The newest systemd version a table was written for; later ones get its table. */
#define SCORE_VERSION_NEWEST 262U
#define SCORE_VERSION_OLDEST 245U

/* The table a release is scored with, and how far to trust it. */
typedef struct ScoreTableChoice {
        const ScoreTable *table;
        ScoreRelease release;
        ScoreChecked checked;
} ScoreTableChoice;

/* Pure: choose the table for release r. */
void score_table_choose(ScoreRelease r, ScoreTableChoice *ret);

/* Per-row overrides from a --security-policy file, indexed like table->rows. A zero/NULL field
 * means "not overridden" except where has_* says otherwise. Owned by the caller. */
typedef struct ScoreOverride {
        bool has_weight, has_range;
        uint64_t weight;         /* 0 excludes the row */
        uint64_t range;          /* must be >= every badness the row can return */
        const char *description_good, *description_bad, *description_na;
} ScoreOverride;

struct ScoreCheck {
        const Assessor *assessor;
        uint64_t badness;        /* 0..range, or BADNESS_NA */
        uint64_t weight;         /* effective weight (after overrides) */
        uint64_t range;          /* effective range (after overrides) */
        NotApplicable na;
        const char *text;        /* see AssessResult; NULL = the row's own descriptions */
        const char *offending;   /* see AssessResult; may be NULL */
        const DeviceAllowEntry *device_allow;
        size_t n_device_allow;
        unsigned exposure;       /* the per-row EXPOSURE column in tenths; 0 = printed empty */
};

typedef struct ScoreReport {
        const ScoreTable *table;
        size_t n_checks;         /* == table->n_rows, in table order */
        ScoreCheck checks[SCORE_ROWS_MAX];
        uint64_t badness_sum;
        uint64_t weight_sum;
        unsigned exposure;       /* 0..100, tenths */
        Predicate predicate;
} ScoreReport;

/* Score one unit. overrides is NULL or has table->n_rows entries. Returns 0, or -EINVAL when an
 * override's range is below a badness the row returned (systemd-analyze aborts there; we refuse)
 * or when every row is excluded (weight sum 0). *ret is written only on success. */
int score_unit(const ScoreTable *table, const ScoreOverride *overrides, const UnitProps *p,
               ScoreReport *ret);

/* The tables, oldest first (score-table.c), for tests and listings. */
extern const ScoreTable *const score_tables[];
extern const size_t score_tables_count;

/* The assessor functions the tables refer to (score.c); declared through AssessFunc, so the
 * compiler checks each definition against the signature above. */
AssessFunc assess_bool;
AssessFunc assess_user;
AssessFunc assess_supplementary_groups;
AssessFunc assess_protect_home;
AssessFunc assess_protect_system;
AssessFunc assess_root_directory;
AssessFunc assess_capability_bounding_set;
AssessFunc assess_umask;
AssessFunc assess_keyring_mode;
AssessFunc assess_protect_proc;
AssessFunc assess_proc_subset;
AssessFunc assess_notify_access;
AssessFunc assess_remove_ipc;
AssessFunc assess_restrict_namespaces;
AssessFunc assess_address_families;
AssessFunc assess_system_call_architectures;
AssessFunc assess_system_call_filter;
AssessFunc assess_ip_address;
AssessFunc assess_device_allow;
AssessFunc assess_ambient_capabilities;

/* Assessor.parameter values (assess_system_call_filter: a SyscallGroupId, above). */
#define ASSESS_BOOL_INVERT  UINT64_C(1) /* assess_bool: bad when the property is true */
enum {                                  /* assess_address_families: the family class */
        AF_CLASS_INET,
        AF_CLASS_UNIX,
        AF_CLASS_NETLINK,
        AF_CLASS_PACKET,
        AF_CLASS_OTHER,
};
#define IP_QUIRK_V247_EGRESS UINT64_C(1) /* v247 reads IPEgressFilterPath into the ingress flag */
#define DEVICE_ALLOW_LIST_IN_TEXT UINT64_C(1) /* v248+: the text lists the ACL entries */

/* The DESCRIPTION column of check i, exactly as systemd-analyze of the table's version prints it
 * (including overrides' descriptions), appended to out. Empty for a partial badness without its
 * own text, as systemd prints it. */
void score_check_describe(const ScoreReport *r, size_t i, const ScoreOverride *overrides,
                          Buf *out);

/* JSON "set": 1 (true) when badness is 0, 0 (false) when > 0, -1 (null) when not applicable. */
int score_check_set(const ScoreCheck *c);
