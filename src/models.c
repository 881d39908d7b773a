/* The registry of models: every block and channel the library offers, with its parameter table. */
#include "internal.h"

#include "tube_stage.h"

#include <string.h>

static const gs_model_vt *const models[] = {
    &gs_ss_preamp_model,  &gs_frontend_model, &gs_opamp_stage_model, &gs_digital_preamp_model,
    &gs_noise_model,      &gs_gate_model,     &gs_converter_model,   &gs_source_model,
    &gs_inputstage_model, &gs_riaa_model,     &gs_tube_stage_model,  &gs_tube_preamp_model,
};

size_t gs_model_count(void) { return GS_ARRAY_LEN(models); }

const gs_model_info *gs_model_at(size_t index) {
    return index < GS_ARRAY_LEN(models) ? &models[index]->info : NULL;
}

const gs_model_vt *gs_model_vt_find(const char *name) {
    if (!name) return NULL;
    /* As users type names: "Tube-Preamp" and "tube_preamp" are tube-preamp. */
    for (size_t i = 0; i < GS_ARRAY_LEN(models); i++)
        if (gs_name_equal(models[i]->info.name, name)) return models[i];
    return NULL;
}

const gs_model_info *gs_model_find(const char *name) {
    const gs_model_vt *vt = gs_model_vt_find(name);
    return vt ? &vt->info : NULL;
}

uint64_t gs_model_solver_failures(const gs_model_vt *vt, const void *state) {
    if (vt == &gs_tube_stage_model) return gs_tube_stage_nonconverged(state);
    if (vt == &gs_tube_preamp_model) return gs_tube_preamp_nonconverged(state);
    return 0;
}
