/* Start-up cost: CPU time (ms) of creating one instance of a model, with its quality set, in a
 * process that has created none before (each measurement forks a fresh child, so no in-process
 * design cache helps), minimum over RUNS children (CPU time of the child alone, so a loaded
 * machine inflates it little; the minimum drops what is left).
 *
 *   bench_startup [--runs N] [--rate HZ]...   (default rates 44.1, 48, 50, 96, 192 kHz)
 */
#include <gainstage/gainstage.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

/* In a fresh child: create model at rate, set quality (NULL: leave the default), and report the
 * CPU milliseconds through a pipe; negative on failure. */
static double startup_ms(const char *model, const char *quality, double rate) {
    int fd[2];
    if (pipe(fd) != 0) return -1.0;
    pid_t pid = fork();
    if (pid < 0) return -1.0;
    if (pid == 0) {
        close(fd[0]);
        double t0 = cpu_ms();
        gs_channel *ch = NULL;
        gs_status st = gs_channel_new(model, rate, 4096, &ch);
        if (st == GS_OK && quality) st = gs_channel_set_text(ch, "quality", quality);
        double ms = st == GS_OK ? cpu_ms() - t0 : -1.0;
        ssize_t w = write(fd[1], &ms, sizeof ms);
        gs_channel_free(ch);
        _exit(w == (ssize_t)sizeof ms ? 0 : 1);
    }
    close(fd[1]);
    double ms = -1.0;
    if (read(fd[0], &ms, sizeof ms) != (ssize_t)sizeof ms) ms = -1.0;
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return ms;
}

int main(int argc, char **argv) {
    int runs = 3;
    double rates[16];
    int nrates = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc && nrates < 16)
            rates[nrates++] = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_startup [--runs N] [--rate HZ]...\n");
            return 2;
        }
    }
    if (nrates == 0) {
        const double def[] = {44100.0, 48000.0, 50000.0, 96000.0, 192000.0};
        nrates = 5;
        memcpy(rates, def, sizeof def);
    }
    const char *models[] = {"tube-stage", "tube-preamp"};
    const char *qualities[] = {"standard", "high", "low-alias"};
    printf("start-up CPU per instance, ms (min of %d fresh processes)\n", runs);
    printf("%-12s %-10s", "model", "quality");
    for (int r = 0; r < nrates; r++) printf(" %8.1fk", rates[r] / 1000.0);
    printf("\n");
    for (int m = 0; m < 2; m++)
        for (int q = 0; q < 3; q++) {
            printf("%-12s %-10s", models[m], qualities[q]);
            for (int r = 0; r < nrates; r++) {
                double best = 1e30;
                for (int k = 0; k < runs; k++) {
                    double ms = startup_ms(models[m], qualities[q], rates[r]);
                    if (ms >= 0.0 && ms < best) best = ms;
                }
                if (best < 1e30)
                    printf(" %9.2f", best);
                else
                    printf(" %9s", "fail");
            }
            printf("\n");
            fflush(stdout);
        }
    return 0;
}
