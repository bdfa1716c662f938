/* SPDX-License-Identifier: MIT */
/* Access control (http-access.c, through http_dispatch() and real servers) and its inputs: the
 * Host check (DNS-rebinding defence), the bearer token, HTTPS with a certificate made by
 * `openssl` at test time and checked by a real `curl --cacert`, the credential reader and the
 * new configuration keys. The servers are real MHD servers on 127.0.0.1 (ephemeral ports) driven
 * by this test's sd-event loop while curl runs as a child process. Tests that need openssl or
 * curl skip without them (apt-get install openssl curl). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "credential.h"
#include "http-fixture.h"
#include "http-routes.h"
#include "http-server.h"
#include "log.h"
#include "util.h"

#define TOKEN "s3cr3t-t0ken_with.some~chars+/="
#define TOKEN_FORM "s3cr3t-t0ken_with.some~chars%2B%2F%3D" /* as a browser posts it */

static char tmpdir[] = "/tmp/test-http-tls.XXXXXX";
static bool have_pki; /* key.pem, cert.pem, other-key.pem made by openssl */

static char *tmp_path(const char *name) {
        Buf b = {};
        buf_printf(&b, "%s/%s", tmpdir, name);
        return buf_steal(&b);
}

static void write_file(const char *name, const void *data, size_t len) {
        _cleanup_free_ char *p = tmp_path(name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_true(write(fd, data, len) == (ssize_t) len);
        close(fd);
}

/* Run argv (argv[0] looked up in PATH), stdout and stderr to /dev/null. Returns its exit
 * status, 127 when it cannot run. */
static int run_quiet(char *const argv[]) {
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                (void) dup2(null, 1);
                (void) dup2(null, 2);
                execvp(argv[0], argv);
                _exit(127);
        }
        assert_true(waitpid(pid, &status, 0) == pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int group_setup(void **state) {
        (void) state;
        assert_non_null(mkdtemp(tmpdir));
        _cleanup_free_ char *key = tmp_path("key.pem"), *cert = tmp_path("cert.pem"),
                            *other = tmp_path("other-key.pem");
        char *req[] = { (char *) "openssl", (char *) "req", (char *) "-x509",
                        (char *) "-newkey", (char *) "ec",
                        (char *) "-pkeyopt", (char *) "ec_paramgen_curve:P-256",
                        (char *) "-nodes", (char *) "-days", (char *) "2",
                        (char *) "-subj", (char *) "/CN=localhost",
                        (char *) "-addext", (char *) "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        (char *) "-keyout", key, (char *) "-out", cert, NULL };
        char *gen[] = { (char *) "openssl", (char *) "genpkey", (char *) "-algorithm",
                        (char *) "EC", (char *) "-pkeyopt", (char *) "ec_paramgen_curve:P-256",
                        (char *) "-out", other, NULL };
        have_pki = run_quiet(req) == 0 && run_quiet(gen) == 0;
        if (!have_pki)
                fprintf(stderr, "openssl not found or failed: TLS tests skip\n");
        return 0;
}

static int group_teardown(void **state) {
        static const char *const names[] = { "key.pem", "cert.pem", "other-key.pem", "token",
                                             "empty", "big", "nul", NULL };
        (void) state;
        for (const char *const *n = names; *n; n++) {
                _cleanup_free_ char *p = tmp_path(*n);
                (void) unlink(p);
        }
        (void) rmdir(tmpdir);
        return 0;
}

/* ---- a server ---- */

typedef struct Server {
        sd_event *event;
        HttpServer *http;
        State *state;
        HttpContext ctx;
        int port;
} Server;

/* Serve the host routes on ip4, an ephemeral port, with access's token and allowed hosts. */
static int server_start(Server *s, const char *ip4, const HttpAccess *access,
                        const char *key, const char *cert) {
        ListenAddress addr = fixture_listen(ip4, 0);
        HttpServerConfig config = { .listen = &addr, .n_listen = 1, .connection_limit = 8,
                                    .timeout_sec = 2, .tls_key = key, .tls_certificate = cert,
                                    .token = access ? access->token : NULL,
                                    .allowed_hosts = access ? access->allowed_hosts : NULL };
        int r;

        *s = (Server) { .state = fixture_state_new(3, false) };
        s->ctx.state = s->state;
        assert_int_equal(sd_event_new(&s->event), 0);
        r = http_server_new(s->event, &config, &http_host_routes, &s->ctx, &s->http);
        fixture_listen_done(&addr);
        if (r < 0)
                return r;
        s->port = http_server_port(s->http, 0);
        assert_true(s->port > 0);
        return 0;
}

static void server_stop(Server *s) {
        http_server_free(s->http);
        sd_event_unref(s->event);
        fixture_state_free(s->state);
        *s = (Server) {};
}

typedef struct Reply {
        unsigned status;
        char *raw; /* status line, headers, body */
} Reply;

/* One request over a plain socket to 127.0.0.1, running the server in between. */
static void plain(Server *s, const char *host, const char *auth, const char *path, Reply *ret) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) s->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        uint64_t deadline = now_monotonic_usec() + 5000000;
        Buf req = {}, in = {};

        buf_printf(&req, "GET %s HTTP/1.1\r\n", path);
        if (host)
                buf_printf(&req, "Host: %s\r\n", host);
        if (auth)
                buf_printf(&req, "Authorization: %s\r\n", auth);
        buf_puts(&req, "Connection: close\r\n\r\n");
        assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof a), 0);
        assert_true(write(fd, req.data, req.len) == (ssize_t) req.len);
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        for (;;) {
                char b[16384];
                ssize_t n;

                assert_true(now_monotonic_usec() < deadline);
                assert_true(sd_event_run(s->event, 10000) >= 0);
                n = read(fd, b, sizeof b);
                if (n > 0)
                        buf_append(&in, b, (size_t) n);
                else if (n == 0 || errno != EAGAIN)
                        break;
        }
        close(fd);
        (void) sd_event_run(s->event, 0);
        buf_done(&req);
        buf_putc(&in, 0);
        *ret = (Reply) { .raw = buf_steal(&in) };
        if (sscanf(ret->raw, "HTTP/1.1 %u ", &ret->status) != 1)
                ret->status = 0;
}

