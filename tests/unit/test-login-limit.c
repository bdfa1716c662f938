/* SPDX-License-Identifier: MIT */
/* Failed-login limits (http-access.h): per address, a window, 429 with Retry-After without
 * looking at the token, sessions still honoured, one "just blocked" per window, a bounded table.
 * Pure: the access functions and the dispatcher, no socket (test_login.py drives the daemon). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http-fixture.h"
#include "http-routes.h"
#include "util.h"

#define TOKEN "s3cret-token-for-tests"
#define SEC UINT64_C(1000000)

static const unsigned char addr_a[4] = { 192, 0, 2, 1 }, addr_b[4] = { 192, 0, 2, 2 };

/* A bearer request through the dispatcher, or a login form (path /login, body). */
static unsigned req(HttpAccess *a, HttpContext *ctx, const char *path, const char *auth,
                    const char *cookie, const char *body, Response *resp) {
        unsigned char fresh[HTTP_SESSION_ID_SIZE];
        Request r;

        memset(fresh, 0x5a, sizeof fresh);
        http_response_done(resp);
        *resp = (Response) {};
        http_request_init(&r, body ? "POST" : "GET", path);
        r.host = "localhost";
        r.authorization = auth;
        r.cookie = cookie;
        r.accept = cookie || body ? "text/html" : NULL;
        if (body)
                http_access_login(a, &r, true, body, strlen(body), fresh, resp);
        else
                http_dispatch(&http_host_routes, a, ctx, &r, resp);
        http_request_done(&r);
        return resp->status;
}

static void test_bearer_limit(void **state) {
        State *s = fixture_state_new(2, false);
        HttpContext ctx = { .state = s };
        HttpLoginLimit limit = {};
        HttpSessions sessions = {};
        HttpAccess a = { .token = TOKEN, .sessions = &sessions, .login_limit = &limit,
                         .peer = addr_a, .peer_len = 4, .now_usec = 1000 * SEC };
        HttpAccess b = a;
        Response resp = {};
        char cookie[128];

        (void) state;
        b.peer = addr_b;
        /* a session first, to see it survive the block */
        assert_int_equal(req(&a, &ctx, "/login", NULL, NULL, "token=" TOKEN, &resp), 303);
        (void) snprintf(cookie, sizeof cookie, "%.*s", (int) strcspn(resp.set_cookie, ";"),
                        resp.set_cookie);

        for (unsigned i = 0; i < HTTP_LOGIN_FAILURES_MAX; i++) {
                assert_int_equal(req(&a, &ctx, "/metrics", "Bearer wrong", NULL, NULL, &resp),
                                 401);
                if (i + 1 < HTTP_LOGIN_FAILURES_MAX)
                        assert_null(limit.just_blocked);
        }
        assert_non_null(limit.just_blocked);
        assert_memory_equal(limit.just_blocked->peer, addr_a, 4);
        limit.just_blocked = NULL;

        /* over the limit: 429, even with the right token (it is not looked at) */
        assert_int_equal(req(&a, &ctx, "/metrics", "Bearer wrong", NULL, NULL, &resp), 429);
        assert_int_equal(resp.retry_after, 60);
        assert_non_null(strstr(resp.body.data, "too many failed logins"));
        assert_int_equal(req(&a, &ctx, "/metrics", "Bearer " TOKEN, NULL, NULL, &resp), 429);
        assert_int_equal(req(&a, &ctx, "/login", NULL, NULL, "token=" TOKEN, &resp), 429);
        assert_int_equal(resp.retry_after, 60);
        assert_string_equal(resp.content_type, "text/html; charset=utf-8");
        assert_null(resp.set_cookie);
        assert_null(limit.just_blocked); /* logged once per window, not per refusal */
        /* no credentials at all is no guess: the usual 401 */
        assert_int_equal(req(&a, &ctx, "/metrics", NULL, NULL, NULL, &resp), 401);
        /* a live session is never refused */
        assert_int_equal(req(&a, &ctx, "/", NULL, cookie, NULL, &resp), 200);
        /* another address is not affected */
        assert_int_equal(req(&b, &ctx, "/metrics", "Bearer " TOKEN, NULL, NULL, &resp), 200);

        /* Retry-After counts down, rounded up; the window's end lets it in again */
        a.now_usec += 30 * SEC + 1;
        assert_int_equal(req(&a, &ctx, "/metrics", "Bearer " TOKEN, NULL, NULL, &resp), 429);
        assert_int_equal(resp.retry_after, 30);
        a.now_usec += 30 * SEC;
        assert_int_equal(req(&a, &ctx, "/metrics", "Bearer " TOKEN, NULL, NULL, &resp), 200);
        /* and a new window starts with the next failure */
        assert_int_equal(req(&a, &ctx, "/metrics", "Bearer wrong", NULL, NULL, &resp), 401);
        assert_int_equal(http_login_retry_after(&limit, addr_a, 4, a.now_usec), 0);

        http_response_done(&resp);
        fixture_state_free(s);
}

