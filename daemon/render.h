/* SPDX-License-Identifier: MIT */
/* Renderers: pure functions from the in-memory State (plus history rows handed in by the caller)
 * to bytes in a Buf: Prometheus/OpenMetrics text (render-metrics.c), JSON via json-c only
 * (render-json.c) and HTML with server-side SVG (render-html.c); shared escaping in render.c.
 * No I/O, no logging, no clock (the caller passes "now"). Everything that came from a unit or a
 * client is data: it is escaped for the output format and invalid UTF-8 becomes U+FFFD. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "score.h"
#include "state.h"

/* Hard bounds on rows per response (history, events). */
#define RENDER_ROWS_MAX 1000
#define RENDER_ROWS_DEFAULT 100

/* A history or events query: since <= time < until, CLOCK_REALTIME usec; until 0 = no upper
 * bound (as store_history()/store_events()); limit is in 1..RENDER_ROWS_MAX; the newest rows in
 * range come first. unit is NULL for "every unit" (events only). kind (events only) is an
 * EventKind or _EVENT_KIND_INVALID for every kind but EVENT_NONE. */
typedef struct HistoryQuery {
        const char *unit;
        const char *user;  /* unit is that user manager's (store.h); NULL: the system's */
        uint64_t since_usec;
        uint64_t until_usec;
        size_t limit;
        EventKind kind;
} HistoryQuery;

/* What the renderers need besides State. */
typedef struct RenderOptions {
        const char *version;             /* exposured's version, for build_info */
        const ScoreOverride *overrides;  /* --security-policy overrides or NULL */
        bool per_check_metrics;          /* emit exposured_unit_check_exposure */
        uint64_t now_usec;               /* CLOCK_REALTIME, for "x minutes ago" and chart ends */
} RenderOptions;

/* ---- render.c: escaping helpers (exported for the tests and the other renderers) ---- */

/* Append s with HTML entities for & < > " ' and invalid UTF-8 / C0 controls other than \t \n \r
 * replaced by U+FFFD. */
void render_html_escape(Buf *out, const char *s);
/* Append s as a Prometheus label value: \\ \" \n escaped, invalid UTF-8 -> U+FFFD. */
void render_label_escape(Buf *out, const char *s);
/* Append s percent-encoded for a URL path segment or query value (everything but A-Z a-z 0-9
 * - . _ ~ is encoded; '@' and '\' included). */
void render_url_encode(Buf *out, const char *s);
/* Append s with invalid UTF-8 sequences replaced by U+FFFD (for json-c, which passes bytes). */
void render_utf8_sanitize(Buf *out, const char *s);
/* Append a decimal number (no printf: the metrics loop is hot). */
void render_uint(Buf *out, uint64_t v);
/* Tenths as systemd-analyze prints them: 96 -> "9.6", 100 -> "10.0" (no printf: the metrics loop
 * is hot; values above 99999.9 are clamped). The one tenths formatter: JSON, HTML, metrics, the
 * CLI tables and the journal fields all use it. render_format_tenths() writes into buf (8 bytes)
 * and returns it; render_tenths() appends. */
char *render_format_tenths(unsigned tenths, char buf[static 8]);
void render_tenths(Buf *out, unsigned tenths);
/* Append usec as RFC 3339 UTC with seconds: "2026-11-23T15:01:32Z". */
void render_rfc3339(Buf *out, uint64_t usec);
/* Parse unix seconds ("1795000000") or RFC 3339 ("2026-11-23T15:01:32Z", "...T15:01:32.5+01:00",
 * lower-case t/z accepted) into CLOCK_REALTIME usec. Returns 0 or -EINVAL/-ERANGE. */
int render_parse_time(const char *s, uint64_t *ret_usec);
/* Append what an upgrade event changed: "252.38-1 -> 257.9-1" (SYSTEMD_UPGRADE), "scorer 0.9"
 * (SCORER_UPGRADE); nothing for any other kind. Not escaped: the caller escapes for its format. */
void render_change_detail(Buf *out, const Change *c);
/* One directive line of a blame record as the history shows it: "ProtectSystem=strict → no in
 * PATH", "PrivateTmp=yes added in PATH", "ProtectSystem=no removed from PATH (now strict)". Not
 * escaped: the caller escapes for its format. */
void render_blame_line(Buf *out, const BlameLine *l);
/* A record in one line (the journal's message and field): its first max_lines directive lines
 * joined by "; " and how many more; with no line, the files added, removed or changed; with no
 * file either, why the score moved (an upgrade, a first score, or nothing comparable). */
void render_blame_summary(Buf *out, const BlameRecord *r, size_t max_lines);
/* Number of checks that failed (badness > 0 and applicable). */
unsigned render_failed_checks(const ScoreReport *r);
/* "pass", "fail" or "na". */
const char *render_check_verdict(const ScoreCheck *c);

