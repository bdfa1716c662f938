/* SPDX-License-Identifier: MIT */
/* See http-fixture.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-fixture.h"
#include "util.h"

static const Assessor fixture_rows[FIXTURE_N_CHECKS] = {
        { .id = "PrivateNetwork=", .json_field = "PrivateNetwork",
          .description_good = "Service has no access to the host's network",
          .description_bad = "Service has access to the host's network",
          .fix = "PrivateNetwork=yes", .weight = 2500, .range = 1 },
        { .id = "User=/DynamicUser=", .json_field = "UserOrDynamicUser",
          .description_good = "Service runs under a static non-root user identity",
          .description_bad = "Service runs as root user",
          .fix = "DynamicUser=yes", .weight = 2000, .range = 10 },
        { .id = "ProtectSystem=", .json_field = "ProtectSystem",
          .description_good = "Service has strict read-only access to the OS file hierarchy",
          .description_bad = "Service has full access to the OS file hierarchy",
          .fix = "ProtectSystem=strict", .weight = 2000, .range = 10 },
        { .id = "SupplementaryGroups=", .json_field = "SupplementaryGroups",
          .description_good = "Service has no supplementary groups",
          .description_bad = "Service runs with supplementary groups",
          .description_na = "Service runs as root, option does not matter",
          .fix = "SupplementaryGroups=", .weight = 200, .range = 1 },
};

static const ScoreTable fixture_table = {
        .version_min = 0, .version_max = 999, .rows = fixture_rows,
        .n_rows = FIXTURE_N_CHECKS,
};

const char *const fixture_hostile_ids[] = {
        "a\\x2db.service",
        "getty@tty1.service",
        "q\"uote'.service",
        "new\nline.service",
        "bad\xff\xfeutf8.service",
        "<script>alert(1)</script>.service",
        "sp ace&amp.service",
        NULL,
};

const char fixture_hostile_description[] =
        "<script>alert('x')</script><img src=x onerror=alert(1)> \"quoted\" & \\back\nslash";

static int cmp(const void *a, const void *b) {
        return strcmp((*(UnitState *const *) a)->id, (*(UnitState *const *) b)->id);
}

static UnitState *unit_new(const char *id, size_t i, const char *description) {
        UnitState *u = xcalloc(1, sizeof(*u));
        ScoreReport *r = &u->report;

        u->id = xstrdup(id);
        unit_props_init(&u->props);
        u->props.id = xstrdup(id);
        u->props.description = description ? xstrdup(description) : NULL;
        u->props.load_state = xstrdup("loaded");
        u->first_seen_usec = UINT64_C(1700000000000000);
        u->last_change_usec = UINT64_C(1700000000000000) + i * 1000000u;
        u->regressions = i % 3;

        r->table = &fixture_table;
        r->n_checks = FIXTURE_N_CHECKS;
        for (size_t k = 0; k < FIXTURE_N_CHECKS; k++) {
                ScoreCheck *c = &r->checks[k];
                c->assessor = &fixture_rows[k];
                c->weight = fixture_rows[k].weight;
                c->range = fixture_rows[k].range;
                /* Vary by unit: check k fails when bit k of i is set; the last one is n/a for
                 * units whose second check fails (root). */
                c->badness = (i >> k) & 1 ? c->range : 0;
                if (k == 3 && ((i >> 1) & 1)) {
                        c->badness = BADNESS_NA;
                        c->na = NA_PRIVILEGED;
                }
                if (c->badness != BADNESS_NA) {
                        r->weight_sum += c->weight;
                        r->badness_sum += c->badness * c->weight / c->range;
                        c->exposure = (unsigned) ((c->badness * c->weight / c->range + 99) / 100);
                }
        }
        /* score.h: exposure = ceil(badness_sum * 100 / weight_sum) tenths */
        r->exposure = (unsigned) ((r->badness_sum * 100 + r->weight_sum - 1) / r->weight_sum);
        if (r->exposure > 100)
                r->exposure = 100;
        r->predicate = r->exposure >= 100 ? PREDICATE_DANGEROUS :
                       r->exposure >= 90 ? PREDICATE_UNSAFE :
                       r->exposure >= 75 ? PREDICATE_EXPOSED :
                       r->exposure >= 50 ? PREDICATE_MEDIUM :
                       r->exposure >= 10 ? PREDICATE_OK :
                       r->exposure >= 1 ? PREDICATE_SAFE : PREDICATE_PERFECT;
        return u;
}

State *fixture_state_new(size_t n, bool hostile) {
        State *s = xcalloc(1, sizeof(*s));
        size_t n_hostile = 0;

        while (hostile && fixture_hostile_ids[n_hostile])
                n_hostile++;

        s->units = xcalloc(n + n_hostile, sizeof(UnitState *));
        for (size_t i = 0; i < n; i++) {
                char id[64];
                (void) snprintf(id, sizeof id, "svc-%04zu.service", i);
                s->units[s->n_units++] = unit_new(id, i, "A synthetic service");
        }
        for (size_t i = 0; i < n_hostile; i++)
                s->units[s->n_units++] = unit_new(fixture_hostile_ids[i], i + 5,
                                                  fixture_hostile_description);
        qsort(s->units, s->n_units, sizeof(UnitState *), cmp);
        s->systemd_version = xstrdup("252.38-1~deb12u1");
        s->systemd_major = 252;
        s->bus_up = true;
        s->last_scan_usec = UINT64_C(1700000100500000);
        s->scan_duration_usec = 123456;
        s->n_scans = 3;
        s->start_usec = UINT64_C(1700000000000000);
        return s;
}

void fixture_state_add_user_units(State *s) {
        static const struct {
                const char *user, *id;
        } l[] = { /* sorted by user, then id */
                { "al\"ice", "q.service" }, { "alice", "a.service" }, { "alice", "b.service" },
                { "bob", "a.service" },
        };
        UnitState **u = xcalloc(ELEMENTSOF(l), sizeof(UnitState *));

        for (size_t i = 0; i < ELEMENTSOF(l); i++) {
                u[i] = unit_new(l[i].id, i + 1, "A user's service");
                u[i]->user = xstrdup(l[i].user);
                u[i]->props.user_manager = true;
        }
        state_set_user_units(s, u, ELEMENTSOF(l));
}

void fixture_state_free(State *s) {
        if (!s)
                return;
        state_set_user_units(s, NULL, 0);
        for (size_t i = 0; i < s->n_units; i++) {
                free(s->units[i]->id);
                unit_props_done(&s->units[i]->props);
                free(s->units[i]);
        }
        free(s->units);
        free(s->systemd_version);
        host_info_done(&s->host);
        free(s);
}

ListenAddress fixture_listen(const char *ip4, uint16_t port) {
        ListenAddress a = { .addr_len = sizeof(struct sockaddr_in) };
        struct sockaddr_in *in = (struct sockaddr_in *) &a.addr;

        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        if (inet_pton(AF_INET, ip4, &in->sin_addr) != 1)
                abort();
        if (asprintf(&a.text, "%s:%u", ip4, (unsigned) port) < 0)
                abort();
        return a;
}

void fixture_listen_done(ListenAddress *a) {
        free(a->text);
        a->text = NULL;
}
