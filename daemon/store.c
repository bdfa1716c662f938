/* SPDX-License-Identifier: MIT */
/* The history store on SQLite (see store.h for the contract, sql/ for the schema). Every statement
 * is prepared once in store_open() and finalized in store_free(); values are always bound. SQLite
 * result codes become -errno in store_errno() and nowhere else. This file must never build SQL
 * from data, log an error it returns, or keep state that a rolled-back transaction could leave
 * stale (the name caches are reloaded after every rollback).
 *
 * Durability: WAL with synchronous=NORMAL. A process crash (kill -9) loses nothing committed and
 * never corrupts the file (the WAL is in the page cache); a power cut may lose the last commits
 * but still never corrupts. Losing a commit is harmless here: the next scan is diffed against
 * what is persisted, so the change is recorded again (a little later). FULL would add an fsync to
 * every scan batch for no gain of that kind.
 *
 * Encodings (compact: the bytes per stored change are what retention costs):
 *  - a badness b is stored as 0 = absent (the check was not in that table), 1 = not applicable,
 *    b + 2 otherwise;
 *  - units.verdicts, the full vector: (check id, badness) pairs sorted by check id;
 *  - changes.checks, only the checks that changed: (check id, old badness, new badness) triples;
 *    NULL for a first score (the unit's vector is in units.verdicts) and for GONE;
 *  - every number is an unsigned LEB128 varint (one byte below 128). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blame.h"
#include "buf.h"
#include "cleanup.h"
#include "embed.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_READONLY_MS 5000
#define WAL_BUDGET_MIN (64U * 1024U)
#define WAL_BUDGET_MAX (4U * 1024U * 1024U)
#define NAME_MAX_LEN 255 /* systemd's unit name limit (UNIT_NAME_MAX - 1) */
#define CHECK_MAX_LEN 128
#define VERSION_MAX_LEN 128
#define VARINT_MAX 10
#define ENC_ABSENT 0
#define ENC_NA 1

/* A score change that took its unit over its policy: the OVER_POLICY row written with it, at its
 * time + 1 us (store_add_policy_event()); a primary key lookup. */
#define SQL_BROKE_POLICY \
        "EXISTS (SELECT 1 FROM changes b WHERE b.unit = c.unit AND b.time = c.time + 1" \
        " AND b.kind = 9 AND c.kind <= 5)"

/* The events of the changes table plus one per versions row after the first (upgrades). ?1 kinds
 * mask, ?2 since, ?3 until, ?4 unit or NULL (then ?6 its manager, '' for the system), ?5 limit.
 * The inner LIMIT lets SQLite walk the partial index newest first instead of sorting every event
 * in the range. */
#define SQL_EVENTS \
        "SELECT * FROM (" \
        " SELECT * FROM (" \
        "  SELECT u.name AS unit, c.time AS time, c.kind, c.cause, c.before, c.exposure," \
        "         c.predicate, v.systemd, v.scorer, NULL, c.checks, NULL, c.blame, " \
        SQL_BROKE_POLICY ", NULLIF(u.manager, '') AS manager" \
        "  FROM changes c JOIN units u ON u.id = c.unit JOIN versions v ON v.id = c.version" \
        "  WHERE c.kind > 0 AND (?1 >> c.kind) & 1 AND c.time >= ?2 AND c.time < ?3" \
        "        AND (?4 IS NULL OR u.name = ?4)" \
        "        AND ((?4 IS NULL AND ?7 IS NULL) OR u.manager = ?6)" \
        "  ORDER BY c.time DESC, u.name DESC, u.manager DESC LIMIT ?5)" \
        " UNION ALL" \
        " SELECT NULL, v.first_seen, k.kind, 5, NULL, NULL, NULL, v.systemd, v.scorer," \
        "        p.systemd, NULL, NULL, NULL, 0, NULL" \
        " FROM versions v" \
        " JOIN versions p ON p.id = (SELECT max(id) FROM versions WHERE id < v.id)" \
        " JOIN (SELECT 6 AS kind UNION ALL SELECT 7) k" \
        "      ON k.kind = CASE WHEN p.systemd = v.systemd THEN 7 ELSE 6 END" \
        " WHERE ?4 IS NULL AND ?7 IS NULL AND (?1 >> k.kind) & 1 AND v.first_seen >= ?2" \
        "       AND v.first_seen < ?3" \
        " UNION ALL" \
        " SELECT * FROM (" \
        "  SELECT NULL, n.time, 8, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, n.message, NULL," \
        "         0, NULL" \
        "  FROM notices n WHERE ?4 IS NULL AND ?7 IS NULL AND (?1 >> 8) & 1 AND n.time >= ?2" \
        "        AND n.time < ?3" \
        "  ORDER BY n.time DESC, n.id DESC LIMIT ?5)" \
        ") ORDER BY time DESC, unit DESC, manager DESC LIMIT ?5"

/* The numbers SQL_EVENTS and sql/0002-events.sql spell out. */
_Static_assert(CAUSE_SYSTEMD_UPGRADE == 5, "SQL_EVENTS");
_Static_assert(EVENT_REGRESSION == 1 && EVENT_IMPROVEMENT == 2, "0002-events.sql");
_Static_assert(EVENT_SYSTEMD_UPGRADE == 6 && EVENT_SCORER_UPGRADE == 7, "SQL_EVENTS");
_Static_assert(EVENT_DATABASE == 8, "SQL_EVENTS, sql/0003-notices.sql");
_Static_assert(EVENT_OVER_POLICY == 9 && EVENT_WITHIN_POLICY == 10 && EVENT_RESCORED == 5,
               "SQL_BROKE_POLICY, STMT_POLICY_OVER");

typedef enum StmtId {
        STMT_BEGIN,
        STMT_COMMIT,
        STMT_ROLLBACK,
        STMT_USER_VERSION,
        STMT_IS_EMPTY,
        STMT_UNIT_GET,
        STMT_UNIT_INSERT,
        STMT_UNIT_UPDATE,
        STMT_UNIT_GONE,
        STMT_CHANGE_INSERT,
        STMT_CHECK_ALL,
        STMT_CHECK_GET,
        STMT_CHECK_INSERT,
        STMT_VERSION_GET,
        STMT_VERSION_INSERT,
        STMT_SCAN_INSERT,
        STMT_CURRENT,
        STMT_HISTORY,
        STMT_EVENTS,
        STMT_PRUNE_CHANGES,
        STMT_PRUNE_SCANS,
        STMT_PRUNE_UNITS,
        STMT_VACUUM,
        STMT_COUNTS,
        STMT_PAGES,
        STMT_NOTICE_INSERT,
        STMT_NOTICE_LAST,
        STMT_PRUNE_NOTICES,
        STMT_LAST_TIME,
        STMT_POLICY_OVER,
        STMT_SNAPSHOT_PUT,
        STMT_SNAPSHOT_GET,
        _STMT_MAX,
} StmtId;

