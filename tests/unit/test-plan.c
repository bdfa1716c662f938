/* SPDX-License-Identifier: MIT */
/* The fix planner over every captured fixture (tests/fixtures/vNNN-*.props, scored with its
 * version's table) and over hand-made units: each step's exposure is the scorer's on the unit
 * with that step and every earlier one applied (plan_evaluate(), which runs score_unit()), the
 * exposure never rises, one line per directive, the risk class holds, values follow the unit's
 * state (User= set: no DynamicUser=; ProtectSystem=strict with the State/Cache/Logs directories),
 * the runtime facts rule lines out (IP sockets: no PrivateNetwork=, the families kept), a unit at
 * its best gets an empty plan; and the risk table is complete. The exactness against systemd
 * itself is tests/integration/test_plan.py. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "plan.h"
#include "props-text.h"
#include "render-plan.h"
#include "score.h"
#include "util.h"

static const char *top(void) {
        return getenv("TOP") ?: ".";
}

typedef struct Fixture {
        char name[256];
        unsigned version;
        UnitProps props;
} Fixture;

static Fixture *fixtures;
static size_t n_fixtures;

static int load_fixtures(void **state) {
        char dir[4096];
        struct dirent **list;
        int n;

        (void) state;
        snprintf(dir, sizeof dir, "%s/tests/fixtures", top());
        n = scandir(dir, &list, NULL, alphasort);
        if (n < 0)
                return -1;
        fixtures = xcalloc((size_t) n + 1, sizeof(Fixture));
        for (int i = 0; i < n; i++) {
                char path[8192], *text;
                unsigned version;
                FILE *f;
                long size;

                if (sscanf(list[i]->d_name, "v%u-", &version) != 1 ||
                    !endswith(list[i]->d_name, ".props")) {
                        free(list[i]);
                        continue;
                }
                snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
                f = fopen(path, "re");
                assert_non_null(f);
                assert_int_equal(fseek(f, 0, SEEK_END), 0);
                size = ftell(f);
                rewind(f);
                text = xmalloc((size_t) size + 1);
                assert_int_equal(fread(text, 1, (size_t) size, f), (size_t) size);
                fclose(f);
                Fixture *x = &fixtures[n_fixtures];
                snprintf(x->name, sizeof x->name, "%s", list[i]->d_name);
                x->version = version;
                unit_props_init(&x->props);
                assert_int_equal(props_text_parse(text, (size_t) size, &x->props, NULL), 0);
                free(text);
                free(list[i]);
                n_fixtures++;
        }
        free(list);
        return n_fixtures > 20 ? 0 : -1;
}

static int free_fixtures(void **state) {
        (void) state;
        for (size_t i = 0; i < n_fixtures; i++)
                unit_props_done(&fixtures[i].props);
        free(fixtures);
        return 0;
}

static void test_risk_table(void **state) {
        (void) state;
        for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++) {
                const PlanRiskRow *r = &plan_risk_table[a];

                assert_non_null(r->directive);
                assert_true(endswith(r->directive, "="));
                assert_non_null(r->reason);
                assert_true(strlen(r->reason) > 20 && strlen(r->reason) < 160);
                assert_null(strchr(r->reason, '\n'));
                assert_true(r->risk >= 0 && r->risk < _PLAN_RISK_MAX);
                if (r->line)
                        assert_true(startswith(r->line, r->directive));
                /* Actions of one slot set one directive. */
                assert_string_equal(r->directive,
                                    plan_risk_table[plan_action_slot(a)].directive);
        }
        for (PlanRisk r = 0; r < _PLAN_RISK_MAX; r++)
                assert_int_equal(plan_risk_from_string(plan_risk_to_string(r)), r);
        assert_int_equal(plan_risk_from_string("unsafe"), _PLAN_RISK_INVALID);
        assert_int_equal(plan_risk_from_string(NULL), _PLAN_RISK_INVALID);
        assert_null(plan_risk_to_string(_PLAN_RISK_MAX));
        assert_string_equal(plan_risk_table[PLAN_PRIVATE_NETWORK].line, "PrivateNetwork=yes");
        assert_int_equal(plan_risk_table[PLAN_PRIVATE_NETWORK].risk, PLAN_RISK_BREAKS);
}

