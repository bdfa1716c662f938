/* SPDX-License-Identifier: MIT */
/* libmicrohttpd glue: listeners (own sockets or systemd's), MHD in external mode on sd-event,
 * request collection and response headers. The only file that includes microhttpd.h; it must
 * know no route and no handler (the route table is the caller's) and never log above debug for
 * anything a client sends.
 *
 * MHD runs with MHD_USE_EPOLL: its epoll fd is an sd-event I/O source, a prepare callback arms a
 * timer from MHD_get_timeout() before every poll, and both call MHD_run(). No MHD threads. One
 * MHD daemon per listening socket (MHD takes one socket each). MHD's own unescaping is switched
 * off: http_request_init() decodes each path segment, so %2F inside a unit name stays inside its
 * segment. TLS is MHD's (GnuTLS): the PEM key and certificate are handed to MHD_start_daemon(),
 * which copies them into GnuTLS at start and never reads them again, so the caller wipes its
 * copies as soon as http_server_new() returns. */
#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cleanup.h"
#include "http-server.h"
#include "log.h"
#include "util.h"

#define USEC_PER_SEC UINT64_C(1000000)

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* ---- listening sockets ---- */

static int listen_on(const ListenAddress *a, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        int one = 1;

        fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create socket for '%s': %m", a->text);
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->addr.ss_family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *) &a->addr, a->addr_len) < 0)
                return log_error_errno(errno, "Failed to bind to '%s': %m", a->text);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Failed to listen on '%s': %m", a->text);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* HTTP_LISTEN_DEFAULT as a ListenAddress. */
static ListenAddress listen_default(void) {
        ListenAddress a = { .text = (char *) HTTP_LISTEN_DEFAULT,
                            .addr_len = sizeof(struct sockaddr_in) };
        struct sockaddr_in *in = (struct sockaddr_in *) &a.addr;

        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = htons(HTTP_PORT_DEFAULT);
        return a;
}

/* ---- connections and shared bodies ---- */

/* Is fd (listening or accepted) bound to 127.0.0.0/8 or ::1 (only this machine can reach it)? */
static bool fd_is_loopback(int fd) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;

        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                return false;
        if (ss.ss_family == AF_INET)
                return (ntohl(((struct sockaddr_in *) &ss)->sin_addr.s_addr) >> 24) == 127;
        if (ss.ss_family == AF_INET6) {
                const struct in6_addr *a = &((struct sockaddr_in6 *) &ss)->sin6_addr;
                return IN6_IS_ADDR_LOOPBACK(a) ||
                       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        }
        return false; /* AF_UNIX: behind a proxy that passes its own Host */
}


/* What we know of one client connection (MHD's socket context). */
typedef struct Conn {
        struct Conn *prev, *next;
        int fd;                  /* MHD's; we only shutdown() it to evict */
        unsigned char peer[HTTP_PEER_KEY_MAX]; /* IPv4 address, or the /64 of an IPv6 one
                                                * (v4-mapped: v4) */
        size_t peer_len;         /* 0: no per-address limit (AF_UNIX: a proxy on this host) */
        bool loopback;           /* arrived on a loopback address: keep the Host check */
        bool reading;            /* reading a request head (or idle between requests) */
        bool evicted;            /* shut down by us; MHD closes it on its next run */
        uint64_t since;          /* when the current head began (CLOCK_MONOTONIC) */
} Conn;

/* A response body shared by every connection that sends the same bytes: rendered once per
 * request (one at a time: one thread), then deduplicated by content, so N slow readers of the
 * dashboard hold one copy, not N. Freed by MHD's free callback when the last response goes.
 * Limit: N different large bodies alive at once are N copies (bounded by the connection
 * limit times the largest body). */
typedef struct SharedBody {
        struct SharedBody *prev, *next;
        HttpServer *server;
        unsigned refs;
        uint64_t hash;
        size_t size;
        char *data;
} SharedBody;

/* A budget for a kind of log line that clients can trigger: lines this window, and how many
 * were left out. */
typedef struct LogBudget {
        uint64_t start;      /* CLOCK_MONOTONIC of the window; 0: none yet */
        unsigned n;          /* lines logged in it */
        unsigned suppressed; /* lines left out in it */
} LogBudget;

/* ---- MHD glue ---- */

typedef struct Listener {
        HttpServer *server;
        struct MHD_Daemon *mhd;
        sd_event_source *io;
        sd_event_source *timer;
        int fd;            /* owned by MHD once mhd is set */
        bool wake;         /* a deferred response was finished: run MHD at the next turn */
} Listener;

