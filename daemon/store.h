/* SPDX-License-Identifier: MIT */
/* The history store: SQLite behind a domain API. It keeps, per unit, the last persisted score
 * (exposure + every check's badness) and a row per change; a scan that changes nothing writes only
 * a scan record. store_add_score() diffs what it is given against what is persisted, so the caller
 * may simply hand over every unit after each scan, and after a failed write (disk full, read-only)
 * hand them over again: whatever was lost is recorded on the retry, nothing twice.
 * This is the only module that includes sqlite3.h; it never logs errors (callers do), only the
 * schema migrations (LOG_MESSAGE_MIGRATION) and debug details. One thread, no locks. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "event.h"
#include "score.h"

typedef struct Store Store;

/* Bounds on what a caller (ultimately an HTTP client) can ask for. */
#define STORE_ROWS_MAX 10000U   /* rows per store_history()/store_events() call */
#define STORE_VERDICTS_MAX 256U /* checks per score */
#define STORE_BADNESS_MAX UINT32_MAX

/* SQLITE_* -> -errno, once: BUSY/LOCKED -EBUSY, CONSTRAINT -EEXIST, NOMEM -ENOMEM, FULL -ENOSPC,
 * READONLY -EROFS, CANTOPEN -ENOENT (store_open*() look closer: -EACCES), NOTADB/CORRUPT
 * -EBADMSG, else -EIO. 0 for OK/ROW/DONE. */
int store_errno(int sqlite_rc);

/* How long one statement of the daemon's store waits for another process's lock before failing
 * with -EBUSY; after such a failure every write fails at once (-EBUSY, not touching SQLite) for
 * STORE_BUSY_BACKOFF_USEC. So a second writer holding the lock for minutes costs the event loop
 * at most STORE_BUSY_TIMEOUT_MS per backoff period, whatever the number of writes attempted; the
 * caller retries later from its loop. (The read-only store waits longer: it runs in a CLI.) */
#define STORE_BUSY_TIMEOUT_MS 50
#define STORE_BUSY_BACKOFF_USEC (500 * UINT64_C(1000))

/* Open (creating it and its schema if needed) the database at path (":memory:" works) for the
 * daemon: WAL, synchronous=NORMAL, foreign_keys=ON, busy_timeout; runs every pending migration,
 * one transaction each, logging each with LOG_MESSAGE_MIGRATION, then PRAGMA quick_check (the
 * whole file, read from disk: damage is found at start-up, not at the first unlucky write).
 * Returns 0, or -errno: -EPROTO when the database's schema is newer than this binary, -EBADMSG
 * when the file is not a database or is corrupt (see store_quarantine()). *ret is written only on
 * success. */
int store_open(const char *path, Store **ret);
/* Open an existing database read-only (the admin CLI, while the daemon runs: WAL readers do not
 * block the writer). Never migrates: -ESTALE when the schema is older than this binary. The
 * cause of a file that cannot be opened is told apart: -ENOENT (it or its directory is missing),
 * -EACCES (not readable by the caller, or its -shm/-wal are missing and cannot be created),
 * -EBADMSG (not a database). */
int store_open_readonly(const char *path, Store **ret);
/* Move a damaged database out of the way, with its -wal, -shm and -journal files, so that
 * store_open(path) starts a fresh one: path becomes "<path>.corrupt-YYYYMMDDTHHMMSSZ" (UTC, from
 * now_usec; "-2", "-3"... when taken), the others get their suffix after that name, so that the
 * set still opens together (sqlite3 on the moved file sees what the daemon saw). The WAL moves
 * first: a new database must never pick up the old WAL. No Store may be open on path. Returns 0
 * with the new name of the main file in *ret_moved_to (free() it), or -errno (nothing at path:
 * -ENOENT). */
int store_quarantine(const char *path, uint64_t now_usec, char **ret_moved_to);
/* Bytes the database takes on disk: its file plus its WAL (0 for ":memory:"). */
uint64_t store_disk_bytes(const Store *s);
/* Finalize everything and close; accepts NULL, returns NULL. */
Store *store_free(Store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_free);

