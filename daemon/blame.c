/* SPDX-License-Identifier: MIT */
/* blame: unit-file text -> directives, two snapshots -> a BlameRecord, a record <-> its stored
 * text (see blame.h for the contract and the limits). Pure: it must never read a file, log or look
 * at a clock.
 *
 * The stored text, one item per line, fields separated by tabs, each field escaped (\\ \t \n, and
 * \0 alone for a NULL value):
 *   v1                                              the format
 *   r REASON                                        blame_reason_to_string()
 *   p RUNNING                                       tenths, or -1
 *   f OP PATH SIZE MTIME_USEC SHA256 ERRNO          OP one of = + - ~; SHA256 "" when unknown
 *   l OP PATH SECTION KEY OLD NEW                   OP one of + - ~
 *   o FILES_OMITTED LINES_OMITTED
 * A stored snapshot (blame_files_encode()), in the same escaping:
 *   s1                                              the format
 *   F PATH SIZE MTIME_USEC SHA256 ERRNO KEPT        KEPT 1: its directives follow, 0: not kept
 *   d SECTION KEY VALUE                             a directive of the F line before it
 *   t N_FILES                                       instead of F lines: not kept (too many) */
#include <stdlib.h>
#include <string.h>

#include "blame.h"
#include "cleanup.h"
#include "util.h"

static const char *const reason_names[_BLAME_REASON_MAX] = {
        [BLAME_REASON_FIRST] = "first",
        [BLAME_REASON_FILES] = "files",
        [BLAME_REASON_RUNTIME] = "runtime",
        [BLAME_REASON_SYSTEMD_UPGRADE] = "systemd-upgrade",
        [BLAME_REASON_SCORER_UPGRADE] = "scorer-upgrade",
        [BLAME_REASON_UNKNOWN] = "unknown",
};

static const char op_chars[_BLAME_OP_MAX] = {
        [BLAME_OP_SAME] = '=',
        [BLAME_OP_ADDED] = '+',
        [BLAME_OP_REMOVED] = '-',
        [BLAME_OP_CHANGED] = '~',
};

const char *blame_reason_to_string(BlameReason r) {
        return r >= 0 && r < _BLAME_REASON_MAX ? reason_names[r] : NULL;
}

BlameReason blame_reason_from_string(const char *s) {
        for (BlameReason r = 0; s && r < _BLAME_REASON_MAX; r++)
                if (streq(reason_names[r], s))
                        return r;
        return _BLAME_REASON_INVALID;
}

char blame_op_to_char(BlameOp op) {
        return op >= 0 && op < _BLAME_OP_MAX ? op_chars[op] : 0;
}

static BlameOp op_from_char(const char *s) {
        for (BlameOp op = 0; s[0] && !s[1] && op < _BLAME_OP_MAX; op++)
                if (op_chars[op] == s[0])
                        return op;
        return _BLAME_OP_INVALID;
}

/* ---- parsing ---- */

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *strip_dup(const char *s, size_t n) {
        while (n > 0 && is_space(*s))
                s++, n--;
        while (n > 0 && is_space(s[n - 1]))
                n--;
        return xstrndup(s, n);
}

void blame_directives_free(BlameDirective *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].section);
                free(d[i].key);
                free(d[i].value);
        }
        free(d);
}

static void add_directive(BlameDirective **l, size_t *n, const char *section, const char *line,
                          size_t len) {
        const char *eq = memchr(line, '=', len);

        if (!eq || !section || *n >= BLAME_DIRECTIVES_MAX)
                return;
        char *key = strip_dup(line, (size_t) (eq - line));
        if (isempty(key)) {
                free(key);
                return;
        }
        if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4, ...: double */
                *l = xrealloc(*l, (*n ? 2 * *n : 1) * sizeof(BlameDirective));
        (*l)[(*n)++] = (BlameDirective) {
                .section = xstrdup(section),
                .key = key,
                .value = strip_dup(eq + 1, len - (size_t) (eq + 1 - line)),
        };
}