struct HttpServer {
        sd_event *event;
        const HttpRouteTable *routes;
        void *userdata;
        HttpAccess access;
        char mhd_error[256]; /* MHD's last message, for the error when it refuses to start */
        Listener *listeners;
        size_t n_listeners;
        Response resp;     /* reused between requests: its body Buf keeps its memory */
        bool tls;
        Conn *conns;       /* every open connection, all listeners */
        unsigned per_ip_limit, readers_limit;
        uint64_t head_deadline_usec;
        sd_event_source *deadline_timer;
        SharedBody *bodies; /* bodies in flight */
        HttpSessions *sessions; /* browser logins, with a token only */
        HttpLoginLimit *login_limit; /* failed logins per address, with a token only */
        LogBudget login_warnings;    /* our warnings about them (log_login_blocked()) */
        HttpDeferred *deferred; /* answers not sent yet (http_response_defer()) */
};

/* What MHD's per-request context (*con_cls) points to: a login form being received, or a
 * deferred answer. Both structs start with their kind. */
typedef enum RequestContextKind {
        REQUEST_LOGIN = 1,
        REQUEST_DEFERRED,
} RequestContextKind;

/* A login form being received (MHD's per-request context for POST /login, /logout). */
typedef struct LoginBody {
        RequestContextKind kind; /* REQUEST_LOGIN */
        char data[HTTP_LOGIN_BODY_MAX];
        size_t len;
        bool too_big;
} LoginBody;

static uint64_t now_usec(HttpServer *s) {
        uint64_t now;
        if (sd_event_now(s->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_monotonic_usec();
        return now;
}

/* The address a per-client limit counts: IPv4, or IPv6 cut to its /64 (one host usually has a
 * whole /64: counting single addresses would let it open 2^64 connections). */
static size_t peer_key(const struct sockaddr *sa, unsigned char key[static HTTP_PEER_KEY_MAX]) {
        if (!sa)
                return 0;
        if (sa->sa_family == AF_INET) {
                memcpy(key, &((const struct sockaddr_in *) (const void *) sa)->sin_addr, 4);
                return 4;
        }
        if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a =
                        &((const struct sockaddr_in6 *) (const void *) sa)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(a)) {
                        memcpy(key, a->s6_addr + 12, 4);
                        return 4;
                }
                memcpy(key, a->s6_addr, 8);
                return 8;
        }
        return 0;
}

/* A counted address for the log: "192.0.2.1" or "2001:db8:1:2::/64". Static buffer: for one
 * log line. */
static const char *peer_text(const HttpLoginFailures *f) {
        static char text[INET6_ADDRSTRLEN + 4];
        struct in6_addr a6 = {};

        if (f->peer_len == 4)
                return inet_ntop(AF_INET, f->peer, text, sizeof text) ?: "?";
        memcpy(&a6, f->peer, f->peer_len);
        if (!inet_ntop(AF_INET6, &a6, text, sizeof text - 3))
                return "?";
        memcpy(text + strlen(text), "/64", 4);
        return text;
}

/* Our own lines about what clients do are a flood a client controls: one per address reaching the
 * failed-login limit would be 65,536 a minute from one IPv6 /48. At most
 * HTTP_LOGIN_WARNINGS_BURST a window, then one line saying the rest are not logged, and the
 * count of those in the next window's first line: journald's own rate limit (per service) would
 * otherwise drop our other messages, the regressions among them. */
static void log_login_blocked(HttpServer *s, const HttpLoginFailures *f, uint64_t now) {
        LogBudget *b = &s->login_warnings;

        if (b->start == 0 || now >= b->start + HTTP_LOGIN_WINDOW_USEC) {
                if (b->suppressed > 0)
                        log_warning("%u more addresses reached the failed-login limit in the "
                                    "last %" PRIu64 " s; they were refused but not logged.",
                                    b->suppressed, HTTP_LOGIN_WINDOW_USEC / USEC_PER_SEC);
                *b = (LogBudget) { .start = now };
        }
        if (b->n >= HTTP_LOGIN_WARNINGS_BURST) {
                if (b->suppressed++ == 0)
                        log_warning("More addresses reach the failed-login limit: not logging "
                                    "them for the rest of %" PRIu64 " s.",
                                    HTTP_LOGIN_WINDOW_USEC / USEC_PER_SEC);
                return;
        }
        b->n++;
        /* Once per address and window (http-access.h): a guessing client, or a misconfigured
         * scraper, is worth the administrator's eye. */
        log_warning("%u failed logins from %s within %" PRIu64 " s: %s", HTTP_LOGIN_FAILURES_MAX,
                    peer_text(f), HTTP_LOGIN_WINDOW_USEC / USEC_PER_SEC,
                    http_peer_is_loopback(f->peer, f->peer_len) ?
                            "a local user or a local scraper with a wrong token (loopback is "
                            "never refused: all local clients share it)." :
                            "its logins are refused (429) for the rest of that time.");
}

