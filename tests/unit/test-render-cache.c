/* SPDX-License-Identifier: MIT */
/* The render cache: generations, expiry, LRU and the byte budget (render-cache.c), and the host
 * routes answering from it (http-routes.c): one render per State generation, the same shared
 * body for every request of it, a fresh render after any change a reader can see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http-fixture.h"
#include "http-routes.h"
#include "render-cache.h"
#include "util.h"

static HttpBody *body_of(const char *text) {
        Buf b = {};
        buf_puts(&b, text);
        return http_body_new(&b);
}

static void test_generation_and_expiry(void **state) {
        RenderCache c = {};
        HttpBody *b = body_of("hello");
        const RenderCacheEntry *e;

        (void) state;
        assert_null(render_cache_get(&c, "k", 1, 0));
        assert_int_equal(render_cache_put(&c, "k", 1, 0, "text/plain", b), 1);
        assert_int_equal(b->refs, 2);
        e = render_cache_get(&c, "k", 1, 123);
        assert_non_null(e);
        assert_ptr_equal(e->body, b);
        assert_string_equal(e->content_type, "text/plain");
        /* another generation: a miss, and the stale entry is dropped */
        assert_null(render_cache_get(&c, "k", 2, 123));
        assert_int_equal(b->refs, 1);
        assert_int_equal(c.bytes, 0);

        /* expiry */
        assert_int_equal(render_cache_put(&c, "k", 2, 1000, "text/plain", b), 1);
        assert_non_null(render_cache_get(&c, "k", 2, 999));
        assert_null(render_cache_get(&c, "k", 2, 1000));
        assert_int_equal(c.hits, 2);
        assert_int_equal(c.misses, 3);

        /* replacing a key drops the old body's reference */
        assert_int_equal(render_cache_put(&c, "k", 3, 0, "a", b), 1);
        HttpBody *b2 = body_of("other");
        assert_int_equal(render_cache_put(&c, "k", 3, 0, "b", b2), 1);
        assert_int_equal(b->refs, 1);
        assert_ptr_equal(render_cache_get(&c, "k", 3, 0)->body, b2);
        render_cache_done(&c);
        assert_int_equal(b2->refs, 1);
        http_body_unref(b);
        http_body_unref(b2);
}

static void test_lru_and_bounds(void **state) {
        RenderCache c = {};
        HttpBody *bodies[RENDER_CACHE_SLOTS + 1];
        char key[16], longkey[RENDER_CACHE_KEY_MAX + 1];

        (void) state;
        for (size_t i = 0; i <= RENDER_CACHE_SLOTS; i++) {
                bodies[i] = body_of("x");
                (void) snprintf(key, sizeof key, "k%zu", i);
                assert_int_equal(render_cache_put(&c, key, 1, 0, "t", bodies[i]), 1);
                if (i == 0)
                        continue;
                /* keep k0 the most recently used: k1 is then the oldest */
                assert_non_null(render_cache_get(&c, "k0", 1, 0));
        }
        /* RENDER_CACHE_SLOTS + 1 keys: the least recently used (k1) went */
        assert_null(render_cache_get(&c, "k1", 1, 0));
        assert_int_equal(bodies[1]->refs, 1);
        assert_non_null(render_cache_get(&c, "k0", 1, 0));
        (void) snprintf(key, sizeof key, "k%d", RENDER_CACHE_SLOTS);
        assert_non_null(render_cache_get(&c, key, 1, 0));

        /* a key too long is not cached */
        memset(longkey, 'a', sizeof longkey - 1);
        longkey[sizeof longkey - 1] = 0;
        assert_int_equal(render_cache_put(&c, longkey, 1, 0, "t", bodies[1]), 0);
        assert_int_equal(bodies[1]->refs, 1);
        render_cache_done(&c);
        for (size_t i = 0; i <= RENDER_CACHE_SLOTS; i++) {
                assert_int_equal(bodies[i]->refs, 1);
                http_body_unref(bodies[i]);
        }
}

/* A body of n bytes of c (one allocation: valgrind runs this test too). */
static HttpBody *body_sized(size_t n, char c) {
        Buf b = { .data = xmalloc(n + 1), .len = n, .cap = n + 1 };

        memset(b.data, c, n);
        b.data[n] = 0;
        return http_body_new(&b);
}