static void assert_json_error(const Reply *r, unsigned status) {
        const char *body = strstr(r->raw, "\r\n\r\n");
        assert_int_equal(r->status, status);
        assert_non_null(strstr(r->raw, "\r\nContent-Type: application/json\r\n"));
        assert_non_null(body);
        json_object *j = json_tokener_parse(body + 4);
        assert_non_null(j);
        assert_non_null(json_object_get_string(json_object_object_get(j, "error")));
        json_object_put(j);
}

/* ---- Host header: pure ---- */

static void test_host_loopback(void **state) {
        static const char *const yes[] = {
                "localhost", "LocalHost", "localhost:9573", "localhost:", "127.0.0.1",
                "127.0.0.1:80", "127.1.2.3", "[::1]", "[::1]:9573", "[::ffff:127.0.0.1]:1",
                "[0:0:0:0:0:0:0:1]", NULL,
        };
        static const char *const no[] = {
                "", "evil.example", "evil.example:9573", "localhost.evil.example",
                "localhost.", "xlocalhost", "127.0.0.1.nip.io", "128.0.0.1", "0x7f.0.0.1",
                "2130706433", "127.1", "[::2]", "[::1", "::1", "[::1]x", "localhost:x",
                "localhost:123456", "localhost:80:80", "[::ffff:10.0.0.1]", "10.0.0.1",
                "0.0.0.0", "[::]", " localhost", "localhost ", NULL,
        };
        (void) state;
        for (const char *const *h = yes; *h; h++)
                if (!http_host_is_loopback(*h))
                        fail_msg("'%s' should be loopback", *h);
        for (const char *const *h = no; *h; h++)
                if (http_host_is_loopback(*h))
                        fail_msg("'%s' should not be loopback", *h);
        assert_false(http_host_is_loopback(NULL));
        char long_host[HTTP_HOST_MAX + 20];
        memset(long_host, 'a', sizeof long_host);
        memcpy(long_host, "localhost:", 10);
        long_host[sizeof long_host - 1] = 0;
        assert_false(http_host_is_loopback(long_host));
}

/* ---- dispatch without MHD: order of the checks, headers ---- */

static unsigned dispatch(const HttpAccess *a, HttpContext *ctx, const char *path,
                         const char *host, const char *auth, Response *resp) {
        Request req;

        http_request_init(&req, "GET", path);
        req.host = host;
        req.authorization = auth;
        http_response_reset(resp);
        http_dispatch(&http_host_routes, a, ctx, &req, resp);
        http_request_done(&req);
        return resp->status;
}

