/* SPDX-License-Identifier: MIT */
/* bus-props: the D-Bus side of UnitProps. A property map table {name, signature, reader, interface,
 * offset} and decoders for GetAll and Get replies. Only the properties listed there are decoded;
 * every other property, and a listed one that arrives with an unexpected signature, is skipped
 * unread (systemd-analyze fails the whole unit on a signature mismatch; we keep the default
 * instead, see the table). Reads messages only: never sends one, never logs. */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "unit-props.h"

/* The interface a property lives on. GetAll("") on a unit returns both; a reader may also ask for
 * each interface on its own (bus-scan.c does: the manager serializes far less). */
typedef enum BusPropInterface {
        BUS_PROP_SERVICE,  /* org.freedesktop.systemd1.Service: service, exec, cgroup context */
        BUS_PROP_UNIT,     /* org.freedesktop.systemd1.Unit: Id, LoadState, ... */
} BusPropInterface;

#define BUS_PROP_SERVICE_INTERFACE "org.freedesktop.systemd1.Service"
#define BUS_PROP_UNIT_INTERFACE "org.freedesktop.systemd1.Unit"

/* A row of the D-Bus property map. read() is called with the message positioned inside the
 * property's variant, whose signature has been checked to equal `signature`; it reads exactly one
 * value of that signature into the field at `offset` (or into fields of its own choosing when
 * offset is 0), replacing (and freeing) a previous value. Returns 0 or -errno. */
typedef struct BusPropMap {
        const char *name;
        const char *signature;
        int (*read)(sd_bus_message *m, UnitProps *p, size_t offset);
        BusPropInterface iface;  /* the interface the manager reports it on */
        size_t offset;
} BusPropMap;

/* The property map, sorted by name (strcmp); *ret_n gets the number of rows. */
const BusPropMap *bus_prop_map_get(size_t *ret_n);
/* The row for a property name, or NULL. */
const BusPropMap *bus_prop_map_find(const char *name);

/* Decode an org.freedesktop.DBus.Properties.GetAll reply body (a{sv}), read from the current
 * position of m, into *ret. Unknown properties and properties with an unexpected signature are
 * skipped; missing ones keep the unit_props_init() defaults; a repeated property replaces the
 * earlier value. Returns 0, or a negative errno from sd-bus when the message is malformed (then
 * *ret is untouched). On success *ret is released with unit_props_done() and then replaced, so it
 * must have been initialised (unit_props_init() or a zeroed struct). */
int bus_props_from_message(sd_bus_message *m, UnitProps *ret);

/* The same decoding of a GetAll reply body (a{sv}), but on top of *p: the properties it holds
 * replace their fields, every other field is kept (to merge the replies of GetAll calls on the
 * Unit and the Service interface). Returns 0 or a negative errno from sd-bus; then *p may be
 * partly updated (still consistent: unit_props_done() releases it). */
int bus_props_update_from_message(sd_bus_message *m, UnitProps *p);

/* Decode a Properties.Get reply body (one variant) for the property `name` of the map into *p,
 * with the GetAll rules: a variant of an unexpected signature is skipped and the field kept.
 * Returns 0, -EINVAL when name is not in the map, or a negative errno from sd-bus (then the
 * field may hold a new value or its old one). */
int bus_props_read_property(sd_bus_message *m, const char *name, UnitProps *p);

/* Set the string property `name` (a map row of signature "s") to value, with the decoder's rule
 * that an empty string is stored as NULL: for values that come from another call (ListUnits
 * reports Id, Description and LoadState as the properties do). Returns 0 or -EINVAL when name is
 * not a string property of the map. */
int bus_props_set_string(UnitProps *p, const char *name, const char *value);