void blame_parse(const char *text, size_t n, BlameDirective **ret, size_t *ret_n) {
        BlameDirective *l = NULL;
        size_t n_l = 0;
        char *section = NULL;
        Buf joined = {};
        const char *p = text, *end = text + n;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *e = nl ? nl : end;
                size_t len;

                /* Leading whitespace, then what the line is. */
                while (p < e && is_space(*p))
                        p++;
                len = (size_t) (e - p);
                if (joined.len == 0 && (len == 0 || *p == '#' || *p == ';')) {
                        p = nl ? nl + 1 : end;
                        continue;
                }
                if (joined.len > 0 && len > 0 && (*p == '#' || *p == ';')) {
                        /* A comment inside a continuation is skipped (systemd >= 240). */
                        p = nl ? nl + 1 : end;
                        continue;
                }
                while (len > 0 && (p[len - 1] == '\r'))
                        len--;
                if (len > 0 && p[len - 1] == '\\' && nl) {
                        buf_append(&joined, p, len - 1);
                        buf_putc(&joined, ' ');
                        p = nl + 1;
                        continue;
                }
                buf_append(&joined, p, len);
                if (joined.len > 0 && joined.data[0] == '[') {
                        char *close = strchr(joined.data, ']');
                        free(section);
                        section = close ? xstrndup(joined.data + 1,
                                                   (size_t) (close - joined.data - 1))
                                        : NULL;
                } else if (joined.len > 0)
                        add_directive(&l, &n_l, section, joined.data, joined.len);
                buf_clear(&joined);
                p = nl ? nl + 1 : end;
        }
        if (joined.len > 0 && joined.data[0] != '[')
                add_directive(&l, &n_l, section, joined.data, joined.len);
        buf_done(&joined);
        free(section);
        *ret = l;
        *ret_n = n_l;
}

/* ---- snapshots ---- */

void blame_file_copy(const BlameFile *src, BlameFile *ret) {
        *ret = *src;
        ret->path = xstrdup(src->path);
        ret->directives = src->n_directives
                                  ? xcalloc(src->n_directives, sizeof(BlameDirective))
                                  : NULL;
        for (size_t i = 0; i < src->n_directives; i++)
                ret->directives[i] = (BlameDirective) {
                        .section = xstrdup(src->directives[i].section),
                        .key = xstrdup(src->directives[i].key),
                        .value = xstrdup(src->directives[i].value),
                };
}

void blame_file_done(BlameFile *f) {
        free(f->path);
        blame_directives_free(f->directives, f->n_directives);
        *f = (BlameFile) {};
}

void blame_files_done(BlameFiles *f) {
        for (size_t i = 0; i < f->n_files; i++)
                blame_file_done(&f->files[i]);
        free(f->files);
        *f = (BlameFiles) {};
}

const BlameFile *blame_files_find(const BlameFiles *f, const char *path) {
        for (size_t i = 0; f && i < f->n_files; i++)
                if (streq(f->files[i].path, path))
                        return &f->files[i];
        return NULL;
}

static bool same_content(const BlameFile *a, const BlameFile *b) {
        if (a->error != 0 || b->error != 0)
                return a->error == b->error;
        return memcmp(a->sha256, b->sha256, SHA256_DIGEST_SIZE) == 0;
}

bool blame_files_equal(const BlameFiles *a, const BlameFiles *b) {
        if (a->n_files != b->n_files)
                return false;
        for (size_t i = 0; i < a->n_files; i++)
                if (!streq(a->files[i].path, b->files[i].path) ||
                    !same_content(&a->files[i], &b->files[i]))
                        return false;
        return true;
}

bool blame_path_is_runtime(const char *path) {
        return startswith(path, "/etc/systemd/system.control/") ||
               startswith(path, "/run/systemd/system.control/") ||
               startswith(path, "/run/systemd/transient/");
}

/* ---- diff ---- */

/* A copy of at most max bytes of v (cut at a UTF-8 character boundary, "..." marking the cut),
 * or NULL for NULL. */