/* ---- render-metrics.c ---- */

typedef enum MetricsFormat {
        METRICS_PROMETHEUS,  /* text/plain; version=0.0.4 */
        METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
        _METRICS_FORMAT_MAX,
} MetricsFormat;

/* The Content-Type of a format. */
const char *metrics_content_type(MetricsFormat f);
/* Pick the format from an Accept header (NULL = Prometheus text). OpenMetrics is chosen when
 * Accept names application/openmetrics-text with a q > 0 not lower than text/plain's. */
MetricsFormat metrics_format_from_accept(const char *accept);
/* Render every metric family. Appends to out. */
void render_metrics(const State *s, const RenderOptions *o, MetricsFormat f, Buf *out);

/* ---- render-json.c (json-c only; bytes appended to out, compact) ---- */

/* {"units":[{unit, description, exposure, predicate, failed_checks, ...}], "count": n,
 * "next_cursor": null}: every unit. */
int render_json_units(const State *s, const RenderOptions *o, Buf *out);

/* /api/v1/units?limit=&cursor=: at most limit units in id order, starting after the unit id
 * cursor (NULL: from the first). The cursor is the last id of the page before: units that come or
 * go between two requests neither shift nor repeat the rest (a unit present throughout is listed
 * exactly once). PID 1's ids are valid unit names, plain ASCII, so the JSON cursor is the id itself
 * (one with invalid UTF-8, which PID 1 never sends, would come back sanitized and not match). */
#define RENDER_UNITS_DEFAULT 1000
#define RENDER_UNITS_MAX 5000
typedef struct UnitsPage {
        const char *cursor; /* a unit id, "USER/UNIT" for a user manager's unit, or NULL */
        size_t limit;       /* 1..RENDER_UNITS_MAX, or SIZE_MAX for every unit */
        const char *user;   /* NULL: the system's units, then the user managers'; else only
                             * that user's (State.user_units) */
} UnitsPage;

/* The index of the page's first unit in the list of s->units followed by s->user_units. */
size_t render_units_page_start(const State *s, const UnitsPage *p);
/* {"units": [the page], "count": n (all units, or all of p->user's), "next_cursor": the last
 * id (USER/id for a user's unit) of the page when more units follow, else null}. Each unit has
 * "user": null for the system manager's, the user's name for a user manager's. */
int render_json_units_page(const State *s, const RenderOptions *o, const UnitsPage *p, Buf *out);
/* Every check of one unit. */
int render_json_unit(const State *s, const UnitState *u, const RenderOptions *o, Buf *out);
/* {"unit": "...", "history": [rows, newest first]} */
int render_json_history(const char *unit, const Change *rows, size_t n, Buf *out);
/* {"events": [rows, newest first]} */
int render_json_events(const Change *rows, size_t n, Buf *out);
/* The CLI's `history --json` / `events --json`: one pretty-printed array of rows with the events'
 * keys plus cause, systemd_version, scorer_version, systemd_version_before (upgrades only) and
 * checks [{check, old, new}] (badness, null when absent or not applicable); then a newline. */
int render_json_changes(const Change *rows, size_t n, Buf *out);
/* {"error": msg} */
int render_json_error(const char *msg, Buf *out);

/* Facts for /api/v1/status beyond State: the history database. */
typedef struct StatusInfo {
        bool db_available;       /* a history store is wired in */
        int db_error;            /* 0 healthy, else -errno (last failed write, or stats failed) */
        unsigned schema_version;
        uint64_t db_bytes, wal_bytes;
        uint64_t n_changes, n_events, n_scans;
        uint64_t wal_budget_bytes;   /* 0: no size cap */
        uint64_t notice_usec;        /* the newest "database" event, 0 = none ... */
        const char *notice;          /* ... and what it says */
} StatusInfo;
int render_json_status(const State *s, const RenderOptions *o, const StatusInfo *st, Buf *out);

/* One scored unit of `exposured scan`. */
typedef struct ScanEntry {
        const char *unit; /* canonical id, as the manager reports it (the Id property) */
        bool oneshot;     /* Type=oneshot */
        ScoreReport report;
} ScanEntry;

/* `exposured scan --json`: the array described in cmd-scan.c (systemd-analyze's --json=short keys
 * per check), followed by a newline. overrides is NULL or has report.table->n_rows entries (for the
 * descriptions). pretty adds indentation. */
void render_json_scan(const ScanEntry *entries, size_t n, const ScoreOverride *overrides,
                      bool pretty, Buf *out);

/* ---- render-text.c: the CLIs' tables (bytes for a terminal) ---- */