/* The invariants every plan keeps. */
static void check_plan(const PlanInput *in, const PlanOptions *o, const Plan *p, const char *name) {
        PlanAction actions[_PLAN_ACTION_MAX];
        ScoreReport r;
        unsigned before = p->exposure;

        assert_int_equal(score_unit(in->table, NULL, in->props, &r), 0);
        assert_int_equal(p->exposure, r.exposure);
        if (o->max_steps)
                assert_true(p->n_steps <= o->max_steps);
        for (size_t i = 0; i < p->n_steps; i++) {
                const PlanStep *s = p->steps + i;
                unsigned e;

                actions[i] = s->action;
                if (s->risk > o->max_risk)
                        fail_msg("%s: step %zu (%s) above the risk class", name, i, s->line);
                /* A unit may raise a row's class (implies_nnp), never lower it. */
                assert_true(s->risk >= plan_risk_table[s->action].risk);
                assert_true(!s->implies_nnp || plan_risk_table[s->action].implies_nnp);
                assert_true(startswith(s->line, plan_risk_table[s->action].directive));
                for (size_t j = 0; j < i; j++)
                        assert_int_not_equal(plan_action_slot(actions[j]),
                                             plan_action_slot(s->action));
                assert_int_equal(plan_evaluate(in, actions, i + 1, &e, NULL, NULL, NULL), 0);
                if (e != s->exposure)
                        fail_msg("%s: step %zu exposure %u, the scorer says %u", name, i,
                                 s->exposure, e);
                if (s->exposure > before)
                        fail_msg("%s: step %zu raises the exposure %u -> %u", name, i, before,
                                 s->exposure);
                /* Only the last step may reach the target. */
                if (i + 1 < p->n_steps)
                        assert_true(s->exposure > o->target);
                before = s->exposure;
        }
}

static void test_fixtures(void **state) {
        size_t steps = 0, units = 0;

        (void) state;
        for (size_t i = 0; i < n_fixtures; i++) {
                const Fixture *x = &fixtures[i];
                PlanInput in = { .table = score_table_for_version(x->version),
                                 .props = &x->props };

                if (!streq_ptr(x->props.load_state, "loaded"))
                        continue;
                units++;
                for (PlanRisk risk = 0; risk < _PLAN_RISK_MAX; risk++)
                        for (int look = 0; look < 2; look++)
                                for (size_t max = 0; max <= 5; max += 5) {
                                        PlanOptions o = { .max_risk = risk, .lookahead = look,
                                                          .max_steps = max };
                                        Plan p;

                                        assert_int_equal(plan_unit(&in, &o, &p), 0);
                                        check_plan(&in, &o, &p, x->name);
                                        steps += p.n_steps;
                                        /* With every class and no limit a plan gets far. */
                                        if (risk == PLAN_RISK_BREAKS && max == 0 &&
                                            p.n_steps > 0 &&
                                            p.steps[p.n_steps - 1].exposure > 25)
                                                fail_msg("%s: the full plan ends at %u", x->name,
                                                         p.steps[p.n_steps - 1].exposure);
                                        plan_done(&p);
                                }
        }
        assert_true(units > 20);
        assert_true(steps > 1000);
}

static void test_target(void **state) {
        (void) state;
        for (size_t i = 0; i < n_fixtures; i++) {
                const Fixture *x = &fixtures[i];
                PlanInput in = { .table = score_table_for_version(x->version),
                                 .props = &x->props };
                PlanOptions o = { .max_risk = PLAN_RISK_BREAKS, .target = 50, .lookahead = true };
                Plan p;

                if (!streq_ptr(x->props.load_state, "loaded"))
                        continue;
                assert_int_equal(plan_unit(&in, &o, &p), 0);
                check_plan(&in, &o, &p, x->name);
                if (p.exposure <= 50)
                        assert_int_equal(p.n_steps, 0);
                else if (p.n_steps > 0)
                        assert_true(p.steps[p.n_steps - 1].exposure <= 50);
                plan_done(&p);
        }
}

