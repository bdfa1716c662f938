/* SPDX-License-Identifier: MIT */
/* Prometheus exposition: text format 0.0.4 and OpenMetrics 1.0.0 from the in-memory State. Pure
 * and cheap: one pass over the units per family, appended into a Buf the caller reuses, no
 * allocation beyond the Buf's growth. Every family has HELP and TYPE; label values go through
 * render_label_escape(). Never splices unit text with buf_printf().
 *
 * exposured_unit_predicate is emitted as an "info"-like gauge: one series per unit carrying the
 * CURRENT predicate, value 1 (not seven 0/1 series per unit): 7x fewer series, and
 * `exposured_unit_predicate{predicate="UNSAFE"}` selects the unsafe units directly. When the
 * predicate changes the old series goes stale, as Prometheus' staleness handling expects.
 *
 * Counters: in 0.0.4 the family is named with its _total suffix; in OpenMetrics the family
 * (HELP/TYPE) drops it and the sample carries it (OpenMetrics 1.0 "Counter"). build_info is
 * TYPE info in OpenMetrics (family exposured_build, sample exposured_build_info), a gauge in
 * 0.0.4.
 *
 * Type=oneshot services: `systemd-analyze security` without arguments skips them, so the default
 * view must too. Every per-unit series carries oneshot="true" or "false" (select
 * {oneshot="false"} for systemd-analyze's set), and exposured_units counts that set only, with
 * exposured_oneshot_units counting the others. The check label is the assessor's json_field
 * (systemd-analyze --json's and --security-policy's stable key, "PrivateNetwork"), not the
 * display name ("PrivateNetwork="), which systemd words differently across versions. */
#include <string.h>

#include "render.h"
#include "util.h"

typedef enum FamilyType { GAUGE, COUNTER, INFO } FamilyType;

typedef struct Family {
        const char *name;  /* sample name, as written in 0.0.4 */
        FamilyType type;
        const char *help;
} Family;

/* The metric families, in output order. Names are part of the interface (alerts, dashboards). */
enum {
        F_UP,
        F_BUILD_INFO,
        F_HOST_INFO,
        F_SCORE_TABLE,
        F_SCANS,
        F_SCAN_DURATION,
        F_INCREMENTAL,
        F_MISSES,
        F_LAST_SCAN,
        F_UNITS,
        F_ONESHOT_UNITS,
        F_EXPOSURE,
        F_PREDICATE,
        F_FAILED,
        F_REGRESSIONS,
        F_RESTART_PENDING,
        F_RUNNING,
        F_CHECK,
        F_POLICY_STATUS,
        F_POLICY_CEILING,
        F_POLICY_UNITS,
        F_POLICY_LOAD,
        F_POLICY_RULES,
        F_DB_UP,
        F_DB_SIZE,
        F_DB_LAST_WRITE,
        F_DB_ERRORS,
        _F_MAX,
};

