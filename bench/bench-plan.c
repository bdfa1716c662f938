/* SPDX-License-Identifier: MIT */
/* The planner's cost and quality over the captured fixtures (tests/fixtures/vNNN-*.props, each
 * with its version's table):
 *  - time: plan_unit() per unit, greedy and with look-ahead, and for HOST units (the fixtures
 *    cycled), as `exposured suggest` with no unit and the daemon's plan route would;
 *  - quality: for plans of at most K = 3, 5, 10 lines, the final exposure of the greedy and the
 *    look-ahead plans against the best any K lines reach, found by exhaustive search over every
 *    choice of at most K actions, one per directive (the scorer on each). K = 10 is searched only
 *    for units with at most MAX10 directives that can gain (the search is C(n, 10) evaluations).
 * plan.c is included so that the search reuses its prepared state (no allocation per evaluation).
 * Build: see bench/README. Usage: bench-plan [HOST-UNITS] [MAX10] [STRIDE] (the quality part
 * takes every STRIDE-th fixture) [time] (time only: no quality search). Times are wall clock and
 * the process's CPU time: on a shared machine the second is the planner's cost. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../daemon/plan.c"
#include "props-text.h"

typedef struct Fixture {
        char name[256];
        unsigned version;
        UnitProps props;
} Fixture;

static size_t load(const char *dir, Fixture **ret) {
        struct dirent **list;
        Fixture *f;
        size_t n = 0;
        int k = scandir(dir, &list, NULL, alphasort);

        if (k < 0) {
                perror(dir);
                exit(1);
        }
        f = xcalloc((size_t) k + 1, sizeof(Fixture));
        for (int i = 0; i < k; i++) {
                char path[8192], *text = NULL;
                unsigned v;
                size_t size = 0;
                FILE *fh;

                if (sscanf(list[i]->d_name, "v%u-", &v) == 1 &&
                    endswith(list[i]->d_name, ".props")) {
                        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
                        fh = fopen(path, "re");
                        if (fh && getdelim(&text, &size, '\0', fh) > 0) {
                                unit_props_init(&f[n].props);
                                if (props_text_parse(text, strlen(text), &f[n].props, NULL) ==
                                            0 &&
                                    streq_ptr(f[n].props.load_state, "loaded")) {
                                        snprintf(f[n].name, sizeof f[n].name, "%s",
                                                 list[i]->d_name);
                                        f[n].version = v;
                                        n++;
                                } else
                                        unit_props_done(&f[n].props);
                        }
                        if (fh)
                                fclose(fh);
                        free(text);
                }
                free(list[i]);
        }
        free(list);
        *ret = f;
        return n;
}

static uint64_t cpu_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Wall-clock microseconds for planning count units; *ret_cpu gets the CPU time the process
 * spent meanwhile (on a loaded machine the wall clock also counts other processes' turns). */
static double plan_time(const Fixture *f, size_t n, size_t count, PlanRisk risk, bool look,
                        size_t steps, double *ret_cpu) {
        uint64_t t0 = now_monotonic_usec(), c0 = cpu_usec();

        for (size_t i = 0; i < count; i++) {
                const Fixture *x = &f[i % n];
                PlanInput in = { .table = score_table_for_version(x->version),
                                 .props = &x->props };
                PlanOptions o = { .max_risk = risk, .lookahead = look, .max_steps = steps };
                Plan p;

                if (plan_unit(&in, &o, &p) < 0)
                        exit(1);
                plan_done(&p);
        }
        *ret_cpu = (double) (cpu_usec() - c0);
        return (double) (now_monotonic_usec() - t0);
}

/* Exhaustive search: the lowest badness/weight over every set of at most k actions, one per
 * slot, drawn from acts[0..n) (grouped by slot: slot_start marks each slot's first action). */
typedef struct Search {
        const Prepared *pp;
        const PlanAction *acts;
        const unsigned *slot_of;
        size_t n;
        size_t k;
        PlanAction chosen[16];
        Frac best;
        uint64_t evals;
} Search;

static void dfs(Search *s, size_t from, size_t depth) {
        Frac f;

        if (frac_of(s->pp, s->chosen, depth, &f) == 0) {
                s->evals++;
                if (frac_less(f.badness, f.weight, s->best.badness, s->best.weight))
                        s->best = f;
        }
        if (depth == s->k)
                return;
        for (size_t i = from; i < s->n; i++) {
                size_t next = i + 1;

                /* One action per slot: the next choice starts at the next slot. */
                while (next < s->n && s->slot_of[next] == s->slot_of[i])
                        next++;
                s->chosen[depth] = s->acts[i];
                dfs(s, next, depth + 1);
        }
}

static unsigned exposure_of(Frac f) {
        return (unsigned) (f.badness * 100 / f.weight + !!(f.badness * 100 % f.weight));
}

