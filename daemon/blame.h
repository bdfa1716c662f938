/* SPDX-License-Identifier: MIT */
/* blame: what changed in a unit's files between two scans, and why a score moved when no file
 * did. Pure: unit-file text -> directives, two file snapshots -> a BlameRecord, a record <-> its
 * stored text. No I/O, no logging, no clock (blame-read.c reads the files; the manager decides
 * when to compare; the renderers print records).
 *
 * A snapshot (BlameFiles) is the unit's fragment, source and drop-in files as the manager
 * listed them (FragmentPath=, SourcePath=, DropInPaths=), each with size, mtime, SHA-256 and its
 * directives. A record lists the files (added, removed, changed, same) and the directive lines
 * that differ, both bounded (BLAME_FILES_MAX, BLAME_LINES_MAX: what is cut is counted), so that
 * a stored change costs at most a few KiB whatever the files hold.
 *
 * Limits: directives are compared as (section, key, value) text, not as what systemd makes of
 * them: "ProtectSystem=yes" and "ProtectSystem=true" differ, a specifier (%i) is not expanded,
 * and an empty assignment (a reset) is a line like any other. A changed value is paired with the
 * same key removed from the same file, else with the key's last value in the older snapshot's
 * files (the value it overrides), so a new drop-in reads "ProtectSystem=strict -> no in it". */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sha256.h"

/* Bounds: per record, and per file read. */
#define BLAME_FILES_MAX 16U        /* files listed per record (the rest counted) */
#define BLAME_LINES_MAX 24U        /* directive lines per record (the rest counted) */
#define BLAME_VALUE_MAX 256U       /* bytes of a key, section or value kept in a record (longer:
                                    * cut, "...") */
#define BLAME_PATH_MAX 4096U       /* bytes of a path kept in a record (PATH_MAX) */
#define BLAME_DIRECTIVES_MAX 4096U /* directives parsed per file (the rest ignored) */
/* Bytes of a stored record: the bounds above keep blame_encode() below it (16 files and 24 lines
 * of the longest paths and values, every byte escaped, need about 380 KiB; a real change a few
 * hundred bytes); blame_decode() refuses more. */
#define BLAME_TEXT_MAX (512U * 1024U)

typedef struct BlameDirective {
        char *section; /* "Service" */
        char *key;     /* "ProtectSystem" */
        char *value;   /* "strict"; "" for an empty assignment */
} BlameDirective;

/* One file of a snapshot. */
typedef struct BlameFile {
        char *path;          /* as the manager reports it (not prefixed with a root) */
        int error;           /* 0, or -errno when it could not be read (then no hash, no lines) */
        uint64_t size;
        uint64_t mtime_usec; /* CLOCK_REALTIME */
        uint64_t dev, ino, ctime_nsec; /* in memory only: an unchanged file is not read again */
        uint8_t sha256[SHA256_DIGEST_SIZE];
        BlameDirective *directives;
        size_t n_directives;
        bool lines_unknown;  /* its directives are not known (a stored snapshot that could not
                              * keep them, see blame_files_encode()): a change of it is a file
                              * change with no lines */
} BlameFile;

typedef struct BlameFiles {
        BlameFile *files;
        size_t n_files;
} BlameFiles;

/* Why a stored change happened, as far as the files tell. Stored by name: append only. */
typedef enum BlameReason {
        BLAME_REASON_FIRST,           /* "first": a first score, nothing to compare with */
        BLAME_REASON_FILES,           /* "files": a unit file was added, removed or changed */
        BLAME_REASON_RUNTIME,         /* "runtime": only files of `systemctl set-property`
                                       * (system.control) or of a transient unit changed */
        BLAME_REASON_SYSTEMD_UPGRADE, /* "systemd-upgrade": no file changed, the manager did */
        BLAME_REASON_SCORER_UPGRADE,  /* "scorer-upgrade": no file changed, exposured's table did */
        BLAME_REASON_UNKNOWN,         /* "unknown": no file changed (or no earlier record) */
        _BLAME_REASON_MAX,
        _BLAME_REASON_INVALID = -EINVAL,
} BlameReason;

typedef enum BlameOp {
        BLAME_OP_SAME,    /* '=' (files only) */
        BLAME_OP_ADDED,   /* '+' */
        BLAME_OP_REMOVED, /* '-' */
        BLAME_OP_CHANGED, /* '~' */
        _BLAME_OP_MAX,
        _BLAME_OP_INVALID = -EINVAL,
} BlameOp;

typedef struct BlameFileChange {
        BlameOp op;
        char *path;
        int error;                       /* as BlameFile (of the newer file; older if removed) */
        uint64_t size, mtime_usec;       /* of the newer file (older if removed) */
        char sha256[SHA256_HEX_SIZE];    /* "" when not known */
} BlameFileChange;

typedef struct BlameLine {
        BlameOp op;      /* ADDED, REMOVED or CHANGED */
        char *path;      /* the file the line is (ADDED, CHANGED) or was (REMOVED) in */
        char *section, *key;
        char *old_value; /* CHANGED, REMOVED: the value before; NULL for ADDED */
        char *new_value; /* ADDED, CHANGED: the new value; REMOVED: the key's value now in
                          * another file, or NULL when no file sets it any more */
} BlameLine;

