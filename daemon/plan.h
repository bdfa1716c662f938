/* SPDX-License-Identifier: MIT */
/* The fix planner: from a unit's properties to an ordered list of unit-file lines that lower its
 * exposure, each with the exposure after it and every earlier line, and its risk.
 *
 * Every exposure in a plan comes from score_unit() run on a copy of the unit's properties to which
 * the plan's lines have been applied the way systemd's unit loader applies them (the drop-in's
 * assignments on top of the unit's values, then the load-time implications: DynamicUser= implies
 * ProtectSystem=strict and more, PrivateDevices= closes the device policy, ProtectClock= adds
 * char-rtc to a device ACL, ...). Exposures are never added up per check: the formula is not
 * additive (rounding, checks that become applicable, options that imply others).
 *
 * Pure: no I/O, no logging, no clock, no globals. It allocates (the plan's lines) with xmalloc. The
 * runtime facts (what the running processes hold) are gathered by the caller and handed in. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "score.h"
#include "unit-props.h"

/* How likely a line is to break a service. Ordered: a larger class admits the smaller ones. */
typedef enum PlanRisk {
        PLAN_RISK_SAFE,      /* "safe": cannot break typical services */
        PLAN_RISK_MAY_BREAK, /* "may-break": breaks some services (the reason says which) */
        PLAN_RISK_BREAKS,    /* "breaks": breaks every service that does what the reason says */
        _PLAN_RISK_MAX,
        _PLAN_RISK_INVALID = -EINVAL,
} PlanRisk;

const char *plan_risk_to_string(PlanRisk r);
PlanRisk plan_risk_from_string(const char *s);

/* A target exposure as the CLI and the API take it: "5", "5.0", "10.0" (one decimal at most,
 * 0.0 to 10.0) -> tenths. Returns 0, -EINVAL (not a number) or -ERANGE (above 10.0). */
int plan_exposure_from_string(const char *s, unsigned *ret);

/* Everything the planner may propose. Actions that share a slot set the same directive to
 * different values; a plan holds at most one action per slot. */
typedef enum PlanAction {
        PLAN_DYNAMIC_USER,
        PLAN_SUPPLEMENTARY_GROUPS,
        PLAN_PRIVATE_DEVICES,
        PLAN_PRIVATE_MOUNTS,
        PLAN_PRIVATE_NETWORK,
        PLAN_PRIVATE_TMP,
        PLAN_PRIVATE_USERS,
        PLAN_PROTECT_CONTROL_GROUPS,
        PLAN_PROTECT_KERNEL_MODULES,
        PLAN_PROTECT_KERNEL_TUNABLES,
        PLAN_PROTECT_KERNEL_LOGS,
        PLAN_PROTECT_CLOCK,
        PLAN_PROTECT_HOME_READ_ONLY,
        PLAN_PROTECT_HOME_YES,
        PLAN_PROTECT_HOSTNAME,
        PLAN_PROTECT_SYSTEM_YES,
        PLAN_PROTECT_SYSTEM_FULL,
        PLAN_PROTECT_SYSTEM_STRICT,
        PLAN_LOCK_PERSONALITY,
        PLAN_MEMORY_DENY_WRITE_EXECUTE,
        PLAN_NO_NEW_PRIVILEGES,
        PLAN_CAPABILITY_BOUNDING_SET,
        PLAN_AMBIENT_CAPABILITIES,
        PLAN_UMASK,
        PLAN_KEYRING_MODE,
        PLAN_PROTECT_PROC,
        PLAN_PROC_SUBSET,
        PLAN_NOTIFY_ACCESS,
        PLAN_REMOVE_IPC,
        PLAN_DELEGATE,
        PLAN_RESTRICT_REALTIME,
        PLAN_RESTRICT_SUID_SGID,
        PLAN_RESTRICT_NAMESPACES,
        PLAN_ADDRESS_FAMILIES_IP,    /* AF_UNIX AF_INET AF_INET6 */
        PLAN_ADDRESS_FAMILIES_UNIX,  /* AF_UNIX */
        PLAN_ADDRESS_FAMILIES_SEEN,  /* AF_UNIX + what the running processes hold */
        PLAN_SYSTEM_CALL_ARCHITECTURES,
        PLAN_SYSTEM_CALL_FILTER_BASIC,
        PLAN_SYSTEM_CALL_FILTER_FULL,
        PLAN_IP_ADDRESS_DENY,
        PLAN_DEVICE_POLICY,
        _PLAN_ACTION_MAX,
        _PLAN_ACTION_INVALID = -EINVAL,
} PlanAction;

