/* SPDX-License-Identifier: MIT */
/* The manager's decisions, end to end through the real modules: a Manager on the systemd1 peer
 * (systemd-peer.h, a real sd-bus connection pair), a real SQLite file, the real scorer. Checked:
 * the first full scan; a burst of unit events coalesced into one unit rescan; a reload (with unit
 * events mixed in) into one full rescan; UnitNew for a unit we hold costs nothing; UnitRemoved and
 * a return; regressions and improvements judged, counted and logged with the database down;
 * counters and history persisted and inherited across a restart; a database that comes back
 * catching up; no read loop on units PID 1 does not have (issue 16); an installed unit PID 1
 * unloads stays watched. Log lines are read from
 * stderr (LOG_TARGET=stderr, as `make check-unit` sets). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "http-fixture.h"
#include "log.h"
#include "manager.h"
#include "rescan-limit.h"
#include "store.h"
#include "systemd-peer.h"
#include "util.h"

#define OK(x) assert_true((x) >= 0)
#define SEC 1000000ULL
#define MSEC 1000ULL
#define COALESCE_USEC (50 * MSEC)

typedef struct Fixture {
        char dir[64];
        char db[128];
        Manager *m;
        SystemdPeer peer;
        sd_event *event;
        unsigned wait_scans;
        int saved_stderr; /* while capturing */
        char log_path[128];
} Fixture;

static Config *make_config(const char *db, unsigned threshold) {
        Config *c = config_new();

        free(c->db);
        c->db = xstrdup(db);
        /* An ephemeral port (config_parse refuses 0, the HTTP server takes it): tests may run
         * next to a daemon on the default port. */
        fixture_listen_done(&c->listen[0]);
        c->listen[0] = fixture_listen("127.0.0.1", 0);
        c->tls = CONFIG_NO;
        c->token = CONFIG_NO;
        c->rescan_interval_usec = 0;
        c->rescan_coalesce_usec = COALESCE_USEC;
        c->db_retry_usec = 200 * MSEC;
        c->new_unit_threshold = threshold;
        return c;
}

static const State *state_of(const Fixture *f) {
        return manager_get_state(f->m);
}

static bool enough_scans(void *userdata) {
        Fixture *f = userdata;
        return state_of(f)->n_scans >= f->wait_scans;
}

/* Run until the manager completed n scans in all (fails after 5 s). */
static void wait_scans(Fixture *f, unsigned n) {
        f->wait_scans = n;
        if (!systemd_peer_run_until(f->event, enough_scans, f, 5 * SEC))
                fail_msg("%" PRIu64 " scans, %u expected", state_of(f)->n_scans, n);
}

/* Let every timer that is due fire: a few coalescing periods. */
static void settle(Fixture *f) {
        systemd_peer_run_for(f->event, 6 * COALESCE_USEC);
}

static void start_manager(Fixture *f, unsigned threshold) {
        OK(manager_new(make_config(f->db, threshold), &f->m));
        f->event = manager_get_event(f->m);
        f->peer.event = sd_event_ref(f->event);
        manager_set_bus_connect(f->m, systemd_peer_connect, &f->peer);
        OK(manager_start(f->m));
        wait_scans(f, 1);
        assert_int_equal(f->peer.n_list_units, 1);
        settle(f);
}

/* Keep the peer's units across a restart: only the connection and the loop are new. */
static void stop_manager(Fixture *f) {
        f->m = manager_free(f->m);
        f->peer.server = sd_bus_flush_close_unref(f->peer.server);
        f->peer.event = sd_event_unref(f->peer.event);
        f->event = NULL;
}

static void restart_manager(Fixture *f, unsigned threshold) {
        stop_manager(f);
        OK(manager_new(make_config(f->db, threshold), &f->m));
        f->event = manager_get_event(f->m);
        f->peer.event = sd_event_ref(f->event);
        f->peer.n_list_units = 0;
        manager_set_bus_connect(f->m, systemd_peer_connect, &f->peer);
        OK(manager_start(f->m));
        wait_scans(f, 1);
        settle(f);
}

