/* SPDX-License-Identifier: MIT */
/* Security policy files (systemd-analyze --security-policy=, see policy.h) parsed with json-c and
 * matched against a ScoreTable's json_field keys. The value rules follow analyze-security.c's
 * access_weight()/access_range()/access_description_*(): "unsigned" means a non-negative JSON
 * integer, or a real that converts to one without loss (systemd's json_variant_is_unsigned() says
 * 5.0 and 1e3 are unsigned); anything else is ignored. Never logs. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "policy.h"
#include "util.h"

/* systemd's parser accepts nesting up to 2048 levels; json-c's default is 32. */
#define POLICY_DEPTH_MAX 2048

#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct Policy {
        json_object *root;
};

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        json_object_put(p->root);
        free(p);
        return NULL;
}

static void tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

static void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

/* systemd's parser refuses strings with NUL characters ("\u0000"); json-c stores them with an
 * explicit length. Returns true when some string (value or key) in the tree holds one. */
static bool has_nul(json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_string:
                return strlen(json_object_get_string(o)) != (size_t) json_object_get_string_len(o);
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        if (has_nul(json_object_array_get_idx(o, i)))
                                return true;
                return false;
        case json_type_object: {
                json_object_object_foreach(o, key, val) {
                        (void) key;
                        if (has_nul(val))
                                return true;
                }
                return false;
        }
        default:
                return false;
        }
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Four hex digits at t[i..i+4) as a UTF-16 unit, or -1. */
static int32_t unhex4(const char *t, size_t size, size_t i) {
        int32_t x = 0;

        if (i > size || size - i < 4)
                return -1;
        for (size_t k = 0; k < 4; k++) {
                int d = unhex_char(t[i + k]);
                if (d < 0)
                        return -1;
                x = x << 4 | d;
        }
        return x;
}

/* 1-based line and column of byte `offset` of text. Columns count characters, as systemd's
 * inc_lines_columns() does: a valid UTF-8 sequence is one column, an invalid byte is one. */
static void position(const char *text, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset;) {
                size_t n = utf8_char_len(text + i, offset - i);

                if (text[i] == '\n') {
                        line++;
                        column = 1;
                } else
                        column++;
                i += n ? n : 1;
        }
        *ret_line = line;
        *ret_column = column;
}

/* End of the string token starting at t[i] == '"', or SIZE_MAX when systemd's json_parse_string()
 * refuses it: unterminated, control characters (and DEL), bad escapes, lone surrogates, invalid
 * UTF-8, and "\u0000" (its strings cannot hold NUL). */
static size_t lex_string(const char *t, size_t size, size_t i) {
        for (i++; i < size;) {
                unsigned char c = (unsigned char) t[i];
                size_t n;

                if (c == '"')
                        return i + 1;
                if (c < ' ' || c == 0x7f)
                        return SIZE_MAX;
                if (c != '\\') {
                        n = utf8_char_len(t + i, size - i);
                        if (n == 0)
                                return SIZE_MAX;
                        i += n;
                        continue;
                }
                if (++i >= size)
                        return SIZE_MAX;
                if (strchr("\"\\/bfnrt", t[i]) && t[i]) {
                        i++;
                        continue;
                }
                if (t[i] != 'u')
                        return SIZE_MAX;

                int32_t x = unhex4(t, size, i + 1);
                if (x <= 0 || (x >= 0xdc00 && x <= 0xdfff))
                        return SIZE_MAX;
                i += 5;
                if (x >= 0xd800 && x <= 0xdbff) {
                        int32_t y;

                        if (size - i < 2 || t[i] != '\\' || t[i + 1] != 'u')
                                return SIZE_MAX;
                        y = unhex4(t, size, i + 2);
                        if (y < 0xdc00 || y > 0xdfff)
                                return SIZE_MAX;
                        i += 6;
                }
        }
        return SIZE_MAX;
}

/* End of the number token at t[i], or SIZE_MAX; systemd's json_parse_number() grammar: it stops
 * after a leading 0, so "01" is the number 0 followed by a stray "1". */
