/* gainstage: physically modelled preamp building blocks.
 *
 * Conventions of this API:
 * - Signals are in volts (float samples), parameters in the unit of their table entry
 *   (dB, V, Ohm, F, Hz, s), never in normalised "0..1" values.
 * - Functions return a gs_status; gs_strerror() names it. Nothing here calls exit() or prints.
 * - Objects are opaque; every *_free(NULL) is a no-op.
 * - Real-time safety: gs_channel_process(), gs_channel_set*() and gs_channel_get() never allocate,
 *   lock, block or do I/O. gs_channel_new() allocates everything an instance will ever need.
 */
#ifndef GAINSTAGE_GAINSTAGE_H
#define GAINSTAGE_GAINSTAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GS_VERSION_STRING "0.1.0"

/* Lowest and highest supported sample rates, in Hz. */
#define GS_RATE_MIN 44100.0
#define GS_RATE_MAX 192000.0
/* Largest block a channel may be created for, in samples. */
#define GS_MAX_BLOCK_LIMIT 65536u

typedef enum gs_status {
    GS_OK = 0,
    GS_ERR_INVALID_ARGUMENT, /* NULL pointer, zero size, non-finite value */
    GS_ERR_NO_MEMORY,
    GS_ERR_UNSUPPORTED_RATE, /* outside GS_RATE_MIN..GS_RATE_MAX */
    GS_ERR_BLOCK_SIZE,       /* 0, above GS_MAX_BLOCK_LIMIT, or above the channel's maximum */
    GS_ERR_UNKNOWN_MODEL,
    GS_ERR_UNKNOWN_PRESET,
    GS_ERR_UNKNOWN_PARAMETER,
    GS_ERR_OUT_OF_RANGE,  /* value outside the parameter's minimum..maximum */
    GS_ERR_PARSE,         /* text is not a number in a form we accept */
    GS_ERR_PRESET_SYNTAX, /* a preset text is malformed */
    GS_ERR_NOT_CONVERGED  /* a circuit solver hit its iteration bound (output still finite) */
} gs_status;

/* A short English description of a status code ("unknown parameter"). Never NULL. */
const char *gs_strerror(gs_status status);

/* The library version, e.g. "0.1.0". */
const char *gs_version(void);

/* ---------------------------------------------------------------------------------------------
 * Parameters: one table per model, the single source of truth for the library, the command line,
 * presets and plugin ports.
 */
typedef enum gs_unit {
    GS_UNIT_NONE = 0,
    GS_UNIT_DB,      /* decibel */
    GS_UNIT_VOLT,    /* V */
    GS_UNIT_OHM,     /* Ohm */
    GS_UNIT_FARAD,   /* F */
    GS_UNIT_HENRY,   /* H */
    GS_UNIT_HZ,      /* Hz */
    GS_UNIT_SECOND,  /* s */
    GS_UNIT_PERCENT, /* % */
    GS_UNIT_ENUM     /* an index into gs_param_info.choices */
} gs_unit;

typedef enum gs_curve {
    GS_CURVE_LINEAR = 0, /* display and smoothing on a linear axis */
    GS_CURVE_LOG,        /* logarithmic axis (component values, frequencies); min > 0 */
    GS_CURVE_DB          /* value is in dB already; linear axis in dB */
} gs_curve;

typedef enum gs_param_kind {
    GS_PARAM_REAL = 0, /* any real number in range */
    GS_PARAM_TOGGLE,   /* 0 or 1 */
    GS_PARAM_CHOICE    /* an integer index 0..n-1 into choices */
} gs_param_kind;

typedef struct gs_param_info {
    const char *symbol; /* C identifier: CLI --set, presets, LV2 port symbol */
    const char *name;   /* human-readable name */
    gs_unit unit;
    double min, max, def; /* in the unit above */
    gs_curve curve;
    gs_param_kind kind;
    int smoothed;               /* 1: changes glide (no zipper noise, no clicks) */
    const char *const *choices; /* GS_PARAM_CHOICE: NULL-terminated names; else NULL */
    const char *doc;            /* one line: what it models, with its physical meaning */
} gs_param_info;

/* The unit's symbol as printed after numbers ("dB", "V", "Ohm", "F", ...); "" for none. */
const char *gs_unit_symbol(gs_unit unit);

