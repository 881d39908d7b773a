/* Metering: loudness of a 997 Hz sine against BS.1770-4 computed here from the standard's K-filter
 * coefficients, and against libebur128's exact (non-histogram) mode; true peak on inter-sample
 * peaks (a sine at fs/4 with 45 degrees of phase: samples at -3.01 dBFS, true peak 0 dBTP);
 * sample peak, AES17 RMS, clip count and display ballistics. */
#include "check.h"
#include "internal.h"

#include <ebur128.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#define RATE 48000.0

/* |H|^2 of a biquad (b0 b1 b2, 1 a1 a2) at f Hz. */
static double biquad_pow(const double *b, const double *a, double f) {
    double w = 2 * M_PI * f / RATE;
    double nr = b[0] + b[1] * cos(w) + b[2] * cos(2 * w), ni = -b[1] * sin(w) - b[2] * sin(2 * w);
    double dr = 1 + a[0] * cos(w) + a[1] * cos(2 * w), di = -a[0] * sin(w) - a[1] * sin(2 * w);
    return (nr * nr + ni * ni) / (dr * dr + di * di);
}

/* ITU-R BS.1770-4, Tables 1 and 2: the K-weighting's two stages at 48 kHz. */
static double k_weight_pow(double f) {
    static const double b1[] = {1.53512485958697, -2.69169618940638, 1.19839281085285};
    static const double a1[] = {-1.69065929318241, 0.73248077421585};
    static const double b2[] = {1.0, -2.0, 1.0};
    static const double a2[] = {-1.99004745483398, 0.99007225036621};
    return biquad_pow(b1, a1, f) * biquad_pow(b2, a2, f);
}

/* A 10 ms raised-cosine fade-in: an abrupt start is itself an inter-sample overshoot (the onset
 * rings), which would be measured instead of the steady waveform. */
static double fade(size_t i) { return i < 480 ? 0.5 - 0.5 * cos(M_PI * (double)i / 480.0) : 1.0; }

static void feed(gs_meter *m, const float *x, size_t frames, unsigned nch) {
    for (size_t i = 0; i < frames; i += 480) {
        uint32_t n = (uint32_t)(frames - i < 480 ? frames - i : 480);
        CHECK(gs_meter_process(m, x + i * nch, n) == GS_OK, "process");
    }
}

