/* SPDX-License-Identifier: MIT */
/* The manager: wiring and lifecycle (see manager.h for the work flow). It owns every other module,
 * scores scan results, keeps the in-memory State, has classify.c judge every new score against
 * the previous one and tells the journal, the counters, the store and systemd (sd_notify), in that
 * order: a database that is down delays persistence, never an event. It must never block: every
 * bus call is asynchronous and bounded by a timeout. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "blame-read.h"
#include "blame.h"
#include "bus-scan.h"
#include "bus-watch.h"
#include "classify.h"
#include "credential.h"
#include "host-info.h"
#include "http-routes.h"
#include "http-server.h"
#include "log.h"
#include "manager.h"
#include "render.h"
#include "rescan-limit.h"
#include "secrets.h"
#include "score.h"
#include "state.h"
#include "store.h"
#include "unit-policy.h"
#include "unit-files.h"
#include "user-reports.h"
#include "user-units.h"
#include "util.h"
#include "version.h"

#define USEC_PER_SEC 1000000ULL
/* A bus call that takes longer than this is treated as failed: a stuck PID 1 must not freeze us. */
#define CALL_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* Retention pruning runs this often (and once at start-up). */
#define PRUNE_INTERVAL_USEC (3600 * USEC_PER_SEC)
#define DAY_USEC (86400 * USEC_PER_SEC)
/* Unit reads refused by the budget (rescan-limit.h) are covered by one full rescan this much later
 * (at most one per period, however long the storm). */
#define STORM_RESCAN_USEC (30 * USEC_PER_SEC)
/* Policy events waiting for the database are kept up to this many (the journal has them all). */
#define POLICY_PENDING_MAX 4096U
/* A burst of requests (each one pushing the rescan timer out by rescan_coalesce) is scanned at
 * the latest this many coalesce periods after its first request. */
#define COALESCE_MAX_PERIODS 10
/* Requests wait at most this long for the first scan before being answered anyway. */
#define SERVE_WAIT_USEC (10 * USEC_PER_SEC)
/* Units a finished scan scores per event-loop turn: about 15 us each with a SystemCallFilter=
 * (bench/README.md), so a few ms a turn. */
#define SCORE_CHUNK 250U

/* A policy event waiting for the store: ev's unit and checks point into unit and checks (owned);
 * the check names are the score table's (static). score is the unit's score when the event
 * happened (verdicts and systemd_version owned), which the store records first when it has no
 * row of the unit by the time the event is written (the unit left while the database was down). */
typedef struct PendingPolicyEvent {
        StorePolicyEvent ev;
        char *unit;
        StorePolicyCheck *checks;
        StoreScore score;
        StoreVerdict *verdicts;
        char *systemd_version;
} PendingPolicyEvent;

struct Manager {
        Config *config;
        sd_event *event;
        Store *store;              /* NULL while the database cannot be opened */
        HttpServer *http;
        HttpContext http_ctx;      /* what http_host_routes' handlers read (served by http) */
        RenderCache render_cache;  /* rendered bodies per state generation (http_ctx.cache) */
        char *token;               /* the bearer token (wiped on free), or NULL */
        BusWatch *watch;
        HostInfoQuery *host_query; /* the last identity read (host-info.h) */
        State state;

        /* the running scan, if any */
        BusScan *scan;
        bool scan_full;
        bool scan_incremental;     /* a listed scan reading only what may have changed */
        bool scan_verify;          /* a periodic full scan: differences are misses */
        /* A finished scan is scored SCORE_CHUNK units per event-loop turn (on_score_chunk())
         * before scan_apply() judges and stores it in one turn: scoring a 10,000-unit full
         * rescan in one turn held the loop (HTTP, bus signals, the watchdog) for a second or
         * more (bench/README.md "scale"). */
        sd_event_source *score_defer;
        UnitState **scored;        /* per bus_scan_units() index; NULL: not a service we keep */
        size_t n_scored;           /* units of the scan scored so far */
        bool scan_version_changed; /* the scan found another systemd version */
        char **scan_units;         /* the unit requests this scan answers */
        Cause scan_cause;

        /* incremental rescans (unit-files.h, docs/architecture.md "Change detection") */
        UnitFiles files;           /* the stamps of the units held, and the search stamp */
        char **unit_path;          /* the manager's UnitPath at the last scan */
        char *features;            /* the manager's Features at the last scan */
        uint64_t reload_stamp;     /* the search stamp at Reloading(true) ... */
        bool have_reload_stamp;    /* ... until Reloading(false) */
        bool pending_incremental;  /* a reload whose changes the stamps can tell */
        Cause pending_incremental_cause;
        uint64_t last_request_usec; /* CLOCK_MONOTONIC of the last request (coalescing) */
        uint64_t last_scan_end_usec;
        uint64_t burst_start_usec;  /* when the coalesce timer was first armed for this burst */
        sd_event_source *sigusr1;

        /* work waiting for the next scan */
        bool pending_full;
        Cause pending_full_cause;
        char **pending_units;      /* strv of unit ids, no duplicates */
        Cause pending_units_cause;
        RescanLimit limit;         /* per-unit read limits and the budget for unknown names */
        sd_event_source *storm_timer; /* a full rescan covering refused unit reads */

        sd_event_source *coalesce_timer;
        sd_event_source *store_retry_timer;
        sd_event_source *prune_timer;
        sd_event_source *periodic_timer;
        sd_event_source *serve_timer;
        sd_event_source *sigterm, *sigint;

        StoreCurrent *persisted;   /* the database's view when it was opened, for counters */
        bool db_baseline;          /* the database holds no history: its first scores are no news */
        bool store_failing;        /* a write failed: logged once, retried by a timer */
        uint64_t store_failing_usec; /* since when (CLOCK_REALTIME) ... */
        int store_failing_error;     /* ... and the first error */
        uint64_t last_stored_usec;   /* the newest row when the store was opened */
        uint64_t prune_cutoff_usec;  /* the last retention cutoff ... */
        uint64_t prune_boot_usec;    /* ... when (CLOCK_BOOTTIME; 0 = no pass yet) */
        uint64_t prune_real_usec;    /* ... by the wall clock */
        bool prune_held;             /* the cutoff is held back from the wall clock's */
        bool ready;                /* READY=1 sent */
        bool first_scan_done;
        uint64_t regressions_24h;  /* for STATUS= */

        /* the unit policy (unit-policy.h) */
        char *policy_dir;
        UnitPolicy *policy;        /* in force; NULL: none loaded */
        char *policy_error;        /* the last load's FILE:LINE: message, or NULL */
        char **policy_over;        /* units over policy (strv, sorted): in memory, from the store
                                    * at start-up, so a restart does not report them again */
        size_t n_policy_over;
        bool policy_over_loaded;
        PendingPolicyEvent *policy_pending; /* events waiting for the store */
        size_t n_policy_pending;
        sd_event_source *policy_timer; /* the next waiver expiry (CLOCK_REALTIME) */
        sd_event_source *sighup;

        /* user_managers = lingering (user-reports.h): the reports' watch, and what the last pass
         * found, to log a report's problem or a user's arrival once, not on every pass */
        UserWatch *user_watch;
        UserReport *user_seen;     /* uid, user, error and n_units of the last pass (no units) */
        size_t n_user_seen;
        /* User units that left during this run (their user's report went, or listed them no
         * more), as they were last: one that comes back is judged against its last score and
         * keeps its counters, as a system unit's memo does. The database keeps their rows as
         * they were (user units get no GONE row). */
        UnitState **user_gone;
        size_t n_user_gone;
};

/* The table for the configured override, else for the manager's full Version (the point release
 * matters: score-table.c); remembered in the state for the status API and metrics. */
static const ScoreTable *manager_table(Manager *m) {
        const char *v = m->config->systemd_version ?: m->state.systemd_version;
        ScoreRelease r = { .major = m->state.systemd_major };

        (void) score_release_parse(v, &r);
        if (m->config->systemd_version && !strchr(m->config->systemd_version, '.'))
                r = score_release_modelled(r.major); /* "252": that major's usual release */
        score_table_choose(r, &m->state.table_choice);
        return m->state.table_choice.table;
}

static int cmp_store_unit(const void *key, const void *elem) {
        return strcmp(key, ((const StoreUnit *) elem)->name);
}

/* The database's row of a unit as it was when the store was opened, or NULL. */
static const StoreUnit *persisted_unit(const Manager *m, const char *id) {
        if (!m->persisted || m->persisted->n_units == 0)
                return NULL;
        return bsearch(id, m->persisted->units, m->persisted->n_units, sizeof(StoreUnit),
                       cmp_store_unit);
}

/* ---- scheduling ---- */

static void start_scan(Manager *m);

static int on_coalesce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) usec;
        start_scan(m);
        return 0;
}

/* Fast first answer, bounded storms: a request after a quiet period (no request and no scan for
 * rescan_coalesce) is scanned at once; a request that follows others closely waits until none
 * came for rescan_coalesce (each pushes the timer out), but at most COALESCE_MAX_PERIODS of
 * them after the burst's first, so a never-ending storm is still scanned now and then. Whatever
 * arrives during a scan waits for the scan's end and then counts as a burst. */
static void arm_coalesce(Manager *m) {
        uint64_t coalesce = m->config->rescan_coalesce_usec, now = now_monotonic_usec(), at;
        bool quiet;
        int r;

        if (m->scan)
                return;
        if (!m->pending_full && !m->pending_incremental && strv_length(m->pending_units) == 0)
                return;
        if (!m->coalesce_timer)
                m->burst_start_usec = now;
        quiet = !m->coalesce_timer && now >= m->last_request_usec + coalesce &&
                now >= m->last_scan_end_usec + coalesce;
        at = quiet ? now : now + coalesce;
        if (at > m->burst_start_usec + COALESCE_MAX_PERIODS * coalesce)
                at = m->burst_start_usec + COALESCE_MAX_PERIODS * coalesce;
        if (at < now)
                at = now;
        /* A unit read less than RESCAN_UNIT_INTERVAL_USEC ago waits (a listed scan does not). */
        if (!m->pending_full && !m->pending_incremental)
                for (char **id = m->pending_units; *id; id++) {
                        uint64_t t = rescan_limit_not_before(&m->limit, *id);
                        if (t > at)
                                at = t;
                }
        if (m->coalesce_timer) {
                r = sd_event_source_set_time(m->coalesce_timer, at);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->coalesce_timer, SD_EVENT_ONESHOT);
        } else {
                r = sd_event_add_time(m->event, &m->coalesce_timer, CLOCK_MONOTONIC, at, 1000,
                                      on_coalesce_timer, m);
                /* Below the bus's priority: "at once" still lets the signals already queued
                 * (the rest of a burst) join the scan. */
                if (r >= 0)
                        r = sd_event_source_set_priority(m->coalesce_timer,
                                                         SD_EVENT_PRIORITY_NORMAL + 1);
        }
        if (r < 0)
                log_error_errno(r, "Failed to arm the rescan timer: %m");
}

/* Every request goes through here: arm, then note the time (arm_coalesce() asks whether the
 * previous request was long enough ago). */
static void requested(Manager *m) {
        arm_coalesce(m);
        m->last_request_usec = now_monotonic_usec();
}

static void request_full(Manager *m, Cause cause) {
        if (!m->pending_full)
                m->pending_full_cause = cause;
        m->pending_full = true;
        requested(m);
}

/* Reloading(false): a full rescan when anything but the units' own files may have changed (the
 * search stamp differs, or none is known yet), else an incremental one (unit-files.h). */
static void request_reload(Manager *m, Cause cause) {
        uint64_t stamp = unit_files_search_stamp(&m->files, m->unit_path);
        bool known = m->files.have_search, during = m->have_reload_stamp &&
                                                    m->reload_stamp != stamp;

        /* Stamps are taken only around reloads: one taken at any other time could include files
         * PID 1 has not loaded yet, and the reload that loads them would look like nothing
         * changed. The one kept is the one from Reloading(true), before PID 1 read the files (as
         * near as the signal's delivery gets): a change during the reload (or just after it,
         * before this signal reached us) then shows as a change now and at the next reload. */
        m->files.have_search = true;
        m->have_reload_stamp = false;
        if (!known || during || stamp != m->files.search) {
                m->files.search = during ? m->reload_stamp : stamp;
                log_debug("The unit search path, generator output or system.conf changed: full "
                          "rescan.");
                request_full(m, cause);
                return;
        }
        if (!m->pending_incremental)
                m->pending_incremental_cause = cause;
        m->pending_incremental = true;
        requested(m);
}

static int on_storm_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) usec;
        m->storm_timer = sd_event_source_disable_unref(s);
        request_full(m, CAUSE_UNIT_NEW);
        return 0;
}

/* True when the running scan is a unit scan that reads id. */
static bool scan_reads(Manager *m, const char *id) {
        BusScanUnit *units;
        size_t n;

        if (!m->scan || m->scan_full)
                return false;
        units = bus_scan_units(m->scan, &n);
        for (size_t i = 0; i < n; i++)
                if (streq(units[i].name, id))
                        return true;
        return false;
}

