/* Allocation and lock counters for the real-time tests: armed around the calls that must not
 * allocate or lock. Without a sanitizer, malloc, calloc, realloc and pthread_mutex_lock are
 * interposed by this object (its definitions in the executable take precedence); under
 * AddressSanitizer, whose allocator cannot be interposed, the sanitizer's malloc hooks count. */
#ifndef GS_RTCOUNT_H
#define GS_RTCOUNT_H

extern volatile int rt_armed;
extern volatile long rt_allocs, rt_locks;

/* Install the counters (the sanitizer's hooks where it has them). Returns 1 if an allocation
 * made while armed is counted, so that a test can tell "none" from "not counted". */
int rt_count_install(void);

#endif
