/* A small offline LV2 host (lilv) for 'gainstage measure --lv2' and bench/peers: one plugin
 * instance, mono in (the same signal feeds every audio input), the first audio output out,
 * processed in blocks of at most a bounded length.
 *
 * Features given: urid:map, urid:unmap, options:options (min/max/nominal block length, sample
 * rate), buf-size:boundedBlockLength, worker:schedule (the work runs synchronously, its responses
 * are delivered after run(), as offline hosts may), log:log (to stderr). A plugin that requires
 * anything else is refused with one line naming the missing feature.
 */
#ifndef GSM_LV2HOST_H
#define GSM_LV2HOST_H

#include <stddef.h>
#include <stdint.h>

typedef struct gsm_lv2host gsm_lv2host;

/* Load and instantiate the plugin `uri` at `rate` Hz for blocks of at most `block` samples, with
 * control inputs at their defaults and then sets[i] = "SYMBOL=VALUE" applied. On failure returns
 * non-zero, *out is NULL and err receives one line (e.g. "plugin X requires feature Y"). */
int gsm_lv2host_new(const char *uri, double rate, uint32_t block, const char *const *sets,
                    int nsets, gsm_lv2host **out, char *err, size_t err_size);
void gsm_lv2host_free(gsm_lv2host *h);

/* Process n <= block samples (in and out distinct). Returns 0. */
int gsm_lv2host_process(void *h, const float *in, float *out, uint32_t n);

/* The plugin's reported latency in samples (its lv2:reportsLatency port; 0 if none). */
uint32_t gsm_lv2host_latency(const gsm_lv2host *h);
/* The plugin's name (rdfs/doap name), and a "sym=value, ..." text of its control inputs. */
const char *gsm_lv2host_name(const gsm_lv2host *h);
const char *gsm_lv2host_settings(const gsm_lv2host *h);

#endif
