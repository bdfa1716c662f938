/* SPDX-License-Identifier: MIT */
/* HTTP client requests on the daemon's sd-event loop: libcurl's multi interface in its socket
 * mode (CURLMOPT_SOCKETFUNCTION adds an sd-event I/O source per socket, CURLMOPT_TIMERFUNCTION
 * arms one sd-event timer), so nothing ever blocks the loop. The only file that includes
 * curl/curl.h. Every fetch has a total timeout and a bound on the response body; only http and
 * https, no redirects, no signals, no cookies. Name resolution is libcurl's own (Debian's build
 * resolves in a short-lived helper thread, which is what keeps getaddrinfo() off the loop).
 * Never logs: the caller gets an -errno and curl's message. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cleanup.h"

#define CURL_EVENT_CONNECTIONS_MAX 16 /* open at once; more fetches queue */

typedef struct CurlEvent CurlEvent;
typedef struct CurlFetch CurlFetch;

typedef struct CurlFetchOptions {
        const char *url;          /* http:// or https:// (anything else is -EPROTONOSUPPORT) */
        const char *post_form;    /* application/x-www-form-urlencoded body (POST), or NULL: GET */
        const char *bearer_token; /* sent as "Authorization: Bearer ..." or NULL */
        const char *ca_file;      /* PEM bundle to verify the server with, or NULL: the system's */
        const char *accept;       /* Accept header or NULL */
        uint64_t timeout_usec;    /* whole transfer, connect included; must be > 0 */
        size_t max_bytes;         /* bound on the (decoded) body; must be > 0 */
} CurlFetchOptions;

typedef struct CurlResult {
        int error;                 /* 0, or -ETIMEDOUT, -EFBIG (body over max_bytes),
                                    * -ECONNREFUSED, -EHOSTUNREACH (name not resolved),
                                    * -EPROTO (TLS), -EIO (anything else) */
        const char *error_message; /* curl's text when error != 0, else NULL */
        long status;               /* HTTP status; 0 when no response arrived */
        const char *body;          /* NUL-terminated, never NULL; valid during the callback */
        size_t size;
        uint64_t duration_usec;
} CurlResult;

/* Called once per fetch, from the event loop, unless the fetch was cancelled. The fetch is
 * finished and freed when this returns; the callback may start or cancel other fetches. */
typedef void (*CurlDone)(const CurlResult *r, void *userdata);

/* Attach a multi handle to event. Returns 0 or -ENOMEM/-EIO. */
int curl_event_new(sd_event *event, CurlEvent **ret);
/* Cancel every pending fetch (without callbacks) and detach. Accepts NULL, returns NULL. */
CurlEvent *curl_event_free(CurlEvent *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CurlEvent *, curl_event_free);

/* Start a fetch. ret (may be NULL) gets a handle for curl_fetch_cancel(), valid until done runs.
 * The option strings are copied. Returns 0, -EINVAL (timeout or bound 0, no url) or
 * -EPROTONOSUPPORT (not http/https); done is never called for a fetch that failed to start. */
int curl_event_fetch(CurlEvent *c, const CurlFetchOptions *o, CurlDone done, void *userdata,
                     CurlFetch **ret);
/* Abort a pending fetch; its callback is not called. Accepts NULL. */
void curl_fetch_cancel(CurlFetch *f);
/* Fetches started and not yet finished or cancelled. */
size_t curl_event_pending(const CurlEvent *c);