/* Append s with each byte below 0x20, 0x7f, any byte in also (may be NULL), each byte that is
 * not valid UTF-8 and both bytes of a C1 control (U+0080..U+009F) as \xNN; valid UTF-8 as it is.
 * Returns the columns shown (4 per escaped byte, 1 per other character). */
size_t render_text_escape(Buf *out, const char *s, const char *also);
/* The UNIT/EXPOSURE/PREDICATE table of `exposured scan`. color adds ANSI colour to the predicate;
 * show_type adds a TYPE column that marks oneshot services (for --all). */
void render_text_scan(const ScanEntry *entries, size_t n, bool color, bool show_type, Buf *out);
/* How a terminal table may look: ANSI colour, UTF-8 glyphs (check marks, arrow), emoji. */
typedef struct TextStyle {
        bool color;
        bool utf8;
        bool emoji;
} TextStyle;
/* What `systemd-analyze security UNIT` prints for one unit: the per-check table (NAME,
 * DESCRIPTION, EXPOSURE; its order, widths and glyphs, see render-text.c), an empty line and the
 * "Overall exposure level" line. overrides as for render_json_scan(). */
void render_text_scan_unit(const ScanEntry *e, const ScoreOverride *overrides,
                           const TextStyle *style, Buf *out);
/* The table of `exposured history` (with_unit false) and `exposured events` (with_unit true):
 * TIME [UNIT] KIND CAUSE BEFORE AFTER and the changed checks (name old->new), then, indented,
 * what changed in the unit's files (render_blame_line()). UNIT is "NAME (user USER)" for a
 * lingering user's unit (Change.user), the name alone for the system's; database text escaped
 * (control characters and '\' as \xNN). */
void render_text_changes(const Change *c, size_t n, bool with_unit, Buf *out);

/* ---- render-html.c ---- */

/* Dashboard filters, from the query string (already validated by http). */
typedef struct DashboardQuery {
        const char *text;        /* substring filter on unit id/description, or NULL */
        Predicate min_predicate; /* show units at or above this predicate; _PREDICATE_INVALID=all */
        bool by_policy;          /* show only the units whose policy status is policy */
        PolicyStatus policy;
        enum { SORT_EXPOSURE, SORT_NAME, SORT_CHANGE } sort;
        size_t page;             /* 1-based page of the matching rows (past the end: the last);
                                  * 0 = 1 */
        size_t per_page;         /* rows per page, 1..RENDER_DASHBOARD_MAX; 0 = the default */
        bool oneshot;            /* also the Type=oneshot services, which systemd-analyze security
                                  * (and so the default view) skips */
} DashboardQuery;

/* Dashboard rows per page: the page and its sparklines cost this much, however many units. */
#define RENDER_DASHBOARD_DEFAULT 200
#define RENDER_DASHBOARD_MAX 1000

/* The page the dashboard shows for q: the indices into s->units of its rows, in the page's order
 * (ret_idx has room for s->n_units), their number in *ret_n, the number of units matching the
 * filters in *ret_match and the page number shown (q's, clamped to 1..last) in *ret_page. */
void render_dashboard_select(const State *s, const DashboardQuery *q, size_t *ret_idx,
                             size_t *ret_n, size_t *ret_match, size_t *ret_page);

/* Per-unit sparkline input for the dashboard: sparks[i] are the history rows of s->units[i]
 * (newest first), or n 0 when unknown (only the shown page's are read). sparks may be NULL. */
typedef struct Sparkline {
        const Change *rows;
        size_t n;
} Sparkline;

void render_html_dashboard(const State *s, const RenderOptions *o, const DashboardQuery *q,
                           const Sparkline *sparks, const Change *events, size_t n_events,
                           Buf *out);
/* plan_section: the unit's "Fix plan" section, already rendered (render_plan_html()), shown
 * above the checks; NULL for none. */
void render_html_unit(const State *s, const UnitState *u, const RenderOptions *o,
                      const Change *rows, size_t n_rows, const char *plan_section, Buf *out);
void render_html_events(const RenderOptions *o, const Change *rows, size_t n, bool have_store,
                        Buf *out);
/* Emit the embedded page frame template_name (web/page.html, web/fleet.html) around body: the
 * text before @BODY@ with @TITLE@ replaced by the escaped title, then body, then the rest. */
void render_html_page(Buf *out, const char *template_name, const char *title, const Buf *body);
/* An error page; msg is escaped. */
void render_html_error(unsigned status, const char *msg, Buf *out);
/* The SVG pieces (exported for tests): a sparkline and a full chart of history rows. */
void render_svg_sparkline(const Change *rows, size_t n, unsigned current, uint64_t now_usec,
                          Buf *out);
void render_svg_chart(const Change *rows, size_t n, unsigned current, uint64_t now_usec,
                      Buf *out);
