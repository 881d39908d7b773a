/* gs_parse_value on any text in every unit; whatever parses is finite, and what gs_format_value
 * prints for it parses again (issue 18 item 8), to the formatter's 6 significant digits.
 * gs_param_parse on the same text for every parameter of every model (issue 17): a switch or a
 * choice is one of its positions and its printed name reads back as the same one; otherwise
 * gs_param_explain says why, within its buffer. */
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
    for (size_t m = 0; m < gs_model_count(); m++) {
        const gs_model_info *mi = gs_model_at(m);
        for (size_t i = 0; i < mi->n_params; i++) {
            const gs_param_info *p = &mi->params[i];
            double v = -1.0;
            char why[96];
            if (gs_param_parse(p, s, &v) != GS_OK) {
                why[sizeof why - 1] = 'x';
                gs_param_explain(p, s, why, sizeof why - 1);
                FUZZ_ASSERT(why[sizeof why - 1] == 'x' && why[0] != '\0', "%s: explain '%s'",
                            p->symbol, s);
                continue;
            }
            FUZZ_ASSERT(isfinite(v), "%s: '%s' parsed as %g", p->symbol, s, v);
            if (p->kind == GS_PARAM_REAL) continue;
            FUZZ_ASSERT(v == floor(v) && v >= p->min && v <= p->max, "%s: '%s' parsed as %g",
                        p->symbol, s, v);
            char name[64];
            gs_format_value(v, p->kind == GS_PARAM_CHOICE ? GS_UNIT_ENUM : GS_UNIT_NONE, p->choices,
                            name, sizeof name);
            double back = -1.0;
            FUZZ_ASSERT(gs_param_parse(p, name, &back) == GS_OK && back == v,
                        "%s: '%s' -> %g -> '%s' -> %g", p->symbol, s, v, name, back);
        }
    }
    free(s);
    return 0;
}