static char *bounded_dup(const char *v, size_t max) {
        size_t n, cut;

        if (!v)
                return NULL;
        n = strlen(v);
        if (n <= max)
                return xstrdup(v);
        cut = max;
        while (cut > 0 && ((unsigned char) v[cut] & 0xc0) == 0x80)
                cut--;
        char *s = xmalloc(cut + 4);
        memcpy(s, v, cut);
        memcpy(s + cut, "...", 4);
        return s;
}

static char *value_dup(const char *v) {
        return bounded_dup(v, BLAME_VALUE_MAX);
}

static char *path_dup(const char *p) {
        return bounded_dup(p, BLAME_PATH_MAX);
}

static void add_file(BlameRecord *r, BlameOp op, const BlameFile *f) {
        if (r->n_files >= BLAME_FILES_MAX) {
                r->n_files_omitted++;
                return;
        }
        if (!r->files)
                r->files = xcalloc(BLAME_FILES_MAX, sizeof(BlameFileChange));
        BlameFileChange *c = &r->files[r->n_files++];
        *c = (BlameFileChange) {
                .op = op,
                .path = path_dup(f->path),
                .error = f->error,
                .size = f->size,
                .mtime_usec = f->mtime_usec,
        };
        if (f->error == 0)
                (void) sha256_hex(f->sha256, c->sha256);
}

static void add_line(BlameRecord *r, BlameOp op, const char *path, const BlameDirective *d,
                     const char *old_value, const char *new_value) {
        if (r->n_lines >= BLAME_LINES_MAX) {
                r->n_lines_omitted++;
                return;
        }
        if (!r->lines)
                r->lines = xcalloc(BLAME_LINES_MAX, sizeof(BlameLine));
        r->lines[r->n_lines++] = (BlameLine) {
                .op = op,
                .path = path_dup(path),
                .section = value_dup(d->section),
                .key = value_dup(d->key),
                .old_value = value_dup(old_value),
                .new_value = value_dup(new_value),
        };
}

static bool same_key(const BlameDirective *a, const BlameDirective *b) {
        return streq(a->section, b->section) && streq(a->key, b->key);
}

/* The value the key has in the last file of s that sets it (what a later file overrides), or
 * NULL. Files are in the manager's order: the fragment, then the drop-ins as they apply. */
static const char *effective(const BlameFiles *s, const BlameDirective *d) {
        const char *v = NULL;

        for (size_t i = 0; s && i < s->n_files; i++)
                for (size_t j = 0; j < s->files[i].n_directives; j++)
                        if (same_key(&s->files[i].directives[j], d))
                                v = s->files[i].directives[j].value;
        return v;
}

/* The lines of one file: o (older, may be NULL) against n (newer, may be NULL). Directives equal
 * as (section, key, value) are matched in order, each at most once (a multiset); what is left
 * over is added, removed or, paired by key, changed. */
static void diff_lines(BlameRecord *r, const BlameFiles *old, const BlameFiles *new,
                       const BlameFile *o, const BlameFile *n) {
        size_t n_o = o && o->error == 0 ? o->n_directives : 0;
        size_t n_n = n && n->error == 0 ? n->n_directives : 0;

        /* One side's lines are not known (a stored snapshot that could not keep them): listing
         * the other side's as added or removed would be a lie. */
        if ((o && o->lines_unknown) || (n && n->lines_unknown))
                return;
        _cleanup_free_ bool *used_o = xcalloc(n_o + 1, sizeof(bool));
        _cleanup_free_ bool *used_n = xcalloc(n_n + 1, sizeof(bool));

        for (size_t i = 0; i < n_n; i++)
                for (size_t j = 0; j < n_o; j++)
                        if (!used_o[j] && same_key(&n->directives[i], &o->directives[j]) &&
                            streq(n->directives[i].value, o->directives[j].value)) {
                                used_o[j] = used_n[i] = true;
                                break;
                        }
        for (size_t i = 0; i < n_n; i++) {
                const BlameDirective *d = &n->directives[i];
                const char *before = NULL;

                if (used_n[i])
                        continue;
                for (size_t j = 0; j < n_o && !before; j++)
                        if (!used_o[j] && same_key(d, &o->directives[j])) {
                                used_o[j] = true;
                                before = o->directives[j].value;
                        }
                if (!before)
                        before = effective(old, d);
                if (before && !streq(before, d->value))
                        add_line(r, BLAME_OP_CHANGED, n->path, d, before, d->value);
                else if (!before)
                        add_line(r, BLAME_OP_ADDED, n->path, d, NULL, d->value);
                /* else: the same value as before, set again in another file: no change */
        }
        for (size_t j = 0; j < n_o; j++)
                if (!used_o[j]) {
                        const char *now = effective(new, &o->directives[j]);
                        if (!streq_ptr(now, o->directives[j].value))
                                add_line(r, BLAME_OP_REMOVED, o->path, &o->directives[j],
                                         o->directives[j].value, now);
                }
}