static const char *const stmt_sql[_STMT_MAX] = {
        [STMT_BEGIN] = "BEGIN IMMEDIATE",
        [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",
        [STMT_USER_VERSION] = "PRAGMA user_version",
        [STMT_IS_EMPTY] =
                "SELECT NOT EXISTS (SELECT 1 FROM units) AND NOT EXISTS (SELECT 1 FROM scans)",
        [STMT_UNIT_GET] = "SELECT id, exposure, gone, verdicts, version FROM units"
                          " WHERE name = ?1 AND manager = ?2",
        [STMT_UNIT_INSERT] =
                "INSERT INTO units (name, first_seen, last_change, exposure, predicate,"
                " version, verdicts, manager) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7)",
        [STMT_UNIT_UPDATE] = "UPDATE units SET last_change = ?2, gone = NULL, exposure = ?3,"
                             " predicate = ?4, version = ?5, verdicts = ?6,"
                             " regressions = regressions + ?7, improvements = improvements + ?8"
                             " WHERE id = ?1",
        [STMT_UNIT_GONE] = "UPDATE units SET gone = ?2, last_change = ?2 WHERE id = ?1",
        [STMT_CHANGE_INSERT] = "INSERT INTO changes (unit, time, kind, cause, before, exposure,"
                               " predicate, version, checks, blame)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [STMT_CHECK_ALL] = "SELECT id, name FROM checks",
        [STMT_CHECK_GET] = "SELECT id FROM checks WHERE name = ?",
        [STMT_CHECK_INSERT] = "INSERT INTO checks (name) VALUES (?)",
        [STMT_VERSION_GET] = "SELECT id FROM versions WHERE systemd = ? AND scorer = ?",
        [STMT_VERSION_INSERT] =
                "INSERT INTO versions (systemd, scorer, first_seen) VALUES (?, ?, ?)",
        [STMT_SCAN_INSERT] = "INSERT INTO scans (time, duration, units, changes, cause)"
                             " VALUES (?, ?, ?, ?, ?)",
        [STMT_CURRENT] = "SELECT u.name, u.first_seen, u.last_change, u.gone, u.exposure,"
                         " u.predicate, u.regressions, u.improvements, v.systemd, v.scorer,"
                         " u.verdicts, u.manager FROM units u JOIN versions v ON v.id = u.version"
                         " ORDER BY u.manager, u.name",
        [STMT_HISTORY] =
                "SELECT u.name, c.time, c.kind, c.cause, c.before, c.exposure, c.predicate,"
                " v.systemd, v.scorer, NULL, c.checks, NULL, c.blame, " SQL_BROKE_POLICY
                ", NULLIF(u.manager, '') FROM changes c JOIN units u ON u.id = c.unit"
                " JOIN versions v ON v.id = c.version"
                " WHERE c.unit = ?1 AND c.time >= ?2 AND c.time < ?3"
                " ORDER BY c.time DESC LIMIT ?4",
        [STMT_EVENTS] = SQL_EVENTS,
        /* Each present unit's newest change stays, whatever the cutoff (store.h). */
        [STMT_PRUNE_CHANGES] = "DELETE FROM changes WHERE time < ?1 AND NOT EXISTS ("
                               " SELECT 1 FROM units u WHERE u.id = changes.unit"
                               " AND u.gone IS NULL AND changes.time ="
                               " (SELECT max(l.time) FROM changes l WHERE l.unit = u.id))",
        [STMT_PRUNE_SCANS] = "DELETE FROM scans WHERE time < ?",
        [STMT_PRUNE_UNITS] = "DELETE FROM units WHERE gone IS NOT NULL AND gone < ?1"
                             " AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.unit = units.id)",
        [STMT_VACUUM] = "PRAGMA incremental_vacuum",
        [STMT_COUNTS] =
                "SELECT (SELECT count(*) FROM units),"
                " (SELECT count(*) FROM units WHERE gone IS NOT NULL),"
                " (SELECT count(*) FROM changes), (SELECT count(*) FROM changes WHERE kind > 0),"
                " (SELECT count(*) FROM scans), (SELECT count(*) FROM checks),"
                " (SELECT count(*) FROM versions)",
        [STMT_PAGES] = "SELECT * FROM pragma_page_count(), pragma_page_size(),"
                       " pragma_freelist_count()",
        [STMT_NOTICE_INSERT] = "INSERT INTO notices (time, message) VALUES (?, ?)",
        [STMT_NOTICE_LAST] =
                "SELECT time, message FROM notices ORDER BY time DESC, id DESC LIMIT 1",
        [STMT_PRUNE_NOTICES] = "DELETE FROM notices WHERE time < ?",
        [STMT_LAST_TIME] = "SELECT max(coalesce((SELECT max(time) FROM scans), 0),"
                           " coalesce((SELECT max(time) FROM notices), 0),"
                           " coalesce((SELECT max(last_change) FROM units), 0))",
        /* Present units whose last policy event (9 over, 10 back within) is "over". */
        [STMT_POLICY_OVER] = "SELECT u.name FROM units u WHERE u.gone IS NULL AND u.manager = ''"
                             " AND"
                             " (SELECT c.kind FROM changes c WHERE c.unit = u.id"
                             "  AND c.kind IN (9, 10) ORDER BY c.time DESC LIMIT 1) = 9"
                             " ORDER BY u.name",
        [STMT_SNAPSHOT_PUT] = "INSERT INTO snapshots (unit, files, running, running_start)"
                              " SELECT id, ?2, ?3, ?4 FROM units WHERE name = ?1 AND manager = ''"
                              " ON CONFLICT (unit) DO UPDATE SET files = excluded.files,"
                              " running = excluded.running,"
                              " running_start = excluded.running_start",
        [STMT_SNAPSHOT_GET] = "SELECT s.files, s.running, s.running_start FROM snapshots s"
                              " JOIN units u ON u.id = s.unit WHERE u.name = ? AND u.manager = ''",
};

typedef struct CheckName {
        char *name;
        int64_t id;
} CheckName;

struct Store {
        sqlite3 *db;
        char *path;
        bool readonly;
        bool batch;    /* between store_begin() and store_commit()/store_rollback() */
        int batch_error;       /* the error that aborted the batch */
        sqlite3_stmt *stmts[_STMT_MAX];

        CheckName *checks; /* name -> id, sorted by name; reloaded after a rollback */
        size_t n_checks;
        int64_t version_id; /* cache of the last (systemd, scorer) pair; 0 = none */
        char *version_systemd, *version_scorer;

        uint64_t n_write_errors;
        int last_error;

        bool damaged;             /* store_check() failed: close without a checkpoint */
        uint64_t busy_until_usec; /* CLOCK_MONOTONIC: writes fail at once until then (-EBUSY) */
        uint64_t max_bytes;       /* store_set_size_limit(); 0 = none */
        uint64_t wal_budget;      /* bytes of max_bytes (or of the disk) the WAL may use */
        uint64_t page_size;
};

int store_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
                return -EBADMSG;
        default:
                return -EIO;
        }
}

/* ---- varints and badness encoding ---- */

static size_t put_varint(uint8_t *p, uint64_t v) {
        size_t n = 0;
        do {
                uint8_t b = v & 0x7f;
                v >>= 7;
                p[n++] = b | (v ? 0x80 : 0);
        } while (v);
        return n;
}

/* Returns bytes consumed, 0 on truncated or overlong input. */
static size_t get_varint(const uint8_t *p, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        for (size_t i = 0; i < len && i < VARINT_MAX; i++) {
                if (i == VARINT_MAX - 1 && p[i] > 1)
                        return 0;
                v |= (uint64_t) (p[i] & 0x7f) << (7 * i);
                if (!(p[i] & 0x80)) {
                        *ret = v;
                        return i + 1;
                }
        }
        return 0;
}

static uint64_t badness_encode(uint64_t b) {
        if (b == BADNESS_ABSENT)
                return ENC_ABSENT;
        if (b == BADNESS_NA)
                return ENC_NA;
        return b + 2;
}

static uint64_t badness_decode(uint64_t e) {
        if (e == ENC_ABSENT)
                return BADNESS_ABSENT;
        if (e == ENC_NA)
                return BADNESS_NA;
        return e - 2;
}

typedef struct Pair {
        int64_t id;
        uint64_t badness;
} Pair;

/* Decode a blob of `arity` varints per entry (2: vector, 3: changed checks) into v[] (pairs
 * use id/badness; triples put the new badness in extra[]). */
static int decode_entries(const uint8_t *p, size_t len, unsigned arity, Pair *v, uint64_t *extra,
                          size_t max, size_t *ret_n) {
        size_t n = 0, off = 0;

        while (off < len) {
                uint64_t x[3];
                if (n >= max)
                        return -EBADMSG;
                for (unsigned k = 0; k < arity; k++) {
                        size_t m = get_varint(p + off, len - off, &x[k]);
                        if (m == 0)
                                return -EBADMSG;
                        off += m;
                }
                if (x[0] == 0 || x[0] > INT64_MAX || x[1] > (uint64_t) STORE_BADNESS_MAX + 2 ||
                    (arity == 3 && x[2] > (uint64_t) STORE_BADNESS_MAX + 2))
                        return -EBADMSG;
                v[n] = (Pair){ (int64_t) x[0], badness_decode(x[1]) };
                if (arity == 3)
                        extra[n] = badness_decode(x[2]);
                n++;
        }
        *ret_n = n;
        return 0;
}

/* ---- statements ---- */

static sqlite3_stmt *stmt(Store *s, StmtId id) {
        return s->stmts[id];
}

static void stmt_resetp(sqlite3_stmt **q) {
        if (*q) {
                (void) sqlite3_reset(*q);
                (void) sqlite3_clear_bindings(*q);
        }
}
#define _cleanup_reset_ _cleanup_(stmt_resetp)

/* Step a statement that returns no rows (or whose rows we skip) to the end. */
static int step_done(sqlite3_stmt *q) {
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW)
                ;
        int r = store_errno(rc);
        (void) sqlite3_reset(q);
        (void) sqlite3_clear_bindings(q);
        return r;
}

static int bind_text(sqlite3_stmt *q, int i, const char *t) {
        return store_errno(t ? sqlite3_bind_text(q, i, t, -1, SQLITE_STATIC)
                             : sqlite3_bind_null(q, i));
}

static int bind_int(sqlite3_stmt *q, int i, int64_t v) {
        return store_errno(sqlite3_bind_int64(q, i, v));
}

static int bind_u64(sqlite3_stmt *q, int i, uint64_t v) {
        /* Times and counters beyond INT64_MAX are clamped: SQLite integers are signed. */
        return bind_int(q, i, v > INT64_MAX ? INT64_MAX : (int64_t) v);
}

static int bind_blob(sqlite3_stmt *q, int i, const void *p, size_t n) {
        if (!p)
                return store_errno(sqlite3_bind_null(q, i));
        return store_errno(sqlite3_bind_blob(q, i, n ? p : "", (int) n, SQLITE_STATIC));
}

static uint64_t column_u64(sqlite3_stmt *q, int i) {
        int64_t v = sqlite3_column_int64(q, i);
        return v < 0 ? 0 : (uint64_t) v;
}

static char *column_strdup(sqlite3_stmt *q, int i) {
        const unsigned char *t = sqlite3_column_text(q, i);
        return t ? xstrdup((const char *) t) : NULL;
}

/* ---- name caches ---- */

static void checks_clear(Store *s) {
        for (size_t i = 0; i < s->n_checks; i++)
                free(s->checks[i].name);
        free(s->checks);
        s->checks = NULL;
        s->n_checks = 0;
}

static int cmp_check_name(const void *a, const void *b) {
        return strcmp(((const CheckName *) a)->name, ((const CheckName *) b)->name);
}

static int cmp_name_key(const void *key, const void *elem) {
        return strcmp(key, ((const CheckName *) elem)->name);
}

static int checks_reload(Store *s) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_CHECK_ALL);
        size_t cap = 0;
        int rc;

        checks_clear(s);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                if (s->n_checks == cap) {
                        cap = cap ? cap * 2 : 128;
                        s->checks = xrealloc(s->checks, cap * sizeof(CheckName));
                }
                s->checks[s->n_checks++] =
                        (CheckName){ column_strdup(q, 1), sqlite3_column_int64(q, 0) };
                if (!s->checks[s->n_checks - 1].name)
                        s->checks[s->n_checks - 1].name = xstrdup("");
        }
        if (s->n_checks > 0)
                qsort(s->checks, s->n_checks, sizeof(CheckName), cmp_check_name);
        return store_errno(rc);
}

