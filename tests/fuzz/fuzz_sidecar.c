/* The take sidecar's reader of 'gainstage recover' (live/recover.c, live_take_parse): it ends,
 * and a take it accepts names only plain files directly in the take's folder (no '/', no "..",
 * no leading '.', no control characters), at most 2 x LIVE_MAX_CH of them. */
#include "fuzz.h"

#include "take.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_string(data, size);
    static live_take_info t;
    int rc = live_take_parse(s, &t);
    FUZZ_ASSERT(rc == 0 || (rc == -1 && t.why[0] && !strchr(t.why, '\n')), "rc %d", rc);
    if (rc == 0) {
        FUZZ_ASSERT(t.nfiles >= 0 && t.nfiles <= 2 * LIVE_MAX_CH, "%d files", t.nfiles);
        FUZZ_ASSERT(isfinite(t.rate) && t.rate >= 0, "rate %g", t.rate);
        for (int i = 0; i < t.nfiles; i++) {
            const char *f = t.files[i];
            FUZZ_ASSERT(f[0] && f[0] != '.' && !strchr(f, '/') && !strstr(f, ".."),
                        "file.%d = '%s'", i + 1, f);
            for (const char *p = f; *p; p++)
                FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f, "control character");
        }
    }
    free(s);
    return 0;
}
