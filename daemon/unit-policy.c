/* SPDX-License-Identifier: MIT */
/* Unit policies (see unit-policy.h): the policy.d parser, the rule matcher, the judge and the
 * baseline writer. Pure except unit_policy_load_dir() at the end, the only function that touches
 * the file system. It must never log (the manager and the CLIs do, with the FILE:LINE we give
 * them) nor read a clock. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "render.h"
#include "time-parse.h"
#include "unit-policy.h"
#include "util.h"


#define set_error text_error_set

void policy_error_done(PolicyError *e) {
        text_error_done(e);
}

char *policy_error_format(const PolicyError *e) {
        Buf b = {};

        if (e->file)
                buf_puts(&b, e->file);
        if (e->file && e->line > 0)
                buf_printf(&b, ":%u", e->line);
        if (e->file)
                buf_puts(&b, ": ");
        buf_puts(&b, e->message ? e->message : "unknown error");
        return buf_steal(&b);
}

static char *strip(char *s) {
        size_t n;

        while (*s == ' ' || *s == '\t')
                s++;
        n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = 0;
        return s;
}

static void rule_done(PolicyRule *r) {
        free(r->pattern);
        strv_free(r->accept);
        free(r->reason);
        free(r->expires);
}

UnitPolicy *unit_policy_new(void) {
        return xcalloc(1, sizeof(UnitPolicy));
}

UnitPolicy *unit_policy_free(UnitPolicy *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                rule_done(&p->rules[i]);
        free(p->rules);
        strv_free(p->files);
        free(p->exact);
        free(p->globs);
        free(p);
        return NULL;
}

/* qsort_r order of the exact index: by pattern, then by position (order read). */
static int cmp_exact(const void *a, const void *b, void *userdata) {
        const UnitPolicy *p = userdata;
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        int c = strcmp(p->rules[x].pattern, p->rules[y].pattern);
        return c != 0 ? c : (x > y) - (x < y);
}

static void index_rules(UnitPolicy *p) {
        free(p->exact);
        free(p->globs);
        p->exact = xcalloc(p->n_rules + 1, sizeof(size_t));
        p->globs = xcalloc(p->n_rules + 1, sizeof(size_t));
        p->n_exact = p->n_globs = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                if (p->rules[i].glob)
                        p->globs[p->n_globs++] = i;
                else
                        p->exact[p->n_exact++] = i;
        }
        if (p->n_exact > 1)
                qsort_r(p->exact, p->n_exact, sizeof(size_t), cmp_exact, p);
}

/* ---- parsing ---- */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool accepts(const PolicyRule *r, const char *check) {
        return bsearch(&check, r->accept, r->n_accept, sizeof(char *), cmp_str);
}

/* A unit name or glob: what systemd allows in unit names ([A-Za-z0-9:_.\@-], see
 * systemd.unit(5)) plus the glob characters * ? [ ] !. */
static bool pattern_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > POLICY_PATTERN_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                            ":_.\\@-*?[]!", s[i]))
                        return false;
        return true;
}

/* Every check name some table knows: what accept= may name. */
static bool check_known(const char *name) {
        for (size_t t = 0; t < score_tables_count; t++)
                for (size_t i = 0; i < score_tables[t]->n_rows; i++)
                        if (streq(score_tables[t]->rows[i].id, name))
                                return true;
        return false;
}

/* "7.5", "10", "0.0": tenths 0..100, at most one decimal, as systemd-analyze prints them. */
static int parse_exposure(const char *v, int *ret) {
        uint64_t whole;
        int tenths = 0;
        const char *dot = strchr(v, '.');
        _cleanup_free_ char *w = xstrndup(v, dot ? (size_t) (dot - v) : strlen(v));

        if (parse_uint(w, 10, &whole) < 0)
                return -EINVAL;
        if (dot) {
                if (dot[1] < '0' || dot[1] > '9' || dot[2] != 0)
                        return -EINVAL;
                tenths = dot[1] - '0';
        }
        if (whole * 10 + (uint64_t) tenths > 100)
                return -ERANGE;
        *ret = (int) (whole * 10 + (uint64_t) tenths);
        return 0;
}

/* An absolute time: "YYYY-MM-DD" (local midnight: the waiver stops counting when that day
 * begins), "YYYY-MM-DD HH:MM[:SS]" with an optional zone, or "@SECONDS". Relative forms ("+2d",
 * "tomorrow") would move with every reload: refused. */