static void capture_start(Fixture *f) {
        int fd;

        (void) snprintf(f->log_path, sizeof f->log_path, "%s/log", f->dir);
        fd = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        OK(fd);
        f->saved_stderr = dup(STDERR_FILENO);
        OK(f->saved_stderr);
        OK(dup2(fd, STDERR_FILENO));
        (void) close(fd);
}

/* Stop capturing; returns what was logged (free it). */
static char *capture_end(Fixture *f) {
        char *text = NULL;
        size_t len = 0;
        FILE *in;

        OK(dup2(f->saved_stderr, STDERR_FILENO));
        (void) close(f->saved_stderr);
        in = fopen(f->log_path, "re");
        assert_non_null(in);
        text = xmalloc(1 << 16);
        len = fread(text, 1, (1 << 16) - 1, in);
        text[len] = 0;
        (void) fclose(in);
        return text;
}

static size_t count(const char *haystack, const char *needle) {
        size_t n = 0;
        for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static int setup(void **state) {
        Fixture *f = xcalloc(1, sizeof(Fixture));

        (void) snprintf(f->dir, sizeof f->dir, "/tmp/test-manager-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        (void) snprintf(f->db, sizeof f->db, "%s/h.db", f->dir);
        systemd_peer_init(&f->peer, NULL); /* the loop comes with the manager */
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        const char *files[] = { "h.db", "h.db-wal", "h.db-shm", "log", "unit" };
        char p[192];

        stop_manager(f);
        systemd_peer_done(&f->peer);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                (void) snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
                (void) unlink(p);
        }
        (void) snprintf(p, sizeof p, "%s/sub", f->dir);
        (void) rmdir(p);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static const UnitState *unit(const Fixture *f, const char *id) {
        return state_find_unit(state_of(f), id);
}

static void test_scheduling(void **state) {
        Fixture *f = *state;
        unsigned getall;

        systemd_peer_add_unit(&f->peer, "a.service", true);
        systemd_peer_add_unit(&f->peer, "b.service", true);
        systemd_peer_add_unit(&f->peer, "c.service", true);
        start_manager(f, 90);
        assert_int_equal(state_of(f)->n_units, 3);
        assert_int_equal(state_of(f)->n_scans, 1);
        assert_string_equal(state_of(f)->systemd_version, "252.39-1~deb12u2");
        assert_int_equal(state_of(f)->systemd_major, 252);

        /* A burst of unit events: one unit rescan of the services named, each read once. */
        getall = f->peer.n_getall;
        for (int i = 0; i < 5; i++) {
                systemd_peer_job_removed(&f->peer, "a.service");
                systemd_peer_job_removed(&f->peer, "b.service");
        }
        systemd_peer_unit_signal(&f->peer, "UnitNew", "d.socket"); /* not a service: ignored */
        wait_scans(f, 2);
        settle(f);
        assert_int_equal(state_of(f)->n_scans, 2);
        assert_int_equal(f->peer.n_list_units, 1);
        assert_int_equal(f->peer.n_getall - getall, 2);

        /* A reload with unit events around it: one full rescan covers them all. */
        systemd_peer_job_removed(&f->peer, "c.service");
        systemd_peer_reloading(&f->peer, true);
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "a.service");
        systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        systemd_peer_reloading(&f->peer, false);
        systemd_peer_job_removed(&f->peer, "b.service");
        wait_scans(f, 3);
        settle(f);
        assert_int_equal(state_of(f)->n_scans, 3);
        assert_int_equal(f->peer.n_list_units, 2);
        assert_int_equal(state_of(f)->n_units, 3);

        /* UnitNew for a unit we hold fresh data for (our own read loaded it): no rescan. */
        systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        settle(f);
        assert_int_equal(state_of(f)->n_scans, 3);

        /* UnitRemoved drops it at once, without a scan; its return is read alone. */
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "c.service");
        settle(f);
        assert_null(unit(f, "c.service"));
        assert_int_equal(state_of(f)->n_units, 2);
        assert_int_equal(state_of(f)->n_scans, 3);
        systemd_peer_unit_signal(&f->peer, "UnitNew", "c.service");
        wait_scans(f, 4);
        assert_non_null(unit(f, "c.service"));
        assert_int_equal(f->peer.n_list_units, 2);
        assert_string_equal(f->peer.last_getall, "c.service");

        /* A full rescan that no longer lists a unit drops it. */
        systemd_peer_remove_unit(&f->peer, "b.service");
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, 5);
        assert_null(unit(f, "b.service"));
        assert_int_equal(state_of(f)->n_units, 2);
}

