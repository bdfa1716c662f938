/* SPDX-License-Identifier: MIT */
/* The JSON API bodies, built with json-c only (never printf'd JSON). Pure: State and rows in, bytes
 * appended to a Buf out. Strings from units pass through render_utf8_sanitize() first because
 * json-c copies bytes verbatim and strict clients reject invalid UTF-8. Exposures are JSON
 * numbers written exactly as systemd prints them (9.6, never 9.5999999). Times are given twice:
 * RFC 3339 UTC ("last_change") and integer microseconds ("last_change_usec").
 * Returns 0, or -ENOMEM when json-c fails (its NULL). */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "cleanup.h"
#include "render-json.h"
#include "render.h"
#include "util.h"

static bool is_ascii(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s >= 0x80)
                        return false;
        return true;
}

/* Plain ASCII, the common case, directly. */
json_object *render_json_string(const char *s) {
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

json_object *render_json_tenths(unsigned tenths) {
        char s[8];

        return json_object_new_double_s(tenths / 10.0, render_format_tenths(tenths, s));
}

json_object *render_json_time(uint64_t usec) {
        Buf b = {};
        json_object *j;

        if (usec == 0)
                return NULL;
        render_rfc3339(&b, usec);
        j = json_object_new_string_len(b.data, (int) b.len);
        buf_done(&b);
        return j;
}

void render_json_add(json_object *o, const char *k, json_object *v) {
        (void) json_object_object_add(o, k, v);
}

static void add_time(json_object *o, const char *k, const char *k_usec, uint64_t usec) {
        add(o, k, jtime(usec));
        add(o, k_usec, usec ? json_object_new_int64((int64_t) usec) : NULL);
}

int render_json_emit(json_object *o, int flags, Buf *out) {
        const char *s;
        size_t n = 0;

        if (!o)
                return -ENOMEM;
        s = json_object_to_json_string_length(o, flags | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        if (!s)
                return -ENOMEM;
        buf_append(out, s, n);
        return 0;
}

/* The API's bodies: compact. */
static int emit(json_object *o, Buf *out) {
        return render_json_emit(o, JSON_C_TO_STRING_PLAIN, out);
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
        /* false: PID 1 unloaded it while its unit file stayed, and it is kept as last read
         * (systemd-analyze, which lists loaded units, does not show it) */
        add(o, "loaded", json_object_new_boolean(!u->unloaded));
        add(o, "regressions", json_object_new_int64((int64_t) u->regressions));
        add(o, "improvements", json_object_new_int64((int64_t) u->improvements));
        add_time(o, "first_seen", "first_seen_usec", u->first_seen_usec);
        add_time(o, "last_change", "last_change_usec", u->last_change_usec);
        /* Configured vs running (state.h): the main process runs with running_exposure. */
        add(o, "restart_pending", json_object_new_boolean(unit_state_restart_pending(u)));
        add(o, "running_exposure", unit_state_running(u) >= 0
                                           ? jtenths((unsigned) unit_state_running(u))
                                           : NULL);
        add(o, "need_daemon_reload", json_object_new_boolean(u->props.need_daemon_reload));
        add(o, "policy", jstr(policy_status_to_string(u->policy.status)));
        add(o, "max_exposure", policy_verdict_ceiling(&u->policy) >= 0
                                                      ? jtenths((unsigned) u->policy.ceiling)
                                                      : NULL);
        add(o, "user", jstr(u->user)); /* null: the system manager's */
        return o;
}

static json_object *jrule(const PolicyRule *r) {
        char buf[4096];
        if (!r)
                return NULL;
        (void) snprintf(buf, sizeof buf, "%s:%u", r->file, r->line);
        return jstr(buf);
}

/* The unit's standing against the policy (unit-policy.h), for its detail object. */
static json_object *unit_policy_object(const State *s, const UnitState *u) {
        const PolicyVerdict *v = &u->policy;
        const UnitPolicy *p = s ? s->policy : NULL;
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        add(o, "status", jstr(policy_status_to_string(v->status)));
        add(o, "max_exposure",
            policy_verdict_ceiling(v) >= 0 ? jtenths((unsigned) v->ceiling) : NULL);
        add(o, "max_exposure_rule",
            jrule(unit_policy_verdict_rule(p, v, true)));
        add(o, "rule", jrule(unit_policy_verdict_rule(p, v, false)));
        add(o, "over_max_exposure", json_object_new_boolean(v->over_ceiling));
        add(o, "allow_list", json_object_new_boolean(v->allow_list));
        add(o, "checks_not_accepted", json_object_new_int((int) v->n_unaccepted));
        if (v->next_expiry_usec > 0)
                add_time(o, "next_expiry", "next_expiry_usec", v->next_expiry_usec);
        return o;
}

/* The units pages walk one list: the system manager's units (s->units, by id), then the user
 * managers' (s->user_units, by user and id). */
static const UnitState *page_unit(const State *s, size_t i) {
        return i < s->n_units ? s->units[i] : s->user_units[i - s->n_units];
}

static json_object *page_cursor(const UnitState *u) {
        Buf b = {};
        json_object *o;

        if (!u->user)
                return jstr(u->id);
        buf_puts(&b, u->user);
        buf_putc(&b, '/');
        buf_puts(&b, u->id);
        o = jstr(b.data);
        buf_done(&b);
        return o;
}

size_t render_units_page_start(const State *s, const UnitsPage *p) {
        const char *slash;
        size_t i;

        if (!p->cursor)
                return 0;
        slash = strchr(p->cursor, '/');
        if (slash) { /* "USER/UNIT": a user manager's unit (unit names have no '/') */
                size_t n = (size_t) (slash - p->cursor);

                for (i = 0; i < s->n_user_units; i++) {
                        const UnitState *u = s->user_units[i];
                        int c = strncmp(u->user, p->cursor, n);

                        if (c == 0 && u->user[n] != '\0')
                                c = 1;
                        if (c == 0)
                                c = strcmp(u->id, slash + 1);
                        if (c > 0)
                                break;
                        if (c == 0) {
                                i++;
                                break;
                        }
                }
                return s->n_units + i;
        }
        i = state_lower_bound(s, p->cursor);
        if (i < s->n_units && streq(s->units[i]->id, p->cursor))
                i++; /* the cursor's own unit was on the page before */
        return i;
}

int render_json_units_page(const State *s, const RenderOptions *o, const UnitsPage *p, Buf *out) {
        size_t lo = 0, hi = s->n_units + s->n_user_units, start, n, n_user;
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr;

        (void) o;
        if (p->user) { /* that user's units only */
                lo = s->n_units + state_user_range(s, p->user, &n_user);
                hi = lo + n_user;
        }
        start = render_units_page_start(s, p);
        if (start < lo)
                start = lo;
        n = start < hi ? hi - start : 0;
        if (n > p->limit)
                n = p->limit;
        arr = json_object_new_array_ext((int) n);
        if (!root || !arr) {
                json_putp(&arr);
                return -ENOMEM;
        }
        add(root, "units", arr);
        for (size_t i = start; i < start + n; i++)
                if (json_object_array_add(arr, unit_summary(page_unit(s, i))) < 0)
                        return -ENOMEM;
        add(root, "count", json_object_new_int64((int64_t) (hi - lo)));
        add(root, "next_cursor", start + n < hi && n > 0 ? page_cursor(page_unit(s, start + n - 1))
                                                          : NULL);
        return emit(root, out);
}

int render_json_units(const State *s, const RenderOptions *o, Buf *out) {
        return render_json_units_page(s, o, &(UnitsPage) { .limit = SIZE_MAX }, out);
}

static const char *na_reason(NotApplicable na) {
        switch (na) {
        case NA_BOOT_PHASE:
                return "boot-phase";
        case NA_POLICY:
                return "policy";
        case NA_PRIVILEGED:
                return "privileged";
        case NA_USER_MANAGER:
                return "user-manager";
        default:
                return NULL;
        }
}

int render_json_unit(const State *s, const UnitState *u, const RenderOptions *o, Buf *out) {
        _cleanup_json_ json_object *root = unit_summary(u);
        const ScoreReport *r = &u->report;
        json_object *checks;
        Buf d = {};

        if (!root)
                return -ENOMEM;
        add(root, "policy_detail", unit_policy_object(s, u));
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
                /* A waiver of the policy covering this check: in force, or expired. */
                bool expired = false;
                const PolicyRule *w = unit_policy_waiver(s ? s->policy : NULL, &u->policy, i,
                                                         &expired);
                json_object *acc = NULL;
                if (w && (acc = json_object_new_object())) {
                        add(acc, "reason", jstr(w->reason));
                        add(acc, "expires", jstr(w->expires));
                        if (w->expires_usec > 0)
                                add(acc, "expires_usec",
                                    json_object_new_int64((int64_t) w->expires_usec));
                        add(acc, "expired", json_object_new_boolean(expired));
                        add(acc, "rule", jrule(w));
                }
                add(j, "accepted", acc);
        }
        buf_done(&d);
        return emit(root, out);
}

/* Which keys a change row carries: the API's history rows have the first set, its events add the
 * unit's (unit, previous, detail), the CLI's rows add the provenance too (cause, versions, the
 * changed checks). One naming everywhere: "previous" is the exposure before the change. */
typedef enum ChangeKeys {
        KEYS_HISTORY = 0,
        KEYS_EVENT = 1 << 0,
        KEYS_PROVENANCE = 1 << 1,
} ChangeKeys;

/* A check's badness in a change row: null when absent from that table or not applicable. */
static json_object *jbadness(uint64_t b) {
        return b == BADNESS_ABSENT || b == BADNESS_NA ? NULL : json_object_new_int64((int64_t) b);
}

static json_object *jexposure(int tenths) {
        return tenths >= 0 ? jtenths((unsigned) tenths) : NULL;
}

static const char *const blame_op_names[_BLAME_OP_MAX] = {
        [BLAME_OP_SAME] = "same",
        [BLAME_OP_ADDED] = "added",
        [BLAME_OP_REMOVED] = "removed",
        [BLAME_OP_CHANGED] = "changed",
};

static json_object *jop(BlameOp op) {
        return jstr(op >= 0 && op < _BLAME_OP_MAX ? blame_op_names[op] : NULL);
}

/* A change's blame (blame.h): {reason, summary, files: [...], lines: [...], running_exposure,
 * live}. live: the new configuration runs (true), waits for a restart (false), no main process
 * (null). */
static json_object *blame_object(const BlameRecord *b, int exposure) {
        json_object *j = json_object_new_object(), *files, *lines;
        Buf summary = {};

        if (!j)
                return NULL;
        add(j, "reason", jstr(blame_reason_to_string(b->reason)));
        render_blame_summary(&summary, b, 3);
        add(j, "summary", jstr(summary.data ? summary.data : ""));
        buf_done(&summary);
        files = json_object_new_array_ext((int) b->n_files);
        lines = json_object_new_array_ext((int) b->n_lines);
        add(j, "files", files);
        add(j, "lines", lines);
        if (!files || !lines) {
                json_putp(&j);
                return NULL;
        }
        for (size_t i = 0; i < b->n_files; i++) {
                const BlameFileChange *f = &b->files[i];
                json_object *o = json_object_new_object();
                if (!o || json_object_array_add(files, o) < 0) {
                        json_putp(&o);
                        json_putp(&j);
                        return NULL;
                }
                add(o, "path", jstr(f->path));
                add(o, "change", jop(f->op));
                add(o, "error", f->error < 0 ? jstr(strerror(-f->error)) : NULL);
                add(o, "size", f->error < 0 ? NULL : json_object_new_int64((int64_t) f->size));
                if (f->error == 0)
                        add_time(o, "mtime", "mtime_usec", f->mtime_usec);
                add(o, "sha256", f->sha256[0] ? jstr(f->sha256) : NULL);
        }
        for (size_t i = 0; i < b->n_lines; i++) {
                const BlameLine *l = &b->lines[i];
                json_object *o = json_object_new_object();
                Buf text = {};
                if (!o || json_object_array_add(lines, o) < 0) {
                        json_putp(&o);
                        json_putp(&j);
                        return NULL;
                }
                add(o, "change", jop(l->op));
                add(o, "path", jstr(l->path));
                add(o, "section", jstr(l->section));
                add(o, "key", jstr(l->key));
                add(o, "old", l->old_value ? jstr(l->old_value) : NULL);
                add(o, "new", l->new_value ? jstr(l->new_value) : NULL);
                render_blame_line(&text, l);
                add(o, "text", jstr(text.data));
                buf_done(&text);
        }
        add(j, "files_omitted", json_object_new_int64((int64_t) b->n_files_omitted));
        add(j, "lines_omitted", json_object_new_int64((int64_t) b->n_lines_omitted));
        add(j, "running_exposure", jexposure(b->running_exposure));
        add(j, "live", b->running_exposure < 0 || exposure < 0
                               ? NULL
                               : json_object_new_boolean(b->running_exposure == exposure));
        return j;
}

static json_object *change_object(const Change *c, ChangeKeys keys) {
        json_object *j = json_object_new_object(), *checks;
        Buf detail = {};

        if (!j)
                return NULL;
        add_time(j, "time", "time_usec", c->time_usec);
        if (keys & KEYS_EVENT)
                add(j, "unit", jstr(c->unit));
        if (c->user) /* a user manager's unit; the system's rows have no such key */
                add(j, "user", jstr(c->user));
        add(j, "kind", jstr(event_kind_to_string(c->kind)));
        if (keys & KEYS_PROVENANCE)
                add(j, "cause", jstr(cause_to_string(c->cause)));
        if (keys & KEYS_EVENT)
                add(j, "previous", jexposure(event_kind_is_policy(c->kind) ? -1 : c->previous));
        add(j, "exposure", jexposure(c->exposure));
        add(j, "predicate", jstr(predicate_to_string(c->predicate)));
        if (c->blame) {
                json_object *b = blame_object(c->blame, c->exposure);
                if (!b) {
                        json_putp(&j);
                        return NULL;
                }
                add(j, "blame", b);
        }
        if (keys & KEYS_EVENT && event_kind_is_policy(c->kind)) {
                /* policy events: the ceiling in force and the checks concerned (event.h) */
                json_object *names = json_object_new_array_ext((int) c->n_checks);
                add(j, "max_exposure", jexposure(c->previous));
                for (size_t k = 0; names && k < c->n_checks; k++)
                        (void) json_object_array_add(names, jstr(c->checks[k].check));
                add(j, "policy_checks", names);
        } else if (keys & KEYS_EVENT && c->kind != EVENT_DATABASE &&
                   c->kind != EVENT_SYSTEMD_UPGRADE && c->kind != EVENT_SCORER_UPGRADE)
                /* a regression (or another score change) that took the unit over policy */
                add(j, "broke_policy", json_object_new_boolean(c->broke_policy));
        if (keys & KEYS_EVENT) {
                render_change_detail(&detail, c);
                add(j, "detail", detail.len > 0 ? jstr(detail.data) : NULL);
                buf_done(&detail);
        }
        if (!(keys & KEYS_PROVENANCE))
                return j;
        add(j, "systemd_version", jstr(c->systemd_version));
        add(j, "scorer_version", jstr(c->scorer_version));
        if (c->systemd_version_before)
                add(j, "systemd_version_before", jstr(c->systemd_version_before));
        checks = json_object_new_array_ext((int) c->n_checks);
        if (!checks) {
                json_putp(&j);
                return NULL;
        }
        add(j, "checks", checks);
        for (size_t k = 0; k < c->n_checks; k++) {
                json_object *ck = json_object_new_object();

                if (!ck || json_object_array_add(checks, ck) < 0) {
                        json_putp(&ck);
                        json_putp(&j);
                        return NULL;
                }
                add(ck, "check", jstr(c->checks[k].check));
                add(ck, "old", jbadness(c->checks[k].old_badness));
                add(ck, "new", jbadness(c->checks[k].new_badness));
        }
        return j;
}

/* An array of rows, or NULL when json-c fails. */
static json_object *change_array(const Change *rows, size_t n, ChangeKeys keys) {
        json_object *arr = json_object_new_array_ext((int) n);

        for (size_t i = 0; arr && i < n; i++) {
                json_object *j = change_object(&rows[i], keys);
                if (!j || json_object_array_add(arr, j) < 0) {
                        json_putp(&j);
                        json_putp(&arr);
                }
        }
        return arr;
}

/* {"unit": unit (when with_unit), key: [rows], "count": n}. */
static int emit_changes(bool with_unit, const char *unit, const char *key, const Change *rows,
                        size_t n, ChangeKeys keys, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr = change_array(rows, n, keys);

        if (!root || !arr) {
                json_putp(&arr);
                return -ENOMEM;
        }
        if (with_unit)
                add(root, "unit", jstr(unit));
        add(root, key, arr);
        add(root, "count", json_object_new_int64((int64_t) n));
        return emit(root, out);
}

int render_json_history(const char *unit, const Change *rows, size_t n, Buf *out) {
        return emit_changes(true, unit, "history", rows, n, KEYS_HISTORY, out);
}

int render_json_events(const Change *rows, size_t n, Buf *out) {
        return emit_changes(false, NULL, "events", rows, n, KEYS_EVENT, out);
}

int render_json_changes(const Change *rows, size_t n, Buf *out) {
        _cleanup_json_ json_object *arr = change_array(rows, n, KEYS_EVENT | KEYS_PROVENANCE);
        int r = render_json_emit(arr, JSON_C_TO_STRING_PRETTY, out);

        if (r >= 0)
                buf_putc(out, '\n');
        return r;
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
        size_t counts[_PREDICATE_MAX], n_oneshot;

        if (!root)
                return -ENOMEM;
        add(root, "version", jstr(o && o->version ? o->version : "unknown"));
        add(root, "systemd_version", jstr(s->systemd_version));
        add(root, "systemd_major", json_object_new_int((int) s->systemd_major));
        if (s->table_choice.table) {
                const ScoreTableChoice *c = &s->table_choice;
                json_object *t = json_object_new_object();
                char rel[32];

                if (!t)
                        return -ENOMEM;
                add(root, "score_table", t);
                snprintf(rel, sizeof rel, "%u.%u", c->release.major, c->release.point);
                add(t, "release", jstr(rel));
                add(t, "table", jstr(c->table->name));
                add(t, "checked", jstr(score_checked_to_string(c->checked)));
                add(t, "verified_live", json_object_new_boolean(c->checked == SCORE_CHECKED_LIVE));
        } else
                add(root, "score_table", NULL);
        add(root, "bus_up", json_object_new_boolean(s->bus_up));
        add(root, "units", json_object_new_int64((int64_t) s->n_units));
        preds = json_object_new_object();
        if (!preds)
                return -ENOMEM;
        /* "predicates" counts systemd-analyze's set, as exposured_units does; the Type=oneshot
         * services it skips are counted apart ("units" is every watched service). */
        add(root, "predicates", preds);
        (void) state_count_predicates(s, false, counts);
        for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                add(preds, predicate_to_string(p), json_object_new_int64((int64_t) counts[p]));
        preds = json_object_new_object();
        if (!preds)
                return -ENOMEM;
        add(root, "oneshot_predicates", preds);
        n_oneshot = state_count_predicates(s, true, counts);
        for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                add(preds, predicate_to_string(p), json_object_new_int64((int64_t) counts[p]));
        add(root, "oneshot_units", json_object_new_int64((int64_t) n_oneshot));
        add(root, "scans", json_object_new_int64((int64_t) s->n_scans));
        add_time(root, "last_scan", "last_scan_usec", s->last_scan_usec);
        add(root, "scan_duration_usec", json_object_new_int64((int64_t) s->scan_duration_usec));
        add(root, "incremental_scans", json_object_new_int64((int64_t) s->n_incremental_scans));
        add(root, "rescan_misses", json_object_new_int64((int64_t) s->n_rescan_misses));
        add_time(root, "started", "started_usec", s->start_usec);
        {
                /* The unit policy: what is in force, and whether the last (re)load failed (then
                 * the policy before it stays in force). */
                const PolicyInfo *pi = &s->policy_info;
                json_object *pol = json_object_new_object(), *by = json_object_new_object();
                size_t n[_POLICY_STATUS_MAX] = {};
                if (!pol || !by) {
                        json_putp(&pol);
                        json_putp(&by);
                        return -ENOMEM;
                }
                add(root, "policy", pol);
                add(pol, "dir", jstr(pi->dir));
                add(pol, "loaded", json_object_new_boolean(pi->loaded));
                add(pol, "ok", json_object_new_boolean(pi->loaded && !pi->error));
                if (pi->loaded)
                        add_time(pol, "loaded_at", "loaded_at_usec", pi->loaded_usec);
                add(pol, "files", json_object_new_int64((int64_t) pi->n_files));
                add(pol, "rules", json_object_new_int64((int64_t) pi->n_rules));
                add(pol, "error", jstr(pi->error));
                if (pi->error)
                        add_time(pol, "error_at", "error_at_usec", pi->error_usec);
                add(pol, "loads", json_object_new_int64((int64_t) pi->n_loads));
                add(pol, "failures", json_object_new_int64((int64_t) pi->n_failures));
                for (size_t i = 0; i < s->n_units; i++)
                        if (s->units[i]->policy.status >= 0 &&
                            s->units[i]->policy.status < _POLICY_STATUS_MAX)
                                n[s->units[i]->policy.status]++;
                add(pol, "units", by);
                for (PolicyStatus k = 0; k < _POLICY_STATUS_MAX; k++)
                        add(by, policy_status_to_string(k), json_object_new_int64((int64_t) n[k]));
        }
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
                if (st->wal_budget_bytes > 0)
                        add(db, "wal_budget_bytes",
                            json_object_new_int64((int64_t) st->wal_budget_bytes));
                /* The newest "database" event: a reset after corruption (and where the old file
                 * is), writes refused for a while, retention held back by a clock jump. */
                if (st->notice_usec > 0 && st->notice) {
                        json_object *n = json_object_new_object();
                        if (!n)
                                return -ENOMEM;
                        add(db, "last_event", n);
                        add_time(n, "time", "time_usec", st->notice_usec);
                        add(n, "message", jstr(st->notice));
                }
        }
        return emit(root, out);
}

