/* SPDX-License-Identifier: MIT */
/* The JSON API bodies, built with json-c only (never printf'd JSON). Pure: State and rows in, bytes
 * appended to a Buf out. Strings from units pass through render_utf8_sanitize() first because
 * json-c copies bytes verbatim and strict clients reject invalid UTF-8. Exposures are JSON
 * numbers written exactly as systemd prints them (9.6, never 9.5999999). Times are given twice:
 * RFC 3339 UTC ("last_change") and integer microseconds ("last_change_usec").
 * Returns 0, or -ENOMEM when json-c fails (its NULL). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "render.h"
#include "util.h"

static inline void json_putp(json_object **j) {
        if (*j)
                (void) json_object_put(*j);
}
#define _cleanup_json_ _cleanup_(json_putp)

static bool is_ascii(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s >= 0x80)
                        return false;
        return true;
}

/* A string (NULL -> null), sanitized to valid UTF-8 (plain ASCII, the common case, directly). */
static json_object *jstr(const char *s) {
        Buf b = {};
        json_object *j;

        if (!s)
                return NULL;
        if (is_ascii(s))
                return json_object_new_string(s);
        render_utf8_sanitize(&b, s);
        j = json_object_new_string_len(b.data ? b.data : "", (int) b.len);
        buf_done(&b);
        return j;
}

/* A number written exactly as systemd prints it ("9.6"), not as %.17g would. */
static json_object *jtenths(unsigned tenths) {
        char s[16];

        (void) snprintf(s, sizeof s, "%u.%u", tenths / 10, tenths % 10);
        return json_object_new_double_s(tenths / 10.0, s);
}

static json_object *jtime(uint64_t usec) {
        Buf b = {};
        json_object *j;

        if (usec == 0)
                return NULL;
        render_rfc3339(&b, usec);
        j = json_object_new_string_len(b.data, (int) b.len);
        buf_done(&b);
        return j;
}

static void add(json_object *o, const char *k, json_object *v) {
        (void) json_object_object_add(o, k, v);
}

static void add_time(json_object *o, const char *k, const char *k_usec, uint64_t usec) {
        add(o, k, jtime(usec));
        add(o, k_usec, usec ? json_object_new_int64((int64_t) usec) : NULL);
}

static int emit(json_object *o, Buf *out) {
        const char *s;
        size_t n = 0;

        if (!o)
                return -ENOMEM;
        s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        if (!s)
                return -ENOMEM;
        buf_append(out, s, n);
        return 0;
}

static json_object *unit_summary(const UnitState *u) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        add(o, "unit", jstr(u->id));
        add(o, "description", jstr(u->props.description));
        add(o, "exposure", jtenths(u->report.exposure));
        add(o, "predicate", jstr(predicate_to_string(u->report.predicate)));
        add(o, "failed_checks", json_object_new_int((int) render_failed_checks(&u->report)));
        add(o, "oneshot", json_object_new_boolean(u->oneshot));
        add(o, "regressions", json_object_new_int64((int64_t) u->regressions));
        add(o, "improvements", json_object_new_int64((int64_t) u->improvements));
        add_time(o, "first_seen", "first_seen_usec", u->first_seen_usec);
        add_time(o, "last_change", "last_change_usec", u->last_change_usec);
        return o;
}

int render_json_units(const State *s, const RenderOptions *o, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr = json_object_new_array_ext((int) s->n_units);

        (void) o;
        if (!root || !arr) {
                json_putp(&arr);
                return -ENOMEM;
        }
        add(root, "units", arr);
        for (size_t i = 0; i < s->n_units; i++)
                if (json_object_array_add(arr, unit_summary(s->units[i])) < 0)
                        return -ENOMEM;
        add(root, "count", json_object_new_int64((int64_t) s->n_units));
        return emit(root, out);
}

static const char *na_reason(NotApplicable na) {
        switch (na) {
        case NA_BOOT_PHASE:
                return "boot-phase";
        case NA_POLICY:
                return "policy";
        case NA_PRIVILEGED:
                return "privileged";
        default:
                return NULL;
        }
}

int render_json_unit(const State *s, const UnitState *u, const RenderOptions *o, Buf *out) {
        _cleanup_json_ json_object *root = unit_summary(u);
        const ScoreReport *r = &u->report;
        json_object *checks;
        Buf d = {};

        (void) s;
        if (!root)
                return -ENOMEM;
        add(root, "fragment_path", jstr(u->props.fragment_path));
        add(root, "load_state", jstr(u->props.load_state));
        add(root, "type", jstr(u->props.type));
        add(root, "badness_sum", json_object_new_int64((int64_t) r->badness_sum));
        add(root, "weight_sum", json_object_new_int64((int64_t) r->weight_sum));
        checks = json_object_new_array();
        if (!checks)
                return -ENOMEM;
        add(root, "checks", checks);
        for (size_t i = 0; i < r->n_checks && i < SCORE_ROWS_MAX; i++) {
                const ScoreCheck *c = &r->checks[i];
                const Assessor *a = c->assessor;
                json_object *j = json_object_new_object();
                bool na = c->badness == BADNESS_NA;

                if (!j || json_object_array_add(checks, j) < 0) {
                        json_putp(&j);
                        return -ENOMEM;
                }
                buf_clear(&d);
                score_check_describe(r, i, o ? o->overrides : NULL, &d);
                add(j, "name", jstr(a ? a->id : NULL));
                add(j, "json_field", jstr(a ? a->json_field : NULL));
                add(j, "description", jstr(d.data ? d.data : ""));
                add(j, "weight", json_object_new_int64((int64_t) c->weight));
                add(j, "range", json_object_new_int64((int64_t) c->range));
                add(j, "badness", na ? NULL : json_object_new_int64((int64_t) c->badness));
                add(j, "verdict", jstr(render_check_verdict(c)));
                add(j, "na_reason", jstr(na_reason(c->na)));
                add(j, "exposure", na ? NULL : jtenths(c->exposure));
                add(j, "fix", jstr(a && !na && c->badness > 0 ? a->fix : NULL));
        }
        buf_done(&d);
        return emit(root, out);
}