static int parse_expiry(const char *v, uint64_t now_usec, uint64_t *ret) {
        uint64_t t;
        int r;

        if (!(v[0] == '@' || (strlen(v) >= 10 && v[4] == '-' && v[0] >= '0' && v[0] <= '9')))
                return -EINVAL;
        r = time_parse_timestamp(v, now_usec, &t);
        if (r < 0)
                return r;
        *ret = t > 0 ? t : 1;
        return 0;
}

typedef struct Parser {
        UnitPolicy *p;
        const char *file;    /* p's copy */
        PolicyError *e;
        PolicyRule *cur;     /* the section being read */
        bool seen_max, seen_reason, seen_expires;
        unsigned accept_line, expires_line;
} Parser;

/* Checks at the end of a section. */
static int section_end(Parser *ps) {
        PolicyRule *r = ps->cur;

        if (!r)
                return 0;
        if (r->max_exposure < 0 && !r->accept) {
                set_error(ps->e, ps->file, r->line, "rule [%s] sets neither max_exposure= nor "
                          "accept=", r->pattern);
                return -EINVAL;
        }
        if (r->accept && !r->reason) {
                set_error(ps->e, ps->file, ps->accept_line, "accept= needs a reason= in its "
                          "section [%s]", r->pattern);
                return -EINVAL;
        }
        if (r->expires && !r->accept) {
                set_error(ps->e, ps->file, ps->expires_line, "expires= applies to accept=, and "
                          "section [%s] has none", r->pattern);
                return -EINVAL;
        }
        /* Sorted, so that the judge finds a check with bsearch (96 checks against a baseline's
         * ~50 accept= lines, for every unit at every scan). */
        r->n_accept = strv_length(r->accept);
        if (r->accept)
                qsort(r->accept, r->n_accept, sizeof(char *), cmp_str);
        ps->cur = NULL;
        return 0;
}

static int section_start(Parser *ps, char *s, unsigned line) {
        size_t n = strlen(s);
        char *name;

        if (n < 2 || s[n - 1] != ']') {
                _cleanup_free_ char *sh = buf_shown(s);
                set_error(ps->e, ps->file, line, "expected '[UNIT]', got '%s'", sh);
                return -EINVAL;
        }
        s[n - 1] = 0;
        name = strip(s + 1);
        if (!pattern_valid(name)) {
                _cleanup_free_ char *sh = buf_shown(name);
                set_error(ps->e, ps->file, line, "'%s' is not a unit name or glob (letters, "
                          "digits, ':_.\\@-' and '*?[]!', at most %u bytes)", sh,
                          POLICY_PATTERN_MAX);
                return -EINVAL;
        }
        if (ps->p->n_rules >= POLICY_RULES_MAX) {
                set_error(ps->e, ps->file, line, "more than %u rules", POLICY_RULES_MAX);
                return -E2BIG;
        }
        if ((ps->p->n_rules & 15) == 0)
                ps->p->rules = xrealloc(ps->p->rules, (ps->p->n_rules + 16) * sizeof(PolicyRule));
        ps->cur = &ps->p->rules[ps->p->n_rules++];
        *ps->cur = (PolicyRule) {
                .pattern = xstrdup(name),
                .glob = strpbrk(name, "*?[") != NULL,
                .file = ps->file,
                .line = line,
                .max_exposure = -1,
        };
        ps->seen_max = ps->seen_reason = ps->seen_expires = false;
        ps->accept_line = ps->expires_line = 0;
        return 0;
}

static int once(Parser *ps, bool *seen, const char *key, unsigned line) {
        if (*seen) {
                set_error(ps->e, ps->file, line, "%s= given twice in section [%s]", key,
                          ps->cur->pattern);
                return -EINVAL;
        }
        *seen = true;
        return 0;
}