static void test_dispatch(void **state) {
        State *s = fixture_state_new(2, false);
        char *allowed[] = { (char *) "mon.example", NULL };
        HttpContext ctx = { .state = s };
        HttpAccess acc = { .loopback_only = true };
        Response resp = {};
        (void) state;

        /* loopback only */
        assert_int_equal(dispatch(&acc, &ctx, "/api/v1/units", "localhost:9573", NULL, &resp), 200);
        assert_int_equal(dispatch(&acc, &ctx, "/api/v1/units", "evil.example", NULL, &resp), 421);
        assert_string_equal(resp.content_type, "application/json");
        /* before routing: an unknown path or a bad method from the wrong host is still 421 */
        assert_int_equal(dispatch(&acc, &ctx, "/nope", "evil.example", NULL, &resp), 421);
        assert_int_equal(dispatch(&acc, &ctx, "/static/style.css", "evil.example", NULL, &resp),
                         421);
        assert_int_equal(dispatch(&acc, &ctx, "/", NULL, NULL, &resp), 200); /* no Host: HTTP/1.0 */

        /* an allow-list adds names; loopback names stay allowed; case-insensitive */
        acc.allowed_hosts = allowed;
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "MON.example:443", NULL, &resp), 200);
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "mon.example.evil", NULL, &resp), 421);
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "127.0.0.1", NULL, &resp), 200);
        /* not loopback-only and no list: anything */
        acc.allowed_hosts = NULL;
        acc.loopback_only = false;
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "evil.example", NULL, &resp), 200);

        /* the token: everywhere, static assets and 404s included */
        acc.token = TOKEN;
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "x", NULL, &resp), 401);
        assert_string_equal(resp.www_authenticate, "Bearer realm=\"exposured\"");
        assert_string_equal(resp.content_type, "application/json");
        assert_int_equal(dispatch(&acc, &ctx, "/static/style.css", "x", NULL, &resp), 401);
        assert_int_equal(dispatch(&acc, &ctx, "/nope", "x", NULL, &resp), 401);
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "x", "Bearer " TOKEN, &resp), 200);
        assert_null(resp.www_authenticate);
        assert_int_equal(dispatch(&acc, &ctx, "/nope", "x", "Bearer " TOKEN, &resp), 404);
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "x", "bearer   " TOKEN, &resp), 200);
        static const char *const bad[] = {
                "Bearer", "Bearer ", "Bearer x", "Basic " TOKEN, "Bearer" TOKEN,
                "Bearer " TOKEN "x", "Bearer " TOKEN " ", "Bearer s3cr3t", "Bearer S3CR3T"
                "-T0KEN_WITH.SOME~CHARS+/=", TOKEN, NULL,
        };
        for (const char *const *a = bad; *a; a++) {
                if (dispatch(&acc, &ctx, "/metrics", "x", *a, &resp) != 401)
                        fail_msg("'%s' accepted", *a);
                assert_string_equal(resp.www_authenticate,
                                    "Bearer realm=\"exposured\", error=\"invalid_token\"");
        }
        /* a header longer than any token */
        Buf b = {};
        buf_puts(&b, "Bearer ");
        for (int i = 0; i < HTTP_TOKEN_MAX + 1; i++)
                buf_putc(&b, 'a');
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "x", b.data, &resp), 401);
        buf_done(&b);
        /* the Host check comes first: no hint whether a token would be needed */
        acc.loopback_only = true;
        assert_int_equal(dispatch(&acc, &ctx, "/metrics", "evil.example", "Bearer " TOKEN,
                                  &resp),
                         421);
        assert_null(resp.www_authenticate);

        http_response_done(&resp);
        fixture_state_free(s);
}

/* ---- browser login: pure ---- */

/* One request to the login pages or through the dispatcher, with the given headers. */
static unsigned login_req(HttpAccess *a, HttpContext *ctx, const char *method, const char *path,
                          const char *cookie, const char *origin, const char *body,
                          unsigned char id_byte, Response *resp) {
        unsigned char fresh[HTTP_SESSION_ID_SIZE];
        Request req;

        memset(fresh, id_byte, sizeof fresh);
        http_response_done(resp);
        *resp = (Response) {};
        http_request_init(&req, method, path);
        req.host = "localhost:9573";
        req.accept = "text/html,application/xhtml+xml";
        req.cookie = cookie;
        req.origin = origin;
        if (http_access_is_login_path(path))
                http_access_login(a, &req, streq(method, "POST"), body ? body : "",
                                  body ? strlen(body) : 0, fresh, resp);
        else
                http_dispatch(&http_host_routes, a, ctx, &req, resp);
        http_request_done(&req);
        return resp->status;
}

