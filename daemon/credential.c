/* SPDX-License-Identifier: MIT */
/* Credentials: name -> path under $CREDENTIALS_DIRECTORY, bounded reads into buffers that are
 * wiped with explicit_bzero() before free(), and the token's format. A key file is read once, in
 * one buffer allocated up front (no realloc that would leave copies behind). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credential.h"
#include "util.h"

/* Is s valid UTF-8 without control characters (C0 including tab, DEL, C1)? The names and paths
 * end up in messages and in the configuration written back: nothing there may be invisible. */
static bool printable_utf8(const char *s) {
        while (*s) {
                unsigned char c = (unsigned char) *s;
                size_t n = utf8_char_len(s, SIZE_MAX);

                if (n == 0 || c < 0x20 || c == 0x7f)
                        return false;
                /* U+0080..U+009F: C2 80..C2 9F */
                if (c == 0xc2 && (unsigned char) s[1] < 0xa0)
                        return false;
                s += n;
        }
        return true;
}

bool credential_name_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > CREDENTIAL_NAME_MAX || streq(name, ".") || streq(name, ".."))
                return false;
        return !strchr(name, '/') && printable_utf8(name);
}

bool credential_source_valid(const char *source) {
        if (isempty(source))
                return false;
        if (source[0] != '/')
                return credential_name_valid(source);
        return strlen(source) < PATH_MAX && !endswith(source, "/") && printable_utf8(source);
}

int credential_path(const char *source, char **ret) {
        const char *dir;
        char *p;

        if (!credential_source_valid(source))
                return -EINVAL;
        if (source[0] == '/') {
                *ret = xstrdup(source);
                return 0;
        }
        dir = getenv("CREDENTIALS_DIRECTORY");
        if (isempty(dir) || dir[0] != '/')
                return -ENOENT;
        p = xmalloc(strlen(dir) + 1 + strlen(source) + 1);
        memcpy(p, dir, strlen(dir));
        p[strlen(dir)] = '/';
        memcpy(p + strlen(dir) + 1, source, strlen(source) + 1);
        *ret = p;
        return 0;
}

char *credential_free(char *s) {
        if (!s)
                return NULL;
        explicit_bzero(s, strlen(s));
        free(s);
        return NULL;
}

int credential_open(const char *path, mode_t *ret_mode) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer (a FIFO as token_file hung
         * start-up); O_NOFOLLOW: the file is the one named, not what a symlink points to. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (ret_mode)
                *ret_mode = st.st_mode & 07777;
        return TAKE_FD(fd);
}

int credential_read(const char *path, size_t max, char **ret, size_t *ret_size,
                    mode_t *ret_mode) {
        _cleanup_close_ int fd = -1;
        mode_t mode = 0;
        char *data;
        size_t len = 0;
        ssize_t n;

        fd = credential_open(path, &mode);
        if (fd < 0)
                return fd;
        data = xmalloc(max + 1);
        while (len <= max && (n = read(fd, data + len, max + 1 - len)) != 0) {
                if (n < 0) {
                        int r = -errno;
                        if (r == -EINTR)
                                continue;
                        explicit_bzero(data, len);
                        free(data);
                        return r;
                }
                len += (size_t) n;
        }
        data[len > max ? max : len] = 0;
        if (len > max || len == 0 || memchr(data, 0, len)) {
                int r = len > max ? -EFBIG : len == 0 ? -ENODATA : -EBADMSG;
                explicit_bzero(data, max + 1);
                free(data);
                return r;
        }
        *ret = data;
        if (ret_size)
                *ret_size = len;
        if (ret_mode)
                *ret_mode = mode;
        return 0;
}

int credential_token_parse(char *s) {
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = 0;
        if (n == 0)
                return -EINVAL;
        if (n > CREDENTIAL_TOKEN_MAX)
                return -EFBIG;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
                        return -EINVAL;
        return (int) n;
}