static int key_value(Parser *ps, const char *key, char *v, unsigned line, uint64_t now_usec) {
        PolicyRule *r = ps->cur;
        int q;

        if (!r) {
                set_error(ps->e, ps->file, line, "'%s =' outside a rule: start one with "
                          "[UNIT] or [GLOB]", key);
                return -EINVAL;
        }
        if (streq(key, "max_exposure")) {
                if (once(ps, &ps->seen_max, key, line) < 0)
                        return -EINVAL;
                q = parse_exposure(v, &r->max_exposure);
                if (q < 0) {
                        _cleanup_free_ char *sh = buf_shown(v);
                        set_error(ps->e, ps->file, line, "max_exposure: '%s' is not an exposure "
                                  "0.0..10.0 (one decimal, as systemd-analyze prints it)", sh);
                        return -EINVAL;
                }
        } else if (streq(key, "accept")) {
                char *save = NULL;
                if (!r->accept)
                        ps->accept_line = line;
                if (isempty(v)) {
                        set_error(ps->e, ps->file, line, "accept: no check named");
                        return -EINVAL;
                }
                for (char *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        if (!check_known(w)) {
                                _cleanup_free_ char *sh = buf_shown(w);
                                set_error(ps->e, ps->file, line, "accept: unknown check '%s' "
                                          "(names as systemd-analyze security prints them, "
                                          "e.g. PrivateNetwork=)", sh);
                                return -EINVAL;
                        }
                        if (strv_contains(r->accept, w))
                                continue;
                        if (strv_length(r->accept) >= POLICY_ACCEPT_MAX) {
                                set_error(ps->e, ps->file, line, "more than %u accepted checks "
                                          "in section [%s]", POLICY_ACCEPT_MAX, r->pattern);
                                return -EINVAL;
                        }
                        strv_push(&r->accept, w);
                }
        } else if (streq(key, "reason")) {
                if (once(ps, &ps->seen_reason, key, line) < 0)
                        return -EINVAL;
                if (isempty(v) || strlen(v) > POLICY_REASON_MAX) {
                        set_error(ps->e, ps->file, line, "reason: must be 1..%u bytes",
                                  POLICY_REASON_MAX);
                        return -EINVAL;
                }
                for (const char *c = v; *c;) {
                        size_t k = utf8_char_len(c, SIZE_MAX);
                        if (k == 0 || (unsigned char) *c < 0x20 || *c == 0x7f) {
                                set_error(ps->e, ps->file, line, "reason: not printable UTF-8");
                                return -EINVAL;
                        }
                        c += k;
                }
                r->reason = xstrdup(v);
        } else if (streq(key, "expires")) {
                if (once(ps, &ps->seen_expires, key, line) < 0)
                        return -EINVAL;
                ps->expires_line = line;
                if (parse_expiry(v, now_usec, &r->expires_usec) < 0) {
                        _cleanup_free_ char *sh = buf_shown(v);
                        set_error(ps->e, ps->file, line, "expires: '%s' is not a date "
                                  "(YYYY-MM-DD, YYYY-MM-DD HH:MM:SS[ZONE] or @SECONDS)", sh);
                        return -EINVAL;
                }
                r->expires = xstrdup(v);
        } else {
                _cleanup_free_ char *sh = buf_shown(key);
                set_error(ps->e, ps->file, line, "unknown key '%s' (known: max_exposure, "
                          "accept, reason, expires)", sh);
                return -EINVAL;
        }
        return 0;
}

static int parse_lines(Parser *ps, const char *text, size_t len, uint64_t now_usec) {
        unsigned line = 0;
        size_t off = 0;
        int r;

        while (off < len) {
                const char *nl = memchr(text + off, '\n', len - off);
                size_t n = nl ? (size_t) (nl - (text + off)) : len - off;
                _cleanup_free_ char *buf = NULL;
                char *s, *eq;

                line++;
                if (n > POLICY_LINE_MAX) {
                        set_error(ps->e, ps->file, line, "line longer than %u bytes",
                                  POLICY_LINE_MAX);
                        return -EINVAL;
                }
                if (memchr(text + off, 0, n)) {
                        set_error(ps->e, ps->file, line, "NUL byte in line");
                        return -EINVAL;
                }
                buf = xstrndup(text + off, n);
                off += n + (nl ? 1 : 0);
                if (n > 0 && buf[n - 1] == '\r')
                        buf[n - 1] = 0;
                s = strip(buf);
                if (*s == 0 || *s == '#')
                        continue;
                if (*s == '[') {
                        r = section_end(ps);
                        if (r >= 0)
                                r = section_start(ps, s, line);
                        if (r < 0)
                                return r;
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq) {
                        _cleanup_free_ char *sh = buf_shown(s);
                        set_error(ps->e, ps->file, line, "expected 'key = value' or '[UNIT]', "
                                  "got '%s'", sh);
                        return -EINVAL;
                }
                *eq = 0;
                r = key_value(ps, strip(s), strip(eq + 1), line, now_usec);
                if (r < 0)
                        return r;
        }
        return section_end(ps);
}