/* A root service with nothing set: the textbook case. */
static void base_unit(UnitProps *p) {
        unit_props_init(p);
        p->id = xstrdup("web.service");
        p->load_state = xstrdup("loaded");
        p->type = xstrdup("simple");
        p->protect_home = xstrdup("no");
        p->protect_system = xstrdup("no");
        p->keyring_mode = xstrdup("inherit");
        p->protect_proc = xstrdup("default");
        p->proc_subset = xstrdup("all");
        p->notify_access = xstrdup("none");
        p->device_policy = xstrdup("auto");
        p->umask = 0022;
}

static const PlanStep *find_step(const Plan *p, unsigned slot) {
        for (size_t i = 0; i < p->n_steps; i++)
                if (plan_action_slot(p->steps[i].action) == slot)
                        return p->steps + i;
        return NULL;
}

static void test_values_follow_state(void **state) {
        char *dirs[] = { "web", NULL }, *logs[] = { "web/access", NULL };
        PlanOptions o = { .max_risk = PLAN_RISK_BREAKS, .lookahead = true };
        const PlanStep *s;
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        PlanInput in = { .table = score_table_for_version(252), .props = &u };

        /* No User=: DynamicUser=yes is proposed (risk "breaks"). */
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        check_plan(&in, &o, &p, "base");
        assert_non_null(find_step(&p, PLAN_DYNAMIC_USER));
        assert_true(p.steps[p.n_steps - 1].exposure < 20);
        plan_done(&p);

        /* User= set: never DynamicUser=. */
        u.user = xstrdup("www-data");
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        check_plan(&in, &o, &p, "user");
        assert_null(find_step(&p, PLAN_DYNAMIC_USER));
        plan_done(&p);

        /* ProtectSystem=strict comes with the unit's directories writable. */
        in.state_dirs = dirs;
        in.logs_dirs = logs;
        o.max_risk = PLAN_RISK_MAY_BREAK;
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        s = find_step(&p, PLAN_PROTECT_SYSTEM_YES);
        assert_non_null(s);
        assert_string_equal(s->line,
                            "ProtectSystem=strict\nReadWritePaths=/var/lib/web /var/log/web/access");
        plan_done(&p);
        /* ... or the usual ones named after it, when it declares none. */
        in.state_dirs = in.logs_dirs = NULL;
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        s = find_step(&p, PLAN_PROTECT_SYSTEM_YES);
        assert_string_equal(s->line, "ProtectSystem=strict\nReadWritePaths=-/var/lib/web "
                                     "-/var/cache/web -/var/log/web");
        /* Nothing of class "breaks" at may-break. */
        assert_null(find_step(&p, PLAN_PRIVATE_NETWORK));
        plan_done(&p);

        /* A safe plan: only safe lines, ProtectSystem=yes rather than strict. */
        o.max_risk = PLAN_RISK_SAFE;
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        check_plan(&in, &o, &p, "safe");
        s = find_step(&p, PLAN_PROTECT_SYSTEM_YES);
        assert_non_null(s);
        assert_string_equal(s->line, "ProtectSystem=yes");
        assert_null(find_step(&p, PLAN_CAPABILITY_BOUNDING_SET));
        plan_done(&p);
        unit_props_done(&u);
}

