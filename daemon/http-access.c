/* SPDX-License-Identifier: MIT */
/* Access control: the Host header check against DNS rebinding and the bearer token. Must never
 * log what a client sent, nor leak the token through timing (bearer_matches()). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <inttypes.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/types.h>

#include "http-access.h"
#include "util.h"

/* The length of the name part of a Host header ("name", "name:port", "[v6]", "[v6]:port"), or
 * -EINVAL when it is none of those. */
static int host_name_len(const char *host, size_t *ret) {
        size_t n = strnlen(host, HTTP_HOST_MAX + 1);
        const char *end;

        if (n == 0 || n > HTTP_HOST_MAX)
                return -EINVAL;
        if (host[0] == '[') {
                end = strchr(host, ']');
                if (!end)
                        return -EINVAL;
                end++;
        } else {
                end = host + strcspn(host, ":");
        }
        if (end == host)
                return -EINVAL;
        if (*end == ':') {
                size_t digits = strspn(end + 1, "0123456789");
                if (digits > 5 || end[1 + digits] != 0)
                        return -EINVAL;
        } else if (*end != 0) {
                return -EINVAL;
        }
        *ret = (size_t) (end - host);
        return 0;
}

bool http_host_is_loopback(const char *host) {
        char name[INET6_ADDRSTRLEN + 2];
        struct in6_addr a6;
        struct in_addr a4;
        size_t n;

        if (!host || host_name_len(host, &n) < 0)
                return false;
        if (n == strlen("localhost") && strncasecmp(host, "localhost", n) == 0)
                return true;
        if (n >= sizeof name)
                return false;
        if (host[0] == '[') {
                memcpy(name, host + 1, n - 2);
                name[n - 2] = 0;
                if (inet_pton(AF_INET6, name, &a6) != 1)
                        return false;
                return IN6_IS_ADDR_LOOPBACK(&a6) ||
                       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
        }
        memcpy(name, host, n);
        name[n] = 0;
        /* inet_pton() takes dotted quads only: no "0x7f.1" or "2130706433" */
        return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static bool host_allowed(const HttpAccess *a, const char *host) {
        size_t n;

        if (!a->allowed_hosts && !a->loopback_only)
                return true;
        /* No Host header: HTTP/1.0 from a script; browsers always send one (and MHD refuses
         * HTTP/1.1 without it). */
        if (!host)
                return true;
        if (http_host_is_loopback(host))
                return true;
        if (host_name_len(host, &n) < 0)
                return false;
        for (char *const *h = a->allowed_hosts; h && *h; h++)
                if (streq(*h, "*") || (strlen(*h) == n && strncasecmp(*h, host, n) == 0))
                        return true;
        return false;
}

/* Is given the token? The comparison runs over HTTP_TOKEN_MAX bytes whatever the lengths and
 * has no early exit: its time tells nothing about the token, not even its length. Only a guess
 * longer than any token is refused at once. */
static bool token_matches(const char *token, const char *given) {
        size_t tlen = strlen(token), glen;
        unsigned diff;

        glen = strnlen(given, HTTP_TOKEN_MAX + 1);
        if (glen > HTTP_TOKEN_MAX)
                return false;
        diff = (unsigned) (tlen != glen);
        for (size_t i = 0; i < HTTP_TOKEN_MAX; i++) {
                /* masks instead of branches on the lengths */
                unsigned char mt = (unsigned char) -(unsigned char) (i < tlen);
                unsigned char mg = (unsigned char) -(unsigned char) (i < glen);
                unsigned char t = (unsigned char) token[i < tlen ? i : 0] & mt;
                unsigned char g = (unsigned char) given[i < glen ? i : 0] & mg;
                diff |= (unsigned) (t ^ g);
        }
        return diff == 0;
}

/* Does authorization ("Bearer <token>") carry token? */
static bool bearer_matches(const char *token, const char *authorization) {
        const char *given;

        if (strncasecmp(authorization, "Bearer ", 7) != 0)
                return false;
        given = authorization + 7;
        given += strspn(given, " ");
        return token_matches(token, given);
}

/* ---- failed logins ---- */

static bool window_live(const HttpLoginFailures *f, uint64_t now) {
        return f->peer_len > 0 && now < f->window_usec + HTTP_LOGIN_WINDOW_USEC;
}

/* The slot of peer, or -1. */
static ssize_t failures_index(const HttpLoginLimit *l, const unsigned char *peer,
                              size_t peer_len) {
        if (!l || peer_len == 0 || peer_len > HTTP_PEER_KEY_MAX)
                return -1;
        for (size_t i = 0; i < HTTP_LOGIN_LIMIT_SLOTS; i++) {
                const HttpLoginFailures *f = &l->slots[i];
                if (f->peer_len == peer_len && memcmp(f->peer, peer, peer_len) == 0)
                        return (ssize_t) i;
        }
        return -1;
}

bool http_peer_is_loopback(const unsigned char *peer, size_t peer_len) {
        static const unsigned char zero[HTTP_PEER_KEY_MAX] = {};

        if (peer_len == 4)
                return peer[0] == 127;
        return peer_len == HTTP_PEER_KEY_MAX && memcmp(peer, zero, peer_len) == 0;
}

unsigned http_login_retry_after(const HttpLoginLimit *l, const unsigned char *peer,
                                size_t peer_len, uint64_t now_usec) {
        ssize_t i = failures_index(l, peer, peer_len);
        const HttpLoginFailures *f = i >= 0 ? &l->slots[i] : NULL;
        uint64_t end;

        if (!f || !window_live(f, now_usec) || f->failures < HTTP_LOGIN_FAILURES_MAX)
                return 0;
        end = f->window_usec + HTTP_LOGIN_WINDOW_USEC;
        return (unsigned) ((end - now_usec + 999999) / 1000000);
}

void http_login_failed(HttpLoginLimit *l, const unsigned char *peer, size_t peer_len,
                       uint64_t now_usec) {
        ssize_t i = failures_index(l, peer, peer_len);
        HttpLoginFailures *f = i >= 0 ? &l->slots[i] : NULL;

        if (!l || peer_len == 0 || peer_len > HTTP_PEER_KEY_MAX)
                return;
        if (!f) {
                /* a free slot or an expired window, else the oldest window */
                f = &l->slots[0];
                for (size_t k = 0; k < HTTP_LOGIN_LIMIT_SLOTS; k++) {
                        HttpLoginFailures *c = &l->slots[k];
                        if (!window_live(c, now_usec)) {
                                f = c;
                                break;
                        }
                        if (c->window_usec < f->window_usec)
                                f = c;
                }
                *f = (HttpLoginFailures) { .peer_len = peer_len, .window_usec = now_usec };
                memcpy(f->peer, peer, peer_len);
        }
        if (!window_live(f, now_usec)) {
                f->failures = 0;
                f->window_usec = now_usec;
        }
        if (f->failures < HTTP_LOGIN_FAILURES_MAX && ++f->failures == HTTP_LOGIN_FAILURES_MAX)
                l->just_blocked = f;
}

/* 429 for a client over the limit (the token it sent is never looked at), loopback excepted. */
static bool login_refused(const HttpAccess *a, HttpFormat format, Response *resp) {
        unsigned retry = http_login_retry_after(a->login_limit, a->peer, a->peer_len,
                                                a->now_usec);
        if (retry == 0 || http_peer_is_loopback(a->peer, a->peer_len))
                return false;
        http_respond_error(resp, format, 429, "too many failed logins from this address: "
                                              "try again later (see Retry-After)");
        resp->retry_after = retry;
        return true;
}

static void login_failed(const HttpAccess *a) {
        http_login_failed(a->login_limit, a->peer, a->peer_len, a->now_usec);
}

/* ---- browser sessions ---- */

static int unhex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1; /* we write lower case only */
}

