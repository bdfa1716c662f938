/* SPDX-License-Identifier: MIT */
/* Tests for bus-scan's asynchronous machinery against a peer that speaks just enough of
 * org.freedesktop.systemd1 (ListUnits, Properties.Get of the manager's Version and of a unit's
 * Unit-interface properties, Properties.GetAll of its Service interface), served by a
 * second sd-bus connection on the other end of a socketpair, on the same sd_event loop. The peer
 * holds replies back to measure how many calls the scan keeps pending, stays silent to provoke
 * timeouts, answers with errors, or hangs up mid-scan. Scores against the real manager are
 * checked by the integration tests (systemd cannot run as PID 1 in `make check`). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus-props.h"
#include "bus-scan.h"
#include "util.h"

#define OK(x) assert_true((x) >= 0)

typedef enum Mode {
        MODE_ANSWER,        /* answer every call, in batches (see batch) */
        MODE_SILENT_ONE,    /* never answer a call for the unit named "silent.service" */
        MODE_ERRORS,        /* answer every call for "bad.service" with an error */
        MODE_HANGUP,        /* close the connection after the first GetAll arrives */
        MODE_LIST_FAILS,    /* ListUnits fails */
} Mode;

typedef struct Peer {
        sd_event *event;
        sd_bus *server, *client;
        sd_event_source *idle;   /* flushes held replies once the loop has nothing else to do */
        Mode mode;
        unsigned batch;          /* hold replies until this many unit calls are queued */
        sd_bus_message *held[2048];
        size_t n_held;
        size_t peak_held;        /* the most unit calls the server held unanswered at once */
        size_t n_getall;
        size_t n_get;            /* Properties.Get calls on units */
        char **listed;           /* ids returned by ListUnits */
        bool done;
        int done_error;
} Peer;

/* Calls per unit: GetAll on the Service interface + one Get per Unit-interface property of the
 * map, less those ListUnits reports (Id, Description, LoadState) in a full scan. */
static size_t calls_per_unit(bool listed) {
        size_t n_map, n = 1;
        const BusPropMap *map = bus_prop_map_get(&n_map);

        for (size_t i = 0; i < n_map; i++)
                n += map[i].iface == BUS_PROP_UNIT;
        return listed ? n - 3 : n;
}

static const char *load_state_of(const char *name) {
        return strstr(name, "missing") ? "not-found" : "loaded";
}

/* A unit call: GetAll(Service) or Get(Unit, property), answered as PID 1 would. */
static int reply_unit_call(sd_bus_message *call) {
        const char *path = sd_bus_message_get_path(call), *iface, *prop;
        _cleanup_free_ char *name = NULL;
        char fragment[256];

        OK(sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &name));
        assert_non_null(name);
        if (streq(name, "bad.service"))
                return sd_bus_reply_method_errorf(call, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "No, %s", name);
        OK(sd_bus_message_read(call, "s", &iface));
        if (streq(sd_bus_message_get_member(call), "GetAll")) {
                assert_string_equal(iface, "org.freedesktop.systemd1.Service");
                return sd_bus_reply_method_return(call, "a{sv}", 2, "Type", "s", "simple",
                                                  "UMask", "u", (uint32_t) 0077);
        }
        assert_string_equal(iface, "org.freedesktop.systemd1.Unit");
        OK(sd_bus_message_read(call, "s", &prop));
        if (streq(prop, "Id"))
                return sd_bus_reply_method_return(call, "v", "s", name);
        if (streq(prop, "Description"))
                return sd_bus_reply_method_return(call, "v", "s", "from Get");
        if (streq(prop, "LoadState"))
                return sd_bus_reply_method_return(call, "v", "s", load_state_of(name));
        if (streq(prop, "DefaultDependencies"))
                return sd_bus_reply_method_return(call, "v", "b", 0);
        if (streq(prop, "FragmentPath")) {
                (void) snprintf(fragment, sizeof(fragment), "/etc/systemd/system/%s", name);
                return sd_bus_reply_method_return(call, "v", "s", fragment);
        }
        /* The blame properties (blame-read.h): no drop-ins, no source, loaded as on disk. */
        if (streq(prop, "DropInPaths"))
                return sd_bus_reply_method_return(call, "v", "as", 0);
        if (streq(prop, "SourcePath"))
                return sd_bus_reply_method_return(call, "v", "s", "");
        if (streq(prop, "NeedDaemonReload"))
                return sd_bus_reply_method_return(call, "v", "b", 0);
        return sd_bus_reply_method_errorf(call, "org.freedesktop.DBus.Error.UnknownProperty",
                                          "No property %s", prop);
}

