#include "startup_cpu.h"

#include <gainstage/gainstage.h>

#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

double startup_cpu_ms(const char *model, const char *quality, double rate, uint32_t max_block) {
    int fd[2];
    if (pipe(fd) != 0) return -1.0;
    fflush(NULL); /* nothing buffered is written twice by the child */
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1.0;
    }
    if (pid == 0) {
        close(fd[0]);
        double t0 = cpu_ms();
        gs_channel *ch = NULL;
        gs_status st = gs_channel_new(model, rate, max_block, &ch);
        if (st == GS_OK && quality) st = gs_channel_set_text(ch, "quality", quality);
        double ms = st == GS_OK ? cpu_ms() - t0 : -1.0;
        ssize_t w = write(fd[1], &ms, sizeof ms);
        _exit(w == (ssize_t)sizeof ms ? 0 : 1);
    }
    close(fd[1]);
    double ms = -1.0;
    if (read(fd[0], &ms, sizeof ms) != (ssize_t)sizeof ms) ms = -1.0;
    close(fd[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        ms = -1.0;
    return ms;
}
