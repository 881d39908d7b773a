/* gainstage: physically modelled preamp building blocks.
 *
 * Conventions of this API:
 * - Signals are in volts (float samples), parameters in the unit of their table entry
 *   (dB, V, Ohm, F, Hz, s), never in normalised "0..1" values.
 * - Functions return a gs_status; gs_strerror() names it. Nothing here calls exit() or prints.
 * - Objects are opaque; every *_free(NULL) is a no-op.
 * - Real-time safety: gs_channel_process(), gs_channel_process_many(), gs_channel_set*() and
 *   gs_channel_get() never allocate, lock, block or do I/O. gs_channel_new() allocates everything an instance will ever need.
 *
 * Sections, by object: status and version; units and values; models and parameters; presets;
 * channel; meters; clip safe; noise helpers; levels and calibration.
 */
#ifndef GAINSTAGE_GAINSTAGE_H
#define GAINSTAGE_GAINSTAGE_H

#include "gainstage/version.h"

#include <stddef.h>
#include <stdint.h>

/* Marks the functions the shared library exports: it is built with hidden visibility, so
 * everything else (the blocks' internals) stays private and free to change. */
#if defined(_WIN32) && !defined(GS_STATIC) && defined(GS_BUILDING)
#define GS_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(GS_STATIC)
#define GS_API __declspec(dllimport)
#elif defined(__GNUC__)
#define GS_API __attribute__((visibility("default")))
#else
#define GS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status and version ---------------------------------------------------------------------
 * Every fallible function returns a gs_status. */
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
    GS_ERR_NOT_CONVERGED, /* a circuit solver hit its iteration bound (output still finite) */
    GS_ERR_AMBIGUOUS_PARAMETER /* a bare symbol that several blocks of a strip have */
} gs_status;

/* A short English description of a status code ("unknown parameter"). Never NULL. */
GS_API const char *gs_strerror(gs_status status);

/* The library's version (GS_VERSION_STRING of the build, e.g. "0.1.0"). */
GS_API const char *gs_version(void);

/* Lowest and highest supported sample rates, in Hz. */
#define GS_RATE_MIN 44100.0
#define GS_RATE_MAX 192000.0
/* Largest block a channel may be created for, in samples. */
#define GS_MAX_BLOCK_LIMIT 65536u

/* ---- Units and values -----------------------------------------------------------------------
 * Physical units of parameters, and numbers as engineers write them. */
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

/* The unit's symbol as printed after numbers ("dB", "V", "Ohm", "F", ...); "" for none. */
GS_API const char *gs_unit_symbol(gs_unit unit);

/* Parse a number as engineers write it: "100k", "1M", "1meg", "22n", "4.7u", "1.5p", "-6dB",
 * "47uF", "10kOhm", "1MHz". SI prefixes p n u (or µ) m k M (or meg) G; an optional unit symbol
 * after the prefix must match `unit` (case-insensitive); "dB" is accepted only for dB values.
 * For GS_UNIT_ENUM, `choices` may be given to accept names as well as indices. */
GS_API gs_status gs_parse_value(const char *text, gs_unit unit, const char *const *choices,
                                double *value);

/* Format a value with an SI prefix and its unit into buf ("47 uF", "-6 dB", "10 kOhm"). */
GS_API void gs_format_value(double value, gs_unit unit, const char *const *choices, char *buf,
                            size_t size);

/* ---- Models and parameters ------------------------------------------------------------------
 * Models are bare blocks ("opamp-stage") and complete channels ("ss-preamp"). Each has one
 * parameter table, the single source of truth for the library, the command line, presets and
 * plugin ports. */
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

/* gs_param_info.flags */
#define GS_PARAM_LATENCY 0x1u /* changing it can change the model's latency */

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
    unsigned flags;             /* GS_PARAM_* flags */
} gs_param_info;

typedef struct gs_model_info {
    const char *name;        /* "opamp-stage" */
    const char *description; /* one line */
    int is_block;            /* 1: a single circuit block for validation; 0: a full channel */
    const gs_param_info *params;
    size_t n_params;
} gs_model_info;

