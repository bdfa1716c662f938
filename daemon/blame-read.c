/* SPDX-License-Identifier: MIT */
/* blame-read: stat, read, hash and parse a unit's files (see blame-read.h). An edge module of
 * plain file I/O: it must never write, never log, and never follow a symlink out of the root
 * (openat2(RESOLVE_IN_ROOT); on a kernel without openat2 only a root of "/" is read). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blame-read.h"
#include "cleanup.h"
#include "util.h"

static int open_in_root(int root_fd, const char *path) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof how);
        if (fd >= 0)
                return fd;
        if (errno != ENOSYS)
                return -errno;
        /* No openat2 (before 5.6): "/" only, where a plain open is the same. */
        return -ENOSYS;
}

static int read_fd(int fd, const struct stat *st, char **ret, size_t *ret_n) {
        if (!S_ISREG(st->st_mode))
                return -EBADFD;
        if ((uint64_t) st->st_size > BLAME_READ_MAX)
                return -EFBIG;
        /* More than st_size: it grew while we read; the next scan reads it again. */
        return read_fd_bounded(fd, (size_t) st->st_size, ret, ret_n);
}

static void read_one(int root_fd, bool plain, const char *path, const BlameFiles *prev,
                     BlameFile *ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        const BlameFile *old;
        struct stat st;
        size_t n = 0;
        int r;

        *ret = (BlameFile) { .path = xstrdup(path) };
        if (path[0] != '/') {
                ret->error = -EINVAL;
                return;
        }
        if (plain)
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        else
                fd = open_in_root(root_fd, path);
        if (plain && fd < 0)
                fd = -errno;
        if (fd < 0) {
                ret->error = fd;
                fd = -1;
                return;
        }
        if (fstat(fd, &st) < 0) {
                ret->error = -errno;
                return;
        }
        ret->size = (uint64_t) st.st_size;
        ret->mtime_usec = (uint64_t) st.st_mtim.tv_sec * 1000000U +
                          (uint64_t) st.st_mtim.tv_nsec / 1000U;
        ret->dev = (uint64_t) st.st_dev;
        ret->ino = (uint64_t) st.st_ino;
        ret->ctime_nsec = (uint64_t) st.st_ctim.tv_sec * 1000000000U +
                          (uint64_t) st.st_ctim.tv_nsec;

        old = blame_files_find(prev, path);
        if (old && old->error == 0 && old->dev == ret->dev && old->ino == ret->ino &&
            old->size == ret->size && old->ctime_nsec == ret->ctime_nsec &&
            old->mtime_usec == ret->mtime_usec) {
                blame_file_done(ret);
                blame_file_copy(old, ret);
                return;
        }
        r = read_fd(fd, &st, &data, &n);
        if (r < 0) {
                ret->error = r;
                return;
        }
        ret->size = n;
        sha256(data, n, ret->sha256);
        blame_parse(data, n, &ret->directives, &ret->n_directives);
}

int blame_read_files(const char *root, const UnitProps *p, const BlameFiles *prev,
                     BlameFiles *ret) {
        _cleanup_close_ int root_fd = -1;
        const char *paths[BLAME_READ_FILES_MAX];
        size_t n = 0;
        bool plain = !root || streq(root, "/");
        int n_errors = 0;

        if (p->fragment_path)
                paths[n++] = p->fragment_path;
        if (p->source_path && !streq_ptr(p->source_path, p->fragment_path))
                paths[n++] = p->source_path;
        for (char **d = p->drop_in_paths; d && *d && n < BLAME_READ_FILES_MAX; d++)
                paths[n++] = *d;

        *ret = (BlameFiles) {};
        if (n == 0)
                return 0;
        if (!plain) {
                root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (root_fd < 0)
                        root_fd = -errno;
        }
        ret->files = xcalloc(n, sizeof(BlameFile));
        ret->n_files = n;
        for (size_t i = 0; i < n; i++) {
                if (!plain && root_fd < 0)
                        ret->files[i] = (BlameFile) { .path = xstrdup(paths[i]),
                                                      .error = root_fd };
                else
                        read_one(root_fd, plain, paths[i], prev, &ret->files[i]);
                n_errors += ret->files[i].error != 0;
        }
        if (root_fd < 0)
                root_fd = -1;
        return n_errors;
}
