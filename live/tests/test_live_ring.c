/* live/ring.c, the engine's and the recorder's queue:
 * - capacity is the next power of two, all of it usable; empty and full are told apart;
 * - a write that does not fit and a read of more than is there move nothing;
 * - records that straddle the end of the buffer come back intact (wrap-around), and peek/skip;
 * - two threads, one writing and one reading, pass a bounded count of records of varying size
 *   (the recorder's) and fixed size (the engine's commands) with sequence numbers and a
 *   checksum: nothing lost, duplicated, reordered or torn.
 */
#include "check.h"
#include "ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#define COUNT 200000u

typedef struct rec {
    uint32_t seq;
    uint32_t len; /* payload words that follow in the ring */
} rec;

static uint32_t word(uint32_t seq, uint32_t i) { return seq * 2654435761u + i * 40503u + 1u; }

static void *producer(void *arg) {
    live_ring *r = arg;
    uint32_t buf[64];
    for (uint32_t seq = 0; seq < COUNT;) {
        rec h = {seq, seq % 61u};
        size_t bytes = sizeof h + h.len * sizeof(uint32_t);
        if (live_ring_write_space(r) < bytes) { /* the consumer is behind */
            sched_yield();                      /* a shared 2-core machine: let it run */
            continue;
        }
        for (uint32_t i = 0; i < h.len; i++) buf[i] = word(seq, i);
        /* Header, then payload, published separately, like the recorder's messages. */
        live_ring_write(r, &h, sizeof h);
        live_ring_write(r, buf, h.len * sizeof(uint32_t));
        seq++;
    }
    return NULL;
}

typedef struct result {
    uint64_t sum_got, sum_want;
    uint32_t bad_seq, torn, received;
} result;

static void consume(live_ring *r, result *res) {
    uint32_t buf[64];
    while (res->received < COUNT) {
        rec h;
        if (live_ring_peek(r, &h, sizeof h)) {
            sched_yield();
            continue;
        }
        size_t bytes = sizeof h + h.len * sizeof(uint32_t);
        if (live_ring_read_space(r) < bytes) continue; /* payload still coming */
        live_ring_skip(r, sizeof h);
        if (live_ring_read(r, buf, h.len * sizeof(uint32_t))) res->torn++;
        if (h.seq != res->received) res->bad_seq++;
        for (uint32_t i = 0; i < h.len; i++) {
            res->sum_got += buf[i];
            res->sum_want += word(res->received, i);
        }
        res->received++;
    }
}

static void *cmd_producer(void *arg) {
    live_ring *r = arg;
    for (uint64_t v = 1; v <= COUNT;)
        if (live_ring_write(r, &v, sizeof v) == 0)
            v++;
        else
            sched_yield();
    return NULL;
}

int main(void) {
    /* Sizes, empty, full. */
    live_ring *r = live_ring_new(100);
    CHECK(r && live_ring_capacity(r) == 128, "100 bytes -> capacity 128");
    CHECK(live_ring_read_space(r) == 0 && live_ring_write_space(r) == 128, "new ring empty");
    unsigned char in[200], out[200];
    for (int i = 0; i < 200; i++) in[i] = (unsigned char)(i * 7 + 3);
    CHECK(live_ring_read(r, out, 1) == -1, "reading an empty ring fails");
    CHECK(live_ring_write(r, in, 129) == -1 && live_ring_read_space(r) == 0,
          "a write larger than the ring writes nothing");
    CHECK(live_ring_write(r, in, 128) == 0, "the whole capacity is usable");
    CHECK(live_ring_write_space(r) == 0 && live_ring_read_space(r) == 128, "full");
    CHECK(live_ring_write(r, in, 1) == -1, "writing a full ring fails");
    CHECK(live_ring_read(r, out, 129) == -1 && live_ring_read_space(r) == 128,
          "a read of more than is there reads nothing");
    CHECK(live_ring_read(r, out, 128) == 0 && !memcmp(in, out, 128), "full ring read back");
    CHECK(live_ring_read_space(r) == 0 && live_ring_write_space(r) == 128, "empty again");

    /* Wrap-around: records of 48 bytes through a 128-byte ring, so most straddle the end. */
    int wrap_ok = 1;
    for (int i = 0; i < 100; i++) {
        memset(out, 0, sizeof out);
        if (live_ring_write(r, in + i, 48) || live_ring_write(r, in + i + 1, 48)) wrap_ok = 0;
        if (live_ring_peek(r, out, 48) || memcmp(out, in + i, 48)) wrap_ok = 0;
        live_ring_skip(r, 48);
        if (live_ring_read(r, out, 48) || memcmp(out, in + i + 1, 48)) wrap_ok = 0;
    }
    CHECK(wrap_ok, "records across the wrap come back intact (peek, skip, read)");
    live_ring_skip(r, 1000);
    CHECK(live_ring_read_space(r) == 0, "skip stops at what is there");
    CHECK(live_ring_mlock(r) == 0 || 1, "mlock is best effort");
    live_ring_free(r);
    live_ring_free(NULL);

    /* Two threads, variable-size messages through a small ring (many wraps, often full). */
    r = live_ring_new(1024);
    pthread_t th;
    result res = {0};
    pthread_create(&th, NULL, producer, r);
    consume(r, &res);
    pthread_join(th, NULL);
    printf("%u messages: %u out of order, %u torn, checksum %llu (want %llu)\n", res.received,
           res.bad_seq, res.torn, (unsigned long long)res.sum_got,
           (unsigned long long)res.sum_want);
    CHECK(res.received == COUNT && res.bad_seq == 0 && res.torn == 0 && res.sum_got == res.sum_want,
          "two threads: every message once, in order, intact");
    CHECK(live_ring_read_space(r) == 0, "nothing left over");
    live_ring_free(r);

    /* Two threads, fixed-size records (the engine's commands): the sum of 1..COUNT. */
    r = live_ring_new(64 * sizeof(uint64_t));
    pthread_create(&th, NULL, cmd_producer, r);
    uint64_t v, sum = 0, n = 0, last = 0, order_ok = 1;
    while (n < COUNT) {
        if (live_ring_read(r, &v, sizeof v)) {
            sched_yield();
            continue;
        }
        order_ok &= v == last + 1;
        last = v;
        sum += v;
        n++;
    }
    pthread_join(th, NULL);
    uint64_t want = (uint64_t)COUNT * (COUNT + 1) / 2;
    printf("%llu records, sum %llu (want %llu)\n", (unsigned long long)n, (unsigned long long)sum,
           (unsigned long long)want);
    CHECK(sum == want && order_ok, "fixed-size records: all, in order");
    live_ring_free(r);
    return check_done();
}