void blame_diff(const BlameFiles *old, const BlameFiles *new, const BlameContext *ctx,
                BlameRecord *ret) {
        BlameRecord r = { .running_exposure = ctx->running_exposure };
        bool changed = false, only_runtime = true;
        bool known = old && ctx->old_known && !ctx->first;

        for (size_t i = 0; i < new->n_files; i++) {
                const BlameFile *n = &new->files[i], *o = known ? blame_files_find(old, n->path)
                                                                : NULL;
                BlameOp op = !known ? BLAME_OP_SAME
                             : !o   ? BLAME_OP_ADDED
                             : same_content(o, n) ? BLAME_OP_SAME
                                                  : BLAME_OP_CHANGED;
                add_file(&r, op, n);
                if (op == BLAME_OP_SAME)
                        continue;
                changed = true;
                only_runtime = only_runtime && blame_path_is_runtime(n->path);
                diff_lines(&r, old, new, o, n);
        }
        for (size_t i = 0; known && i < old->n_files; i++) {
                const BlameFile *o = &old->files[i];
                if (blame_files_find(new, o->path))
                        continue;
                add_file(&r, BLAME_OP_REMOVED, o);
                changed = true;
                only_runtime = only_runtime && blame_path_is_runtime(o->path);
                diff_lines(&r, old, new, o, NULL);
        }

        /* A unit made only of runtime files (a transient unit, created again under the same
         * name) whose older files are not known changed at run time too. */
        bool all_runtime = new->n_files > 0;
        for (size_t i = 0; i < new->n_files; i++)
                all_runtime = all_runtime && blame_path_is_runtime(new->files[i].path);

        if (ctx->first)
                r.reason = BLAME_REASON_FIRST;
        else if (changed)
                r.reason = only_runtime ? BLAME_REASON_RUNTIME : BLAME_REASON_FILES;
        else if (!known && all_runtime && !ctx->systemd_changed && !ctx->scorer_changed)
                r.reason = BLAME_REASON_RUNTIME;
        else if (ctx->systemd_changed)
                r.reason = BLAME_REASON_SYSTEMD_UPGRADE;
        else if (ctx->scorer_changed)
                r.reason = BLAME_REASON_SCORER_UPGRADE;
        else
                r.reason = BLAME_REASON_UNKNOWN;
        *ret = r;
}

void blame_record_done(BlameRecord *r) {
        for (size_t i = 0; i < r->n_files; i++)
                free(r->files[i].path);
        free(r->files);
        for (size_t i = 0; i < r->n_lines; i++) {
                free(r->lines[i].path);
                free(r->lines[i].section);
                free(r->lines[i].key);
                free(r->lines[i].old_value);
                free(r->lines[i].new_value);
        }
        free(r->lines);
        *r = (BlameRecord) { .running_exposure = -1 };
}

/* ---- stored text ---- */

static void put_field(Buf *out, const char *s) {
        buf_putc(out, '\t');
        if (!s) {
                buf_puts(out, "\\0");
                return;
        }
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        buf_puts(out, "\\\\");
                        break;
                case '\t':
                        buf_puts(out, "\\t");
                        break;
                case '\n':
                        buf_puts(out, "\\n");
                        break;
                default:
                        buf_putc(out, *s);
                }
}