/* Number of models, and model i (NULL if out of range). */
GS_API size_t gs_model_count(void);
GS_API const gs_model_info *gs_model_at(size_t index);
/* Look up a model by name; NULL if unknown. */
GS_API const gs_model_info *gs_model_find(const char *name);

/* The index of the parameter `symbol` in the model's table: GS_ERR_UNKNOWN_PARAMETER if none. */
GS_API gs_status gs_model_param_find(const gs_model_info *model, const char *symbol, size_t *id);
/* Whether a value may be set for a parameter: GS_OK, GS_ERR_INVALID_ARGUMENT (not finite) or
 * GS_ERR_OUT_OF_RANGE (outside min..max, or not a whole number for a toggle or choice). */
GS_API gs_status gs_param_check(const gs_param_info *param, double value);
/* The latency in samples a channel of `model` has at `rate` with values[0..n-1] for its first n
 * parameters (the rest at their defaults; values may be NULL when n is 0), without creating one:
 * the library's models compute it from the values. Not real-time (a model may need to build a
 * scratch instance to answer). */
GS_API gs_status gs_model_latency(const gs_model_info *model, const double *values, size_t n,
                                  double rate, uint32_t *latency);

/* ---- Presets --------------------------------------------------------------------------------
 * A model name plus parameter values. Built-in presets and preset files share one text format,
 * one "key = value" per line, '#' starts a comment:
 *     model = ss-preamp
 *     description = Transparent solid-state mic preamp
 *     gain = 40dB
 */
typedef struct gs_preset gs_preset;

GS_API size_t gs_preset_count(void);
/* Built-in preset i, or NULL. Built-in presets are static: do not free them. */
GS_API const gs_preset *gs_preset_at(size_t index);
/* Built-in preset by name, or NULL. */
GS_API const gs_preset *gs_preset_find(const char *name);
/* Parse a preset text (e.g. a file's contents). On error, err (if not NULL) receives one line
 * naming the line number and the problem. The result must be released with gs_preset_free(). */
GS_API gs_status gs_preset_parse(const char *text, const char *name, gs_preset **out, char *err,
                                 size_t err_size);
GS_API void gs_preset_free(gs_preset *preset);
GS_API const char *gs_preset_name(const gs_preset *preset);
GS_API const char *gs_preset_model(const gs_preset *preset);
GS_API const char *gs_preset_description(const gs_preset *preset);
/* Number of parameter assignments in the preset and the i-th (symbol, value). */
GS_API size_t gs_preset_value_count(const gs_preset *preset);
GS_API gs_status gs_preset_value_at(const gs_preset *preset, size_t i, const char **symbol,
                                    double *value);

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
GS_API void gs_kv_init(gs_kv_reader *reader, const char *text);
/* The next pair: 1 with *out filled, 0 at the end of the text, -1 on a malformed line (err, if not
 * NULL, receives "line N: expected 'key = value'" or "line N: too long"). */
GS_API int gs_kv_next(gs_kv_reader *reader, gs_kv *out, char *err, size_t err_size);

/* ---- Channel --------------------------------------------------------------------------------
 * A model instance that processes blocks of samples. */
typedef struct gs_channel gs_channel;

/* Create an instance of `model` for a sample rate in Hz (GS_RATE_MIN..GS_RATE_MAX) and a maximum
 * block length in samples. All memory is allocated here. Parameters start at their defaults and
 * the circuit at its DC operating point. */
GS_API gs_status gs_channel_new(const char *model, double rate, uint32_t max_block,
                                gs_channel **out);
/* Create an instance of the preset's model with the preset's values applied (no glide). */
GS_API gs_status gs_channel_new_preset(const gs_preset *preset, double rate, uint32_t max_block,
                                       gs_channel **out);
GS_API void gs_channel_free(gs_channel *channel);

GS_API const gs_model_info *gs_channel_model(const gs_channel *channel);
GS_API double gs_channel_rate(const gs_channel *channel);