/* ---- `exposured scan --json`: systemd-analyze's keys, not the API's (cmd-scan.c: the contract) */

/* The policy description that applies to a check, if any: systemd prints "" for an empty one,
 * but null for a partial badness that has no text at all. */
static const char *override_description(const ScoreCheck *c, const ScoreOverride *o) {
        if (!o)
                return NULL;
        if (c->badness == BADNESS_NA)
                return o->description_na;
        if (c->badness == 0)
                return o->description_good;
        if (c->badness == c->assessor->range)
                return o->description_bad;
        return NULL;
}

static json_object *scan_check(const ScoreReport *r, size_t i, const ScoreOverride *overrides) {
        const ScoreCheck *c = &r->checks[i];
        const ScoreOverride *o = overrides ? &overrides[i] : NULL;
        json_object *j = json_object_new_object(), *description = NULL;
        int set = score_check_set(c);
        Buf d = {};
        char t[8];

        if (!j)
                return NULL;
        score_check_describe(r, i, overrides, &d);
        if (d.len > 0 || override_description(c, o))
                description = jstr(d.data ? d.data : "");
        buf_done(&d);

        add(j, "name", jstr(c->assessor->id));
        add(j, "json_field", jstr(c->assessor->json_field));
        add(j, "set", set >= 0 ? json_object_new_boolean(set) : NULL);
        add(j, "exposure", c->exposure > 0 ? jstr(render_format_tenths(c->exposure, t)) : NULL);
        add(j, "description", description);
        add(j, "weight", json_object_new_uint64(c->weight));
        add(j, "range", json_object_new_uint64(c->range));
        add(j, "badness", c->badness == BADNESS_NA ? NULL : json_object_new_uint64(c->badness));
        add(j, "fix", jstr(c->assessor->fix));
        return j;
}