static const char *cookie_name(const HttpAccess *a) {
        /* __Host-: browsers only take it over HTTPS, for Path=/, without Domain (RFC 6265bis) */
        return a->secure ? "__Host-exposured" : "exposured";
}

/* The session id in a Cookie header ("a=b; exposured=<64 hex digits>; c=d"), or false. */
static bool cookie_session(const HttpAccess *a, const char *cookie,
                           unsigned char ret[HTTP_SESSION_ID_SIZE]) {
        const char *name = cookie_name(a);
        size_t nlen = strlen(name);

        for (const char *p = cookie; p && *p;) {
                p += strspn(p, " ;");
                if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
                        const char *v = p + nlen + 1;
                        for (size_t i = 0; i < HTTP_SESSION_ID_SIZE; i++) {
                                int hi = unhex_digit(v[2 * i]);
                                int lo = hi >= 0 ? unhex_digit(v[2 * i + 1]) : -1;
                                if (hi < 0 || lo < 0)
                                        return false;
                                ret[i] = (unsigned char) (hi * 16 + lo);
                        }
                        return v[2 * HTTP_SESSION_ID_SIZE] == 0 ||
                               v[2 * HTTP_SESSION_ID_SIZE] == ';';
                }
                p = strchr(p, ';');
        }
        return false;
}