/* Close c without waiting for MHD's idle timeout: after shutdown() the socket reads EOF, which
 * wakes MHD's epoll set, and MHD closes the connection itself (MHD owns the fd). */
static void conn_evict(Conn *c) {
        if (c->evicted)
                return;
        (void) shutdown(c->fd, SHUT_RDWR);
        c->evicted = true;
        c->reading = false;
}

/* MHD's accept policy, before a connection exists: refuse one address's excess; make room among
 * the connections still reading a head by evicting the oldest (it has had the longest time). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
        HttpServer *s = cls;
        unsigned char key[8];
        size_t n = peer_key(addr, key);
        unsigned same = 0, reading = 0;
        Conn *oldest = NULL;

        (void) addrlen;
        for (Conn *c = s->conns; c; c = c->next) {
                if (c->evicted)
                        continue;
                if (n > 0 && c->peer_len == n && memcmp(c->peer, key, n) == 0)
                        same++;
                if (c->reading) {
                        reading++;
                        if (!oldest || c->since < oldest->since)
                                oldest = c;
                }
        }
        if (same >= s->per_ip_limit) {
                log_debug("Refusing a connection: %u from that address already", same);
                return MHD_NO;
        }
        if (reading >= s->readers_limit && oldest) {
                log_debug("Closing the oldest of %u connections still reading a request", reading);
                conn_evict(oldest);
        }
        return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
        HttpServer *s = cls;
        const union MHD_ConnectionInfo *fd_info, *addr_info;
        Conn *c;

        if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
                c = *socket_context;
                if (!c)
                        return;
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->conns = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                free(c);
                *socket_context = NULL;
                return;
        }
        fd_info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        addr_info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        c = xcalloc(1, sizeof *c);
        c->fd = fd_info ? fd_info->connect_fd : -1;
        c->peer_len = addr_info ? peer_key(addr_info->client_addr, c->peer) : 0;
        c->loopback = c->fd >= 0 && fd_is_loopback(c->fd);
        c->reading = true;
        c->since = now_usec(s);
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        *socket_context = c;
}

static Conn *conn_of(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *i =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return i ? i->socket_context : NULL;
}

/* A deferred answer (http_response_defer()): the connection is suspended until the handler
 * calls http_deferred_finish(); MHD then calls on_request() again for the same request, with
 * the HttpDeferred in *con_cls, and the response is queued. Freed by on_completed(). */
struct HttpDeferred {
        RequestContextKind kind; /* REQUEST_DEFERRED */
        HttpServer *server;
        struct MHD_Connection *connection;
        Response resp;
        bool finished;
        HttpDeferred *prev, *next; /* the server's list: MHD refuses to stop with a connection
                                    * still suspended, so http_server_free() answers them */
};

typedef struct DeferContext {
        HttpServer *server;
        struct MHD_Connection *connection;
        void **con_cls;
} DeferContext;

static HttpDeferred *defer_request(Response *resp, void *userdata) {
        DeferContext *x = userdata;
        HttpDeferred *d = xcalloc(1, sizeof(*d));

        (void) resp;
        d->kind = REQUEST_DEFERRED;
        d->server = x->server;
        d->connection = x->connection;
        d->resp.status = 200;
        d->next = x->server->deferred;
        if (d->next)
                d->next->prev = d;
        x->server->deferred = d;
        *x->con_cls = d;
        return d;
}

Response *http_deferred_response(HttpDeferred *d) {
        return &d->resp;
}

/* MHD_resume_connection() only marks the connection: in external epoll mode nothing wakes the
 * loop for it (MHD_get_timeout() does not count resumed connections), so the listeners are told
 * to run MHD once more before the next poll (on_prepare()). */
void http_deferred_finish(HttpDeferred *d) {
        d->finished = true;
        MHD_resume_connection(d->connection);
        for (size_t i = 0; i < d->server->n_listeners; i++)
                d->server->listeners[i].wake = true;
}

