/* Koren's triode (see triode.h). */
#include "triode.h"

#include <strings.h>

const char *const gs_tube_names[] = {"12AX7", "12AT7", "12AU7", NULL};

/* Koren's published parameter sets (N. Koren, "Improved vacuum-tube models for SPICE
 * simulations", Glass Audio 1996, and the model library on normankoren.com that accompanies it):
 *   12AX7: MU=100  EX=1.4  KG1=1060 KP=600 KVB=300 RGI=2000 CCG=2.3p CGP=2.4p CCP=0.9p
 *   12AT7: MU=60   EX=1.35 KG1=460  KP=300 KVB=300 RGI=2000
 *   12AU7: MU=21.5 EX=1.3  KG1=1180 KP=84  KVB=300 RGI=2000
 * The 12AX7 capacitances are the ones the issue fixes (Koren's). For the 12AT7 and 12AU7 the
 * capacitances are the data-sheet values without shield (RCA/GE data sheets, section 1):
 * 12AT7 Cgk 2.2 pF, Cgp 1.5 pF, Cpk 0.5 pF; 12AU7 Cgk 1.6 pF, Cgp 1.5 pF, Cpk 0.5 pF. */
static const gs_triode_params tubes[GS_TUBE_COUNT] = {
    {"12AX7", 100.0, 1.4, 1060.0, 600.0, 300.0, 2000.0, 2.3e-12, 2.4e-12, 0.9e-12, 1.0 / 100.0,
     1.0 / 600.0, 2.0 / 1060.0},
    {"12AT7", 60.0, 1.35, 460.0, 300.0, 300.0, 2000.0, 2.2e-12, 1.5e-12, 0.5e-12, 1.0 / 60.0,
     1.0 / 300.0, 2.0 / 460.0},
    {"12AU7", 21.5, 1.3, 1180.0, 84.0, 300.0, 2000.0, 1.6e-12, 1.5e-12, 0.5e-12, 1.0 / 21.5,
     1.0 / 84.0, 2.0 / 1180.0},
};

static const char *const aliases[GS_TUBE_COUNT] = {"ECC83", "ECC81", "ECC82"};

const gs_triode_params *gs_triode_get(gs_tube_type type) {
    return (unsigned)type < GS_TUBE_COUNT ? &tubes[type] : NULL;
}

const gs_triode_params *gs_triode_find(const char *name) {
    if (!name) return NULL;
    for (unsigned i = 0; i < GS_TUBE_COUNT; i++)
        if (!strcasecmp(name, tubes[i].name) || !strcasecmp(name, aliases[i])) return &tubes[i];
    return NULL;
}