/* Process n samples (n <= max_block): in volts to out volts. in == out is allowed; otherwise the
 * buffers must not overlap. Real-time safe. Non-finite input samples are treated as silence; if
 * the state ever becomes non-finite the model is reset and that block is output as silence. */
GS_API gs_status gs_channel_process(gs_channel *channel, const float *in, float *out, uint32_t n);
/* gs_channel_process(channel[k], in[k], out[k], n) for k = 0..count-1, bit for bit, and faster:
 * channels of a model with a group path (tube-preamp) run four at a time as the lanes of vectors
 * (also while values glide; not in a block where an overload ends, see GS_OVERLOAD_V). in[k] == out[k] is allowed; otherwise no two buffers
 * overlap. Every channel is processed; the last error is returned (GS_OK if none). */
GS_API gs_status gs_channel_process_many(gs_channel *const *channel, size_t count,
                                         const float *const *in, float *const *out, uint32_t n);

/* Return the circuit to its DC operating point, parameters jump to their targets. */
GS_API void gs_channel_reset(gs_channel *channel);

/* Delay of the output against the input in samples (oversampling filters), for host compensation.
 */
GS_API uint32_t gs_channel_latency(const gs_channel *channel);
/* The largest latency the channel can have at its rate over the settings that change it (its
 * GS_PARAM_LATENCY parameters), for hosts that keep one constant latency. Not real-time: it tries
 * each setting, then restores the current values and resets the channel. */
GS_API uint32_t gs_channel_latency_max(gs_channel *channel);

/* Overload: an input sample beyond +/-GS_OVERLOAD_V volts is clamped there, and once the input
 * has been back in range for 10 ms the circuit restarts from its DC operating point (counted in
 * gs_channel_stats.overloads), so that it plays normally again within milliseconds (every
 * built-in preset at its untouched level within 20 ms: tests/test_overload.c) rather than after
 * seconds to minutes of discharging states no real part could hold. 30 V peak (+26.5 dBu for a
 * sine) is above the hottest line level (+24 dBu), and no microphone, pickup or cartridge
 * delivers it; a real input would be clamped there by its protection diodes, or break down. */
#define GS_OVERLOAD_V 30.0

/* Parameters by index (0..count-1) or symbol. Setting checks the range and, for smoothed
 * parameters, glides from the current value; gs_channel_get returns the target value. */
GS_API size_t gs_channel_param_count(const gs_channel *channel);
GS_API const gs_param_info *gs_channel_param_info(const gs_channel *channel, size_t id);
GS_API gs_status gs_channel_param_find(const gs_channel *channel, const char *symbol, size_t *id);
GS_API gs_status gs_channel_set(gs_channel *channel, size_t id, double value);
GS_API gs_status gs_channel_set_symbol(gs_channel *channel, const char *symbol, double value);
/* Parse text with gs_parse_value() in the parameter's unit, then set it. */
GS_API gs_status gs_channel_set_text(gs_channel *channel, const char *symbol, const char *text);
GS_API double gs_channel_get(const gs_channel *channel, size_t id);
/* Apply a preset's values to a channel of the same model (values glide where smoothed). */
GS_API gs_status gs_channel_apply_preset(gs_channel *channel, const gs_preset *preset);

/* What happened inside a channel: counters since creation unless said otherwise. */
typedef struct gs_channel_stats {
    uint64_t nonfinite_inputs; /* input samples that were not finite (processed as silence) */
    uint64_t recoveries;       /* blocks output as silence because the state became non-finite */
    uint64_t overloads;        /* overloads (input beyond GS_OVERLOAD_V) ended by a restart */
    uint64_t solver_failures;  /* samples whose circuit solver hit its iteration bound (tube models;
                                  the output stayed finite: a previous solution was reused) */
    uint64_t clipped_samples;  /* samples clipped at 0 dBFS by the converter ("converter",
                                  "digital-preamp") */
    double clipsafe_max_reduction_db; /* largest gain reduction of the converter's clip safe since
                                         the last reset, dB >= 0 */
} gs_channel_stats;

/* Fill *stats (zero for what the model does not have). Real-time safe. */
GS_API gs_status gs_channel_stats_get(const gs_channel *channel, gs_channel_stats *stats);

