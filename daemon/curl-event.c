/* SPDX-License-Identifier: MIT */
/* libcurl multi, socket-action mode, on sd-event (see curl-event.h). Each socket curl wants
 * watched gets an I/O source (its pointer kept with curl_multi_assign()); curl's single timeout
 * is one time source. Both call curl_multi_socket_action(), then finished transfers are read
 * with curl_multi_info_read(), removed from the multi handle and only then reported, so that a
 * callback may freely start or cancel fetches. curl_multi_socket_action() is never called from
 * inside one of curl's own callbacks (libcurl forbids it). */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "curl-event.h"
#include "util.h"

struct CurlFetch {
        CurlEvent *owner;
        CURL *easy;
        struct curl_slist *headers;
        char *post_form;
        Buf body;
        size_t max_bytes;
        bool too_big;
        char errbuf[CURL_ERROR_SIZE];
        CurlDone done;
        void *userdata;
        uint64_t start_usec;
        CurlFetch *prev, *next;
};

struct CurlEvent {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        CurlFetch *fetches; /* pending, a doubly linked list */
        size_t n_fetches;
        /* every socket source, so that those curl_multi_cleanup() does not report as removed
         * (connections in its cache) are freed too */
        sd_event_source **sources;
        size_t n_sources;
};

static void source_forget(CurlEvent *c, sd_event_source *src) {
        for (size_t i = 0; i < c->n_sources; i++)
                if (c->sources[i] == src) {
                        c->sources[i] = c->sources[--c->n_sources];
                        return;
                }
}

static void check_done(CurlEvent *c);

static void fetch_free(CurlFetch *f) {
        CurlEvent *c = f->owner;

        if (f->prev)
                f->prev->next = f->next;
        else
                c->fetches = f->next;
        if (f->next)
                f->next->prev = f->prev;
        c->n_fetches--;
        (void) curl_multi_remove_handle(c->multi, f->easy);
        curl_easy_cleanup(f->easy);
        curl_slist_free_all(f->headers);
        free(f->post_form);
        buf_done(&f->body);
        free(f);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        CurlEvent *c = userdata;
        int action = 0, running = 0;

        (void) src;
        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        (void) curl_multi_socket_action(c->multi, fd, action, &running);
        check_done(c);
        return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        CurlEvent *c = userdata;
        int running = 0;

        (void) src, (void) usec;
        (void) curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_done(c);
        return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what, or stop watching it. */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
        CurlEvent *c = userp;
        sd_event_source *src = socketp;
        uint32_t events = 0;

        (void) easy;
        if (what == CURL_POLL_REMOVE) {
                if (src) {
                        (void) curl_multi_assign(c->multi, s, NULL);
                        source_forget(c, src);
                        (void) sd_event_source_disable_unref(src);
                }
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;
        if (src) {
                if (sd_event_source_set_io_events(src, events) < 0)
                        return -1;
                return sd_event_source_set_enabled(src, SD_EVENT_ON) < 0 ? -1 : 0;
        }
        if (sd_event_add_io(c->event, &src, s, events, on_io, c) < 0)
                return -1;
        (void) sd_event_source_set_description(src, "curl-io");
        if (curl_multi_assign(c->multi, s, src) != CURLM_OK) {
                (void) sd_event_source_disable_unref(src);
                return -1;
        }
        c->sources = xrealloc(c->sources, (c->n_sources + 1) * sizeof(sd_event_source *));
        c->sources[c->n_sources++] = src;
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer, else fire after timeout_ms (0: as soon as the
 * loop gets to it, never from here). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        CurlEvent *c = userp;
        uint64_t now;

        (void) multi;
        if (timeout_ms < 0)
                return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        if (sd_event_now(c->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_monotonic_usec();
        if (sd_event_source_set_time(c->timer, now + (uint64_t) timeout_ms * 1000) < 0)
                return -1;
        return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata) {
        CurlFetch *f = userdata;
        size_t n = size * nmemb;

        if (n > f->max_bytes - f->body.len) {
                f->too_big = true;
                return 0; /* CURLE_WRITE_ERROR: curl stops the transfer */
        }
        buf_append(&f->body, data, n);
        return n;
}

static int curl_errno(CURLcode rc) {
        switch (rc) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_FILESIZE_EXCEEDED:
                return -EFBIG;
        case CURLE_UNSUPPORTED_PROTOCOL:
                return -EPROTONOSUPPORT;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return -EPROTO;
        default:
                return -EIO;
        }
}

static void check_done(CurlEvent *c) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(c->multi, &left))) {
                CurlFetch *f = NULL;
                CurlResult r = {};

                if (msg->msg != CURLMSG_DONE)
                        continue;
                if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &f) !=
                            CURLE_OK || !f)
                        continue;
                r.error = f->too_big ? -EFBIG : curl_errno(msg->data.result);
                if (r.error)
                        r.error_message = f->too_big ? "response too large" :
                                          f->errbuf[0] ? f->errbuf :
                                                         curl_easy_strerror(msg->data.result);
                (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &r.status);
                r.body = f->body.data ? f->body.data : "";
                r.size = f->body.len;
                r.duration_usec = now_monotonic_usec() - f->start_usec;
                /* Out of the multi handle first: the callback may start new fetches. */
                (void) curl_multi_remove_handle(c->multi, f->easy);
                f->done(&r, f->userdata);
                fetch_free(f);
        }
}

