/* SPDX-License-Identifier: MIT */
/* unit-files: file stamps of units and of the unit search path (see unit-files.h for what is
 * stamped and why). Reads the file system only: no bus, no logging, no clock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "unit-files.h"
#include "util.h"

/* Generator output and system.conf files are read whole for the fingerprint; beyond this a file
 * is stamped by its first bytes and its size (generated units are a few hundred bytes). */
#define CONTENT_MAX (1024U * 1024U)
/* Generator output directories hold units, their *.d and .wants directories: two levels. */
#define GENERATOR_DEPTH 3

/* systemd's system-manager search path (lookup_paths_init(), RUNTIME_SCOPE_SYSTEM), for when the
 * manager's UnitPath is not known. */
static char *const default_unit_path[] = {
        "/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient",
        "/run/systemd/generator.early", "/etc/systemd/system", "/etc/systemd/system.attached",
        "/run/systemd/system", "/run/systemd/system.attached", "/run/systemd/generator",
        "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
        "/run/systemd/generator.late", NULL,
};

/* system.conf and the directories of its drop-ins (systemd-system.conf(5)). */
static const char *const conf_file = "/etc/systemd/system.conf";
static const char *const conf_dirs[] = {
        "/etc/systemd/system.conf.d", "/run/systemd/system.conf.d",
        "/usr/local/lib/systemd/system.conf.d", "/usr/lib/systemd/system.conf.d",
        "/lib/systemd/system.conf.d", NULL,
};

/* ---- 64-bit FNV-1a: a fingerprint, not a defence against an attacker (who can write unit files
 * can do worse than collide a hash) ---- */

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static void hash_bytes(uint64_t *h, const void *data, size_t n) {
        const unsigned char *p = data;
        for (size_t i = 0; i < n; i++) {
                *h ^= p[i];
                *h *= FNV_PRIME;
        }
}

/* A string with its terminator, so that "ab"+"c" and "a"+"bc" differ. */
static void hash_str(uint64_t *h, const char *s) {
        hash_bytes(h, s, strlen(s) + 1);
}

static void hash_u64(uint64_t *h, uint64_t v) {
        hash_bytes(h, &v, sizeof v);
}

/* ---- paths ---- */

void unit_files_set_root(UnitFiles *f, const char *root) {
        free(f->root);
        f->root = root && !streq(root, "/") ? xstrdup(root) : NULL;
}

/* root + path into buf; false when it does not fit. */
static bool full_path(const UnitFiles *f, const char *path, char buf[static PATH_MAX]) {
        int n = snprintf(buf, PATH_MAX, "%s%s", f && f->root ? f->root : "", path);
        return n > 0 && n < PATH_MAX;
}

static int64_t nsec_of(const struct timespec *ts) {
        return (int64_t) ts->tv_sec * 1000000000 + ts->tv_nsec;
}

void unit_files_stamp_path(const UnitFiles *f, const char *path, FileStamp *ret) {
        char buf[PATH_MAX];
        struct stat st;

        *ret = (FileStamp) {};
        if (!full_path(f, path, buf))
                return;
        if (lstat(buf, &st) >= 0) {
                ret->link_ino = st.st_ino;
                ret->link_mtime_nsec = nsec_of(&st.st_mtim);
        }
        if (stat(buf, &st) < 0)
                return;
        ret->exists = true;
        ret->dev = st.st_dev;
        ret->ino = st.st_ino;
        ret->size = st.st_size;
        ret->mode = st.st_mode;
        ret->mtime_nsec = nsec_of(&st.st_mtim);
        ret->ctime_nsec = nsec_of(&st.st_ctim);
}

bool unit_files_stamp_equal(const FileStamp *a, const FileStamp *b) {
        return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
               a->size == b->size && a->mode == b->mode && a->mtime_nsec == b->mtime_nsec &&
               a->ctime_nsec == b->ctime_nsec && a->link_ino == b->link_ino &&
               a->link_mtime_nsec == b->link_mtime_nsec;
}

/* ---- unit stamps ---- */

static void unit_stamp_done(UnitStamp *u) {
        free(u->id);
        strv_free(u->paths);
        free(u->stamps);
        *u = (UnitStamp) {};
}