/* ---- Meters ---------------------------------------------------------------------------------
 * Levels of interleaved digital audio (full scale +/-1.0). gs_meter_new allocates everything;
 * gs_meter_process is real-time safe; the readers may run in any thread that does not process at
 * the same time. Levels are -HUGE_VAL for silence or too little audio. */
typedef struct gs_meter gs_meter;
/* rate in Hz (GS_RATE_MIN..GS_RATE_MAX), 1 to 64 channels (libebur128's default map: L R C LFE
 * Ls Rs; a mono stream is one channel of weight 1). */
GS_API gs_status gs_meter_new(double rate, unsigned channels, gs_meter **out);
GS_API void gs_meter_free(gs_meter *meter);
/* Forget everything measured (allocates: not real-time safe). */
GS_API void gs_meter_reset(gs_meter *meter);
/* Feed frames of interleaved samples. Non-finite samples count as 0. */
GS_API gs_status gs_meter_process(gs_meter *meter, const float *interleaved, uint32_t frames);
/* Since the last reset: sample peak (dBFS), true peak (dBTP, ITU-R BS.1770-4, 4x oversampled) and
 * RMS (dBFS, AES17: a full-scale sine reads 0 dBFS). */
GS_API double gs_meter_sample_peak_dbfs(const gs_meter *meter, unsigned channel);
GS_API double gs_meter_true_peak_dbtp(const gs_meter *meter, unsigned channel);
GS_API double gs_meter_rms_dbfs(const gs_meter *meter, unsigned channel);
/* Samples at or above the clip level (default 1.0, full scale) in magnitude. */
GS_API uint64_t gs_meter_clip_count(const gs_meter *meter, unsigned channel);
GS_API gs_status gs_meter_set_clip_level(gs_meter *meter, double level);
/* Loudness (LUFS, ITU-R BS.1770-4 / EBU R128, by libebur128): momentary (400 ms), short-term (3 s),
 * integrated (gated, since the last reset; 0.1 LU resolution). */
GS_API double gs_meter_momentary_lufs(const gs_meter *meter);
GS_API double gs_meter_short_term_lufs(const gs_meter *meter);
GS_API double gs_meter_integrated_lufs(const gs_meter *meter);
/* Display ballistics on the true peak: instant rise, the peak-hold value kept for hold_s seconds,
 * both falling at release_db_per_s (defaults 1.5 s and 11.8 dB/s: IEC 60268-18's 20 dB in 1.7 s).
 */
GS_API gs_status gs_meter_set_ballistics(gs_meter *meter, double hold_s, double release_db_per_s);
GS_API gs_status gs_meter_display(const gs_meter *meter, unsigned channel, double *level_db,
                                  double *hold_db);

/* ---- Clip safe ------------------------------------------------------------------------------
 * A look-ahead gain rider. Each sample's output is at most the ceiling in magnitude; the gain
 * ramps down over the look-ahead before a peak (no step) and releases exponentially. */
typedef struct gs_clipsafe gs_clipsafe;
/* Look-ahead in seconds (0 < s <= 0.05); the latency is round(s * rate) samples. Ceiling 1.0,
 * release 0.5 s, enabled. */
GS_API gs_status gs_clipsafe_new(double rate, double lookahead_s, gs_clipsafe **out);
GS_API void gs_clipsafe_free(gs_clipsafe *cs);
/* Largest output magnitude allowed, in the signal's units (e.g. 1.0 for 0 dBFS). */
GS_API gs_status gs_clipsafe_set_ceiling(gs_clipsafe *cs, double ceiling);
/* Release time constant in seconds (0.001 to 60). */
GS_API gs_status gs_clipsafe_set_release(gs_clipsafe *cs, double seconds);
/* 0: no gain change, only the look-ahead delay (the latency stays the same). */
GS_API void gs_clipsafe_enable(gs_clipsafe *cs, int on);
/* Process n samples in place; real-time safe. */
GS_API gs_status gs_clipsafe_process(gs_clipsafe *cs, float *buf, uint32_t n);
GS_API void gs_clipsafe_reset(gs_clipsafe *cs);
GS_API uint32_t gs_clipsafe_latency(const gs_clipsafe *cs);
/* Gain reduction now, and the largest since the last reset, in dB (>= 0). */
GS_API double gs_clipsafe_reduction_db(const gs_clipsafe *cs);
GS_API double gs_clipsafe_max_reduction_db(const gs_clipsafe *cs);