/* Parse a number as engineers write it: "100k", "1M", "1meg", "22n", "4.7u", "1.5p", "-6dB",
 * "47uF", "10kOhm", "1MHz". SI prefixes p n u (or µ) m k M (or meg) G; an optional unit symbol
 * after the prefix must match `unit` (case-insensitive); "dB" is accepted only for dB values.
 * For GS_UNIT_ENUM, `choices` may be given to accept names as well as indices. */
gs_status gs_parse_value(const char *text, gs_unit unit, const char *const *choices, double *value);

/* Format a value with an SI prefix and its unit into buf ("47 uF", "-6 dB", "10 kOhm"). */
void gs_format_value(double value, gs_unit unit, const char *const *choices, char *buf,
                     size_t size);

/* ---------------------------------------------------------------------------------------------
 * Models: bare blocks ("opamp-stage") and complete channels ("ss-preamp").
 */
typedef struct gs_model_info {
    const char *name;        /* "opamp-stage" */
    const char *description; /* one line */
    int is_block;            /* 1: a single circuit block for validation; 0: a full channel */
    const gs_param_info *params;
    size_t n_params;
} gs_model_info;

/* Number of models, and model i (NULL if out of range). */
size_t gs_model_count(void);
const gs_model_info *gs_model_at(size_t index);
/* Look up a model by name; NULL if unknown. */
const gs_model_info *gs_model_find(const char *name);

/* ---------------------------------------------------------------------------------------------
 * Presets: a model name plus parameter values. Built-in presets and preset files share one text
 * format, one "key = value" per line, '#' starts a comment:
 *     model = ss-preamp
 *     description = Transparent solid-state mic preamp
 *     gain = 40dB
 */
typedef struct gs_preset gs_preset;

size_t gs_preset_count(void);
/* Built-in preset i, or NULL. Built-in presets are static: do not free them. */
const gs_preset *gs_preset_at(size_t index);
/* Built-in preset by name, or NULL. */
const gs_preset *gs_preset_find(const char *name);
/* Parse a preset text (e.g. a file's contents). On error, err (if not NULL) receives one line
 * naming the line number and the problem. The result must be released with gs_preset_free(). */
gs_status gs_preset_parse(const char *text, const char *name, gs_preset **out, char *err,
                          size_t err_size);
void gs_preset_free(gs_preset *preset);
const char *gs_preset_name(const gs_preset *preset);
const char *gs_preset_model(const gs_preset *preset);
const char *gs_preset_description(const gs_preset *preset);
/* Number of parameter assignments in the preset and the i-th (symbol, value). */
size_t gs_preset_value_count(const gs_preset *preset);
gs_status gs_preset_value_at(const gs_preset *preset, size_t i, const char **symbol, double *value);

/* The text format of presets (and of the live system's session files and take sidecars): one
 * "key = value" per line; '#' starts a comment; blank lines are skipped; key and value are trimmed
 * and neither may be empty. */
#define GS_KV_MAX_LINE 1024
typedef struct gs_kv_reader {
    const char *pos; /* the rest of the text */
    size_t line;     /* number of the line read last, from 1 */
} gs_kv_reader;
typedef struct gs_kv {
    char key[128];
    char value[GS_KV_MAX_LINE];
    size_t line; /* where it was read, from 1 */
} gs_kv;
/* Start reading `text` (NUL-terminated; NULL reads as empty). */
void gs_kv_init(gs_kv_reader *reader, const char *text);
/* The next pair: 1 with *out filled, 0 at the end of the text, -1 on a malformed line (err, if not
 * NULL, receives "line N: expected 'key = value'" or "line N: too long"). */
int gs_kv_next(gs_kv_reader *reader, gs_kv *out, char *err, size_t err_size);

/* ---------------------------------------------------------------------------------------------
 * Channels: a model instance that processes blocks of samples.
 */
typedef struct gs_channel gs_channel;

/* Create an instance of `model` for a sample rate in Hz (GS_RATE_MIN..GS_RATE_MAX) and a maximum
 * block length in samples. All memory is allocated here. Parameters start at their defaults and
 * the circuit at its DC operating point. */