/* The live slot holding id, or NULL. Every slot is compared in full (no early exit). */
static HttpSession *session_find(const HttpAccess *a, const unsigned char *id) {
        HttpSession *found = NULL;

        for (size_t i = 0; i < HTTP_SESSIONS_MAX; i++) {
                HttpSession *s = &a->sessions->slots[i];
                unsigned diff = 0;
                for (size_t k = 0; k < HTTP_SESSION_ID_SIZE; k++)
                        diff |= (unsigned) (s->id[k] ^ id[k]);
                if (diff == 0 && s->expires_usec > a->now_usec)
                        found = s;
        }
        return found;
}

static bool session_valid(const HttpAccess *a, const Request *req) {
        unsigned char id[HTTP_SESSION_ID_SIZE];

        return a->sessions && req->cookie && cookie_session(a, req->cookie, id) &&
               session_find(a, id);
}

static bool wants_html(const Request *req) {
        return (req->method == HTTP_GET || req->method == HTTP_HEAD) && req->accept &&
               strstr(req->accept, "text/html");
}

bool http_access_check(const HttpAccess *a, const Request *req, Response *resp) {
        /* JSON errors whatever the path: the clients that get them are scripts and scrapers, or
         * an attacker. */
        if (!host_allowed(a, req->host)) {
                http_respond_error(resp, HTTP_FORMAT_JSON, 421,
                                   "Host not allowed: use localhost or an address in "
                                   "allowed_hosts (DNS-rebinding defence)");
                return false;
        }
        if (a->token && !req->authorization && session_valid(a, req))
                return true;
        if (a->token && !req->authorization && a->sessions && wants_html(req)) {
                resp->status = 303;
                resp->location = xstrdup(HTTP_LOGIN_PATH);
                resp->content_type = HTTP_CT_TEXT;
                buf_puts(&resp->body, "Log in at " HTTP_LOGIN_PATH "\n");
                return false;
        }
        if (a->token && !req->authorization) {
                http_respond_error(resp, HTTP_FORMAT_JSON, 401,
                                   "authorization required: Bearer token");
                resp->www_authenticate = "Bearer realm=\"exposured\"";
                return false;
        }
        if (a->token && login_refused(a, HTTP_FORMAT_JSON, resp))
                return false;
        if (a->token && !bearer_matches(a->token, req->authorization)) {
                login_failed(a);
                http_respond_error(resp, HTTP_FORMAT_JSON, 401, "invalid token");
                resp->www_authenticate = "Bearer realm=\"exposured\", error=\"invalid_token\"";
                return false;
        }
        return true;
}

/* ---- the login pages ---- */

/* Static pages, no client input in them: the form posts the token once; the cookie does the
 * rest. No style or script (the CSP forbids inline ones, and /static/ needs the session). */
#define PAGE_HEAD                                                                              \
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"                    \
        "<meta name=\"viewport\" content=\"width=device-width\">"                               \
        "<link rel=\"icon\" href=\"data:,\">" /* no /favicon.ico 401 before the login */         \
        "<title>exposured: log in</title></head>\n<body><main><h1>exposured</h1>\n"
#define PAGE_FORM                                                                              \
        "<form method=\"post\" action=\"" HTTP_LOGIN_PATH "\">"                                 \
        "<label for=\"token\">Access token</label> "                                          \
        "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" " \
        "required autofocus> <button id=\"login\" type=\"submit\">Log in</button></form>\n"
#define PAGE_TAIL "</main></body></html>\n"

static const char page_login[] = PAGE_HEAD PAGE_FORM PAGE_TAIL;
static const char page_wrong[] =
        PAGE_HEAD "<p id=\"error\" role=\"alert\">Wrong token.</p>\n" PAGE_FORM PAGE_TAIL;
static const char page_in[] =
        PAGE_HEAD "<p>You are logged in. <a id=\"dashboard\" href=\"/\">Dashboard</a></p>\n"
        "<form method=\"post\" action=\"" HTTP_LOGOUT_PATH "\">"
        "<button id=\"logout\" type=\"submit\">Log out</button></form>\n" PAGE_TAIL;

bool http_access_is_login_path(const char *path) {
        return path && (streq(path, HTTP_LOGIN_PATH) || streq(path, HTTP_LOGOUT_PATH));
}

static void page(Response *resp, unsigned status, const char *html, size_t size) {
        resp->status = status;
        resp->content_type = HTTP_CT_HTML;
        resp->static_body = html;
        resp->static_size = size;
}

