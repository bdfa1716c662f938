/* SPDX-License-Identifier: MIT */
/* The systemd1 peer for the watcher and manager tests (see systemd-peer.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "systemd-peer.h"
#include "util.h"

/* Not cmocka: the fuzz drivers link every helper too. A broken peer is a broken test: abort. */
#define CHECK(x) check((x), #x, __LINE__)
#define OK(x) CHECK((x) >= 0)

static void check(bool ok, const char *what, int line) {
        if (ok)
                return;
        (void) fprintf(stderr, "systemd-peer.c:%d: %s failed\n", line, what);
        abort();
}
#define DEST "org.freedesktop.systemd1"
#define PATH "/org/freedesktop/systemd1"
#define IFACE "org.freedesktop.systemd1.Manager"
#define UNIT_PREFIX "/org/freedesktop/systemd1/unit"

void systemd_peer_init(SystemdPeer *p, sd_event *event) {
        *p = (SystemdPeer) { .event = sd_event_ref(event), .owner = ":1.1" };
}

void systemd_peer_done(SystemdPeer *p) {
        p->server = sd_bus_flush_close_unref(p->server);
        for (size_t i = 0; i < p->n_units; i++)
                free(p->units[i].name);
        free(p->last_getall);
        p->event = sd_event_unref(p->event);
}

PeerUnit *systemd_peer_find_unit(SystemdPeer *p, const char *name) {
        for (size_t i = 0; i < p->n_units; i++)
                if (streq(p->units[i].name, name))
                        return &p->units[i];
        return NULL;
}

PeerUnit *systemd_peer_add_unit(SystemdPeer *p, const char *name, bool private_network) {
        CHECK(p->n_units < PEER_UNITS_MAX);
        p->units[p->n_units] = (PeerUnit) { .name = xstrdup(name),
                                            .private_network = private_network };
        return &p->units[p->n_units++];
}

void systemd_peer_remove_unit(SystemdPeer *p, const char *name) {
        PeerUnit *u = systemd_peer_find_unit(p, name);
        CHECK(u != NULL);
        free(u->name);
        *u = p->units[--p->n_units];
}

static int send_signal(SystemdPeer *p, const char *sender, const char *path, const char *iface,
                       const char *member, sd_bus_message **ret) {
        int r = sd_bus_message_new_signal(p->server, ret, path, iface, member);

        /* A bus stamps the sender's unique name; a direct peer names whom it likes. */
        if (p->as_bus)
                sender = p->forge_sender ? p->forge_sender :
                         streq(sender, DEST) ? p->owner : sender;
        if (r >= 0)
                r = sd_bus_message_set_sender(*ret, sender);
        return r;
}

static void emit_unit(SystemdPeer *p, const char *member, const char *unit) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;

        OK(sd_bus_path_encode(UNIT_PREFIX, unit, &path));
        OK(send_signal(p, DEST, PATH, IFACE, member, &m));
        OK(sd_bus_message_append(m, "so", unit, path));
        OK(sd_bus_send(p->server, m, NULL));
}

void systemd_peer_unit_signal(SystemdPeer *p, const char *member, const char *unit) {
        emit_unit(p, member, unit);
}

void systemd_peer_job_removed(SystemdPeer *p, const char *unit) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        OK(send_signal(p, DEST, PATH, IFACE, "JobRemoved", &m));
        OK(sd_bus_message_append(m, "uoss", 7u, "/org/freedesktop/systemd1/job/7", unit, "done"));
        OK(sd_bus_send(p->server, m, NULL));
}

void systemd_peer_reloading(SystemdPeer *p, bool active) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        OK(send_signal(p, DEST, PATH, IFACE, "Reloading", &m));
        OK(sd_bus_message_append(m, "b", (int) active));
        OK(sd_bus_send(p->server, m, NULL));
}

void systemd_peer_name_owner_changed(SystemdPeer *p, const char *new_owner) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        OK(send_signal(p, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                       "NameOwnerChanged", &m));
        OK(sd_bus_message_append(m, "sss", DEST, p->owner, new_owner));
        OK(sd_bus_send(p->server, m, NULL));
        if (p->as_bus && !p->forge_sender && new_owner[0])
                (void) snprintf(p->owner, sizeof p->owner, "%s", new_owner);
}

void systemd_peer_malformed(SystemdPeer *p, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        OK(send_signal(p, DEST, PATH, IFACE, member, &m));
        OK(sd_bus_message_append(m, "u", 42u)); /* no signal of the Manager has this body */
        OK(sd_bus_send(p->server, m, NULL));
}

void systemd_peer_hangup(SystemdPeer *p) {
        p->server = sd_bus_flush_close_unref(p->server);
}