static void flush_held(Peer *p) {
        for (size_t i = 0; i < p->n_held; i++) {
                OK(reply_unit_call(p->held[i]));
                p->held[i] = sd_bus_message_unref(p->held[i]);
        }
        p->n_held = 0;
}

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Peer *p = userdata;
        const char *member = sd_bus_message_get_member(m);

        (void) ret_error;
        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;

        if (streq(member, "ListUnits")) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                if (p->mode == MODE_LIST_FAILS)
                        return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.Failed",
                                                          "nope");
                OK(sd_bus_message_new_method_return(m, &reply));
                OK(sd_bus_message_open_container(reply, 'a', "(ssssssouso)"));
                for (char **i = p->listed; i && *i; i++)
                        OK(sd_bus_message_append(reply, "(ssssssouso)", *i, "from ListUnits",
                                                 load_state_of(*i), "active", "running", "",
                                                 "/x", 0u, "", "/"));
                OK(sd_bus_message_close_container(reply));
                return sd_bus_send(NULL, reply, NULL);
        }
        if (streq(member, "Get") && streq(sd_bus_message_get_path(m), "/org/freedesktop/systemd1"))
                return sd_bus_reply_method_return(m, "v", "s", "252.39-1~deb12u2");
        if (streq(member, "GetAll"))
                p->n_getall++;
        else if (streq(member, "Get"))
                p->n_get++;
        else
                return 0;

        if (p->mode == MODE_HANGUP) {
                sd_bus_close(p->server);
                return 1;
        }
        if (p->mode == MODE_SILENT_ONE &&
            streq(sd_bus_message_get_path(m), "/org/freedesktop/systemd1/unit/silent_2eservice"))
                return 1;
        if (p->mode == MODE_ERRORS || p->batch <= 1)
                return reply_unit_call(m) < 0 ? -EIO : 1;

        assert_true(p->n_held < ELEMENTSOF(p->held));
        p->held[p->n_held++] = sd_bus_message_ref(m);
        if (p->n_held > p->peak_held)
                p->peak_held = p->n_held;
        if (p->n_held >= p->batch)
                flush_held(p);
        else
                OK(sd_event_source_set_enabled(p->idle, SD_EVENT_ONESHOT));
        return 1;
}

/* When the client has sent everything it may, the server sees fewer than `batch` calls: flush
 * what is held once the loop goes idle, so the scan can proceed. */
static int on_idle(sd_event_source *s, void *userdata) {
        Peer *p = userdata;
        (void) s;
        flush_held(p);
        return 0;
}

static void on_done(BusScan *s, int error, void *userdata) {
        Peer *p = userdata;
        (void) s;
        p->done = true;
        p->done_error = error;
        (void) sd_event_exit(p->event, 0);
}

typedef struct ScanDone {
        bool done;
        int error;
} ScanDone;

static void on_plain_done(BusScan *s, int error, void *userdata) {
        ScanDone *d = userdata;
        (void) s;
        d->done = true;
        d->error = error;
}

static void peer_setup(Peer *p, Mode mode) {
        static const sd_id128_t id = { .bytes = { 1, 2, 3 } };
        int fds[2];

        *p = (Peer) { .mode = mode, .batch = 1 };
        OK(sd_event_new(&p->event));
        OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds));

        OK(sd_bus_new(&p->server));
        OK(sd_bus_set_fd(p->server, fds[1], fds[1]));
        OK(sd_bus_set_server(p->server, 1, id));
        OK(sd_bus_add_filter(p->server, NULL, on_call, p));
        OK(sd_bus_start(p->server));
        OK(sd_bus_attach_event(p->server, p->event, 0));

        OK(sd_event_add_defer(p->event, &p->idle, on_idle, p));
        OK(sd_event_source_set_priority(p->idle, SD_EVENT_PRIORITY_IDLE));
        OK(sd_event_source_set_enabled(p->idle, SD_EVENT_OFF));

        OK(sd_bus_new(&p->client));
        OK(sd_bus_set_fd(p->client, fds[0], fds[0]));
        OK(sd_bus_start(p->client));
        OK(sd_bus_attach_event(p->client, p->event, 0));
}