gs_status gs_channel_new(const char *model, double rate, uint32_t max_block, gs_channel **out);
/* Create an instance of the preset's model with the preset's values applied (no glide). */
gs_status gs_channel_new_preset(const gs_preset *preset, double rate, uint32_t max_block,
                                gs_channel **out);
void gs_channel_free(gs_channel *channel);

const gs_model_info *gs_channel_model(const gs_channel *channel);
double gs_channel_rate(const gs_channel *channel);

/* Process n samples (n <= max_block): in volts to out volts. in == out is allowed; otherwise the
 * buffers must not overlap. Real-time safe. Non-finite input samples are treated as silence; if
 * the state ever becomes non-finite the model is reset and that block is output as silence. */
gs_status gs_channel_process(gs_channel *channel, const float *in, float *out, uint32_t n);

/* Return the circuit to its DC operating point, parameters jump to their targets. */
void gs_channel_reset(gs_channel *channel);

/* Delay of the output against the input in samples (oversampling filters), for host compensation.
 */
uint32_t gs_channel_latency(const gs_channel *channel);
/* The largest latency the channel can have at its rate over the settings that change it (the tube
 * models' `quality`), for hosts that keep one constant latency. Not real-time: it tries each
 * setting, then restores the current values and resets the channel. */
uint32_t gs_channel_latency_max(gs_channel *channel);

/* Count of input samples that were not finite, and of blocks where the state was reset because
 * it became non-finite, since creation. */
uint64_t gs_channel_nonfinite_count(const gs_channel *channel);
uint64_t gs_channel_recovery_count(const gs_channel *channel);

/* Overload: an input sample beyond +/-GS_OVERLOAD_V volts is clamped there, and when the input is
 * back in range the circuit restarts from its DC operating point, so that it plays normally again
 * within its settling time (under 100 ms for every built-in preset) rather than for seconds to
 * minutes of discharging states no real part could hold. 30 V peak (+26.5 dBu for a sine) is
 * above the hottest line level (+24 dBu), and no microphone, pickup or cartridge delivers it; a
 * real input would be clamped there by its protection diodes or break down. */
#define GS_OVERLOAD_V 30.0
/* Overloads that ended with such a restart, since creation. */
uint64_t gs_channel_overload_count(const gs_channel *channel);

/* Parameters by index (0..count-1) or symbol. Setting checks the range and, for smoothed
 * parameters, glides from the current value; gs_channel_get returns the target value. */
size_t gs_channel_param_count(const gs_channel *channel);
const gs_param_info *gs_channel_param_info(const gs_channel *channel, size_t id);
gs_status gs_channel_param_find(const gs_channel *channel, const char *symbol, size_t *id);
gs_status gs_channel_set(gs_channel *channel, size_t id, double value);
gs_status gs_channel_set_symbol(gs_channel *channel, const char *symbol, double value);
/* Parse text with gs_parse_value() in the parameter's unit, then set it. */
gs_status gs_channel_set_text(gs_channel *channel, const char *symbol, const char *text);
double gs_channel_get(const gs_channel *channel, size_t id);
/* Apply a preset's values to a channel of the same model (values glide where smoothed). */
gs_status gs_channel_apply_preset(gs_channel *channel, const gs_preset *preset);

/* ---------------------------------------------------------------------------------------------
 * Level conventions. A file's level is stated as the dBu RMS of a sine at 0 dBFS.
 */
/* The default calibration of every front end (process, measure, live, the LV2 plugin): a
 * full-scale input sine is -20 dBu (a hot microphone or a typical pickup), a full-scale output
 * sine +18 dBu (EBU R68 converter alignment, 0 dBFS = +18 dBu). */
#define GS_DEFAULT_IN_DBU -20.0
#define GS_DEFAULT_OUT_DBU 18.0

/* Volts per unit sample for a calibration of `dbu` dBu RMS at 0 dBFS (sine): 0.7746 V * sqrt 2. */
double gs_dbu_to_volts_per_unit(double dbu);
/* The inverse: dBu RMS of a full-scale sine for a given volts-per-unit calibration. */
double gs_volts_per_unit_to_dbu(double volts_per_unit);