static const Family families[_F_MAX] = {
        [F_UP] = { "exposured_up", GAUGE,
                   "1 while exposured is connected to the systemd manager's bus, 0 while the bus "
                   "is lost (scores are then stale)." },
        [F_BUILD_INFO] = { "exposured_build_info", INFO,
                           "exposured version and the systemd version whose scoring table is in "
                           "use; always 1." },
        [F_HOST_INFO] = { "exposured_host_info", INFO,
                          "Identity of the watched host (its manager's machine ID, hostname, "
                          "os-release ID and VERSION_ID, systemd version, kernel); always 1." },
        [F_SCORE_TABLE] = { "exposured_score_table_info", INFO,
                            "The scoring table in use: the systemd release it was chosen for, "
                            "the releases it describes, and how it was checked (live, source, "
                            "derived, or newer/older: an unknown version scored with the "
                            "newest/oldest table); always 1." },
        [F_SCANS] = { "exposured_scans_total", COUNTER, "Completed full scans since start." },
        [F_SCAN_DURATION] = { "exposured_scan_duration_seconds", GAUGE,
                              "Duration of the last completed full scan." },
        [F_INCREMENTAL] = { "exposured_incremental_scans_total", COUNTER,
                            "Scans after a reload that read only the units whose files changed." },
        [F_MISSES] = { "exposured_rescan_misses_total", COUNTER,
                       "Units whose score a periodic full rescan found changed although the "
                       "incremental rescans had not read them (each one is logged); 0 is the "
                       "goal." },
        [F_LAST_SCAN] = { "exposured_last_scan_timestamp_seconds", GAUGE,
                          "Unix time of the last completed full scan (0 before the first)." },
        [F_UNITS] = { "exposured_units", GAUGE,
                      "Number of watched services per predicate, as systemd-analyze security "
                      "lists them (Type=oneshot services aside)." },
        [F_ONESHOT_UNITS] = { "exposured_oneshot_units", GAUGE,
                              "Number of watched Type=oneshot services per predicate (which "
                              "systemd-analyze security skips when listing every service)." },
        [F_EXPOSURE] = { "exposured_unit_exposure", GAUGE,
                         "Overall exposure level of the service as systemd-analyze security "
                         "prints it, 0.0 (best) to 10.0 (worst)." },
        [F_PREDICATE] = { "exposured_unit_predicate", GAUGE,
                          "Current predicate of the service (PERFECT, SAFE, OK, MEDIUM, "
                          "EXPOSED, UNSAFE, DANGEROUS): one series per unit, value 1." },
        [F_FAILED] = { "exposured_unit_failed_checks", GAUGE,
                       "Number of applicable checks the service fails (badness > 0)." },
        [F_REGRESSIONS] = { "exposured_regressions_total", COUNTER,
                            "Times the exposure of the service went up." },
        [F_RESTART_PENDING] = { "exposured_unit_restart_pending", GAUGE,
                                "1 when the service's main process was started before its "
                                "current configuration and runs with another exposure "
                                "(exposured_unit_running_exposure) until a restart, else 0." },
        [F_RUNNING] = { "exposured_unit_running_exposure", GAUGE,
                        "Exposure of the configuration the service's main process was started "
                        "with; services with a main process only." },
        [F_CHECK] = { "exposured_unit_check_exposure", GAUGE,
                      "Exposure contributed by one check of the service (the EXPOSURE column of "
                      "systemd-analyze security), check = its json_field; applicable checks "
                      "only." },
        [F_DB_UP] = { "exposured_database_write_ok", GAUGE,
                      "1 while the history database is open and its last write succeeded, 0 "
                      "while writes fail (the state is kept in memory and retried)." },
        [F_DB_SIZE] = { "exposured_database_size_bytes", GAUGE,
                        "Size of the history database file and its WAL after the last write." },
        [F_DB_LAST_WRITE] = { "exposured_database_last_write_timestamp_seconds", GAUGE,
                              "Unix time of the last successful write to the history database "
                              "(0 before the first)." },
        [F_DB_ERRORS] = { "exposured_database_errors_total", COUNTER,
                          "Failed database opens and writes since start." },
        /* The unit policy (unit-policy.h). Series: one status per unit, one ceiling per unit
         * that has one, three counts, two about the policy: at most 2 * units + 5. */
        [F_POLICY_STATUS] = { "exposured_unit_policy_status", GAUGE,
                              "Standing of the service against the unit policy (ok, "
                              "over-policy, unmanaged): one series per unit, value 1." },
        [F_POLICY_CEILING] = { "exposured_unit_policy_max_exposure", GAUGE,
                               "The exposure the unit policy accepts for the service "
                               "(max_exposure=); only services that have one." },
        [F_POLICY_UNITS] = { "exposured_units_by_policy", GAUGE,
                             "Number of watched services per policy status." },
        [F_POLICY_LOAD] = { "exposured_policy_load_ok", GAUGE,
                            "1 when the last (re)load of the unit policy worked, 0 when it "
                            "failed (the policy before it stays in force; see /api/v1/status)." },
        [F_POLICY_RULES] = { "exposured_policy_rules", GAUGE,
                             "Rules in the unit policy in force." },
};

const char *metrics_content_type(MetricsFormat f) {
        if (f == METRICS_OPENMETRICS)
                return "application/openmetrics-text; version=1.0.0; charset=utf-8";
        return "text/plain; version=0.0.4; charset=utf-8";
}

/* The q value of one media range's parameters ("; q=0.5; version=1.0.0"); 1000 = q=1. */
static unsigned q_value(const char *params, size_t n) {
        const char *p = params, *end = params + n;

        while (p < end) {
                const char *semi = memchr(p, ';', (size_t) (end - p));
                const char *e = semi ? semi : end;
                while (p < e && (*p == ' ' || *p == '\t'))
                        p++;
                if (e - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                        unsigned v = 0, scale = 1000;
                        p += 2;
                        if (p < e && *p >= '0' && *p <= '1')
                                v = (unsigned) (*p++ - '0') * 1000;
                        if (p < e && *p == '.')
                                for (p++; p < e && *p >= '0' && *p <= '9' && scale > 1; p++) {
                                        scale /= 10;
                                        v += (unsigned) (*p - '0') * scale;
                                }
                        return v > 1000 ? 1000 : v;
                }
                p = semi ? semi + 1 : end;
        }
        return 1000;
}

