/* How long one CPU is taken away from a real-time thread that never sleeps: the floor under any
 * JACK client's deadlines on this machine, whatever the client does.
 *
 * A SCHED_FIFO thread (priority 80, memory locked) pinned to CPU spins reading CLOCK_MONOTONIC and
 * histograms the gaps between consecutive readings. Nothing in this machine's user space can
 * preempt it, so a gap is an interrupt, or the virtual CPU not being run by the host. A gap
 * longer than the time left in a period (1.333 ms at 48 kHz / 64 frames, minus the DSP) is an xrun
 * for a client on that CPU. It spins 0.9 s of each second, so the kernel's real-time throttling
 * (0.95 s per second) never cuts in. Without the right to SCHED_FIFO it spins as a normal thread
 * and says so (its gaps then include other processes).
 *
 *   bench_jitter [SECONDS [CPU]]   (defaults: 10 s, CPU 1)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv) {
    int seconds = argc > 1 ? atoi(argv[1]) : 10, cpu = argc > 2 ? atoi(argv[2]) : 1;
    if (seconds < 1) seconds = 1;
    mlockall(MCL_CURRENT | MCL_FUTURE);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0 || cpu >= CPU_SETSIZE) cpu = 0;
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) {
        perror("bench_jitter: sched_setaffinity");
        return 1;
    }
    struct sched_param sp = {.sched_priority = 80};
    int rt = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
    static const int64_t lim_us[] = {10, 50, 100, 200, 500, 1000, 2000, 5000};
    enum { NB = sizeof lim_us / sizeof lim_us[0] };
    uint64_t hist[NB] = {0};
    int64_t spun = 0, lost = 0, worst = 0;
    for (int s = 0; s < seconds; s++) {
        int64_t t0 = now_ns(), last = t0;
        while (last - t0 < 900000000) {
            int64_t t = now_ns(), d = (t - last) / 1000;
            if (d >= lim_us[0]) {
                int b = 0;
                while (b + 1 < NB && d >= lim_us[b + 1]) b++;
                hist[b]++;
                lost += d;
                if (d > worst) worst = d;
            }
            last = t;
        }
        spun += last - t0;
        struct timespec pause = {0, 100000000L};
        nanosleep(&pause, NULL);
    }
    printf("bench_jitter: CPU %d, %s, %.1f s spun: %.2f%% lost in gaps of 10 us or more, longest "
           "%.2f ms\n",
           cpu, rt ? "SCHED_FIFO 80" : "SCHED_OTHER (no real-time rights)", 1e-9 * (double)spun,
           100.0 * 1e3 * (double)lost / (double)spun, 1e-3 * (double)worst);
    printf("  gaps:");
    for (int b = 0; b < NB; b++) {
        if (b + 1 < NB)
            printf(" %lld-%lld us: %llu,", (long long)lim_us[b], (long long)lim_us[b + 1],
                   (unsigned long long)hist[b]);
        else
            printf(" %lld us or more: %llu\n", (long long)lim_us[b], (unsigned long long)hist[b]);
    }
    return 0;
}