static void caches_reset(Store *s) {
        s->version_id = 0;
        free(s->version_systemd);
        free(s->version_scorer);
        s->version_systemd = s->version_scorer = NULL;
        (void) checks_reload(s); /* on failure the cache is empty: lookups fall back to the DB */
}

/* The id of a check name, interning it (a write: call inside a write transaction). */
static int check_id(Store *s, const char *name, int64_t *ret) {
        CheckName *c =
                s->n_checks ? bsearch(name, s->checks, s->n_checks, sizeof(CheckName), cmp_name_key)
                            : NULL;
        int64_t id = 0;
        int r, rc;

        if (c) {
                *ret = c->id;
                return 0;
        }

        {
                _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_CHECK_GET);
                r = bind_text(q, 1, name);
                if (r < 0)
                        return r;
                rc = sqlite3_step(q);
                if (rc == SQLITE_ROW)
                        id = sqlite3_column_int64(q, 0);
                else if (rc != SQLITE_DONE)
                        return store_errno(rc);
        }
        if (id == 0) {
                sqlite3_stmt *q = stmt(s, STMT_CHECK_INSERT);
                r = bind_text(q, 1, name);
                if (r < 0)
                        return r;
                r = step_done(q);
                if (r < 0)
                        return r;
                id = sqlite3_last_insert_rowid(s->db);
        }

        s->checks = xrealloc(s->checks, (s->n_checks + 1) * sizeof(CheckName));
        s->checks[s->n_checks++] = (CheckName){ xstrdup(name), id };
        qsort(s->checks, s->n_checks, sizeof(CheckName), cmp_check_name);
        *ret = id;
        return 0;
}

/* The name of a check id (read paths). The cache may lag behind another process's writes: reload
 * it once on a miss. */
static const char *check_name(Store *s, int64_t id) {
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < s->n_checks; i++)
                        if (s->checks[i].id == id)
                                return s->checks[i].name;
                if (pass == 0 && checks_reload(s) < 0)
                        break;
        }
        return NULL;
}

static int version_id(Store *s, const char *systemd, const char *scorer, uint64_t time_usec,
                      int64_t *ret) {
        int64_t id = 0;
        int r, rc;

        if (s->version_id > 0 && streq(s->version_systemd, systemd) &&
            streq(s->version_scorer, scorer)) {
                *ret = s->version_id;
                return 0;
        }

        {
                _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_VERSION_GET);
                if ((r = bind_text(q, 1, systemd)) < 0 || (r = bind_text(q, 2, scorer)) < 0)
                        return r;
                rc = sqlite3_step(q);
                if (rc == SQLITE_ROW)
                        id = sqlite3_column_int64(q, 0);
                else if (rc != SQLITE_DONE)
                        return store_errno(rc);
        }
        if (id == 0) {
                sqlite3_stmt *q = stmt(s, STMT_VERSION_INSERT);
                if ((r = bind_text(q, 1, systemd)) < 0 || (r = bind_text(q, 2, scorer)) < 0 ||
                    (r = bind_u64(q, 3, time_usec)) < 0)
                        return r;
                r = step_done(q);
                if (r < 0)
                        return r;
                id = sqlite3_last_insert_rowid(s->db);
        }

        free(s->version_systemd);
        free(s->version_scorer);
        s->version_systemd = xstrdup(systemd);
        s->version_scorer = xstrdup(scorer);
        s->version_id = id;
        *ret = id;
        return 0;
}

/* ---- open, migrate, close ---- */

static int exec_sql(sqlite3 *db, const char *sql);

static int quick_check(sqlite3 *db) {
        sqlite3_stmt *q = NULL;
        int r;

        /* Drop the clean pages we hold: the check (and the next transaction) reads the file. */
        (void) sqlite3_db_release_memory(db);
        int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &q, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(q, 0);
                r = t && streq((const char *) t, "ok") ? 0 : -EBADMSG;
                if (r < 0)
                        log_debug("quick_check: %s", t ? (const char *) t : "(null)");
        } else
                r = store_errno(rc);
        (void) sqlite3_finalize(q);
        return r;
}

/* Our checkpointer, in place of SQLite's automatic one (which this hook replaces): once the WAL
 * holds half its budget, copy it back into the database without waiting for anyone (PASSIVE; a
 * reader in the way only delays it to a later commit). The next write then starts the WAL over,
 * truncated to journal_size_limit. */
static int wal_hook(void *userdata, sqlite3 *db, const char *name, int n_frames) {
        Store *s = userdata;

        if ((uint64_t) n_frames * (s->page_size + 24) >= s->wal_budget / 2)
                (void) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
}

static int wal_apply_budget(Store *s) {
        char sql[64];

        /* PRAGMA values cannot be bound: built from an integer we computed. */
        (void) snprintf(sql, sizeof sql, "PRAGMA journal_size_limit = %" PRIu64, s->wal_budget);
        return exec_sql(s->db, sql);
}

static uint64_t wal_file_bytes(Store *s) {
        const char *wal = sqlite3_filename_wal(sqlite3_db_filename(s->db, "main"));
        struct stat st;

        if (isempty(wal) || stat(wal, &st) < 0)
                return 0;
        return (uint64_t) st.st_size;
}

/* With a size cap: a WAL that outgrew its budget (a reader kept the checkpoints from finishing)
 * is checkpointed and truncated now (TRUNCATE waits for readers, up to the busy timeout); if it
 * still is too big, the write is refused as on a full disk. */
static int wal_within_budget(Store *s) {
        if (s->max_bytes == 0 || wal_file_bytes(s) <= s->wal_budget)
                return 0;
        (void) sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        return wal_file_bytes(s) <= s->wal_budget ? 0 : -ENOSPC;
}

static int exec_sql(sqlite3 *db, const char *sql) {
        char *err = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
        if (rc != SQLITE_OK)
                log_debug("SQLite: %s: %s", sql, err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return store_errno(rc);
}

static int read_user_version(sqlite3 *db, unsigned *ret) {
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(q);
                if (rc == SQLITE_ROW) {
                        int64_t v = sqlite3_column_int64(q, 0);
                        *ret = v < 0 || v > INT_MAX ? UINT_MAX : (unsigned) v;
                        rc = SQLITE_OK;
                }
        }
        (void) sqlite3_finalize(q);
        return store_errno(rc);
}

static unsigned migrations_count(void) {
        unsigned n = 0;
        while (sql_migrations[n].name)
                n++;
        return n;
}

/* PRAGMA foreign_key_check: 0 when no row points at a missing parent, else -EBADMSG. */
static int foreign_keys_sound(sqlite3 *db) {
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &q, NULL);

        if (rc != SQLITE_OK)
                return store_errno(rc);
        rc = sqlite3_step(q);
        (void) sqlite3_finalize(q);
        return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -EBADMSG : store_errno(rc);
}

/* Apply every migration after the database's user_version, one transaction each. Each file sets
 * user_version to its own number; we check that it did (a file that forgets would be re-run). */
