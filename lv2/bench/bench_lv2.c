/* bench_lv2: speed of LV2 plugins hosted through lilv, next to the library call they wrap, so the
 * cost of the LV2 layer (port reads, calibration, meters, chunking) is visible.
 *
 *   bench_lv2 [--seconds S] [--block N] [--rate HZ] [--gain DB] [URI...]
 *
 * Without URIs: the gainstage mono and stereo plugins, and gs_channel_process() on the same
 * signal with the same settings. With URIs (any installed plugin, found through LV2_PATH, e.g. a
 * peer preamp for bench/peers.sh): each plugin with its control ports at their defaults; plugins
 * with ports other than audio and control (atom, CV) are skipped with a note.
 * The signal is a -12 dBFS 220 Hz sawtooth-like tone (rich in harmonics). Times are the calling
 * thread's CPU time; "x real time" = audio duration / CPU time.
 */
#include "gs_lv2.h"

#include <lilv/lilv.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void make_signal(float *x, size_t n, double rate) {
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, s = 0;
        for (int k = 1; k <= 8; k++) s += sin(2.0 * M_PI * 220.0 * k * t) / k;
        x[i] = (float)(0.25 * 0.5 * s); /* peak about -12 dBFS */
    }
}

static void report(const char *name, double audio_s, double cpu_s, unsigned nch) {
    printf("%-44s %3u ch  %10.1f x real time  %8.1f ns/sample/ch\n", name, nch, audio_s / cpu_s,
           1e9 * cpu_s / (audio_s * 48000.0 * nch));
}

/* Host one plugin: returns 0 if it ran. */
static int bench_plugin(LilvWorld *w, const LilvPlugin *p, double rate, uint32_t block,
                        double seconds, const float *sig, double gain) {
    LilvNode *audio = lilv_new_uri(w, LV2_CORE__AudioPort);
    LilvNode *control = lilv_new_uri(w, LV2_CORE__ControlPort);
    LilvNode *input = lilv_new_uri(w, LV2_CORE__InputPort);
    uint32_t np = lilv_plugin_get_num_ports(p);
    float *mins = calloc(np, sizeof(float)), *maxs = calloc(np, sizeof(float)),
          *defs = calloc(np, sizeof(float)), *ctl = calloc(np, sizeof(float));
    float *bufs[8] = {0};
    unsigned n_in = 0, n_out = 0;
    int ok = 1;
    lilv_plugin_get_port_ranges_float(p, mins, maxs, defs);
    LilvInstance *inst = lilv_plugin_instantiate(p, rate, NULL);
    if (!inst) {
        printf("%-44s (cannot instantiate without host features: skipped)\n",
               lilv_node_as_string(lilv_plugin_get_uri(p)));
        ok = 0;
    }
    for (uint32_t i = 0; ok && i < np; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
        if (lilv_port_is_a(p, port, audio)) {
            int is_in = lilv_port_is_a(p, port, input);
            if ((is_in ? n_in : n_out) >= 4) {
                ok = 0;
                break;
            }
            float *b = calloc(block, sizeof(float));
            bufs[is_in ? n_in : 4 + n_out] = b;
            if (is_in)
                n_in++;
            else
                n_out++;
            lilv_instance_connect_port(inst, i, b);
        } else if (lilv_port_is_a(p, port, control)) {
            ctl[i] = isnan(defs[i]) ? (isnan(mins[i]) ? 0.0f : mins[i]) : defs[i];
            const char *sym = lilv_node_as_string(lilv_port_get_symbol(p, port));
            if (gain >= 0 && !strcmp(sym, "gain")) ctl[i] = (float)gain;
            lilv_instance_connect_port(inst, i, &ctl[i]);
        } else {
            printf("%-44s (has atom/CV ports: skipped)\n",
                   lilv_node_as_string(lilv_plugin_get_uri(p)));
            ok = 0;
        }
    }
    if (ok && (n_in == 0 || n_out == 0)) ok = 0;
    if (ok) {
        lilv_instance_activate(inst);
        size_t total = (size_t)(seconds * rate);
        double t0 = cpu_seconds();
        for (size_t done = 0; done < total; done += block) {
            for (unsigned c = 0; c < n_in; c++) memcpy(bufs[c], sig + done, block * sizeof(float));
            lilv_instance_run(inst, block);
        }
        double t = cpu_seconds() - t0;
        char name[256];
        LilvNode *nm = lilv_plugin_get_name(p);
        snprintf(name, sizeof name, "lv2: %s", nm ? lilv_node_as_string(nm) : "?");
        lilv_node_free(nm);
        report(name, seconds, t, n_in);
        lilv_instance_deactivate(inst);
    }
    if (inst) lilv_instance_free(inst);
    for (int i = 0; i < 8; i++) free(bufs[i]);
    free(mins);
    free(maxs);
    free(defs);
    free(ctl);
    lilv_node_free(audio);
    lilv_node_free(control);
    lilv_node_free(input);
    return ok ? 0 : 1;
}