static size_t lex_number(const char *t, size_t size, size_t i) {
        if (t[i] == '-')
                i++;
        if (i < size && t[i] == '0')
                i++;
        else if (i < size && t[i] >= '1' && t[i] <= '9')
                while (i < size && is_digit(t[i]))
                        i++;
        else
                return SIZE_MAX;
        if (i < size && t[i] == '.') {
                if (++i >= size || !is_digit(t[i]))
                        return SIZE_MAX;
                while (i < size && is_digit(t[i]))
                        i++;
        }
        if (i < size && (t[i] == 'e' || t[i] == 'E')) {
                i++;
                if (i < size && (t[i] == '+' || t[i] == '-'))
                        i++;
                if (i >= size || !is_digit(t[i]))
                        return SIZE_MAX;
                while (i < size && is_digit(t[i]))
                        i++;
        }
        return i;
}

static bool has_word(const char *t, size_t size, size_t i, const char *w) {
        size_t n = strlen(w);
        return size - i >= n && memcmp(t + i, w, n) == 0;
}

/* systemd's JSON tokenizer (json_tokenize()), replayed for its error positions: json-c decides
 * whether the text is JSON, this decides where systemd-analyze would say the error is. A token
 * the tokenizer refuses is reported at its start; a token it accepts but the grammar refuses is
 * reported just after it (systemd reports its line/column state, which has moved past the token).
 * Returns the offset of the first token the tokenizer refuses, or SIZE_MAX. When a token starts at
 * offset `at`, *ret_at_end gets its end. Text that json-c accepts and this refuses ('single
 * quotes', NaN, "1.", DEL, "\u0000", ...) is refused: systemd-analyze refuses it. */
static size_t lex(const char *t, size_t size, size_t at, size_t *ret_at_end) {
        bool post = false; /* false: a value may start here; true: after a value */
        size_t i = 0;

        for (;;) {
                size_t end;

                while (i < size && is_space(t[i]))
                        i++;
                if (i >= size)
                        return SIZE_MAX;

                char c = t[i];
                if (c == '}' || c == ']') {
                        end = i + 1;
                        post = true;
                } else if (post && (c == ':' || c == ',')) {
                        end = i + 1;
                        post = false;
                } else if (post)
                        return i;
                else if (c == '{' || c == '[')
                        end = i + 1;
                else {
                        if (c == '"')
                                end = lex_string(t, size, i);
                        else if (c == '-' || is_digit(c))
                                end = lex_number(t, size, i);
                        else if (has_word(t, size, i, "true") || has_word(t, size, i, "null"))
                                end = i + 4;
                        else if (has_word(t, size, i, "false"))
                                end = i + 5;
                        else
                                end = SIZE_MAX;
                        if (end == SIZE_MAX)
                                return i;
                        post = true;
                }
                if (i == at)
                        *ret_at_end = end;
                i = end;
        }
}

