/* Devices under test for the analyser and the peer benchmark: one of our channels (through the
 * public gainstage.h API, in volts, with a calibration at each side) or an LV2 plugin. */
#ifndef GSM_DUT_H
#define GSM_DUT_H

#include "analysis.h"

#include <gainstage/gainstage.h>

typedef struct gsm_chan_dut {
    gs_channel *ch;
    gs_stream *st; /* calibration around ch */
    double in_vpu, out_vpu;
} gsm_chan_dut;

/* Wrap a channel: sample units times in_vpu are volts at its input; its output volts divided by
 * out_vpu are output units. Allocates cd->st (free with gsm_chan_dut_free). */
int gsm_chan_dut_init(gsm_chan_dut *cd, gs_channel *ch, double in_vpu, double out_vpu,
                      uint32_t block, gsm_dut *dut);
void gsm_chan_dut_free(gsm_chan_dut *cd);

#endif