MetricsFormat metrics_format_from_accept(const char *accept) {
        unsigned q_om = 0, q_text = 0;
        const char *p = accept;

        if (!accept)
                return METRICS_PROMETHEUS;
        /* Walk the comma-separated media ranges; compare types case-insensitively. */
        while (*p) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t) (comma - p) : strlen(p);
                const char *semi = memchr(p, ';', n);
                size_t tn = semi ? (size_t) (semi - p) : n;
                const char *t = p;

                while (tn > 0 && (*t == ' ' || *t == '\t'))
                        t++, tn--;
                while (tn > 0 && (t[tn - 1] == ' ' || t[tn - 1] == '\t'))
                        tn--;
                unsigned q = semi ? q_value(semi + 1, n - (size_t) (semi + 1 - p)) : 1000;
                if (tn == strlen("application/openmetrics-text") &&
                    strncasecmp(t, "application/openmetrics-text", tn) == 0) {
                        if (q > q_om)
                                q_om = q;
                } else if ((tn == strlen("text/plain") && strncasecmp(t, "text/plain", tn) == 0) ||
                           (tn == 3 && strncmp(t, "*/*", 3) == 0)) {
                        if (q > q_text)
                                q_text = q;
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        return q_om > 0 && q_om >= q_text ? METRICS_OPENMETRICS : METRICS_PROMETHEUS;
}

static void header(Buf *out, const Family *f, MetricsFormat fmt) {
        size_t n = strlen(f->name);
        const char *type = "gauge";

        /* OpenMetrics family names drop the sample suffix of counters and infos. */
        if (fmt == METRICS_OPENMETRICS && f->type == COUNTER)
                n -= strlen("_total");
        else if (fmt == METRICS_OPENMETRICS && f->type == INFO)
                n -= strlen("_info");
        if (f->type == COUNTER)
                type = "counter";
        else if (f->type == INFO && fmt == METRICS_OPENMETRICS)
                type = "info";

        buf_puts(out, "# HELP ");
        buf_append(out, f->name, n);
        buf_putc(out, ' ');
        buf_puts(out, f->help); /* fixed text without \ or newline: no escaping needed */
        buf_puts(out, "\n# TYPE ");
        buf_append(out, f->name, n);
        buf_putc(out, ' ');
        buf_puts(out, type);
        buf_putc(out, '\n');
        /* OpenMetrics 1.0 "UNIT": the family name must end in _<unit>. */
        if (fmt == METRICS_OPENMETRICS && endswith(f->name, "_seconds")) {
                buf_puts(out, "# UNIT ");
                buf_append(out, f->name, n);
                buf_puts(out, " seconds\n");
        }
}

/* A user manager's unit (State.user_units) has a user label; the system's have none, so the
 * series of a daemon without user_managers are what they always were. */
static void unit_label(Buf *out, const char *name, const UnitState *u) {
        buf_puts(out, name);
        buf_puts(out, "{unit=\"");
        render_label_escape(out, u->id);
        buf_puts(out, u->oneshot ? "\",oneshot=\"true\"" : "\",oneshot=\"false\"");
        if (u->user) {
                buf_puts(out, ",user=\"");
                render_label_escape(out, u->user);
                buf_putc(out, '"');
        }
}

/* The exposure families list the system's units, then the user managers' (by user, unit). */
static const UnitState *any_unit(const State *s, size_t i) {
        return i < s->n_units ? s->units[i] : s->user_units[i - s->n_units];
}

/* Seconds with microsecond precision, without trailing noise ("1.5", "0.000123"). */
static void seconds(Buf *out, uint64_t usec) {
        buf_printf(out, "%llu", (unsigned long long) (usec / 1000000u));
        if (usec % 1000000u) {
                char frac[8];
                unsigned f = (unsigned) (usec % 1000000u);
                int n = 6;
                for (int i = 5; i >= 0; i--, f /= 10)
                        frac[i] = (char) ('0' + f % 10);
                while (n > 0 && frac[n - 1] == '0')
                        n--;
                buf_putc(out, '.');
                buf_append(out, frac, (size_t) n);
        }
}