int policy_parse(const char *text, size_t size, Policy **ret, unsigned *ret_line,
                 unsigned *ret_column) {
        _cleanup_(tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        size_t grammar = SIZE_MAX, lexical, end;

        *ret_line = *ret_column = 0;
        if (size > POLICY_SIZE_MAX)
                return -EFBIG;
        if (size == 0)
                return -ENODATA;
        /* systemd reads the file as a C string and refuses one with a NUL byte (EBADMSG). */
        if (memchr(text, 0, size))
                return -EBADMSG;

        tok = json_tokener_new_ex(POLICY_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
                                            JSON_TOKENER_ALLOW_TRAILING_CHARS);

        root = json_tokener_parse_ex(tok, text, (int) size);
        end = json_tokener_get_parse_end(tok);
        if (!root && json_tokener_get_error(tok) == json_tokener_continue) {
                /* A top-level number ("5") is only complete once json-c sees a terminator; the
                 * NUL that ends the text is one. Otherwise the text ended inside a value. */
                root = json_tokener_parse_ex(tok, "", 1);
                end = size;
        }
        if (json_tokener_get_error(tok) != json_tokener_success)
                grammar = MIN(end, size);
        else {
                /* Whitespace may follow the value; anything else is an error. */
                while (end < size && is_space(text[end]))
                        end++;
                if (end < size)
                        grammar = end;
        }

        end = SIZE_MAX;
        lexical = lex(text, size, grammar, &end);
        if (lexical != SIZE_MAX && (grammar == SIZE_MAX || lexical <= grammar)) {
                position(text, lexical, ret_line, ret_column);
                return -EINVAL;
        }
        if (grammar != SIZE_MAX) {
                position(text, end != SIZE_MAX ? end : grammar, ret_line, ret_column);
                return -EINVAL;
        }
        assert(!has_nul(root)); /* lex() refuses "\u0000" */

        *ret = xmalloc(sizeof(Policy));
        (*ret)->root = TAKE_PTR(root);
        return 0;
}

int policy_load(const char *path, Policy **ret, unsigned *ret_line, unsigned *ret_column) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t size = 0, cap = 64 * 1024;

        *ret_line = *ret_column = 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        /* Read up to one byte past the limit, so that an oversized file is refused, not cut. */
        text = xmalloc(cap);
        for (;;) {
                ssize_t n;

                if (size == cap) {
                        if (cap > POLICY_SIZE_MAX)
                                return -EFBIG;
                        cap *= 2;
                        text = xrealloc(text, cap);
                }
                n = read(fd, text + size, cap - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        return policy_parse(text, size, ret, ret_line, ret_column);
}

int policy_load_default(const char *root, Policy **ret, char **ret_path, unsigned *ret_line,
                        unsigned *ret_column) {
        static const char *const dirs[] = {
                "/etc/systemd/",
                "/run/systemd/",
                "/usr/local/lib/systemd/",
                "/usr/lib/systemd/",
        };
        Buf path = {};

        *ret = NULL;
        *ret_path = NULL;
        *ret_line = *ret_column = 0;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                int r;

                buf_clear(&path);
                if (root)
                        buf_puts(&path, root);
                buf_puts(&path, dirs[i]);
                buf_puts(&path, POLICY_FILE_NAME);

                r = policy_load(path.data, ret, ret_line, ret_column);
                if (r == -ENOENT)
                        continue;
                /* Any other outcome, success or failure, ends the search, as in systemd. */
                *ret_path = buf_steal(&path);
                return r < 0 ? r : 1;
        }
        buf_done(&path);
        return 0;
}

/* json_variant_is_unsigned() semantics; see the file comment. */
static bool json_get_unsigned(json_object *v, uint64_t *ret) {
        switch (json_object_get_type(v)) {
        case json_type_int:
                if (json_object_get_int64(v) < 0)
                        return false;
                *ret = json_object_get_uint64(v);
                return true;
        case json_type_double: {
                double d = json_object_get_double(v);

                /* 2^64 itself does not fit; every double below it converts exactly when it is
                 * integral. The range check comes first: the cast is undefined outside it. */
                if (!(d >= 0 && d < 18446744073709551616.0) || (double) (uint64_t) d != d)
                        return false;
                *ret = (uint64_t) d;
                return true;
        }
        default:
                return false;
        }
}

static const char *json_get_string(json_object *item, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(item, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int policy_apply(const Policy *p, const ScoreTable *table, ScoreOverride *ret, size_t *ret_row) {
        for (size_t i = 0; i < table->n_rows; i++) {
                const Assessor *a = &table->rows[i];
                ScoreOverride *o = &ret[i];
                json_object *item, *v;

                *o = (ScoreOverride) {};
                if (!p || !a->json_field || !json_object_is_type(p->root, json_type_object))
                        continue;
                if (!json_object_object_get_ex(p->root, a->json_field, &item) ||
                    !json_object_is_type(item, json_type_object))
                        continue;

                if (json_object_object_get_ex(item, "weight", &v) &&
                    json_get_unsigned(v, &o->weight)) {
                        if (o->weight > POLICY_WEIGHT_MAX) {
                                *ret_row = i;
                                return -ERANGE;
                        }
                        o->has_weight = true;
                }
                if (json_object_object_get_ex(item, "range", &v) &&
                    json_get_unsigned(v, &o->range)) {
                        if (o->range == 0) {
                                *ret_row = i;
                                return -EINVAL;
                        }
                        o->has_range = true;
                }
                o->description_good = json_get_string(item, "description_good");
                o->description_bad = json_get_string(item, "description_bad");
                o->description_na = json_get_string(item, "description_na");
        }
        return 0;
}
