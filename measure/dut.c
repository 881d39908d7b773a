/* Devices under test (see dut.h). */
#include "dut.h"

static int chan_process(void *ctx, const float *in, float *out, uint32_t n) {
    gsm_chan_dut *cd = ctx;
    return gs_stream_process(cd->st, in, out, n) == GS_OK ? 0 : -1;
}

int gsm_chan_dut_init(gsm_chan_dut *cd, gs_channel *ch, double in_vpu, double out_vpu,
                      uint32_t block, gsm_dut *dut) {
    cd->ch = ch;
    cd->in_vpu = in_vpu;
    cd->out_vpu = out_vpu;
    /* The calibrated path every front end runs (scaling in double, rounded to float). */
    if (gs_stream_new(ch, 0, &cd->st) != GS_OK || gs_stream_set_in_volts(cd->st, in_vpu, 0.0) ||
        gs_stream_set_out_volts(cd->st, out_vpu, 0.0)) {
        gsm_chan_dut_free(cd);
        return -1;
    }
    *dut = (gsm_dut){cd,     chan_process, gs_channel_rate(ch), block, gs_channel_latency(ch),
                     in_vpu, out_vpu};
    return 0;
}

void gsm_chan_dut_free(gsm_chan_dut *cd) {
    gs_stream_free(cd->st);
    cd->st = NULL;
}