static int reply_unit_call(SystemdPeer *p, sd_bus_message *call) {
        _cleanup_free_ char *name = NULL;
        const char *iface, *prop;
        const PeerUnit *u;
        int r;

        OK(sd_bus_path_decode(sd_bus_message_get_path(call), UNIT_PREFIX, &name));
        CHECK(name != NULL);
        u = systemd_peer_find_unit(p, name);
        OK(sd_bus_message_read(call, "s", &iface));
        if (streq(sd_bus_message_get_member(call), "GetAll")) {
                p->n_getall++;
                free(p->last_getall);
                p->last_getall = xstrdup(name);
                CHECK(streq(iface, "org.freedesktop.systemd1.Service"));
                r = sd_bus_reply_method_return(call, "a{sv}", 3, "Type", "s", "simple",
                                               "PrivateNetwork", "b", u && u->private_network,
                                               "UMask", "u", (uint32_t) 0077);
                /* PID 1 loads a unit it is asked about; one that does not exist is announced
                 * with UnitNew and unloaded again soon after. */
                if (r >= 0 && !u && p->announce_unknown) {
                        p->n_announced++;
                        emit_unit(p, "UnitNew", name);
                }
                return r;
        }
        p->n_get++;
        CHECK(streq(iface, "org.freedesktop.systemd1.Unit"));
        OK(sd_bus_message_read(call, "s", &prop));
        if (streq(prop, "Id"))
                return sd_bus_reply_method_return(call, "v", "s", name);
        if (streq(prop, "Description"))
                return sd_bus_reply_method_return(call, "v", "s", "a test unit");
        if (streq(prop, "LoadState"))
                return sd_bus_reply_method_return(call, "v", "s", u ? "loaded" : "not-found");
        if (streq(prop, "DefaultDependencies"))
                return sd_bus_reply_method_return(call, "v", "b", 1);
        if (streq(prop, "FragmentPath"))
                return sd_bus_reply_method_return(call, "v", "s",
                                                  !u ? "" : p->fragment ?: "/etc/systemd/system/x");
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

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdPeer *p = userdata;
        const char *member = sd_bus_message_get_member(m), *path = sd_bus_message_get_path(m);

        (void) ret_error;
        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        if (p->as_bus && streq_ptr(sd_bus_message_get_destination(m), "org.freedesktop.DBus")) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                OK(sd_bus_message_new_method_return(m, &reply));
                OK(sd_bus_message_set_sender(reply, "org.freedesktop.DBus"));
                if (streq(member, "Hello"))
                        OK(sd_bus_message_append(reply, "s", ":1.42"));
                return sd_bus_send(NULL, reply, NULL); /* AddMatch and the rest: fine */
        }
        if (streq(member, "Subscribe")) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                p->n_subscribe++;
                if (p->refuse_subscribe)
                        return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.Failed",
                                                          "not now");
                OK(sd_bus_message_new_method_return(m, &reply));
                if (p->as_bus)
                        OK(sd_bus_message_set_sender(reply, p->owner));
                return sd_bus_send(NULL, reply, NULL);
        }
        if (streq(member, "ListUnits")) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                p->n_list_units++;
                OK(sd_bus_message_new_method_return(m, &reply));
                OK(sd_bus_message_open_container(reply, 'a', "(ssssssouso)"));
                for (size_t i = 0; i < p->n_units; i++)
                        OK(sd_bus_message_append(reply, "(ssssssouso)", p->units[i].name,
                                                 "a test unit", "loaded", "active", "running",
                                                 "", "/x", 0u, "", "/"));
                OK(sd_bus_message_close_container(reply));
                return sd_bus_send(NULL, reply, NULL);
        }
        if (streq(member, "Get") && streq(path, PATH))
                return sd_bus_reply_method_return(m, "v", "s", "252.39-1~deb12u2");
        if ((streq(member, "GetAll") || streq(member, "Get")) && startswith(path, UNIT_PREFIX "/"))
                return reply_unit_call(p, m) < 0 ? -EIO : 1;
        return 0;
}

int systemd_peer_connect(sd_bus **ret, void *userdata) {
        static const sd_id128_t id = { .bytes = { 1, 2, 3 } };
        SystemdPeer *p = userdata;
        sd_bus *client = NULL;
        int fds[2];

        OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds));
        p->server = sd_bus_flush_close_unref(p->server);
        OK(sd_bus_new(&p->server));
        OK(sd_bus_set_fd(p->server, fds[1], fds[1]));
        OK(sd_bus_set_server(p->server, 1, id));
        OK(sd_bus_add_filter(p->server, NULL, on_call, p));
        OK(sd_bus_start(p->server));
        OK(sd_bus_attach_event(p->server, p->event, 0));

        OK(sd_bus_new(&client));
        OK(sd_bus_set_fd(client, fds[0], fds[0]));
        OK(sd_bus_set_bus_client(client, p->as_bus));
        OK(sd_bus_start(client));
        p->n_connects++;
        *ret = client;
        return 0;
}

bool systemd_peer_run_until(sd_event *e, bool (*done)(void *), void *userdata,
                            uint64_t timeout_usec) {
        uint64_t end = now_monotonic_usec() + timeout_usec;

        while (!done(userdata)) {
                if (now_monotonic_usec() >= end)
                        return false;
                OK(sd_event_run(e, 10 * 1000));
        }
        return true;
}

void systemd_peer_run_for(sd_event *e, uint64_t usec) {
        uint64_t end = now_monotonic_usec() + usec;

        while (now_monotonic_usec() < end)
                OK(sd_event_run(e, 10 * 1000));
}
