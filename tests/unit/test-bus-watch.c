/* SPDX-License-Identifier: MIT */
/* bus-watch against the systemd1 peer (systemd-peer.h: a real sd-bus connection pair, new for
 * every connect): it subscribes and reports CONNECTED; turns UnitNew/UnitRemoved/JobRemoved/
 * Reloading into events; hides the UnitRemoved+UnitNew storm inside a reload; ignores malformed
 * signals, foreign senders and non-service jobs; re-subscribes after NameOwnerChanged; reconnects
 * after a hang-up and after a refused Subscribe. On a bus (the peer playing dbus-daemon too), only
 * the signals of the name's owner count: another connection's forgeries change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus-watch.h"
#include "systemd-peer.h"
#include "util.h"

#define OK(x) assert_true((x) >= 0)
#define SEC 1000000ULL

typedef struct Seen {
        WatchEvent event;
        char unit[64];
} Seen;

typedef struct Fixture {
        sd_event *event;
        SystemdPeer peer;
        BusWatch *watch;
        Seen seen[64];
        size_t n_seen;
        size_t want; /* run until this many events were seen */
} Fixture;

static void on_event(BusWatch *w, WatchEvent ev, const char *unit, void *userdata) {
        Fixture *f = userdata;
        (void) w;
        assert_true(f->n_seen < ELEMENTSOF(f->seen));
        f->seen[f->n_seen].event = ev;
        (void) snprintf(f->seen[f->n_seen].unit, sizeof f->seen[0].unit, "%s", unit ? unit : "");
        f->n_seen++;
}

static bool enough(void *userdata) {
        Fixture *f = userdata;
        return f->n_seen >= f->want;
}

/* Run until n more events arrived (fails after 5 s). */
static void expect(Fixture *f, size_t n) {
        f->want = f->n_seen + n;
        if (!systemd_peer_run_until(f->event, enough, f, 5 * SEC))
                fail_msg("%zu events seen, %zu expected", f->n_seen, f->want);
}

/* Nothing more arrives within a quarter second. */
static void expect_quiet(Fixture *f) {
        size_t n = f->n_seen;
        systemd_peer_run_for(f->event, SEC / 4);
        assert_int_equal(f->n_seen, n);
}

static void assert_seen(const Fixture *f, size_t i, WatchEvent ev, const char *unit) {
        assert_true(i < f->n_seen);
        assert_int_equal(f->seen[i].event, ev);
        assert_string_equal(f->seen[i].unit, unit);
}

static int setup(void **state) {
        Fixture *f = xcalloc(1, sizeof(Fixture));

        OK(sd_event_new(&f->event));
        systemd_peer_init(&f->peer, f->event);
        OK(bus_watch_new(f->event, 2 * SEC, on_event, f, &f->watch));
        bus_watch_set_connect(f->watch, systemd_peer_connect, &f->peer);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        bus_watch_free(f->watch);
        systemd_peer_done(&f->peer);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static void start(Fixture *f) {
        OK(bus_watch_start(f->watch));
        assert_null(bus_watch_get_bus(f->watch)); /* not before Subscribe() is answered */
        expect(f, 1);
        assert_seen(f, 0, WATCH_CONNECTED, "");
        assert_non_null(bus_watch_get_bus(f->watch));
        assert_int_equal(f->peer.n_subscribe, 1);
        assert_int_equal(bus_watch_get_stats(f->watch)->connects, 1);
}

static void test_signals(void **state) {
        Fixture *f = *state;

        start(f);
        systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "b.service");
        systemd_peer_job_removed(&f->peer, "c.service");
        systemd_peer_job_removed(&f->peer, "c.socket"); /* not a service: no event */
        systemd_peer_unit_signal(&f->peer, "UnitNew", "d.socket"); /* the owner filters these */
        expect(f, 4);
        assert_seen(f, 1, WATCH_UNIT_NEW, "a.service");
        assert_seen(f, 2, WATCH_UNIT_REMOVED, "b.service");
        assert_seen(f, 3, WATCH_UNIT_CHANGED, "c.service");
        assert_seen(f, 4, WATCH_UNIT_NEW, "d.socket");
        expect_quiet(f);
        assert_int_equal(bus_watch_get_stats(f->watch)->signals, 5);
}

static void test_reload_hides_storm(void **state) {
        Fixture *f = *state;

        start(f);
        /* A daemon-reload: every unit is removed and re-created between Reloading(true) and
         * Reloading(false); only its start and its end are reported. */
        systemd_peer_reloading(&f->peer, true);
        for (int i = 0; i < 20; i++) {
                systemd_peer_unit_signal(&f->peer, "UnitRemoved", "a.service");
                systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
                systemd_peer_job_removed(&f->peer, "a.service");
        }
        systemd_peer_reloading(&f->peer, false);
        expect(f, 2);
        assert_seen(f, 1, WATCH_RELOADING, "");
        assert_seen(f, 2, WATCH_RELOADED, "");
        /* After it, unit signals count again. */
        systemd_peer_unit_signal(&f->peer, "UnitNew", "b.service");
        expect(f, 1);
        assert_seen(f, 3, WATCH_UNIT_NEW, "b.service");
        expect_quiet(f);
}

