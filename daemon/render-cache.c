/* SPDX-License-Identifier: MIT */
/* The render cache (render-cache.h): a handful of slots searched linearly (eight: a loop beats a
 * hash table at this size), LRU eviction, a byte budget. Must never render, log or read a
 * clock: the handlers decide what to cache and when. */
#include <string.h>

#include "render-cache.h"

static void slot_drop(RenderCache *c, RenderCacheEntry *e) {
        if (!e->key[0])
                return;
        c->bytes -= e->body->size;
        http_body_unref(e->body);
        *e = (RenderCacheEntry) {};
}

static RenderCacheEntry *slot_find(RenderCache *c, const char *key) {
        for (size_t i = 0; i < RENDER_CACHE_SLOTS; i++)
                if (c->slots[i].key[0] && strcmp(c->slots[i].key, key) == 0)
                        return &c->slots[i];
        return NULL;
}

/* A free slot, else the least recently used one (dropped). */
static RenderCacheEntry *slot_take(RenderCache *c) {
        RenderCacheEntry *lru = &c->slots[0];

        for (size_t i = 0; i < RENDER_CACHE_SLOTS; i++) {
                if (!c->slots[i].key[0])
                        return &c->slots[i];
                if (c->slots[i].used < lru->used)
                        lru = &c->slots[i];
        }
        slot_drop(c, lru);
        return lru;
}

const RenderCacheEntry *render_cache_get(RenderCache *c, const char *key, uint64_t generation,
                                         uint64_t now_usec) {
        RenderCacheEntry *e = slot_find(c, key);

        if (e && (e->generation != generation ||
                  (e->expires_usec && now_usec >= e->expires_usec))) {
                slot_drop(c, e);
                e = NULL;
        }
        if (!e) {
                c->misses++;
                return NULL;
        }
        c->hits++;
        e->used = ++c->tick;
        return e;
}

int render_cache_put(RenderCache *c, const char *key, uint64_t generation, uint64_t expires_usec,
                     const char *content_type, HttpBody *body) {
        RenderCacheEntry *e;

        if (strlen(key) >= RENDER_CACHE_KEY_MAX || body->size > RENDER_CACHE_BYTES_MAX)
                return 0;
        e = slot_find(c, key);
        if (e)
                slot_drop(c, e);
        else
                e = slot_take(c);
        /* Over budget: evict the least recently used others until the new body fits. */
        while (c->bytes + body->size > RENDER_CACHE_BYTES_MAX) {
                RenderCacheEntry *lru = NULL;
                for (size_t i = 0; i < RENDER_CACHE_SLOTS; i++)
                        if (c->slots[i].key[0] && (!lru || c->slots[i].used < lru->used))
                                lru = &c->slots[i];
                if (!lru)
                        break;
                slot_drop(c, lru);
        }
        memcpy(e->key, key, strlen(key) + 1);
        e->generation = generation;
        e->expires_usec = expires_usec;
        e->content_type = content_type;
        e->body = http_body_ref(body);
        e->used = ++c->tick;
        c->bytes += body->size;
        return 1;
}

void render_cache_clear(RenderCache *c) {
        for (size_t i = 0; i < RENDER_CACHE_SLOTS; i++)
                slot_drop(c, &c->slots[i]);
}

void render_cache_done(RenderCache *c) {
        render_cache_clear(c);
        *c = (RenderCache) {};
}