static int migrate(Store *s) {
        unsigned n = migrations_count(), v;
        int r;

        r = read_user_version(s->db, &v);
        if (r < 0)
                return r;
        if (v > n) {
                log_debug("Database '%s' has schema %u, this binary knows up to %u.", s->path, v,
                          n);
                return -EPROTO;
        }

        /* Off while migrating, as SQLite's procedure for rebuilding a table requires (a no-op
         * inside a transaction: set here, between them): dropping the old table must not
         * cascade. Each migration checks the keys before it commits instead. */
        r = exec_sql(s->db, "PRAGMA foreign_keys = OFF");
        if (r < 0)
                return r;
        for (unsigned i = v; i < n; i++) {
                unsigned now;

                r = exec_sql(s->db, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                /* Another process may have migrated while we waited for the lock. */
                r = read_user_version(s->db, &now);
                if (r >= 0 && now <= i) {
                        r = exec_sql(s->db, sql_migrations[i].data);
                        if (r >= 0)
                                r = read_user_version(s->db, &now);
                        if (r >= 0 && now != i + 1)
                                r = -EBADMSG;
                        if (r >= 0)
                                r = foreign_keys_sound(s->db);
                }
                if (r >= 0)
                        r = exec_sql(s->db, "COMMIT");
                if (r < 0) {
                        (void) exec_sql(s->db, "ROLLBACK");
                        log_debug("Migration %s failed: %s", sql_migrations[i].name, strerror(-r));
                        return r;
                }

                char msg[512], f_db[PATH_MAX + 16], f_v[32];
                (void) snprintf(msg, sizeof msg, "Migrated database '%s' to schema %u (%s).",
                                s->path, i + 1, sql_migrations[i].name);
                (void) snprintf(f_db, sizeof f_db, "EXPOSURED_DB=%s", s->path);
                (void) snprintf(f_v, sizeof f_v, "EXPOSURED_SCHEMA=%u", i + 1);
                const char *fields[] = { f_db, f_v, NULL };
                log_struct_internal(LOG_NOTICE, LOG_MESSAGE_MIGRATION, msg, fields);
        }
        return exec_sql(s->db, "PRAGMA foreign_keys = ON");
}

/* Permissions: the database files are as readable as their directory lets them be. A directory
 * that grants its group r-x (StateDirectoryMode=0750 in exposured.service) makes the files 0640,
 * so that the group's members (exposured(8): the group "exposured") can run `exposured history`;
 * any other directory keeps them 0600. UMask=0077 stays in the unit (a group-readable UMask=
 * raises the unit's exposure); SQLite gives the -wal and -shm files the main file's mode, and the
 * WAL is kept after the last close (SQLITE_FCNTL_PERSIST_WAL), so that a read-only reader, which
 * cannot create them in a directory it cannot write, finds them while the daemon is stopped. */
static void apply_file_modes(const char *path) {
        _cleanup_free_ char *dir = NULL;
        struct stat st;
        mode_t mode;
        char *slash;

        if (path[0] != '/')
                return; /* ":memory:", relative test paths: leave them alone */
        dir = xstrdup(path);
        slash = strrchr(dir, '/');
        *(slash == dir ? slash + 1 : slash) = 0;
        if (stat(dir, &st) < 0)
                return;
        mode = (st.st_mode & 0050) == 0050 ? 0640 : 0600;
        for (size_t i = 0; i < 3; i++) {
                static const char *const suffix[] = { "", "-wal", "-shm" };
                _cleanup_free_ char *f = NULL;

                if (asprintf(&f, "%s%s", path, suffix[i]) < 0)
                        abort();
                if (lstat(f, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0777) == mode ||
                    st.st_uid != geteuid())
                        continue;
                if (chmod(f, mode) < 0)
                        log_debug("Cannot chmod '%s' to %04o: %m", f, (unsigned) mode);
        }
}

/* SQLITE_CANTOPEN says nothing of why. Ask the file system: the file or a directory on the way
 * is missing (-ENOENT) or not ours to read (-EACCES), or the -shm/-wal files a reader needs are
 * missing in a directory it cannot write (-EACCES too). */
static int cantopen_errno(const char *path) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (size_t i = 0; i < 2; i++) {
                static const char *const suffix[] = { "-shm", "-wal" };
                _cleanup_free_ char *f = NULL;
                _cleanup_close_ int sfd = -1;

                if (asprintf(&f, "%s%s", path, suffix[i]) < 0)
                        abort();
                sfd = open(f, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (sfd < 0)
                        return errno == ENOENT ? -EACCES : -errno;
        }
        return -ENOENT;
}

static int store_open_internal(const char *path, bool readonly, Store **ret) {
        _cleanup_(store_freep) Store *s = NULL;
        unsigned v;
        int r, rc;

        assert(path);
        assert(ret);

        s = xcalloc(1, sizeof(Store));
        s->path = xstrdup(path);
        s->readonly = readonly;

        rc = sqlite3_open_v2(
                path, &s->db,
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                        SQLITE_OPEN_NOMUTEX,
                NULL);
        if (rc != SQLITE_OK) {
                log_debug("Cannot open '%s': %s", path,
                          s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                r = store_errno(rc);
                return r == -ENOENT ? cantopen_errno(path) : r;
        }
        (void) sqlite3_extended_result_codes(s->db, 1);
        if (!readonly) {
                int persist = 1;
                apply_file_modes(path);
                (void) sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        }
        (void) sqlite3_busy_timeout(s->db,
                                    readonly ? BUSY_TIMEOUT_READONLY_MS : STORE_BUSY_TIMEOUT_MS);

        if (!readonly) {
                /* auto_vacuum only takes effect before the first table exists; harmless later. */
                if ((r = exec_sql(s->db, "PRAGMA auto_vacuum = INCREMENTAL")) < 0 ||
                    (r = exec_sql(s->db, "PRAGMA journal_mode = WAL")) < 0 ||
                    (r = exec_sql(s->db, "PRAGMA synchronous = NORMAL")) < 0)
                        return r;
                /* We checkpoint ourselves (wal_hook), against the WAL budget. */
                s->page_size = 4096;
                s->wal_budget = WAL_BUDGET_MAX;
                (void) sqlite3_wal_hook(s->db, wal_hook, s);
                r = wal_apply_budget(s);
                if (r < 0)
                        return r;
        }
        if ((r = exec_sql(s->db, "PRAGMA foreign_keys = ON")) < 0 ||
            (r = exec_sql(s->db, "PRAGMA trusted_schema = OFF")) < 0)
                return r;

        if (readonly) {
                r = read_user_version(s->db, &v);
                if (r == -ENOENT)
                        r = cantopen_errno(path);
                if (r < 0)
                        return r;
                if (v > migrations_count())
                        return -EPROTO;
                if (v < migrations_count())
                        return -ESTALE;
        } else {
                r = migrate(s);
                if (r < 0)
                        return r;
                apply_file_modes(path); /* the -wal and -shm files exist now */
                /* A file whose header is fine but whose pages are not: better found now, with
                 * nothing served from it yet, than at the first write that reads a bad page. */
                r = quick_check(s->db);
                if (r < 0)
                        return r;
        }

        for (StmtId i = 0; i < _STMT_MAX; i++) {
                rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                        &s->stmts[i], NULL);
                if (rc != SQLITE_OK) {
                        log_debug("Cannot prepare '%s': %s", stmt_sql[i], sqlite3_errmsg(s->db));
                        return store_errno(rc);
                }
        }

        r = checks_reload(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int store_open(const char *path, Store **ret) {
        return store_open_internal(path, false, ret);
}

int store_open_readonly(const char *path, Store **ret) {
        return store_open_internal(path, true, ret);
}

uint64_t store_disk_bytes(const Store *s) {
        uint64_t n = 0;

        assert(s);
        for (size_t i = 0; i < 2; i++) {
                static const char *const suffix[] = { "", "-wal" };
                _cleanup_free_ char *f = NULL;
                struct stat st;

                if (asprintf(&f, "%s%s", s->path, suffix[i]) < 0)
                        abort();
                if (stat(f, &st) >= 0 && S_ISREG(st.st_mode))
                        n += (uint64_t) st.st_size;
        }
        return n;
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        if (s->db && !sqlite3_get_autocommit(s->db))
                (void) exec_sql(s->db, "ROLLBACK");
        for (StmtId i = 0; i < _STMT_MAX; i++)
                (void) sqlite3_finalize(s->stmts[i]);
        /* The last connection to close checkpoints the WAL and removes it; not into a damaged
         * file: the WAL stays as it is, to move aside with it (store_quarantine()). */
        if (s->db && s->damaged)
                (void) sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
        (void) sqlite3_close(s->db);
        checks_clear(s);
        free(s->version_systemd);
        free(s->version_scorer);
        free(s->path);
        free(s);
        return NULL;
}

/* ---- transactions ---- */

static void fail(Store *s, int r) {
        /* A lock: back off (transaction_allowed()); a failure while backing off does not
         * extend it, so the next attempt after the period does reach SQLite. */
        if (r == -EBUSY && s->busy_until_usec == 0)
                s->busy_until_usec = now_monotonic_usec() + STORE_BUSY_BACKOFF_USEC;
        if (!sqlite3_get_autocommit(s->db))
                (void) step_done(stmt(s, STMT_ROLLBACK));
        if (s->batch && s->batch_error == 0)
                s->batch_error = r;
        s->n_write_errors++;
        s->last_error = r;
        caches_reset(s);
}

/* Before a transaction: -EBUSY at once while backing off from a lock (store.h), -ENOSPC when the
 * WAL is over its budget; otherwise the page cache is dropped, so that the transaction reads the
 * file as it is now (damage done to it behind our back fails this write with -EBADMSG instead of
 * being written over and spread). */
static int transaction_allowed(Store *s) {
        int r;

        if (s->busy_until_usec > 0) {
                if (now_monotonic_usec() < s->busy_until_usec)
                        return -EBUSY;
                s->busy_until_usec = 0;
        }
        r = wal_within_budget(s);
        if (r < 0)
                return r;
        (void) sqlite3_db_release_memory(s->db);
        return 0;
}

/* Start a write: inside a batch nothing to do (unless it already failed), else a transaction of
 * its own. *ret_own says whether write_end() must commit. */
static int write_begin(Store *s, bool *ret_own) {
        int r;

        if (s->readonly)
                return -EROFS;
        if (s->batch) {
                if (s->batch_error < 0)
                        return s->batch_error;
                *ret_own = false;
                return 0;
        }
        r = transaction_allowed(s);
        if (r >= 0)
                r = step_done(stmt(s, STMT_BEGIN));
        if (r < 0) {
                fail(s, r);
                return r;
        }
        *ret_own = true;
        return 0;
}

static int write_end(Store *s, bool own, int r) {
        if (r >= 0 && own) {
                int k = step_done(stmt(s, STMT_COMMIT));
                if (k < 0)
                        r = k;
        }
        if (r < 0) {
                fail(s, r);
                return r;
        }
        if (own)
                s->last_error = 0;
        return r;
}

int store_begin(Store *s) {
        int r;

        assert(s);
        if (s->readonly)
                return -EROFS;
        if (s->batch)
                return -EBUSY;
        r = transaction_allowed(s);
        if (r >= 0)
                r = step_done(stmt(s, STMT_BEGIN));
        if (r < 0) {
                if (r == -EBUSY && s->busy_until_usec == 0)
                        s->busy_until_usec = now_monotonic_usec() + STORE_BUSY_BACKOFF_USEC;
                s->n_write_errors++;
                s->last_error = r;
                return r;
        }
        s->batch = true;
        s->batch_error = 0;
        return 0;
}

int store_commit(Store *s) {
        int r;

        assert(s);
        if (!s->batch)
                return -EINVAL;
        r = s->batch_error;
        if (r == 0) {
                r = step_done(stmt(s, STMT_COMMIT));
                if (r < 0)
                        fail(s, r);
                else
                        s->last_error = 0;
        }
        s->batch = false;
        s->batch_error = 0;
        return r;
}

void store_rollback(Store *s) {
        assert(s);
        if (!s->batch)
                return;
        if (!sqlite3_get_autocommit(s->db))
                (void) step_done(stmt(s, STMT_ROLLBACK));
        s->batch = false;
        s->batch_error = 0;
        caches_reset(s);
}

/* ---- writes ---- */

size_t store_verdicts_from_report(const ScoreReport *r, StoreVerdict ret[static SCORE_ROWS_MAX]) {
        size_t n = r->n_checks < SCORE_ROWS_MAX ? r->n_checks : SCORE_ROWS_MAX;
        for (size_t i = 0; i < n; i++)
                ret[i] = (StoreVerdict){ r->checks[i].assessor->id, r->checks[i].badness };
        return n;
}

static bool name_valid(const char *s, size_t max) {
        size_t n;

        if (isempty(s))
                return false;
        n = strnlen(s, max + 1);
        if (n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

/* The kinds a score may carry (classify_change() returns these); GONE and the upgrade events are
 * the store's own rows. */
static bool kind_of_score(EventKind k) {
        return k == EVENT_NONE || k == EVENT_REGRESSION ||
               k == EVENT_IMPROVEMENT || k == EVENT_NEW_EXPOSED ||
               k == EVENT_RESCORED;
}

/* A unit's manager: NULL (the system's) or a user's label, never '' (the system's key). */
static bool manager_valid(const char *manager) {
        return !manager || name_valid(manager, NAME_MAX_LEN);
}

static bool score_valid(const StoreScore *sc) {
        if (!sc || !name_valid(sc->unit, NAME_MAX_LEN) || !manager_valid(sc->manager) ||
            sc->time_usec == 0 ||
            sc->time_usec > INT64_MAX || sc->exposure > 100 || sc->predicate < 0 ||
            sc->predicate >= _PREDICATE_MAX || sc->cause < 0 || sc->cause >= _CAUSE_MAX ||
            !kind_of_score(sc->kind) ||
            !name_valid(sc->systemd_version, VERSION_MAX_LEN) ||
            !name_valid(sc->scorer_version, VERSION_MAX_LEN) ||
            sc->n_verdicts > STORE_VERDICTS_MAX || (sc->n_verdicts > 0 && !sc->verdicts) ||
            (sc->blame && strlen(sc->blame) > BLAME_TEXT_MAX))
                return false;
        for (size_t i = 0; i < sc->n_verdicts; i++)
                if (!name_valid(sc->verdicts[i].check, CHECK_MAX_LEN) ||
                    (sc->verdicts[i].badness > STORE_BADNESS_MAX &&
                     sc->verdicts[i].badness != BADNESS_NA))
                        return false;
        return true;
}

static int cmp_pair(const void *a, const void *b) {
        int64_t x = ((const Pair *) a)->id, y = ((const Pair *) b)->id;
        return x < y ? -1 : x > y;
}

/* The unit's persisted row: id (0 if unknown), exposure, gone, and its verdict vector. */
typedef struct UnitRow {
        int64_t id;
        unsigned exposure;
        bool gone;
        int64_t version;
        Pair vector[STORE_VERDICTS_MAX];
        size_t n_vector;
} UnitRow;

/* The manager column of a unit: '' for the system's (manager NULL). */
static const char *manager_key(const char *manager) {
        return manager ?: "";
}

static int unit_get(Store *s, const char *manager, const char *name, UnitRow *ret) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_UNIT_GET);
        int r, rc;

        r = bind_text(q, 1, name);
        if (r >= 0)
                r = bind_text(q, 2, manager_key(manager));
        if (r < 0)
                return r;
        ret->id = 0;
        ret->n_vector = 0;
        rc = sqlite3_step(q);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc != SQLITE_ROW)
                return store_errno(rc);
        ret->id = sqlite3_column_int64(q, 0);
        ret->exposure = (unsigned) column_u64(q, 1);
        ret->gone = sqlite3_column_type(q, 2) != SQLITE_NULL;
        ret->version = sqlite3_column_int64(q, 4);
        return decode_entries(sqlite3_column_blob(q, 3), (size_t) sqlite3_column_bytes(q, 3), 2,
                              ret->vector, NULL, STORE_VERDICTS_MAX, &ret->n_vector);
}

static int change_insert(Store *s, int64_t unit, uint64_t time_usec, EventKind kind,
                         Cause cause, int before, int exposure, int predicate, int64_t version,
                         const uint8_t *checks, size_t n_checks, const char *blame) {
        sqlite3_stmt *q = stmt(s, STMT_CHANGE_INSERT);
        int r;

        if ((r = bind_int(q, 1, unit)) < 0 || (r = bind_u64(q, 2, time_usec)) < 0 ||
            (r = bind_int(q, 3, kind)) < 0 || (r = bind_int(q, 4, cause)) < 0 ||
            (r = before < 0 ? store_errno(sqlite3_bind_null(q, 5)) : bind_int(q, 5, before)) < 0 ||
            (r = exposure < 0 ? store_errno(sqlite3_bind_null(q, 6)) : bind_int(q, 6, exposure)) <
                    0 ||
            (r = predicate < 0 ? store_errno(sqlite3_bind_null(q, 7)) : bind_int(q, 7, predicate)) <
                    0 ||
            (r = bind_int(q, 8, version)) < 0 || (r = bind_blob(q, 9, checks, n_checks)) < 0 ||
            (r = bind_text(q, 10, blame)) < 0) {
                (void) sqlite3_clear_bindings(q);
                return r;
        }
        return step_done(q);
}

static int add_score(Store *s, const StoreScore *sc) {
        UnitRow old;
        Pair vec[STORE_VERDICTS_MAX];
        uint8_t vec_blob[STORE_VERDICTS_MAX * 2 * VARINT_MAX];
        uint8_t chg_blob[STORE_VERDICTS_MAX * 2 * 3 * VARINT_MAX];
        size_t vec_len = 0, chg_len = 0, n_changed = 0;
        EventKind kind = sc->kind;
        int64_t version = 0;
        bool first;
        int r;

        r = unit_get(s, sc->manager, sc->unit, &old);
        if (r < 0)
                return r;

        for (size_t i = 0; i < sc->n_verdicts; i++) {
                vec[i].id = 0;
                r = check_id(s, sc->verdicts[i].check, &vec[i].id);
                if (r < 0)
                        return r;
                vec[i].badness = sc->verdicts[i].badness;
        }
        if (sc->n_verdicts > 0)
                qsort(vec, sc->n_verdicts, sizeof(Pair), cmp_pair);
        for (size_t i = 0; i < sc->n_verdicts; i++) {
                if (i > 0 && vec[i].id == vec[i - 1].id)
                        return -EINVAL; /* the same check twice */
                vec_len += put_varint(vec_blob + vec_len, (uint64_t) vec[i].id);
                vec_len += put_varint(vec_blob + vec_len, badness_encode(vec[i].badness));
        }

        /* Merge the sorted old and new vectors into the changed triples. */
        for (size_t a = 0, b = 0; old.id > 0 && (a < old.n_vector || b < sc->n_verdicts);) {
                int64_t id;
                uint64_t ob = BADNESS_ABSENT, nb = BADNESS_ABSENT;

                if (b >= sc->n_verdicts || (a < old.n_vector && old.vector[a].id < vec[b].id)) {
                        id = old.vector[a].id;
                        ob = old.vector[a++].badness;
                } else if (a >= old.n_vector || vec[b].id < old.vector[a].id) {
                        id = vec[b].id;
                        nb = vec[b++].badness;
                } else {
                        id = vec[b].id;
                        ob = old.vector[a++].badness;
                        nb = vec[b++].badness;
                }
                if (ob == nb)
                        continue;
                chg_len += put_varint(chg_blob + chg_len, (uint64_t) id);
                chg_len += put_varint(chg_blob + chg_len, badness_encode(ob));
                chg_len += put_varint(chg_blob + chg_len, badness_encode(nb));
                n_changed++;
        }

        if (old.id > 0 && !old.gone && n_changed == 0 && old.exposure == sc->exposure)
                return 0;

        r = version_id(s, sc->systemd_version, sc->scorer_version, sc->time_usec, &version);
        if (r < 0)
                return r;

        first = old.id == 0;
        if (first) {
                sqlite3_stmt *q = stmt(s, STMT_UNIT_INSERT);
                if ((r = bind_text(q, 1, sc->unit)) < 0 ||
                    (r = bind_u64(q, 2, sc->time_usec)) < 0 ||
                    (r = bind_int(q, 3, sc->exposure)) < 0 ||
                    (r = bind_int(q, 4, sc->predicate)) < 0 || (r = bind_int(q, 5, version)) < 0 ||
                    (r = bind_blob(q, 6, vec_blob, vec_len)) < 0 ||
                    (r = bind_text(q, 7, manager_key(sc->manager))) < 0)
                        return r;
                r = step_done(q);
                if (r < 0)
                        return r;
                old.id = sqlite3_last_insert_rowid(s->db);
        } else {
                sqlite3_stmt *q = stmt(s, STMT_UNIT_UPDATE);
                if ((r = bind_int(q, 1, old.id)) < 0 || (r = bind_u64(q, 2, sc->time_usec)) < 0 ||
                    (r = bind_int(q, 3, sc->exposure)) < 0 ||
                    (r = bind_int(q, 4, sc->predicate)) < 0 || (r = bind_int(q, 5, version)) < 0 ||
                    (r = bind_blob(q, 6, vec_blob, vec_len)) < 0 ||
                    (r = bind_int(q, 7, kind == EVENT_REGRESSION)) < 0 ||
                    (r = bind_int(q, 8, kind == EVENT_IMPROVEMENT)) < 0)
                        return r;
                r = step_done(q);
                if (r < 0)
                        return r;
        }

        /* A first score stores no checks: its whole vector is the unit's row (store.c header). */
        r = change_insert(s, old.id, sc->time_usec, kind, sc->cause,
                          first ? -1 : (int) old.exposure, (int) sc->exposure, sc->predicate,
                          version, first ? NULL : chg_blob, chg_len, sc->blame);
        if (r < 0)
                return r;
        return 1;
}

int store_add_score(Store *s, const StoreScore *score) {
        bool own;
        int r;

        assert(s);
        if (!score_valid(score))
                return -EINVAL;
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        return write_end(s, own, add_score(s, score));
}

static int unit_gone(Store *s, const char *manager, const char *unit, uint64_t time_usec,
                     Cause cause) {
        UnitRow old;
        int r;

        r = unit_get(s, manager, unit, &old);
        if (r < 0)
                return r;
        if (old.id == 0 || old.gone)
                return 0;

        sqlite3_stmt *q = stmt(s, STMT_UNIT_GONE);
        if ((r = bind_int(q, 1, old.id)) < 0 || (r = bind_u64(q, 2, time_usec)) < 0)
                return r;
        r = step_done(q);
        if (r < 0)
                return r;

        /* The GONE row keeps the version of the unit's last score. */
        r = change_insert(s, old.id, time_usec, EVENT_GONE, cause, (int) old.exposure, -1, -1,
                          old.version, NULL, 0, NULL);
        return r < 0 ? r : 1;
}

int store_unit_gone(Store *s, const char *manager, const char *unit, uint64_t time_usec,
                    Cause cause) {
        bool own;
        int r;

        assert(s);
        if (!name_valid(unit, NAME_MAX_LEN) || !manager_valid(manager) || time_usec == 0 ||
            time_usec > INT64_MAX || cause < 0 || cause >= _CAUSE_MAX)
                return -EINVAL;
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        return write_end(s, own, unit_gone(s, manager, unit, time_usec, cause));
}

static int add_scan(Store *s, const StoreScan *scan) {
        sqlite3_stmt *q = stmt(s, STMT_SCAN_INSERT);
        int64_t version;
        int r;

        if (scan->systemd_version) {
                r = version_id(s, scan->systemd_version, scan->scorer_version, scan->time_usec,
                               &version);
                if (r < 0)
                        return r;
        }

        if ((r = bind_u64(q, 1, scan->time_usec)) < 0 ||
            (r = bind_u64(q, 2, scan->duration_usec)) < 0 ||
            (r = bind_u64(q, 3, scan->n_units)) < 0 || (r = bind_u64(q, 4, scan->n_changes)) < 0 ||
            (r = bind_int(q, 5, scan->cause)) < 0) {
                (void) sqlite3_clear_bindings(q);
                return r;
        }
        return step_done(q);
}

static bool kind_of_policy(EventKind k) {
        return k == EVENT_OVER_POLICY || k == EVENT_WITHIN_POLICY || k == EVENT_WAIVER_EXPIRED;
}

static int add_policy_event(Store *s, const StorePolicyEvent *ev) {
        uint8_t blob[STORE_VERDICTS_MAX * 3 * VARINT_MAX];
        size_t len = 0;
        UnitRow u;
        int r;

        r = unit_get(s, NULL, ev->unit, &u);
        if (r < 0)
                return r;
        if (u.id == 0 && ev->score) {
                /* Not stored yet: its score first, so that the event has a unit to hang on. */
                StoreScore sc = *ev->score;
                sc.unit = ev->unit;
                sc.manager = NULL; /* policy events are the system's units' only */
                r = add_score(s, &sc);
                if (r < 0)
                        return r;
                r = unit_get(s, NULL, ev->unit, &u);
                if (r < 0)
                        return r;
        }
        if (u.id == 0)
                return 0; /* not stored yet: nothing to hang the event on (not an error, which
                           * would abort the caller's batch) */
        for (size_t i = 0; i < ev->n_checks; i++) {
                int64_t id = 0;
                r = check_id(s, ev->checks[i].check, &id);
                if (r < 0)
                        return r;
                len += put_varint(blob + len, (uint64_t) id);
                len += put_varint(blob + len, badness_encode(BADNESS_ABSENT));
                len += put_varint(blob + len, badness_encode(ev->checks[i].badness));
        }
        /* The unit's version: the event judges its last score. */
        r = change_insert(s, u.id, ev->time_usec, ev->kind, ev->cause, ev->ceiling,
                          (int) ev->exposure, ev->predicate, u.version, len ? blob : NULL, len,
                          NULL);
        return r < 0 ? r : 1;
}

int store_add_policy_event(Store *s, const StorePolicyEvent *ev) {
        bool own;
        int r;

        assert(s);
        if (!ev || !name_valid(ev->unit, NAME_MAX_LEN) || ev->time_usec == 0 ||
            ev->time_usec > INT64_MAX || !kind_of_policy(ev->kind) || ev->cause < 0 ||
            ev->cause >= _CAUSE_MAX || ev->exposure > 100 || ev->ceiling > 100 ||
            ev->predicate < 0 || ev->predicate >= _PREDICATE_MAX ||
            ev->n_checks > STORE_VERDICTS_MAX || (ev->n_checks > 0 && !ev->checks))
                return -EINVAL;
        if (ev->score) {
                StoreScore sc = *ev->score;
                sc.unit = ev->unit;
                if (!score_valid(&sc) || sc.time_usec >= ev->time_usec)
                        return -EINVAL;
        }
        for (size_t i = 0; i < ev->n_checks; i++)
                if (!name_valid(ev->checks[i].check, CHECK_MAX_LEN) ||
                    ev->checks[i].badness > STORE_BADNESS_MAX)
                        return -EINVAL;
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        return write_end(s, own, add_policy_event(s, ev));
}

int store_policy_over_units(Store *s, char ***ret) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_POLICY_OVER);
        _cleanup_(strv_freep) char **l = NULL;
        int rc;

        assert(s);
        assert(ret);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                const char *name = (const char *) sqlite3_column_text(q, 0);
                if (name)
                        strv_push(&l, name);
        }
        if (rc != SQLITE_DONE)
                return store_errno(rc);
        *ret = TAKE_PTR(l);
        return 0;
}