/* The risk table (plan-risk.c), indexed by PlanAction. Data only. */
typedef struct PlanRiskRow {
        const char *directive;  /* "PrivateNetwork=": what the slot sets */
        const char *line;       /* the line, or NULL when the planner computes it */
        PlanRisk risk;
        const char *reason;     /* one line a person understands: what it breaks */
        bool implies_nnp;       /* installs a seccomp filter: implies NoNewPrivileges=yes for a
                                 * service without CAP_SYS_ADMIN (systemd.exec(5)) */
} PlanRiskRow;

extern const PlanRiskRow plan_risk_table[_PLAN_ACTION_MAX];

/* What a line with implies_nnp breaks on top of its own reason, for a service that runs as a
 * user without CAP_SYS_ADMIN and does not have NoNewPrivileges=yes yet: such a line gets at least
 * the risk of NoNewPrivileges=yes there. */
extern const char plan_nnp_reason[];

/* What the unit's running processes were seen to hold (exposured suggest, as root, from /proc). */
typedef struct PlanRuntime {
        uint64_t effective_caps;   /* union of CapEff over the processes */
        uint64_t families;         /* bit n: a socket of address family n is open (n < 64) */
        bool write_exec;           /* a mapping is writable and executable (a JIT) */
        bool user_namespace;       /* a process is in a user namespace other than PID 1's */
} PlanRuntime;

typedef struct PlanInput {
        const ScoreTable *table;
        const UnitProps *props;       /* as the manager reports them */
        char *const *state_dirs;      /* StateDirectory= (names below /var/lib), may be NULL */
        char *const *cache_dirs;      /* CacheDirectory= (below /var/cache), may be NULL */
        char *const *logs_dirs;       /* LogsDirectory= (below /var/log), may be NULL */
        const PlanRuntime *runtime;   /* NULL when the processes were not looked at */
} PlanInput;

typedef struct PlanOptions {
        PlanRisk max_risk;   /* only lines of this class or a smaller one */
        unsigned target;     /* stop once the exposure is at or below this (tenths); 0 = none */
        size_t max_steps;    /* 0 = no limit */
        bool lookahead;      /* choose each line by the best pair it starts (else plain greedy) */
} PlanOptions;

typedef struct PlanStep {
        PlanAction action;
        char *line;          /* one or two unit-file lines, '\n'-separated, no final newline */
        unsigned exposure;   /* after this step and every earlier one, tenths */
        PlanRisk risk;       /* the row's, or higher for this unit (implies_nnp) */
        bool implies_nnp;    /* for this unit the line implies NoNewPrivileges=yes */
        bool checked;        /* the value was chosen from what the running processes hold */
} PlanStep;

typedef struct Plan {
        unsigned exposure;   /* before the first step */
        PlanStep *steps;
        size_t n_steps;
} Plan;

/* Plan in->props. Returns 0, or -EINVAL when the input is incomplete or the scorer refuses the
 * unit (the weight sum is 0). *ret is written only on success; free it with plan_done(). An empty
 * plan (n_steps 0) means no allowed line lowers the exposure. */
int plan_unit(const PlanInput *in, const PlanOptions *o, Plan *ret);
void plan_done(Plan *p);

/* The drop-in text for the plan's steps ("[Service]\n" and one line per line), or NULL for an
 * empty plan. The caller frees it. */
char *plan_dropin(const Plan *p);

/* The exposure of in->props with the given actions applied in order (the scorer's, tenths), and
 * the line of each (ret_lines: NULL or n entries, each freed by the caller). For tests and the
 * benchmark's exhaustive search. Returns 0 or -EINVAL (as plan_unit()); ret_badness/ret_weight
 * (may be NULL) get the scorer's sums. */
int plan_evaluate(const PlanInput *in, const PlanAction *actions, size_t n, unsigned *ret_exposure,
                  uint64_t *ret_badness, uint64_t *ret_weight, char **ret_lines);

/* Whether the action can be proposed for this unit (its slot applies, its value is computable,
 * the runtime facts do not rule it out) within max_risk. */
bool plan_action_possible(const PlanInput *in, PlanAction a, PlanRisk max_risk);

/* The slot an action belongs to: actions with the same slot set the same directive. */
unsigned plan_action_slot(PlanAction a);