static void deferred_free(HttpDeferred *d) {
        if (d->prev)
                d->prev->next = d->next;
        else
                d->server->deferred = d->next;
        if (d->next)
                d->next->prev = d->prev;
        http_response_done(&d->resp);
        free(d);
}

/* A request answered (or abandoned): the connection waits for the next head, on a new clock. */
static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        HttpServer *s = cls;
        Conn *c = conn_of(connection);

        (void) toe;
        if (*con_cls && *(RequestContextKind *) *con_cls == REQUEST_DEFERRED)
                deferred_free(*con_cls);
        else if (*con_cls) {
                /* a login form abandoned half-way: it may hold part of the token */
                explicit_bzero(*con_cls, sizeof(LoginBody));
                free(*con_cls);
        }
        *con_cls = NULL;
        if (c && !c->evicted) {
                c->reading = true;
                c->since = now_usec(s);
        }
}

/* Arm the deadline timer for the oldest head still being read, or switch it off. */
static void deadline_rearm(HttpServer *s) {
        uint64_t first = UINT64_MAX;

        for (Conn *c = s->conns; c; c = c->next)
                if (c->reading && c->since < first)
                        first = c->since;
        if (!s->deadline_timer)
                return;
        if (first == UINT64_MAX) {
                (void) sd_event_source_set_enabled(s->deadline_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(s->deadline_timer, first + s->head_deadline_usec);
        (void) sd_event_source_set_enabled(s->deadline_timer, SD_EVENT_ONESHOT);
}

static int on_deadline(sd_event_source *src, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;
        uint64_t now = now_usec(s);

        (void) src, (void) usec;
        for (Conn *c = s->conns; c; c = c->next)
                if (c->reading && c->since + s->head_deadline_usec <= now) {
                        log_debug("Closing a connection: no complete request head in %" PRIu64
                                  " s", s->head_deadline_usec / USEC_PER_SEC);
                        conn_evict(c);
                }
        deadline_rearm(s);
        return 0;
}

static uint64_t fnv1a(const char *p, size_t n) {
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) p[i]) * 1099511628211ULL;
        return h;
}

/* The shared copy of b's bytes, with one more reference: an existing one with the same bytes, or
 * a new one that takes b's memory. b is left empty either way. */
static SharedBody *body_share(HttpServer *s, Buf *b) {
        uint64_t h = fnv1a(b->data, b->len);
        SharedBody *sb;

        for (sb = s->bodies; sb; sb = sb->next)
                if (sb->hash == h && sb->size == b->len &&
                    memcmp(sb->data, b->data, b->len) == 0) {
                        sb->refs++;
                        buf_clear(b); /* keeps its memory for the next render */
                        return sb;
                }
        sb = xcalloc(1, sizeof *sb);
        sb->server = s;
        sb->refs = 1;
        sb->hash = h;
        sb->size = b->len;
        /* A Buf has up to twice the room it needs: give the rest back (mremap for big ones). */
        sb->data = xrealloc(buf_steal(b), sb->size + 1);
        sb->next = s->bodies;
        if (s->bodies)
                s->bodies->prev = sb;
        s->bodies = sb;
        return sb;
}

/* MHD's free callback: the response that held a reference is gone. */
static void body_unref(void *cls) {
        SharedBody *sb = cls;

        if (--sb->refs > 0)
                return;
        if (sb->prev)
                sb->prev->next = sb->next;
        else
                sb->server->bodies = sb->next;
        if (sb->next)
                sb->next->prev = sb->prev;
        free(sb->data);
        free(sb);
}

/* MHD's free callback for a body of the render cache's (HttpBody): this response's reference. */
static void cached_body_release(void *cls) {
        http_body_unref(cls);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
        (void) kind;
        http_request_add_arg(cls, key, value);
        return MHD_YES;
}

static enum MHD_Result add_header(struct MHD_Response *r, const char *name, const char *value) {
        return MHD_add_response_header(r, name, value);
}

/* Build and queue resp on c (a cached body is sent by reference; another large body is shared,
 * see SharedBody). */
static enum MHD_Result queue(HttpServer *s, struct MHD_Connection *c, Response *resp) {
        struct MHD_Response *r;
        enum MHD_Result ok;