static void put_u64(Buf *out, uint64_t v) {
        buf_printf(out, "\t%llu", (unsigned long long) v);
}

void blame_encode(const BlameRecord *r, Buf *out) {
        char op[2] = {};

        buf_puts(out, "v1\nr");
        put_field(out, blame_reason_to_string(r->reason));
        buf_printf(out, "\np\t%d\n", r->running_exposure < 0 ? -1 : r->running_exposure);
        for (size_t i = 0; i < r->n_files; i++) {
                const BlameFileChange *f = &r->files[i];
                op[0] = blame_op_to_char(f->op);
                buf_puts(out, "f");
                put_field(out, op);
                put_field(out, f->path);
                put_u64(out, f->size);
                put_u64(out, f->mtime_usec);
                put_field(out, f->sha256);
                buf_printf(out, "\t%d\n", f->error);
        }
        for (size_t i = 0; i < r->n_lines; i++) {
                const BlameLine *l = &r->lines[i];
                op[0] = blame_op_to_char(l->op);
                buf_puts(out, "l");
                put_field(out, op);
                put_field(out, l->path);
                put_field(out, l->section);
                put_field(out, l->key);
                put_field(out, l->old_value);
                put_field(out, l->new_value);
                buf_putc(out, '\n');
        }
        if (r->n_files_omitted || r->n_lines_omitted)
                buf_printf(out, "o\t%llu\t%llu\n", (unsigned long long) r->n_files_omitted,
                           (unsigned long long) r->n_lines_omitted);
}

#define FIELDS_MAX 8

/* Split one line (NUL-terminated, no newline) at tabs and unescape each field in place. Returns
 * the number of fields, or -EBADMSG. A field that is exactly "\0" is NULL. */
static int split(char *line, char *ret[static FIELDS_MAX]) {
        int n = 0;
        char *p = line;

        for (;;) {
                char *tab = strchr(p, '\t');
                if (n >= FIELDS_MAX)
                        return -EBADMSG;
                if (tab)
                        *tab = 0;
                if (streq(p, "\\0"))
                        ret[n++] = NULL;
                else {
                        char *w = p;
                        for (char *q = p; *q; q++) {
                                if (*q != '\\') {
                                        *w++ = *q;
                                        continue;
                                }
                                q++;
                                if (*q == '\\')
                                        *w++ = '\\';
                                else if (*q == 't')
                                        *w++ = '\t';
                                else if (*q == 'n')
                                        *w++ = '\n';
                                else
                                        return -EBADMSG;
                        }
                        *w = 0;
                        ret[n++] = p;
                }
                if (!tab)
                        return n;
                p = tab + 1;
        }
}

static int parse_int(const char *s, int min, int max, int *ret) {
        uint64_t u;
        bool neg = s && s[0] == '-';

        if (!s || parse_uint(s + neg, (uint64_t) INT32_MAX, &u) < 0)
                return -EBADMSG;
        int v = neg ? -(int) u : (int) u;
        if (v < min || v > max)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        return s && parse_uint(s, UINT64_MAX, ret) >= 0 ? 0 : -EBADMSG;
}