/* Group writes in one transaction (a scan batch). Outside begin/commit every write is its own
 * transaction. When a write inside fails, the store rolls the whole batch back at once and returns
 * the error; later writes of that batch fail with the same error without touching the database,
 * and store_commit() returns it too, ending the batch. store_rollback() ends a batch discarding
 * it. Nested begin is -EBUSY; commit without begin -EINVAL. */
int store_begin(Store *s);
int store_commit(Store *s);
void store_rollback(Store *s);

/* One check's verdict: name as the table spells it (Assessor.id), badness or BADNESS_NA. */
typedef struct StoreVerdict {
        const char *check;
        uint64_t badness;
} StoreVerdict;

/* Fill ret with every check of a report (names point into the report's table). Returns the
 * count. */
size_t store_verdicts_from_report(const ScoreReport *r, StoreVerdict ret[static SCORE_ROWS_MAX]);

/* Units are keyed by (manager, name): manager NULL is the system manager, else the label of a
 * lingering user's manager ("alice", user-reports.h), so that the system's foo.service and
 * alice's never share a row. Policy events and snapshots are the system's units' only. */
typedef struct StoreScore {
        const char *unit;   /* "foo.service" */
        const char *manager; /* NULL: the system's; else the user's (1..255 bytes) */
        uint64_t time_usec; /* CLOCK_REALTIME; unique per unit */
        unsigned exposure;  /* tenths, 0..100 */
        Predicate predicate;
        const StoreVerdict *verdicts; /* every check (not only the changed ones), unique names */
        size_t n_verdicts;            /* <= STORE_VERDICTS_MAX */
        const char *systemd_version;  /* the manager's Version property */
        const char *scorer_version;   /* which scorer/table produced it */
        Cause cause;
        EventKind kind; /* what the change means, from classify_change() */
        const char *blame; /* blame_encode() text of what changed in its files, or NULL */
} StoreScore;

/* Persist a score if it differs from the unit's last persisted one (exposure or any verdict), or
 * if the unit was marked gone. The change row holds the old and new exposure, only the checks
 * whose badness changed, and score->kind as given: the store does not judge (classify.h does, in
 * the manager); a REGRESSION or IMPROVEMENT also counts in the unit's counters. Returns 1 when a
 * row was written, 0 when nothing changed, -EINVAL on bad input (a kind other than NONE,
 * REGRESSION, IMPROVEMENT, NEW_EXPOSED or RESCORED included), else -errno. */
int store_add_score(Store *s, const StoreScore *score);

/* Mark a unit gone (keeps its history) with a GONE row. 1 marked, 0 unknown or already gone. */
int store_unit_gone(Store *s, const char *manager, const char *unit, uint64_t time_usec,
                    Cause cause);

/* A policy event (unit-policy.h): OVER_POLICY, WITHIN_POLICY or WAIVER_EXPIRED of a unit, stored
 * as a row of its history with kind and time as given, ceiling in the "previous" column (-1: none), the unit's exposure, and checks (the failing checks
 * no waiver covers, or the check whose waiver expired, with their badness). An OVER_POLICY row at
 * a score change's time + 1 us marks that change as the one that broke the policy
 * (Change.broke_policy). Returns 1, 0 when the store has no row of the unit and no score was
 * given (nothing written), or -errno (-EEXIST when the unit has a row at that time). */
typedef struct StorePolicyCheck {
        const char *check;
        uint64_t badness;       /* 0..STORE_BADNESS_MAX */
} StorePolicyCheck;
typedef struct StorePolicyEvent {
        const char *unit;
        /* The unit's score the event judges, stored first (its first score; its unit is this
         * unit, its time before time_usec, else -EINVAL) when the store has no row of the unit
         * yet: a unit that went over policy and left while the database was down still has the
         * event in its history. NULL: no row, no event (returns 0). */
        const StoreScore *score;
        uint64_t time_usec;
        EventKind kind;
        Cause cause;
        int ceiling;            /* tenths, -1: none */
        unsigned exposure;
        Predicate predicate;
        const StorePolicyCheck *checks;
        size_t n_checks;
} StorePolicyEvent;
int store_add_policy_event(Store *s, const StorePolicyEvent *ev);
/* The present units whose last stored policy event says they went over policy (and none says
 * they came back): the state a restarted daemon continues from. *ret is a strv (NULL: none). */
