/* Measurement reports: report.json (every number, with each method stated), plots (PNG and SVG)
 * and index.html. One report or several overlaid (--compare) share the same rendering, which
 * reads only the JSON, so a comparison of saved reports looks exactly like fresh ones. */
#ifndef GSM_REPORT_H
#define GSM_REPORT_H

#include "analysis.h"

#include <jansson.h>

/* The JSON of a report. name: what was measured ("clean", a plugin's name); kind: "preset",
 * "model" or "lv2"; id: preset/model name or plugin URI; settings: one line of its settings. */
json_t *gsm_report_json(const gsm_report *r, const gsm_meas_opts *o, const char *name,
                        const char *kind, const char *id, const char *settings);

/* Write DIR/report.json, the plots and DIR/index.html for one or more reports (n >= 1; with
 * several, every plot overlays them and the table has a column each). Returns 0 on success;
 * otherwise err receives one line. */
/* Why summary entry `key` of report `rep` (value `value`) is not worth showing as a number, or
 * NULL: "noise model off" for the noise figures of a device whose noise model is off, "below
 * -200 (numerical)" for noise figures that only the arithmetic reaches. */
const char *gsm_report_note(json_t *rep, const char *key, double value);
int gsm_report_render(json_t *const *reps, int n, const char *dir, int write_json, char *err,
                      size_t err_size);

#endif
