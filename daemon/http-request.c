/* SPDX-License-Identifier: MIT */
/* Requests and responses: percent-decoding of the path (per segment) and of query arguments,
 * with every client-controlled length bounded; error responses in the format a route's clients
 * expect. Must never include microhttpd.h, log, or do I/O: tests and fuzzers drive it directly. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "http-request.h"
#include "render.h"
#include "util.h"

/* ---- requests ---- */

/* Percent-decode n bytes of s ('+' is a space in query components). NUL bytes are refused. */
static int decode(const char *s, size_t n, bool plus, char **ret) {
        _cleanup_free_ char *d = xmalloc(n + 1);
        size_t j = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%') {
                        int hi, lo;
                        if (i + 2 >= n)
                                return -EINVAL;
                        hi = unhex_char(s[i + 1]);
                        lo = hi >= 0 ? unhex_char(s[i + 2]) : -1;
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return -EINVAL;
                        d[j++] = (char) (hi * 16 + lo);
                        i += 2;
                } else if (plus && s[i] == '+') {
                        d[j++] = ' ';
                } else {
                        d[j++] = s[i];
                }
        }
        d[j] = 0;
        *ret = TAKE_PTR(d);
        return 0;
}

static void request_fail(Request *req, unsigned status, const char *msg) {
        if (req->error == 0) {
                req->error = status;
                req->error_message = msg;
        }
}

void http_request_init(Request *req, const char *method, const char *raw_path) {
        const char *p;

        *req = (Request) {};
        if (streq(method, "GET"))
                req->method = HTTP_GET;
        else if (streq(method, "HEAD"))
                req->method = HTTP_HEAD;
        else
                req->method = HTTP_OTHER;
        req->path = xstrdup(raw_path ? raw_path : "");

        if (strlen(req->path) > HTTP_PATH_MAX)
                return request_fail(req, 414, "URL too long");
        if (req->path[0] != '/')
                return request_fail(req, 400, "path must start with /");

        /* "/" has no segments; "/a/b" has two; empty segments ("//", a trailing "/") are kept
         * as "" and match no route. */
        p = req->path + 1;
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : strlen(p);
                char *seg;

                if (req->n_segments >= HTTP_SEGMENTS_MAX)
                        return request_fail(req, 404, "no such path");
                if (decode(p, n, false, &seg) < 0)
                        return request_fail(req, 400, "malformed percent-encoding in path");
                req->segments[req->n_segments++] = seg;
                if (!slash)
                        break;
                p = slash + 1;
                if (!*p) {
                        /* trailing slash */
                        if (req->n_segments >= HTTP_SEGMENTS_MAX)
                                return request_fail(req, 404, "no such path");
                        req->segments[req->n_segments++] = xstrdup("");
                        break;
                }
        }
}

void http_request_add_arg(Request *req, const char *raw_key, const char *raw_value) {
        char *k, *v;

        if (!raw_key)
                return request_fail(req, 400, "malformed query");
        if (strlen(raw_key) > HTTP_ARG_MAX || (raw_value && strlen(raw_value) > HTTP_ARG_MAX))
                return request_fail(req, 414, "query argument too long");
        if (req->n_args >= HTTP_ARGS_MAX)
                return request_fail(req, 400, "too many query arguments");
        if (decode(raw_key, strlen(raw_key), true, &k) < 0)
                return request_fail(req, 400, "malformed percent-encoding in query");
        if (decode(raw_value ? raw_value : "", raw_value ? strlen(raw_value) : 0, true, &v) < 0) {
                free(k);
                return request_fail(req, 400, "malformed percent-encoding in query");
        }
        for (size_t i = 0; i < req->n_args; i++)
                if (streq(req->args[i].key, k)) {
                        free(k);
                        free(v);
                        return request_fail(req, 400, "duplicate query argument");
                }
        req->args[req->n_args++] = (HttpArg) { k, v };
}

void http_request_done(Request *req) {
        free(req->path);
        for (size_t i = 0; i < req->n_segments; i++)
                free(req->segments[i]);
        for (size_t i = 0; i < req->n_args; i++) {
                free(req->args[i].key);
                free(req->args[i].value);
        }
        *req = (Request) {};
}

const char *http_request_arg(const Request *req, const char *key) {
        for (size_t i = 0; i < req->n_args; i++)
                if (streq(req->args[i].key, key))
                        return req->args[i].value;
        return NULL;
}

int http_form_value(const char *body, size_t len, const char *key, char **ret) {
        size_t klen = strlen(key), i = 0;

        while (i < len) {
                const char *field = body + i, *amp = memchr(field, '&', len - i);
                size_t n = amp ? (size_t) (amp - field) : len - i;

                if (n > klen && field[klen] == '=' && memcmp(field, key, klen) == 0)
                        return decode(field + klen + 1, n - klen - 1, true, ret);
                i += n + 1;
        }
        return -ENOENT;
}

/* ---- responses ---- */

HttpBody *http_body_new(Buf *b) {
        HttpBody *body = xcalloc(1, sizeof *body);

        body->refs = 1;
        body->size = b->len;
        /* A Buf has up to twice the room it needs: give the rest back (mremap for big ones). */
        body->data = xrealloc(buf_steal(b), body->size + 1);
        return body;
}

HttpBody *http_body_ref(HttpBody *b) {
        assert(b->refs > 0 && b->refs < UINT_MAX);
        b->refs++;
        return b;
}

HttpBody *http_body_unref(HttpBody *b) {
        if (!b)
                return NULL;
        assert(b->refs > 0);
        if (--b->refs > 0)
                return NULL;
        free(b->data);
        free(b);
        return NULL;
}

void http_response_reset(Response *resp) {
        Buf body = resp->body;

        free(resp->location);
        free(resp->etag);
        free(resp->set_cookie);
        http_body_unref(resp->shared);
        buf_clear(&body);
        *resp = (Response) { .body = body };
}

HttpDeferred *http_response_defer(Response *resp) {
        if (!resp->defer)
                return NULL;
        resp->deferred = resp->defer(resp, resp->defer_userdata);
        return resp->deferred;
}

void http_response_done(Response *resp) {
        http_response_reset(resp);
        buf_done(&resp->body);
}

void http_respond_error(Response *resp, HttpFormat f, unsigned status, const char *msg) {
        buf_clear(&resp->body);
        resp->static_body = NULL;
        resp->shared = http_body_unref(resp->shared);
        resp->status = status;
        if (f == HTTP_FORMAT_JSON) {
                resp->content_type = HTTP_CT_JSON;
                if (render_json_error(msg, &resp->body) < 0)
                        buf_puts(&resp->body, "{\"error\":\"out of memory\"}");
        } else if (f == HTTP_FORMAT_HTML) {
                resp->content_type = HTTP_CT_HTML;
                render_html_error(status, msg, &resp->body);
        } else {
                resp->content_type = HTTP_CT_TEXT;
                buf_puts(&resp->body, msg);
                buf_putc(&resp->body, '\n');
        }
}
