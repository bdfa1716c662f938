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

/* Failed logins (README "Failed logins"): a wrong token, typed into /login or sent as a bearer
 * token, counts against the client's address (IPv4, or the /64 of IPv6, as the connection
 * limits count). After HTTP_LOGIN_FAILURES_MAX failures within HTTP_LOGIN_WINDOW_USEC of the
 * first, every request from that address that carries a token or a login form is answered 429
 * with Retry-After until the window ends, without looking at the token (a limit that still said
 * "right" would still answer guesses). A live session cookie is never refused. Loopback clients
 * (127.0.0.0/8, ::1) are counted but never refused: every local user and the host's own
 * scrapers share that address, so refusing it would let any local user lock the host's
 * Prometheus out (or one misconfigured scrape job the right one); the server logs them all the
 * same. Connections with no address (a proxy on AF_UNIX) are not counted: the proxy must
 * limit. At most
 * HTTP_LOGIN_LIMIT_SLOTS addresses are tracked; a new one replaces an expired window, else the
 * oldest. */
#define HTTP_LOGIN_FAILURES_MAX 5
#define HTTP_LOGIN_WINDOW_USEC (UINT64_C(60) * 1000000)
#define HTTP_LOGIN_LIMIT_SLOTS 256
#define HTTP_PEER_KEY_MAX 8

typedef struct HttpLoginFailures {
        unsigned char peer[HTTP_PEER_KEY_MAX];
        size_t peer_len;            /* 0: free slot */
        unsigned failures;          /* in the current window */
        uint64_t window_usec;       /* CLOCK_MONOTONIC of the window's first failure */
} HttpLoginFailures;

typedef struct HttpLoginLimit {
        HttpLoginFailures slots[HTTP_LOGIN_LIMIT_SLOTS];
        /* Set when an address reaches the limit (once per window): the caller logs it and
         * clears it. */
        const HttpLoginFailures *just_blocked;
} HttpLoginLimit;

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
        HttpLoginLimit *login_limit;/* failed logins per address (with a token), or NULL */
        const unsigned char *peer;  /* the client's address key (as HttpLoginFailures.peer) */
        size_t peer_len;            /* 0: unknown (not counted) */
} HttpAccess;

/* Is host (a Host header: name or address, optional :port) a loopback name: localhost,
 * 127.0.0.0/8, [::1] or [::ffff:127.x.y.z]? Pure. */
bool http_host_is_loopback(const char *host);

/* May req be answered under a? true: go on routing. false: resp (reset by the caller) now holds
 * the refusal: 421 for a Host not allowed; with a token, a request that carries neither the
 * bearer token nor a live session cookie gets 401 with WWW-Authenticate (JSON), or, from a
 * browser (a GET or HEAD accepting text/html) when logins are on, 303 to HTTP_LOGIN_PATH; a
 * wrong bearer token counts as a failed login, and an address over the limit gets 429 with
 * Retry-After. Pure but for the login limit table it updates. */
bool http_access_check(const HttpAccess *a, const Request *req, Response *resp);

/* Is peer (a key as HttpLoginFailures.peer) 127.0.0.0/8 or ::1 (its /64, ::/64)? Pure. */
bool http_peer_is_loopback(const unsigned char *peer, size_t peer_len);
/* Seconds until peer (a key of peer_len bytes) is past its failed-login window at now_usec, 0
 * when it is not over the limit (loopback peers included: the caller decides). Pure. */
unsigned http_login_retry_after(const HttpLoginLimit *l, const unsigned char *peer,
                                size_t peer_len, uint64_t now_usec);
/* Count a failed login of peer at now_usec (no-op for peer_len 0 or over HTTP_PEER_KEY_MAX);
 * sets l->just_blocked when this failure reaches the limit. */
void http_login_failed(HttpLoginLimit *l, const unsigned char *peer, size_t peer_len,
                       uint64_t now_usec);

/* Is path HTTP_LOGIN_PATH or HTTP_LOGOUT_PATH (answered by http_access_login())? */
bool http_access_is_login_path(const char *path);

/* Answer the login pages under a (a->sessions set): GET /login (the form, or "logged in" with a
 * logout button), POST /login with form body (token=...: right -> a new session with id
 * fresh_id, its cookie and 303 to /; wrong -> 401 and the form again, counted as a failed login;
 * over the limit -> 429 with Retry-After, the token unread), POST /logout (the
 * session revoked, the cookie cleared, 303 to /login). The Host check applies; a POST whose
 * Origin is not this Host gets 403 (cross-site forms). Other methods get 405. Pure but for
 * the sessions table it updates. */
void http_access_login(const HttpAccess *a, const Request *req, bool post, const char *body,
                       size_t body_len, const unsigned char fresh_id[HTTP_SESSION_ID_SIZE],
                       Response *resp);
