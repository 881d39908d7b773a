/* The atomic writer: the target is either untouched or complete, nothing is left beside it. */
#include "atomic.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

static void slurp(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
}

int main(void) {
    char dir[] = "/tmp/gsc-atomic-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/file.txt", dir);
    CHECK(gsc_atomic_write(path, "one\n", 4) == 0, "first write: %s", strerror(errno));
    slurp(path, buf, sizeof buf);
    CHECK(!strcmp(buf, "one\n"), "content '%s'", buf);
    struct stat st;
    mode_t um = umask(0);
    umask(um);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == (0666 & ~um), "mode %o",
          (unsigned)(st.st_mode & 0777));

    /* An aborted write leaves the old content and no temporary file. */
    gsc_atomic a;
    CHECK(gsc_atomic_begin(&a, path) == 0, "begin");
    CHECK(write(a.fd, "partial", 7) == 7, "write");
    CHECK(entries(dir) == 2, "temporary file beside the target: %d entries", entries(dir));
    gsc_atomic_abort(&a);
    gsc_atomic_abort(&a);
    slurp(path, buf, sizeof buf);
    CHECK(!strcmp(buf, "one\n") && entries(dir) == 1, "after abort: '%s', %d entries", buf,
          entries(dir));

    /* A writer that closed the descriptor itself (libsndfile does) still gets a synced commit. */
    CHECK(gsc_atomic_begin(&a, path) == 0, "begin 2");
    CHECK(write(a.fd, "two\n", 4) == 4, "write 2");
    close(a.fd);
    a.fd = -1;
    CHECK(gsc_atomic_commit(&a) == 0, "commit after close: %s", strerror(errno));
    slurp(path, buf, sizeof buf);
    CHECK(!strcmp(buf, "two\n") && entries(dir) == 1, "replaced: '%s', %d entries", buf,
          entries(dir));

    /* Failures: a missing folder, a path too long; a rename onto a folder fails and cleans up. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/file", dir);
    CHECK(gsc_atomic_write(bad, "x", 1) == -1 && errno == ENOENT, "missing folder: %s",
          strerror(errno));
    char *longp = malloc(5000);
    memset(longp, 'a', 4999);
    longp[4999] = '\0';
    CHECK(gsc_atomic_write(longp, "x", 1) == -1 && errno == ENAMETOOLONG, "long path");
    free(longp);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0777);
    CHECK(gsc_atomic_write(sub, "x", 1) == -1 && entries(dir) == 2, "onto a folder: %d entries",
          entries(dir));
    rmdir(sub);
    unlink(path);
    rmdir(dir);
    return check_done();
}