/* Wrong login forms count like wrong bearer tokens, against the same address. */
static void test_form_limit(void **state) {
        HttpLoginLimit limit = {};
        HttpSessions sessions = {};
        HttpAccess a = { .token = TOKEN, .sessions = &sessions, .login_limit = &limit,
                         .peer = addr_a, .peer_len = 4, .now_usec = 5 * SEC };
        Response resp = {};

        (void) state;
        for (unsigned i = 0; i < HTTP_LOGIN_FAILURES_MAX; i++)
                assert_int_equal(req(&a, NULL, "/login", NULL, NULL, "token=guess", &resp), 401);
        assert_int_equal(req(&a, NULL, "/login", NULL, NULL, "token=" TOKEN, &resp), 429);
        assert_int_equal(http_login_retry_after(&limit, addr_a, 4, a.now_usec), 60);
        http_response_done(&resp);
}

/* The table is bounded; addresses beyond it replace expired windows, then the oldest; an unknown
 * address (peer_len 0: AF_UNIX behind a proxy) is never counted. */
static void test_table_bound(void **state) {
        HttpLoginLimit limit = {};
        unsigned char key[4] = { 10, 0, 0, 0 };
        uint64_t t = 100 * SEC;

        (void) state;
        for (unsigned i = 0; i < HTTP_LOGIN_LIMIT_SLOTS + 10; i++) {
                key[2] = (unsigned char) (i >> 8);
                key[3] = (unsigned char) i;
                for (unsigned k = 0; k < HTTP_LOGIN_FAILURES_MAX; k++)
                        http_login_failed(&limit, key, 4, t + i);
                assert_true(http_login_retry_after(&limit, key, 4, t + i) > 0);
        }
        /* the first ten were the oldest: replaced */
        key[2] = 0;
        key[3] = 0;
        assert_int_equal(http_login_retry_after(&limit, key, 4, t + 1000), 0);
        key[3] = 10;
        assert_true(http_login_retry_after(&limit, key, 4, t + 1000) > 0);

        for (unsigned k = 0; k < 2 * HTTP_LOGIN_FAILURES_MAX; k++)
                http_login_failed(&limit, NULL, 0, t);
        assert_int_equal(http_login_retry_after(&limit, NULL, 0, t), 0);
        /* without a table nothing is counted or refused */
        http_login_failed(NULL, key, 4, t);
        assert_int_equal(http_login_retry_after(NULL, key, 4, t), 0);
}

/* Loopback is counted (just_blocked, for the log) but never refused. */
static void test_loopback(void **state) {
        static const unsigned char lo4[4] = { 127, 0, 0, 1 }, lo6[8] = {},
                                   v6[8] = { 0x20, 0x01, 0x0d, 0xb8 };
        State *s = fixture_state_new(1, false);
        HttpContext ctx = { .state = s };
        HttpLoginLimit limit = {};
        HttpAccess a = { .token = TOKEN, .login_limit = &limit, .peer = lo4, .peer_len = 4,
                         .now_usec = 10 * SEC };
        Response resp = {};

        (void) state;
        assert_true(http_peer_is_loopback(lo4, 4));
        assert_true(http_peer_is_loopback(lo6, 8));
        assert_false(http_peer_is_loopback(addr_a, 4));
        assert_false(http_peer_is_loopback(v6, 8));
        for (unsigned i = 0; i < 2 * HTTP_LOGIN_FAILURES_MAX; i++)
                assert_int_equal(req(&a, &ctx, "/metrics", "Bearer wrong", NULL, NULL, &resp),
                                 401);
        assert_non_null(limit.just_blocked);
        assert_int_equal(req(&a, &ctx, "/metrics", "Bearer " TOKEN, NULL, NULL, &resp), 200);
        http_response_done(&resp);
        fixture_state_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bearer_limit),
                cmocka_unit_test(test_form_limit),
                cmocka_unit_test(test_table_bound),
                cmocka_unit_test(test_loopback),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