static int decode_line(char *line, BlameRecord *r) {
        char *f[FIELDS_MAX];
        int n = split(line, f), v;
        BlameOp op;

        if (n < 1 || !f[0])
                return -EBADMSG;
        if (streq(f[0], "r") && n == 2) {
                r->reason = blame_reason_from_string(f[1]);
                return r->reason < 0 ? -EBADMSG : 0;
        }
        if (streq(f[0], "p") && n == 2) {
                if (parse_int(f[1], -1, 1000, &v) < 0)
                        return -EBADMSG;
                r->running_exposure = v;
                return 0;
        }
        if (streq(f[0], "o") && n == 3)
                return parse_u64(f[1], &r->n_files_omitted) < 0 ||
                                       parse_u64(f[2], &r->n_lines_omitted) < 0
                               ? -EBADMSG
                               : 0;
        if (streq(f[0], "f") && n == 7) {
                BlameFileChange c = {};
                if (!f[1] || !f[2] || !f[5] || (op = op_from_char(f[1])) < 0 ||
                    parse_u64(f[3], &c.size) < 0 || parse_u64(f[4], &c.mtime_usec) < 0 ||
                    strlen(f[5]) >= SHA256_HEX_SIZE || parse_int(f[6], -4095, 0, &v) < 0 ||
                    r->n_files >= BLAME_FILES_MAX)
                        return -EBADMSG;
                if (!r->files)
                        r->files = xcalloc(BLAME_FILES_MAX, sizeof(BlameFileChange));
                c.op = op;
                c.error = v;
                c.path = xstrdup(f[2]);
                memcpy(c.sha256, f[5], strlen(f[5]) + 1);
                r->files[r->n_files++] = c;
                return 0;
        }
        if (streq(f[0], "l") && n == 7) {
                if (!f[1] || !f[2] || !f[3] || !f[4] || (op = op_from_char(f[1])) < 0 ||
                    op == BLAME_OP_SAME || r->n_lines >= BLAME_LINES_MAX)
                        return -EBADMSG;
                if (!r->lines)
                        r->lines = xcalloc(BLAME_LINES_MAX, sizeof(BlameLine));
                r->lines[r->n_lines++] = (BlameLine) {
                        .op = op,
                        .path = xstrdup(f[2]),
                        .section = xstrdup(f[3]),
                        .key = xstrdup(f[4]),
                        .old_value = f[5] ? xstrdup(f[5]) : NULL,
                        .new_value = f[6] ? xstrdup(f[6]) : NULL,
                };
                return 0;
        }
        return -EBADMSG;
}

int blame_decode(const char *text, BlameRecord *ret) {
        BlameRecord r = { .reason = _BLAME_REASON_INVALID, .running_exposure = -1 };
        _cleanup_free_ char *copy = NULL;
        char *p;
        int k;

        if (!text || strlen(text) > BLAME_TEXT_MAX || !startswith(text, "v1\n"))
                return -EBADMSG;
        copy = xstrdup(text + 3);
        for (p = copy; *p;) {
                char *nl = strchr(p, '\n');
                if (!nl) {
                        blame_record_done(&r);
                        return -EBADMSG;
                }
                *nl = 0;
                k = decode_line(p, &r);
                if (k < 0) {
                        blame_record_done(&r);
                        return k;
                }
                p = nl + 1;
        }
        if (r.reason < 0) {
                blame_record_done(&r);
                return -EBADMSG;
        }
        *ret = r;
        return 0;
}

/* ---- stored snapshots ---- */

static void encode_directives(const BlameFile *f, Buf *out) {
        for (size_t i = 0; i < f->n_directives; i++) {
                buf_puts(out, "d");
                put_field(out, f->directives[i].section);
                put_field(out, f->directives[i].key);
                put_field(out, f->directives[i].value);
                buf_putc(out, '\n');
        }
}

void blame_files_encode(const BlameFiles *f, Buf *out) {
        size_t budget = BLAME_SNAPSHOT_LINES_MAX;
        char hex[SHA256_HEX_SIZE];
        bool keep = f->n_files <= BLAME_SNAPSHOT_FILES_MAX;

        for (size_t i = 0; keep && i < f->n_files; i++)
                keep = strlen(f->files[i].path) <= BLAME_PATH_MAX;
        buf_puts(out, "s1\n");
        if (!keep) {
                buf_printf(out, "t\t%zu\n", f->n_files);
                return;
        }
        for (size_t i = 0; i < f->n_files; i++) {
                const BlameFile *file = &f->files[i];
                Buf d = {};
                bool kept = file->error == 0 && !file->lines_unknown;

                if (kept) {
                        encode_directives(file, &d);
                        kept = d.len <= budget;
                }
                if (kept)
                        budget -= d.len;
                buf_puts(out, "F");
                put_field(out, file->path);
                put_u64(out, file->size);
                put_u64(out, file->mtime_usec);
                put_field(out, file->error == 0 ? sha256_hex(file->sha256, hex) : "");
                buf_printf(out, "\t%d\t%d\n", file->error, file->error == 0 ? kept : 1);
                if (kept && d.len > 0)
                        buf_append(out, d.data, d.len);
                buf_done(&d);
        }
}