int store_policy_over_units(Store *s, char ***ret);

/* Blame's snapshot of a unit (blame.h, blame_files_encode()) and its main process, kept across
 * restarts of the daemon: one row per unit, replaced by each put, removed with the unit's row. */
typedef struct StoreSnapshot {
        const char *unit;
        const char *files;           /* 1..BLAME_SNAPSHOT_TEXT_MAX bytes, else -EINVAL */
        int running_exposure;        /* tenths (0..100), -1: no main process */
        uint64_t running_start_usec; /* its ExecMainStartTimestamp; 0 with no main process */
} StoreSnapshot;
/* Store the snapshot of a unit the store has a row of. Returns 1, 0 when it has none (nothing
 * written), or -errno. */
int store_put_snapshot(Store *s, const StoreSnapshot *snap);
/* The stored snapshot of a unit: 1 with *ret_files (free() it), *ret_running_exposure (-1: none)
 * and *ret_running_start_usec; 0 when there is none (the out-parameters untouched); -errno. */
int store_get_snapshot(Store *s, const char *unit, char **ret_files, int *ret_running_exposure,
                       uint64_t *ret_running_start_usec);

typedef struct StoreScan {
        uint64_t time_usec; /* unique */
        uint64_t duration_usec;
        uint64_t n_units;
        uint64_t n_changes;
        Cause cause;
        const char *systemd_version; /* optional (NULL): the versions the scan scored with */
        const char *scorer_version;
} StoreScan;

/* Record a completed scan. With versions given, a new (systemd, scorer) pair
 * is recorded even when no score changed, so that an upgrade is an event in any case. */
int store_add_scan(Store *s, const StoreScan *scan);

/* The last persisted state of one unit. */
typedef struct StoreUnit {
        char *name;
        char *manager; /* NULL: the system's; else the user's */
        uint64_t first_seen_usec, last_change_usec;
        uint64_t gone_usec; /* 0 while present */
        unsigned exposure;
        Predicate predicate;
        uint64_t regressions, improvements;
        char *systemd_version, *scorer_version;
        StoreVerdict *verdicts; /* check names owned by the StoreCurrent */
        size_t n_verdicts;
} StoreUnit;

typedef struct StoreCurrent {
        StoreUnit *units; /* the system's, sorted by name (strcmp), gone ones included */
        size_t n_units;
        StoreUnit *user_units; /* the user managers', sorted by manager then name */
        size_t n_user_units;
        char **check_names; /* owns the StoreVerdict.check strings */
        size_t n_check_names;
        bool empty; /* no unit and no scan yet: the next scan is the baseline (no history) */
} StoreCurrent;

/* Every unit's last persisted state, to rebuild the in-memory view at start-up. */
int store_load_current(Store *s, StoreCurrent **ret);
StoreCurrent *store_current_free(StoreCurrent *c);

/* The rows below are Change (event.h), freed with changes_free(); a user unit's carry its manager
 * in Change.user (NULL for the system's).
 * A unit's (of manager: NULL the system) changes with since <= time < until (until 0 = no
 * bound), newest first, at most limit (1..STORE_ROWS_MAX, else -ERANGE). -ENOENT for a unit
 * never seen. */
int store_history(Store *s, const char *manager, const char *unit, uint64_t since_usec,
                  uint64_t until_usec, size_t limit, Change **ret, size_t *ret_n);
/* Events (changes whose kind is in kinds, an EVENT_KIND_MASK() set; 0 = EVENT_KINDS_DEFAULT)
 * with since <= time < until, of one unit (of manager: NULL the system) or all (unit NULL: every
 * manager's when manager is NULL, else only that user manager's units'), newest first, at most
 * limit. Upgrade and DATABASE events have no unit and are left out when unit or manager is
 * set. Rows with equal times (one scan) are ordered by unit name descending. */
int store_events(Store *s, const char *manager, const char *unit, unsigned kinds,
                 uint64_t since_usec, uint64_t until_usec, size_t limit, Change **ret,
                 size_t *ret_n);