/* With no database at all, a regression still reaches the journal and the counters (and so
 * /metrics, which renders UnitState.regressions), as do improvements and new exposed units. */
static void test_regression_without_database(void **state) {
        Fixture *f = *state;
        const UnitState *a;
        unsigned before, after;
        char *log;

        (void) snprintf(f->db, sizeof f->db, "%s/missing-dir/h.db", f->dir);
        systemd_peer_add_unit(&f->peer, "a.service", true);
        systemd_peer_add_unit(&f->peer, "b.service", true);
        capture_start(f);
        start_manager(f, 0); /* every new unit counts as exposed */
        a = unit(f, "a.service");
        assert_non_null(a);
        before = a->report.exposure;
        assert_int_equal(a->regressions, 0);

        /* PrivateNetwork= off: the exposure rises. */
        systemd_peer_find_unit(&f->peer, "a.service")->private_network = false;
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, 2);
        a = unit(f, "a.service");
        after = a->report.exposure;
        assert_true(after > before);
        assert_int_equal(a->regressions, 1);
        assert_int_equal(a->improvements, 0);
        assert_int_equal(a->stored_exposure, -1); /* nothing reached a database */

        /* And back: an improvement. */
        systemd_peer_find_unit(&f->peer, "a.service")->private_network = true;
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, 3);
        a = unit(f, "a.service");
        assert_int_equal(a->regressions, 1);
        assert_int_equal(a->improvements, 1);

        /* A unit that appears after the first scan is new (not the baseline). */
        systemd_peer_add_unit(&f->peer, "n.service", false);
        systemd_peer_unit_signal(&f->peer, "UnitNew", "n.service");
        wait_scans(f, 4);
        assert_non_null(unit(f, "n.service"));
        log = capture_end(f);

        assert_non_null(strstr(log, "Failed to write to the database"));
        assert_int_equal(count(log, "Regression of 'a.service'"), 1);
        assert_int_equal(count(log, "Improvement of 'a.service'"), 1);
        assert_int_equal(count(log, "New service 'n.service' is exposed"), 1);
        /* The first scan is the baseline: its units are not news. */
        assert_int_equal(count(log, "New service 'a.service'"), 0);
        assert_int_equal(count(log, "New service 'b.service'"), 0);
        assert_int_equal(count(log, "of 'b.service'"), 0);
        free(log);
}

static size_t history(const char *db, const char *id, EventKind kind) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        size_t n = 0, k = 0;

        OK(store_open_readonly(db, &s));
        OK(store_history(s, NULL, id, 0, 0, 100, &h, &n));
        for (size_t i = 0; i < n; i++)
                k += h[i].kind == kind;
        changes_free(h, n);
        return k;
}