static int unhex(const char *s, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        if (strlen(s) != 2 * SHA256_DIGEST_SIZE)
                return -EBADMSG;
        for (size_t i = 0; i < 2 * SHA256_DIGEST_SIZE; i++) {
                char c = s[i];
                int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (v < 0)
                        return -EBADMSG;
                ret[i / 2] = (uint8_t) (i % 2 ? ret[i / 2] | v : v << 4);
        }
        return 0;
}

static int decode_snapshot_line(char *line, BlameFiles *f, size_t *cap) {
        char *x[FIELDS_MAX];
        int n = split(line, x), err, kept;
        uint64_t u;

        if (n < 1 || !x[0])
                return -EBADMSG;
        if (streq(x[0], "t") && n == 2 && f->n_files == 0)
                return parse_u64(x[1], &u) < 0 ? -EBADMSG : -E2BIG;
        if (streq(x[0], "F") && n == 7) {
                BlameFile file = {};
                if (!x[1] || x[1][0] != '/' || strlen(x[1]) > BLAME_PATH_MAX || !x[4] ||
                    parse_u64(x[2], &file.size) < 0 || parse_u64(x[3], &file.mtime_usec) < 0 ||
                    parse_int(x[5], -4095, 0, &err) < 0 || parse_int(x[6], 0, 1, &kept) < 0 ||
                    (err == 0 && unhex(x[4], file.sha256) < 0) || (err != 0 && !isempty(x[4])) ||
                    f->n_files >= BLAME_SNAPSHOT_FILES_MAX)
                        return -EBADMSG;
                if (f->n_files == *cap) {
                        *cap = *cap ? 2 * *cap : 4;
                        f->files = xrealloc(f->files, *cap * sizeof(BlameFile));
                }
                file.path = xstrdup(x[1]);
                file.error = err;
                file.lines_unknown = err == 0 && !kept;
                f->files[f->n_files++] = file;
                return 0;
        }
        if (streq(x[0], "d") && n == 4) {
                BlameFile *file = f->n_files > 0 ? &f->files[f->n_files - 1] : NULL;
                if (!file || file->error != 0 || file->lines_unknown || !x[1] || !x[2] || !x[3] ||
                    isempty(x[2]) || file->n_directives >= BLAME_DIRECTIVES_MAX)
                        return -EBADMSG;
                if ((file->n_directives & (file->n_directives - 1)) == 0)
                        file->directives = xrealloc(file->directives,
                                                    (file->n_directives ? 2 * file->n_directives
                                                                        : 1) *
                                                            sizeof(BlameDirective));
                file->directives[file->n_directives++] = (BlameDirective) {
                        .section = xstrdup(x[1]),
                        .key = xstrdup(x[2]),
                        .value = xstrdup(x[3]),
                };
                return 0;
        }
        return -EBADMSG;
}

int blame_files_decode(const char *text, BlameFiles *ret) {
        BlameFiles f = {};
        _cleanup_free_ char *copy = NULL;
        size_t cap = 0;

        if (!text || strlen(text) > BLAME_SNAPSHOT_TEXT_MAX || !startswith(text, "s1\n"))
                return -EBADMSG;
        copy = xstrdup(text + 3);
        for (char *p = copy; *p;) {
                char *nl = strchr(p, '\n');
                int k = nl ? (*nl = 0, decode_snapshot_line(p, &f, &cap)) : -EBADMSG;
                if (k < 0) {
                        blame_files_done(&f);
                        return k;
                }
                p = nl + 1;
        }
        *ret = f;
        return 0;
}