int render_json_history(const char *unit, const Change *rows, size_t n, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr = json_object_new_array_ext((int) n);

        if (!root || !arr) {
                json_putp(&arr);
                return -ENOMEM;
        }
        add(root, "unit", jstr(unit));
        add(root, "history", arr);
        for (size_t i = 0; i < n; i++) {
                json_object *j = json_object_new_object();
                if (!j || json_object_array_add(arr, j) < 0) {
                        json_putp(&j);
                        return -ENOMEM;
                }
                add_time(j, "time", "time_usec", rows[i].time_usec);
                add(j, "kind", jstr(event_kind_to_string(rows[i].kind)));
                add(j, "exposure", rows[i].exposure >= 0 ? jtenths((unsigned) rows[i].exposure) :
                                                           NULL);
                add(j, "predicate", jstr(predicate_to_string(rows[i].predicate)));
        }
        add(root, "count", json_object_new_int64((int64_t) n));
        return emit(root, out);
}

int render_json_events(const Change *rows, size_t n, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr = json_object_new_array_ext((int) n);
        Buf detail = {};

        if (!root || !arr) {
                json_putp(&arr);
                return -ENOMEM;
        }
        add(root, "events", arr);
        for (size_t i = 0; i < n; i++) {
                const Change *e = &rows[i];
                json_object *j = json_object_new_object();
                if (!j || json_object_array_add(arr, j) < 0) {
                        json_putp(&j);
                        buf_done(&detail);
                        return -ENOMEM;
                }
                add_time(j, "time", "time_usec", e->time_usec);
                add(j, "unit", jstr(e->unit));
                add(j, "kind", jstr(event_kind_to_string(e->kind)));
                add(j, "previous", e->previous >= 0 ? jtenths((unsigned) e->previous) : NULL);
                add(j, "exposure", e->exposure >= 0 ? jtenths((unsigned) e->exposure) : NULL);
                add(j, "predicate", jstr(predicate_to_string(e->predicate)));
                buf_clear(&detail);
                render_change_detail(&detail, e);
                add(j, "detail", detail.len > 0 ? jstr(detail.data) : NULL);
        }
        buf_done(&detail);
        add(root, "count", json_object_new_int64((int64_t) n));
        return emit(root, out);
}

int render_json_error(const char *msg, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();

        if (!root)
                return -ENOMEM;
        add(root, "error", jstr(msg));
        return emit(root, out);
}

int render_json_status(const State *s, const RenderOptions *o, const StatusInfo *st, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *preds, *db;
        size_t counts[_PREDICATE_MAX];

        if (!root)
                return -ENOMEM;
        add(root, "version", jstr(o && o->version ? o->version : "unknown"));
        add(root, "systemd_version", jstr(s->systemd_version));
        add(root, "systemd_major", json_object_new_int((int) s->systemd_major));
        add(root, "bus_up", json_object_new_boolean(s->bus_up));
        add(root, "units", json_object_new_int64((int64_t) s->n_units));
        preds = json_object_new_object();
        if (!preds)
                return -ENOMEM;
        add(root, "predicates", preds);
        state_count_predicates(s, counts);
        for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                add(preds, predicate_to_string(p), json_object_new_int64((int64_t) counts[p]));
        add(root, "scans", json_object_new_int64((int64_t) s->n_scans));
        add_time(root, "last_scan", "last_scan_usec", s->last_scan_usec);
        add(root, "scan_duration_usec", json_object_new_int64((int64_t) s->scan_duration_usec));
        add_time(root, "started", "started_usec", s->start_usec);
        db = json_object_new_object();
        if (!db)
                return -ENOMEM;
        add(root, "database", db);
        add(db, "available", json_object_new_boolean(st && st->db_available));
        add(db, "ok", json_object_new_boolean(st && st->db_available && st->db_error == 0));
        if (st && st->db_available && st->db_error != 0)
                add(db, "error", jstr(strerror(-st->db_error)));
        if (st && st->db_available) {
                add(db, "schema_version", json_object_new_int((int) st->schema_version));
                add(db, "bytes", json_object_new_int64((int64_t) st->db_bytes));
                add(db, "wal_bytes", json_object_new_int64((int64_t) st->wal_bytes));
                add(db, "changes", json_object_new_int64((int64_t) st->n_changes));
                add(db, "events", json_object_new_int64((int64_t) st->n_events));
                add(db, "scans", json_object_new_int64((int64_t) st->n_scans));
        }
        return emit(root, out);
}