/* The byte budget: two bodies of more than half of it cannot both stay. */
static void test_byte_budget(void **state) {
        RenderCache c = {};
        HttpBody *big1, *big2, *huge;

        (void) state;
        big1 = body_sized(RENDER_CACHE_BYTES_MAX / 2 + 1, 'a');
        big2 = body_sized(RENDER_CACHE_BYTES_MAX / 2 + 1, 'b');
        assert_int_equal(render_cache_put(&c, "one", 1, 0, "t", big1), 1);
        assert_int_equal(render_cache_put(&c, "two", 1, 0, "t", big2), 1);
        assert_true(c.bytes <= RENDER_CACHE_BYTES_MAX);
        assert_null(render_cache_get(&c, "one", 1, 0));
        assert_non_null(render_cache_get(&c, "two", 1, 0));
        assert_int_equal(big1->refs, 1);

        huge = body_sized(RENDER_CACHE_BYTES_MAX + 1, 'c');
        assert_int_equal(render_cache_put(&c, "huge", 1, 0, "t", huge), 0);
        assert_int_equal(huge->refs, 1);
        render_cache_done(&c);
        http_body_unref(big1);
        http_body_unref(big2);
        http_body_unref(huge);
}

/* path may end in one "?key=value" */
static void request(HttpContext *ctx, const char *path, const char *accept, Response *resp) {
        char p[256], *q, *eq;
        Request req;

        (void) snprintf(p, sizeof p, "%s", path);
        q = strchr(p, '?');
        if (q)
                *q++ = 0;
        http_request_init(&req, "GET", p);
        if (q) {
                eq = strchr(q, '=');
                assert_non_null(eq);
                *eq = 0;
                http_request_add_arg(&req, q, eq + 1);
        }
        req.accept = accept;
        http_response_reset(resp);
        http_dispatch(&http_host_routes, &(HttpAccess) {}, ctx, &req, resp);
        http_request_done(&req);
}

/* The routes with a cache: /metrics is rendered once per generation and every request of it
 * gets the same body; any State change (state_put) renders again; formats are separate. */
static void test_routes_cached(void **state) {
        State *s = fixture_state_new(20, false);
        RenderCache cache = {};
        HttpContext ctx = { .state = s, .cache = &cache, .render = { .version = "t" } };
        Response r1 = {}, r2 = {}, r3 = {};
        HttpBody *first;

        (void) state;
        request(&ctx, "/metrics", NULL, &r1);
        assert_int_equal(r1.status, 200);
        assert_non_null(r1.shared);
        assert_string_equal(r1.content_type, "text/plain; version=0.0.4; charset=utf-8");
        first = r1.shared;
        request(&ctx, "/metrics", NULL, &r2);
        assert_ptr_equal(r2.shared, first);   /* the same bytes, not a copy */
        assert_int_equal(first->refs, 3);     /* cache + two responses */
        assert_true(r2.vary_accept);
        assert_int_equal(cache.hits, 1);
        assert_int_equal(cache.misses, 1);

        /* OpenMetrics is another body */
        request(&ctx, "/metrics", "application/openmetrics-text", &r3);
        assert_ptr_not_equal(r3.shared, first);
        assert_non_null(strstr(r3.shared->data, "# EOF"));

        /* a unit changes: the next scrape renders the new State */
        UnitState *u = state_take(s, "svc-0003.service");
        assert_non_null(u);
        request(&ctx, "/metrics", NULL, &r2);
        assert_ptr_not_equal(r2.shared, first);
        assert_null(strstr(r2.shared->data, "svc-0003.service"));
        assert_non_null(strstr(first->data, "svc-0003.service"));
        assert_int_equal(first->refs, 1);     /* only r1 still sends the old one */
        (void) state_put(s, u);
        request(&ctx, "/metrics", NULL, &r2);
        assert_non_null(strstr(r2.shared->data, "svc-0003.service"));

        /* a change the manager signals itself (bus down) */
        request(&ctx, "/api/v1/units", NULL, &r2);
        assert_string_equal(r2.content_type, "application/json");
        request(&ctx, "/metrics", NULL, &r2);
        assert_non_null(strstr(r2.shared->data, "exposured_up 1"));
        s->bus_up = false;
        state_changed(s);
        request(&ctx, "/metrics", NULL, &r2);
        assert_non_null(strstr(r2.shared->data, "exposured_up 0"));

        /* the dashboard without a filter is cached; with one it is rendered every time */
        uint64_t misses = cache.misses;
        request(&ctx, "/", NULL, &r2);
        request(&ctx, "/", NULL, &r3);
        assert_ptr_equal(r2.shared, r3.shared);
        assert_int_equal(cache.misses, misses + 1);
        request(&ctx, "/?q=svc", NULL, &r3);
        assert_int_equal(r3.status, 200);
        assert_null(r3.shared);
        assert_non_null(strstr(r3.body.data, "svc-0001.service"));
        /* every parameter but the filter text is in the key: another policy or oneshot choice
         * is another page (test_policy saw "/"'s rows for "/?policy=ok") */
        request(&ctx, "/?policy=ok", NULL, &r3);
        assert_int_equal(r3.status, 200);
        assert_ptr_not_equal(r3.shared, r2.shared);
        assert_non_null(strstr(r3.shared ? r3.shared->data : r3.body.data, "Showing 0 of"));
        request(&ctx, "/?oneshot=yes", NULL, &r3);
        assert_int_equal(r3.status, 200);
        assert_ptr_not_equal(r3.shared, r2.shared);
        /* errors are never cached */
        request(&ctx, "/?sort=nope", NULL, &r3);
        assert_int_equal(r3.status, 400);
        assert_null(r3.shared);

        http_response_done(&r1);
        http_response_done(&r2);
        http_response_done(&r3);
        render_cache_done(&cache);
        fixture_state_free(s);
}