static void test_runtime(void **state) {
        PlanOptions o = { .max_risk = PLAN_RISK_BREAKS, .lookahead = true };
        /* An IP server with effective CAP_NET_BIND_SERVICE and a JIT. */
        PlanRuntime rt = {
                .effective_caps = UINT64_C(1) << 10,
                .families = (UINT64_C(1) << 1) | (UINT64_C(1) << 2) | (UINT64_C(1) << 10),
                .write_exec = true,
        };
        const PlanStep *s;
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        PlanInput in = { .table = score_table_for_version(262), .props = &u, .runtime = &rt };

        assert_int_equal(plan_unit(&in, &o, &p), 0);
        check_plan(&in, &o, &p, "runtime");
        assert_null(find_step(&p, PLAN_PRIVATE_NETWORK));
        assert_null(find_step(&p, PLAN_IP_ADDRESS_DENY));
        assert_null(find_step(&p, PLAN_MEMORY_DENY_WRITE_EXECUTE));
        s = find_step(&p, PLAN_ADDRESS_FAMILIES_IP);
        assert_non_null(s);
        assert_int_equal(s->action, PLAN_ADDRESS_FAMILIES_SEEN);
        assert_string_equal(s->line, "RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX "
                                     "AF_INET AF_INET6");
        assert_true(s->checked);
        s = find_step(&p, PLAN_CAPABILITY_BOUNDING_SET);
        assert_non_null(s);
        assert_true(s->checked);
        assert_true(startswith(s->line, "CapabilityBoundingSet=~CAP_CHOWN "));
        assert_null(strstr(s->line, "CAP_NET_BIND_SERVICE"));
        plan_done(&p);

        /* Without runtime facts the same unit gets PrivateNetwork= (class "breaks"). */
        in.runtime = NULL;
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        assert_non_null(find_step(&p, PLAN_PRIVATE_NETWORK));
        s = find_step(&p, PLAN_CAPABILITY_BOUNDING_SET);
        assert_string_equal(s->line, "CapabilityBoundingSet=");
        assert_false(s->checked);
        plan_done(&p);

        /* A socket of a family nobody can name: no family line at all. */
        rt.families |= 1;
        in.runtime = &rt;
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        assert_null(find_step(&p, PLAN_ADDRESS_FAMILIES_IP));
        plan_done(&p);
        unit_props_done(&u);
}

/* A service with only an IPv4 socket keeps IPv6 too: IP is kept whole. */
static void test_runtime_ipv4_only(void **state) {
        PlanOptions o = { .max_risk = PLAN_RISK_BREAKS, .lookahead = true };
        PlanRuntime rt = { .families = (UINT64_C(1) << 1) | (UINT64_C(1) << 2) };
        const PlanStep *s;
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        PlanInput in = { .table = score_table_for_version(252), .props = &u, .runtime = &rt };
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        s = find_step(&p, PLAN_ADDRESS_FAMILIES_IP);
        assert_non_null(s);
        assert_string_equal(s->line, "RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX "
                                     "AF_INET AF_INET6");
        assert_null(find_step(&p, PLAN_PRIVATE_NETWORK));
        plan_done(&p);
        unit_props_done(&u);
}

/* The seccomp-based lines imply NoNewPrivileges=yes for a service without CAP_SYS_ADMIN: for a
 * User= service they are no longer "safe" (its set-user-ID helpers would stop working); for root,
 * or with NoNewPrivileges=yes already, they are. */