/* unit_new: the request comes from a UnitNew announcement (see rescan-limit.h for the rules). */
static void request_unit(Manager *m, const char *id, Cause cause, bool unit_new) {
        bool known;
        int r;

        if (!endswith(id, ".service") || strv_contains(m->pending_units, id))
                return;
        /* PID 1 announces the unit our own read is loading right now: that read is the answer. */
        if (unit_new && scan_reads(m, id)) {
                log_debug("UnitNew of '%s' during our read of it, ignoring.", id);
                return;
        }
        known = state_find_unit(&m->state, id) || state_find_gone(&m->state, id);
        switch (rescan_limit_check(&m->limit, id, unit_new, known, now_monotonic_usec())) {
        case RESCAN_ECHO:
                log_debug("UnitNew of '%s' follows our read that found it not loaded, ignoring.",
                          id);
                return;
        case RESCAN_OVER_BUDGET:
                if (m->storm_timer)
                        return;
                log_warning("Too many requests to read unknown units ('%s' and more); a full "
                            "rescan in %llus covers them.",
                            id, (unsigned long long) (STORM_RESCAN_USEC / USEC_PER_SEC));
                r = sd_event_add_time_relative(m->event, &m->storm_timer, CLOCK_MONOTONIC,
                                               STORM_RESCAN_USEC, USEC_PER_SEC, on_storm_timer,
                                               m);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the rescan timer: %m");
                return;
        default:
                break;
        }
        /* Bound the list: past a few hundred units a full rescan is the cheaper request. */
        if (strv_length(m->pending_units) >= 256) {
                request_full(m, cause);
                return;
        }
        if (!m->pending_units)
                m->pending_units_cause = cause;
        strv_push(&m->pending_units, id);
        requested(m);
}

/* ---- notifications ---- */

static void update_status(Manager *m) {
        size_t n_oneshot = 0;
        for (size_t i = 0; i < m->state.n_units; i++)
                if (m->state.units[i]->oneshot)
                        n_oneshot++;
        if (!m->state.bus_up) {
                (void) sd_notify(false, "STATUS=System bus lost, reconnecting");
                return;
        }
        (void) sd_notifyf(false, "STATUS=Watching %zu services (%zu oneshot), %" PRIu64
                          " regressions in 24h%s",
                          m->state.n_units, n_oneshot, m->regressions_24h,
                          m->store_failing ? "; database writes failing, retrying" : "");
}

/* The 24 h count from the database; while writes fail, the in-memory count (judge() adds to it)
 * stands instead. */
static void count_regressions_24h(Manager *m) {
        Change *rows = NULL;
        size_t n = 0;
        uint64_t now = now_realtime_usec();

        if (!m->store || m->store_failing)
                return;
        if (store_events(m->store, NULL, NULL, EVENT_KIND_MASK(EVENT_REGRESSION),
                         now > DAY_USEC ? now - DAY_USEC : 0, 0, STORE_ROWS_MAX, &rows, &n) >= 0) {
                m->regressions_24h = n;
                changes_free(rows, n);
        }
}

/* The journal entry of a change that matters: regressions and improvements carry a fixed
 * MESSAGE_ID and the unit, the exposures and the checks that flipped as fields. */
static void log_change(const UnitState *old, int before, const UnitState *u,
                       EventKind kind, Cause cause, const BlameRecord *blame,
                       bool broke_policy) {
        char exp[8], prev[8], fields_unit[512], fields_exp[32], fields_prev[32], fields_cause[64];
        char fields_reason[64], fields_live[64], fields_running[64], running[8];
        char fields_policy[64];
        Buf flipped = {}, fields_flipped = {}, msg = {}, summary = {}, fields_blame = {};
        const char *id;
        int level;

        switch (kind) {
        case EVENT_REGRESSION:
                id = LOG_MESSAGE_REGRESSION;
                level = LOG_WARNING;
                break;
        case EVENT_IMPROVEMENT:
                id = LOG_MESSAGE_IMPROVEMENT;
                level = LOG_NOTICE;
                break;
        case EVENT_NEW_EXPOSED:
                id = LOG_MESSAGE_NEW_EXPOSED;
                level = LOG_WARNING;
                break;
        default:
                return;
        }

        /* Checks whose verdict flipped between pass and fail, "+" newly failing, "-" now passing. */
        if (old)
                for (size_t i = 0; i < u->report.n_checks; i++) {
                        const ScoreCheck *c = &u->report.checks[i];
                        for (size_t j = 0; j < old->report.n_checks; j++) {
                                const ScoreCheck *o = &old->report.checks[j];
                                if (!streq(o->assessor->id, c->assessor->id))
                                        continue;
                                int a = score_check_set(o), b = score_check_set(c);
                                if (a != b && a >= 0 && b >= 0) {
                                        if (flipped.len > 0)
                                                buf_putc(&flipped, ' ');
                                        buf_putc(&flipped, b ? '-' : '+');
                                        buf_puts(&flipped, c->assessor->id);
                                }
                                break;
                        }
                }

        (void) render_format_tenths(u->report.exposure, exp);
        (void) render_format_tenths(before >= 0 ? (unsigned) before : 0, prev);
        (void) snprintf(fields_unit, sizeof fields_unit, "EXPOSURED_UNIT=%s", u->id);
        (void) snprintf(fields_exp, sizeof fields_exp, "EXPOSURED_EXPOSURE=%s", exp);
        (void) snprintf(fields_prev, sizeof fields_prev, "EXPOSURED_PREVIOUS=%s",
                        before >= 0 ? prev : "");
        (void) snprintf(fields_cause, sizeof fields_cause, "EXPOSURED_CAUSE=%s",
                        cause_to_string(cause));
        /* Where the unit stands against its policy after the change, and whether this change
         * took it over (unit-policy.h). */
        (void) snprintf(fields_policy, sizeof fields_policy, "EXPOSURED_POLICY=%s%s",
                        policy_status_to_string(u->policy.status),
                        broke_policy ? " broke" : "");
        buf_puts(&fields_flipped, "EXPOSURED_CHECKS=");
        buf_puts(&fields_flipped, flipped.data ? flipped.data : "");

        /* Blame: which file and line (EXPOSURED_BLAME, EXPOSURED_REASON), and whether the new
         * configuration already runs (EXPOSURED_LIVE: yes, or no with the running exposure in
         * EXPOSURED_RUNNING, or not-running). */
        render_blame_summary(&summary, blame, 3);
        buf_puts(&fields_blame, "EXPOSURED_BLAME=");
        buf_puts(&fields_blame, summary.data ? summary.data : "");
        (void) snprintf(fields_reason, sizeof fields_reason, "EXPOSURED_REASON=%s",
                        blame_reason_to_string(blame->reason) ?: "");
        int run = unit_state_running(u);
        (void) render_format_tenths(run > 0 ? (unsigned) run : 0, running);
        (void) snprintf(fields_live, sizeof fields_live, "EXPOSURED_LIVE=%s",
                        run < 0 ? "not-running" : unit_state_restart_pending(u) ? "no" : "yes");
        (void) snprintf(fields_running, sizeof fields_running, "EXPOSURED_RUNNING=%s",
                        run >= 0 ? running : "");

        if (kind == EVENT_NEW_EXPOSED)
                buf_printf(&msg, "New service '%s' is exposed: %s %s", u->id, exp,
                           predicate_to_string(u->report.predicate));
        else
                buf_printf(&msg, "%s of '%s': exposure %s -> %s %s%s%s",
                           kind == EVENT_REGRESSION ? "Regression" : "Improvement", u->id,
                           before >= 0 ? prev : "-", exp,
                           predicate_to_string(u->report.predicate),
                           flipped.len ? "; checks " : "", flipped.data ? flipped.data : "");
        if (kind != EVENT_NEW_EXPOSED) {
                buf_printf(&msg, "; %s", summary.data ? summary.data : "");
                if (unit_state_restart_pending(u))
                        buf_printf(&msg, "; not live: restart pending, running with exposure %s",
                                   running);
                else if (run >= 0)
                        buf_puts(&msg, "; already live");
        }
        if (broke_policy)
                buf_puts(&msg, "; over policy");

        const char *fields[] = { fields_unit, fields_exp, fields_prev, fields_cause,
                                 fields_flipped.data, fields_blame.data, fields_reason,
                                 fields_live, fields_running, fields_policy, NULL };
        log_struct_internal(level, id, msg.data, fields);
        buf_done(&flipped);
        buf_done(&fields_flipped);
        buf_done(&msg);
        buf_done(&summary);
        buf_done(&fields_blame);
}

/* ---- persistence ---- */

static void store_failed(Manager *m, int r);
static void notify_ready(Manager *m);
static void check_clock(Manager *m);
static void store_recovered(Manager *m);

/* ---- the unit policy ---- */

/* m->policy_over is kept sorted, so that judging 10,000 units does not cost 10,000 string
 * compares each: the index of the first entry >= id. */