static void test_persist_and_inherit(void **state) {
        Fixture *f = *state;
        uint64_t first_seen;
        char *log;

        systemd_peer_add_unit(&f->peer, "a.service", true);
        systemd_peer_add_unit(&f->peer, "b.service", true);
        start_manager(f, 0);
        first_seen = unit(f, "a.service")->first_seen_usec;
        assert_int_equal(unit(f, "a.service")->stored_exposure,
                         (int) unit(f, "a.service")->report.exposure);
        /* The baseline: first scores, no events (threshold 0 notwithstanding). */
        assert_int_equal(history(f->db, "a.service", EVENT_NONE), 1);
        assert_int_equal(history(f->db, "a.service", EVENT_NEW_EXPOSED), 0);

        systemd_peer_find_unit(&f->peer, "a.service")->private_network = false;
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, 2);
        assert_int_equal(unit(f, "a.service")->regressions, 1);
        assert_int_equal(history(f->db, "a.service", EVENT_REGRESSION), 1);

        /* Restart: counters and times come from the database; nothing changed, nothing new. */
        uint64_t restart = now_realtime_usec();
        capture_start(f);
        restart_manager(f, 0);
        log = capture_end(f);
        assert_int_equal(unit(f, "a.service")->regressions, 1);
        /* The database's first-seen time is the first row's (taken when the scan was stored, a
         * few microseconds after the in-memory one), not the restart's. */
        assert_true(unit(f, "a.service")->first_seen_usec >= first_seen);
        assert_true(unit(f, "a.service")->first_seen_usec < restart);
        assert_int_equal(count(log, "Regression of"), 0);
        assert_int_equal(count(log, "New service"), 0);
        free(log);
        assert_int_equal(history(f->db, "a.service", EVENT_REGRESSION), 1);
        assert_int_equal(history(f->db, "b.service", EVENT_NONE), 1);

        /* A change while the daemon was down is judged against the database's row. */
        systemd_peer_find_unit(&f->peer, "b.service")->private_network = false;
        restart_manager(f, 0);
        assert_int_equal(unit(f, "b.service")->regressions, 1);
        assert_int_equal(history(f->db, "b.service", EVENT_REGRESSION), 1);

        /* A unit that leaves and comes back is judged against its last score, not as new, and
         * keeps its counters. */
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "a.service");
        settle(f);
        assert_null(unit(f, "a.service"));
        systemd_peer_find_unit(&f->peer, "a.service")->private_network = true;
        capture_start(f);
        systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        wait_scans(f, 2);
        log = capture_end(f);
        assert_int_equal(count(log, "Improvement of 'a.service'"), 1);
        assert_int_equal(count(log, "New service 'a.service'"), 0);
        free(log);
        assert_int_equal(unit(f, "a.service")->regressions, 1);
        assert_int_equal(unit(f, "a.service")->improvements, 1);
        assert_int_equal(history(f->db, "a.service", EVENT_IMPROVEMENT), 1);
        assert_int_equal(history(f->db, "a.service", EVENT_GONE), 1);
}

static bool stored_again(void *userdata) {
        const Fixture *f = userdata;
        const UnitState *a = unit(f, "a.service"), *b = unit(f, "b.service");
        return a && b && !a->unstored && !b->unstored;
}

static bool stored(void *userdata) {
        const Fixture *f = userdata;
        const UnitState *a = unit(f, "a.service");
        return a && a->stored_exposure >= 0;
}

/* The database is unavailable at start-up and comes back: the history catches up, and what was
 * judged while it was down was logged and counted then, not again. */
static void test_database_returns(void **state) {
        Fixture *f = *state;
        char sub[80];

        (void) snprintf(sub, sizeof sub, "%s/sub", f->dir);
        (void) snprintf(f->db, sizeof f->db, "%s/h.db", sub);
        systemd_peer_add_unit(&f->peer, "a.service", true);
        capture_start(f);
        start_manager(f, 90);
        systemd_peer_find_unit(&f->peer, "a.service")->private_network = false;
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, 2);
        assert_int_equal(unit(f, "a.service")->regressions, 1);

        OK(mkdir(sub, 0700));
        assert_true(systemd_peer_run_until(f->event, stored, f, 5 * SEC));
        free(capture_end(f));
        /* Caught up: the unit's current score, as a first score of an empty database. */
        assert_int_equal(history(f->db, "a.service", EVENT_NONE), 1);
        assert_int_equal(history(f->db, "a.service", EVENT_REGRESSION), 0);
        /* From now on rows and events agree. */
        systemd_peer_find_unit(&f->peer, "a.service")->private_network = true;
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, 3);
        assert_int_equal(unit(f, "a.service")->improvements, 1);
        assert_int_equal(history(f->db, "a.service", EVENT_IMPROVEMENT), 1);
        /* The teardown removes the top directory's files: move the database there. */
        stop_manager(f);
        const char *suffixes[] = { "", "-wal", "-shm" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                char from[160], to[160];
                (void) snprintf(from, sizeof from, "%s%s", f->db, suffixes[i]);
                (void) snprintf(to, sizeof to, "%s/h.db%s", f->dir, suffixes[i]);
                (void) rename(from, to);
        }
}