/* ---- Noise helpers --------------------------------------------------------------------------
 * (The noise itself is the "noise" model: source thermal noise, preamp EIN with a 1/f corner,
 * hiss, hum; off by default, seeded by its `seed` parameter.) */
/* Thermal (Johnson-Nyquist) noise of a resistance r_ohm at temp_k kelvin over bandwidth_hz:
 * sqrt(4 k T R B) volts RMS, and the same in dBu. 0 V (-inf dBu) for non-positive arguments. */
GS_API double gs_noise_thermal_vrms(double r_ohm, double temp_k, double bandwidth_hz);
GS_API double gs_noise_thermal_dbu(double r_ohm, double temp_k, double bandwidth_hz);

/* ---- Levels and calibration -----------------------------------------------------------------
 * A file's level is stated as the dBu RMS of a sine at 0 dBFS. */
/* The default calibration of every front end (process, measure, live, the LV2 plugin): a
 * full-scale input sine is -20 dBu (a hot microphone or a typical pickup), a full-scale output
 * sine +18 dBu (EBU R68 converter alignment, 0 dBFS = +18 dBu). */
#define GS_DEFAULT_IN_DBU -20.0
#define GS_DEFAULT_OUT_DBU 18.0

/* Volts per unit sample for a calibration of `dbu` dBu RMS at 0 dBFS (sine): 0.7746 V * sqrt 2. */
GS_API double gs_dbu_to_volts_per_unit(double dbu);
/* The inverse: dBu RMS of a full-scale sine for a given volts-per-unit calibration. */
GS_API double gs_volts_per_unit_to_dbu(double volts_per_unit);

/* ---- Stream: the calibrated real-time path around a channel; and the quantiser -------------
 * What every front end (process, the LV2 plugin, live, measure) does around a channel, written
 * once: sample units times the input calibration (volts per unit) are volts into the channel, its
 * volts times the output calibration's inverse are output units; calibration changes glide
 * linearly (or jump); any call length is cut into chunks of the channel's max_block; an optional
 * delay pads the channel's latency up to a constant one; peak, RMS and clip meters; and a
 * crossfade to another channel (a model switch). A stream wraps channels it does not own: they
 * must outlive it. gs_stream_new() allocates everything; every other function here is real-time
 * safe (no allocation, lock or I/O). Scaling is done in double and rounded to float. */
typedef struct gs_stream gs_stream;

/* Levels of the window since the last gs_stream_read_levels(), in sample units (full scale 1). */
typedef struct gs_stream_levels {
    double peak_in, peak_out; /* largest magnitude; non-finite input samples are not counted */
    double rms_out;           /* RMS of the output over the window; 0 for an empty window */
    uint64_t frames;          /* samples processed in the window */
} gs_stream_levels;

/* A stream around `channel` (not owned), calibrated at GS_DEFAULT_IN_DBU / GS_DEFAULT_OUT_DBU.
 * latency 0: no padding (the output lags by the channel's own latency); else the channel's output
 * is delayed so that it always lags by `latency` samples (at most GS_MAX_BLOCK_LIMIT): give the
 * largest the channels can have (gs_channel_latency_max) for a host that needs it constant. */
GS_API gs_status gs_stream_new(gs_channel *channel, uint32_t latency, gs_stream **out);
/* Free the stream (not its channels). */
GS_API void gs_stream_free(gs_stream *stream);
/* The channel playing now (during a crossfade: the outgoing one). */
GS_API gs_channel *gs_stream_channel(const gs_stream *stream);
/* The output's lag behind the input in samples: the constant latency, or the channel's own. */
GS_API uint32_t gs_stream_latency(const gs_stream *stream);
/* Input calibration: volts at the channel per unit sample (> 0), or the dBu of a full-scale sine.
 * The gain glides linearly over glide_s seconds (rounded to samples; 0 jumps at once). */