/* =============================================================================================
 * Noise, converter, metering and gain automation (issue 4, items 3-6).
 * Models added: "noise" (block: source thermal noise, preamp EIN with 1/f corner, hiss, hum; off
 * by default, seeded by its `seed` parameter), "gate" (block: noise gate / downward expander),
 * "converter" (block) and "digital-preamp" (channel, preset "digital"): digital gain, decimation
 * filter, clip safe, 0 dBFS clip, 16/20/24-bit quantiser with TPDF dither and noise shaping.
 */

/* Thermal (Johnson-Nyquist) noise of a resistance r_ohm at temp_k kelvin over bandwidth_hz:
 * sqrt(4 k T R B) volts RMS, and the same in dBu. 0 V (-inf dBu) for non-positive arguments. */
double gs_noise_thermal_vrms(double r_ohm, double temp_k, double bandwidth_hz);
double gs_noise_thermal_dbu(double r_ohm, double temp_k, double bandwidth_hz);

/* Samples clipped at 0 dBFS by a channel's converter since creation ("converter" and
 * "digital-preamp"; 0 for models without one). */
uint64_t gs_channel_clip_count(const gs_channel *channel);
/* Largest gain reduction (dB, >= 0) the converter's clip safe has applied since the last reset. */
double gs_channel_clipsafe_reduction_db(const gs_channel *channel);

/* Clip safe: a look-ahead gain rider. Each sample's output is at most the ceiling in magnitude;
 * the gain ramps down over the look-ahead before a peak (no step) and releases exponentially. */
typedef struct gs_clipsafe gs_clipsafe;
/* Look-ahead in seconds (0 < s <= 0.05); the latency is round(s * rate) samples. Ceiling 1.0,
 * release 0.5 s, enabled. */
gs_status gs_clipsafe_new(double rate, double lookahead_s, gs_clipsafe **out);
void gs_clipsafe_free(gs_clipsafe *cs);
/* Largest output magnitude allowed, in the signal's units (e.g. 1.0 for 0 dBFS). */
gs_status gs_clipsafe_set_ceiling(gs_clipsafe *cs, double ceiling);
/* Release time constant in seconds (0.001 to 60). */
gs_status gs_clipsafe_set_release(gs_clipsafe *cs, double seconds);
/* 0: no gain change, only the look-ahead delay (the latency stays the same). */
void gs_clipsafe_enable(gs_clipsafe *cs, int on);
/* Process n samples in place; real-time safe. */
gs_status gs_clipsafe_process(gs_clipsafe *cs, float *buf, uint32_t n);
void gs_clipsafe_reset(gs_clipsafe *cs);
uint32_t gs_clipsafe_latency(const gs_clipsafe *cs);
/* Gain reduction now, and the largest since the last reset, in dB (>= 0). */
double gs_clipsafe_reduction_db(const gs_clipsafe *cs);
double gs_clipsafe_max_reduction_db(const gs_clipsafe *cs);

/* Meter: levels of interleaved digital audio (full scale +/-1.0). gs_meter_new allocates
 * everything; gs_meter_process is real-time safe; the readers may run in any thread that does not
 * process at the same time. Levels are -HUGE_VAL for silence or too little audio. */
typedef struct gs_meter gs_meter;
/* rate in Hz (GS_RATE_MIN..GS_RATE_MAX), 1 to 64 channels (libebur128's default map: L R C LFE
 * Ls Rs; a mono stream is one channel of weight 1). */
gs_status gs_meter_new(double rate, unsigned channels, gs_meter **out);
void gs_meter_free(gs_meter *meter);
/* Forget everything measured (allocates: not real-time safe). */
void gs_meter_reset(gs_meter *meter);
/* Feed frames of interleaved samples. Non-finite samples count as 0. */
gs_status gs_meter_process(gs_meter *meter, const float *interleaved, uint32_t frames);
/* Since the last reset: sample peak (dBFS), true peak (dBTP, ITU-R BS.1770-4, 4x oversampled) and
 * RMS (dBFS, AES17: a full-scale sine reads 0 dBFS). */