static size_t over_lower_bound(const Manager *m, const char *id) {
        size_t lo = 0, hi = m->n_policy_over;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(m->policy_over[mid], id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static bool policy_was_over(const Manager *m, const char *id) {
        size_t i = over_lower_bound(m, id);
        return i < m->n_policy_over && streq(m->policy_over[i], id);
}

static void policy_set_over(Manager *m, const char *id, bool over) {
        size_t i = over_lower_bound(m, id);
        bool have = i < m->n_policy_over && streq(m->policy_over[i], id);

        if (over == have)
                return;
        if (over) {
                m->policy_over = xrealloc(m->policy_over, (m->n_policy_over + 2) * sizeof(char *));
                memmove(m->policy_over + i + 1, m->policy_over + i,
                        (m->n_policy_over - i) * sizeof(char *));
                m->policy_over[i] = xstrdup(id);
                m->n_policy_over++;
        } else {
                free(m->policy_over[i]);
                memmove(m->policy_over + i, m->policy_over + i + 1,
                        (m->n_policy_over - i - 1) * sizeof(char *));
                m->n_policy_over--;
        }
        m->policy_over[m->n_policy_over] = NULL; /* a strv still (strv_free()) */
}

static void policy_pending_clear(Manager *m) {
        for (size_t i = 0; i < m->n_policy_pending; i++) {
                free(m->policy_pending[i].unit);
                free(m->policy_pending[i].checks);
                free(m->policy_pending[i].verdicts);
                free(m->policy_pending[i].systemd_version);
        }
        m->n_policy_pending = 0;
}

/* Queue an event for the store; time_usec holds its offset from the time of the write (so that a
 * unit's events and its score change of the same scan get distinct times, see store.h). */
static void policy_queue(Manager *m, const UnitState *u, EventKind kind, Cause cause,
                         uint64_t offset, const StorePolicyCheck *checks, size_t n) {
        if (m->n_policy_pending >= POLICY_PENDING_MAX) {
                log_warning("Too many policy events waiting for the database; dropping the one "
                            "of '%s' from the history (the journal has it), ignoring.", u->id);
                return;
        }
        if ((m->n_policy_pending & 63) == 0)
                m->policy_pending = xrealloc(m->policy_pending, (m->n_policy_pending + 64) *
                                                                        sizeof(PendingPolicyEvent));
        PendingPolicyEvent *pe = &m->policy_pending[m->n_policy_pending++];
        StorePolicyCheck *c = NULL;
        if (n > 0) {
                c = xcalloc(n, sizeof(StorePolicyCheck));
                memcpy(c, checks, n * sizeof(StorePolicyCheck));
        }
        StoreVerdict v[SCORE_ROWS_MAX];
        size_t n_v = store_verdicts_from_report(&u->report, v);
        ClassifyRules rules = {
                .cause = cause,
                .baseline = m->db_baseline,
                .new_unit_threshold = m->config->new_unit_threshold,
        };
        pe->unit = xstrdup(u->id);
        pe->checks = c;
        if (n_v > 0) {
                pe->verdicts = xcalloc(n_v, sizeof(StoreVerdict));
                memcpy(pe->verdicts, v, n_v * sizeof(StoreVerdict));
        } else
                pe->verdicts = NULL;
        pe->systemd_version = m->state.systemd_version ? xstrdup(m->state.systemd_version) : NULL;
        /* As persist() would store it as a first score (it is one when the store needs it). */
        pe->score = (StoreScore) {
                .unit = pe->unit,
                .exposure = u->report.exposure,
                .predicate = u->report.predicate,
                .verdicts = pe->verdicts,
                .n_verdicts = n_v,
                .systemd_version = pe->systemd_version,
                .scorer_version = SCORER_VERSION,
                .cause = cause,
                .kind = classify_change(&rules, &(ClassifyScore) { .exposure = -1 },
                                        &(ClassifyScore) { .exposure = (int) u->report.exposure })
                                .kind,
        };
        pe->ev = (StorePolicyEvent) {
                .unit = pe->unit,
                .time_usec = offset,
                .kind = kind,
                .cause = cause,
                .ceiling = u->policy.ceiling,
                .exposure = u->report.exposure,
                .predicate = u->report.predicate,
                .checks = c,
                .n_checks = n,
        };
}

/* Write the queued events at base_usec + their offsets, inside the caller's transaction (a unit
 * the store has no row of gets its score of then first, at base_usec, as persist() writes). */
static int policy_store_pending(Manager *m, uint64_t base_usec) {
        for (size_t i = 0; i < m->n_policy_pending; i++) {
                PendingPolicyEvent *pe = &m->policy_pending[i];
                StorePolicyEvent ev = pe->ev;
                StoreScore sc = pe->score;
                ev.time_usec = base_usec + ev.time_usec;
                sc.time_usec = base_usec;
                ev.score = sc.systemd_version ? &sc : NULL;
                int r = store_add_policy_event(m->store, &ev);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void policy_rule_text(const PolicyRule *r, char buf[static PATH_MAX + 16]) {
        if (!r)
                (void) snprintf(buf, PATH_MAX + 16, "-");
        else
                (void) snprintf(buf, PATH_MAX + 16, "%s:%u", r->file, r->line);
}

static void log_policy_event(const UnitState *u, EventKind kind, Cause cause,
                             const char *checks, const PolicyRule *rule) {
        char exp[8], ceil[8], f_unit[512], f_exp[32], f_ceil[32], f_cause[64];
        char where[PATH_MAX + 16], f_rule[PATH_MAX + 48];
        Buf f_checks = {}, msg = {};
        const char *id;
        int level;

        (void) render_format_tenths(u->report.exposure, exp);
        if (u->policy.ceiling >= 0)
                (void) render_format_tenths((unsigned) u->policy.ceiling, ceil);
        else
                (void) snprintf(ceil, sizeof ceil, "none");
        policy_rule_text(rule, where);
        switch (kind) {
        case EVENT_OVER_POLICY:
                id = LOG_MESSAGE_OVER_POLICY;
                level = LOG_WARNING;
                buf_printf(&msg, "'%s' went over policy: exposure %s, ceiling %s", u->id, exp,
                           ceil);
                if (!isempty(checks))
                        buf_printf(&msg, "; checks not accepted: %s", checks);
                break;
        case EVENT_WITHIN_POLICY:
                id = LOG_MESSAGE_WITHIN_POLICY;
                level = LOG_NOTICE;
                buf_printf(&msg, "'%s' is back within policy: exposure %s, ceiling %s", u->id,
                           exp, ceil);
                break;
        default:
                id = LOG_MESSAGE_WAIVER_EXPIRED;
                level = LOG_WARNING;
                buf_printf(&msg, "Waiver of '%s' for %s expired (%s, expires=%s), no longer "
                           "accepted", u->id, checks, where,
                           rule && rule->expires ? rule->expires : "");
                break;
        }
        buf_printf(&msg, " (rule %s, cause %s).", where, cause_to_string(cause));
        (void) snprintf(f_unit, sizeof f_unit, "EXPOSURED_UNIT=%s", u->id);
        (void) snprintf(f_exp, sizeof f_exp, "EXPOSURED_EXPOSURE=%s", exp);
        (void) snprintf(f_ceil, sizeof f_ceil, "EXPOSURED_CEILING=%s", ceil);
        (void) snprintf(f_cause, sizeof f_cause, "EXPOSURED_CAUSE=%s", cause_to_string(cause));
        (void) snprintf(f_rule, sizeof f_rule, "EXPOSURED_POLICY_RULE=%s", where);
        buf_printf(&f_checks, "EXPOSURED_CHECKS=%s", checks ? checks : "");
        const char *fields[] = { f_unit, f_exp, f_ceil, f_cause, f_rule, f_checks.data, NULL };
        log_struct_internal(level, id, msg.data, fields);
        buf_done(&f_checks);
        buf_done(&msg);
}

/* Report what u's new verdict (u->policy, against m->policy) changed against its previous one
 * (prev, computed against prev_policy over a report of prev_table; NULL: none in memory):
 * waivers that expired, going over policy, coming back within it. Journal now, store queued. */
static void policy_report(Manager *m, UnitState *u, const PolicyVerdict *prev,
                          const ScoreTable *prev_table, const UnitPolicy *prev_policy,
                          Cause cause) {
        const PolicyVerdict *v = &u->policy;
        const PolicyRule *first = unit_policy_verdict_rule(m->policy, v, false);
        bool was_over = policy_was_over(m, u->id);
        uint64_t offset = 3;

        if (prev && prev_policy && prev_table == u->report.table)
                for (size_t i = 0; i < u->report.n_checks; i++) {
                        bool pe = false, ne = false;
                        const PolicyRule *pr = unit_policy_waiver(prev_policy, prev, i, &pe);
                        const PolicyRule *nr = unit_policy_waiver(m->policy, v, i, &ne);
                        if (!pr || pe || !nr || !ne)
                                continue;
                        const ScoreCheck *c = &u->report.checks[i];
                        StorePolicyCheck sc = {
                                .check = c->assessor->id,
                                .badness = c->badness == BADNESS_NA ? 0 : c->badness,
                        };
                        log_policy_event(u, EVENT_WAIVER_EXPIRED, cause, c->assessor->id, nr);
                        policy_queue(m, u, EVENT_WAIVER_EXPIRED, cause, offset++, &sc, 1);
                }

        if (v->status == POLICY_OVER && !was_over) {
                StorePolicyCheck checks[SCORE_ROWS_MAX];
                size_t n = 0;
                Buf text = {};
                for (size_t i = 0; v->allow_list && i < u->report.n_checks; i++) {
                        const ScoreCheck *c = &u->report.checks[i];
                        bool expired = false;
                        if (!unit_policy_check_fails(c) ||
                            (unit_policy_waiver(m->policy, v, i, &expired) && !expired))
                                continue;
                        checks[n++] = (StorePolicyCheck) { c->assessor->id, c->badness };
                        if (text.len)
                                buf_putc(&text, ' ');
                        buf_puts(&text, c->assessor->id);
                }
                log_policy_event(u, EVENT_OVER_POLICY, cause, text.data,
                                 v->over_ceiling ? unit_policy_verdict_rule(m->policy, v, true)
                                                 : first);
                policy_queue(m, u, EVENT_OVER_POLICY, cause, 1, checks, n);
                policy_set_over(m, u->id, true);
                buf_done(&text);
        } else if (v->status == POLICY_OK && was_over) {
                log_policy_event(u, EVENT_WITHIN_POLICY, cause, NULL, first);
                policy_queue(m, u, EVENT_WITHIN_POLICY, cause, 2, NULL, 0);
                policy_set_over(m, u->id, false);
        }
}

static int on_policy_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Arm the timer for the earliest waiver expiry ahead of any unit. */
static void policy_arm_timer(Manager *m) {
        uint64_t next = 0;
        int r;

        m->policy_timer = sd_event_source_disable_unref(m->policy_timer);
        for (size_t i = 0; i < m->state.n_units; i++) {
                uint64_t t = m->state.units[i]->policy.next_expiry_usec;
                if (t > 0 && (next == 0 || t < next))
                        next = t;
        }
        if (next == 0)
                return;
        r = sd_event_add_time(m->event, &m->policy_timer, CLOCK_REALTIME, next,
                              USEC_PER_SEC / 10, on_policy_timer, m);
        if (r < 0)
                log_error_errno(r, "Failed to arm the waiver expiry timer: %m");
}

/* Without a scan: the events go to the store at once, when it takes writes. */
static void policy_flush(Manager *m) {
        int r;

        if (m->n_policy_pending == 0 || !m->store || m->store_failing)
                return;
        r = store_begin(m->store);
        if (r >= 0)
                r = policy_store_pending(m, now_realtime_usec());
        if (r >= 0)
                r = store_commit(m->store);
        else
                store_rollback(m->store);
        if (r < 0) {
                store_failed(m, r);
                return;
        }
        policy_pending_clear(m);
}

/* Judge every unit again (the policy changed, or a waiver expired). old: the policy the units'
 * verdicts were computed with (still valid). */
static void policy_reevaluate(Manager *m, const UnitPolicy *old, Cause cause) {
        uint64_t now = now_realtime_usec();

        for (size_t i = 0; i < m->state.n_units; i++) {
                UnitState *u = m->state.units[i];
                PolicyVerdict prev = u->policy;
                unit_policy_evaluate(m->policy, u->id, &u->report, now, &u->policy);
                policy_report(m, u, &prev, u->report.table, old, cause);
        }
        state_changed(&m->state); /* statuses are in the API, the pages and /metrics */
        policy_flush(m);
        policy_arm_timer(m);
}

static int on_policy_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) usec;
        policy_reevaluate(m, m->policy, CAUSE_POLICY);
        update_status(m);
        return 0;
}

static void policy_info_update(Manager *m, bool loaded) {
        PolicyInfo *pi = &m->state.policy_info;

        pi->dir = m->policy_dir;
        pi->error = m->policy_error;
        m->state.policy = m->policy;
        state_changed(&m->state); /* the policy's state is in /api/v1/status and /metrics */
        if (loaded) {
                pi->loaded = true;
                pi->loaded_usec = now_realtime_usec();
                pi->n_files = strv_length(m->policy->files);
                pi->n_rules = m->policy->n_rules;
        }
}

/* (Re)read the policy. A broken file keeps the policy in force and says so (journal,
 * /api/v1/status, /metrics). Returns 0 or the -errno of the failed load. */
static int policy_load(Manager *m) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
        PolicyError e = {};
        char f_dir[PATH_MAX + 32];
        int r;

        (void) snprintf(f_dir, sizeof f_dir, "EXPOSURED_POLICY_DIR=%s", m->policy_dir);
        m->state.policy_info.n_loads++;
        r = unit_policy_load_dir(m->policy_dir, &p, &e);
        if (r < 0) {
                _cleanup_free_ char *text = policy_error_format(&e), *msg = NULL;
                policy_error_done(&e);
                free(m->policy_error);
                m->policy_error = TAKE_PTR(text);
                m->state.policy_info.error_usec = now_realtime_usec();
                m->state.policy_info.n_failures++;
                if (asprintf(&msg, "%s; %s", m->policy_error,
                             m->policy ? "keeping the unit policy in force"
                                       : "no unit policy in force, every unit unmanaged") < 0)
                        abort();
                const char *fields[] = { f_dir, NULL };
                log_struct_internal(LOG_ERR, LOG_MESSAGE_POLICY_LOAD, msg, fields);
                policy_info_update(m, false);
                return r;
        }
        UnitPolicy *old = m->policy;
        m->policy = TAKE_PTR(p);
        free(m->policy_error);
        m->policy_error = NULL;
        policy_info_update(m, true);
        {
                /* Waivers that expired before this load are not events (nothing changed while we
                 * watched), but an admin reading the log should know they no longer count. */
                char msg[PATH_MAX + 192];
                uint64_t now = now_realtime_usec();
                size_t expired = 0;
                for (size_t i = 0; i < m->policy->n_rules; i++)
                        if (m->policy->rules[i].expires_usec > 0 &&
                            now >= m->policy->rules[i].expires_usec)
                                expired++;
                int k = snprintf(msg, sizeof msg, "Unit policy loaded from '%s': %zu rules in %zu "
                                 "files", m->policy_dir, m->policy->n_rules,
                                 strv_length(m->policy->files));
                if (k > 0 && (size_t) k < sizeof msg)
                        (void) snprintf(msg + k, sizeof msg - (size_t) k, expired ?
                                        "; the waivers of %zu rules are past their expires= and "
                                        "do not count." : ".", expired);
                const char *fields[] = { f_dir, NULL };
                log_struct_internal(expired ? LOG_WARNING : LOG_INFO, LOG_MESSAGE_POLICY_LOAD,
                                    msg, fields);
        }
        policy_reevaluate(m, old, CAUSE_POLICY);
        unit_policy_free(old);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) si;
        /* No RELOADING=1/READY=1: with Type=notify (not notify-reload, systemd >= 253) the
         * ExecReload= kill is the reload job, and a READY=1 racing its exit fails the job. The
         * reload is quick and /api/v1/status tells when it happened (policy.loads, loaded_at). */
        (void) policy_load(m);
        update_status(m);
        return 0;
}


/* Hand every unit whose row may differ (UnitState.unstored) to the store and record the scan, in
 * one transaction. The store persists only what differs from its rows; a unit that judge() found
 * unchanged since a stored score is not even asked about, so one unit's change costs one row, not
 * a read of every unit's (at 10,000 units that was ~10,000 SELECTs per change). The flags are
 * cleared only on commit, so after a failed write the next call records what was lost. Each row's
 * kind is classified against what the database holds (stored_exposure), which is the previous
 * score unless writes failed in between: the journal and the counters were told at scan time
 * (judge()), this only files the record. */
static int persist(Manager *m, Cause cause, uint64_t duration_usec) {
        StoreVerdict verdicts[SCORE_ROWS_MAX];
        uint64_t now = now_realtime_usec(), n_changes = 0;
        int r;

        if (!m->store)
                return -ENOENT;
        r = store_begin(m->store);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->state.n_units; i++) {
                UnitState *u = m->state.units[i];
                if (!u->unstored)
                        continue;
                ClassifyRules rules = {
                        .cause = cause,
                        .baseline = m->db_baseline,
                        .new_unit_threshold = m->config->new_unit_threshold,
                };
                ClassifyScore old = { .exposure = u->stored_exposure },
                              new = { .exposure = (int) u->report.exposure };
                StoreScore sc = {
                        .unit = u->id,
                        .time_usec = now,
                        .exposure = u->report.exposure,
                        .predicate = u->report.predicate,
                        .verdicts = verdicts,
                        .n_verdicts = store_verdicts_from_report(&u->report, verdicts),
                        .systemd_version = m->state.systemd_version,
                        .scorer_version = SCORER_VERSION,
                        .cause = cause,
                        .kind = classify_change(&rules, &old, &new).kind,
                        .blame = u->blame,
                };
                r = store_add_score(m->store, &sc);
                if (r < 0) {
                        store_rollback(m->store);
                        return r;
                }
                n_changes += (uint64_t) r;
        }
        /* Then what blame compares with after a restart, for the units whose files or main
         * process changed (their rows exist by now). */
        for (size_t i = 0; i < m->state.n_units; i++) {
                UnitState *u = m->state.units[i];
                if (!u->snapshot_unstored)
                        continue;
                Buf files = {};
                blame_files_encode(&u->files, &files);
                r = store_put_snapshot(m->store, &(StoreSnapshot) {
                        .unit = u->id,
                        .files = files.data,
                        .running_exposure = unit_state_running(u),
                        .running_start_usec = unit_state_running(u) >= 0 ? u->running_start_usec
                                                                         : 0,
                });
                buf_done(&files);
                if (r < 0) {
                        store_rollback(m->store);
                        return r;
                }
        }
        r = policy_store_pending(m, now);
        if (r < 0) {
                store_rollback(m->store);
                return r;
        }
        r = store_add_scan(m->store, &(StoreScan) {
                .time_usec = now,
                .duration_usec = duration_usec,
                .n_units = m->state.n_units,
                .n_changes = n_changes,
                .cause = cause,
                .systemd_version = m->state.systemd_version,
                .scorer_version = SCORER_VERSION,
        });
        if (r < 0) {
                store_rollback(m->store);
                return r;
        }
        r = store_commit(m->store);
        if (r < 0)
                return r;
        m->state.db = (DbHealth) { .known = true, .write_ok = true,
                                   .size_bytes = store_disk_bytes(m->store),
                                   .last_write_usec = now, .errors = m->state.db.errors };
        state_changed(&m->state); /* the database health is in /metrics */
        for (size_t i = 0; i < m->state.n_units; i++) {
                m->state.units[i]->stored_exposure = (int) m->state.units[i]->report.exposure;
                m->state.units[i]->unstored = false;
                m->state.units[i]->snapshot_unstored = false;
        }
        m->db_baseline = false;
        policy_pending_clear(m);
        return 0;
}