        if (resp->static_body)
                /* Embedded, read-only and never freed: MHD only reads a PERSISTENT buffer. */
                r = MHD_create_response_from_buffer(resp->static_size,
                                                    (void *) (uintptr_t) resp->static_body,
                                                    MHD_RESPMEM_PERSISTENT);
        else if (resp->shared) {
                HttpBody *b = http_body_ref(resp->shared);
                r = MHD_create_response_from_buffer_with_free_callback_cls(b->size, b->data,
                                                                           cached_body_release, b);
                if (!r)
                        http_body_unref(b);
        } else if (resp->body.len >= HTTP_SHARED_BODY_MIN) {
                SharedBody *sb = body_share(s, &resp->body);
                r = MHD_create_response_from_buffer_with_free_callback_cls(sb->size, sb->data,
                                                                           body_unref, sb);
                if (!r)
                        body_unref(sb);
        } else if (resp->body.len > 0)
                r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
                                                    MHD_RESPMEM_MUST_COPY);
        else
                r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        if (resp->content_type)
                (void) add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
        (void) add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                          resp->cache_control ? resp->cache_control : "no-store");
        (void) add_header(r, "Content-Security-Policy", CSP);
        (void) add_header(r, "X-Content-Type-Options", "nosniff");
        (void) add_header(r, "Referrer-Policy", "no-referrer");
        (void) add_header(r, "X-Frame-Options", "DENY");
        (void) add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
        if (s->tls)
                /* RFC 6797: browsers that saw it once never try plain HTTP here again. No
                 * includeSubDomains: the other names on this host are not ours to decide. */
                (void) add_header(r, "Strict-Transport-Security", "max-age=31536000");
        if (resp->allow)
                (void) add_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
        if (resp->location)
                (void) add_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
        if (resp->etag)
                (void) add_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
        if (resp->www_authenticate)
                (void) add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp->www_authenticate);
        if (resp->vary_accept)
                (void) add_header(r, MHD_HTTP_HEADER_VARY, "Accept");
        if (resp->retry_after > 0) {
                char v[16];
                (void) snprintf(v, sizeof v, "%u", resp->retry_after);
                (void) add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
        }
        if (resp->set_cookie)
                (void) add_header(r, MHD_HTTP_HEADER_SET_COOKIE, resp->set_cookie);

        ok = MHD_queue_response(c, resp->status, r);
        MHD_destroy_response(r);
        return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        HttpServer *s = cls;
        Response *resp = &s->resp;
        Conn *conn = conn_of(c);
        HttpAccess access = s->access;
        RequestContextKind *kind = *con_cls;
        LoginBody *login = kind && *kind == REQUEST_LOGIN ? *con_cls : NULL;
        DeferContext dc = { s, c, con_cls };
        bool post = streq(method, "POST");
        enum MHD_Result ok;
        Request req;

        (void) version;
        if (kind && *kind == REQUEST_DEFERRED) {
                /* resumed: the deferred answer is ready */
                HttpDeferred *d = *con_cls;
                if (!d->finished)
                        return MHD_YES;
                log_debug("%s %s -> %u (deferred)", method, url, d->resp.status);
                return queue(s, c, &d->resp);
        }
        if (conn) {
                conn->reading = false; /* the head is complete */
                access.loopback_only = conn->loopback;
                access.peer = conn->peer;
                access.peer_len = conn->peer_len;
        }
        access.now_usec = now_usec(s);

        /* The login form is the one body we take: collect it (bounded) before answering. */
        if (!login && post && s->sessions && http_access_is_login_path(url)) {
                login = xcalloc(1, sizeof(LoginBody));
                login->kind = REQUEST_LOGIN;
                *con_cls = login;
                return MHD_YES;
        }
        if (login && *upload_data_size > 0) {
                size_t n = *upload_data_size;
                if (login->len + n > sizeof login->data)
                        login->too_big = true;
                else {
                        memcpy(login->data + login->len, upload_data, n);
                        login->len += n;
                }
                *upload_data_size = 0;
                return MHD_YES;
        }

        http_request_init(&req, method, url);
        (void) MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
        req.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        req.if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_IF_NONE_MATCH);
        req.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        req.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_AUTHORIZATION);
        req.cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
        req.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
        req.fetch_site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");

        http_response_reset(resp);
        if (s->sessions && http_access_is_login_path(req.path)) {
                unsigned char fresh[HTTP_SESSION_ID_SIZE] = {};
                if (login && login->too_big)
                        http_respond_error(resp, HTTP_FORMAT_HTML, 413, "login form too large");
                else if (login && getrandom(fresh, sizeof fresh, 0) != (ssize_t) sizeof fresh)
                        http_respond_error(resp, HTTP_FORMAT_HTML, 503,
                                           "no randomness for a session, try again");
                else
                        http_access_login(&access, &req, post, login ? login->data : "",
                                          login ? login->len : 0, fresh, resp);
                explicit_bzero(fresh, sizeof fresh);
                if (login) {
                        explicit_bzero(login, sizeof *login); /* held the token */
                        free(login);
                        *con_cls = NULL;
                }
        } else {
                resp->defer = defer_request;
                resp->defer_userdata = &dc;
                http_dispatch(s->routes, &access, s->userdata, &req, resp);
        }

        if (s->login_limit && s->login_limit->just_blocked) {
                log_login_blocked(s, s->login_limit->just_blocked, access.now_usec);
                s->login_limit->just_blocked = NULL;
        }
        if (resp->deferred) {
                MHD_suspend_connection(c);
                http_request_done(&req);
                return MHD_YES;
        }

        log_debug("%s %s -> %u", req.method == HTTP_OTHER ? "(other)" : method, req.path,
                  resp->status);
        ok = queue(s, c, resp);
        http_request_done(&req);
        return ok;
}