void render_metrics(const State *s, const RenderOptions *o, MetricsFormat fmt, Buf *out) {
        size_t counts[_PREDICATE_MAX];

        header(out, &families[F_UP], fmt);
        buf_printf(out, "exposured_up %d\n", s->bus_up ? 1 : 0);

        header(out, &families[F_BUILD_INFO], fmt);
        buf_puts(out, "exposured_build_info{version=\"");
        render_label_escape(out, o && o->version ? o->version : "unknown");
        buf_puts(out, "\",systemd_version=\"");
        render_label_escape(out, s->systemd_version ? s->systemd_version : "");
        buf_puts(out, "\"} 1\n");

        /* One series per host, for fleet queries to join on (group_left). Only once the identity
         * has been read: a series whose labels fill in later would count as two hosts. */
        if (s->host.known) {
                const struct {
                        const char *label, *value;
                } labels[] = {
                        { "hostname", s->host.hostname },
                        { "machine_id", s->host.machine_id },
                        { "os_id", s->host.os_id },
                        { "os_version_id", s->host.os_version_id },
                        { "systemd_version", s->systemd_version },
                        { "kernel", s->host.kernel },
                };
                header(out, &families[F_HOST_INFO], fmt);
                buf_puts(out, "exposured_host_info{");
                for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
                        buf_puts(out, i ? "," : "");
                        buf_puts(out, labels[i].label);
                        buf_puts(out, "=\"");
                        render_label_escape(out, labels[i].value ? labels[i].value : "");
                        buf_putc(out, '"');
                }
                buf_puts(out, "} 1\n");
        }

        if (s->table_choice.table) {
                const ScoreTableChoice *c = &s->table_choice;
                char rel[32];

                snprintf(rel, sizeof rel, "%u.%u", c->release.major, c->release.point);
                header(out, &families[F_SCORE_TABLE], fmt);
                buf_puts(out, "exposured_score_table_info{release=\"");
                render_label_escape(out, rel);
                buf_puts(out, "\",table=\"");
                render_label_escape(out, c->table->name);
                buf_puts(out, "\",checked=\"");
                render_label_escape(out, score_checked_to_string(c->checked));
                buf_puts(out, "\"} 1\n");
        }

        header(out, &families[F_SCANS], fmt);
        buf_printf(out, "exposured_scans_total %llu\n", (unsigned long long) s->n_scans);

        header(out, &families[F_SCAN_DURATION], fmt);
        buf_puts(out, "exposured_scan_duration_seconds ");
        seconds(out, s->scan_duration_usec);
        buf_putc(out, '\n');

        header(out, &families[F_INCREMENTAL], fmt);
        buf_printf(out, "exposured_incremental_scans_total %llu\n",
                   (unsigned long long) s->n_incremental_scans);

        header(out, &families[F_MISSES], fmt);
        buf_printf(out, "exposured_rescan_misses_total %llu\n",
                   (unsigned long long) s->n_rescan_misses);

        header(out, &families[F_LAST_SCAN], fmt);
        buf_puts(out, "exposured_last_scan_timestamp_seconds ");
        seconds(out, s->last_scan_usec);
        buf_putc(out, '\n');

        for (int oneshot = 0; oneshot <= 1; oneshot++) {
                const char *name = oneshot ? "exposured_oneshot_units" : "exposured_units";

                (void) state_count_predicates(s, oneshot, counts);
                header(out, &families[oneshot ? F_ONESHOT_UNITS : F_UNITS], fmt);
                for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                        buf_printf(out, "%s{predicate=\"%s\"} %zu\n", name,
                                   predicate_to_string(p), counts[p]);
        }

        header(out, &families[F_EXPOSURE], fmt);
        for (size_t i = 0; i < s->n_units + s->n_user_units; i++) {
                unit_label(out, "exposured_unit_exposure", any_unit(s, i));
                buf_puts(out, "} ");
                render_tenths(out, any_unit(s, i)->report.exposure);
                buf_putc(out, '\n');
        }

        header(out, &families[F_PREDICATE], fmt);
        for (size_t i = 0; i < s->n_units + s->n_user_units; i++) {
                const char *pred = predicate_to_string(any_unit(s, i)->report.predicate);
                if (!pred)
                        continue;
                unit_label(out, "exposured_unit_predicate", any_unit(s, i));
                buf_puts(out, ",predicate=\"");
                buf_puts(out, pred);
                buf_puts(out, "\"} 1\n");
        }

        header(out, &families[F_FAILED], fmt);
        for (size_t i = 0; i < s->n_units + s->n_user_units; i++) {
                unit_label(out, "exposured_unit_failed_checks", any_unit(s, i));
                buf_puts(out, "} ");
                render_uint(out, render_failed_checks(&any_unit(s, i)->report));
                buf_putc(out, '\n');
        }

        /* User units have stored counters too (schema 6): their series carry the user label. */
        header(out, &families[F_REGRESSIONS], fmt);
        for (size_t i = 0; i < s->n_units + s->n_user_units; i++) {
                unit_label(out, "exposured_regressions_total", any_unit(s, i));
                buf_puts(out, "} ");
                render_uint(out, any_unit(s, i)->regressions);
                buf_putc(out, '\n');
        }

        header(out, &families[F_RESTART_PENDING], fmt);
        for (size_t i = 0; i < s->n_units; i++) {
                const UnitState *u = s->units[i];
                unit_label(out, "exposured_unit_restart_pending", u);
                buf_puts(out, unit_state_restart_pending(u) ? "} 1\n" : "} 0\n");
        }

        header(out, &families[F_RUNNING], fmt);
        for (size_t i = 0; i < s->n_units; i++) {
                if (unit_state_running(s->units[i]) < 0)
                        continue;
                unit_label(out, "exposured_unit_running_exposure", s->units[i]);
                buf_puts(out, "} ");
                render_tenths(out, (unsigned) s->units[i]->running_exposure);
                buf_putc(out, '\n');
        }

        if (o && o->per_check_metrics) {
                header(out, &families[F_CHECK], fmt);
                for (size_t i = 0; i < s->n_units + s->n_user_units; i++) {
                        const ScoreReport *r = &any_unit(s, i)->report;
                        for (size_t j = 0; j < r->n_checks && j < SCORE_ROWS_MAX; j++) {
                                const ScoreCheck *c = &r->checks[j];
                                if (c->badness == BADNESS_NA || !c->assessor)
                                        continue;
                                unit_label(out, "exposured_unit_check_exposure", any_unit(s, i));
                                buf_puts(out, ",check=\"");
                                render_label_escape(out, c->assessor->json_field
                                                                 ?: c->assessor->id);
                                buf_puts(out, "\"} ");
                                render_tenths(out, c->exposure);
                                buf_putc(out, '\n');
                        }
                }
        }

        {
                size_t n[_POLICY_STATUS_MAX] = {};

                header(out, &families[F_POLICY_STATUS], fmt);
                for (size_t i = 0; i < s->n_units; i++) {
                        const char *st = policy_status_to_string(s->units[i]->policy.status);
                        if (!st)
                                continue;
                        n[s->units[i]->policy.status]++;
                        unit_label(out, "exposured_unit_policy_status", s->units[i]);
                        buf_puts(out, ",status=\"");
                        buf_puts(out, st);
                        buf_puts(out, "\"} 1\n");
                }
                header(out, &families[F_POLICY_CEILING], fmt);
                for (size_t i = 0; i < s->n_units; i++) {
                        if (policy_verdict_ceiling(&s->units[i]->policy) < 0)
                                continue;
                        unit_label(out, "exposured_unit_policy_max_exposure", s->units[i]);
                        buf_puts(out, "} ");
                        render_tenths(out, (unsigned) s->units[i]->policy.ceiling);
                        buf_putc(out, '\n');
                }
                header(out, &families[F_POLICY_UNITS], fmt);
                for (PolicyStatus k = 0; k < _POLICY_STATUS_MAX; k++)
                        buf_printf(out, "exposured_units_by_policy{status=\"%s\"} %zu\n",
                                   policy_status_to_string(k), n[k]);
                header(out, &families[F_POLICY_LOAD], fmt);
                buf_printf(out, "exposured_policy_load_ok %d\n", s->policy_info.error ? 0 : 1);
                header(out, &families[F_POLICY_RULES], fmt);
                buf_printf(out, "exposured_policy_rules %zu\n",
                           s->policy ? s->policy->n_rules : (size_t) 0);
        }

        /* The history database's health: an alert when it stops taking writes
         * (units/exposured.rules.yml). Absent from a State that has no database (the tests). */
        if (s->db.known) {
                header(out, &families[F_DB_UP], fmt);
                buf_printf(out, "exposured_database_write_ok %d\n", s->db.write_ok ? 1 : 0);
                header(out, &families[F_DB_SIZE], fmt);
                buf_printf(out, "exposured_database_size_bytes %llu\n",
                           (unsigned long long) s->db.size_bytes);
                header(out, &families[F_DB_LAST_WRITE], fmt);
                buf_puts(out, "exposured_database_last_write_timestamp_seconds ");
                seconds(out, s->db.last_write_usec);
                buf_putc(out, '\n');
                header(out, &families[F_DB_ERRORS], fmt);
                buf_printf(out, "exposured_database_errors_total %llu\n",
                           (unsigned long long) s->db.errors);
        }

        if (fmt == METRICS_OPENMETRICS)
                buf_puts(out, "# EOF\n");
}
