/* The registry of models: every block and channel the library offers, with its parameter table. */
#include "internal.h"

#include <string.h>

static const gs_model_vt *const models[] = {
    &gs_ss_preamp_model,  &gs_frontend_model,   &gs_opamp_stage_model, &gs_digital_preamp_model,
    &gs_noise_model,      &gs_gate_model,       &gs_converter_model,   &gs_source_model,
    &gs_inputstage_model, &gs_riaa_model,       &gs_tube_stage_model,  &gs_tube_preamp_model,
    &gs_bjt_stage_model,  &gs_bjt_preamp_model,
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

const gs_model_vt *gs_model_vt_of(const gs_model_info *info) {
    for (size_t i = 0; info && i < GS_ARRAY_LEN(models); i++)
        if (&models[i]->info == info) return models[i];
    return NULL;
}

gs_status gs_model_param_find(const gs_model_info *model, const char *symbol, size_t *id) {
    if (!model || !symbol || !id) return GS_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < model->n_params; i++) {
        if (!strcmp(model->params[i].symbol, symbol)) {
            *id = i;
            return GS_OK;
        }
    }
    /* A strip's symbols are block.symbol: a bare one means the only block that has it. (No
     * model's own symbol has a '.', so this never matches for them.) */
    if (strchr(symbol, '.')) return GS_ERR_UNKNOWN_PARAMETER;
    size_t hits = 0;
    for (size_t i = 0; i < model->n_params; i++) {
        const char *dot = strchr(model->params[i].symbol, '.');
        if (dot && !strcmp(dot + 1, symbol) && !hits++) *id = i;
    }
    return hits == 1 ? GS_OK : hits ? GS_ERR_AMBIGUOUS_PARAMETER : GS_ERR_UNKNOWN_PARAMETER;
}

GS_REALTIME gs_status gs_param_check(const gs_param_info *p, double value) {
    if (!p || !isfinite(value)) return GS_ERR_INVALID_ARGUMENT;
    if (value < p->min || value > p->max) return GS_ERR_OUT_OF_RANGE;
    if (p->kind != GS_PARAM_REAL && value != floor(value)) return GS_ERR_OUT_OF_RANGE;
    return GS_OK;
}

gs_status gs_model_latency(const gs_model_info *model, const double *values, size_t n, double rate,
                           uint32_t *latency) {
    if (!latency) return GS_ERR_INVALID_ARGUMENT;
    *latency = 0;
    if (!model) return GS_ERR_INVALID_ARGUMENT;
    const gs_model_vt *vt = gs_model_vt_of(model);
    if (!vt) return GS_ERR_UNKNOWN_MODEL;
    if (n > model->n_params || (n && !values)) return GS_ERR_INVALID_ARGUMENT;
    if (!(rate >= GS_RATE_MIN && rate <= GS_RATE_MAX)) return GS_ERR_UNSUPPORTED_RATE;
    for (size_t i = 0; i < n; i++) {
        gs_status st = gs_param_check(&model->params[i], values[i]);
        if (st != GS_OK) return st;
    }
    double v[64];
    if (vt->latency_for && model->n_params <= GS_ARRAY_LEN(v)) {
        for (size_t i = 0; i < model->n_params; i++)
            v[i] = i < n ? values[i] : model->params[i].def;
        *latency = vt->latency_for(v, rate);
        return GS_OK;
    }
    /* A model that cannot say without an instance: a scratch state (the model's, without a
     * channel around it), for the smallest block (the latency does not depend on the block). */
    void *state = vt->create(rate, GS_CTRL_BLOCK);
    if (!state) return GS_ERR_NO_MEMORY;
    for (size_t i = 0; i < model->n_params; i++)
        vt->set(state, i, i < n ? values[i] : model->params[i].def);
    vt->reset(state);
    *latency = vt->latency(state);
    vt->destroy(state);
    return GS_OK;
}