int main(void) {
    /* Loudness of a 997 Hz sine at -20 dBFS (amplitude 0.1), 10 s, mono and stereo. */
    for (unsigned nch = 1; nch <= 2; nch++) {
        size_t frames = (size_t)(10 * RATE);
        float *x = malloc(frames * nch * sizeof *x);
        for (size_t i = 0; i < frames; i++)
            for (unsigned c = 0; c < nch; c++)
                x[i * nch + c] = (float)(0.1 * fade(i) * sin(2 * M_PI * 997.0 * (double)i / RATE));
        double want = -0.691 + 10 * log10((double)nch * 0.005 * k_weight_pow(997.0));
        gs_meter *m = NULL;
        CHECK(gs_meter_new(RATE, nch, &m) == GS_OK, "new");
        feed(m, x, frames, nch);
        double integ = gs_meter_integrated_lufs(m), st = gs_meter_short_term_lufs(m);
        double mom = gs_meter_momentary_lufs(m);
        /* libebur128 without the histogram: its exact integrated value. */
        ebur128_state *ref = ebur128_init(nch, 48000, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
        ebur128_add_frames_float(ref, x, frames);
        double ref_i = 0;
        ebur128_loudness_global(ref, &ref_i);
        printf("%s 997 Hz sine at -20 dBFS: integrated %.3f LUFS, short-term %.3f, momentary "
               "%.3f; BS.1770 by hand %.3f; libebur128 exact %.3f\n",
               nch == 1 ? "mono  " : "stereo", integ, st, mom, want, ref_i);
        CHECK(fabs(integ - want) < 0.1, "integrated %.3f vs %.3f", integ, want);
        CHECK(fabs(st - want) < 0.01, "short-term %.3f vs %.3f", st, want);
        CHECK(fabs(mom - want) < 0.01, "momentary %.3f vs %.3f", mom, want);
        CHECK(fabs(ref_i - want) < 0.01, "libebur128 exact %.3f vs %.3f", ref_i, want);
        for (unsigned c = 0; c < nch; c++) {
            double rms = gs_meter_rms_dbfs(m, c), sp = gs_meter_sample_peak_dbfs(m, c);
            double tp = gs_meter_true_peak_dbtp(m, c);
            if (c == 0)
                printf("  sample peak %.4f dBFS, true peak %.4f dBTP, RMS %.4f dBFS\n", sp, tp,
                       rms);
            CHECK(fabs(rms + 20.0) < 0.01, "RMS (AES17) %.4f", rms);
            CHECK(fabs(sp + 20.0) < 0.01, "sample peak %.4f", sp);
            CHECK(fabs(tp + 20.0) < 0.01, "true peak %.4f", tp);
        }
        ebur128_destroy(&ref);
        gs_meter_free(m);
        free(x);
    }

    /* True peak: a full-scale sine at fs/4 with 45 degrees of phase never has a sample at its
     * peak: every sample is +/-0.7071 (-3.01 dBFS), the waveform reaches 0 dBTP. */
    {
        size_t frames = 48000;
        float *x = malloc(frames * sizeof *x);
        for (size_t i = 0; i < frames; i++)
            x[i] = (float)(fade(i) * sin(M_PI / 2 * (double)i + M_PI / 4));
        gs_meter *m = NULL;
        gs_meter_new(RATE, 1, &m);
        feed(m, x, frames, 1);
        ebur128_state *ref = ebur128_init(1, 48000, EBUR128_MODE_TRUE_PEAK);
        ebur128_add_frames_float(ref, x, frames);
        double ref_tp = 0;
        ebur128_true_peak(ref, 0, &ref_tp);
        double sp = gs_meter_sample_peak_dbfs(m, 0), tp = gs_meter_true_peak_dbtp(m, 0);
        printf("fs/4 sine, 45 deg: sample peak %.3f dBFS, true peak %.4f dBTP (libebur128 %.4f)\n",
               sp, tp, 20 * log10(ref_tp));
        CHECK(fabs(sp + 3.0103) < 0.001, "sample peak %.4f", sp);
        CHECK(fabs(tp) < 0.02, "true peak %.4f dBTP", tp);
        CHECK(tp >= sp, "true peak below sample peak");
        /* Near the top of the band: a sine at 0.45 fs, amplitude 0.5, phase so samples miss the
         * crest. Its true peak is -6.02 dBTP; the oversampling grid is 1/4 sample, so the
         * worst-case grid loss is 1 - cos(pi * 0.45 / 4) = -0.54 dB (BS.1770 accepts it). */
        for (size_t i = 0; i < frames; i++)
            x[i] = (float)(0.5 * fade(i) * sin(2 * M_PI * 0.45 * (double)i + 0.3));
        gs_meter_reset(m);
        feed(m, x, frames, 1);
        tp = gs_meter_true_peak_dbtp(m, 0);
        printf("0.45 fs sine at -6.02 dBFS: true peak %.3f dBTP, sample peak %.3f dBFS\n", tp,
               gs_meter_sample_peak_dbfs(m, 0));
        CHECK(tp < -6.02 + 0.05 && tp > -6.02 - 0.6, "0.45 fs true peak %.3f", tp);
        ebur128_destroy(&ref);

        /* Clip count: samples at or above full scale. */
        gs_meter_reset(m);
        for (size_t i = 0; i < 1000; i++)
            x[i] = (i % 100 == 0) ? 1.0f : (i % 100 == 1 ? -1.5f : 0.1f);
        feed(m, x, 1000, 1);
        printf("clip count: %llu (20 expected)\n", (unsigned long long)gs_meter_clip_count(m, 0));
        CHECK(gs_meter_clip_count(m, 0) == 20, "clip count");

        /* Ballistics: hold 0.5 s, release 20 dB/s; 0.2 s of a tone rising to 0 dBFS
         * (so its highest peak is its last), then silence. */
        gs_meter_reset(m);
        CHECK(gs_meter_set_ballistics(m, 0.5, 20.0) == GS_OK, "ballistics");
        for (size_t i = 0; i < frames; i++)
            x[i] = i < 9600
                       ? (float)((double)i / 9600.0 * sin(2 * M_PI * 1000.0 * (double)i / RATE))
                       : 0.0f;
        double lv = 0, hd = 0;
        feed(m, x, 9600 + 14400, 1); /* 0.3 s of silence */
        gs_meter_display(m, 0, &lv, &hd);
        printf("after 0.3 s of silence: display %.2f dB (expect -6.0), hold %.2f dB (expect 0)\n",
               lv, hd);
        CHECK(fabs(lv + 6.0) < 0.1, "display %.2f", lv);
        CHECK(fabs(hd) < 0.03, "hold %.2f", hd);
        feed(m, x + 24000, 24000, 1); /* 0.8 s of silence */
        gs_meter_display(m, 0, &lv, &hd);
        printf(
            "after 0.8 s of silence: display %.2f dB (expect -16.0), hold %.2f dB (expect -6.0)\n",
            lv, hd);
        CHECK(fabs(lv + 16.0) < 0.1, "display %.2f", lv);
        CHECK(fabs(hd + 6.0) < 0.1, "hold %.2f", hd);
        gs_meter_free(m);
        free(x);
    }

    /* Real-time safety: no heap growth while processing (libebur128 in list mode would allocate a
     * block record every 100 ms; its histogram mode does not). Measured with glibc's mallinfo2;
     * under AddressSanitizer, which replaces malloc, mallinfo2 reports nothing and this only
     * checks the release build. The list-mode reference shows the measurement can see growth. */
    {
        size_t frames = (size_t)(10 * RATE);
        float *x = malloc(frames * 2 * sizeof *x);
        for (size_t i = 0; i < frames * 2; i++) x[i] = (float)(0.3 * sin(0.01 * (double)i));
        gs_meter *mt = NULL;
        gs_meter_new(RATE, 2, &mt);
        ebur128_state *list = ebur128_init(2, 48000, EBUR128_MODE_I);
        feed(mt, x, 4800, 2);
        ebur128_add_frames_float(list, x, 4800);
        size_t before = mallinfo2().uordblks;
        feed(mt, x, frames, 2);
        size_t after_meter = mallinfo2().uordblks;
        ebur128_add_frames_float(list, x, frames);
        size_t after_list = mallinfo2().uordblks;
        printf("heap in use: %zu bytes before, %zu after 10 s of gs_meter_process, %zu after "
               "libebur128 list mode\n",
               before, after_meter, after_list);
        CHECK(after_meter == before, "gs_meter_process allocated %zd bytes",
              (ptrdiff_t)after_meter - (ptrdiff_t)before);
        CHECK(before == 0 || after_list > after_meter, "the allocation probe sees nothing");
        ebur128_destroy(&list);
        gs_meter_free(mt);
        free(x);
    }

    /* Bad arguments. */
    gs_meter *m = NULL;
    CHECK(gs_meter_new(8000.0, 1, &m) == GS_ERR_UNSUPPORTED_RATE && !m, "rate");
    CHECK(gs_meter_new(RATE, 0, &m) == GS_ERR_INVALID_ARGUMENT, "channels");
    CHECK(gs_meter_process(NULL, NULL, 0) == GS_ERR_INVALID_ARGUMENT, "NULL meter");
    gs_meter_free(NULL);
    CHECK(gs_meter_integrated_lufs(NULL) == -HUGE_VAL, "NULL reads -inf");
    return check_done();
}
