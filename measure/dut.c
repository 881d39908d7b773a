/* Devices under test (see dut.h). */
#include "dut.h"

#include <stdlib.h>

/* chan_process keeps its body as it was before the gsm_ rename: its body is being replaced on
 * another branch (the library's strip object), and an untouched body merges without conflict.
 * Remove this alias when that change is merged. */
typedef gsm_chan_dut gs_chan_dut;

static int chan_process(void *ctx, const float *in, float *out, uint32_t n) {
    gs_chan_dut *cd = ctx;
    float gi = (float)cd->in_vpu, go = (float)(1.0 / cd->out_vpu);
    for (uint32_t i = 0; i < n; i++) cd->buf[i] = in[i] * gi;
    if (gs_channel_process(cd->ch, cd->buf, cd->buf, n) != GS_OK) return -1;
    for (uint32_t i = 0; i < n; i++) out[i] = cd->buf[i] * go;
    return 0;
}

int gsm_chan_dut_init(gsm_chan_dut *cd, gs_channel *ch, double in_vpu, double out_vpu,
                      uint32_t block, gsm_dut *dut) {
    cd->ch = ch;
    cd->in_vpu = in_vpu;
    cd->out_vpu = out_vpu;
    cd->buf = malloc(sizeof(float) * block);
    if (!cd->buf) return -1;
    *dut = (gsm_dut){cd,     chan_process, gs_channel_rate(ch), block, gs_channel_latency(ch),
                     in_vpu, out_vpu};
    return 0;
}

void gsm_chan_dut_free(gsm_chan_dut *cd) {
    free(cd->buf);
    cd->buf = NULL;
}
