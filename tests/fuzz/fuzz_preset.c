/* gs_preset_parse on any text: either a preset (a model's, or a strip's: a chain of blocks) whose
 * every value is in its parameter's range, or an error with a one-line message. */
#include "fuzz.h"

#include <gainstage/gainstage.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_string(data, size);
    char err[256] = "";
    gs_preset *p = NULL;
    gs_status st = gs_preset_parse(s, "fuzz", &p, err, sizeof err);
    if (st == GS_OK) {
        size_t nb = gs_preset_block_count(p);
        const gs_model_info *m = nb ? NULL : gs_model_find(gs_preset_model(p));
        FUZZ_ASSERT(nb || m != NULL, "model '%s'", gs_preset_model(p));
        FUZZ_ASSERT(nb <= GS_STRIP_MAX_BLOCKS, "%zu blocks", nb);
        for (size_t i = 0; i < gs_preset_value_count(p); i++) {
            const char *sym;
            double v;
            FUZZ_ASSERT(gs_preset_value_at(p, i, &sym, &v) == GS_OK, "value %zu", i);
            if (nb) {
                /* A strip's values are block.symbol, the block one of its own. */
                const char *dot = strchr(sym, '.'), *name;
                FUZZ_ASSERT(dot != NULL, "strip value '%s' without a block", sym);
                m = NULL;
                for (size_t b = 0; b < nb; b++) {
                    const gs_model_info *bm;
                    gs_preset_block_at(p, b, &name, &bm);
                    if (strlen(name) == (size_t)(dot - sym) && !strncmp(name, sym, strlen(name)))
                        m = bm;
                }
                FUZZ_ASSERT(m != NULL, "strip value '%s' of no block", sym);
                sym = dot + 1;
            }
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