/* A DATABASE event: something happened to the history itself that a reader of the history must
 * know (it was reset after corruption and where the old file went; writes were refused for a
 * while; a clock jump held retention back). message: printable UTF-8, 1..STORE_MESSAGE_MAX bytes.
 * Returns 0 or -errno (-EINVAL for a bad message or time). */
#define STORE_MESSAGE_MAX 1024U
int store_add_notice(Store *s, uint64_t time_usec, const char *message);

/* Retention: delete changes, scans and DATABASE events older than before_usec, except each
 * present unit's newest change (whatever the clock says, every unit keeps its last record), then
 * units gone before it that have no change left, then give the freed pages back (incremental
 * vacuum). *ret_n (may be NULL) gets the number of rows deleted. */
int store_prune(Store *s, uint64_t before_usec, uint64_t *ret_n);

/* The time of the newest stored scan, DATABASE event or change (0 when empty). */
int store_last_time(Store *s, uint64_t *ret_usec);

/* Pure: the retention cutoff a prune pass may use, robust to wall-clock jumps. want is
 * now - retention by the wall clock. The first pass of a run never goes past
 * last_stored_usec - retention (the newest row stored before this run, not the clock: a clock that
 * jumped forward while the daemon was down makes nothing old; last_stored_usec 0 = empty, no
 * bound). Later passes advance the previous cutoff by at most elapsed_usec, the CLOCK_BOOTTIME
 * time since that pass (time that really passed, suspend included), plus a minute of slack: a
 * wall clock that jumps forward while the daemon runs ages nothing. A cutoff never goes back (a
 * clock set back keeps it where it was). The limits: rows older than the retention by the clock
 * but held back are pruned as real time passes, and a restart after a jump trusts the stored
 * times (then each present unit's newest change still stays, see store_prune()). Returns the
 * cutoff (0: prune nothing). */
#define STORE_CUTOFF_SLACK_USEC (60 * UINT64_C(1000000))
uint64_t store_retention_cutoff(uint64_t want_usec, uint64_t retention_usec,
                                uint64_t last_stored_usec, bool first, uint64_t prev_cutoff_usec,
                                uint64_t elapsed_usec);

typedef struct StoreStats {
        unsigned schema_version;
        uint64_t db_bytes;   /* page_count * page_size */
        uint64_t free_bytes; /* freelist pages */
        uint64_t wal_bytes;  /* size of the -wal file, 0 for :memory: */
        uint64_t n_units, n_units_gone, n_changes, n_events, n_scans, n_checks, n_versions;
        uint64_t n_write_errors; /* failed writes since open */
        int last_error;          /* -errno of the last failed write, 0 after a success */
        uint64_t wal_budget_bytes;  /* the share of the size cap kept for the WAL (0: no cap) */
        uint64_t notice_usec;       /* the newest DATABASE event (0: none) ... */
        char notice[STORE_MESSAGE_MAX + 1]; /* ... and its message ("" when none) */
} StoreStats;

/* Sizes and row counts (counting scans the tables: call it seconds apart, not per request). */
int store_stats(Store *s, StoreStats *ret);
/* Cap the database at about max_bytes, its WAL included (0 = no cap beyond SQLite's own): the main
 * file gets max_bytes minus a WAL budget (an eighth, 64 KiB to 4 MiB); the WAL is checkpointed
 * whenever it holds half its budget and truncated back to it (journal_size_limit); when a reader
 * keeps it from being checkpointed and it outgrows the budget, writes fail with -ENOSPC until a
 * checkpoint succeeds. Writes past the cap fail with -ENOSPC exactly as on a full disk, and work
 * again once the cap is raised or rows pruned. */
int store_set_size_limit(Store *s, uint64_t max_bytes);

/* PRAGMA quick_check, reading the file again (the page cache is dropped first: damage done behind
 * our back is seen): 0 when the database is sound, -EBADMSG when not, -EBUSY when locked. After
 * -EBADMSG, store_free() leaves the WAL as it is (no checkpoint into the damaged file). */
int store_check(Store *s);