static void peer_done(Peer *p) {
        for (size_t i = 0; i < p->n_held; i++)
                sd_bus_message_unref(p->held[i]);
        p->idle = sd_event_source_disable_unref(p->idle);
        /* No flush: a test that never ran the loop (test_in_flight_clamp) leaves the client
         * authenticating, and flushing it would wait for the server's answer, which only this
         * thread could send: sd-bus's 90 s auth timeout, on every check-unit. */
        p->client = sd_bus_close_unref(p->client);
        p->server = sd_bus_close_unref(p->server);
        p->event = sd_event_unref(p->event);
        p->listed = strv_free(p->listed);
}

static void run(Peer *p, BusScan *s, char *const *names) {
        assert_int_equal(bus_scan_start(s, names, on_done, p), 0);
        assert_false(bus_scan_done(s)); /* never completes synchronously */
        OK(sd_event_loop(p->event));
        assert_true(p->done);
        assert_true(bus_scan_done(s));
}

static void make_names(char ***l, size_t n) {
        char name[64];

        for (size_t i = 0; i < n; i++) {
                (void) snprintf(name, sizeof(name), "unit-%zu.service", i);
                strv_push(l, name);
        }
}

/* ListUnits: only *.service ids, sorted with strcmp, every one decoded: Id, Description and
 * LoadState from the ListUnits entry, the other Unit properties from Get, the rest from GetAll. */
static void test_listing(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        const BusScanUnit *u;
        Peer p;
        size_t n;

        (void) state;
        peer_setup(&p, MODE_ANSWER);
        strv_push(&p.listed, "z.service");
        strv_push(&p.listed, "a.socket");
        strv_push(&p.listed, "B.service");
        strv_push(&p.listed, "a-b.service");
        strv_push(&p.listed, "a.service");
        strv_push(&p.listed, "missing.service");
        strv_push(&p.listed, "x.service.d");
        OK(bus_scan_new(p.client, 0, 0, &s));
        run(&p, s, NULL);

        assert_int_equal(p.done_error, 0);
        u = bus_scan_units(s, &n);
        assert_int_equal(n, 5);
        assert_string_equal(u[0].name, "B.service");
        assert_string_equal(u[1].name, "a-b.service");
        assert_string_equal(u[2].name, "a.service");
        assert_string_equal(u[3].name, "missing.service");
        assert_string_equal(u[4].name, "z.service");
        for (size_t i = 0; i < n; i++) {
                char fragment[64];

                assert_int_equal(u[i].error, 0);
                assert_string_equal(u[i].props.id, u[i].name);
                assert_string_equal(u[i].props.description, "from ListUnits");
                assert_string_equal(u[i].props.load_state, i == 3 ? "not-found" : "loaded");
                (void) snprintf(fragment, sizeof(fragment), "/etc/systemd/system/%s", u[i].name);
                assert_string_equal(u[i].props.fragment_path, fragment);
                assert_false(u[i].props.default_dependencies);
                assert_string_equal(u[i].props.type, "simple");
                assert_int_equal(u[i].props.umask, 0077);
        }
        assert_string_equal(bus_scan_version(s), "252.39-1~deb12u2");
        assert_int_equal(p.n_getall, 5);
        assert_int_equal(p.n_get, 5 * (calls_per_unit(true) - 1));
        /* ListUnits, Version, Features, UnitPath, then the units' calls. */
        assert_int_equal(bus_scan_stats(s)->n_calls, 4 + 5 * calls_per_unit(true));
        assert_int_equal(bus_scan_stats(s)->n_errors, 0);
        assert_true(bus_scan_stats(s)->elapsed_usec > 0);
        peer_done(&p);
}

static bool only_a(const char *id, const char *load_state, void *userdata) {
        unsigned *n = userdata;

        (*n)++;
        assert_non_null(load_state);
        return streq(id, "a.service");
}

/* The incremental scan: every listed service is in the results, only those the filter wants
 * are read; the others carry what ListUnits reported and no error. */
