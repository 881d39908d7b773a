#include "ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The two indices on their own cache lines: the producer writes `head`, the consumer `tail`, and
 * sharing a line would bounce it between the two cores on every record. */
struct live_ring {
    alignas(64) _Atomic size_t head; /* bytes ever written */
    alignas(64) _Atomic size_t tail; /* bytes ever read */
    alignas(64) size_t size, mask;
    unsigned char *buf;
};

live_ring *live_ring_new(size_t min_bytes) {
    size_t size = 1;
    while (size < min_bytes) {
        if (size > (size_t)-1 / 2) return NULL;
        size *= 2;
    }
    size_t rsz = (sizeof(live_ring) + 63) / 64 * 64;
    live_ring *r = aligned_alloc(64, rsz);
    if (!r) return NULL;
    memset(r, 0, sizeof *r);
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->size = size;
    r->mask = size - 1;
    r->buf = calloc(size, 1);
    if (!r->buf) {
        free(r);
        return NULL;
    }
    return r;
}

void live_ring_free(live_ring *r) {
    if (!r) return;
    free(r->buf);
    free(r);
}

int live_ring_mlock(live_ring *r) {
    int a = mlock(r, sizeof *r), b = mlock(r->buf, r->size);
    return a == 0 && b == 0 ? 0 : -1;
}

size_t live_ring_capacity(const live_ring *r) { return r->size; }

GS_LIVE_RT size_t live_ring_write_space(const live_ring *r) {
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed); /* ours */
    size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    return r->size - (h - t);
}

GS_LIVE_RT size_t live_ring_read_space(const live_ring *r) {
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed); /* ours */
    size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    return h - t;
}

/* Copy between the ring at index `at` and flat memory, in two pieces across the wrap. */
GS_LIVE_RT static void copy_in(live_ring *r, size_t at, const void *src, size_t n) {
    size_t off = at & r->mask, first = r->size - off < n ? r->size - off : n;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const unsigned char *)src + first, n - first);
}

GS_LIVE_RT static void copy_out(const live_ring *r, size_t at, void *dst, size_t n) {
    size_t off = at & r->mask, first = r->size - off < n ? r->size - off : n;
    memcpy(dst, r->buf + off, first);
    memcpy((unsigned char *)dst + first, r->buf, n - first);
}

GS_LIVE_RT int live_ring_write(live_ring *r, const void *src, size_t n) {
    if (live_ring_write_space(r) < n) return -1;
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    copy_in(r, h, src, n);
    atomic_store_explicit(&r->head, h + n, memory_order_release);
    return 0;
}

GS_LIVE_RT int live_ring_peek(const live_ring *r, void *dst, size_t n) {
    if (live_ring_read_space(r) < n) return -1;
    copy_out(r, atomic_load_explicit(&r->tail, memory_order_relaxed), dst, n);
    return 0;
}

GS_LIVE_RT int live_ring_read(live_ring *r, void *dst, size_t n) {
    if (live_ring_peek(r, dst, n)) return -1;
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, t + n, memory_order_release);
    return 0;
}

GS_LIVE_RT void live_ring_skip(live_ring *r, size_t n) {
    size_t have = live_ring_read_space(r);
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, t + (n < have ? n : have), memory_order_release);
}
