/* SPDX-License-Identifier: MIT */
/* Unit policies: the admin's accepted state of services, as code (/etc/exposured/policy.d/NAME.conf,
 * documented in man/exposured.8 and README.md). Not --security-policy (policy.h), which reweighs
 * the scorer's table; this module only judges a score against what was accepted.
 *
 * Syntax (config.c's conventions: `key = value`, `#` comments, blank lines): a section per rule,
 * headed by a unit name or a glob (fnmatch(3), no escapes):
 *
 *     [nginx.service]
 *     max_exposure = 7.5                 # the accepted ceiling, 0.0..10.0
 *     accept = PrivateNetwork=           # check names as systemd-analyze security prints them
 *     accept = RestrictAddressFamilies=~AF_(INET|INET6)
 *     reason = serves HTTP               # required with accept=
 *     expires = 2027-03-31               # optional: the waivers stop counting at that time
 *
 * Every rule whose pattern matches a unit applies to it. The ceiling is the one of the last rule
 * read that sets max_exposure=, exact names before globs (files in lexical order, then lines).
 * The waivers are the union of the matching rules' accept= lines, each with its rule's reason
 * and expiry. A unit is over-policy when its exposure is above the ceiling, or when some matching
 * rule has accept= lines and a failing check (badness > 0) has no waiver in force: a rule that
 * lists accepted checks is an allow list, a rule with only max_exposure= is a ceiling. A waiver
 * does not lower the exposure that is compared with the ceiling (that is the number
 * systemd-analyze prints). No rule: unmanaged.
 *
 * Pure: parsing, matching and judging do no I/O, no logging and read no clock (the caller passes
 * "now"); unit_policy_load_dir() is the one function that reads files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "event.h"
#include "score.h"
#include "util.h"

#define POLICY_DIR_DEFAULT "/etc/exposured/policy.d"
#define POLICY_FILE_MAX (64U * 1024U * 1024U) /* bytes per file: a baseline of 10,000
                                                * services is about 15 MB */
#define POLICY_LINE_MAX 4096U
#define POLICY_FILES_MAX 1024U
#define POLICY_RULES_MAX 16384U         /* in all files: PolicyVerdict keeps rule indexes */
#define POLICY_ACCEPT_MAX 256U          /* accept= names per rule */
#define POLICY_REASON_MAX 512U          /* bytes */
#define POLICY_PATTERN_MAX 255U         /* systemd's unit name limit */

typedef struct PolicyRule {
        char *pattern;          /* unit name or fnmatch(3) glob */
        bool glob;              /* pattern has * ? or [ */
        const char *file;       /* the file it was read from (owned by the UnitPolicy) */
        unsigned line;          /* of its [section] line */
        int max_exposure;       /* tenths 0..100; -1: none */
        char **accept;          /* strv of check names (Assessor.id), unique, sorted; NULL: none */
        size_t n_accept;
        char *reason;           /* NULL when not given */
        uint64_t expires_usec;  /* CLOCK_REALTIME; 0: never */
        char *expires;          /* as written (shown to people), NULL when never */
} PolicyRule;

typedef struct UnitPolicy {
        PolicyRule *rules;      /* in the order read */
        size_t n_rules;
        char **files;           /* strv of the files read, in order */
        /* The index the judge uses (10,000 units against a 10,000-rule baseline would be 10^8
         * matches without it): the exact names sorted (by name, then order read), the globs in
         * order read. Rebuilt by every successful parse. */
        size_t *exact, n_exact;
        size_t *globs, n_globs;
} UnitPolicy;

/* How loading the policy went, for /api/v1/status and /metrics (filled by the manager). */
typedef struct PolicyInfo {
        const char *dir;
        bool loaded;            /* a policy is in force (false: none could be read yet) */
        uint64_t loaded_usec;   /* CLOCK_REALTIME when the one in force was read */
        size_t n_files, n_rules;
        const char *error;      /* the last load's "FILE:LINE: message"; NULL when it worked */
        uint64_t error_usec;    /* when it failed */
        uint64_t n_loads, n_failures; /* since start */
} PolicyInfo;

/* Where a parse failed. file NULL: not tied to a file (the directory); line 0: not tied to a
 * line. */
typedef TextError PolicyError;