static void test_filter(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        const BusScanUnit *u;
        unsigned asked = 0;
        Peer p;
        size_t n;

        (void) state;
        peer_setup(&p, MODE_ANSWER);
        strv_push(&p.listed, "z.service");
        strv_push(&p.listed, "a.service");
        strv_push(&p.listed, "missing.service");
        OK(bus_scan_new(p.client, 0, 0, &s));
        bus_scan_set_filter(s, only_a, &asked);
        run(&p, s, NULL);

        assert_int_equal(p.done_error, 0);
        assert_int_equal(asked, 3);
        u = bus_scan_units(s, &n);
        assert_int_equal(n, 3);
        assert_string_equal(u[0].name, "a.service");
        assert_false(u[0].skipped);
        assert_string_equal(u[0].props.type, "simple");
        for (size_t i = 1; i < n; i++) {
                assert_true(u[i].skipped);
                assert_int_equal(u[i].error, 0);
                assert_string_equal(u[i].props.id, u[i].name);
                assert_null(u[i].props.type);
        }
        assert_string_equal(u[2].props.load_state, "loaded");
        assert_int_equal(p.n_getall, 1);
        assert_int_equal(p.n_get, calls_per_unit(true) - 1);
        assert_int_equal(bus_scan_stats(s)->n_calls, 4 + calls_per_unit(true));
        peer_done(&p);
}

/* The number of pending calls never exceeds the limit, and the pipeline does fill up to it. */
static void test_in_flight_bound(void **state) {
        static const unsigned limits[] = { 1, 7, 64, BUS_SCAN_IN_FLIGHT_MAX };

        (void) state;
        for (size_t k = 0; k < ELEMENTSOF(limits); k++) {
                _cleanup_(bus_scan_freep) BusScan *s = NULL;
                char **names = NULL;
                const BusScanUnit *u;
                Peer p;
                size_t n;

                peer_setup(&p, MODE_ANSWER);
                p.batch = 100000; /* hold every call until the client stops sending */
                make_names(&names, 500);
                OK(bus_scan_new(p.client, limits[k], 0, &s));
                run(&p, s, names);

                assert_int_equal(p.done_error, 0);
                assert_int_equal(p.n_getall, 500);
                assert_int_equal(p.n_get, 500 * (calls_per_unit(false) - 1));
                /* The manager's Version, Features and UnitPath calls count against the limit
                 * too; they go out first, whatever the limit. */
                assert_true(p.peak_held <= limits[k]);
                assert_true(p.peak_held + 3 >= limits[k]);
                assert_true(bus_scan_stats(s)->in_flight_peak <= (limits[k] > 3 ? limits[k] : 3));
                assert_int_equal(bus_scan_stats(s)->in_flight_max, limits[k]);
                u = bus_scan_units(s, &n);
                assert_int_equal(n, 500);
                for (size_t i = 0; i < n; i++) {
                        assert_string_equal(u[i].name, names[i]);
                        assert_string_equal(u[i].props.id, names[i]);
                        assert_string_equal(u[i].props.description, "from Get");
                        assert_string_equal(u[i].props.load_state, "loaded");
                        assert_false(u[i].props.default_dependencies);
                        assert_int_equal(u[i].props.umask, 0077);
                }
                strv_free(names);
                peer_done(&p);
        }
}

/* Limits above dbus-daemon's max_replies_per_connection are clamped; 0 is the default. */
static void test_in_flight_clamp(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL, *d = NULL;
        Peer p;

        (void) state;
        peer_setup(&p, MODE_ANSWER);
        OK(bus_scan_new(p.client, 100000, 0, &s));
        assert_int_equal(bus_scan_stats(s)->in_flight_max, BUS_SCAN_IN_FLIGHT_MAX);
        OK(bus_scan_new(p.client, 0, 0, &d));
        assert_int_equal(bus_scan_stats(d)->in_flight_max, BUS_SCAN_IN_FLIGHT_DEFAULT);
        s = bus_scan_free(s);
        d = bus_scan_free(d);
        peer_done(&p);
}