GS_API gs_status gs_stream_set_in_volts(gs_stream *stream, double volts_per_unit, double glide_s);
GS_API gs_status gs_stream_set_in_dbu(gs_stream *stream, double dbu, double glide_s);
/* Output calibration: channel volts that make a unit output sample, or the dBu of a full-scale
 * output sine; the output is scaled by its inverse, gliding as above. */
GS_API gs_status gs_stream_set_out_volts(gs_stream *stream, double volts_per_unit, double glide_s);
GS_API gs_status gs_stream_set_out_dbu(gs_stream *stream, double dbu, double glide_s);
/* Samples of magnitude >= level (> 0; default 1.0, full scale) count as clips, in and out. */
GS_API gs_status gs_stream_set_clip_level(gs_stream *stream, double level);
/* Play `next` (same max_block or larger; it may run at another rate). fade_s 0: at once, as it
 * is. Else at the start of the next chunk (after any fade in progress) `next` is reset to its DC
 * operating point and, once its latency has passed, crossfaded in linearly over fade_s. */
GS_API gs_status gs_stream_switch(gs_stream *stream, gs_channel *next, double fade_s);
/* Process n samples (any n) of input units into output units. in == out is allowed; otherwise
 * the buffers must not overlap. Non-finite input reaches the channel, which treats it as 0. */
GS_API gs_status gs_stream_process(gs_stream *stream, const float *in, float *out, uint32_t n);
/* gs_stream_process(stream[k], in[k], out[k], n) for k = 0..count-1, bit for bit, with their
 * channels processed together (gs_channel_process_many) where streams of one chunk size meet.
 * Buffers as there, and no two streams share a channel; the last error is returned (GS_OK if
 * none). */
GS_API gs_status gs_stream_process_many(gs_stream *const *stream, size_t count,
                                        const float *const *in, float *const *out, uint32_t n);
/* Back to rest: a fade cut short (the channel asked for plays), that channel reset to its DC
 * operating point, the padding empty, glides landed, the level window restarted. */
GS_API void gs_stream_reset(gs_stream *stream);
/* Read the level window and start a new one. */
GS_API void gs_stream_read_levels(gs_stream *stream, gs_stream_levels *levels);
/* Input and output samples counted as clips since creation (either pointer may be NULL). */
GS_API void gs_stream_clips(const gs_stream *stream, uint64_t *in, uint64_t *out);

/* Quantiser: float samples (full scale +/-1) to the integer codes of a word, as the converter
 * model does it: optional TPDF dither (two uniform values of +/-0.5 LSB from xoshiro256** seeded
 * by splitmix64, drawn in sample order), rounding to nearest, codes clamped to the word's range
 * and counted. For front ends writing integer files; gs_quantizer_process is real-time safe. */
typedef struct gs_quantizer gs_quantizer;
/* bits 8 to 24; dither 0 or 1; the same seed gives the same dither. */
GS_API gs_status gs_quantizer_new(unsigned bits, int dither, uint64_t seed, gs_quantizer **out);
/* Free the quantiser. */
GS_API void gs_quantizer_free(gs_quantizer *q);
/* n samples (interleaved channels are fine: one dither stream in buffer order) to codes
 * -2^(bits-1) .. 2^(bits-1)-1. */
GS_API gs_status gs_quantizer_process(gs_quantizer *q, const float *in, int32_t *out, size_t n);
/* Samples whose code was clamped (beyond full scale) since creation. */
GS_API uint64_t gs_quantizer_clip_count(const gs_quantizer *q);

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
GS_API gs_status gs_param_parse(const gs_param_info *param, const char *text, double *value);
/* One line saying why gs_param_parse refused `text`, without the symbol, for messages such as
 * "source: 'condensor' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm; did you
 * mean 'condenser'?" or "gain: cannot read '45Hz' as a value in dB". Truncated to size. */
