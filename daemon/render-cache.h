/* SPDX-License-Identifier: MIT */
/* A small cache of rendered response bodies, so that a scrape storm costs one render per state
 * change instead of one per request (a /metrics render at 8 MB takes ~70 ms: 100 scrapers at
 * once would be 7 s of the only thread). Each entry is a key (the route and whatever else the
 * body depends on: format, arguments), the State generation it was rendered from, an optional
 * expiry (for pages that also show the time, like the dashboard's "5 min ago") and the body as
 * a refcounted HttpBody that the responses being sent share: evicting or replacing an entry
 * never frees bytes a slow reader is still being sent, it drops the cache's reference.
 *
 * Bounded: at most RENDER_CACHE_SLOTS entries and RENDER_CACHE_BYTES_MAX bytes held by the
 * cache (a body larger than that is not cached); the least recently used entry goes first.
 * Keys are built by the caller from validated input only, so a client cannot make one entry per
 * request (and even then it would only churn the bounded slots). Pure bookkeeping: no I/O, no
 * logging, no clock (the caller passes the time). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "http-request.h"

#define RENDER_CACHE_SLOTS 8
#define RENDER_CACHE_BYTES_MAX (64u * 1024 * 1024)
#define RENDER_CACHE_KEY_MAX 128

typedef struct RenderCacheEntry {
        char key[RENDER_CACHE_KEY_MAX]; /* "" = free slot */
        uint64_t generation;            /* State.generation it was rendered from */
        uint64_t expires_usec;          /* CLOCK_MONOTONIC; 0: valid for the whole generation */
        const char *content_type;       /* static string */
        HttpBody *body;                 /* the cache's reference */
        uint64_t used;                  /* LRU tick */
} RenderCacheEntry;

typedef struct RenderCache {
        RenderCacheEntry slots[RENDER_CACHE_SLOTS];
        size_t bytes;                   /* body bytes referenced by the slots */
        uint64_t tick;
        uint64_t hits, misses;          /* counters for tests and benchmarks */
} RenderCache;

/* The entry for key rendered from generation and not expired at now_usec, or NULL (a miss; a
 * stale entry for the key is dropped). Borrowed: valid until the next render_cache_put() or
 * render_cache_done(); take http_body_ref() of its body to keep it. */
const RenderCacheEntry *render_cache_get(RenderCache *c, const char *key, uint64_t generation,
                                         uint64_t now_usec);
/* Remember body (one more reference is taken; the caller keeps its own) under key for
 * generation, until expires_usec (0: no expiry). Replaces the key's entry, else takes a free
 * slot, else evicts the least recently used; evicts further while the bytes exceed
 * RENDER_CACHE_BYTES_MAX. A key longer than RENDER_CACHE_KEY_MAX - 1 or a body larger than
 * RENDER_CACHE_BYTES_MAX is not cached. Returns 1 when cached, 0 when not. */
int render_cache_put(RenderCache *c, const char *key, uint64_t generation, uint64_t expires_usec,
                     const char *content_type, HttpBody *body);
/* Drop every entry (bodies still being sent live on with their senders); *c is empty and
 * reusable, its counters kept. */
void render_cache_clear(RenderCache *c);
/* Drop every entry and zero *c. */
void render_cache_done(RenderCache *c);