static int on_store_retry(sd_event_source *s, uint64_t usec, void *userdata);

static void database_event(Manager *m, int level, const char *msg, const char *const *fields) {
        const char *f[8] = {};
        char f_db[PATH_MAX + 16];
        size_t n = 0;

        (void) snprintf(f_db, sizeof f_db, "EXPOSURED_DB=%s", m->config->db);
        f[n++] = f_db;
        for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(f) - 1; i++)
                f[n++] = fields[i];
        log_struct_internal(level, LOG_MESSAGE_DATABASE, msg, f);
        /* The same words in the history (kind "database"), where its readers look. */
        if (m->store) {
                int r = store_add_notice(m->store, now_realtime_usec(), msg);
                if (r < 0)
                        log_warning_errno(r, "Failed to record the database event: %m, ignoring.");
        }
}

static void format_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                (void) snprintf(buf, 32, "@%" PRIu64, (uint64_t) (usec / USEC_PER_SEC));
}

static int setup_store(Manager *m) {
        int r;

        if (m->config->db_max_bytes > 0) {
                r = store_set_size_limit(m->store, m->config->db_max_bytes);
                if (r < 0)
                        log_warning_errno(r, "Failed to cap the database at %" PRIu64 " bytes: %m, "
                                          "ignoring.", m->config->db_max_bytes);
        }
        if (!m->persisted) {
                r = store_load_current(m->store, &m->persisted);
                if (r < 0)
                        log_warning_errno(r, "Failed to read the stored state: %m; counters "
                                          "start from zero, ignoring.");
        }
        /* Opened late (it was down at start-up, or reset): what it holds of the units we already
         * watch. */
        m->db_baseline = m->persisted && m->persisted->empty;
        for (size_t i = 0; i < m->state.n_units; i++) {
                const StoreUnit *su = persisted_unit(m, m->state.units[i]->id);
                m->state.units[i]->stored_exposure = su ? (int) su->exposure : -1;
                m->state.units[i]->unstored = true; /* a new or reset file: compare them all */
                m->state.units[i]->snapshot_unstored = true;
        }
        if (m->prune_boot_usec == 0 && store_last_time(m->store, &m->last_stored_usec) < 0)
                m->last_stored_usec = 0;
        /* Which units the history last saw go over policy: they are not reported again. Once:
         * a database opened late or reset knows less than we do by then. */
        if (!m->policy_over_loaded) {
                char **over = NULL;
                r = store_policy_over_units(m->store, &over);
                if (r < 0)
                        log_warning_errno(r, "Failed to read which units are over policy: %m, "
                                          "ignoring.");
                else {
                        for (char **o = over; o && *o; o++)
                                policy_set_over(m, *o, true);
                        strv_free(over);
                }
                m->policy_over_loaded = true;
        }
        return 0;
}

/* The database is damaged (not a database, or quick_check fails): keep the file aside (history is
 * never deleted by us), start a fresh one in its place, and say so where people look: the journal
 * and, as the first event of the new database, the history itself. */
static int reset_store(Manager *m, int error, const char *when) {
        _cleanup_free_ char *moved = NULL;
        char msg[PATH_MAX * 2 + 256], f_moved[PATH_MAX + 32], f_err[64];
        int r;

        m->store = store_free(m->store);
        /* What the old file held is no base for the new one: it starts with a baseline. */
        m->persisted = store_current_free(m->persisted);
        r = store_quarantine(m->config->db, now_realtime_usec(), &moved);
        if (r < 0)
                return log_error_errno(r, "The database '%s' is damaged (%s) and could not be "
                                       "moved aside: %m", m->config->db, strerror(-error));
        r = store_open(m->config->db, &m->store);
        (void) snprintf(msg, sizeof msg, "The history database '%s' was found damaged %s (%s); it "
                        "was moved to '%s' (with its -wal and -shm) and a new database started. "
                        "The history before this event is in that file.", m->config->db, when,
                        strerror(-error), moved);
        (void) snprintf(f_moved, sizeof f_moved, "EXPOSURED_DB_MOVED_TO=%s", moved);
        (void) snprintf(f_err, sizeof f_err, "EXPOSURED_ERROR=%s", strerror(-error));
        const char *fields[] = { f_moved, f_err, NULL };
        database_event(m, LOG_ERR, msg, fields);
        if (r < 0)
                return r;
        return setup_store(m);
}

static void store_failed(Manager *m, int r) {
        /* A write found damage: make sure (the whole file, read again) and start over. */
        if (r == -EBADMSG && m->store && store_check(m->store) == -EBADMSG) {
                r = reset_store(m, r, "while running (by a write)");
                /* The fresh database gets what we hold right away (the scan is the baseline). */
                if (r >= 0)
                        r = persist(m, CAUSE_PERIODIC, 0);
                if (r >= 0) {
                        store_recovered(m);
                        return;
                }
        }
        m->state.db.write_ok = false;
        m->state.db.errors++;
        state_changed(&m->state);
        if (!m->store_failing) {
                m->store_failing_usec = now_realtime_usec();
                m->store_failing_error = r;
        }
        if (!m->store_failing)
                log_error_errno(r, "Failed to write to the database '%s': %m; keeping the state "
                                "in memory and retrying every %llus.",
                                m->config->db, (unsigned long long) (m->config->db_retry_usec /
                                                                     USEC_PER_SEC));
        m->store_failing = true;
        if (!m->store_retry_timer)
                (void) sd_event_add_time_relative(m->event, &m->store_retry_timer,
                                                  CLOCK_MONOTONIC, m->config->db_retry_usec,
                                                  USEC_PER_SEC / 10, on_store_retry, m);
        else if (sd_event_source_get_enabled(m->store_retry_timer, NULL) == 0) {
                /* Expired: re-arm from now (its old time is past and would fire at once). A timer
                 * still pending is left alone, so that failing scans do not postpone it. */
                (void) sd_event_source_set_time_relative(m->store_retry_timer,
                                                         m->config->db_retry_usec);
                (void) sd_event_source_set_enabled(m->store_retry_timer, SD_EVENT_ONESHOT);
        }
}

static void store_recovered(Manager *m) {
        char since[32], msg[PATH_MAX + 256];

        if (!m->store_failing)
                return;
        log_info("Database '%s' writable again, history caught up.", m->config->db);
        m->store_failing = false;
        /* Rows of the changes in between carry the time they could be stored, not the time they
         * happened: the history says so. */
        format_time(m->store_failing_usec, since);
        (void) snprintf(msg, sizeof msg, "Writes to the history database failed from %s for "
                        "%" PRIu64 "s (%s); the changes in between were stored when writes worked "
                        "again, with that time.", since,
                        (uint64_t) ((now_realtime_usec() - m->store_failing_usec) / USEC_PER_SEC),
                        strerror(-m->store_failing_error));
        database_event(m, LOG_NOTICE, msg, NULL);
}

static int open_store(Manager *m) {
        int r;

        if (m->store)
                return 0;
        r = store_open(m->config->db, &m->store);
        if (r == -EBADMSG)
                return reset_store(m, r, "at start-up");
        if (r < 0)
                return r;
        return setup_store(m);
}

static int on_store_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;
        (void) s;
        (void) usec;

        r = open_store(m);
        if (r >= 0)
                r = persist(m, CAUSE_PERIODIC, 0);
        if (r < 0) {
                store_failed(m, r);
                return 0;
        }
        store_recovered(m);
        /* READY=1 waits for the database; when it could not be opened at start-up, this is
         * the moment (no scan may come for a long time on a quiet system). */
        if (m->first_scan_done)
                notify_ready(m);
        update_status(m);
        return 0;
}

/* ---- scans ---- */

/* HTTP is paused until the first full scan is in (see http_server_set_paused()). */
static void serve(Manager *m) {
        m->serve_timer = sd_event_source_disable_unref(m->serve_timer);
        if (m->http)
                http_server_set_paused(m->http, false);
}

static int on_serve_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) usec;
        /* No first scan yet (the bus is down?): serve what we have, /api/v1/status says why. */
        serve(m);
        return 0;
}

static void notify_ready(Manager *m) {
        size_t n_oneshot = 0;

        if (m->ready)
                return;
        serve(m);
        m->ready = true;
        for (size_t i = 0; i < m->state.n_units; i++)
                n_oneshot += m->state.units[i]->oneshot;
        const ScoreTable *t = manager_table(m);
        char range[32];
        if (t->version_max == UINT_MAX)
                (void) snprintf(range, sizeof range, "%u and later", t->version_min);
        else
                (void) snprintf(range, sizeof range, "%u-%u", t->version_min, t->version_max);
        log_info("First scan done: %zu services (%zu of them Type=oneshot) of systemd %s, scored "
                 "with the table of systemd %s; history %s.", m->state.n_units, n_oneshot,
                 m->state.systemd_version ?: "(unknown)", range,
                 m->store && !m->store_failing ? "stored" : "kept in memory (database failing)");
        (void) sd_notify(false, "READY=1");
}

/* Score one scan result into a new UnitState (takes the props). NULL when it is not a service
 * we watch: not loaded (not-found, masked, bad-setting), or not a .service. */
static UnitState *score_result(Manager *m, BusScanUnit *bu) {
        const ScoreTable *table = manager_table(m);
        UnitState *u;

        if (bu->error < 0 || !streq_ptr(bu->props.load_state, "loaded") || !bu->props.id ||
            !endswith(bu->props.id, ".service"))
                return NULL;
        u = xcalloc(1, sizeof(UnitState));
        u->id = xstrdup(bu->props.id);
        u->unstored = true;
        u->props = bu->props;
        unit_props_init(&bu->props); /* moved */
        u->oneshot = streq_ptr(u->props.type, "oneshot");
        if (score_unit(table, NULL, &u->props, &u->report) < 0) {
                /* Only an override can make this fail and the daemon has none: a bug. */
                log_error("Failed to score '%s', ignoring.", u->id);
                return unit_state_free(u);
        }
        return u;
}

/* Keep counters and times across rescans of the same unit; for a unit we do not hold, take them
 * from its memo when it left during this run, else from the database, so counters survive a
 * daemon restart. */
static void inherit(Manager *m, UnitState *u, const UnitState *old) {
        const UnitMemo *memo;
        const StoreUnit *su;

        if (old) {
                u->first_seen_usec = old->first_seen_usec;
                u->last_change_usec = old->last_change_usec;
                u->regressions = old->regressions;
                u->improvements = old->improvements;
        } else if ((memo = state_find_gone(&m->state, u->id))) {
                u->first_seen_usec = memo->first_seen_usec;
                u->last_change_usec = memo->last_change_usec;
                u->regressions = memo->regressions;
                u->improvements = memo->improvements;
        } else if ((su = persisted_unit(m, u->id)) && su->gone_usec == 0) {
                u->first_seen_usec = su->first_seen_usec;
                u->last_change_usec = su->last_change_usec;
                u->regressions = su->regressions;
                u->improvements = su->improvements;
        }
}

/* What was known of a unit before its new score: its files and main process as the previous
 * scan saw them (in memory), else as the database's snapshot has them (the daemon restarted, or
 * the unit left and came back), else nothing. */
typedef struct Prior {
        const BlameFiles *files;     /* NULL: not known */
        int exposure;                /* the configured exposure then (tenths), -1: unknown */
        int running_exposure;        /* what its main process ran with, -1: none or unknown */
        uint64_t running_start_usec; /* that process's ExecMainStartTimestamp, 0: none */
} Prior;

static bool prior_restart_pending(const Prior *p) {
        return p->running_exposure >= 0 && p->running_start_usec > 0 && p->exposure >= 0 &&
               p->running_exposure != p->exposure;
}

/* Fill *ret from prev, else from the store's snapshot of u (decoded into *files_buf, which the
 * caller releases; *ret_stored gets the stored text, for comparing, or NULL). old_exposure: the
 * unit's previous exposure as judge() found it. A snapshot that cannot be read is not known
 * (blame says "unknown", as before snapshots were stored). */
