/* SPDX-License-Identifier: MIT */
/* Unit names, by the rules of systemd's src/basic/unit-name.c (learned from it, written here):
 * validity, the mangling systemctl and systemd-analyze apply to a command-line argument, and the
 * instance systemd-analyze gives a template. Used by every verb and by the fleet's API paths, so
 * that one name means the same unit everywhere. Pure: no I/O, no logging. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "unit-name.h"
#include "util.h"

#define UNIT_NAME_MAX 256
#define VALID_UNIT_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:-_.\\"

/* ---- unit names (systemd's src/basic/unit-name.c rules) ---- */

static bool unit_type_valid(const char *t) {
        static const char *const types[] = {
                "service", "socket", "target", "device", "mount", "automount",
                "swap", "timer", "path", "slice", "scope",
        };

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (streq(t, types[i]))
                        return true;
        return false;
}

typedef enum NameKind {
        NAME_PLAIN = 1 << 0,
        NAME_INSTANCE = 1 << 1,
        NAME_TEMPLATE = 1 << 2,
        NAME_ANY = NAME_PLAIN | NAME_INSTANCE | NAME_TEMPLATE,
} NameKind;

static bool unit_name_valid(const char *n, NameKind kinds) {
        const char *e, *at = NULL;

        if (isempty(n) || strlen(n) >= UNIT_NAME_MAX)
                return false;
        e = strrchr(n, '.');
        if (!e || e == n || !unit_type_valid(e + 1))
                return false;
        for (const char *i = n; i < e; i++) {
                if (*i == '@' && !at)
                        at = i;
                if (*i != '@' && !strchr(VALID_UNIT_CHARS, *i))
                        return false;
        }
        if (at == n)
                return false;
        if ((kinds & NAME_PLAIN) && !at)
                return true;
        if ((kinds & NAME_INSTANCE) && at && e > at + 1)
                return true;
        if ((kinds & NAME_TEMPLATE) && at && e == at + 1)
                return true;
        return false;
}

bool unit_name_is_valid(const char *n) {
        return unit_name_valid(n, NAME_ANY);
}

bool unit_name_is_template(const char *n) {
        return unit_name_valid(n, NAME_TEMPLATE);
}

/* Would unit_name_from_path() accept this absolute path? It simplifies "//" and "/./" away and
 * refuses ".." components (path_is_normalized()). */
static bool path_convertible(const char *p) {
        size_t n = strlen(p);

        if (n >= 4096)
                return false;
        for (const char *c = p; *c;) {
                size_t len;

                while (*c == '/')
                        c++;
                len = strcspn(c, "/");
                if (len == 2 && c[0] == '.' && c[1] == '.')
                        return false;
                c += len;
        }
        return true;
}

int unit_name_mangle(const char *arg, char **ret) {
        Buf b = {};

        if (isempty(arg))
                return -EINVAL;
        if (unit_name_valid(arg, NAME_ANY)) {
                *ret = xstrdup(arg);
                return 0;
        }

        /* A path names a device or a mount unit; the exact escaped name does not matter here
         * (it is never a service, and the caller refuses non-services naming the argument). */
        if (arg[0] == '/' && path_convertible(arg)) {
                buf_puts(&b, "-");
                buf_puts(&b, startswith(arg, "/dev/") || startswith(arg, "/sys/") ? ".device"
                                                                                  : ".mount");
                *ret = buf_steal(&b);
                return 0;
        }

        for (const char *c = arg; *c; c++) {
                if (*c == '/')
                        buf_putc(&b, '-');
                else if (*c == '@' || strchr(VALID_UNIT_CHARS, *c))
                        buf_putc(&b, *c);
                else
                        buf_printf(&b, "\\x%02x", (unsigned) (unsigned char) *c);
        }
        if (!unit_name_valid(b.data, NAME_ANY))
                buf_puts(&b, ".service");
        if (!unit_name_valid(b.data, NAME_ANY)) {
                buf_done(&b);
                return -EINVAL;
        }
        *ret = buf_steal(&b);
        return 0;
}

int unit_name_template_instance(const char *name, unsigned systemd_version, char **ret) {
        const char *at;
        Buf b = {};

        *ret = NULL;
        if (!unit_name_valid(name, NAME_TEMPLATE))
                return 0;
        at = strchr(name, '@');
        buf_append(&b, name, (size_t) (at - name) + 1);
        buf_puts(&b, systemd_version >= 257 ? "test_instance" : "test-instance");
        buf_puts(&b, at + 1);
        *ret = buf_steal(&b);
        return 1;
}

