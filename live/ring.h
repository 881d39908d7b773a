/* gainstage live: a lock-free single-producer / single-consumer byte ring.
 *
 * The engine's command queue, its trash queue (channels going back to be freed) and the
 * recorder's audio queue. One thread writes, one thread reads; neither ever waits or locks, so the
 * process thread can be either end. The capacity is a power of two (indices run freely and are
 * masked), all of it usable. A write or read moves a whole record or nothing: a reader never sees
 * half of a record written with one live_ring_write.
 *
 * Ordering: the producer copies the data, then publishes the new write index with release; the
 * consumer loads it with acquire before copying out, and hands the space back the same way. This
 * replaces jack_ringbuffer, so that the engine links no JACK.
 */
#ifndef GS_LIVE_RING_H
#define GS_LIVE_RING_H

#include <stddef.h>

#ifndef GS_LIVE_RT
#define GS_LIVE_RT /* runs in the process thread */
#endif

typedef struct live_ring live_ring;

/* A ring of at least `min_bytes` (rounded up to a power of two). NULL if out of memory. */
live_ring *live_ring_new(size_t min_bytes);
void live_ring_free(live_ring *r); /* NULL is fine */
/* Keep the buffer resident (a page fault in the process thread is an xrun). Best effort: 0, or
 * -1 if the system refused (RLIMIT_MEMLOCK); the ring works either way. */
int live_ring_mlock(live_ring *r);
size_t live_ring_capacity(const live_ring *r);

/* Producer side. */
GS_LIVE_RT size_t live_ring_write_space(const live_ring *r);
/* Copy n bytes in and publish them: 0, or -1 (nothing written) if fewer than n bytes are free. */
GS_LIVE_RT int live_ring_write(live_ring *r, const void *src, size_t n);

/* Consumer side. */
GS_LIVE_RT size_t live_ring_read_space(const live_ring *r);
/* Copy n bytes out and free them: 0, or -1 (nothing read) if fewer than n bytes are there. */
GS_LIVE_RT int live_ring_read(live_ring *r, void *dst, size_t n);
/* Copy n bytes out, leaving them in the ring: 0 or -1 as live_ring_read. */
GS_LIVE_RT int live_ring_peek(const live_ring *r, void *dst, size_t n);
/* Free n bytes (at most what is there) without copying them. */
GS_LIVE_RT void live_ring_skip(live_ring *r, size_t n);

#endif