double gs_meter_sample_peak_dbfs(const gs_meter *meter, unsigned channel);
double gs_meter_true_peak_dbtp(const gs_meter *meter, unsigned channel);
double gs_meter_rms_dbfs(const gs_meter *meter, unsigned channel);
/* Samples at or above the clip level (default 1.0, full scale) in magnitude. */
uint64_t gs_meter_clip_count(const gs_meter *meter, unsigned channel);
gs_status gs_meter_set_clip_level(gs_meter *meter, double level);
/* Loudness (LUFS, ITU-R BS.1770-4 / EBU R128, by libebur128): momentary (400 ms), short-term (3 s),
 * integrated (gated, since the last reset; 0.1 LU resolution). */
double gs_meter_momentary_lufs(const gs_meter *meter);
double gs_meter_short_term_lufs(const gs_meter *meter);
double gs_meter_integrated_lufs(const gs_meter *meter);
/* Display ballistics on the true peak: instant rise, the peak-hold value kept for hold_s seconds,
 * both falling at release_db_per_s (defaults 1.5 s and 11.8 dB/s: IEC 60268-18's 20 dB in 1.7 s).
 */
gs_status gs_meter_set_ballistics(gs_meter *meter, double hold_s, double release_db_per_s);
gs_status gs_meter_display(const gs_meter *meter, unsigned channel, double *level_db,
                           double *hold_db);
/* ============================================================================ end of issue 4 */
/* ---------------------------------------------------------------------------------------------
 * Circuit solvers (tube models).
 */
/* Samples since creation at which a model's nonlinear circuit solver hit its iteration bound
 * (the output stayed finite; a previous solution was reused). 0 for models without a solver. */
uint64_t gs_channel_solver_failures(const gs_channel *channel);

/* ---- Parameters by name: values as users write them, names as they remember them (issue 17) ---
 * Model and preset names are matched ignoring case, with '_' read as '-' ("Tube_Hot" is
 * "tube-hot"): gs_model_find, gs_preset_find, gs_channel_new and a preset's "model =" line.
 * Parameter symbols stay exact (C identifiers, plugin port symbols); gs_param_suggest helps there.
 * gs_channel_set_text and preset texts parse values with gs_param_parse.
 */
/* Parse `text` as a value of `param`, the way a user writes it on the command line, in a preset
 * or in a session:
 * - switches (GS_PARAM_TOGGLE): on/off, yes/no, true/false, 1/0, any case; and where
 *   `param->choices` names the two states (off, on), those names: ss-preamp's hpf takes "off" and
 *   "12dB/oct" or "12", as the interface models' hpf does.
 * - choices: a name, ignoring case and spaces ("12 dB/oct"). Where the names are front-panel
 *   numbers with a unit ("6dB/oct", "50Hz", "16"), the number means what the panel says: "12" or
 *   "12dB" is 12dB/oct, "50" is 50Hz, "0" is a choice named "off"; an index is not accepted there
 *   (hpf=1 is refused rather than read as 6 dB/oct). Where the names are words or part numbers
 *   ("condenser", "low-alias", "12AX7"), the index 0..n-1 is accepted as well (it is the value
 *   plugin hosts and session files store). on/off words are refused for choices.
 * - other parameters: gs_parse_value() in the parameter's unit.
 * GS_ERR_PARSE if the text is none of these; ranges of real parameters are not checked here. */
gs_status gs_param_parse(const gs_param_info *param, const char *text, double *value);
/* One line saying why gs_param_parse refused `text`, without the symbol, for messages such as
 * "source: 'condensor' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm; did you
 * mean 'condenser'?" or "gain: cannot read '45Hz' as a value in dB". Truncated to size. */
void gs_param_explain(const gs_param_info *param, const char *text, char *buf, size_t size);
/* "Did you mean": the name among names[0..count-1] nearest to `text` (at most 1 typo for 3
 * characters, 2 up to 7, 3 beyond; a typo is a letter added, dropped, changed or two swapped;
 * case and '_'/'-' do not count), else the only name `text` (3 characters or more) begins;
 * NULL if none. The same among the models, the built-in presets and a model's symbols. */
const char *gs_name_suggest(const char *text, const char *const *names, size_t count);
const char *gs_model_suggest(const char *name);
const char *gs_preset_suggest(const char *name);
const char *gs_param_suggest(const gs_model_info *model, const char *symbol);

#ifdef __cplusplus
}
#endif
#endif /* GAINSTAGE_GAINSTAGE_H */