static void redirect(Response *resp, const char *to) {
        resp->status = 303;
        resp->location = xstrdup(to);
        resp->content_type = HTTP_CT_TEXT;
        buf_puts(&resp->body, to);
        buf_putc(&resp->body, '\n');
}

/* Is this POST from one of our own pages? Browsers say so in Sec-Fetch-Site ("same-origin";
 * "none": typed by the user). Without it, the Origin must be ours (scheme://Host); with our
 * Referrer-Policy: no-referrer, browsers send "Origin: null", which tells nothing. Neither
 * (old browsers, curl) passes: the cookie is SameSite=Strict anyway, and logging someone in
 * needs the token. */
static bool same_origin(const HttpAccess *a, const Request *req) {
        const char *o = req->origin;

        if (req->fetch_site)
                return streq(req->fetch_site, "same-origin") || streq(req->fetch_site, "none");
        if (!o || streq(o, "null"))
                return true;
        if (!req->host)
                return false;
        if (!startswith(o, a->secure ? "https://" : "http://"))
                return false;
        o += a->secure ? 8 : 7;
        return strcasecmp(o, req->host) == 0;
}

static void set_cookie(const HttpAccess *a, Response *resp, const char *value, uint64_t max_age) {
        Buf b = {};

        buf_printf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%" PRIu64 "%s",
                   cookie_name(a), value, max_age, a->secure ? "; Secure" : "");
        free(resp->set_cookie);
        resp->set_cookie = buf_steal(&b);
}

void http_access_login(const HttpAccess *a, const Request *req, bool post, const char *body,
                       size_t body_len, const unsigned char fresh_id[HTTP_SESSION_ID_SIZE],
                       Response *resp) {
        unsigned char id[HTTP_SESSION_ID_SIZE];
        bool logout = streq(req->path, HTTP_LOGOUT_PATH);

        resp->status = 200;
        if (!host_allowed(a, req->host))
                return http_respond_error(resp, HTTP_FORMAT_HTML, 421,
                                          "Host not allowed: use localhost or an address in "
                                          "allowed_hosts (DNS-rebinding defence)");
        if (!a->token || !a->sessions)
                return http_respond_error(resp, HTTP_FORMAT_HTML, 404, "no such path");
        if (!post && (req->method == HTTP_OTHER || logout)) {
                http_respond_error(resp, HTTP_FORMAT_HTML, 405,
                                   logout ? "method not allowed: use POST" :
                                            "method not allowed: use GET, HEAD or POST");
                resp->allow = logout ? "POST" : "GET, HEAD, POST";
                return;
        }
        if (!post)
                return session_valid(a, req) ? page(resp, 200, page_in, sizeof page_in - 1) :
                                               page(resp, 200, page_login, sizeof page_login - 1);
        if (!same_origin(a, req))
                return http_respond_error(resp, HTTP_FORMAT_HTML, 403,
                                          "cross-site form refused");
        if (logout) {
                if (req->cookie && cookie_session(a, req->cookie, id)) {
                        HttpSession *s = session_find(a, id);
                        if (s)
                                *s = (HttpSession) {};
                }
                set_cookie(a, resp, "", 0);
                return redirect(resp, HTTP_LOGIN_PATH);
        }

        if (login_refused(a, HTTP_FORMAT_HTML, resp))
                return;
        char *given = NULL;
        bool ok = http_form_value(body, body_len, "token", &given) >= 0 &&
                  token_matches(a->token, given);
        if (given) {
                explicit_bzero(given, strlen(given));
                free(given);
        }
        if (!ok) {
                login_failed(a);
                return page(resp, 401, page_wrong, sizeof page_wrong - 1);
        }

        /* a free or expired slot, else the one that expires first */
        HttpSession *slot = &a->sessions->slots[0];
        for (size_t i = 0; i < HTTP_SESSIONS_MAX; i++)
                if (a->sessions->slots[i].expires_usec < slot->expires_usec)
                        slot = &a->sessions->slots[i];
        memcpy(slot->id, fresh_id, HTTP_SESSION_ID_SIZE);
        slot->expires_usec = a->now_usec + HTTP_SESSION_USEC;

        char hex[2 * HTTP_SESSION_ID_SIZE + 1];
        for (size_t i = 0; i < HTTP_SESSION_ID_SIZE; i++) {
                hex[2 * i] = "0123456789abcdef"[fresh_id[i] >> 4];
                hex[2 * i + 1] = "0123456789abcdef"[fresh_id[i] & 15];
        }
        hex[sizeof hex - 1] = 0;
        set_cookie(a, resp, hex, HTTP_SESSION_USEC / 1000000);
        redirect(resp, "/");
}
