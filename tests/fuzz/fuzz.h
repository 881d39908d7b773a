/* Fuzz targets (libFuzzer's interface): each file defines LLVMFuzzerTestOneInput, which must
 * never crash, hang or trip a sanitizer, and aborts when a property it checks fails. Built with
 * clang -fsanitize=fuzzer by `make fuzz` (tools/fuzz.sh), and with driver.c, which replays the
 * corpora in tests/fuzz/corpus/ (every reproducer of a fixed finding among them), by meson for
 * `make check`. */
#ifndef GS_FUZZ_H
#define GS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed property: say which and abort, so libFuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property failed: %s: ", #cond);                                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input as a NUL-terminated string (a copy; free it). */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    for (size_t i = 0; i < size; i++) s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

#endif