GS_API void gs_param_explain(const gs_param_info *param, const char *text, char *buf, size_t size);
/* "Did you mean": the name among names[0..count-1] nearest to `text` (at most 1 typo for 3
 * characters, 2 up to 7, 3 beyond; a typo is a letter added, dropped, changed or two swapped;
 * case and '_'/'-' do not count), else the only name `text` (3 characters or more) begins;
 * NULL if none. The same among the models, the built-in presets and a model's symbols. */
GS_API const char *gs_name_suggest(const char *text, const char *const *names, size_t count);
GS_API const char *gs_model_suggest(const char *name);
GS_API const char *gs_preset_suggest(const char *name);
GS_API const char *gs_param_suggest(const gs_model_info *model, const char *symbol);

/* ---- Strips: a chain of blocks as one channel (issue 14) --------------------------------------
 * A strip is a gs_channel whose model is a chain of the registry's models ("blocks"), each a full
 * inner channel (its own glides, non-finite and overload guards), run one after another in place,
 * in volts: no level matching between blocks; calibration stays at the strip's two ends. An
 * overload at the strip's input (GS_OVERLOAD_V) restarts every block together, counted once. Its
 * latency is the sum of the blocks'; its parameter table (gs_channel_model: owned by the channel,
 * valid until it is freed) holds every block's parameters as "block.symbol", the block named after
 * its model or as the user named it ("boost1:opamp-stage", needed where a model appears twice).
 * A bare symbol finds the one block that has it (GS_ERR_AMBIGUOUS_PARAMETER if several do): in
 * gs_channel_param_find, gs_channel_set_text, presets and the command line's --set. A strip's
 * table is not in the registry: gs_model_latency() refuses it (GS_ERR_UNKNOWN_MODEL); ask the
 * channel (gs_channel_latency, gs_channel_latency_max: the sum of the blocks' largest).
 * Chain text:   [NAME:]MODEL [SYMBOL=VALUE]... | [NAME:]MODEL ... (at most GS_STRIP_MAX_BLOCKS)
 *     source type=ribbon | tube-preamp drive=6dB | converter bits=24
 * Strip preset: "chain = CHAIN TEXT" instead of "model = NAME", then "block.symbol = value" lines
 *     chain = boost1:opamp-stage | tube-stage | boost2:opamp-stage
 *     boost1.gain = 12dB
 */
#define GS_STRIP_MAX_BLOCKS 16
/* A strip preset from a chain text (named "chain"); err receives one line naming the problem
 * (unknown block, unknown symbol, bad value, too many blocks). Free with gs_preset_free(). */
GS_API gs_status gs_preset_parse_chain(const char *text, gs_preset **out, char *err,
                                       size_t err_size);
/* Blocks of a strip preset (0 for a single-model preset, whose gs_preset_model is the model; a
 * strip's is its chain text) and block i's name and model. */
GS_API size_t gs_preset_block_count(const gs_preset *preset);
GS_API gs_status gs_preset_block_at(const gs_preset *preset, size_t i, const char **name,
                                    const gs_model_info **model);
/* Create a strip from a chain text: gs_preset_parse_chain + gs_channel_new_preset. */
GS_API gs_status gs_channel_new_chain(const char *text, double rate, uint32_t max_block,
                                      gs_channel **out, char *err, size_t err_size);
/* Blocks of a channel (1 for a single model: itself) and block i: its name, model, and where its
 * parameters are in the channel's table (first, count). Any pointer but channel may be NULL. */
GS_API size_t gs_channel_block_count(const gs_channel *channel);
GS_API gs_status gs_channel_block_at(const gs_channel *channel, size_t i, const char **name,
                                     const gs_model_info **model, size_t *first, size_t *count);
/* One line saying why `symbol` is not found in `model`'s table, e.g. "no parameter 'drvie'; did
 * you mean 'drive'?" or "drive is in tube1 and tube2: write tube1.drive". */
GS_API void gs_param_find_explain(const gs_model_info *model, const char *symbol, char *buf,
                                  size_t size);

#ifdef __cplusplus
}
#endif
#endif /* GAINSTAGE_GAINSTAGE_H */