static int put_snapshot(Store *s, const StoreSnapshot *snap) {
        sqlite3_stmt *q = stmt(s, STMT_SNAPSHOT_PUT);
        int r;

        if ((r = bind_text(q, 1, snap->unit)) < 0 || (r = bind_text(q, 2, snap->files)) < 0 ||
            (r = snap->running_exposure < 0 ? store_errno(sqlite3_bind_null(q, 3))
                                            : bind_int(q, 3, snap->running_exposure)) < 0 ||
            (r = bind_u64(q, 4, snap->running_start_usec)) < 0) {
                (void) sqlite3_clear_bindings(q);
                return r;
        }
        r = step_done(q);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0;
}

int store_put_snapshot(Store *s, const StoreSnapshot *snap) {
        bool own;
        int r;

        assert(s);
        if (!snap || !name_valid(snap->unit, NAME_MAX_LEN) || isempty(snap->files) ||
            strlen(snap->files) > BLAME_SNAPSHOT_TEXT_MAX || snap->running_exposure < -1 ||
            snap->running_exposure > 100 || snap->running_start_usec > INT64_MAX)
                return -EINVAL;
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        return write_end(s, own, put_snapshot(s, snap));
}

int store_get_snapshot(Store *s, const char *unit, char **ret_files, int *ret_running_exposure,
                       uint64_t *ret_running_start_usec) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_SNAPSHOT_GET);
        int r, rc;

        assert(s);
        assert(ret_files);
        assert(ret_running_exposure);
        assert(ret_running_start_usec);
        if (!name_valid(unit, NAME_MAX_LEN))
                return -EINVAL;
        r = bind_text(q, 1, unit);
        if (r < 0)
                return r;
        rc = sqlite3_step(q);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc != SQLITE_ROW)
                return store_errno(rc);
        int64_t running = sqlite3_column_int64(q, 1);
        *ret_files = column_strdup(q, 0);
        *ret_running_exposure = sqlite3_column_type(q, 1) == SQLITE_NULL || running < 0 ||
                                                running > 100
                                        ? -1
                                        : (int) running;
        *ret_running_start_usec = column_u64(q, 2);
        return 1;
}