/* The library call the plugin wraps, with the plugin's calibration and block handling. */
static void bench_library(double rate, uint32_t block, double seconds, const float *sig,
                          double gain) {
    gs_channel *ch;
    if (gs_channel_new("ss-preamp", rate, block, &ch) != GS_OK) return;
    if (gain >= 0) gs_channel_set_symbol(ch, "gain", gain);
    gs_channel_reset(ch);
    float *buf = malloc(block * sizeof(float));
    double in = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    double out = 1.0 / gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    size_t total = (size_t)(seconds * rate);
    double t0 = cpu_seconds();
    for (size_t done = 0; done < total; done += block) {
        for (uint32_t i = 0; i < block; i++) buf[i] = (float)(sig[done + i] * in);
        gs_channel_process(ch, buf, buf, block);
        for (uint32_t i = 0; i < block; i++) buf[i] = (float)(buf[i] * out);
    }
    report("library: gs_channel_process (ss-preamp)", seconds, cpu_seconds() - t0, 1);
    free(buf);
    gs_channel_free(ch);
}

int main(int argc, char **argv) {
    double seconds = 2.0, rate = 48000.0, gain = 40.0;
    uint32_t block = 256;
    int first_uri = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--block") && i + 1 < argc)
            block = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--gain") && i + 1 < argc)
            gain = atof(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_lv2 [--seconds S] [--block N] [--rate HZ] [--gain DB] "
                            "[URI...]\n");
            return 2;
        } else {
            first_uri = i;
            break;
        }
    }
    if (!(seconds > 0) || block == 0 || block > 65536 || !(rate >= 8000)) {
        fprintf(stderr, "bench_lv2: bad --seconds, --block or --rate\n");
        return 2;
    }
    size_t total = (size_t)(seconds * rate) + block;
    float *sig = malloc(total * sizeof(float));
    if (!sig) return 1;
    make_signal(sig, total, rate);
    printf("bench_lv2: %.1f s at %.0f Hz, blocks of %u, gain %.0f dB where a port 'gain' exists\n",
           seconds, rate, block, gain);

    LilvWorld *w = lilv_world_new();
    lilv_world_load_all(w); /* LV2_PATH */
    const LilvPlugins *all = lilv_world_get_all_plugins(w);
    static const char *const ours[] = {GS_LV2_URI_MONO, GS_LV2_URI_STEREO};
    int n = first_uri < argc ? argc - first_uri : 2;
    int failed = 0;
    if (first_uri == argc) bench_library(rate, block, seconds, sig, gain);
    for (int i = 0; i < n; i++) {
        const char *u = first_uri < argc ? argv[first_uri + i] : ours[i];
        LilvNode *uri = lilv_new_uri(w, u);
        const LilvPlugin *p = lilv_plugins_get_by_uri(all, uri);
        if (!p) {
            printf("%-44s (not found in LV2_PATH)\n", u);
            failed = 1;
        } else if (bench_plugin(w, p, rate, block, seconds, sig, first_uri < argc ? -1 : gain)) {
            failed = 1;
        }
        lilv_node_free(uri);
    }
    lilv_world_free(w);
    free(sig);
    return failed;
}
