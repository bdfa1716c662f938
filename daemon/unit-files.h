/* SPDX-License-Identifier: MIT */
/* unit-files: which units' configuration may have changed since they were read, from the files
 * alone, without asking PID 1 about every unit. It stats and lists files (an edge module: it does
 * I/O) but never logs, never talks to the bus and never scores.
 *
 * Two kinds of stamp (docs/architecture.md, "Change detection", has the rules and their limits):
 *  - a unit's stamp: for each file it was loaded from (FragmentPath, DropInPaths, SourcePath) the
 *    stat() of the file (device, inode, size, mtime, ctime, mode) and the lstat() of the path (a
 *    symbolic link turned to another target). A unit whose files differ is re-read;
 *  - the search stamp: everything else that can change what a reload loads, folded into one
 *    64-bit fingerprint: the names (and symbolic-link targets) in every directory of the unit
 *    search path and in every *.d drop-in directory there, the contents of the generator output
 *    under /run (generators rewrite it on every reload, so only contents count), and the
 *    contents of system.conf and its drop-ins. A different fingerprint means a full rescan.
 * The transient directory is left out of the search stamp: PID 1 announces transient units with
 * UnitNew/UnitRemoved itself, and their files are in their unit stamps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unit-props.h"

typedef struct FileStamp {
        bool exists;        /* stat() succeeded */
        dev_t dev;
        ino_t ino;
        off_t size;
        mode_t mode;
        int64_t mtime_nsec;
        int64_t ctime_nsec;
        ino_t link_ino;     /* lstat() of the path itself (differs from ino for a symlink) */
        int64_t link_mtime_nsec;
} FileStamp;

typedef struct UnitStamp {
        char *id;
        char **paths;       /* fragment, drop-ins, source path (NULL when none) */
        FileStamp *stamps;  /* one per path */
        size_t n_paths;
        bool invalid;       /* no trustworthy stamp (PID 1 reported NeedDaemonReload, a failed
                             * read): the unit counts as changed until it is read again */
} UnitStamp;

/* The unit stamps of the units the manager holds, sorted by id. */
typedef struct UnitFiles {
        char *root;         /* prefix of every path ("/" or NULL: none); unit_files_set_root() */
        UnitStamp *units;
        size_t n_units;
        uint64_t search;    /* the search stamp of the last full scan ... */
        bool have_search;   /* ... once there is one */
} UnitFiles;

/* Where the watched host's files are (the configured os_root); NULL or "/" for this host. */
void unit_files_set_root(UnitFiles *f, const char *root);
/* The stamp of one path (under f's root), now; a path that cannot be stat()ed gets exists =
 * false. */
void unit_files_stamp_path(const UnitFiles *f, const char *path, FileStamp *ret);
bool unit_files_stamp_equal(const FileStamp *a, const FileStamp *b);

/* Record the files of the unit p (its id, FragmentPath, DropInPaths, SourcePath), stamped now,
 * replacing an earlier record of the same id. A unit with need_daemon_reload, or invalid set by
 * the caller, is recorded as invalid. */
void unit_files_record(UnitFiles *f, const UnitProps *p, bool invalid);
/* Mark id as changed until it is recorded again (a read that failed); no-op when unknown. */
void unit_files_invalidate(UnitFiles *f, const char *id);
/* Forget a unit (it left). */
void unit_files_forget(UnitFiles *f, const char *id);
/* The record of id, or NULL. */
const UnitStamp *unit_files_find(const UnitFiles *f, const char *id);
/* True when id's files differ from its record now, or it has none, or its record is invalid. */
bool unit_files_changed(const UnitFiles *f, const char *id);

/* The search stamp (under f's root) for the unit search path unit_path (the manager's UnitPath property; NULL
 * or empty: systemd's default for the system manager). Never fails: what cannot be read counts
 * as absent. */
uint64_t unit_files_search_stamp(const UnitFiles *f, char *const *unit_path);

void unit_files_done(UnitFiles *f);