int store_add_scan(Store *s, const StoreScan *scan) {
        bool own;
        int r;

        assert(s);
        if (!scan || scan->time_usec == 0 || scan->time_usec > INT64_MAX || scan->cause < 0 ||
            scan->cause >= _CAUSE_MAX ||
            (scan->systemd_version && (!name_valid(scan->systemd_version, VERSION_MAX_LEN) ||
                                       !name_valid(scan->scorer_version, VERSION_MAX_LEN))))
                return -EINVAL;
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        return write_end(s, own, add_scan(s, scan));
}

/* ---- reads ---- */

StoreCurrent *store_current_free(StoreCurrent *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_units + c->n_user_units; i++) {
                StoreUnit *u = i < c->n_units ? &c->units[i] : &c->user_units[i - c->n_units];
                free(u->name);
                free(u->manager);
                free(u->systemd_version);
                free(u->scorer_version);
                free(u->verdicts);
        }
        free(c->units);
        free(c->user_units);
        for (size_t i = 0; i < c->n_check_names; i++)
                free(c->check_names[i]);
        free(c->check_names);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StoreCurrent *, store_current_free);

int store_load_current(Store *s, StoreCurrent **ret) {
        _cleanup_(store_current_freep) StoreCurrent *c = NULL;
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_CURRENT);
        size_t cap_sys = 0, cap_user = 0;
        int r, rc;

        assert(s);
        assert(ret);

        r = checks_reload(s);
        if (r < 0)
                return r;
        c = xcalloc(1, sizeof(StoreCurrent));
        {
                _cleanup_reset_ sqlite3_stmt *e = stmt(s, STMT_IS_EMPTY);
                rc = sqlite3_step(e);
                if (rc != SQLITE_ROW)
                        return store_errno(rc);
                c->empty = sqlite3_column_int(e, 0) != 0;
        }
        /* The names the verdicts point to: a copy of the check table, indexed like s->checks. */
        c->check_names = xcalloc(s->n_checks + 1, sizeof(char *));
        for (size_t i = 0; i < s->n_checks; i++)
                c->check_names[i] = xstrdup(s->checks[i].name);
        c->n_check_names = s->n_checks;

        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                Pair vec[STORE_VERDICTS_MAX];
                size_t n_vec;
                const char *manager = (const char *) sqlite3_column_text(q, 11);
                bool user = !isempty(manager);
                StoreUnit **l = user ? &c->user_units : &c->units;
                size_t *n = user ? &c->n_user_units : &c->n_units;
                size_t *cap = user ? &cap_user : &cap_sys;

                if (*n == *cap) {
                        *cap = *cap ? *cap * 2 : 64;
                        *l = xrealloc(*l, *cap * sizeof(StoreUnit));
                }
                StoreUnit *u = &(*l)[*n];
                *u = (StoreUnit){
                        .manager = user ? xstrdup(manager) : NULL,
                        .name = column_strdup(q, 0),
                        .first_seen_usec = column_u64(q, 1),
                        .last_change_usec = column_u64(q, 2),
                        .gone_usec = column_u64(q, 3),
                        .exposure = (unsigned) column_u64(q, 4),
                        .predicate = (Predicate) sqlite3_column_int(q, 5),
                        .regressions = column_u64(q, 6),
                        .improvements = column_u64(q, 7),
                        .systemd_version = column_strdup(q, 8),
                        .scorer_version = column_strdup(q, 9),
                };
                (*n)++;
                if (!u->name)
                        return -EBADMSG;
                r = decode_entries(sqlite3_column_blob(q, 10), (size_t) sqlite3_column_bytes(q, 10),
                                   2, vec, NULL, STORE_VERDICTS_MAX, &n_vec);
                if (r < 0)
                        return r;
                u->verdicts = xcalloc(n_vec, sizeof(StoreVerdict));
                for (size_t i = 0; i < n_vec; i++) {
                        size_t k;
                        for (k = 0; k < s->n_checks; k++)
                                if (s->checks[k].id == vec[i].id)
                                        break;
                        if (k == s->n_checks)
                                return -EBADMSG;
                        u->verdicts[i] = (StoreVerdict){ c->check_names[k], vec[i].badness };
                }
                u->n_verdicts = n_vec;
        }
        if (rc != SQLITE_DONE)
                return store_errno(rc);

        *ret = TAKE_PTR(c);
        return 0;
}