static void prior_load(Manager *m, const UnitState *u, const UnitState *prev, int old_exposure,
                       BlameFiles *files_buf, char **ret_stored, Prior *ret) {
        _cleanup_free_ char *text = NULL;
        int running = -1, r;
        uint64_t start = 0;

        *ret_stored = NULL;
        if (prev) {
                *ret = (Prior) {
                        .files = &prev->files,
                        .exposure = (int) prev->report.exposure,
                        .running_exposure = unit_state_running(prev),
                        .running_start_usec = prev->running_start_usec,
                };
                return;
        }
        *ret = (Prior) { .exposure = old_exposure, .running_exposure = -1 };
        if (!m->store || old_exposure < 0)
                return;
        r = store_get_snapshot(m->store, u->id, &text, &running, &start);
        if (r < 0)
                log_debug_errno(r, "Failed to read the stored snapshot of '%s': %m, ignoring.",
                                u->id);
        if (r <= 0)
                return;
        ret->running_exposure = running;
        ret->running_start_usec = start;
        r = blame_files_decode(text, files_buf);
        if (r >= 0)
                ret->files = files_buf;
        else if (r != -E2BIG)
                log_debug_errno(r, "Stored snapshot of '%s' is not one: %m, ignoring.", u->id);
        *ret_stored = TAKE_PTR(text);
}

/* Whether what the database holds of u's files and process (prior, and stored, its text when
 * it came from there) may differ from u's: the next persist writes it. */
static bool snapshot_differs(const UnitState *u, const UnitState *prev, const Prior *prior,
                             const char *stored) {
        if (prev && prev->snapshot_unstored)
                return true;
        if (prior->running_exposure != unit_state_running(u) ||
            (unit_state_running(u) >= 0 && prior->running_start_usec != u->running_start_usec))
                return true;
        if (prev)
                return !blame_files_equal(&prev->files, &u->files);
        if (!stored)
                return true;
        Buf b = {};
        blame_files_encode(&u->files, &b);
        bool differs = !streq(b.data, stored);
        buf_done(&b);
        return differs;
}

/* Read u's unit files (blame-read.h) and decide what its main process runs with. Files that
 * changed on disk but are not loaded yet (NeedDaemonReload=yes) do not describe the scored
 * configuration: for a file the previous snapshot had, its content then stands until a reload.
 * A file the manager lists anew, or one of `systemctl set-property` (which the manager writes and
 * applies itself, and which on 252 sets NeedDaemonReload=yes when the unit has other drop-ins),
 * is read as it is. The running process is identified by its start time: one that existed at
 * the previous scan (same ExecMainStartTimestamp) keeps the exposure it was started with,
 * however the configuration changed since; a process started since is taken to run the current
 * configuration (a restart right after a daemon-reload, before our scan, is the common case; a
 * restart just before a change, both between two scans, is the limit: it is then shown as
 * running the new configuration). A systemd upgrade rescores both. */
static void read_files(Manager *m, UnitState *u, const UnitState *prev, const Prior *prior,
                       Cause cause) {
        uint64_t start = u->props.main_pid > 0 ? u->props.exec_main_start_usec : 0;

        (void) blame_read_files(m->config->os_root, &u->props, prev ? &prev->files : NULL,
                                &u->files);
        for (size_t i = 0; u->props.need_daemon_reload && prior->files && i < u->files.n_files;
             i++) {
                BlameFile *f = &u->files.files[i];
                const BlameFile *old = blame_files_find(prior->files, f->path);
                if (!old || blame_path_is_runtime(f->path))
                        continue;
                blame_file_done(f);
                blame_file_copy(old, f);
        }

        u->running_start_usec = start;
        if (prior->running_exposure >= 0 && prior->running_start_usec > 0 &&
            prior->running_start_usec == start &&
            !(cause == CAUSE_SYSTEMD_UPGRADE && !prior_restart_pending(prior)))
                u->running_exposure = prior->running_exposure;
        else
                u->running_exposure = (int) u->report.exposure;
}

/* What changed in u's files since its previous score (prev in memory; su, the database's row,
 * after a restart: then only the versions can explain it), into *ret and u->blame. */
static void blame_change(Manager *m, UnitState *u, const UnitState *prev, const Prior *prior,
                         const StoreUnit *su, bool first, Cause cause, BlameRecord *ret) {
        BlameContext ctx = {
                .first = first,
                .old_known = prior->files != NULL,
                .systemd_changed = prev ? cause == CAUSE_SYSTEMD_UPGRADE
                                        : su && su->systemd_version &&
                                                  !streq_ptr(su->systemd_version,
                                                             m->state.systemd_version),
                .scorer_changed = !prev && su && su->scorer_version &&
                                  !streq(su->scorer_version, SCORER_VERSION),
                .running_exposure = unit_state_running(u),
        };
        Buf b = {};

        blame_diff(prior->files, &u->files, &ctx, ret);
        /* `systemctl set-property` takes only cgroup settings, which the manager applies to the
         * running unit at once: such a change is live without a restart (unless one was already
         * pending: what runs then is not known exactly, the older exposure stays). */
        if (ret->reason == BLAME_REASON_RUNTIME && prior->files && unit_state_running(u) >= 0 &&
            !prior_restart_pending(prior))
                u->running_exposure = ret->running_exposure = (int) u->report.exposure;
        blame_encode(ret, &b);
        free(u->blame);
        u->blame = buf_steal(&b);
}

/* Judge u's new score against the unit's previous one, before anything is stored: what we held
 * (prev), else its memo if it left during this run, else the database's row at start-up (a unit
 * that comes back is a change, as its store row says). Counts and logs the event. baseline: the
 * first full scan with no history known, where no first score is news. */
static void judge(Manager *m, UnitState *u, const UnitState *prev, Cause cause,
                  bool baseline, uint64_t now) {
        StoreVerdict nv[SCORE_ROWS_MAX], ov[SCORE_ROWS_MAX];
        ClassifyRules rules = {
                .cause = cause,
                .baseline = baseline,
                .new_unit_threshold = m->config->new_unit_threshold,
        };
        ClassifyScore new = { .exposure = (int) u->report.exposure, .verdicts = nv };
        ClassifyScore old = { .exposure = -1 };
        const UnitMemo *memo;
        const StoreUnit *su = NULL;
        bool returned = false;

        new.n_verdicts = store_verdicts_from_report(&u->report, nv);
        u->stored_exposure = -1;
        if (prev) {
                old = (ClassifyScore) { .exposure = (int) prev->report.exposure, .verdicts = ov };
                old.n_verdicts = store_verdicts_from_report(&prev->report, ov);
                u->stored_exposure = prev->stored_exposure;
        } else if ((memo = state_find_gone(&m->state, u->id))) {
                old.exposure = memo->exposure; /* its checks are not kept: exposure only */
                u->stored_exposure = memo->stored_exposure;
                returned = true;
        } else if ((su = persisted_unit(m, u->id))) {
                old = (ClassifyScore) { .exposure = (int) su->exposure,
                                        .verdicts = su->verdicts,
                                        .n_verdicts = su->n_verdicts };
                u->stored_exposure = (int) su->exposure;
                returned = su->gone_usec != 0;
        }
        state_forget_gone(&m->state, u->id);

        unit_policy_evaluate(m->policy, u->id, &u->report, now, &u->policy);
        bool broke = u->policy.status == POLICY_OVER && !policy_was_over(m, u->id);
        policy_report(m, u, prev ? &prev->policy : NULL, prev ? prev->report.table : NULL,
                      m->policy, cause);

        Classification c = classify_change(&rules, &old, &new);
        /* The same exposure and checks as a score the database already holds (prev's, stored):
         * nothing for persist() to write. Anything else is left to the store to compare. */
        u->unstored = !(prev && !prev->unstored && !c.changed);
        _cleanup_(blame_record_done) BlameRecord blame = { .running_exposure = -1 };
        _cleanup_(blame_files_done) BlameFiles stored_files = {};
        _cleanup_free_ char *stored = NULL;
        Prior prior;
        prior_load(m, u, prev, old.exposure, &stored_files, &stored, &prior);
        read_files(m, u, prev, &prior, cause);
        if (!c.changed && !returned) {
                u->snapshot_unstored = snapshot_differs(u, prev, &prior, stored);
                u->blame = prev && prev->blame ? xstrdup(prev->blame) : NULL;
                return;
        }
        blame_change(m, u, prev, &prior, su, old.exposure < 0, cause, &blame);
        u->snapshot_unstored = snapshot_differs(u, prev, &prior, stored);
        u->last_change_usec = now;
        if (c.kind == EVENT_REGRESSION) {
                u->regressions++;
                m->regressions_24h++;
        } else if (c.kind == EVENT_IMPROVEMENT)
                u->improvements++;
        log_change(prev, old.exposure, u, c.kind, cause, &blame, broke && c.changed);
}

/* Is u's unit file still there (a regular file at its FragmentPath, under os_root)? PID 1 unloads
 * every inactive unit nothing references (its garbage collection), and any local user can load
 * one again by asking about it (`systemctl status disabled-unit.service`): UnitNew, our read,
 * UnitRemoved a moment later. Taking each UnitRemoved for a departure made such a loop write a
 * "gone" and a "returned" row, about two a second for every installed unit it named (measured:
 * 79 rows in 12 s over 4 units), enough to push real history out under db_max_size. A unit whose
 * file is still there has not gone anywhere: it stays watched as last read, and its next UnitNew
 * is nothing new. A transient unit's file goes with it (PID 1 deletes it on unload), and a unit
 * whose file was deleted or masked (a symlink to /dev/null) leaves as before. */
static bool unit_file_present(const Manager *m, const UnitState *u) {
        FileStamp st;

        if (isempty(u->props.fragment_path))
                return false;
        unit_files_stamp_path(&m->files, u->props.fragment_path, &st);
        return st.exists && S_ISREG(st.mode);
}

/* A unit left: mark it gone in the store (history kept) and remember it for its return. */
static void unit_left(Manager *m, UnitState *u, Cause cause, uint64_t now) {
        unit_files_forget(&m->files, u->id);
        if (m->store)
                (void) store_unit_gone(m->store, NULL, u->id, now, cause);
        state_remember_gone(&m->state, u);
}

/* True when the database last scored some present unit with another systemd or scorer version:
 * then the first scan after start-up follows an upgrade (of systemd, or of exposured's tables),
 * and changed scores are the new table's doing, not the units'. */
static bool persisted_by_other_versions(const Manager *m, const char *version) {
        if (!m->persisted)
                return false;
        for (size_t i = 0; i < m->persisted->n_units; i++) {
                const StoreUnit *u = &m->persisted->units[i];
                if (u->gone_usec != 0)
                        continue;
                if ((u->systemd_version && !streq(u->systemd_version, version)) ||
                    (u->scorer_version && !streq(u->scorer_version, SCORER_VERSION)))
                        return true;
        }
        return false;
}

static int cmp_scan_unit(const void *a, const void *b) {
        return strcmp(((const BusScanUnit *) a)->name, ((const BusScanUnit *) b)->name);
}

/* Binary search of units sorted by id (a State's array taken whole); NULL when absent. */
static UnitState *find_sorted(UnitState *const *units, size_t n, const char *id) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(units[mid]->id, id);
                if (c == 0)
                        return units[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* The same score: exposure and every check's badness (the table is the same: a version change
 * is no miss). */
static bool same_score(const ScoreReport *a, const ScoreReport *b) {
        if (a->exposure != b->exposure || a->n_checks != b->n_checks)
                return false;
        for (size_t k = 0; k < a->n_checks; k++)
                if (a->checks[k].assessor != b->checks[k].assessor ||
                    a->checks[k].badness != b->checks[k].badness)
                        return false;
        return true;
}

/* A periodic full scan found what the incremental path had not: count it, say it (the full scan
 * fixes it, as it fixes everything). prev NULL: a unit we did not hold; u NULL: one that left
 * unannounced. */
static void count_miss(Manager *m, const char *id, const UnitState *prev, const UnitState *u) {
        char a[8] = "-", b[8] = "-";

        if (prev)
                (void) render_format_tenths(prev->report.exposure, a);
        if (u)
                (void) render_format_tenths(u->report.exposure, b);
        m->state.n_rescan_misses++;
        log_warning("Missed change of '%s' (held %s, now %s): the incremental rescans had not "
                    "seen it; fixed by the periodic full rescan.", id, a, b);
}

/* The incremental scan's filter: read a listed unit when it is new, was asked for, or its
 * files changed (unit-files.h); one we hold that is no longer loaded is read to confirm. */
static bool want_read(const char *id, const char *load_state, void *userdata) {
        Manager *m = userdata;
        bool held = state_find_unit(&m->state, id);

        if (!streq_ptr(load_state, "loaded"))
                return held;
        return !held || strv_contains(m->scan_units, id) || unit_files_changed(&m->files, id);
}

static bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

/* After a scan: the manager's Features and UnitPath. A change means the stamps do not describe
 * what PID 1 loads any more: the next reload is a full rescan, and after an incremental scan one
 * follows at once. Returns true when one is needed now. */
static bool manager_changed(Manager *m, BusScan *scan, bool incremental) {
        const char *features = bus_scan_features(scan);
        char *const *unit_path = bus_scan_unit_path_list(scan);
        bool changed = false;

        if (features && !streq_ptr(features, m->features)) {
                changed = m->features != NULL;
                free(m->features);
                m->features = xstrdup(features);
        }
        if (unit_path && !strv_equal(unit_path, m->unit_path)) {
                /* The search stamp was taken over another path list. */
                changed = changed || m->unit_path != NULL;
                m->files.have_search = false;
                strv_free(m->unit_path);
                m->unit_path = NULL;
                for (char *const *d = unit_path; *d; d++)
                        strv_push(&m->unit_path, *d);
        }
        return changed && incremental;
}