static void test_nnp_raises_risk(void **state) {
        PlanOptions safe = { .max_risk = PLAN_RISK_SAFE, .lookahead = true };
        PlanOptions all = { .max_risk = PLAN_RISK_BREAKS, .lookahead = true };
        const PlanStep *s;
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        PlanInput in = { .table = score_table_for_version(252), .props = &u };

        /* Root: LockPersonality= and the basic filter are safe lines. */
        assert_int_equal(plan_unit(&in, &safe, &p), 0);
        check_plan(&in, &safe, &p, "nnp-root");
        s = find_step(&p, PLAN_LOCK_PERSONALITY);
        assert_non_null(s);
        assert_int_equal(s->risk, PLAN_RISK_SAFE);
        assert_false(s->implies_nnp);
        assert_non_null(find_step(&p, PLAN_SYSTEM_CALL_FILTER_BASIC));
        plan_done(&p);

        /* User=: none of them in the safe class, only the mount-namespace lines. */
        u.user = xstrdup("daemon");
        assert_int_equal(plan_unit(&in, &safe, &p), 0);
        check_plan(&in, &safe, &p, "nnp-user");
        assert_true(p.n_steps > 0);
        for (size_t i = 0; i < p.n_steps; i++)
                assert_false(plan_risk_table[p.steps[i].action].implies_nnp);
        assert_non_null(find_step(&p, PLAN_PRIVATE_TMP));
        plan_done(&p);
        assert_false(plan_action_possible(&in, PLAN_LOCK_PERSONALITY, PLAN_RISK_SAFE));
        assert_true(plan_action_possible(&in, PLAN_LOCK_PERSONALITY, PLAN_RISK_MAY_BREAK));

        /* In a wider class they come back, marked and explained. */
        assert_int_equal(plan_unit(&in, &all, &p), 0);
        s = find_step(&p, PLAN_LOCK_PERSONALITY);
        assert_non_null(s);
        assert_int_equal(s->risk, PLAN_RISK_MAY_BREAK);
        assert_true(s->implies_nnp);
        {
                _cleanup_free_ char *json = NULL;
                Buf b = {};

                assert_int_equal(render_plan_json("web.service", &p, PLAN_RISK_BREAKS, NULL,
                                                  false, &b), 0);
                json = buf_steal(&b);
                assert_non_null(strstr(json, "implies NoNewPrivileges=yes"));
        }
        plan_done(&p);

        /* The capability ambient, or NoNewPrivileges=yes already: safe again. */
        u.ambient_capabilities = UINT64_C(1) << 21;
        assert_true(plan_action_possible(&in, PLAN_LOCK_PERSONALITY, PLAN_RISK_SAFE));
        u.ambient_capabilities = 0;
        u.no_new_privileges = true;
        assert_true(plan_action_possible(&in, PLAN_LOCK_PERSONALITY, PLAN_RISK_SAFE));
        u.no_new_privileges = false;
        u.dynamic_user = true;
        free(u.user);
        u.user = NULL;
        assert_false(plan_action_possible(&in, PLAN_LOCK_PERSONALITY, PLAN_RISK_SAFE));
        unit_props_done(&u);
}

static void test_merged_lines(void **state) {
        PlanOptions o = { .max_risk = PLAN_RISK_BREAKS };
        const PlanStep *s;
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        /* A deny list of families must be reset before an allow list is given. */
        u.restrict_address_families_allow_list = false;
        strv_push(&u.restrict_address_families, "AF_PACKET");
        /* An allow list of system calls loses the groups' members. */
        u.system_call_filter_allow_list = true;
        strv_push(&u.system_call_filter, "read");
        strv_push(&u.system_call_filter, "mount");
        strv_push(&u.system_call_filter, "settimeofday");
        strv_push(&u.system_call_architectures, "x86");
        PlanInput in = { .table = score_table_for_version(252), .props = &u };

        assert_int_equal(plan_unit(&in, &o, &p), 0);
        check_plan(&in, &o, &p, "merged");
        s = find_step(&p, PLAN_ADDRESS_FAMILIES_IP);
        assert_non_null(s);
        assert_true(startswith(s->line, "RestrictAddressFamilies=\nRestrictAddressFamilies=AF_"));
        s = find_step(&p, PLAN_SYSTEM_CALL_FILTER_BASIC);
        assert_non_null(s);
        assert_true(startswith(s->line, "SystemCallFilter=~@clock @cpu-emulation @debug"));
        s = find_step(&p, PLAN_SYSTEM_CALL_ARCHITECTURES);
        assert_string_equal(s->line, "SystemCallArchitectures=\nSystemCallArchitectures=native");
        plan_done(&p);
        unit_props_done(&u);
}

/* A later deny line sets the action of every call it names: "ptrace:EACCES" becomes "ptrace", so
 * on a table that keeps ":errno" suffixes (247) the unit scores as if it had listed ptrace plain
 * (measured live on 247: test_plan.py). */