/* A unit the manager never answers for times out; the scan still completes, others are fine. */
static void test_timeout(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        char **names = NULL;
        const BusScanUnit *u;
        uint64_t t0;
        Peer p;
        size_t n;

        (void) state;
        peer_setup(&p, MODE_SILENT_ONE);
        strv_push(&names, "a.service");
        strv_push(&names, "silent.service");
        strv_push(&names, "b.service");
        OK(bus_scan_new(p.client, 2, 200 * 1000, &s));
        t0 = now_monotonic_usec();
        run(&p, s, names);

        assert_true(now_monotonic_usec() - t0 < 5 * 1000 * 1000);
        assert_int_equal(p.done_error, 0);
        u = bus_scan_units(s, &n);
        assert_int_equal(n, 3);
        assert_int_equal(u[0].error, 0);
        assert_int_equal(u[1].error, -ETIMEDOUT);
        assert_null(u[1].props.id);
        assert_int_equal(u[2].error, 0);
        assert_string_equal(u[2].props.id, "b.service");
        /* Every call for the silent unit timed out. */
        assert_int_equal(bus_scan_stats(s)->n_errors, calls_per_unit(false));
        strv_free(names);
        peer_done(&p);
}

static void test_error_reply(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        char **names = NULL;
        const BusScanUnit *u;
        Peer p;
        size_t n;

        (void) state;
        peer_setup(&p, MODE_ERRORS);
        strv_push(&names, "bad.service");
        strv_push(&names, "good.service");
        OK(bus_scan_new(p.client, 0, 0, &s));
        run(&p, s, names);

        u = bus_scan_units(s, &n);
        assert_int_equal(u[0].error, -EACCES);
        assert_string_equal(u[0].error_name, "org.freedesktop.DBus.Error.AccessDenied");
        assert_string_equal(u[0].error_message, "No, bad.service");
        assert_null(u[0].props.id); /* a failed call leaves the unit's props unset */
        assert_int_equal(u[1].error, 0);
        assert_string_equal(u[1].props.id, "good.service");
        strv_free(names);
        peer_done(&p);
}

/* The peer hangs up mid-scan: every pending call fails, the scan completes, nothing hangs. */
static void test_hangup(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        char **names = NULL;
        const BusScanUnit *u;
        Peer p;
        size_t n;

        (void) state;
        peer_setup(&p, MODE_HANGUP);
        make_names(&names, 50);
        OK(bus_scan_new(p.client, 8, 0, &s));
        run(&p, s, names);

        u = bus_scan_units(s, &n);
        assert_int_equal(n, 50);
        for (size_t i = 0; i < n; i++)
                assert_true(u[i].error < 0);
        assert_int_equal(bus_scan_stats(s)->n_errors, 50 * calls_per_unit(false));
        strv_free(names);
        peer_done(&p);
}

static void test_list_fails(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        size_t n;
        Peer p;

        (void) state;
        peer_setup(&p, MODE_LIST_FAILS);
        OK(bus_scan_new(p.client, 0, 0, &s));
        run(&p, s, NULL);
        assert_true(p.done_error < 0);
        (void) bus_scan_units(s, &n);
        assert_int_equal(n, 0);
        assert_int_equal(bus_scan_start(s, NULL, on_done, &p), -EBUSY);
        peer_done(&p);
}

/* Freeing a running scan cancels its calls: no callback afterwards, nothing leaks. */
static void test_cancel(void **state) {
        BusScan *s = NULL;
        char **names = NULL;
        Peer p;

        (void) state;
        peer_setup(&p, MODE_ANSWER);
        p.batch = 100000;
        make_names(&names, 20);
        OK(bus_scan_new(p.client, 4, 0, &s));
        assert_int_equal(bus_scan_start(s, names, on_done, &p), 0);
        OK(sd_event_run(p.event, 0));
        s = bus_scan_free(s);
        flush_held(&p);
        for (int i = 0; i < 20; i++)
                OK(sd_event_run(p.event, 1000));
        assert_false(p.done);
        strv_free(names);
        peer_done(&p);
}

/* A peer that accepts the connection and never answers, not even the authentication: sd-bus
 * would wait 90 s; the stall timer ends the scan after the call timeout + 1 s. */