static size_t history_rows(const char *db, const char *id) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        size_t n = 0;

        OK(store_open_readonly(db, &s));
        OK(store_history(s, NULL, id, 0, 0, 100, &h, &n));
        changes_free(h, n);
        return n;
}

/* persist() writes only the units whose score may differ from their row (issue 12): writes that
 * fail (another writer holds the lock) lose nothing, two units changed meanwhile both reach the
 * database when it is writable again, and the units that did not change get no row. */
static void test_persist_after_failed_writes(void **state) {
        Fixture *f = *state;
        _cleanup_(store_freep) Store *other = NULL;

        systemd_peer_add_unit(&f->peer, "a.service", true);
        systemd_peer_add_unit(&f->peer, "b.service", true);
        systemd_peer_add_unit(&f->peer, "c.service", true);
        start_manager(f, 90);
        assert_int_equal(history_rows(f->db, "c.service"), 1);

        capture_start(f);
        OK(store_open(f->db, &other));
        OK(store_begin(other)); /* BEGIN IMMEDIATE: the daemon's writes fail with -EBUSY */
        systemd_peer_find_unit(&f->peer, "a.service")->private_network = false;
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, 2);
        systemd_peer_run_for(f->event, 1100 * MSEC); /* b is read at most once a second */
        systemd_peer_find_unit(&f->peer, "b.service")->private_network = false;
        systemd_peer_job_removed(&f->peer, "b.service");
        wait_scans(f, 3);
        assert_int_equal(unit(f, "a.service")->regressions, 1);
        assert_int_equal(unit(f, "b.service")->regressions, 1);
        assert_true(unit(f, "a.service")->unstored);
        assert_true(unit(f, "b.service")->unstored);
        assert_false(unit(f, "c.service")->unstored);
        assert_int_equal(history(f->db, "a.service", EVENT_REGRESSION), 0);

        store_rollback(other); /* the lock goes: the retry timer catches up */
        other = store_free(other);
        assert_true(systemd_peer_run_until(f->event, stored_again, f, 5 * SEC));
        free(capture_end(f));
        assert_int_equal(history(f->db, "a.service", EVENT_REGRESSION), 1);
        assert_int_equal(history(f->db, "b.service", EVENT_REGRESSION), 1);
        assert_int_equal(history_rows(f->db, "c.service"), 1);
        assert_false(unit(f, "a.service")->unstored);
        assert_false(unit(f, "b.service")->unstored);
}

/* Rewrite path with new bytes (a new inode each time): what an edit of a unit file does. */
static void edit(const char *path) {
        static unsigned n;
        char tmp[200];
        FILE *fp;

        (void) snprintf(tmp, sizeof tmp, "%s.tmp", path);
        fp = fopen(tmp, "w");
        assert_non_null(fp);
        assert_true(fprintf(fp, "[Service]\n# edit %u\n", n++) > 0);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(rename(tmp, path), 0);
}

/* A full rescan of 60 units (ListUnits in the peer's order, not sorted): each is matched with
 * its previous state (counters kept), one changed unit gets one row and the rest none, a unit that
 * is no longer listed is gone. */