/* Our own unescaping happens per segment in http_request_init(): keep MHD's hands off. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) {
        (void) cls, (void) c;
        return strlen(s);
}

/* MHD's messages: at debug level (they can be about clients), and the last one is kept for the
 * error message when MHD_start_daemon() fails (e.g. GnuTLS refusing a key). */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        HttpServer *s = cls;
        char msg[sizeof s->mhd_error];

        /* MHD's messages are printf formats from the library itself. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        (void) vsnprintf(msg, sizeof msg, fmt, ap);
#pragma GCC diagnostic pop
        msg[strcspn(msg, "\n")] = 0;
        memcpy(s->mhd_error, msg, sizeof msg);
        log_debug("libmicrohttpd: %s", msg);
}

static unsigned n_connections(struct MHD_Daemon *d) {
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        return info ? info->num_connections : 0;
}

/* MHD_run() once; and once more when connections were closed: MHD puts a listening socket that
 * it took out of its epoll set at the connection limit back only at the START of a run, and in
 * external mode nothing else would wake us for that (found by test-http's idle-connections
 * test: without the second run the server stops accepting for good). */
static void run(Listener *l) {
        unsigned before = n_connections(l->mhd);

        l->wake = false;
        if (MHD_run(l->mhd) != MHD_YES)
                log_debug("MHD_run() failed, ignoring");
        if (n_connections(l->mhd) < before && MHD_run(l->mhd) != MHD_YES)
                log_debug("MHD_run() failed, ignoring");
        deadline_rearm(l->server);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        (void) src, (void) fd, (void) revents;
        run(userdata);
        return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        (void) src, (void) usec;
        run(userdata);
        return 0;
}

/* Before every poll: arm the timer from MHD's next timeout (connection timeouts, and 0 when MHD
 * has buffered work that epoll will not report). */
