/* SPDX-License-Identifier: MIT */
/* Access control: the Host header check against DNS rebinding and the bearer token. Must never
 * log what a client sent, nor leak the token through timing (bearer_matches()). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

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

/* Does authorization ("Bearer <token>") carry token? The comparison runs over HTTP_TOKEN_MAX
 * bytes whatever the lengths and has no early exit: its time tells nothing about the token, not
 * even its length. Only a header longer than any token is refused at once. */
static bool bearer_matches(const char *token, const char *authorization) {
        size_t tlen = strlen(token), glen;
        const char *given;
        unsigned diff;

        if (strncasecmp(authorization, "Bearer ", 7) != 0)
                return false;
        given = authorization + 7;
        given += strspn(given, " ");
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

bool http_access_check(const HttpAccess *a, const Request *req, Response *resp) {
        /* JSON errors whatever the path: the clients that get them are scripts and scrapers, or
         * an attacker. */
        if (!host_allowed(a, req->host)) {
                http_respond_error(resp, HTTP_FORMAT_JSON, 421,
                                   "Host not allowed: use localhost or an address in "
                                   "allowed_hosts (DNS-rebinding defence)");
                return false;
        }
        if (a->token && !req->authorization) {
                http_respond_error(resp, HTTP_FORMAT_JSON, 401,
                                   "authorization required: Bearer token");
                resp->www_authenticate = "Bearer realm=\"exposured\"";
                return false;
        }
        if (a->token && !bearer_matches(a->token, req->authorization)) {
                http_respond_error(resp, HTTP_FORMAT_JSON, 401, "invalid token");
                resp->www_authenticate = "Bearer realm=\"exposured\", error=\"invalid_token\"";
                return false;
        }
        return true;
}