static void test_silent_peer(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        char **names = NULL;
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        const BusScanUnit *u;
        ScanDone d = {};
        uint64_t t0;
        int fds[2];
        size_t n;

        (void) state;
        OK(sd_event_new(&event));
        OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds));
        OK(sd_bus_new(&bus));
        OK(sd_bus_set_fd(bus, fds[0], fds[0]));
        OK(sd_bus_start(bus));
        OK(sd_bus_attach_event(bus, event, 0));
        make_names(&names, 3);

        OK(bus_scan_new(bus, 0, 100 * 1000, &s));
        t0 = now_monotonic_usec();
        assert_int_equal(bus_scan_start(s, names, on_plain_done, &d), 0);
        while (!d.done)
                OK(sd_event_run(event, UINT64_MAX));
        assert_true(now_monotonic_usec() - t0 < 3 * 1000 * 1000);
        assert_int_equal(d.error, -ETIMEDOUT);
        u = bus_scan_units(s, &n);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(u[i].error, -ETIMEDOUT);
        assert_null(bus_scan_version(s));

        s = bus_scan_free(s);
        bus = sd_bus_close_unref(bus);
        (void) close(fds[1]);
        event = sd_event_unref(event);
        strv_free(names);
}

/* A closed connection (sd-bus detaches it from its loop on close) is refused at the start, and
 * nothing calls back later: no stall timer is left armed. */
static void test_start_on_closed_bus(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        ScanDone d = {};
        uint64_t t0;
        Peer p;

        (void) state;
        peer_setup(&p, MODE_ANSWER);
        sd_bus_close(p.client);
        OK(bus_scan_new(p.client, 0, 1000, &s));
        assert_true(bus_scan_start(s, NULL, on_plain_done, &d) < 0);
        t0 = now_monotonic_usec();
        while (now_monotonic_usec() - t0 < 1300 * 1000)
                OK(sd_event_run(p.event, 100 * 1000));
        assert_false(d.done);
        s = bus_scan_free(s);
        peer_done(&p);
}

/* Without an event loop there is nothing to drive the scan: refused. */
static void test_needs_event(void **state) {
        _cleanup_(bus_scan_freep) BusScan *s = NULL;
        sd_bus *bus = NULL;
        int fds[2];

        (void) state;
        OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
        OK(sd_bus_new(&bus));
        OK(sd_bus_set_fd(bus, fds[0], fds[0]));
        OK(sd_bus_start(bus));
        OK(bus_scan_new(bus, 0, 0, &s));
        assert_int_equal(bus_scan_start(s, NULL, on_plain_done, NULL), -ENXIO);
        s = bus_scan_free(s);
        bus = sd_bus_close_unref(bus);
        (void) close(fds[1]);
}

static void test_helpers(void **state) {
        char *path = NULL;
        unsigned v;

        (void) state;
        OK(bus_scan_unit_path("dbus.service", &path));
        assert_string_equal(path, "/org/freedesktop/systemd1/unit/dbus_2eservice");
        free(path);
        OK(bus_scan_unit_path("getty@tty1.service", &path));
        assert_string_equal(path, "/org/freedesktop/systemd1/unit/getty_40tty1_2eservice");
        free(path);
        OK(bus_scan_unit_path("1-x.service", &path));
        assert_string_equal(path, "/org/freedesktop/systemd1/unit/_31_2dx_2eservice");
        free(path);

        assert_int_equal(bus_scan_parse_version("252.39-1~deb12u2", &v), 0);
        assert_int_equal(v, 252);
        assert_int_equal(bus_scan_parse_version("v257", &v), 0);
        assert_int_equal(v, 257);
        assert_int_equal(bus_scan_parse_version("262", &v), 0);
        assert_int_equal(v, 262);
        assert_int_equal(bus_scan_parse_version("", &v), -EINVAL);
        assert_int_equal(bus_scan_parse_version("x252", &v), -EINVAL);
        assert_int_equal(bus_scan_parse_version("99999999999", &v), -EINVAL);
        assert_int_equal(bus_scan_parse_version(NULL, &v), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_listing),
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_in_flight_bound),
                cmocka_unit_test(test_in_flight_clamp),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_error_reply),
                cmocka_unit_test(test_hangup),
                cmocka_unit_test(test_list_fails),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_silent_peer),
                cmocka_unit_test(test_start_on_closed_bus),
                cmocka_unit_test(test_needs_event),
                cmocka_unit_test(test_helpers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