static void test_filter_replaces_errno(void **state) {
        const PlanAction a = PLAN_SYSTEM_CALL_FILTER_FULL;
        unsigned with_errno, plain, before;
        UnitProps u, v;

        (void) state;
        base_unit(&u);
        base_unit(&v);
        u.system_call_filter_allow_list = v.system_call_filter_allow_list = false;
        /* all of @debug, ptrace with its own errno */
        for (size_t i = 0; i < 3; i++) {
                static const char *const debug[] = { "lookup_dcookie", "perf_event_open",
                                                     "pidfd_getfd" };
                strv_push(&u.system_call_filter, debug[i]);
                strv_push(&v.system_call_filter, debug[i]);
        }
        strv_push(&u.system_call_filter, "ptrace:EACCES");
        strv_push(&v.system_call_filter, "ptrace");
        PlanInput in_u = { .table = score_table_for_version(247), .props = &u };
        PlanInput in_v = { .table = score_table_for_version(247), .props = &v };

        assert_int_equal(plan_evaluate(&in_u, &a, 1, &with_errno, NULL, NULL, NULL), 0);
        assert_int_equal(plan_evaluate(&in_v, &a, 1, &plain, NULL, NULL, NULL), 0);
        assert_int_equal(with_errno, plain);
        /* and the suffix did count before the line: the table keeps it */
        assert_int_equal(plan_evaluate(&in_u, NULL, 0, &before, NULL, NULL, NULL), 0);
        assert_int_equal(plan_evaluate(&in_v, NULL, 0, &plain, NULL, NULL, NULL), 0);
        assert_true(before > plain);
        unit_props_done(&u);
        unit_props_done(&v);
}

static void test_at_best(void **state) {
        PlanOptions o = { .max_risk = PLAN_RISK_SAFE };
        _cleanup_free_ char *text = NULL, *json = NULL;
        PlanAction all[_PLAN_ACTION_MAX];
        size_t n = 0;
        Buf b = {};
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        PlanInput in = { .table = score_table_for_version(252), .props = &u };
        /* Every safe line set by hand: nothing safe is left to propose. */
        u.private_tmp = u.private_mounts = u.protect_control_groups = true;
        u.protect_kernel_modules = u.protect_kernel_tunables = u.protect_kernel_logs = true;
        u.protect_clock = u.protect_hostname = u.lock_personality = true;
        u.remove_ipc = u.restrict_realtime = u.restrict_suid_sgid = true;
        free(u.protect_home);
        u.protect_home = xstrdup("read-only");
        free(u.protect_system);
        u.protect_system = xstrdup("yes");
        free(u.keyring_mode);
        u.keyring_mode = xstrdup("private");
        strv_push(&u.system_call_architectures, "native");
        for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++)
                if (plan_action_possible(&in, a, PLAN_RISK_SAFE))
                        all[n++] = a;
        /* Only the system-call filter is left among the safe lines; an allow list without any
         * of its groups' members leaves it nothing to gain. */
        assert_int_equal(n, 1);
        assert_int_equal(all[0], PLAN_SYSTEM_CALL_FILTER_BASIC);
        u.system_call_filter_allow_list = true;
        strv_push(&u.system_call_filter, "read");

        assert_int_equal(plan_unit(&in, &o, &p), 0);
        assert_int_equal(p.n_steps, 0);
        assert_null(plan_dropin(&p));
        render_plan_text("web.service", &p, PLAN_RISK_SAFE, NULL, &b);
        text = buf_steal(&b);
        assert_non_null(strstr(text, "web.service is already at its best"));
        assert_int_equal(render_plan_json("web.service", &p, PLAN_RISK_SAFE, NULL, false, &b), 0);
        json = buf_steal(&b);
        assert_non_null(strstr(json, "\"steps\":[]"));
        assert_non_null(strstr(json, "\"dropin\":null"));
        plan_done(&p);
        unit_props_done(&u);
}