/* Drop the running scan and whatever was scored of it. */
static void scan_drop(Manager *m) {
        for (size_t i = 0; m->scored && i < m->n_scored; i++)
                unit_state_free(m->scored[i]);
        free(m->scored);
        m->scored = NULL;
        m->n_scored = 0;
        m->score_defer = sd_event_source_disable_unref(m->score_defer);
        m->scan = bus_scan_free(m->scan);
}

/* Judge, keep and store a finished scan whose units are all scored (m->scored), in one turn. */
static void scan_apply(Manager *m) {
        BusScan *scan = m->scan;
        const BusScanStats stats = *bus_scan_stats(scan), *st = &stats;
        Cause cause = m->scan_cause;
        bool full = m->scan_full, incremental = m->scan_incremental, verify = m->scan_verify;
        bool version_changed = m->scan_version_changed, again = false;
        UnitState **old = NULL;
        size_t n_old = 0, n, n_read = 0;
        BusScanUnit *units;
        uint64_t now = now_realtime_usec(), mono = now_monotonic_usec();
        bool baseline;
        int r;

        m->score_defer = sd_event_source_disable_unref(m->score_defer);
        /* score_result() moved each unit's props out of the scan, which is freed below. */
        units = bus_scan_units(scan, &n);
        /* The first full scan with no history known (an empty database, or none reachable):
         * every unit is new, and none of them is news. */
        baseline = full && !m->first_scan_done && (!m->persisted || m->persisted->empty);

        /* A new table scores differently: those are no misses. */
        verify = verify && !version_changed;
        again = manager_changed(m, scan, incremental) || (incremental && version_changed);

        if (full) {
                /* The scan lists every unit in memory: whatever is not in it is gone. Units whose
                 * call failed keep their previous state rather than vanish, and so do the units
                 * an incremental scan did not read. Both lists are sorted by id (the scan's by
                 * on_scan_done()). */
                old = m->state.units;
                n_old = m->state.n_units;
                m->state.units = NULL;
                m->state.n_units = 0;
                for (size_t i = 0; i < n; i++) {
                        UnitState *prev = find_sorted(old, n_old, units[i].name), *u;

                        if (units[i].skipped) {
                                /* Not read: it stays (old[] keeps pointing at it, as below). */
                                if (prev)
                                        (void) state_put(&m->state, prev);
                                continue;
                        }
                        n_read++;
                        u = TAKE_PTR(m->scored[i]);
                        if (u && !streq(u->id, units[i].name))
                                prev = find_sorted(old, n_old, u->id);
                        if (!u && units[i].error >= 0)
                                /* Listed but not loaded: its UnitNew after our read is an
                                 * echo (rescan-limit.h). */
                                rescan_limit_record(&m->limit, units[i].name, true, mono);
                        if (!u && units[i].error < 0 && prev) {
                                /* keep the old one: move it over (old[] keeps pointing at it, so
                                 * that find_sorted() still works; the loops below see it in the
                                 * state and neither call it gone nor free it); read it again
                                 * next time */
                                (void) state_put(&m->state, prev);
                                unit_files_invalidate(&m->files, prev->id);
                                continue;
                        }
                        if (!u)
                                continue;
                        if (verify && !strv_contains(m->scan_units, u->id) && !m->storm_timer &&
                            (prev ? !same_score(&prev->report, &u->report) : true))
                                count_miss(m, u->id, prev, u);
                        u->first_seen_usec = now;
                        inherit(m, u, prev);
                        judge(m, u, prev, cause, baseline, now);
                        unit_files_record(&m->files, &u->props, false);
                        UnitState *dup = state_put(&m->state, u);
                        /* (two listed names with one Id; an old unit stays owned by old[]) */
                        if (dup && dup != find_sorted(old, n_old, dup->id))
                                unit_state_free(dup);
                }
                /* Not listed because the manager unloaded it, its file still there: it stays
                 * (old[] keeps pointing at it, as above). */
                for (size_t j = 0; j < n_old; j++)
                        if (old[j]->unloaded && !state_find_unit(&m->state, old[j]->id) &&
                            unit_file_present(m, old[j]))
                                (void) state_put(&m->state, old[j]);
                for (size_t j = 0; verify && j < n_old; j++)
                        if (!state_find_unit(&m->state, old[j]->id))
                                count_miss(m, old[j]->id, old[j], NULL);
        } else {
                old = xcalloc(n ? n : 1, sizeof(UnitState *));
                for (size_t i = 0; i < n; i++) {
                        UnitState *u = TAKE_PTR(m->scored[i]);
                        rescan_limit_record(&m->limit, units[i].name,
                                            !u && units[i].error >= 0, mono);
                        n_read++;
                        if (!u && units[i].error < 0)
                                unit_files_invalidate(&m->files, units[i].name);
                        if (!u) {
                                if (units[i].error >= 0)
                                        old[n_old++] = state_take(&m->state, units[i].name);
                                continue;
                        }
                        UnitState *prev = state_take(&m->state, u->id);
                        u->first_seen_usec = now;
                        inherit(m, u, prev);
                        judge(m, u, prev, cause, baseline, now);
                        unit_files_record(&m->files, &u->props, false);
                        old[n_old++] = prev;
                        (void) state_put(&m->state, u);
                }
        }

        m->state.last_scan_usec = now;
        m->state.scan_duration_usec = st->elapsed_usec;
        m->state.n_scans++;
        state_changed(&m->state); /* the full scan replaced the unit array wholesale */
        if (incremental)
                m->state.n_incremental_scans++;
        scan_drop(m); /* every unit scored was taken above */
        m->scan_units = strv_free(m->scan_units);
        m->last_scan_end_usec = now_monotonic_usec();

        for (size_t j = 0; j < n_old; j++)
                if (old[j] && !state_find_unit(&m->state, old[j]->id))
                        unit_left(m, old[j], cause, now);

        r = persist(m, cause, st->elapsed_usec);
        if (r < 0)
                store_failed(m, r);
        else
                store_recovered(m);

        for (size_t j = 0; j < n_old; j++)
                if (old[j] && state_find_unit(&m->state, old[j]->id) != old[j])
                        unit_state_free(old[j]);
        free(old);

        if (full) {
                if (!m->first_scan_done)
                        user_watch_trigger(m->user_watch);
                m->first_scan_done = true;
        }
        if (m->first_scan_done && (r >= 0 || m->store))
                notify_ready(m);
        policy_arm_timer(m);
        count_regressions_24h(m);
        check_clock(m);
        update_status(m);
        if (incremental)
                log_debug("Incremental scan done: %zu of %zu units read, %" PRIu64 " calls, "
                          "%.3fs.", n_read, n, st->n_calls,
                          (double) st->elapsed_usec / USEC_PER_SEC);
        else
                log_debug("Scan done: %zu units, %" PRIu64 " calls, %.3fs.", n, st->n_calls,
                          (double) st->elapsed_usec / USEC_PER_SEC);
        if (again) {
                log_debug("The manager's version, features or unit path changed: full rescan.");
                request_full(m, cause);
        }
        arm_coalesce(m);
}

/* Score the next SCORE_CHUNK units of the finished scan (a full scan's unread units are not
 * scored: they keep their state). True when all are. */
static bool score_chunk(Manager *m) {
        size_t n, k = 0;
        BusScanUnit *units = bus_scan_units(m->scan, &n);

        for (; m->n_scored < n && k < SCORE_CHUNK; m->n_scored++) {
                BusScanUnit *bu = units + m->n_scored;

                if (m->scan_full && bu->skipped)
                        continue;
                m->scored[m->n_scored] = score_result(m, bu);
                k++;
        }
        return m->n_scored == n;
}

static int on_score_chunk(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        (void) s;

        if (score_chunk(m))
                scan_apply(m);
        return 0;
}

static void on_scan_done(BusScan *scan, int error, void *userdata) {
        Manager *m = userdata;
        Cause cause = m->scan_cause;
        bool full = m->scan_full, version_changed = false;
        const char *version;
        BusScanUnit *units;
        size_t n;
        int r;

        if (error < 0) {
                /* ListUnits or Version failed (a busy or stuck PID 1: the calls time out). A lost
                 * connection is bus-watch's business (Disconnected); here we only try again. */
                log_warning_errno(error, "Scan failed: %m; retrying.");
                m->scan = bus_scan_free(m->scan);
                m->scan_units = strv_free(m->scan_units);
                if (full)
                        request_full(m, cause);
                else
                        arm_coalesce(m);
                return;
        }

        version = bus_scan_version(scan);
        if (version && !streq_ptr(version, m->state.systemd_version)) {
                unsigned major = 0;
                (void) bus_scan_parse_version(version, &major);
                if (m->state.systemd_version || persisted_by_other_versions(m, version))
                        cause = CAUSE_SYSTEMD_UPGRADE;
                version_changed = m->state.systemd_version != NULL;
                free(m->state.systemd_version);
                m->state.systemd_version = xstrdup(version);
                m->state.systemd_major = major;
                if (!m->config->systemd_version) {
                        const ScoreTable *t = manager_table(m);

                        if (m->state.table_choice.checked == SCORE_CHECKED_NEWER ||
                            m->state.table_choice.checked == SCORE_CHECKED_OLDER)
                                log_warning("systemd '%s' is %s than every scoring table: scoring "
                                            "with the table for %s, which was not checked on "
                                            "it.", version,
                                            m->state.table_choice.checked ==
                                                            SCORE_CHECKED_NEWER
                                                    ? "newer"
                                                    : "older",
                                            t->name);
                }
        }

        m->scan_cause = cause;
        m->scan_version_changed = version_changed;
        /* In id order, each unit of a full scan lands at the end of the sorted state
         * (state_put() would move half the array for every unit of ListUnits' hash order). */
        units = bus_scan_units(scan, &n);
        if (full)
                qsort(units, n, sizeof(BusScanUnit), cmp_scan_unit);
        m->scored = xcalloc(n ? n : 1, sizeof(UnitState *));
        m->n_scored = 0;
        /* A scan of a few units (the usual incremental one) is applied in this turn. */
        if (score_chunk(m)) {
                scan_apply(m);
                return;
        }
        r = sd_event_add_defer(m->event, &m->score_defer, on_score_chunk, m);
        if (r >= 0)
                /* a defer source is SD_EVENT_ONESHOT by default: once per turn until done */
                r = sd_event_source_set_enabled(m->score_defer, SD_EVENT_ON);
        if (r < 0) {
                m->score_defer = sd_event_source_disable_unref(m->score_defer);
                log_warning_errno(r, "Failed to defer scoring: %m; scoring all units now.");
                while (!score_chunk(m))
                        ;
                scan_apply(m);
        }
}

static void start_scan(Manager *m) {
        sd_bus *bus = bus_watch_get_bus(m->watch);
        _cleanup_(bus_scan_freep) BusScan *scan = NULL;
        char **names = NULL;
        int r;

        m->coalesce_timer = sd_event_source_disable_unref(m->coalesce_timer);
        if (m->scan || !bus)
                return; /* rescheduled when the scan ends or the bus returns */

        r = bus_scan_new(bus, 0, CALL_TIMEOUT_USEC, &scan);
        if (r < 0) {
                log_error_errno(r, "Failed to create a scan: %m");
                return;
        }
        m->scan_full = m->pending_full || m->pending_incremental;
        m->scan_incremental = !m->pending_full && m->pending_incremental;
        m->scan_verify = m->pending_full && m->pending_full_cause == CAUSE_PERIODIC &&
                         m->first_scan_done;
        /* Whatever a full or incremental scan reads, it answers the unit requests too. */
        m->scan_units = strv_free(m->scan_units);
        if (m->pending_full) {
                m->scan_cause = m->pending_full_cause;
                m->scan_units = TAKE_PTR(m->pending_units);
        } else if (m->pending_incremental) {
                m->scan_cause = m->pending_incremental_cause;
                m->scan_units = TAKE_PTR(m->pending_units);
                bus_scan_set_filter(scan, want_read, m);
        } else {
                m->scan_cause = m->pending_units_cause;
                names = TAKE_PTR(m->pending_units);
        }
        m->pending_full = m->pending_incremental = false;
        r = bus_scan_start(scan, names, on_scan_done, m);
        strv_free(names);
        if (r < 0) {
                /* Could not even queue the first call: the connection is broken. */
                log_warning_errno(r, "Failed to start a scan: %m; reconnecting.");
                m->pending_full = true;
                m->scan_units = strv_free(m->scan_units);
                bus_watch_reconnect(m->watch);
                return;
        }
        m->scan = TAKE_PTR(scan);
}

/* ---- bus events ---- */

static void on_host_info(HostInfoQuery *q, int machine_id_error, int hostnamed_error,
                         void *userdata) {
        Manager *m = userdata;
        (void) q;

        state_changed(&m->state); /* the host's identity is in /metrics and the API */
        if (machine_id_error < 0)
                log_warning_errno(machine_id_error, "Failed to get the manager's machine ID: %m, "
                                  "ignoring.");
        if (hostnamed_error < 0)
                log_debug_errno(hostnamed_error, "systemd-hostnamed not reachable: %m; using "
                                "uname().");
        log_debug("Host: '%s', machine ID %s, OS '%s' '%s', kernel '%s'.",
                  m->state.host.hostname ?: "", m->state.host.machine_id ?: "-",
                  m->state.host.os_id ?: "", m->state.host.os_version_id ?: "",
                  m->state.host.kernel ?: "");
}

