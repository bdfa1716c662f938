/* SPDX-License-Identifier: MIT */
/* blame-read: the unit-file snapshot of one unit (blame.h's BlameFiles), read from disk. The files
 * are the ones the manager reports (FragmentPath=, SourcePath=, DropInPaths=), read under a root
 * (the config's os_root: "/" on the host; /proc/PID/root for a container watched from outside),
 * symlinks resolved inside that root. Reads only: small regular files, each at most
 * BLAME_READ_MAX bytes; a file that cannot be read is kept in the snapshot with its -errno, so a
 * daemon with read-only access to some directories only still lists every file. Never logs. */
#pragma once

#include "blame.h"
#include "unit-props.h"

#define BLAME_READ_MAX (1024U * 1024U)
#define BLAME_READ_FILES_MAX 64U /* files per unit (a drop-in list longer than this is cut) */

/* Read p's files under root into *ret (released with blame_files_done()). A file of prev (may be
 * NULL) with the same path, device, inode, size and ctime is copied instead of read again. Files
 * come in the order fragment, source (when it is another file), drop-ins. Returns the number of
 * files that could not be read (each carries its error). */
int blame_read_files(const char *root, const UnitProps *p, const BlameFiles *prev,
                     BlameFiles *ret);
