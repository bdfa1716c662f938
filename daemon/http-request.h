/* SPDX-License-Identifier: MIT */
/* Requests and responses, free of libmicrohttpd: a Request holds what a client sent, decoded
 * (path segments and query arguments percent-decoded by us, headers borrowed); a Response holds
 * what to answer. Everything a client controls is bounded here (path, arguments, depth) and a
 * problem is recorded in the Request, never fatal. Never logs, never does I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define HTTP_PATH_MAX 1024   /* longer paths get 414 */
#define HTTP_ARG_MAX 256     /* longer query keys/values get 414 */
#define HTTP_ARGS_MAX 16     /* more query arguments get 400 */
#define HTTP_SEGMENTS_MAX 8  /* deeper paths get 404 */

#define HTTP_CT_HTML "text/html; charset=utf-8"
#define HTTP_CT_JSON "application/json"
#define HTTP_CT_TEXT "text/plain; charset=utf-8"

typedef enum HttpMethod {
        HTTP_GET,
        HTTP_HEAD,
        HTTP_OTHER,
        _HTTP_METHOD_MAX,
} HttpMethod;

/* How an error response is written: the body format its clients expect. */
typedef enum HttpFormat {
        HTTP_FORMAT_HTML,
        HTTP_FORMAT_JSON,
        HTTP_FORMAT_TEXT,
        _HTTP_FORMAT_MAX,
} HttpFormat;

typedef struct HttpArg {
        char *key;    /* decoded */
        char *value;  /* decoded; "" for a bare key */
} HttpArg;

typedef struct Request {
        HttpMethod method;
        char *path;                            /* raw, as sent (without the query) */
        char *segments[HTTP_SEGMENTS_MAX];     /* decoded path segments */
        size_t n_segments;
        HttpArg args[HTTP_ARGS_MAX];
        size_t n_args;
        const char *accept;                    /* Accept header or NULL (borrowed) */
        const char *if_none_match;             /* If-None-Match header or NULL (borrowed) */
        const char *host;                      /* Host header or NULL (borrowed) */
        const char *authorization;             /* Authorization header or NULL (borrowed) */
        const char *cookie;                    /* Cookie header or NULL (borrowed) */
        const char *origin;                    /* Origin header or NULL (borrowed) */
        const char *fetch_site;                /* Sec-Fetch-Site header or NULL (borrowed) */
        unsigned error;                        /* 400/404/414 found while parsing, else 0 */
        const char *error_message;             /* static text for error */
} Request;

/* An immutable response body shared by reference: the render cache (render-cache.h) holds one
 * reference, every response being sent holds another (the server drops it from libmicrohttpd's
 * free callback), so N readers of the same render hold one copy and the cache never frees bytes
 * that a slow reader is still being sent. One thread: plain counts. */
typedef struct HttpBody {
        unsigned refs;
        size_t size;
        char *data;   /* NUL-terminated (data[size] == 0) */
} HttpBody;

/* A body taking b's bytes (b is left empty, its memory gone), with one reference. */
HttpBody *http_body_new(Buf *b);
/* One more reference; returns b. */
HttpBody *http_body_ref(HttpBody *b);
/* Drop one reference, freeing the body with the last. Accepts NULL, returns NULL. */
HttpBody *http_body_unref(HttpBody *b);

typedef struct HttpDeferred HttpDeferred;
struct Response;
typedef HttpDeferred *(*HttpDeferFunc)(struct Response *resp, void *userdata);

typedef struct Response {
        unsigned status;
        const char *content_type;      /* static string */
        Buf body;
        const void *static_body;       /* when set, sent instead of body; lives forever */
        HttpBody *shared;              /* when set, sent instead of body: a reference resp owns
                                        * (dropped by http_response_reset()) */
        size_t static_size;
        const char *cache_control;     /* static; NULL = "no-store" */
        const char *allow;             /* static; the Allow header of a 405 */
        char *location;                /* owned; Location of a redirect */
        char *etag;                    /* owned */
        const char *www_authenticate;  /* static; the WWW-Authenticate header of a 401 */
        char *set_cookie;              /* owned; a Set-Cookie header (the login session) */
        bool vary_accept;
        unsigned retry_after;          /* seconds for a Retry-After header (429), 0: none */
        HttpDeferFunc defer;           /* set by the server before dispatch, else NULL: how */
        void *defer_userdata;          /* http_response_defer() suspends the connection */
        HttpDeferred *deferred;        /* set by http_response_defer() */
} Response;

/* Fill req from a method name and a raw path (may be NULL: ""): the path is split into
 * segments and each is percent-decoded ("%2F" stays inside its segment; "%00" is refused).
 * Problems (414, 400, 404 for a path deeper than HTTP_SEGMENTS_MAX) are recorded in req->error
 * for the dispatcher to answer, never fatal. req needs no initialisation; free with
 * http_request_done(). */
void http_request_init(Request *req, const char *method, const char *raw_path);
/* Add one raw query argument (raw_value NULL for a bare key), '+' and percent-decoded. Too long,
 * too many, duplicate or malformed arguments are recorded in req->error. */
void http_request_add_arg(Request *req, const char *raw_key, const char *raw_value);
/* Free what http_request_init()/http_request_add_arg() allocated; req is zeroed. */
void http_request_done(Request *req);
/* The decoded value of query argument key ("" for a bare key), or NULL. Borrowed from req. */
const char *http_request_arg(const Request *req, const char *key);

/* Answer later. A handler that must wait for something (another server, over the event loop)
 * calls this instead of filling resp and keeps the handle; later, from the event loop, it fills
 * http_deferred_response(d) (status 200 and an empty body at first) and calls
 * http_deferred_finish(d) exactly once. Meanwhile the connection is suspended (it waits without
 * timeout: the handler must bound its own wait). Returns NULL when the caller cannot wait
 * (http_dispatch() called without a server, as tests do): then answer in resp at once. Handles
 * still open when the server is freed are answered 503 and die with it: drop them first. */
HttpDeferred *http_response_defer(Response *resp);
/* The Response a deferred handler fills (implemented by the server, http-server.c). */
Response *http_deferred_response(HttpDeferred *d);
/* Send the deferred response; d is invalid afterwards. */
void http_deferred_finish(HttpDeferred *d);
/* The decoded value of field key in an application/x-www-form-urlencoded body of len bytes
 * (a login form), in a buffer the caller wipes and frees; -ENOENT when absent, -EINVAL when
 * malformed (bad percent-encoding, %00). */
int http_form_value(const char *body, size_t len, const char *key, char **ret);

/* Forget everything (status, headers, body) but keep the body's memory for the next request. */
void http_response_reset(Response *resp);
/* Free everything resp holds; it may be reused after http_response_reset() only. */
void http_response_done(Response *resp);
/* Replace resp's body with an error in format f ({"error": msg}, an HTML page or a text line)
 * and set its status and content type. msg is static text, never client input. */
void http_respond_error(Response *resp, HttpFormat f, unsigned status, const char *msg);