static int column_tenths(sqlite3_stmt *q, int i) {
        if (sqlite3_column_type(q, i) == SQLITE_NULL)
                return -1;
        int64_t v = sqlite3_column_int64(q, i);
        return v < 0 || v > 100 ? -1 : (int) v;
}

/* Read the rows of STMT_HISTORY or STMT_EVENTS (same columns) into an array. */
static int read_changes(Store *s, sqlite3_stmt *q, size_t limit, Change **ret, size_t *ret_n) {
        Change *list = NULL;
        size_t n = 0;
        int r = 0, rc;

        while ((rc = sqlite3_step(q)) == SQLITE_ROW && n < limit) {
                Pair v[STORE_VERDICTS_MAX * 2];
                uint64_t nb[STORE_VERDICTS_MAX * 2];
                size_t n_v = 0;

                if (!list)
                        list = xcalloc(limit < 64 ? limit : 64, sizeof(Change));
                else if (n >= 64 && (n & (n - 1)) == 0)
                        list = xrealloc(list, 2 * n * sizeof(Change));
                Change *c = &list[n++];
                int64_t kind = sqlite3_column_int64(q, 2), cause = sqlite3_column_int64(q, 3);
                *c = (Change){
                        .unit = column_strdup(q, 0),
                        .time_usec = column_u64(q, 1),
                        .kind = kind >= 0 && kind < _EVENT_KIND_MAX ? (EventKind) kind
                                                                     : _EVENT_KIND_INVALID,
                        .cause = cause >= 0 && cause < _CAUSE_MAX ? (Cause) cause
                                                                        : _CAUSE_INVALID,
                        .previous = column_tenths(q, 4),
                        .exposure = column_tenths(q, 5),
                        .predicate = sqlite3_column_type(q, 6) == SQLITE_NULL
                                             ? _PREDICATE_INVALID
                                             : (Predicate) sqlite3_column_int(q, 6),
                        .systemd_version = column_strdup(q, 7),
                        .scorer_version = column_strdup(q, 8),
                        .systemd_version_before = column_strdup(q, 9),
                        .message = column_strdup(q, 11),
                        .broke_policy = sqlite3_column_int(q, 13) != 0,
                        .user = column_strdup(q, 14),
                };
                /* A blame text this binary cannot read (damaged, or a newer format) is left
                 * out of the row, not an error of the whole query. */
                if (sqlite3_column_type(q, 12) == SQLITE_TEXT) {
                        BlameRecord b;
                        if (blame_decode((const char *) sqlite3_column_text(q, 12), &b) >= 0) {
                                c->blame = xmalloc(sizeof(BlameRecord));
                                *c->blame = b;
                        }
                }
                r = decode_entries(sqlite3_column_blob(q, 10), (size_t) sqlite3_column_bytes(q, 10),
                                   3, v, nb, ELEMENTSOF(v), &n_v);
                if (r < 0)
                        break;
                c->checks = n_v ? xcalloc(n_v, sizeof(ChangeCheck)) : NULL;
                for (size_t i = 0; i < n_v; i++) {
                        const char *name = check_name(s, v[i].id);
                        if (!name) {
                                r = -EBADMSG;
                                break;
                        }
                        c->checks[i] = (ChangeCheck){ xstrdup(name), v[i].badness, nb[i] };
                        c->n_checks++;
                }
                if (r < 0)
                        break;
        }
        if (r >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = store_errno(rc);
        if (r < 0) {
                changes_free(list, n);
                return r;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

static int unit_id(Store *s, const char *manager, const char *name, int64_t *ret) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_UNIT_GET);
        int r, rc;

        r = bind_text(q, 1, name);
        if (r >= 0)
                r = bind_text(q, 2, manager_key(manager));
        if (r < 0)
                return r;
        rc = sqlite3_step(q);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return store_errno(rc);
        *ret = sqlite3_column_int64(q, 0);
        return 0;
}

static uint64_t until_bound(uint64_t until_usec) {
        return until_usec == 0 || until_usec > INT64_MAX ? INT64_MAX : until_usec;
}

int store_history(Store *s, const char *manager, const char *unit, uint64_t since_usec,
                  uint64_t until_usec, size_t limit, Change **ret, size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_HISTORY);
        int64_t id = 0;
        int r;

        assert(s);
        assert(ret);
        assert(ret_n);
        if (!name_valid(unit, NAME_MAX_LEN) || !manager_valid(manager))
                return -EINVAL;
        if (limit == 0 || limit > STORE_ROWS_MAX)
                return -ERANGE;
        r = unit_id(s, manager, unit, &id);
        if (r < 0)
                return r;
        if ((r = bind_int(q, 1, id)) < 0 || (r = bind_u64(q, 2, since_usec)) < 0 ||
            (r = bind_u64(q, 3, until_bound(until_usec))) < 0 || (r = bind_u64(q, 4, limit)) < 0)
                return r;
        return read_changes(s, q, limit, ret, ret_n);
}

int store_events(Store *s, const char *manager, const char *unit, unsigned kinds,
                 uint64_t since_usec, uint64_t until_usec, size_t limit, Change **ret,
                 size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_EVENTS);
        int r;

        assert(s);
        assert(ret);
        assert(ret_n);
        if ((unit && !name_valid(unit, NAME_MAX_LEN)) || !manager_valid(manager))
                return -EINVAL;
        if (kinds == 0)
                kinds = EVENT_KINDS_DEFAULT;
        if (kinds & ~((1U << _EVENT_KIND_MAX) - 1))
                return -EINVAL;
        if (limit == 0 || limit > STORE_ROWS_MAX)
                return -ERANGE;
        if ((r = bind_int(q, 1, kinds)) < 0 || (r = bind_u64(q, 2, since_usec)) < 0 ||
            (r = bind_u64(q, 3, until_bound(until_usec))) < 0 || (r = bind_text(q, 4, unit)) < 0 ||
            (r = bind_u64(q, 5, limit)) < 0 || (r = bind_text(q, 6, manager_key(manager))) < 0 ||
            (r = bind_text(q, 7, manager)) < 0)
                return r;
        return read_changes(s, q, limit, ret, ret_n);
}

/* ---- maintenance ---- */