int unit_policy_parse(UnitPolicy *p, const char *file, const char *text, size_t len,
                      PolicyError *ret_error) {
        size_t n_before;
        Parser ps = { .p = p, .e = ret_error };
        int r;

        assert(p);
        assert(file);
        assert(text || len == 0);
        if (len > POLICY_FILE_MAX) {
                set_error(ret_error, file, 0, "file larger than %u bytes", POLICY_FILE_MAX);
                return -EFBIG;
        }
        if (strv_length(p->files) >= POLICY_FILES_MAX) {
                set_error(ret_error, file, 0, "more than %u policy files", POLICY_FILES_MAX);
                return -E2BIG;
        }
        strv_push(&p->files, file);
        ps.file = p->files[strv_length(p->files) - 1];
        n_before = p->n_rules;
        /* Only absolute times are accepted (parse_expiry()), so "now" is not needed: 0. */
        r = parse_lines(&ps, text, len, 0);
        if (r < 0) {
                /* All or nothing: drop what this file added. */
                for (size_t i = n_before; i < p->n_rules; i++)
                        rule_done(&p->rules[i]);
                p->n_rules = n_before;
                size_t k = strv_length(p->files) - 1;
                free(p->files[k]);
                p->files[k] = NULL;
                return r == -E2BIG ? r : -EINVAL;
        }
        index_rules(p);
        return 0;
}

/* ---- matching and judging ---- */

bool unit_policy_match(const PolicyRule *rule, const char *unit) {
        if (!rule->glob)
                return streq(rule->pattern, unit);
        return fnmatch(rule->pattern, unit, FNM_NOESCAPE) == 0;
}

bool unit_policy_check_fails(const ScoreCheck *c) {
        return c->badness != BADNESS_NA && c->badness > 0 && c->weight > 0;
}

void unit_policy_evaluate(const UnitPolicy *p, const char *unit, const ScoreReport *report,
                          uint64_t now_usec, PolicyVerdict *ret) {
        PolicyVerdict v = {
                .status = POLICY_UNMANAGED,
                .ceiling = -1,
                .ceiling_rule = -1,
                .first_rule = -1,
        };
        bool ceiling_exact = false;

        /* The matching rules: the run of exact names equal to unit (binary search), then every
         * glob; each kind in the order read, which is all the rules below depend on. */
        size_t lo = 0, hi = p ? p->n_exact : 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(p->rules[p->exact[mid]].pattern, unit) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        assert(unit && report && ret);
        for (size_t x = lo, g = 0; p && (x < p->n_exact || g < p->n_globs);) {
                size_t i;
                if (x < p->n_exact && streq(p->rules[p->exact[x]].pattern, unit))
                        i = p->exact[x++];
                else {
                        x = p->n_exact; /* past the run */
                        if (g >= p->n_globs)
                                break;
                        i = p->globs[g++];
                }
                const PolicyRule *r = &p->rules[i];

                if (!unit_policy_match(r, unit))
                        continue;
                if (v.first_rule < 0 || (int) i < v.first_rule)
                        v.first_rule = (int) i;
                /* The last ceiling read wins, but an exact name beats any glob. */
                if (r->max_exposure >= 0 && (!r->glob || !ceiling_exact)) {
                        v.ceiling = r->max_exposure;
                        v.ceiling_rule = (int) i;
                        ceiling_exact = !r->glob;
                }
                if (!r->accept)
                        continue;
                v.allow_list = true;
                bool expired = r->expires_usec > 0 && now_usec >= r->expires_usec;
                if (r->expires_usec > 0 && !expired &&
                    (v.next_expiry_usec == 0 || r->expires_usec < v.next_expiry_usec))
                        v.next_expiry_usec = r->expires_usec;
                for (size_t k = 0; k < report->n_checks; k++) {
                        const char *id = report->checks[k].assessor->id;
                        if (!accepts(r, id))
                                continue;
                        uint16_t old = v.waiver[k];
                        bool better;
                        if (old == 0)
                                better = true;
                        else if (old & POLICY_WAIVER_EXPIRED)
                                /* any waiver in force beats an expired one; among expired ones
                                 * the later expiry is the one to report */
                                better = !expired ||
                                         r->expires_usec >=
                                                 p->rules[(old & ~POLICY_WAIVER_EXPIRED) - 1]
                                                         .expires_usec;
                        else {
                                uint64_t oe = p->rules[old - 1].expires_usec;
                                better = !expired && oe != 0 &&
                                         (r->expires_usec == 0 || r->expires_usec > oe);
                        }
                        if (better)
                                v.waiver[k] = (uint16_t) ((i + 1) |
                                                          (expired ? POLICY_WAIVER_EXPIRED : 0));
                }
        }
        if (v.first_rule >= 0) {
                v.over_ceiling = v.ceiling >= 0 && (int) report->exposure > v.ceiling;
                for (size_t k = 0; v.allow_list && k < report->n_checks; k++)
                        if (unit_policy_check_fails(&report->checks[k]) &&
                            (v.waiver[k] == 0 || (v.waiver[k] & POLICY_WAIVER_EXPIRED)))
                                v.n_unaccepted++;
                v.status = v.over_ceiling || v.n_unaccepted > 0 ? POLICY_OVER : POLICY_OK;
        }
        *ret = v;
}

