/* The key = value reader of presets, sessions and sidecars: it ends, every pair it returns is
 * trimmed, non-empty and free of newlines and comments, and an error says which line. */
#include "fuzz.h"

#include <gainstage/gainstage.h>

#include <ctype.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_string(data, size);
    gs_kv_reader r;
    gs_kv kv;
    char err[128];
    gs_kv_init(&r, s);
    int got;
    size_t pairs = 0;
    while ((got = gs_kv_next(&r, &kv, err, sizeof err)) == 1) {
        FUZZ_ASSERT(kv.key[0] && kv.value[0], "empty key or value at line %zu", kv.line);
        FUZZ_ASSERT(!strpbrk(kv.key, "\n#=") && !strpbrk(kv.value, "\n#"), "line %zu", kv.line);
        FUZZ_ASSERT(!isspace((unsigned char)kv.key[0]) &&
                        !isspace((unsigned char)kv.value[strlen(kv.value) - 1]),
                    "untrimmed at line %zu", kv.line);
        FUZZ_ASSERT(++pairs <= size, "more pairs than bytes");
    }
    FUZZ_ASSERT(got == 0 || !strncmp(err, "line ", 5), "error '%s'", err);
    free(s);
    return 0;
}