static size_t lower_bound(const UnitFiles *f, const char *id) {
        size_t lo = 0, hi = f->n_units;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(f->units[mid].id, id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

const UnitStamp *unit_files_find(const UnitFiles *f, const char *id) {
        size_t i = lower_bound(f, id);
        return i < f->n_units && streq(f->units[i].id, id) ? &f->units[i] : NULL;
}

void unit_files_record(UnitFiles *f, const UnitProps *p, bool invalid) {
        UnitStamp u = { .invalid = invalid || p->need_daemon_reload };
        size_t i;

        if (!p->id)
                return;
        u.id = xstrdup(p->id);
        if (p->fragment_path)
                strv_push(&u.paths, p->fragment_path);
        for (char **d = p->drop_in_paths; d && *d; d++)
                strv_push(&u.paths, *d);
        if (p->source_path)
                strv_push(&u.paths, p->source_path);
        u.n_paths = strv_length(u.paths);
        u.stamps = xcalloc(u.n_paths ? u.n_paths : 1, sizeof(FileStamp));
        for (size_t k = 0; k < u.n_paths; k++)
                unit_files_stamp_path(f, u.paths[k], &u.stamps[k]);

        i = lower_bound(f, u.id);
        if (i < f->n_units && streq(f->units[i].id, u.id)) {
                unit_stamp_done(&f->units[i]);
                f->units[i] = u;
                return;
        }
        f->units = xrealloc(f->units, (f->n_units + 1) * sizeof(UnitStamp));
        memmove(&f->units[i + 1], &f->units[i], (f->n_units - i) * sizeof(UnitStamp));
        f->units[i] = u;
        f->n_units++;
}

void unit_files_invalidate(UnitFiles *f, const char *id) {
        size_t i = lower_bound(f, id);
        if (i < f->n_units && streq(f->units[i].id, id))
                f->units[i].invalid = true;
}

void unit_files_forget(UnitFiles *f, const char *id) {
        size_t i = lower_bound(f, id);
        if (i >= f->n_units || !streq(f->units[i].id, id))
                return;
        unit_stamp_done(&f->units[i]);
        memmove(&f->units[i], &f->units[i + 1], (f->n_units - i - 1) * sizeof(UnitStamp));
        f->n_units--;
}

bool unit_files_changed(const UnitFiles *f, const char *id) {
        const UnitStamp *u = unit_files_find(f, id);
        FileStamp now;

        if (!u || u->invalid)
                return true;
        for (size_t k = 0; k < u->n_paths; k++) {
                unit_files_stamp_path(f, u->paths[k], &now);
                if (!unit_files_stamp_equal(&now, &u->stamps[k]))
                        return true;
        }
        return false;
}

void unit_files_done(UnitFiles *f) {
        for (size_t i = 0; i < f->n_units; i++)
                unit_stamp_done(&f->units[i]);
        free(f->units);
        free(f->root);
        *f = (UnitFiles) {};
}

/* ---- the search stamp ---- */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The entry names of a directory, sorted (NULL when it cannot be opened: absent; an empty
 * directory gives an empty vector). */
static char **list_dir(const char *dir) {
        DIR *d = opendir(dir);
        char **l;
        struct dirent *de;
        size_t n;

        if (!d)
                return NULL;
        l = xcalloc(1, sizeof(char *));
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        strv_push(&l, de->d_name);
        (void) closedir(d);
        n = strv_length(l);
        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
        return l;
}

/* Add the bytes of a regular file (at most CONTENT_MAX) and its size. */
static void hash_file(uint64_t *h, const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        char buf[8192];
        size_t total = 0;
        struct stat st;
        ssize_t k;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                hash_str(h, "-");
                return;
        }
        hash_u64(h, (uint64_t) st.st_size);
        while (total < CONTENT_MAX && (k = read(fd, buf, sizeof buf)) > 0) {
                hash_bytes(h, buf, (size_t) k);
                total += (size_t) k;
        }
}

/* A symbolic link's target (or "" when it cannot be read). */
static void hash_link(uint64_t *h, const char *path) {
        char target[PATH_MAX];
        ssize_t k = readlink(path, target, sizeof target - 1);

        target[k > 0 ? k : 0] = 0;
        hash_str(h, target);
}

/* One directory's names; with content, also every file's bytes, recursively to depth; without,
 * the names inside its *.d subdirectories. Symbolic links add their targets. */
static void hash_dir(uint64_t *h, const char *dir, bool content, unsigned depth) {
        _cleanup_(strv_freep) char **names = list_dir(dir);
        char path[PATH_MAX];
        struct stat st;

        hash_str(h, dir);
        if (!names) {
                hash_str(h, "(absent)");
                return;
        }
        for (char **n = names; *n; n++) {
                int r = snprintf(path, sizeof path, "%s/%s", dir, *n);
                if (r <= 0 || r >= (int) sizeof path || lstat(path, &st) < 0)
                        continue;
                hash_str(h, *n);
                hash_u64(h, (uint64_t) (st.st_mode & S_IFMT));
                if (S_ISLNK(st.st_mode))
                        hash_link(h, path);
                else if (S_ISDIR(st.st_mode) && content && depth > 1)
                        hash_dir(h, path, true, depth - 1);
                else if (S_ISDIR(st.st_mode) && !content && depth > 1 && endswith(*n, ".d"))
                        hash_dir(h, path, false, 1);
                else if (S_ISREG(st.st_mode) && content)
                        hash_file(h, path);
        }
}

uint64_t unit_files_search_stamp(const UnitFiles *f, char *const *unit_path) {
        char *const *dirs = unit_path && unit_path[0] ? unit_path : default_unit_path;
        char buf[PATH_MAX];
        uint64_t h = FNV_OFFSET;

        for (char *const *d = dirs; *d; d++) {
                hash_str(&h, *d);
                /* UnitNew/UnitRemoved report transient units; their files are unit stamps. */
                if (startswith(*d, "/run/systemd/transient") || !full_path(f, *d, buf))
                        continue;
                /* Regenerated on every reload: only what they hold counts, not inodes or times. */
                if (startswith(*d, "/run/systemd/generator"))
                        hash_dir(&h, buf, true, GENERATOR_DEPTH);
                else
                        hash_dir(&h, buf, false, 2);
        }
        if (full_path(f, conf_file, buf)) {
                hash_str(&h, conf_file);
                hash_file(&h, buf);
        }
        for (const char *const *d = conf_dirs; *d; d++)
                if (full_path(f, *d, buf))
                        hash_dir(&h, buf, true, 1);
        return h;
}
