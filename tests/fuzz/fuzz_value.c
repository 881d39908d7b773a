/* gs_parse_value on any text in every unit; whatever parses is finite, and what gs_format_value
 * prints for it parses again (issue 18 item 8), to the formatter's 6 significant digits. */
#include "fuzz.h"

#include <gainstage/gainstage.h>

#include <math.h>

static const char *const choices[] = {"standard", "high", "low-alias", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_string(data, size);
    for (int u = GS_UNIT_NONE; u <= GS_UNIT_ENUM; u++) {
        double v = 0.0;
        if (gs_parse_value(s, (gs_unit)u, u == GS_UNIT_ENUM ? choices : NULL, &v) != GS_OK)
            continue;
        FUZZ_ASSERT(isfinite(v), "'%s' parsed as %g", s, v);
        char buf[64];
        gs_format_value(v, (gs_unit)u, NULL, buf, sizeof buf);
        double back = 0.0;
        FUZZ_ASSERT(gs_parse_value(buf, (gs_unit)u, NULL, &back) == GS_OK,
                    "'%s' -> %.17g -> '%s' does not parse", s, v, buf);
        FUZZ_ASSERT(fabs(back - v) <= 5e-6 * fabs(v) + 1e-322, "'%s' -> %.17g -> '%s' -> %.17g", s,
                    v, buf, back);
    }
    free(s);
    return 0;
}