int main(int argc, char *argv[]) {
        size_t host = argc > 1 ? strtoul(argv[1], NULL, 10) : 500;
        size_t max10 = argc > 2 ? strtoul(argv[2], NULL, 10) : 20;
        size_t stride = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
        static const size_t ks[] = { 3, 5, 10 };
        char dir[4096];
        Fixture *f;
        size_t n;

        snprintf(dir, sizeof dir, "%s/tests/fixtures", getenv("TOP") ?: ".");
        setvbuf(stdout, NULL, _IOLBF, 0);
        n = load(dir, &f);
        printf("%zu fixtures\n", n);

        for (PlanRisk risk = 0; risk < _PLAN_RISK_MAX; risk += 2)
                for (int look = 0; look < 2; look++) {
                        double one_cpu, all_cpu;
                        double one = plan_time(f, n, n * 4, risk, look, 0, &one_cpu);
                        double all = plan_time(f, n, host, risk, look, 0, &all_cpu);

                        printf("time --max-risk=%-6s %-10s %8.1f us per unit (CPU %8.1f), "
                               "%zu units %8.1f ms (CPU %8.1f)\n", plan_risk_to_string(risk),
                               look ? "look-ahead" : "greedy", one / (double) (n * 4),
                               one_cpu / (double) (n * 4), host, all / 1000.0, all_cpu / 1000.0);
                }

        {
                double cpu, wall = plan_time(f, n, host, PLAN_RISK_SAFE, true, 5, &cpu);

                printf("time fleet view (safe, at most 5 lines, look-ahead): %zu units %8.1f ms "
                       "(CPU %8.1f)\n", host, wall / 1000.0, cpu / 1000.0);
        }
        if (argc > 4 && streq(argv[4], "time"))
                return 0;

        for (PlanRisk risk = 0; risk < _PLAN_RISK_MAX; risk += 2)
                for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
                        size_t k = ks[ki], units = 0, opt_g = 0, opt_l = 0;
                        uint64_t gap_g = 0, gap_l = 0, max_g = 0, max_l = 0, evals = 0;

                        for (size_t i = 0; i < n; i += stride ? stride : 1) {
                                PlanInput in = { .table = score_table_for_version(f[i].version),
                                                 .props = &f[i].props };
                                PlanAction acts[_PLAN_ACTION_MAX];
                                unsigned slot_of[_PLAN_ACTION_MAX], slots = 0, last = UINT32_MAX;
                                unsigned e_greedy, e_look, e_best;
                                Prepared pp;
                                Search s;
                                Frac now;
                                size_t m = 0;
                                Plan p;

                                prepare(&in, &pp);
                                if (frac_of(&pp, NULL, 0, &now) < 0)
                                        exit(1);
                                /* Candidates: the possible actions, grouped by slot; an action
                                 * no combination could use is still searched (it may pay off
                                 * only with others). */
                                for (unsigned slot = 0; slot < _PLAN_ACTION_MAX; slot++)
                                        for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++)
                                                if (plan_action_slot(a) == slot &&
                                                    possible(&pp, a, risk)) {
                                                        acts[m] = a;
                                                        slot_of[m++] = slot;
                                                        if (slot != last)
                                                                slots++;
                                                        last = slot;
                                                }
                                if (k == 10 && slots > max10) {
                                        prepared_done(&pp);
                                        continue;
                                }
                                s = (Search) { .pp = &pp, .acts = acts, .slot_of = slot_of,
                                               .n = m, .k = k, .best = now };
                                dfs(&s, 0, 0);
                                e_best = exposure_of(s.best);
                                evals += s.evals;

                                for (int look = 0; look < 2; look++) {
                                        PlanOptions o = { .max_risk = risk, .lookahead = look,
                                                          .max_steps = k };

                                        if (plan_unit(&in, &o, &p) < 0)
                                                exit(1);
                                        unsigned e = p.n_steps ? p.steps[p.n_steps - 1].exposure
                                                               : p.exposure;
                                        if (look)
                                                e_look = e;
                                        else
                                                e_greedy = e;
                                        plan_done(&p);
                                }
                                units++;
                                opt_g += e_greedy == e_best;
                                opt_l += e_look == e_best;
                                gap_g += e_greedy - e_best;
                                gap_l += e_look - e_best;
                                if (e_greedy - e_best > max_g)
                                        max_g = e_greedy - e_best;
                                if (e_look - e_best > max_l)
                                        max_l = e_look - e_best;
                                prepared_done(&pp);
                        }
                        printf("quality --max-risk=%-6s K=%-2zu %3zu units (%" PRIu64
                               " evaluations): greedy optimal %zu, mean gap %.2f, max %.1f; "
                               "look-ahead optimal %zu, mean gap %.2f, max %.1f\n",
                               plan_risk_to_string(risk), k, units, evals, opt_g,
                               units ? (double) gap_g / 10.0 / (double) units : 0.0,
                               (double) max_g / 10.0, opt_l,
                               units ? (double) gap_l / 10.0 / (double) units : 0.0,
                               (double) max_l / 10.0);
                }

        for (size_t i = 0; i < n; i++)
                unit_props_done(&f[i].props);
        free(f);
        return 0;
}
