/* The CPU cost of creating a first instance in a fresh process (issue 15's start-up target):
 * shared by tests/test_startup.c (which asserts it) and bench/bench_startup.c (which prints it). */
#ifndef GS_STARTUP_CPU_H
#define GS_STARTUP_CPU_H

#include <stdint.h>

/* CPU milliseconds of gs_channel_new(model, rate, max_block) and, if quality is not NULL,
 * setting its `quality`, measured in a forked child that has created nothing before; negative
 * on any failure. */
double startup_cpu_ms(const char *model, const char *quality, double rate, uint32_t max_block);

#endif