static void test_malformed_ignored(void **state) {
        Fixture *f = *state;
        const char *members[] = { "UnitNew", "UnitRemoved", "JobRemoved", "Reloading" };

        start(f);
        for (size_t i = 0; i < ELEMENTSOF(members); i++)
                systemd_peer_malformed(&f->peer, members[i]);
        expect_quiet(f);
        /* Still working afterwards, on the same connection. */
        systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        expect(f, 1);
        assert_seen(f, 1, WATCH_UNIT_NEW, "a.service");
        assert_int_equal(f->peer.n_connects, 1);
}

static void test_name_owner_changed(void **state) {
        Fixture *f = *state;

        start(f);
        /* The manager left the bus: nothing to do but wait. */
        systemd_peer_name_owner_changed(&f->peer, "");
        expect_quiet(f);
        /* It is back (re-executed): subscribe again, report a fresh connection (= rescan all). */
        systemd_peer_name_owner_changed(&f->peer, ":1.99");
        expect(f, 1);
        assert_seen(f, 1, WATCH_CONNECTED, "");
        assert_int_equal(f->peer.n_subscribe, 2);
        assert_int_equal(f->peer.n_connects, 1);
}

/* Another local user's connection sends the manager's signals straight to us (any user may, on
 * the system bus): a forged Reloading(true) must not hide the changes that follow, and forged
 * NameOwnerChanged or Reloading(false) signals must not cause rescans. */
static void test_forged_signals(void **state) {
        Fixture *f = *state;

        f->peer.as_bus = true;
        start(f);
        f->peer.forge_sender = ":1.666";
        systemd_peer_reloading(&f->peer, true);
        systemd_peer_reloading(&f->peer, false);
        systemd_peer_name_owner_changed(&f->peer, ":1.667");
        systemd_peer_name_owner_changed(&f->peer, "");
        systemd_peer_unit_signal(&f->peer, "UnitNew", "forged.service");
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "forged.service");
        systemd_peer_job_removed(&f->peer, "forged.service");
        expect_quiet(f);
        assert_int_equal(bus_watch_get_stats(f->watch)->foreign, 7);
        assert_int_equal(bus_watch_get_stats(f->watch)->signals, 0);
        assert_int_equal(f->peer.n_subscribe, 1);

        /* The manager's own signals still count: not hidden by the forged Reloading(true). */
        f->peer.forge_sender = NULL;
        systemd_peer_unit_signal(&f->peer, "UnitNew", "a.service");
        expect(f, 1);
        assert_seen(f, 1, WATCH_UNIT_NEW, "a.service");

        /* A real re-exec: the new owner's signals count, the old owner's no longer do. */
        systemd_peer_name_owner_changed(&f->peer, ":1.99");
        expect(f, 1);
        assert_seen(f, 2, WATCH_CONNECTED, "");
        systemd_peer_job_removed(&f->peer, "b.service");
        expect(f, 1);
        assert_seen(f, 3, WATCH_UNIT_CHANGED, "b.service");
        f->peer.forge_sender = ":1.1";
        systemd_peer_job_removed(&f->peer, "c.service");
        expect_quiet(f);
        assert_int_equal(bus_watch_get_stats(f->watch)->foreign, 8);
}

static void test_hangup_reconnects(void **state) {
        Fixture *f = *state;

        start(f);
        systemd_peer_hangup(&f->peer);
        expect(f, 2);
        assert_seen(f, 1, WATCH_DISCONNECTED, "");
        assert_seen(f, 2, WATCH_CONNECTED, "");
        assert_int_equal(f->peer.n_connects, 2);
        assert_int_equal(bus_watch_get_stats(f->watch)->disconnects, 1);
        assert_int_equal(bus_watch_get_stats(f->watch)->connects, 2);
        /* The new connection carries signals. */
        systemd_peer_unit_signal(&f->peer, "UnitRemoved", "a.service");
        expect(f, 1);
        assert_seen(f, 3, WATCH_UNIT_REMOVED, "a.service");
}

static void test_subscribe_refused(void **state) {
        Fixture *f = *state;

        /* A refused Subscribe is retried on a new connection (back-off 100 ms, 200 ms, ...). */
        f->peer.refuse_subscribe = true;
        OK(bus_watch_start(f->watch));
        systemd_peer_run_for(f->event, SEC / 2);
        assert_int_equal(f->n_seen, 0);
        assert_true(f->peer.n_subscribe >= 2);
        assert_int_equal(f->peer.n_connects, f->peer.n_subscribe);
        assert_null(bus_watch_get_bus(f->watch));
        f->peer.refuse_subscribe = false;
        expect(f, 1);
        assert_seen(f, 0, WATCH_CONNECTED, "");
        /* The explicit reconnect the manager asks for after a broken scan. */
        bus_watch_reconnect(f->watch);
        assert_seen(f, 1, WATCH_DISCONNECTED, ""); /* at once */
        expect(f, 1);
        assert_seen(f, 2, WATCH_CONNECTED, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reload_hides_storm, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_ignored, setup, teardown),
                cmocka_unit_test_setup_teardown(test_name_owner_changed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forged_signals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hangup_reconnects, setup, teardown),
                cmocka_unit_test_setup_teardown(test_subscribe_refused, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
