/* Start-up cost: CPU time (ms) of creating one instance of a model (tube-stage, tube-preamp,
 * bjt-stage), with its quality set, in a
 * process that has created none before (each measurement forks a fresh child, so no in-process
 * design cache helps), minimum over RUNS children (CPU time of the child alone, so a loaded
 * machine inflates it little; the minimum drops what is left).
 *
 *   bench_startup [--runs N] [--rate HZ]...   (default rates 44.1, 48, 50, 96, 192 kHz)
 */
#include "startup_cpu.h"

#include <gainstage/gainstage.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *models[] = {"tube-stage", "tube-preamp", "bjt-stage"};
    const char *qualities[] = {"standard", "high", "low-alias"};
    printf("start-up CPU per instance, ms (min of %d fresh processes)\n", runs);
    printf("%-12s %-10s", "model", "quality");
    for (int r = 0; r < nrates; r++) printf(" %8.1fk", rates[r] / 1000.0);
    printf("\n");
    for (int m = 0; m < 3; m++)
        for (int q = 0; q < 3; q++) {
            printf("%-12s %-10s", models[m], qualities[q]);
            for (int r = 0; r < nrates; r++) {
                double best = 1e30;
                for (int k = 0; k < runs; k++) {
                    double ms = startup_cpu_ms(models[m], qualities[q], rates[r], 4096);
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