/* The identity is read again on every (re)connect and reload: cheap (two calls), and a
 * reconnect may mean a different manager (a container restarted under the same socket path). */
static void refresh_host_info(Manager *m) {
        sd_bus *bus = bus_watch_get_bus(m->watch);
        int r;

        m->host_query = host_info_query_free(m->host_query);
        if (!bus)
                return;
        r = host_info_query_start(bus, m->config->os_root, CALL_TIMEOUT_USEC, &m->state.host,
                                  on_host_info, m, &m->host_query);
        if (r < 0)
                log_warning_errno(r, "Failed to ask for the host's identity: %m, ignoring.");
}

static void on_watch(BusWatch *w, WatchEvent ev, const char *unit, void *userdata) {
        Manager *m = userdata;
        (void) w;

        switch (ev) {
        case WATCH_CONNECTED:
                m->state.bus_up = true;
                state_changed(&m->state);
                refresh_host_info(m);
                request_full(m, m->first_scan_done ? CAUSE_RELOAD : CAUSE_STARTUP);
                update_status(m);
                break;
        case WATCH_DISCONNECTED:
                /* The scan's connection is gone: drop it, rescan everything on reconnect. */
                if (m->scan) {
                        scan_drop(m);
                        m->scan_units = strv_free(m->scan_units);
                        m->pending_full = true;
                }
                m->host_query = host_info_query_free(m->host_query);
                m->state.bus_up = false;
                state_changed(&m->state);
                update_status(m);
                break;
        case WATCH_RELOADING:
                m->reload_stamp = unit_files_search_stamp(&m->files, m->unit_path);
                m->have_reload_stamp = true;
                break;
        case WATCH_RELOADED:
                refresh_host_info(m);
                request_reload(m, CAUSE_RELOAD);
                break;
        case WATCH_UNIT_NEW: {
                /* A unit we already hold fresh data for is re-announced when a read of ours
                 * loads it again: rescanning it would loop. Real changes come with Reloading.
                 * One we kept through an unload is loaded again from the same file. */
                UnitState *u = state_find_unit(&m->state, unit);
                if (u)
                        u->unloaded = false;
                else
                        request_unit(m, unit, CAUSE_UNIT_NEW, true);
                break;
        }
        case WATCH_UNIT_CHANGED:
                request_unit(m, unit, CAUSE_UNIT_CHANGED, false);
                break;
        case WATCH_UNIT_REMOVED: {
                UnitState *u = state_find_unit(&m->state, unit);
                if (u && unit_file_present(m, u)) {
                        log_debug("'%s' unloaded by the manager, its unit file is still there: "
                                  "still watched.", unit);
                        u->unloaded = true;
                        break;
                }
                u = state_take(&m->state, unit);
                if (u) {
                        unit_left(m, u, CAUSE_UNIT_REMOVED, now_realtime_usec());
                        unit_state_free(u);
                        update_status(m);
                }
                break;
        }
        default:
                break;
        }
}

/* ---- timers ---- */

static uint64_t now_boottime_usec(void) {
        struct timespec ts;
        if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
                return now_monotonic_usec();
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* After a scan: a wall clock that moved an hour more than the time that passed since the last
 * prune pass jumped; prune now, so that the event explaining it comes at once, not within the
 * hour. */
static void check_clock(Manager *m) {
        uint64_t elapsed;

        if (m->prune_boot_usec == 0 || !m->prune_timer || m->config->retention_usec == 0)
                return;
        elapsed = now_boottime_usec() - m->prune_boot_usec;
        if (now_realtime_usec() > m->prune_real_usec + elapsed + PRUNE_INTERVAL_USEC)
                (void) sd_event_source_set_time_relative(m->prune_timer, 0);
}

/* Hourly: the whole file is checked (read from disk: a damaged page that no write touches is found
 * too), then rows older than the retention go, by a cutoff that wall-clock jumps cannot push
 * (store_retention_cutoff()). */
static int on_prune_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_realtime_usec(), boot = now_boottime_usec(), n = 0, want, cut;
        uint64_t retention = m->config->retention_usec;
        bool first = m->prune_boot_usec == 0;
        int r;

        (void) sd_event_source_set_time_relative(s, PRUNE_INTERVAL_USEC);
        (void) usec;
        if (!m->store)
                return 0;
        r = store_check(m->store);
        if (r == -EBADMSG) {
                r = reset_store(m, r, "while running (by the hourly check)");
                if (r < 0)
                        store_failed(m, r);
                return 0;
        }
        if (retention == 0)
                return 0;
        want = now > retention ? now - retention : 0;
        cut = store_retention_cutoff(want, retention, m->last_stored_usec, first,
                                     m->prune_cutoff_usec, first ? 0 : boot - m->prune_boot_usec);
        bool held = want > cut + STORE_CUTOFF_SLACK_USEC;
        if (held && !m->prune_held) {
                char t_now[32], t_cut[32], t_want[32], t_last[32], msg[512];
                format_time(now, t_now);
                format_time(cut, t_cut);
                format_time(want, t_want);
                format_time(m->last_stored_usec, t_last);
                if (first)
                        (void) snprintf(msg, sizeof msg, "The wall clock reads %s, long after the "
                                        "newest stored row (%s): the daemon was down, or the clock "
                                        "jumped. Retention counts from the stored time: it prunes "
                                        "rows before %s, not before %s, and then as time passes.",
                                        t_now, t_last, t_cut, t_want);
                else
                        (void) snprintf(msg, sizeof msg, "The wall clock jumped forward to %s, "
                                        "ahead of the time that passed. Retention follows the "
                                        "time that passed: it prunes rows before %s, not before "
                                        "%s.", t_now, t_cut, t_want);
                database_event(m, LOG_WARNING, msg, NULL);
        }
        m->prune_held = held;
        m->prune_cutoff_usec = cut;
        m->prune_boot_usec = boot > 0 ? boot : 1;
        m->prune_real_usec = now;
        if (cut == 0)
                return 0;
        r = store_prune(m->store, cut, &n);
        if (r < 0)
                log_warning_errno(r, "Failed to prune the history: %m, ignoring.");
        else if (n > 0)
                log_info("Pruned %" PRIu64 " history rows older than the retention period.", n);
        return 0;
}

static int on_periodic_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) usec;
        (void) sd_event_source_set_time_relative(s, m->config->rescan_interval_usec);
        request_full(m, CAUSE_PERIODIC);
        return 0;
}

/* SIGUSR1: the periodic full rescan now (it counts misses); for tests and for the curious. */
static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) si;
        log_debug("SIGUSR1: full rescan, compared with what the incremental rescans kept.");
        request_full(m, CAUSE_PERIODIC);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) si;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        return sd_event_exit(m->event, 0);
}

/* ---- lifecycle ---- */

/* ---- user managers (user_managers = lingering) ---- */

/* Passes repeat every minute besides inotify: they catch a missed event and a directory that
 * appeared after start-up. */
#define USER_REPORTS_INTERVAL_USEC (60 * USEC_PER_SEC)

static const UserReport *user_seen(const Manager *m, uid_t uid) {
        for (size_t i = 0; i < m->n_user_seen; i++)
                if (m->user_seen[i].uid == uid)
                        return &m->user_seen[i];
        return NULL;
}

/* Log what changed since the last pass: a report refused (once per kind of problem), a user's
 * units appearing or their number changing, a user gone. */
static void log_user_reports(const Manager *m, const UserReport *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const UserReport *prev = user_seen(m, l[i].uid);

                if (l[i].error == -ENODATA)
                        continue; /* being written: the next pass reads it */
                if (l[i].error < 0) {
                        if (!prev || prev->error != l[i].error)
                                log_warning("Report %s/%lu.props of user '%s' refused: %s (line "
                                            "%u), ignoring.", USER_REPORTS_DIR,
                                            (unsigned long) l[i].uid, l[i].user,
                                            user_report_strerror(l[i].error), l[i].error_line);
                } else if (!prev || prev->error < 0 || prev->n_units != l[i].n_units)
                        log_info("User manager of '%s' (uid %lu): %zu services.", l[i].user,
                                 (unsigned long) l[i].uid, l[i].n_units);
        }
        for (size_t i = 0; i < m->n_user_seen; i++) {
                bool found = false;

                for (size_t j = 0; j < n && !found; j++)
                        found = l[j].uid == m->user_seen[i].uid;
                if (!found)
                        log_info("User manager of '%s' (uid %lu): no report any more.",
                                 m->user_seen[i].user, (unsigned long) m->user_seen[i].uid);
        }
}

static void remember_user_reports(Manager *m, const UserReport *l, size_t n) {
        UserReport *seen = xcalloc(n ? n : 1, sizeof(UserReport));

        for (size_t i = 0; i < n; i++) {
                /* an incomplete report stands for the previous one (its units were kept) */
                const UserReport *prev = l[i].error == -ENODATA ? user_seen(m, l[i].uid) : NULL,
                                 *from = prev ? prev : &l[i];

                seen[i] = (UserReport) {
                        .uid = l[i].uid,
                        .user = xstrdup(l[i].user),
                        .n_units = from->n_units,
                        .error = from->error,
                };
        }
        user_reports_free(m->user_seen, m->n_user_seen);
        m->user_seen = seen;
        m->n_user_seen = n;
}

/* A (user, unit) key for bsearch() over StoreCurrent.user_units (sorted by manager, then name). */
typedef struct UserUnitKey {
        const char *user;
        const char *id;
} UserUnitKey;

static int cmp_store_user_unit(const void *key, const void *elem) {
        const UserUnitKey *k = key;
        const StoreUnit *a = elem;
        int c = strcmp(k->user, a->manager);
        return c != 0 ? c : strcmp(k->id, a->name);
}

/* The database's row of user's unit id as it was when the store was opened, or NULL (as
 * persisted_unit() for the system's). */
static const StoreUnit *persisted_user_unit(const Manager *m, const char *user, const char *id) {
        if (!m->persisted || m->persisted->n_user_units == 0)
                return NULL;
        return bsearch(&(UserUnitKey) { user, id }, m->persisted->user_units,
                       m->persisted->n_user_units, sizeof(StoreUnit), cmp_store_user_unit);
}

/* Has the database (when opened) any unit of user? */
static bool persisted_user_any(const Manager *m, const char *user) {
        for (size_t i = 0; m->persisted && i < m->persisted->n_user_units; i++)
                if (streq(m->persisted->user_units[i].manager, user))
                        return true;
        return false;
}

/* The previous unit of (user, id) in old, or NULL; is any unit of user there (*ret_known)? A
 * linear walk: the slots of incomplete reports' units are NULL by now (user_units_build()), and
 * a few lingering users' services are few. */
static const UnitState *old_user_unit(UnitState *const *old, size_t n_old, const char *user,
                                      const char *id, bool *ret_known) {
        const UnitState *found = NULL;

        *ret_known = false;
        for (size_t i = 0; i < n_old; i++)
                if (old[i] && streq(old[i]->user, user)) {
                        *ret_known = true;
                        if (streq(old[i]->id, id))
                                found = old[i];
                }
        return found;
}

/* Take the units of old that are not in units (n) into m->user_gone (their slots become NULL),
 * and drop from it those that are back. */
static void remember_user_gone(Manager *m, UnitState **old, size_t n_old, UnitState **units,
                               size_t n) {
        bool known;

        for (size_t i = 0; i < m->n_user_gone;)
                if (old_user_unit(units, n, m->user_gone[i]->user, m->user_gone[i]->id, &known)) {
                        unit_state_free(m->user_gone[i]);
                        m->user_gone[i] = m->user_gone[--m->n_user_gone];
                } else
                        i++;
        for (size_t i = 0; i < n_old; i++) {
                if (!old[i] || old_user_unit(units, n, old[i]->user, old[i]->id, &known))
                        continue;
                m->user_gone = xrealloc(m->user_gone, (m->n_user_gone + 1) * sizeof(UnitState *));
                m->user_gone[m->n_user_gone++] = old[i];
                old[i] = NULL;
        }
}

/* Judge a user unit's new score as judge() does a system one's, against its previous score
 * (prev, in memory), else its database row at start-up (the daemon restarted): counts a
 * regression or an improvement (exposured_regressions_total{user=...}) and logs it. The first
 * report of a user the daemon never knew (no unit in memory, none in the database) is that
 * user's baseline: no first score there is news, as in the first system scan. Policy is the
 * system's units' only. */