/* The spark line of unit id in a dashboard page (borrowed into buf), or NULL. */
static const char *spark_of(const char *page, const char *id, char *buf, size_t size) {
        const char *row = strstr(page, id), *svg, *end;

        if (!row || !(svg = strstr(row, "<svg class=\"spark\"")) || !(end = strstr(svg, "</svg>")))
                return NULL;
        (void) snprintf(buf, size, "%.*s", (int) (end - svg), svg);
        return buf;
}

/* A filtered dashboard loads the sparklines of the units it shows (and only those): the line of
 * a unit with history is the same as on the unfiltered page, not flat. */
static void test_filtered_sparklines(void **state) {
        State *s = fixture_state_new(20, false);
        Store *st = NULL;
        HttpContext ctx = { .state = s, .store = &st, .render = { .version = "t" } };
        UnitState *u = state_find_unit(s, "svc-0003.service");
        Response all = {}, one = {};
        char a[2048], b[2048], flat[2048];
        uint64_t now = now_realtime_usec();
        Buf f = {};

        (void) state;
        assert_int_equal(store_open(":memory:", &st), 0);
        assert_int_equal(store_begin(st), 0);
        for (unsigned c = 0; c < 3; c++) {
                StoreVerdict v[SCORE_ROWS_MAX];
                StoreScore sc = {
                        .unit = u->id,
                        .time_usec = now - (3 - c) * UINT64_C(86400000000),
                        .exposure = c == 2 ? u->report.exposure : 20 + 30 * c,
                        .predicate = PREDICATE_MEDIUM,
                        .verdicts = v,
                        .n_verdicts = store_verdicts_from_report(&u->report, v),
                        .systemd_version = "252",
                        .scorer_version = "1",
                        .kind = c == 0 ? EVENT_NONE : EVENT_REGRESSION,
                };
                assert_int_equal(store_add_score(st, &sc), 1);
        }
        assert_int_equal(store_commit(st), 0);

        request(&ctx, "/", NULL, &all);
        request(&ctx, "/?q=svc-0003", NULL, &one);
        assert_int_equal(one.status, 200);
        assert_non_null(strstr(one.body.data, "Showing 1 of 20 services."));
        assert_non_null(spark_of(all.body.data, ">svc-0003.service<", a, sizeof a));
        assert_non_null(spark_of(one.body.data, ">svc-0003.service<", b, sizeof b));
        render_svg_sparkline(NULL, 0, u->report.exposure, now, &f);
        (void) snprintf(flat, sizeof flat, "%.*s", (int) (strstr(f.data, "</svg>") - f.data),
                        f.data);
        assert_string_not_equal(b, flat);
        /* the points end at "now", which moved between the two requests by a few us at most:
         * compare up to the last point */
        assert_memory_equal(a, b, strlen(flat) / 2);
        buf_done(&f);
        http_response_done(&all);
        http_response_done(&one);
        store_free(st);
        fixture_state_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_generation_and_expiry),
                cmocka_unit_test(test_lru_and_bounds),
                cmocka_unit_test(test_byte_budget),
                cmocka_unit_test(test_routes_cached),
                cmocka_unit_test(test_filtered_sparklines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