static void test_login(void **state) {
        State *st = fixture_state_new(2, false);
        HttpContext ctx = { .state = st };
        HttpSessions sessions = {};
        HttpAccess a = { .token = TOKEN, .loopback_only = true, .sessions = &sessions,
                         .now_usec = 1000 };
        Response resp = {};
        char cookie[128], *v;
        (void) state;

        /* a browser without a session is sent to the form; a script gets the 401 */
        assert_int_equal(login_req(&a, &ctx, "GET", "/", NULL, NULL, NULL, 0, &resp), 303);
        assert_string_equal(resp.location, HTTP_LOGIN_PATH);
        assert_int_equal(login_req(&a, &ctx, "GET", "/login", NULL, NULL, NULL, 0, &resp), 200);
        assert_non_null(strstr(resp.static_body, "name=\"token\""));
        /* a wrong token, a cross-site form, a GET logout */
        assert_int_equal(login_req(&a, &ctx, "POST", "/login", NULL, NULL, "token=nope", 1,
                                   &resp),
                         401);
        assert_null(resp.set_cookie);
        assert_int_equal(login_req(&a, &ctx, "POST", "/login", NULL, "http://evil.example",
                                   "token=" TOKEN_FORM, 1, &resp),
                         403);
        assert_int_equal(login_req(&a, &ctx, "POST", "/login", NULL, "null", "token=" TOKEN_FORM,
                                   1, &resp),
                         303); /* Referrer-Policy: no-referrer makes browsers send "null" */
        assert_int_equal(login_req(&a, &ctx, "GET", "/logout", NULL, NULL, NULL, 0, &resp), 405);
        /* the right token (form-encoded): a session cookie, HttpOnly, SameSite=Strict */
        assert_int_equal(login_req(&a, &ctx, "POST", "/login", NULL, "http://localhost:9573",
                                   "x=1&token=" TOKEN_FORM "&y=2", 0xab, &resp),
                         303);
        assert_non_null(resp.set_cookie);
        assert_true(startswith(resp.set_cookie, "exposured=abababab"));
        assert_non_null(strstr(resp.set_cookie, "; HttpOnly; SameSite=Strict; Max-Age=43200"));
        assert_null(strstr(resp.set_cookie, "Secure"));
        (void) snprintf(cookie, sizeof cookie, "other=1; %.*s", (int) strcspn(resp.set_cookie, ";"),
                        resp.set_cookie);
        /* with it: the dashboard and the API, and the logged-in page */
        assert_int_equal(login_req(&a, &ctx, "GET", "/", cookie, NULL, NULL, 0, &resp), 200);
        assert_int_equal(login_req(&a, &ctx, "GET", "/api/v1/units", cookie, NULL, NULL, 0,
                                   &resp),
                         200);
        assert_int_equal(login_req(&a, &ctx, "GET", "/login", cookie, NULL, NULL, 0, &resp), 200);
        assert_non_null(strstr(resp.static_body, "id=\"logout\""));
        /* a forged or truncated id is nothing */
        v = strstr(cookie, "exposured=") + strlen("exposured=");
        v[5] = v[5] == 'a' ? 'b' : 'a';
        assert_int_equal(login_req(&a, &ctx, "GET", "/", cookie, NULL, NULL, 0, &resp), 303);
        v[5] = 'b';
        assert_int_equal(login_req(&a, &ctx, "GET", "/", "exposured=abab", NULL, NULL, 0, &resp),
                         303);
        /* expiry */
        a.now_usec += HTTP_SESSION_USEC;
        assert_int_equal(login_req(&a, &ctx, "GET", "/", cookie, NULL, NULL, 0, &resp), 303);
        a.now_usec -= HTTP_SESSION_USEC;
        assert_int_equal(login_req(&a, &ctx, "GET", "/", cookie, NULL, NULL, 0, &resp), 200);
        /* logout revokes it on the server, not just in the browser */
        assert_int_equal(login_req(&a, &ctx, "POST", "/logout", cookie, NULL, NULL, 0, &resp),
                         303);
        assert_true(startswith(resp.set_cookie, "exposured=; "));
        assert_int_equal(login_req(&a, &ctx, "GET", "/", cookie, NULL, NULL, 0, &resp), 303);
        /* the Host check comes first */
        Request req;
        http_request_init(&req, "GET", "/login");
        req.host = "evil.example";
        http_response_done(&resp);
        resp = (Response) {};
        http_access_login(&a, &req, false, "", 0, (unsigned char[HTTP_SESSION_ID_SIZE]) {}, &resp);
        assert_int_equal(resp.status, 421);
        http_request_done(&req);
        /* TLS: Secure and __Host- */
        a.secure = true;
        assert_int_equal(login_req(&a, &ctx, "POST", "/login", NULL, NULL, "token=" TOKEN_FORM, 7,
                                   &resp),
                         303);
        assert_true(startswith(resp.set_cookie, "__Host-exposured=0707"));
        assert_true(endswith(resp.set_cookie, "; Secure"));
        /* more logins than slots: the oldest goes, nothing breaks */
        for (unsigned i = 0; i < HTTP_SESSIONS_MAX + 5; i++) {
                a.now_usec++;
                assert_int_equal(login_req(&a, &ctx, "POST", "/login", NULL, NULL,
                                           "token=" TOKEN_FORM, (unsigned char) i, &resp),
                                 303);
        }
        http_response_done(&resp);
        fixture_state_free(st);
}