static void judge_user_unit(Manager *m, UnitState *u, const UnitState *prev, bool user_known) {
        StoreVerdict nv[SCORE_ROWS_MAX], ov[SCORE_ROWS_MAX];
        const StoreUnit *su = prev ? NULL : persisted_user_unit(m, u->user, u->id);
        ClassifyRules rules = {
                .cause = CAUSE_UNIT_CHANGED,
                .baseline = !user_known && !prev && !su && !persisted_user_any(m, u->user),
                .new_unit_threshold = m->config->new_unit_threshold,
        };
        ClassifyScore new = { .exposure = (int) u->report.exposure, .verdicts = nv };
        ClassifyScore old = { .exposure = -1 };
        char before[8], after[8];

        new.n_verdicts = store_verdicts_from_report(&u->report, nv);
        if (prev) {
                old = (ClassifyScore) { .exposure = (int) prev->report.exposure, .verdicts = ov };
                old.n_verdicts = store_verdicts_from_report(&prev->report, ov);
                u->stored_exposure = prev->stored_exposure;
                u->regressions = prev->regressions;
                u->improvements = prev->improvements;
                u->first_seen_usec = prev->first_seen_usec; /* prev may be one that came back */
                u->last_change_usec = prev->last_change_usec;
        } else if (su) {
                old = (ClassifyScore) { .exposure = (int) su->exposure,
                                        .verdicts = su->verdicts,
                                        .n_verdicts = su->n_verdicts };
                u->stored_exposure = (int) su->exposure;
                u->regressions = su->regressions;
                u->improvements = su->improvements;
                u->first_seen_usec = su->first_seen_usec;
                u->last_change_usec = su->last_change_usec;
        }
        u->user_baseline = rules.baseline || (prev && prev->user_baseline);
        Classification c = classify_change(&rules, &old, &new);
        u->unstored = !(prev && !prev->unstored && !c.changed);
        if (!c.changed)
                return;
        u->last_change_usec = now_realtime_usec();
        if (c.kind == EVENT_REGRESSION) {
                u->regressions++;
                m->regressions_24h++;
        } else if (c.kind == EVENT_IMPROVEMENT)
                u->improvements++;
        if (c.kind != EVENT_REGRESSION && c.kind != EVENT_IMPROVEMENT &&
            c.kind != EVENT_NEW_EXPOSED)
                return;
        if (old.exposure >= 0)
                (void) render_format_tenths((unsigned) old.exposure, before);
        (void) render_format_tenths(u->report.exposure, after);
        (void) log_full_errno(c.kind == EVENT_IMPROVEMENT ? LOG_NOTICE : LOG_WARNING, 0,
                              "%s of user '%s': %s, exposure %s -> %s.", u->id, u->user,
                              event_kind_to_string(c.kind), old.exposure >= 0 ? before : "none",
                              after);
}

/* Store the user units whose rows may differ, as persist() does the system's, in one
 * transaction; the kind of each row is classified against what the database holds. A failed
 * write leaves them unstored: the next pass (a minute at most) hands them over again. */
static void persist_user_units(Manager *m, UnitState **units, size_t n) {
        StoreVerdict verdicts[SCORE_ROWS_MAX];
        uint64_t now = now_realtime_usec();
        size_t n_unstored = 0;
        int r;

        for (size_t i = 0; i < n; i++)
                n_unstored += units[i]->unstored;
        if (!m->store || m->store_failing || n_unstored == 0)
                return;
        r = store_begin(m->store);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                UnitState *u = units[i];
                if (!u->unstored)
                        continue;
                ClassifyRules rules = {
                        .cause = CAUSE_UNIT_CHANGED,
                        .baseline = u->user_baseline,
                        .new_unit_threshold = m->config->new_unit_threshold,
                };
                ClassifyScore old = { .exposure = u->stored_exposure },
                              new = { .exposure = (int) u->report.exposure };
                r = store_add_score(m->store, &(StoreScore) {
                        .unit = u->id,
                        .manager = u->user,
                        .time_usec = now,
                        .exposure = u->report.exposure,
                        .predicate = u->report.predicate,
                        .verdicts = verdicts,
                        .n_verdicts = store_verdicts_from_report(&u->report, verdicts),
                        .systemd_version = m->state.systemd_version,
                        .scorer_version = SCORER_VERSION,
                        .cause = CAUSE_UNIT_CHANGED,
                        .kind = classify_change(&rules, &old, &new).kind,
                });
        }
        if (r >= 0)
                r = store_commit(m->store);
        else
                store_rollback(m->store);
        if (r < 0) {
                store_failed(m, r);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                units[i]->stored_exposure = (int) units[i]->report.exposure;
                units[i]->unstored = false;
        }
}

/* Read the reports and replace the user units; scored with the system manager's table (the user
 * managers run the same systemd), so nothing is read before the first system scan. */
static void on_user_reports(UserWatch *w, void *userdata) {
        Manager *m = userdata;
        UserReport *l = NULL;
        UnitState **units = NULL;
        size_t n = 0, n_units = 0;
        int r;

        (void) w;
        if (!m->state.systemd_version)
                return; /* the first full scan triggers a pass */
        r = user_reports_read_dir(USER_REPORTS_DIR, &l, &n);
        if (r < 0) {
                log_warning_errno(r, "Failed to read %s, ignoring: %m", USER_REPORTS_DIR);
                return;
        }
        log_user_reports(m, l, n);
        r = user_units_build(l, n, manager_table(m), m->state.user_units, m->state.n_user_units,
                             now_realtime_usec(), &units, &n_units);
        if (r < 0)
                log_error("Failed to score the user managers' units, ignoring.");
        else {
                for (size_t i = 0; i < n_units; i++) {
                        bool known;
                        const UnitState *prev;

                        if (!units[i]->fresh)
                                continue; /* kept from old (an incomplete report): as it was */
                        prev = old_user_unit(m->state.user_units, m->state.n_user_units,
                                             units[i]->user, units[i]->id, &known);
                        if (!prev) {
                                bool was_known;
                                prev = old_user_unit(m->user_gone, m->n_user_gone,
                                                     units[i]->user, units[i]->id, &was_known);
                                known = known || was_known;
                        }
                        judge_user_unit(m, units[i], prev, known);
                        units[i]->fresh = false;
                }
                persist_user_units(m, units, n_units);
                remember_user_gone(m, m->state.user_units, m->state.n_user_units, units,
                                   n_units);
                state_set_user_units(&m->state, units, n_units);
                m->state.n_user_managers = n;
        }
        remember_user_reports(m, l, n);
        user_reports_free(l, n);
}

int manager_new(Config *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = xcalloc(1, sizeof(Manager));
        sigset_t ss;
        int r;

        m->config = config;
        m->state.start_usec = now_realtime_usec();
        unit_files_set_root(&m->files, config->os_root);

        /* The default action for SIGTERM and SIGINT during start-up (step 4 below), also when
         * our parent left them ignored: a shell's background job (`cmd &`) inherits SIGINT and
         * SIGQUIT ignored, and a stop by Ctrl-C or kill -INT then did nothing until the loop ran. */
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGINT, SIG_DFL);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        (void) sd_event_set_watchdog(m->event, true);

        /* 1. the store: migrated before anything is served. A failure is not fatal: we watch and
         * serve from memory and retry. */
        m->state.db = (DbHealth) { .known = true };
        r = open_store(m);
        if (r < 0)
                store_failed(m, r);
        else
                m->state.db.write_ok = true; /* migrated: nothing failed yet */

        /* 2. HTTP: listening before READY=1. The key and certificate are wiped as soon as MHD has
         * handed them to GnuTLS (when this block ends). */
        _cleanup_(credential_freep) char *tls_key = NULL, *tls_cert = NULL;
        r = secrets_load_tls(config, &tls_key, &tls_cert);
        if (r >= 0)
                r = secrets_load_token(config, &m->token);
        if (r < 0)
                return r;
        HttpServerConfig hc = {
                .listen = config->listen,
                .n_listen = config->n_listen,
                .use_listen_fds = true,
                .only_listen_fds = config->n_listen == 0, /* listen = (empty) */
                .connection_limit = config->max_connections,
                .per_ip_limit = config->max_connections_per_address,
                .readers_limit = config->max_reading_connections,
                .head_deadline_sec = (unsigned) (config->request_head_timeout_usec / USEC_PER_SEC),
                .timeout_sec = (unsigned) (config->idle_timeout_usec / USEC_PER_SEC),
                .tls_key = tls_key,
                .tls_certificate = tls_cert,
                .token = m->token,
                .allowed_hosts = config->allowed_hosts,
        };
        m->http_ctx = (HttpContext) {
                .state = &m->state,
                .store = &m->store, /* read per request: sees a reopened database */
                .cache = &m->render_cache,
                .render = { .version = EXPOSURED_VERSION,
                            .per_check_metrics = config->per_check_metrics },
        };
        r = http_server_new(m->event, &hc, &http_host_routes, &m->http_ctx, &m->http);
        tls_key = credential_free(tls_key);
        tls_cert = credential_free(tls_cert);
        if (r < 0)
                return r;
        /* Hold requests until the first scan is in, at most SERVE_WAIT_USEC. */
        http_server_set_paused(m->http, true);
        r = sd_event_add_time_relative(m->event, &m->serve_timer, CLOCK_MONOTONIC,
                                       SERVE_WAIT_USEC, USEC_PER_SEC, on_serve_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the serve timer: %m");

        /* 3. the bus: WATCH_CONNECTED starts the first full scan. */
        r = bus_watch_new(m->event, CALL_TIMEOUT_USEC, on_watch, m, &m->watch);
        if (r < 0)
                return log_error_errno(r, "Failed to create the bus watcher: %m");

        r = sd_event_add_time_relative(m->event, &m->prune_timer, CLOCK_MONOTONIC, USEC_PER_SEC,
                                       USEC_PER_SEC, on_prune_timer, m);
        if (r >= 0)
                (void) sd_event_source_set_enabled(m->prune_timer, SD_EVENT_ON);
        if (r >= 0 && config->rescan_interval_usec > 0) {
                r = sd_event_add_time_relative(m->event, &m->periodic_timer, CLOCK_MONOTONIC,
                                               config->rescan_interval_usec, USEC_PER_SEC,
                                               on_periodic_timer, m);
                if (r >= 0)
                        (void) sd_event_source_set_enabled(m->periodic_timer, SD_EVENT_ON);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to arm timers: %m");
        if (config->user_managers) {
                r = user_watch_new(m->event, USER_REPORTS_DIR, USER_REPORTS_INTERVAL_USEC,
                                   on_user_reports, m, &m->user_watch);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch %s: %m", USER_REPORTS_DIR);
        }

        /* 4. SIGTERM and SIGINT: blocked and read by the loop only now, at the end of start-up.
         * Until here they keep their default action and end the process at once: the steps above
         * (the store's quick_check and migrations, which grow with the database; credentials)
         * have nothing to undo that the kernel and SQLite's journal do not, and a signal blocked
         * from the start was held until the loop ran, for as long as start-up took (0.7 s with
         * a 300 MB database in the page cache, far more cold), while systemd waits to stop us.
         * systemd counts death by SIGTERM/SIGINT as a clean exit. */
        (void) sigemptyset(&ss);
        (void) sigaddset(&ss, SIGTERM);
        (void) sigaddset(&ss, SIGINT);
        (void) sigaddset(&ss, SIGHUP);
        (void) sigaddset(&ss, SIGUSR1);
        (void) sigprocmask(SIG_BLOCK, &ss, NULL);
        r = sd_event_add_signal(m->event, &m->sigterm, SIGTERM, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint, SIGINT, on_signal, m);
        /* SIGHUP (ExecReload=, `systemctl reload`): read the unit policy again. */
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup, SIGHUP, on_sighup, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigusr1, SIGUSR1, on_sigusr1, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        r = bus_watch_start(m->watch);
        if (r < 0)
                return r;
        update_status(m);
        return 0;
}

int manager_load_policy(Manager *m, const char *dir) {
        free(m->policy_dir);
        m->policy_dir = xstrdup(dir);
        return policy_load(m);
}

void manager_set_bus_connect(Manager *m, BusWatchConnect connect, void *userdata) {
        bus_watch_set_connect(m->watch, connect, userdata);
}

const State *manager_get_state(const Manager *m) {
        return &m->state;
}

sd_event *manager_get_event(const Manager *m) {
        return m->event;
}

int manager_run(Manager *m) {
        int r;

        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;
        r = sd_event_loop(m->event);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* reverse order of manager_new() */
        scan_drop(m);
        m->user_watch = user_watch_free(m->user_watch);
        user_reports_free(m->user_seen, m->n_user_seen);
        for (size_t i = 0; i < m->n_user_gone; i++)
                unit_state_free(m->user_gone[i]);
        free(m->user_gone);
        m->serve_timer = sd_event_source_disable_unref(m->serve_timer);
        m->policy_timer = sd_event_source_disable_unref(m->policy_timer);
        m->periodic_timer = sd_event_source_disable_unref(m->periodic_timer);
        m->prune_timer = sd_event_source_disable_unref(m->prune_timer);
        m->coalesce_timer = sd_event_source_disable_unref(m->coalesce_timer);
        m->storm_timer = sd_event_source_disable_unref(m->storm_timer);
        m->store_retry_timer = sd_event_source_disable_unref(m->store_retry_timer);
        m->host_query = host_info_query_free(m->host_query);
        m->watch = bus_watch_free(m->watch);
        m->http = http_server_free(m->http);
        render_cache_done(&m->render_cache);
        m->token = credential_free(m->token);
        m->persisted = store_current_free(m->persisted);
        m->store = store_free(m->store);
        m->sighup = sd_event_source_disable_unref(m->sighup);
        m->sigusr1 = sd_event_source_disable_unref(m->sigusr1);
        m->sigint = sd_event_source_disable_unref(m->sigint);
        m->sigterm = sd_event_source_disable_unref(m->sigterm);
        m->event = sd_event_unref(m->event);
        strv_free(m->pending_units);
        strv_free(m->scan_units);
        strv_free(m->unit_path);
        free(m->features);
        unit_files_done(&m->files);
        rescan_limit_done(&m->limit);
        state_done(&m->state);
        policy_pending_clear(m);
        free(m->policy_pending);
        strv_free(m->policy_over);
        m->policy = unit_policy_free(m->policy);
        free(m->policy_error);
        free(m->policy_dir);
        config_free(m->config);
        free(m);
        return NULL;
}