static int on_prepare(sd_event_source *src, void *userdata) {
        Listener *l = userdata;
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now;

        (void) src;
        if (l->wake)
                ms = 0;
        else if (MHD_get_timeout(l->mhd, &ms) != MHD_YES)
                return sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
        if (sd_event_now(l->server->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_monotonic_usec();
        if (ms > UINT64_MAX / 1000 - now)
                ms = (UINT64_MAX - now) / 1000 - 1;
        (void) sd_event_source_set_time(l->timer, now + ms * 1000);
        return sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

static int listener_start(HttpServer *s, Listener *l, const HttpServerConfig *config) {
        const bool tls = config->tls_key && config->tls_certificate;
        /* TLS 1.2 and 1.3 only, GnuTLS's NORMAL set otherwise. MHD copies nothing: the strings
         * are read during MHD_start_daemon() only. */
        struct MHD_OptionItem tls_options[] = {
                { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) (uintptr_t) config->tls_key },
                { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) (uintptr_t) config->tls_certificate },
                { MHD_OPTION_HTTPS_PRIORITIES, 0,
                  (void *) (uintptr_t) "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
                { MHD_OPTION_END, 0, NULL },
        };
        struct MHD_OptionItem no_options[] = { { MHD_OPTION_END, 0, NULL } };
        const union MHD_DaemonInfo *info;
        int r, flags;

        flags = fcntl(l->fd, F_GETFL);
        if (flags >= 0)
                (void) fcntl(l->fd, F_SETFL, flags | O_NONBLOCK);

        l->server = s;
        s->mhd_error[0] = 0;
        l->mhd = MHD_start_daemon(
                MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
                        (tls ? MHD_USE_TLS : 0), 0, on_accept, s,
                on_request, s,
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                MHD_OPTION_ARRAY, tls ? tls_options : no_options,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) l->fd,
                MHD_OPTION_CONNECTION_LIMIT,
                (unsigned) (config->connection_limit ? config->connection_limit :
                                                       HTTP_CONNECTIONS_DEFAULT),
                MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned) (config->timeout_sec ? config->timeout_sec : HTTP_TIMEOUT_SEC_DEFAULT),
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_MEMORY_LIMIT_DEFAULT,
                MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                MHD_OPTION_END);
        if (!l->mhd) {
                /* MHD did not take the socket. */
                (void) close(TAKE_FD(l->fd));
                if (tls)
                        return log_error_errno(EBADMSG,
                                               "Failed to start the HTTPS server (is the TLS key "
                                               "an unencrypted PEM key matching the PEM "
                                               "certificate?): %s",
                                               s->mhd_error[0] ? s->mhd_error : "no details");
                return log_error_errno(EIO, "Failed to start the HTTP server: %s",
                                       s->mhd_error[0] ? s->mhd_error : "no details");
        }
        info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return log_error_errno(EIO, "Failed to get the HTTP server's epoll fd.");

        r = sd_event_add_io(s->event, &l->io, info->epoll_fd, EPOLLIN, on_io, l);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the HTTP server: %m");
        (void) sd_event_source_set_description(l->io, "http-io");
        r = sd_event_source_set_prepare(l->io, on_prepare);
        if (r < 0)
                return log_error_errno(r, "Failed to set the HTTP prepare callback: %m");
        r = sd_event_add_time(s->event, &l->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, l);
        if (r < 0)
                return log_error_errno(r, "Failed to add the HTTP timer: %m");
        (void) sd_event_source_set_description(l->timer, "http-timer");
        return sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
}

static Listener *listener_add(HttpServer *s, int fd) {
        s->listeners = xrealloc(s->listeners, (s->n_listeners + 1) * sizeof(Listener));
        s->listeners[s->n_listeners] = (Listener) { .fd = fd };
        return &s->listeners[s->n_listeners++];
}