static void test_render(void **state) {
        PlanOptions o = { .max_risk = PLAN_RISK_MAY_BREAK, .max_steps = 3 };
        _cleanup_free_ char *text = NULL, *json = NULL, *html = NULL, *dropin = NULL;
        Buf b = {};
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        free(u.id);
        u.id = xstrdup("we<b>.service");
        PlanInput in = { .table = score_table_for_version(252), .props = &u };
        assert_int_equal(plan_unit(&in, &o, &p), 0);
        assert_int_equal(p.n_steps, 3);

        dropin = plan_dropin(&p);
        assert_true(startswith(dropin, "[Service]\n"));
        assert_true(endswith(dropin, "\n"));
        render_plan_text(u.id, &p, o.max_risk, NULL, &b);
        text = buf_steal(&b);
        assert_non_null(strstr(text, "STEP  LINE"));
        assert_non_null(strstr(text, "/etc/systemd/system/we<b>.service.d/50-exposured.conf"));
        assert_non_null(strstr(text, "systemctl daemon-reload"));
        assert_int_equal(render_plan_json(u.id, &p, o.max_risk, NULL, false, &b), 0);
        json = buf_steal(&b);
        assert_non_null(strstr(json, "\"unit\":\"we<b>.service\""));
        assert_non_null(strstr(json, "\"risk\":\""));
        assert_non_null(strstr(json, "\"checked\":false"));
        assert_non_null(strstr(json, "\"dropin\":\"[Service]\\n"));
        render_plan_html(u.id, &p, o.max_risk, NULL, &b);
        html = buf_steal(&b);
        assert_non_null(strstr(html, "we&lt;b&gt;.service"));
        assert_null(strstr(html, "we<b>"));
        assert_non_null(strstr(html, "<pre class=\"dropin\">[Service]"));
        plan_done(&p);
        unit_props_done(&u);

        /* The drop-in goes last when another one would be read after it. */
        {
                char *none[] = { NULL }, *early[] = { "/etc/systemd/system/x.service.d/10-a.conf",
                                                      NULL },
                     *late[] = { "/usr/lib/systemd/system/x.service.d/50-harden.conf", NULL },
                     *ours[] = { "/etc/systemd/system/x.service.d/50-exposured.conf",
                                 "/etc/systemd/system/x.service.d/zz-exposured.conf", NULL };

                assert_string_equal(plan_dropin_name(NULL), "50-exposured.conf");
                assert_string_equal(plan_dropin_name(none), "50-exposured.conf");
                assert_string_equal(plan_dropin_name(early), "50-exposured.conf");
                assert_string_equal(plan_dropin_name(late), "zz-exposured.conf");
                assert_string_equal(plan_dropin_name(ours), "50-exposured.conf");
        }
}

static void test_bad_input(void **state) {
        PlanOptions o = { .max_risk = PLAN_RISK_SAFE };
        UnitProps u;
        Plan p;

        (void) state;
        base_unit(&u);
        PlanInput in = { .table = score_table_for_version(252), .props = &u };
        assert_int_equal(plan_unit(NULL, &o, &p), -EINVAL);
        assert_int_equal(plan_unit(&in, NULL, &p), -EINVAL);
        o.max_risk = _PLAN_RISK_MAX;
        assert_int_equal(plan_unit(&in, &o, &p), -EINVAL);
        in.table = NULL;
        o.max_risk = PLAN_RISK_SAFE;
        assert_int_equal(plan_unit(&in, &o, &p), -EINVAL);
        in.table = score_table_for_version(252);
        PlanAction bad = _PLAN_ACTION_MAX;
        assert_int_equal(plan_evaluate(&in, &bad, 1, NULL, NULL, NULL, NULL), -EINVAL);
        plan_done(NULL);
        unit_props_done(&u);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_risk_table),
                cmocka_unit_test(test_fixtures),
                cmocka_unit_test(test_target),
                cmocka_unit_test(test_values_follow_state),
                cmocka_unit_test(test_runtime),
                cmocka_unit_test(test_runtime_ipv4_only),
                cmocka_unit_test(test_nnp_raises_risk),
                cmocka_unit_test(test_merged_lines),
                cmocka_unit_test(test_filter_replaces_errno),
                cmocka_unit_test(test_at_best),
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_bad_input),
        };

        return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}