const PolicyRule *unit_policy_waiver(const UnitPolicy *p, const PolicyVerdict *v, size_t i,
                                     bool *ret_expired) {
        uint16_t w;

        if (!p || i >= SCORE_ROWS_MAX || (w = v->waiver[i]) == 0)
                return NULL;
        w &= (uint16_t) ~POLICY_WAIVER_EXPIRED;
        if (w == 0 || w > p->n_rules)
                return NULL;
        if (ret_expired)
                *ret_expired = (v->waiver[i] & POLICY_WAIVER_EXPIRED) != 0;
        return &p->rules[w - 1];
}

const PolicyRule *unit_policy_verdict_rule(const UnitPolicy *p, const PolicyVerdict *v,
                                           bool ceiling) {
        int i = ceiling ? v->ceiling_rule : v->first_rule;

        if (!p || v->status == POLICY_UNMANAGED || i < 0 || (size_t) i >= p->n_rules)
                return NULL;
        return &p->rules[i];
}

/* ---- the baseline ---- */

void unit_policy_format_baseline(const PolicyBaselineUnit *units, size_t n, const char *comment,
                                 const char *reason, Buf *out) {
        char exp[8];

        buf_puts(out, "# exposured policy (policy.d/*.conf, see exposured(8)): a baseline that "
                      "accepts today's\n# state exactly; anything worse is over policy.\n");
        if (comment)
                buf_printf(out, "# %s\n", comment);
        for (size_t i = 0; i < n; i++) {
                const ScoreReport *r = units[i].report;
                bool any = false;

                buf_printf(out, "\n[%s]\n", units[i].unit);
                buf_printf(out, "max_exposure = %s\n", render_format_tenths(r->exposure, exp));
                for (size_t k = 0; k < r->n_checks; k++)
                        if (unit_policy_check_fails(&r->checks[k])) {
                                buf_printf(out, "accept = %s\n", r->checks[k].assessor->id);
                                any = true;
                        }
                if (any)
                        buf_printf(out, "reason = %s\n", reason);
        }
}

/* ---- the one function with I/O ---- */

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;
        ssize_t k;

        /* No symlink to a FIFO or a device that would hang or feed us forever. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        /* Grown as read (a policy is usually a few KB), at most POLICY_FILE_MAX + 1. */
        size_t cap = st.st_size > 0 && (uint64_t) st.st_size < POLICY_FILE_MAX
                             ? (size_t) st.st_size + 1
                             : 64U * 1024U;
        data = xmalloc(cap);
        while ((k = read(fd, data + len, cap - len)) > 0) {
                len += (size_t) k;
                if (len > POLICY_FILE_MAX)
                        break;
                if (len == cap) {
                        cap = cap * 2 > POLICY_FILE_MAX + 1 ? POLICY_FILE_MAX + 1 : cap * 2;
                        data = xrealloc(data, cap);
                }
        }
        if (k < 0)
                return -errno;
        *ret = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

int unit_policy_load_dir(const char *dir, UnitPolicy **ret, PolicyError *ret_error) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        _cleanup_(strv_freep) char **names = NULL;
        DIR *d;
        struct dirent *de;
        size_t n;
        int r;

        assert(dir);
        assert(ret);
        d = opendir(dir);
        if (!d) {
                r = -errno;
                if (r == -ENOENT) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
                set_error(ret_error, dir, 0, "cannot open the directory: %s", strerror(-r));
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf"))
                        continue;
                if (strv_length(names) >= POLICY_FILES_MAX) {
                        (void) closedir(d);
                        set_error(ret_error, dir, 0, "more than %u policy files",
                                  POLICY_FILES_MAX);
                        return -E2BIG;
                }
                strv_push(&names, de->d_name);
        }
        r = -errno;
        (void) closedir(d);
        if (r < 0) {
                set_error(ret_error, dir, 0, "cannot read the directory: %s", strerror(-r));
                return r;
        }
        n = strv_length(names);
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                size_t len = 0;

                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        abort();
                r = read_file(path, &data, &len);
                if (r < 0) {
                        set_error(ret_error, path, 0, "cannot read: %s",
                                  r == -EBADFD ? "not a regular file" : strerror(-r));
                        return r;
                }
                r = unit_policy_parse(p, path, data, len, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}