static int prune(Store *s, uint64_t before_usec, uint64_t *ret_n) {
        static const StmtId deletes[] = { STMT_PRUNE_CHANGES, STMT_PRUNE_SCANS,
                                          STMT_PRUNE_NOTICES, STMT_PRUNE_UNITS };
        uint64_t n = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(deletes); i++) {
                sqlite3_stmt *q = stmt(s, deletes[i]);
                r = bind_u64(q, 1, before_usec);
                if (r < 0)
                        return r;
                r = step_done(q);
                if (r < 0)
                        return r;
                n += (uint64_t) sqlite3_changes64(s->db);
        }
        *ret_n = n;
        return 0;
}

int store_prune(Store *s, uint64_t before_usec, uint64_t *ret_n) {
        uint64_t n = 0;
        bool own;
        int r;

        assert(s);
        if (s->batch)
                return -EBUSY; /* not inside a scan batch: a prune is its own transaction */
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        r = write_end(s, own, prune(s, before_usec, &n));
        if (r < 0)
                return r;
        /* Give the freed pages back to the file system (auto_vacuum=INCREMENTAL); a failure here
         * only leaves free pages for later writes to reuse. */
        (void) step_done(stmt(s, STMT_VACUUM));
        if (ret_n)
                *ret_n = n;
        return 0;
}

int store_stats(Store *s, StoreStats *ret) {
        StoreStats st = { .n_write_errors = s->n_write_errors, .last_error = s->last_error };
        int r, rc;

        assert(s);
        assert(ret);
        r = read_user_version(s->db, &st.schema_version);
        if (r < 0)
                return r;
        {
                _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_PAGES);
                rc = sqlite3_step(q);
                if (rc != SQLITE_ROW)
                        return store_errno(rc);
                st.db_bytes = column_u64(q, 0) * column_u64(q, 1);
                st.free_bytes = column_u64(q, 2) * column_u64(q, 1);
        }
        {
                _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_COUNTS);
                rc = sqlite3_step(q);
                if (rc != SQLITE_ROW)
                        return store_errno(rc);
                st.n_units = column_u64(q, 0);
                st.n_units_gone = column_u64(q, 1);
                st.n_changes = column_u64(q, 2);
                st.n_events = column_u64(q, 3);
                st.n_scans = column_u64(q, 4);
                st.n_checks = column_u64(q, 5);
                st.n_versions = column_u64(q, 6);
        }
        {
                _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_NOTICE_LAST);
                rc = sqlite3_step(q);
                if (rc == SQLITE_ROW) {
                        const unsigned char *t = sqlite3_column_text(q, 1);
                        st.notice_usec = column_u64(q, 0);
                        (void) snprintf(st.notice, sizeof st.notice, "%s",
                                        t ? (const char *) t : "");
                } else if (rc != SQLITE_DONE)
                        return store_errno(rc);
        }
        st.wal_bytes = wal_file_bytes(s);
        st.wal_budget_bytes = s->max_bytes > 0 ? s->wal_budget : 0;

        *ret = st;
        return 0;
}

int store_check(Store *s) {
        int r;

        assert(s);
        r = quick_check(s->db);
        if (r == -EBADMSG)
                s->damaged = true;
        return r;
}

int store_set_size_limit(Store *s, uint64_t max_bytes) {
        uint64_t page_size = 4096, pages, budget;
        char sql[64];
        int r;

        assert(s);
        if (s->readonly)
                return -EROFS;
        {
                _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_PAGES);
                if (sqlite3_step(q) == SQLITE_ROW && column_u64(q, 1) > 0)
                        page_size = column_u64(q, 1);
        }
        budget = max_bytes / 8;
        budget = budget < WAL_BUDGET_MIN ? WAL_BUDGET_MIN
                 : budget > WAL_BUDGET_MAX ? WAL_BUDGET_MAX : budget;
        if (max_bytes > 0 && max_bytes <= budget)
                return -ERANGE;
        /* SQLite's default maximum (4294967294 pages) stands for "no cap". */
        pages = max_bytes == 0 ? UINT32_MAX - 1 : (max_bytes - budget) / page_size;
        if (pages == 0 || pages > UINT32_MAX - 1)
                return -ERANGE;
        /* PRAGMA values cannot be bound: built from an integer we computed (never from caller
         * text). */
        (void) snprintf(sql, sizeof sql, "PRAGMA max_page_count = %" PRIu64, pages);
        r = exec_sql(s->db, sql);
        if (r < 0)
                return r;
        s->page_size = page_size;
        s->max_bytes = max_bytes;
        s->wal_budget = max_bytes > 0 ? budget : WAL_BUDGET_MAX;
        r = wal_apply_budget(s);
        if (r < 0)
                return r;
        /* A WAL already past the new budget is brought back under it now, if it can be. */
        (void) wal_within_budget(s);
        return 0;
}

/* ---- the history's own events, corruption ---- */

static bool message_valid(const char *m) {
        size_t n;

        if (isempty(m))
                return false;
        n = strnlen(m, STORE_MESSAGE_MAX + 1);
        if (n > STORE_MESSAGE_MAX)
                return false;
        for (size_t i = 0; i < n;) {
                size_t k = utf8_char_len(m + i, n - i);
                if (k == 0 || (k == 1 && ((unsigned char) m[i] < 0x20 || m[i] == 0x7f)))
                        return false;
                i += k;
        }
        return true;
}

static int add_notice(Store *s, uint64_t time_usec, const char *message) {
        sqlite3_stmt *q = stmt(s, STMT_NOTICE_INSERT);
        int r;

        if ((r = bind_u64(q, 1, time_usec)) < 0 || (r = bind_text(q, 2, message)) < 0) {
                (void) sqlite3_clear_bindings(q);
                return r;
        }
        return step_done(q);
}

int store_add_notice(Store *s, uint64_t time_usec, const char *message) {
        bool own;
        int r;

        assert(s);
        if (time_usec == 0 || time_usec > INT64_MAX || !message_valid(message))
                return -EINVAL;
        r = write_begin(s, &own);
        if (r < 0)
                return r;
        return write_end(s, own, add_notice(s, time_usec, message));
}

int store_last_time(Store *s, uint64_t *ret_usec) {
        _cleanup_reset_ sqlite3_stmt *q = stmt(s, STMT_LAST_TIME);
        int rc;

        assert(s);
        assert(ret_usec);
        rc = sqlite3_step(q);
        if (rc != SQLITE_ROW)
                return store_errno(rc);
        *ret_usec = column_u64(q, 0);
        return 0;
}

uint64_t store_retention_cutoff(uint64_t want_usec, uint64_t retention_usec,
                                uint64_t last_stored_usec, bool first, uint64_t prev_cutoff_usec,
                                uint64_t elapsed_usec) {
        uint64_t cut = want_usec;

        if (first) {
                uint64_t bound = last_stored_usec > retention_usec
                                         ? last_stored_usec - retention_usec : 0;
                if (last_stored_usec > 0 && cut > bound)
                        cut = bound;
        } else {
                /* The slack covers the wall clock's legitimate drift against CLOCK_BOOTTIME (NTP
                 * slewing, small steps). */
                uint64_t bound = prev_cutoff_usec + elapsed_usec + STORE_CUTOFF_SLACK_USEC;
                if (bound < prev_cutoff_usec)
                        bound = UINT64_MAX; /* overflow: no bound to speak of */
                if (cut > bound)
                        cut = bound;
                if (cut < prev_cutoff_usec)
                        cut = prev_cutoff_usec;
        }
        return cut;
}

/* The suffixes SQLite adds to a database's name, in the order they must move: the WAL (and the
 * rollback journal) before the file they belong to, so that a crash in between never leaves an
 * old WAL next to a new database. The -shm is only an index of the WAL. */
static const char *const db_suffixes[] = { "-wal", "-journal", "-shm", "" };

static char *concat(const char *a, const char *b) {
        Buf x = {};
        buf_puts(&x, a);
        buf_puts(&x, b);
        return buf_steal(&x);
}

static int fsync_parent(const char *path) {
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        int fd, r = 0;

        if (slash == dir)
                slash[1] = 0;
        else if (slash)
                *slash = 0;
        else
                (void) snprintf(dir, strlen(dir) + 1, ".");
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        (void) close(fd);
        return r;
}

int store_quarantine(const char *path, uint64_t now_usec, char **ret_moved_to) {
        _cleanup_free_ char *base = NULL;
        struct stat st;
        struct tm tm;
        time_t t = (time_t) (now_usec / 1000000);
        char stamp[32];

        assert(path);
        assert(ret_moved_to);
        if (isempty(path) || streq(path, ":memory:"))
                return -EINVAL;
        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL; /* a symlink or device: not ours to move */
        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;

        /* A name nothing has: the first free of .corrupt-STAMP, -2, -3, ... (checked for every
         * suffix, so that the set moves together). */
        for (unsigned n = 1; n < 100 && !base; n++) {
                Buf x = {};
                bool taken = false;

                buf_printf(&x, "%s.corrupt-%s", path, stamp);
                if (n > 1)
                        buf_printf(&x, "-%u", n);
                char *b = buf_steal(&x);
                for (size_t i = 0; i < ELEMENTSOF(db_suffixes) && !taken; i++) {
                        _cleanup_free_ char *f = concat(b, db_suffixes[i]);
                        taken = lstat(f, &st) >= 0 || errno != ENOENT;
                }
                if (taken)
                        free(b);
                else
                        base = b;
        }
        if (!base)
                return -EEXIST;

        for (size_t i = 0; i < ELEMENTSOF(db_suffixes); i++) {
                _cleanup_free_ char *from = concat(path, db_suffixes[i]);
                _cleanup_free_ char *to = concat(base, db_suffixes[i]);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        (void) fsync_parent(path);
        *ret_moved_to = TAKE_PTR(base);
        return 0;
}