void policy_error_done(PolicyError *e);
/* "FILE:LINE: message", "FILE: message" or "message"; the caller frees it. */
char *policy_error_format(const PolicyError *e);

UnitPolicy *unit_policy_new(void);
UnitPolicy *unit_policy_free(UnitPolicy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitPolicy *, unit_policy_free);

/* Add the rules of one file's text (len bytes, need not be NUL-terminated) to p, with now_usec
 * only to parse absolute times (relative ones are refused). All or nothing: on error p is
 * unchanged, *ret_error (if not NULL) says where and what, and -EINVAL (-EFBIG for a file over
 * POLICY_FILE_MAX, -E2BIG past POLICY_RULES_MAX) is returned. */
int unit_policy_parse(UnitPolicy *p, const char *file, const char *text, size_t len,
                      PolicyError *ret_error);

/* The one function with I/O: read every dir/NAME.conf (regular files, lexical order, at most
 * POLICY_FILES_MAX) into a new policy. A missing directory is an empty policy. On error nothing
 * is returned and *ret_error names the file (and line). */
int unit_policy_load_dir(const char *dir, UnitPolicy **ret, PolicyError *ret_error);

/* What a policy says of one score. No allocation: the rule indexes point into the UnitPolicy
 * it was computed with, so it is valid only as long as that policy lives. */
#define POLICY_WAIVER_EXPIRED UINT16_C(0x8000)
typedef struct PolicyVerdict {
        PolicyStatus status;
        int ceiling;             /* tenths; -1: no ceiling */
        int ceiling_rule;        /* index of the rule that set it; -1: none */
        int first_rule;          /* index of the first matching rule; -1: unmanaged */
        bool over_ceiling;       /* exposure > ceiling */
        bool allow_list;         /* some matching rule lists accept=: failing checks must be
                                  * waived */
        unsigned n_unaccepted;   /* failing checks without a waiver in force */
        uint64_t next_expiry_usec; /* the earliest expiry still ahead of a matching waiver; 0 */
        /* Per check of the report (its index): 0 when no matching rule accepts it, else 1 + the
         * index of the rule whose waiver covers it (one in force with the latest expiry, else an
         * expired one), | POLICY_WAIVER_EXPIRED when it no longer counts. */
        uint16_t waiver[SCORE_ROWS_MAX];
} PolicyVerdict;

/* The ceiling of a verdict, -1 for none; safe on a zeroed verdict (which is "unmanaged"). */
static inline int policy_verdict_ceiling(const PolicyVerdict *v) {
        return v->status == POLICY_UNMANAGED ? -1 : v->ceiling;
}

/* The rule that set the verdict's ceiling (ceiling true), or its first matching rule; NULL when
 * none, or when p is not the policy v was computed with (out of range). */
const PolicyRule *unit_policy_verdict_rule(const UnitPolicy *p, const PolicyVerdict *v,
                                           bool ceiling);

/* True when pattern (a rule's) matches the unit name. */
bool unit_policy_match(const PolicyRule *rule, const char *unit);

/* Judge report (of unit) against p at now_usec. p may be NULL (no policy: unmanaged). */
void unit_policy_evaluate(const UnitPolicy *p, const char *unit, const ScoreReport *report,
                          uint64_t now_usec, PolicyVerdict *ret);

/* The rule covering check i of a verdict, or NULL; *ret_expired (may be NULL) tells whether its
 * waiver no longer counts. */
const PolicyRule *unit_policy_waiver(const UnitPolicy *p, const PolicyVerdict *v, size_t i,
                                     bool *ret_expired);

/* True when check i fails: applicable with badness > 0. */
bool unit_policy_check_fails(const ScoreCheck *c);

/* One unit of a baseline. */
typedef struct PolicyBaselineUnit {
        const char *unit;
        const ScoreReport *report;
} PolicyBaselineUnit;

/* A policy file that accepts today's state exactly: per unit a section with max_exposure = its
 * exposure and one accept= per failing check, reason naming the day (header comment: generated,
 * by whom, when: the caller's comment, may be NULL). The text parses back with
 * unit_policy_parse() and gives every unit POLICY_OK. Appends to out. */
void unit_policy_format_baseline(const PolicyBaselineUnit *units, size_t n, const char *comment,
                                 const char *reason, Buf *out);