static void test_full_rescan_many_units(void **state) {
        Fixture *f = *state;
        char name[32], fragment[160];

        for (unsigned i = 0; i < 60; i++) {
                (void) snprintf(name, sizeof name, "u%03u.service", (i * 7) % 60);
                systemd_peer_add_unit(&f->peer, name, true);
        }
        (void) snprintf(fragment, sizeof fragment, "%s/unit", f->dir);
        f->peer.fragment = fragment;
        edit(fragment);
        start_manager(f, 90);
        assert_int_equal(state_of(f)->n_units, 60);
        systemd_peer_find_unit(&f->peer, "u050.service")->private_network = false;
        systemd_peer_remove_unit(&f->peer, "u007.service");
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, 2);
        assert_int_equal(state_of(f)->n_units, 59);
        assert_null(unit(f, "u007.service"));
        assert_int_equal(unit(f, "u050.service")->regressions, 1);
        assert_int_equal(history(f->db, "u050.service", EVENT_REGRESSION), 1);
        assert_int_equal(history(f->db, "u007.service", EVENT_GONE), 1);
        for (unsigned i = 0; i < 60; i += 3) {
                (void) snprintf(name, sizeof name, "u%03u.service", i);
                if (i == 50 || i == 7)
                        continue;
                assert_int_equal(history_rows(f->db, name), 1);
                assert_int_equal(unit(f, name)->regressions, 0);
                assert_false(unit(f, name)->unstored);
        }
        /* A second regression of the same unit: the counter was carried over, not reset. */
        systemd_peer_find_unit(&f->peer, "u050.service")->private_network = true;
        edit(fragment);
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, 3);
        systemd_peer_find_unit(&f->peer, "u050.service")->private_network = false;
        edit(fragment);
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, 4);
        assert_int_equal(unit(f, "u050.service")->regressions, 2);
        assert_int_equal(unit(f, "u050.service")->improvements, 1);
        assert_int_equal(history_rows(f->db, "u050.service"), 4);
        assert_int_equal(history_rows(f->db, "u051.service"), 1);
}

/* Issue 16: reading a unit PID 1 does not have makes it load the name and announce it again with
 * UnitNew (the peer does the same); that must not lead to another read. A storm of made-up names
 * costs at most the budget, one unit is read at most once a second, and the daemon goes idle. */
static void test_no_read_loop(void **state) {
        Fixture *f = *state;
        unsigned getall, scans, announced;
        char name[32];
        uint64_t t1;

        systemd_peer_add_unit(&f->peer, "a.service", true);
        f->peer.announce_unknown = true;
        start_manager(f, 90);
        getall = f->peer.n_getall;
        scans = (unsigned) state_of(f)->n_scans;

        /* `systemctl status no-such.service`: one read, one echo, then quiet. */
        systemd_peer_unit_signal(&f->peer, "UnitNew", "no-such.service");
        wait_scans(f, scans + 1);
        systemd_peer_run_for(f->event, 3 * SEC);
        assert_int_equal(f->peer.n_getall - getall, 1);
        assert_int_equal(f->peer.n_announced, 1);
        assert_int_equal(state_of(f)->n_scans, scans + 1);
        assert_null(unit(f, "no-such.service"));

        /* The same question again within the hold: an echo, not even a read. */
        systemd_peer_unit_signal(&f->peer, "UnitNew", "no-such.service");
        settle(f);
        assert_int_equal(f->peer.n_getall - getall, 1);

        /* 500 made-up names: at most the budget's reads, each echoed once, then quiet. */
        getall = f->peer.n_getall;
        announced = f->peer.n_announced;
        for (unsigned i = 0; i < 500; i++) {
                (void) snprintf(name, sizeof name, "r%u.service", i);
                systemd_peer_unit_signal(&f->peer, "UnitNew", name);
        }
        systemd_peer_run_for(f->event, 3 * SEC);
        assert_true(f->peer.n_getall - getall <= RESCAN_UNKNOWN_BURST);
        assert_true(f->peer.n_getall - getall >= 1);
        assert_int_equal(f->peer.n_announced - announced, f->peer.n_getall - getall);
        scans = (unsigned) state_of(f)->n_scans;
        getall = f->peer.n_getall;
        systemd_peer_run_for(f->event, 2 * SEC);
        assert_int_equal(state_of(f)->n_scans, scans);
        assert_int_equal(f->peer.n_getall, getall);

        /* A watched unit is never budgeted, but read at most once a second. */
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, scans + 1);
        t1 = now_monotonic_usec();
        systemd_peer_job_removed(&f->peer, "a.service");
        wait_scans(f, scans + 2);
        assert_true(now_monotonic_usec() - t1 >= RESCAN_UNIT_INTERVAL_USEC - 100 * MSEC);
        assert_string_equal(f->peer.last_getall, "a.service");
}