typedef struct BlameRecord {
        BlameReason reason;
        BlameFileChange *files;
        size_t n_files;
        uint64_t n_files_omitted;
        BlameLine *lines;
        size_t n_lines;
        uint64_t n_lines_omitted;
        /* What the unit's main process runs with when the change was recorded (tenths), -1 when
         * it has no main process: equal to the new exposure, the new configuration is live;
         * different, it is live only after a restart. */
        int running_exposure;
} BlameRecord;

/* What the caller knows beyond the files. */
typedef struct BlameContext {
        bool first;           /* a first score: reason FIRST */
        bool old_known;       /* the older snapshot is known (else every file is "same" and
                               * the reason UNKNOWN unless an upgrade explains it) */
        bool systemd_changed; /* the manager's Version changed since the older score */
        bool scorer_changed;  /* exposured's scorer version changed since the older score */
        int running_exposure; /* as BlameRecord */
} BlameContext;

const char *blame_reason_to_string(BlameReason r);
BlameReason blame_reason_from_string(const char *s);
/* '=', '+', '-', '~'; 0 when out of range. */
char blame_op_to_char(BlameOp op);

/* Parse unit-file text (n bytes, need not be NUL-terminated) into directives, as systemd reads
 * it (systemd.syntax(7)): [Section] headers, Key=Value with the whitespace around both trimmed,
 * '#' and ';' comments, a trailing backslash joining the next line (with a space). Lines without
 * '=' and anything before the first section are ignored; at most BLAME_DIRECTIVES_MAX are kept.
 * *ret (may be NULL when none) and *ret_n are the caller's; free with blame_directives_free(). */
void blame_parse(const char *text, size_t n, BlameDirective **ret, size_t *ret_n);
void blame_directives_free(BlameDirective *d, size_t n);

/* Deep copy and release. blame_files_done() leaves *f empty; accepts an empty struct. */
void blame_file_copy(const BlameFile *src, BlameFile *ret);
void blame_file_done(BlameFile *f);
void blame_files_done(BlameFiles *f);
/* The file of a snapshot with this path, or NULL. */
const BlameFile *blame_files_find(const BlameFiles *f, const char *path);
/* True when the two snapshots have the same paths, in the same order, with the same content
 * (hash and read error). */
bool blame_files_equal(const BlameFiles *a, const BlameFiles *b);
/* True for a file `systemctl set-property` writes (/etc/systemd/system.control/,
 * /run/systemd/system.control/) or a transient unit's (/run/systemd/transient/). */
bool blame_path_is_runtime(const char *path);

/* Compare the older snapshot with the newer one into *ret (released with blame_record_done()):
 * every file of new (added, changed or same), then those only old had (removed), at most
 * BLAME_FILES_MAX; the directive lines of the changed, added and removed files, at most
 * BLAME_LINES_MAX; the reason (ctx: first, else files or runtime when a file changed, else
 * runtime for a unit of runtime files only (transient) with no older snapshot, else an upgrade,
 * else unknown). old may be NULL (not known). */
void blame_diff(const BlameFiles *old, const BlameFiles *new, const BlameContext *ctx,
                BlameRecord *ret);
void blame_record_done(BlameRecord *r);

/* A snapshot as stored between runs of the daemon (so that the first change after a restart
 * has something to compare with): line-oriented like a record, and bounded: at most
 * BLAME_SNAPSHOT_FILES_MAX files (a unit with more is stored as "not kept": after a restart its
 * first change has reason unknown, as before this was stored), each with path, size, mtime,
 * hash and read error; their directives in the files' order while their encoded size stays
 * within BLAME_SNAPSHOT_LINES_MAX for the whole unit, the directives of a file that does not fit
 * whole are not kept (BlameFile.lines_unknown). So a stored snapshot is at most
 * BLAME_SNAPSHOT_TEXT_MAX bytes whatever the files hold; a typical unit's is well under 2 KiB.
 * dev, ino and ctime are not stored (a file is read again after a restart). Appends to out. */
#define BLAME_SNAPSHOT_FILES_MAX BLAME_FILES_MAX
#define BLAME_SNAPSHOT_LINES_MAX (32U * 1024U)
/* 16 paths of PATH_MAX bytes, every byte escaped, their numbers, the directives' budget. */
#define BLAME_SNAPSHOT_TEXT_MAX \
        (BLAME_SNAPSHOT_FILES_MAX * (2U * BLAME_PATH_MAX + 160U) + BLAME_SNAPSHOT_LINES_MAX + 64U)
void blame_files_encode(const BlameFiles *f, Buf *out);
/* Parse a stored snapshot into *ret (released with blame_files_done()). Returns 0; -E2BIG for a
 * snapshot stored as "not kept" (too many files); -EBADMSG for text that is not one. *ret is
 * written only on success. */
int blame_files_decode(const char *text, BlameFiles *ret);

/* The stored text of a record: line-oriented, tab-separated, escaped (blame.c describes it).
 * Appends to out. */
void blame_encode(const BlameRecord *r, Buf *out);
/* Parse a stored text into *ret (released with blame_record_done()). Returns 0, or -EBADMSG for
 * text that is not a record (then *ret is untouched). */
int blame_decode(const char *text, BlameRecord *ret);