/* ---- real servers, plain HTTP ---- */

static void test_server_host(void **state) {
        Server s;
        Reply r;
        (void) state;

        /* 127.0.0.1: loopback only */
        assert_int_equal(server_start(&s, "127.0.0.1", NULL, NULL, NULL), 0);
        plain(&s, "evil.example", NULL, "/api/v1/units", &r);
        assert_json_error(&r, 421);
        free(r.raw);
        plain(&s, "localhost:9573", NULL, "/api/v1/units", &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.raw, "Strict-Transport-Security")); /* HSTS over HTTPS only */
        free(r.raw);
        plain(&s, "[::1]:9573", NULL, "/metrics", &r);
        assert_int_equal(r.status, 200);
        free(r.raw);
        server_stop(&s);

        /* with an allow-list */
        char *allowed[] = { (char *) "mon.example", NULL };
        HttpAccess acc = { .allowed_hosts = allowed };
        assert_int_equal(server_start(&s, "127.0.0.1", &acc, NULL, NULL), 0);
        plain(&s, "mon.example:9573", NULL, "/metrics", &r);
        assert_int_equal(r.status, 200);
        free(r.raw);
        plain(&s, "evil.example", NULL, "/metrics", &r);
        assert_json_error(&r, 421);
        free(r.raw);
        server_stop(&s);

        /* 0.0.0.0 reached through 127.0.0.1: the check is per connection, by the address it
         * arrived on, so a browser on this host stays protected against DNS rebinding even on a
         * wildcard socket (a non-loopback address is tested in a network namespace:
         * tests/integration/test_hostile_http.py) */
        assert_int_equal(server_start(&s, "0.0.0.0", NULL, NULL, NULL), 0);
        plain(&s, "evil.example", NULL, "/metrics", &r);
        assert_json_error(&r, 421);
        free(r.raw);
        plain(&s, "localhost", NULL, "/metrics", &r);
        assert_int_equal(r.status, 200);
        free(r.raw);
        server_stop(&s);
        char *any[] = { (char *) "*", NULL };
        HttpAccess acc_any = { .allowed_hosts = any };
        assert_int_equal(server_start(&s, "0.0.0.0", &acc_any, NULL, NULL), 0);
        plain(&s, "evil.example", NULL, "/metrics", &r);
        assert_int_equal(r.status, 200);
        free(r.raw);
        server_stop(&s);
}

static void test_server_token(void **state) {
        HttpAccess acc = { .token = TOKEN };
        Server s;
        Reply r;
        (void) state;

        assert_int_equal(server_start(&s, "127.0.0.1", &acc, NULL, NULL), 0);
        plain(&s, "localhost", NULL, "/metrics", &r);
        assert_json_error(&r, 401);
        assert_non_null(strstr(r.raw, "\r\nWWW-Authenticate: Bearer realm=\"exposured\"\r\n"));
        free(r.raw);
        plain(&s, "localhost", "Bearer wrong", "/metrics", &r);
        assert_json_error(&r, 401);
        assert_non_null(strstr(r.raw, "error=\"invalid_token\""));
        free(r.raw);
        plain(&s, "localhost", "Bearer " TOKEN, "/metrics", &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.raw, "\nexposured_up 1\n"));
        free(r.raw);
        server_stop(&s);

        /* a token over HTTP_TOKEN_MAX or empty is refused at start */
        acc.token = "";
        assert_int_equal(server_start(&s, "127.0.0.1", &acc, NULL, NULL), -EINVAL);
        server_stop(&s);
}

/* ---- HTTPS with curl ---- */

/* Run curl with args and the server's URL path appended; collect its stdout while the server
 * runs. Returns curl's exit status (127: no curl). */