/* More units than one event-loop turn scores (manager.c's SCORE_CHUNK, 250): the first scan and
 * a full rescan complete across turns, and a change in the last chunk is seen. */
static void test_scan_scored_in_chunks(void **state) {
        Fixture *f = *state;
        char name[32], fragment[160];

        for (unsigned i = 0; i < 600; i++) {
                (void) snprintf(name, sizeof name, "c%03u.service", i);
                systemd_peer_add_unit(&f->peer, name, true);
        }
        (void) snprintf(fragment, sizeof fragment, "%s/unit", f->dir);
        f->peer.fragment = fragment;
        edit(fragment);
        start_manager(f, 90);
        assert_int_equal(state_of(f)->n_units, 600);
        assert_int_equal(state_of(f)->n_scans, 1);
        systemd_peer_find_unit(&f->peer, "c599.service")->private_network = false;
        edit(fragment);
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, 2);
        assert_int_equal(state_of(f)->n_units, 600);
        assert_int_equal(unit(f, "c599.service")->regressions, 1);
        assert_int_equal(unit(f, "c000.service")->regressions, 0);
        assert_int_equal(history(f->db, "c599.service", EVENT_REGRESSION), 1);
}

/* PID 1 unloads an inactive unit nothing references, and loads it again when anyone asks about
 * it: while its unit file is there, that is no departure and no return (no scan, no row), and a
 * full rescan that does not list it keeps it; once the file is gone, it leaves. */
static void test_unload_keeps_installed(void **state) {
        Fixture *f = *state;
        char fragment[160];
        uint64_t scans;
        unsigned getall;

        (void) snprintf(fragment, sizeof fragment, "%s/unit", f->dir);
        edit(fragment);
        f->peer.fragment = fragment;
        systemd_peer_add_unit(&f->peer, "a.service", true);
        systemd_peer_add_unit(&f->peer, "b.service", true);
        start_manager(f, 90);
        scans = state_of(f)->n_scans;
        getall = f->peer.n_getall;

        for (int i = 0; i < 20; i++) {
                systemd_peer_unit_signal(&f->peer, "UnitRemoved", "a.service");
                systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        }
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "a.service");
        settle(f);
        assert_non_null(unit(f, "a.service"));
        assert_true(unit(f, "a.service")->unloaded);
        assert_int_equal(state_of(f)->n_scans, scans);
        assert_int_equal(f->peer.n_getall, getall);

        /* A full rescan while PID 1 does not have it loaded: still watched. */
        systemd_peer_remove_unit(&f->peer, "a.service");
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, (unsigned) scans + 1);
        assert_non_null(unit(f, "a.service"));
        assert_int_equal(state_of(f)->n_units, 2);

        /* Its file deleted: the next full rescan lets it go. */
        assert_int_equal(unlink(fragment), 0);
        systemd_peer_reloading(&f->peer, false);
        wait_scans(f, (unsigned) scans + 2);
        assert_null(unit(f, "a.service"));
        /* And an unload without a file is a departure at once. */
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "b.service");
        settle(f);
        assert_null(unit(f, "b.service"));
        assert_int_equal(state_of(f)->n_units, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_scheduling, setup, teardown),
                cmocka_unit_test_setup_teardown(test_regression_without_database, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_persist_and_inherit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_database_returns, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_read_loop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persist_after_failed_writes, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_full_rescan_many_units, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_scored_in_chunks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unload_keeps_installed, setup, teardown),
        };
        log_set_target("stderr");
        return cmocka_run_group_tests(tests, NULL, NULL);
}
