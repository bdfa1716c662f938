/* SPDX-License-Identifier: MIT */
/* Access control (docs/http.md), checked before routing for every path and method: first the
 * Host header (DNS-rebinding defence: a page on evil.example that rebinds its name to 127.0.0.1
 * still sends "Host: evil.example"), then the bearer token, compared in time that depends only
 * on HTTP_TOKEN_MAX, or a browser session made by the login page. Pure: no I/O, no logging; the
 * only state is the sessions table the caller owns. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "http-request.h"

#define HTTP_TOKEN_MAX 256  /* bytes of a bearer token; compared over this length */
#define HTTP_HOST_MAX 300   /* longer Host headers are refused (421) */

/* Browser login (README "Logging in from a browser"): the token is typed once into /login and
 * exchanged for a random session id in an HttpOnly, SameSite=Strict cookie (Secure and named
 * __Host-exposured under TLS). Sessions live in memory only: a restart logs everyone out, and
 * /logout revokes one at once. */
#define HTTP_LOGIN_PATH "/login"
#define HTTP_LOGOUT_PATH "/logout"
#define HTTP_SESSIONS_MAX 64                            /* more logins replace the oldest */
#define HTTP_SESSION_USEC (UINT64_C(12) * 3600 * 1000000) /* absolute lifetime: 12 h */
#define HTTP_SESSION_ID_SIZE 32                         /* random bytes, 64 hex digits */
#define HTTP_LOGIN_BODY_MAX 1024                        /* a login form's body */

typedef struct HttpSession {
        unsigned char id[HTTP_SESSION_ID_SIZE];
        uint64_t expires_usec;                          /* CLOCK_MONOTONIC; 0: free slot */
} HttpSession;

typedef struct HttpSessions {
        HttpSession slots[HTTP_SESSIONS_MAX];
} HttpSessions;

typedef struct HttpAccess {
        const char *token;          /* bearer token every request must carry (1 to
                                     * HTTP_TOKEN_MAX bytes, borrowed), or NULL: no token */
        char *const *allowed_hosts; /* Host names (lower case, without port; "*" = any) accepted
                                     * besides loopback ones (strv, borrowed), or NULL: auto */
        bool loopback_only;         /* with allowed_hosts NULL: accept only loopback Host names
                                     * (http_server_new() sets it per connection: whether it
                                     * arrived on a loopback address) */
        HttpSessions *sessions;     /* browser sessions (with a token), or NULL: no login */
        bool secure;                /* TLS: the session cookie is Secure and __Host- */
        uint64_t now_usec;          /* CLOCK_MONOTONIC of the request, for session expiry */
} HttpAccess;

/* Is host (a Host header: name or address, optional :port) a loopback name: localhost,
 * 127.0.0.0/8, [::1] or [::ffff:127.x.y.z]? Pure. */
bool http_host_is_loopback(const char *host);

/* May req be answered under a? true: go on routing. false: resp (reset by the caller) now holds
 * the refusal: 421 for a Host not allowed; with a token, a request that carries neither the
 * bearer token nor a live session cookie gets 401 with WWW-Authenticate (JSON), or, from a
 * browser (a GET or HEAD accepting text/html) when logins are on, 303 to HTTP_LOGIN_PATH.
 * Pure. */
bool http_access_check(const HttpAccess *a, const Request *req, Response *resp);

/* Is path HTTP_LOGIN_PATH or HTTP_LOGOUT_PATH (answered by http_access_login())? */
bool http_access_is_login_path(const char *path);

/* Answer the login pages under a (a->sessions set): GET /login (the form, or "logged in" with a
 * logout button), POST /login with form body (token=...: right -> a new session with id
 * fresh_id, its cookie and 303 to /; wrong -> 401 and the form again), POST /logout (the
 * session revoked, the cookie cleared, 303 to /login). The Host check applies; a POST whose
 * Origin is not this Host gets 403 (cross-site forms). Other methods get 405. Pure but for
 * the sessions table it updates. */
void http_access_login(const HttpAccess *a, const Request *req, bool post, const char *body,
                       size_t body_len, const unsigned char fresh_id[HTTP_SESSION_ID_SIZE],
                       Response *resp);
