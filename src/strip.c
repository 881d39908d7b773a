/* Strips: a chain of the registry's models as one channel (issue 14). Each block is a full inner
 * channel, so its glides, its non-finite guard and its overload guard are exactly those of the
 * model on its own, and a strip's output is bit for bit its blocks' run one after another. The
 * strip's input has a channel's guards too: an overload there restarts every block at once. The
 * outer channel sees a model whose table is the blocks' tables with "block.symbol" symbols; its
 * vtable is per instance (it names this strip's table) and forwards values and samples. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "block.symbol": a block name (< 32) and a model's symbol (< 32). */
#define SYMBOL_MAX 64

typedef struct gs_strip {
    gs_model_vt vt; /* per instance: info is this strip's name and table */
    size_t n_blocks;
    gs_channel *block[GS_STRIP_MAX_BLOCKS];
    char block_name[GS_STRIP_MAX_BLOCKS][32];
    size_t first[GS_STRIP_MAX_BLOCKS + 1]; /* block k's parameters: first[k] .. first[k+1]-1 */
    gs_param_info *params;
    char (*symbols)[SYMBOL_MAX];
    char name[GS_STRIP_MAX_BLOCKS * 72]; /* the chain text */
    char description[256];
} gs_strip;

/* The block that parameter id of the strip belongs to. At most 16 compares: real-time. */
GS_REALTIME static size_t block_of(const gs_strip *s, size_t id) {
    size_t k = 0;
    while (k + 1 < s->n_blocks && id >= s->first[k + 1]) k++;
    return k;
}

GS_REALTIME static void strip_set(void *self, size_t id, double value) {
    gs_strip *s = self;
    size_t k = block_of(s, id);
    gs_channel_set(s->block[k], id - s->first[k], value);
}

GS_REALTIME static void strip_process(void *self, float *buf, uint32_t n) {
    gs_strip *s = self;
    for (size_t k = 0; k < s->n_blocks; k++) gs_channel_process(s->block[k], buf, buf, n);
}

GS_REALTIME static void strip_reset(void *self) {
    gs_strip *s = self;
    for (size_t k = 0; k < s->n_blocks; k++) gs_channel_reset(s->block[k]);
}

static uint32_t strip_latency(const void *self) {
    const gs_strip *s = self;
    uint32_t sum = 0;
    for (size_t k = 0; k < s->n_blocks; k++) sum += gs_channel_latency(s->block[k]);
    return sum;
}

/* The blocks' settings are independent, so the largest total is the sum of the largest. */
uint32_t gs_strip_latency_max(void *self) {
    gs_strip *s = self;
    uint32_t sum = 0;
    for (size_t k = 0; k < s->n_blocks; k++) sum += gs_channel_latency_max(s->block[k]);
    return sum;
}

GS_REALTIME static void strip_stats(const void *self, gs_channel_stats *st) {
    const gs_strip *s = self;
    for (size_t k = 0; k < s->n_blocks; k++) {
        gs_channel_stats b;
        gs_channel_stats_get(s->block[k], &b);
        st->nonfinite_inputs += b.nonfinite_inputs;
        st->recoveries += b.recoveries;
        /* An overload is counted where the strip's input was clamped (the outer channel, which
         * then restarts every block together: the strip recovers as one circuit); a block inside
         * clamping during the same event is not a second one. */
        st->solver_failures += b.solver_failures;
        st->clipped_samples += b.clipped_samples;
        if (b.clipsafe_max_reduction_db > st->clipsafe_max_reduction_db)
            st->clipsafe_max_reduction_db = b.clipsafe_max_reduction_db;
    }
}

static void strip_destroy(void *self) {
    gs_strip *s = self;
    if (!s) return;
    for (size_t k = 0; k < s->n_blocks; k++) gs_channel_free(s->block[k]);
    free(s->params);
    free(s->symbols);
    free(s);
}

/* The blocks' tables, one after another, with block.symbol symbols. */
static gs_status build_table(gs_strip *s) {
    size_t n = s->first[s->n_blocks];
    s->params = calloc(n ? n : 1, sizeof *s->params);
    s->symbols = calloc(n ? n : 1, sizeof *s->symbols);
    if (!s->params || !s->symbols) return GS_ERR_NO_MEMORY;
    for (size_t k = 0; k < s->n_blocks; k++) {
        const gs_model_info *mi = gs_channel_model(s->block[k]);
        for (size_t i = 0; i < mi->n_params; i++) {
            size_t id = s->first[k] + i;
            s->params[id] = mi->params[i];
            snprintf(s->symbols[id], SYMBOL_MAX, "%s.%s", s->block_name[k], mi->params[i].symbol);
            s->params[id].symbol = s->symbols[id];
        }
    }
    s->vt.info.params = s->params;
    s->vt.info.n_params = n;
    return GS_OK;
}