int http_server_new(sd_event *event, const HttpServerConfig *config, const HttpRouteTable *routes,
                    void *userdata, HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = xcalloc(1, sizeof(*s));
        int r, n = 0;

        s->event = sd_event_ref(event);
        s->routes = routes;
        s->userdata = userdata;
        s->access = (HttpAccess) { .token = config->token,
                                   .allowed_hosts = config->allowed_hosts };
        s->tls = config->tls_key && config->tls_certificate;
        if (config->token) {
                s->sessions = xcalloc(1, sizeof(HttpSessions));
                s->access.sessions = s->sessions;
                s->access.secure = s->tls;
                s->login_limit = xcalloc(1, sizeof(HttpLoginLimit));
                s->access.login_limit = s->login_limit;
        }
        const unsigned total = config->connection_limit ? config->connection_limit :
                                                          HTTP_CONNECTIONS_DEFAULT;
        /* neither limit can be more than the total (max_connections = 8 with the default 16
         * per address is 8 per address) */
        s->per_ip_limit = config->per_ip_limit ? config->per_ip_limit : HTTP_PER_IP_DEFAULT;
        if (s->per_ip_limit > total)
                s->per_ip_limit = total;
        s->readers_limit = config->readers_limit ? config->readers_limit : total / 2;
        if (s->readers_limit > total)
                s->readers_limit = total;
        if (s->readers_limit == 0)
                s->readers_limit = 1;
        s->head_deadline_usec = (uint64_t) (config->head_deadline_sec ? config->head_deadline_sec :
                                            HTTP_HEAD_DEADLINE_SEC_DEFAULT) * USEC_PER_SEC;

        if (!!config->tls_key != !!config->tls_certificate)
                return log_error_errno(EINVAL, "TLS needs both a key and a certificate.");
        if (config->tls_key && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return log_error_errno(EOPNOTSUPP,
                                       "TLS requested, but libmicrohttpd was built without it.");
        if (s->access.token &&
            (isempty(s->access.token) || strlen(s->access.token) > HTTP_TOKEN_MAX))
                return log_error_errno(EINVAL, "The bearer token must have 1 to %d bytes.",
                                       HTTP_TOKEN_MAX);

        if (config->use_listen_fds) {
                n = sd_listen_fds(true);
                if (n < 0)
                        return log_error_errno(n, "Failed to get sockets from systemd: %m");
                for (int i = 0; i < n; i++) {
                        int fd = SD_LISTEN_FDS_START + i;
                        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                                log_warning("Passed fd %d is not a listening stream socket, "
                                            "ignoring", fd);
                                (void) close(fd);
                                continue;
                        }
                        listener_add(s, fd);
                }
        }
        if (s->n_listeners == 0 && config->n_listen == 0 && config->only_listen_fds)
                return log_error_errno(EINVAL, "listen is empty (socket activation only), but "
                                               "systemd passed no socket: start exposured.socket.");
        if (s->n_listeners == 0) {
                const ListenAddress fallback = listen_default();
                const ListenAddress *l = config->n_listen > 0 ? config->listen : &fallback;
                size_t n_l = config->n_listen > 0 ? config->n_listen : 1;

                for (size_t i = 0; i < n_l; i++) {
                        int fd = -1;
                        r = listen_on(&l[i], &fd);
                        if (r < 0)
                                return r;
                        listener_add(s, fd);
                }
        }
        if (s->n_listeners == 0)
                return log_error_errno(EINVAL, "No address to listen on.");
        s->access.loopback_only = true;
        for (size_t i = 0; i < s->n_listeners; i++)
                if (!fd_is_loopback(s->listeners[i].fd))
                        s->access.loopback_only = false;
        if (s->access.token && !config->tls_key && !s->access.loopback_only)
                log_warning("The bearer token crosses the network in clear text: no TLS on a "
                            "non-loopback socket (fine behind a TLS proxy on this host).");
        for (size_t i = 0; i < s->n_listeners; i++) {
                r = listener_start(s, &s->listeners[i], config);
                if (r < 0)
                        return r;
        }
        r = sd_event_add_time(s->event, &s->deadline_timer, CLOCK_MONOTONIC, 0, USEC_PER_SEC / 4,
                              on_deadline, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the HTTP deadline timer: %m");
        (void) sd_event_source_set_description(s->deadline_timer, "http-deadline");
        (void) sd_event_source_set_enabled(s->deadline_timer, SD_EVENT_OFF);
        *ret = TAKE_PTR(s);
        return 0;
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        /* Deferred answers still waiting: answer them 503 and let MHD run once, so that no
         * connection is suspended when MHD_stop_daemon() comes (it aborts the process then). */
        for (HttpDeferred *d = s->deferred; d; d = d->next)
                if (!d->finished) {
                        http_respond_error(&d->resp, HTTP_FORMAT_TEXT, 503, "shutting down");
                        http_deferred_finish(d);
                }
        for (size_t i = 0; s->deferred && i < s->n_listeners; i++)
                if (s->listeners[i].mhd)
                        (void) MHD_run(s->listeners[i].mhd);
        for (size_t i = 0; i < s->n_listeners; i++) {
                Listener *l = &s->listeners[i];
                sd_event_source_disable_unref(l->io);
                sd_event_source_disable_unref(l->timer);
                if (l->mhd)
                        MHD_stop_daemon(l->mhd); /* closes the listening socket */
                else if (l->fd >= 0)
                        (void) close(l->fd);
        }
        /* MHD_stop_daemon() closed every connection (freeing each Conn) and destroyed every
         * response (dropping each SharedBody reference): nothing is left in either list. */
        assert(!s->conns && !s->bodies);
        sd_event_source_disable_unref(s->deadline_timer);
        if (s->sessions) {
                explicit_bzero(s->sessions, sizeof *s->sessions);
                free(s->sessions);
        }
        free(s->login_limit);
        free(s->listeners);
        http_response_done(&s->resp);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

void http_server_set_paused(HttpServer *s, bool paused) {
        for (size_t i = 0; i < s->n_listeners; i++) {
                Listener *l = &s->listeners[i];
                (void) sd_event_source_set_enabled(l->io, paused ? SD_EVENT_OFF : SD_EVENT_ON);
                if (paused)
                        (void) sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
        }
}

size_t http_server_n_listeners(const HttpServer *s) {
        return s->n_listeners;
}

int http_server_port(const HttpServer *s, size_t i) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;

        if (i >= s->n_listeners)
                return -EINVAL;
        if (getsockname(s->listeners[i].fd, (struct sockaddr *) &ss, &len) < 0)
                return -errno;
        if (ss.ss_family == AF_INET)
                return ntohs(((struct sockaddr_in *) &ss)->sin_port);
        if (ss.ss_family == AF_INET6)
                return ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
        return -EAFNOSUPPORT;
}

const HttpAccess *http_server_access(const HttpServer *s) {
        return &s->access;
}
