/* SPDX-License-Identifier: MIT */
/* The json-c building blocks every JSON writer and reader shares (render-json, render-plan,
 * render-fleet, prom-client, fleet-model): one string, one exposure number, one time and one
 * serialization rule, written once. Never use json-c's own string or double constructors on
 * unit text or exposures directly: unit text may be invalid UTF-8 and a double prints as 9.59999. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "buf.h"
#include "cleanup.h"

/* Drops *j's reference (NULL is fine); for _cleanup_json_. */
static inline void json_putp(json_object **j) {
        if (*j)
                (void) json_object_put(*j);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* A string, sanitized to valid UTF-8 (U+FFFD for bad bytes); NULL for s NULL (JSON null) or when
 * json-c fails. */
json_object *render_json_string(const char *s);
/* An exposure in tenths as a JSON number written exactly as systemd prints it ("9.6"). */
json_object *render_json_tenths(unsigned tenths);
/* usec as an RFC 3339 UTC string; NULL (JSON null) for 0. */
json_object *render_json_time(uint64_t usec);
/* o[k] = v, taking v's reference (v NULL: null). */
void render_json_add(json_object *o, const char *k, json_object *v);
/* Appends o serialized with json-c's flags (never escaping '/'). Returns 0, or -ENOMEM for o NULL
 * (a failed constructor upstream) or when json-c fails. */
int render_json_emit(json_object *o, int flags, Buf *out);

/* The short names the JSON writers use (one definition each, above). */
#define jstr(s) render_json_string(s)
#define jtenths(t) render_json_tenths(t)
#define jtime(usec) render_json_time(usec)
#define add(o, k, v) render_json_add(o, k, v)