static json_object *scan_entry(const ScanEntry *e, const ScoreOverride *overrides) {
        json_object *u = json_object_new_object(), *checks;

        if (!u)
                return NULL;
        add(u, "unit", jstr(e->unit));
        add(u, "exposure", jtenths(e->report.exposure));
        add(u, "predicate", jstr(predicate_to_string(e->report.predicate)));
        add(u, "oneshot", json_object_new_boolean(e->oneshot));
        checks = json_object_new_array_ext((int) e->report.n_checks);
        for (size_t i = 0; checks && i < e->report.n_checks; i++)
                (void) json_object_array_add(checks, scan_check(&e->report, i, overrides));
        add(u, "checks", checks);
        return u;
}

void render_json_scan(const ScanEntry *entries, size_t n, const ScoreOverride *overrides,
                      bool pretty, Buf *out) {
        if (pretty) {
                json_object *array = json_object_new_array_ext((int) n);

                for (size_t k = 0; array && k < n; k++)
                        (void) json_object_array_add(array, scan_entry(&entries[k], overrides));
                (void) render_json_emit(array, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED, out);
                json_putp(&array);
        } else {
                /* One unit at a time: a full scan is thousands of objects, and building the whole
                 * tree first only costs memory. The bytes are what json-c prints for the array. */
                buf_putc(out, '[');
                for (size_t k = 0; k < n; k++) {
                        json_object *u = scan_entry(&entries[k], overrides);

                        if (k > 0)
                                buf_putc(out, ',');
                        (void) emit(u, out);
                        json_putp(&u);
                }
                buf_putc(out, ']');
        }
        buf_putc(out, '\n');
}