static int curl(Server *s, const char *const *args, const char *path, char **ret_out) {
        char *argv[32];
        size_t n = 0;
        int pipefd[2], status = 0;
        uint64_t deadline = now_monotonic_usec() + 15000000;
        Buf url = {}, out = {};
        bool exited = false, eof = false;
        pid_t pid;

        buf_printf(&url, "https://127.0.0.1:%d%s", s->port, path);
        argv[n++] = (char *) "curl";
        argv[n++] = (char *) "-sS";
        argv[n++] = (char *) "-i";
        argv[n++] = (char *) "--max-time";
        argv[n++] = (char *) "10";
        for (; args && *args; args++) {
                assert_true(n < ELEMENTSOF(argv) - 2);
                argv[n++] = (char *) (uintptr_t) *args;
        }
        argv[n++] = url.data;
        argv[n] = NULL;

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) dup2(pipefd[1], 1);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(pipefd[1]);
        (void) fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
        while (!exited || !eof) {
                char b[16384];
                ssize_t k;

                assert_true(now_monotonic_usec() < deadline);
                assert_true(sd_event_run(s->event, 10000) >= 0);
                while ((k = read(pipefd[0], b, sizeof b)) > 0)
                        buf_append(&out, b, (size_t) k);
                if (k == 0)
                        eof = true;
                if (!exited && waitpid(pid, &status, WNOHANG) == pid)
                        exited = true;
        }
        close(pipefd[0]);
        buf_done(&url);
        buf_putc(&out, 0);
        *ret_out = buf_steal(&out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_tls(void **state) {
        _cleanup_free_ char *key_path = tmp_path("key.pem"), *cert_path = tmp_path("cert.pem");
        char *key = NULL, *cert = NULL, *out = NULL;
        HttpAccess acc = { .token = TOKEN };
        Server s;
        int r;
        (void) state;

        if (!have_pki)
                skip();
        assert_int_equal(credential_read(key_path, CREDENTIAL_PEM_MAX, &key, NULL, NULL), 0);
        assert_int_equal(credential_read(cert_path, CREDENTIAL_PEM_MAX, &cert, NULL, NULL), 0);
        assert_int_equal(server_start(&s, "127.0.0.1", &acc, key, cert), 0);
        /* as the manager does: the PEM texts are gone once the server runs (ASan sees any
         * later read by MHD) */
        key = credential_free(key);
        cert = credential_free(cert);

        const char *const ok[] = { "--cacert", cert_path, "-H", "Authorization: Bearer " TOKEN,
                                   NULL };
        r = curl(&s, ok, "/api/v1/units", &out);
        if (r == 127) {
                free(out);
                server_stop(&s);
                skip(); /* apt-get install curl */
        }
        assert_int_equal(r, 0);
        assert_true(startswith(out, "HTTP/1.1 200 "));
        assert_non_null(strstr(out, "svc-0001.service"));
        assert_non_null(strstr(out, "\r\nStrict-Transport-Security: max-age=31536000\r\n"));
        free(out);

        const char *const none[] = { "--cacert", cert_path, NULL };
        assert_int_equal(curl(&s, none, "/metrics", &out), 0);
        assert_true(startswith(out, "HTTP/1.1 401 "));
        assert_non_null(strstr(out, "WWW-Authenticate: Bearer realm=\"exposured\""));
        free(out);

        const char *const wrong[] = { "--cacert", cert_path, "-H", "Authorization: Bearer nope",
                                      NULL };
        assert_int_equal(curl(&s, wrong, "/metrics", &out), 0);
        assert_true(startswith(out, "HTTP/1.1 401 "));
        free(out);

        /* the Host check holds over TLS too */
        const char *const host[] = { "--cacert", cert_path, "-H", "Host: evil.example", "-H",
                                     "Authorization: Bearer " TOKEN, NULL };
        assert_int_equal(curl(&s, host, "/metrics", &out), 0);
        assert_true(startswith(out, "HTTP/1.1 421 "));
        free(out);

        /* without the CA curl refuses the self-signed certificate (60: peer verification) */
        const char *const no_ca[] = { "-H", "Authorization: Bearer " TOKEN, NULL };
        assert_int_equal(curl(&s, no_ca, "/metrics", &out), 60);
        free(out);

        /* plain HTTP to the HTTPS port gets no HTTP answer */
        Reply pr;
        plain(&s, "localhost", "Bearer " TOKEN, "/metrics", &pr);
        assert_int_equal(pr.status, 0);
        free(pr.raw);
        server_stop(&s);
}

static void test_tls_bad_keys(void **state) {
        _cleanup_free_ char *key_path = tmp_path("key.pem"), *cert_path = tmp_path("cert.pem"),
                            *other_path = tmp_path("other-key.pem");
        _cleanup_(credential_freep) char *key = NULL, *cert = NULL, *other = NULL;
        Server s;
        (void) state;

        if (!have_pki)
                skip();
        assert_int_equal(credential_read(key_path, CREDENTIAL_PEM_MAX, &key, NULL, NULL), 0);
        assert_int_equal(credential_read(cert_path, CREDENTIAL_PEM_MAX, &cert, NULL, NULL), 0);
        assert_int_equal(credential_read(other_path, CREDENTIAL_PEM_MAX, &other, NULL, NULL), 0);

        /* a key that does not match the certificate */
        assert_int_equal(server_start(&s, "127.0.0.1", NULL, other, cert), -EBADMSG);
        server_stop(&s);
        /* garbage */
        assert_int_equal(server_start(&s, "127.0.0.1", NULL,
                                      "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                      "-----END PRIVATE KEY-----\n",
                                      cert),
                         -EBADMSG);
        server_stop(&s);
        /* the certificate in the key's place */
        assert_int_equal(server_start(&s, "127.0.0.1", NULL, cert, cert), -EBADMSG);
        server_stop(&s);
        /* one without the other */
        assert_int_equal(server_start(&s, "127.0.0.1", NULL, key, NULL), -EINVAL);
        server_stop(&s);
}

/* ---- credentials ---- */

static void test_credential(void **state) {
        char *p = NULL, *data = NULL;
        size_t size = 0;
        (void) state;

        assert_true(credential_name_valid("tls.key"));
        assert_false(credential_name_valid(""));
        assert_false(credential_name_valid("."));
        assert_false(credential_name_valid(".."));
        assert_false(credential_name_valid("a/b"));
        assert_false(credential_name_valid("a\nb"));

        assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
        assert_int_equal(credential_path("token", &p), -ENOENT);
        assert_int_equal(credential_path("/etc/exposured/token", &p), 0);
        assert_string_equal(p, "/etc/exposured/token");
        free(p);
        assert_int_equal(credential_path("../token", &p), -EINVAL);
        assert_int_equal(credential_path("", &p), -EINVAL);
        assert_int_equal(setenv("CREDENTIALS_DIRECTORY", tmpdir, 1), 0);
        assert_int_equal(credential_path("token", &p), 0);
        assert_true(startswith(p, tmpdir) && endswith(p, "/token"));

        write_file("token", TOKEN "\r\n", strlen(TOKEN) + 2);
        assert_int_equal(credential_read(p, CREDENTIAL_TOKEN_MAX + 2, &data, &size, NULL), 0);
        assert_int_equal(size, strlen(TOKEN) + 2);
        assert_int_equal(credential_token_parse(data), (int) strlen(TOKEN));
        assert_string_equal(data, TOKEN);
        data = credential_free(data);
        free(p);

        /* bounds */
        _cleanup_free_ char *empty = tmp_path("empty"), *big = tmp_path("big"),
                            *nul = tmp_path("nul"), *missing = tmp_path("missing");
        char bigdata[CREDENTIAL_TOKEN_MAX + 3];
        memset(bigdata, 'x', sizeof bigdata);
        write_file("empty", "", 0);
        write_file("big", bigdata, sizeof bigdata);
        write_file("nul", "ab\0cd", 5);
        assert_int_equal(credential_read(empty, 100, &data, NULL, NULL), -ENODATA);
        assert_int_equal(credential_read(big, CREDENTIAL_TOKEN_MAX + 2, &data, NULL, NULL), -EFBIG);
        assert_int_equal(credential_read(big, sizeof bigdata, &data, NULL, NULL), 0);
        data = credential_free(data);
        assert_int_equal(credential_read(nul, 100, &data, NULL, NULL), -EBADMSG);
        assert_int_equal(credential_read(missing, 100, &data, NULL, NULL), -ENOENT);
        assert_null(data);
        /* unreadable (as non-root only: root reads anything) */
        if (geteuid() != 0) {
                assert_int_equal(chmod(big, 0), 0);
                assert_int_equal(credential_read(big, 1000, &data, NULL, NULL), -EACCES);
        }
        (void) unsetenv("CREDENTIALS_DIRECTORY");

        /* token format */
        static const struct { const char *in; int r; const char *out; } t[] = {
                { "abc", 3, "abc" },
                { "abc\n", 3, "abc" },
                { "abc\n\n", 3, "abc" },
                { "abc\r\n", 3, "abc" },
                { "\n", -EINVAL, NULL },
                { "", -EINVAL, NULL },
                { "a b", -EINVAL, NULL },
                { " abc", -EINVAL, NULL },
                { "abc \n", -EINVAL, NULL },
                { "ab\tc", -EINVAL, NULL },
                { "ab\nc", -EINVAL, NULL },
                { "ab\x7f", -EINVAL, NULL },
                { "\xc3\xa9t\xc3\xa9", -EINVAL, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char *s = xstrdup(t[i].in);
                assert_int_equal(credential_token_parse(s), t[i].r);
                if (t[i].out)
                        assert_string_equal(s, t[i].out);
                free(s);
        }
        char *longest = xmalloc(CREDENTIAL_TOKEN_MAX + 2);
        memset(longest, 'y', CREDENTIAL_TOKEN_MAX + 1);
        longest[CREDENTIAL_TOKEN_MAX + 1] = 0;
        assert_int_equal(credential_token_parse(longest), -EFBIG);
        longest[CREDENTIAL_TOKEN_MAX] = 0;
        assert_int_equal(credential_token_parse(longest), CREDENTIAL_TOKEN_MAX);
        free(longest);
}

/* ---- configuration keys ---- */

static void test_config(void **state) {
        _cleanup_(config_freep) Config *c = config_new();
        ConfigError e = {};
        (void) state;

        assert_int_equal(c->tls, CONFIG_AUTO);
        assert_string_equal(c->tls_key, "tls.key");
        assert_string_equal(c->tls_certificate, "tls.crt");
        assert_int_equal(c->token, CONFIG_AUTO);
        assert_string_equal(c->token_file, "token");
        assert_null(c->allowed_hosts);

        static const char good[] = "tls = yes\ntls_key = /etc/exposured/k.pem\n"
                                   "tls_certificate = my.crt\ntoken = no\ntoken_file = tok\n"
                                   "allowed_hosts = Mon.Example, 192.0.2.1 [2001:db8::1] "
                                   "mon.example\n";
        assert_int_equal(config_parse(c, good, strlen(good), &e), 0);
        assert_int_equal(c->tls, CONFIG_YES);
        assert_string_equal(c->tls_key, "/etc/exposured/k.pem");
        assert_string_equal(c->tls_certificate, "my.crt");
        assert_int_equal(c->token, CONFIG_NO);
        assert_string_equal(c->token_file, "tok");
        assert_int_equal(strv_length(c->allowed_hosts), 3);
        assert_string_equal(c->allowed_hosts[0], "mon.example");
        assert_string_equal(c->allowed_hosts[2], "[2001:db8::1]");

        /* round trip through --check-config's output */
        _cleanup_free_ char *text = config_format(c);
        _cleanup_(config_freep) Config *d = config_new();
        assert_int_equal(config_parse(d, text, strlen(text), &e), 0);
        _cleanup_free_ char *text2 = config_format(d);
        assert_string_equal(text, text2);
        assert_non_null(strstr(text, "\ntls = yes\n"));
        assert_non_null(strstr(text, "allowed_hosts = mon.example 192.0.2.1 [2001:db8::1]\n"));

        assert_int_equal(config_set(c, "allowed_hosts", "auto", &e), 0);
        assert_null(c->allowed_hosts);
        assert_int_equal(config_set(c, "allowed_hosts", "*", &e), 0);
        assert_string_equal(c->allowed_hosts[0], "*");

        static const char *const bad[][2] = {
                { "tls", "maybe" },          { "token", "" },
                { "tls_key", "a/b" },        { "tls_key", "relative/path" },
                { "tls_key", "/etc/dir/" },  { "tls_certificate", ".." },
                { "token_file", "" },        { "allowed_hosts", "" },
                { "allowed_hosts", "a_b" },  { "allowed_hosts", "host:80" },
                { "allowed_hosts", "[::1" }, { "allowed_hosts", "evil.example/x" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *before = config_format(c), *after = NULL;
                if (config_set(c, bad[i][0], bad[i][1], &e) >= 0)
                        fail_msg("%s = '%s' accepted", bad[i][0], bad[i][1]);
                assert_non_null(e.message);
                assert_non_null(strstr(e.message, bad[i][0]));
                after = config_format(c);
                assert_string_equal(before, after);
                config_error_done(&e);
        }
        /* at most CONFIG_HOSTS_MAX names */
        Buf b = {};
        for (unsigned i = 0; i <= CONFIG_HOSTS_MAX; i++)
                buf_printf(&b, "h%u.example ", i);
        assert_true(config_set(c, "allowed_hosts", b.data, &e) < 0);
        config_error_done(&e);
        buf_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_host_loopback),
                cmocka_unit_test(test_dispatch),
                cmocka_unit_test(test_login),
                cmocka_unit_test(test_server_host),
                cmocka_unit_test(test_server_token),
                cmocka_unit_test(test_tls),
                cmocka_unit_test(test_tls_bad_keys),
                cmocka_unit_test(test_credential),
                cmocka_unit_test(test_config),
        };

        log_set_max_level(LOG_WARNING);
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
