/* No tabulated low-delay designs: linked into the generator (src/mkldtab.c) in place of the
 * oversample_tables.c it writes, so that it designs every pair by least squares. */
#include "oversample.h"

const gs_os_ld_table gs_os_ld_tables[1] = {{0}};
const unsigned gs_os_ld_ntables = 0;