gs_status gs_strip_new(const gs_preset *preset, double rate, uint32_t max_block, gs_channel **out) {
    if (!out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    size_t nb = gs_preset_block_count(preset);
    if (nb == 0 || nb > GS_STRIP_MAX_BLOCKS) return GS_ERR_INVALID_ARGUMENT;
    gs_strip *s = calloc(1, sizeof *s);
    if (!s) return GS_ERR_NO_MEMORY;
    s->vt = (gs_model_vt){.info = {s->name, s->description, 0, NULL, 0},
                          .destroy = strip_destroy,
                          .set = strip_set,
                          .process = strip_process,
                          .reset = strip_reset,
                          .latency = strip_latency,
                          .stats = strip_stats};
    snprintf(s->name, sizeof s->name, "%s", gs_preset_model(preset));
    snprintf(s->description, sizeof s->description, "%s", gs_preset_description(preset));
    gs_status st = GS_OK;
    for (size_t k = 0; k < nb && st == GS_OK; k++) {
        const char *bname;
        const gs_model_info *mi;
        gs_preset_block_at(preset, k, &bname, &mi);
        snprintf(s->block_name[k], sizeof s->block_name[k], "%s", bname);
        st = gs_channel_new(mi->name, rate, max_block, &s->block[k]);
        if (st == GS_OK) {
            s->n_blocks = k + 1;
            s->first[k + 1] = s->first[k] + mi->n_params;
        }
    }
    if (st == GS_OK) st = build_table(s);
    if (st != GS_OK) {
        strip_destroy(s);
        return st;
    }
    return gs_channel_wrap(&s->vt, s, rate, max_block, out);
}

int gs_vt_is_strip(const gs_model_vt *vt) { return vt && vt->set == strip_set; }

size_t gs_strip_block_count(const void *strip) { return ((const gs_strip *)strip)->n_blocks; }

gs_status gs_strip_block_at(const void *strip, size_t i, const char **name,
                            const gs_model_info **model, size_t *first, size_t *count) {
    const gs_strip *s = strip;
    if (i >= s->n_blocks) return GS_ERR_INVALID_ARGUMENT;
    if (name) *name = s->block_name[i];
    if (model) *model = gs_channel_model(s->block[i]);
    if (first) *first = s->first[i];
    if (count) *count = s->first[i + 1] - s->first[i];
    return GS_OK;
}

gs_status gs_channel_new_chain(const char *text, double rate, uint32_t max_block, gs_channel **out,
                               char *err, size_t err_size) {
    if (!out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    gs_preset *p = NULL;
    gs_status st = gs_preset_parse_chain(text, &p, err, err_size);
    if (st != GS_OK) return st;
    st = gs_channel_new_preset(p, rate, max_block, out);
    gs_preset_free(p);
    if (st != GS_OK && err && err_size) snprintf(err, err_size, "%s", gs_strerror(st));
    return st;
}

void gs_param_find_explain(const gs_model_info *mi, const char *symbol, char *buf, size_t size) {
    if (!buf || !size) return;
    buf[0] = '\0';
    if (!mi || !symbol) return;
    size_t id, len = 0;
    gs_status st = gs_model_param_find(mi, symbol, &id);
    if (st == GS_OK) return;
    if (st == GS_ERR_AMBIGUOUS_PARAMETER) {
        /* "drive is in tube1 and tube2: write tube1.drive" */
        const char *first = NULL;
        len = (size_t)snprintf(buf, size, "%s is in ", symbol);
        for (size_t i = 0; i < mi->n_params && len < size; i++) {
            const char *sym = mi->params[i].symbol, *dot = strchr(sym, '.');
            if (!dot || strcmp(dot + 1, symbol)) continue;
            len += (size_t)snprintf(buf + len, size - len, "%s%.*s", first ? " and " : "",
                                    (int)(dot - sym), sym);
            if (!first) first = sym;
        }
        if (len < size && first) snprintf(buf + len, size - len, ": write %s", first);
        return;
    }
    /* A typo: the nearest symbol, whole or (for a bare one) after its block's '.'. */
    gs_suggest sg;
    gs_suggest_init(&sg, symbol);
    for (size_t i = 0; i < mi->n_params; i++) {
        const char *sym = mi->params[i].symbol, *dot = strchr(sym, '.');
        gs_suggest_add(&sg, dot && !strchr(symbol, '.') ? dot + 1 : sym);
    }
    const char *near = gs_suggest_result(&sg);
    snprintf(buf, size, "no parameter '%s'%s%s%s", symbol, near ? "; did you mean '" : "",
             near ? near : "", near ? "'?" : "");
}
