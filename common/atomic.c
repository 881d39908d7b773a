#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gsc_atomic_begin(gsc_atomic *a, const char *path) {
    a->fd = -1;
    a->tmp[0] = '\0';
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path ||
        snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.gainstage-XXXXXX", dirlen, path,
                 path + dirlen) >= (int)sizeof a->tmp) {
        a->tmp[0] = '\0';
        errno = ENAMETOOLONG;
        return -1;
    }
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0) {
        a->tmp[0] = '\0';
        return -1;
    }
    /* mkstemp makes the file 0600; give it the mode a normal new file would have. */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(a->fd, 0666 & ~um) != 0) {
        int e = errno;
        gsc_atomic_abort(a);
        errno = e;
        return -1;
    }
    return 0;
}

/* The folder holding `path`, synced so that a rename into it is durable. */
static int sync_dir_of(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    /* Some file systems cannot sync a directory (EINVAL): the rename has happened all the same. */
    if (rc != 0 && errno == EINVAL) rc = 0;
    close(fd);
    return rc;
}

int gsc_atomic_commit(gsc_atomic *a) {
    if (!a->tmp[0]) {
        errno = EINVAL;
        return -1;
    }
    int fd = a->fd >= 0 ? a->fd : open(a->tmp, O_RDONLY);
    a->fd = -1;
    int rc = fd < 0 ? -1 : fsync(fd);
    if (fd >= 0 && close(fd) != 0 && rc == 0) rc = -1;
    if (rc == 0) rc = rename(a->tmp, a->path);
    if (rc != 0) {
        int e = errno;
        gsc_atomic_abort(a);
        errno = e;
        return -1;
    }
    a->tmp[0] = '\0';
    return sync_dir_of(a->path);
}

void gsc_atomic_abort(gsc_atomic *a) {
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
    if (a->tmp[0]) unlink(a->tmp);
    a->tmp[0] = '\0';
}

int gsc_atomic_write(const char *path, const char *data, size_t len) {
    gsc_atomic a;
    if (gsc_atomic_begin(&a, path) != 0) return -1;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(a.fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            gsc_atomic_abort(&a);
            errno = e;
            return -1;
        }
        done += (size_t)w;
    }
    return gsc_atomic_commit(&a);
}
