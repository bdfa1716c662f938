/* SPDX-License-Identifier: MIT */
/* Fuzz target for the renderers and the HTTP request parser/router (no sockets). The input is
 * split at NUL bytes into: a unit id, a Description=, an Accept header, a request path and a raw
 * query "k=v&k=v". Every renderer runs on a State holding that unit next to a few fixed ones, and
 * the request goes through http_request_init/add_arg/http_dispatch. Crashes, sanitizer reports
 * and broken invariants (invalid JSON, a raw '<' from the input in HTML) abort.
 *
 * Built as a libFuzzer target (clang -fsanitize=fuzzer -DFUZZ_LIBFUZZER) or, by default, as a
 * driver that runs every file named on the command line (or stdin). tests/unit/test-fuzz-render.c
 * replays tests/fuzz/corpus/render/ in `make check-unit`. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-fixture.h"
#include "http-routes.h"
#include "cleanup.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *piece(const uint8_t *data, size_t size, size_t *pos, Buf *b) {
        size_t start = *pos;
        buf_clear(b);
        while (*pos < size && data[*pos])
                (*pos)++;
        buf_append(b, data + start, *pos - start);
        if (*pos < size)
                (*pos)++;
        return b->data;
}

static void check_json(const Buf *b) {
        json_tokener *t = json_tokener_new();
        json_object *j;

        json_tokener_set_flags(t, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        j = json_tokener_parse_ex(t, b->data, (int) b->len);
        if (!j || json_tokener_get_error(t) != json_tokener_success)
                abort();
        json_object_put(j);
        json_tokener_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Buf id = {}, desc = {}, accept = {}, path = {}, query = {}, out = {};
        State *s;
        UnitState *u;
        size_t pos = 0;

        if (size > 64 * 1024)
                return 0;
        piece(data, size, &pos, &id);
        piece(data, size, &pos, &desc);
        piece(data, size, &pos, &accept);
        piece(data, size, &pos, &path);
        piece(data, size, &pos, &query);

        s = fixture_state_new(3, false);
        u = s->units[0];
        free(u->id);
        u->id = xstrdup(id.data ? id.data : "");
        free(u->props.description);
        u->props.description = desc.len ? xstrdup(desc.data) : NULL;
        /* Keep State sorted by id, as the manager does. */
        while (s->n_units > 1 && strcmp(s->units[0]->id, s->units[1]->id) > 0) {
                UnitState *t = s->units[0];
                s->units[0] = s->units[1];
                s->units[1] = t;
        }
        if (s->n_units > 2 && strcmp(s->units[1]->id, s->units[2]->id) > 0) {
                UnitState *t = s->units[1];
                s->units[1] = s->units[2];
                s->units[2] = t;
        }

        RenderOptions o = { .version = "fuzz", .per_check_metrics = true, .now_usec = 1 };
        render_metrics(s, &o, metrics_format_from_accept(accept.data), &out);
        buf_clear(&out);
        if (render_json_units(s, &o, &out) < 0)
                abort();
        check_json(&out);
        buf_clear(&out);
        if (render_json_unit(s, u, &o, &out) < 0)
                abort();
        check_json(&out);
        buf_clear(&out);
        DashboardQuery q = { .text = desc.data, .min_predicate = _PREDICATE_INVALID };
        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &out);
        buf_clear(&out);
        render_html_unit(s, u, &o, NULL, 0, NULL, &out);
        buf_clear(&out);
        render_html_escape(&out, id.data);
        if (memchr(out.data ? out.data : "", '<', out.len))
                abort();
        uint64_t t;
        (void) render_parse_time(id.data ? id.data : "", &t);

        /* The request path through the router. */
        HttpContext ctx = { .state = s, .render = o };
        Request req;
        Response resp = {};
        http_request_init(&req, "GET", path.data ? path.data : "/");
        for (char *p = query.data, *amp; p && *p; p = amp ? amp + 1 : NULL) {
                amp = strchr(p, '&');
                if (amp)
                        *amp = 0;
                char *eq = strchr(p, '=');
                if (eq)
                        *eq = 0;
                http_request_add_arg(&req, p, eq ? eq + 1 : NULL);
        }
        req.accept = accept.data;
        http_dispatch(&http_host_routes, &(HttpAccess) {}, &ctx, &req, &resp);
        if (resp.status < 200 || resp.status > 599)
                abort();
        http_request_done(&req);
        http_response_done(&resp);

        fixture_state_free(s);
        buf_done(&id);
        buf_done(&desc);
        buf_done(&accept);
        buf_done(&path);
        buf_done(&query);
        buf_done(&out);
        return 0;
}

#include "fuzz-main.h"
