/* gs_preset_parse on any text: either a preset whose every value is in its parameter's range, or
 * an error with a one-line message. */
#include "fuzz.h"

#include <gainstage/gainstage.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_string(data, size);
    char err[256] = "";
    gs_preset *p = NULL;
    gs_status st = gs_preset_parse(s, "fuzz", &p, err, sizeof err);
    if (st == GS_OK) {
        const gs_model_info *m = gs_model_find(gs_preset_model(p));
        FUZZ_ASSERT(m != NULL, "model '%s'", gs_preset_model(p));
        for (size_t i = 0; i < gs_preset_value_count(p); i++) {
            const char *sym;
            double v;
            FUZZ_ASSERT(gs_preset_value_at(p, i, &sym, &v) == GS_OK, "value %zu", i);
            const gs_param_info *pi = NULL;
            for (size_t k = 0; k < m->n_params; k++)
                if (!strcmp(m->params[k].symbol, sym)) pi = &m->params[k];
            FUZZ_ASSERT(pi && v >= pi->min && v <= pi->max, "%s = %g out of range", sym, v);
        }
        gs_preset_free(p);
    } else {
        FUZZ_ASSERT(p == NULL && err[0] && !strchr(err, '\n'), "status %d, message '%s'", st, err);
    }
    free(s);
    return 0;
}