int curl_event_new(sd_event *event, CurlEvent **ret) {
        CurlEvent *c;
        int r;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        c = xcalloc(1, sizeof(*c));
        c->event = sd_event_ref(event);
        c->multi = curl_multi_init();
        if (!c->multi) {
                curl_event_free(c);
                return -ENOMEM;
        }
        r = sd_event_add_time(event, &c->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, c);
        if (r < 0) {
                curl_event_free(c);
                return r;
        }
        (void) sd_event_source_set_description(c->timer, "curl-timer");
        (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
            /* however many pages are asked for at once, at most this many connections: the
             * rest wait in curl's queue (their timeouts run meanwhile) */
            curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                              (long) CURL_EVENT_CONNECTIONS_MAX) != CURLM_OK) {
                curl_event_free(c);
                return -EIO;
        }
        *ret = c;
        return 0;
}

CurlEvent *curl_event_free(CurlEvent *c) {
        if (!c)
                return NULL;
        while (c->fetches)
                fetch_free(c->fetches);
        /* curl_multi_cleanup() may still report sockets to remove: the sources go with it. */
        if (c->multi)
                (void) curl_multi_cleanup(c->multi);
        for (size_t i = 0; i < c->n_sources; i++)
                (void) sd_event_source_disable_unref(c->sources[i]);
        free(c->sources);
        (void) sd_event_source_disable_unref(c->timer);
        sd_event_unref(c->event);
        free(c);
        curl_global_cleanup();
        return NULL;
}

int curl_event_fetch(CurlEvent *c, const CurlFetchOptions *o, CurlDone done, void *userdata,
                     CurlFetch **ret) {
        CurlFetch *f;
        CURL *e;
        bool ok = true;
        long ms;

        if (!o->url || o->timeout_usec == 0 || o->max_bytes == 0 || !done)
                return -EINVAL;
        if (!startswith(o->url, "http://") && !startswith(o->url, "https://"))
                return -EPROTONOSUPPORT;
        e = curl_easy_init();
        if (!e)
                return -ENOMEM;
        f = xcalloc(1, sizeof(*f));
        f->owner = c;
        f->easy = e;
        f->max_bytes = o->max_bytes;
        f->done = done;
        f->userdata = userdata;
        f->start_usec = now_monotonic_usec();
        ms = (long) ((o->timeout_usec + 999) / 1000);

        /* Link first, so that fetch_free() can undo everything below. */
        f->next = c->fetches;
        if (c->fetches)
                c->fetches->prev = f;
        c->fetches = f;
        c->n_fetches++;

#define SET(opt, val) ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK
        SET(CURLOPT_URL, o->url);
        SET(CURLOPT_PRIVATE, (void *) f);
        SET(CURLOPT_ERRORBUFFER, f->errbuf);
        SET(CURLOPT_WRITEFUNCTION, write_cb);
        SET(CURLOPT_WRITEDATA, (void *) f);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_PROTOCOLS_STR, "http,https");
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_TIMEOUT_MS, ms);
        SET(CURLOPT_CONNECTTIMEOUT_MS, ms);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) o->max_bytes);
        SET(CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl decodes; the bound is on the result */
        SET(CURLOPT_USERAGENT, "exposured-fleet");
        if (o->post_form) {
                f->post_form = xstrdup(o->post_form);
                SET(CURLOPT_POSTFIELDS, f->post_form);
        }
        if (o->bearer_token) {
                SET(CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER);
                SET(CURLOPT_XOAUTH2_BEARER, o->bearer_token);
        }
        if (o->ca_file)
                SET(CURLOPT_CAINFO, o->ca_file);
        if (o->accept) {
                Buf h = {};
                buf_puts(&h, "Accept: ");
                buf_puts(&h, o->accept);
                f->headers = curl_slist_append(NULL, h.data);
                buf_done(&h);
                ok = ok && f->headers;
                SET(CURLOPT_HTTPHEADER, f->headers);
        }
#undef SET
        if (!ok || curl_multi_add_handle(c->multi, e) != CURLM_OK) {
                fetch_free(f);
                return -EIO;
        }
        if (ret)
                *ret = f;
        return 0;
}

void curl_fetch_cancel(CurlFetch *f) {
        if (f)
                fetch_free(f);
}

size_t curl_event_pending(const CurlEvent *c) {
        return c->n_fetches;
}
