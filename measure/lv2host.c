/* Offline LV2 host for measurements and benchmarks (see lv2host.h). */
#include "lv2host.h"

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_URIDS 1024
#define ATOM_CAP 8192
#define WORK_CAP 65536

typedef enum { P_AUDIO_IN, P_AUDIO_OUT, P_CTL_IN, P_CTL_OUT, P_ATOM_IN, P_ATOM_OUT, P_NONE } pkind;

struct gsm_lv2host {
    LilvWorld *world;
    LilvInstance *inst;
    const LilvPlugin *plugin;
    uint32_t block, nports;
    pkind *kind;
    float *ctl;    /* one value per port (control ports) */
    float **audio; /* one buffer per audio port */
    void **atom;   /* one buffer per atom port */
    int first_out, latency_port;
    char *uris[MAX_URIDS];
    uint32_t n_uris;
    int32_t min_block, max_block, nominal_block;
    float rate_f;
    LV2_Options_Option options[5];
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    LV2_Worker_Schedule sched;
    LV2_Log_Log log;
    LV2_Feature f_map, f_unmap, f_opts, f_bounded, f_sched, f_log;
    const LV2_Feature *features[7];
    const LV2_Worker_Interface *worker;
    unsigned char resp[WORK_CAP]; /* queued worker responses: (uint32 size, data) ... */
    size_t resp_len;
    char name[256];
    char settings[2048];
};

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri) {
    gsm_lv2host *h = handle;
    for (uint32_t i = 0; i < h->n_uris; i++)
        if (!strcmp(h->uris[i], uri)) return i + 1;
    if (h->n_uris == MAX_URIDS) return 0;
    h->uris[h->n_uris] = strdup(uri);
    return ++h->n_uris;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID urid) {
    gsm_lv2host *h = handle;
    return urid >= 1 && urid <= h->n_uris ? h->uris[urid - 1] : NULL;
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap) {
    (void)handle;
    (void)type;
    return vfprintf(stderr, fmt, ap);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = log_vprintf(handle, type, fmt, ap);
    va_end(ap);
    return r;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size,
                                 const void *data) {
    gsm_lv2host *h = handle;
    if (h->resp_len + sizeof size + size > WORK_CAP) return LV2_WORKER_ERR_NO_SPACE;
    memcpy(h->resp + h->resp_len, &size, sizeof size);
    memcpy(h->resp + h->resp_len + sizeof size, data, size);
    h->resp_len += sizeof size + size;
    return LV2_WORKER_SUCCESS;
}

/* Offline: the work runs at once in this thread; its responses wait until run() returns. */
static LV2_Worker_Status schedule(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                  const void *data) {
    gsm_lv2host *h = handle;
    if (!h->worker || !h->worker->work) return LV2_WORKER_ERR_UNKNOWN;
    return h->worker->work(lilv_instance_get_handle(h->inst), respond, h, size, data);
}

static void set_err(char *err, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && size) vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

static const char *supported[] = {
    LV2_URID__map,
    LV2_URID__unmap,
    LV2_OPTIONS__options,
    LV2_BUF_SIZE__boundedBlockLength,
    LV2_WORKER__schedule,
    LV2_LOG__log,
    NULL,
};

static int is_supported(const char *uri) {
    for (int i = 0; supported[i]; i++)
        if (!strcmp(uri, supported[i])) return 1;
    /* no-op "features" some plugins list as required */
    return !strcmp(uri, LV2_CORE__isLive) || !strcmp(uri, LV2_CORE__inPlaceBroken) ||
           !strcmp(uri, LV2_CORE__hardRTCapable);
}

static void reset_atoms(gsm_lv2host *h) {
    uint32_t seq = map_uri(h, LV2_ATOM__Sequence), chunk = map_uri(h, LV2_ATOM__Chunk);
    for (uint32_t p = 0; p < h->nports; p++) {
        if (h->kind[p] == P_ATOM_IN) {
            LV2_Atom_Sequence *s = h->atom[p];
            s->atom.size = sizeof(LV2_Atom_Sequence_Body);
            s->atom.type = seq;
            s->body.unit = 0;
            s->body.pad = 0;
        } else if (h->kind[p] == P_ATOM_OUT) {
            LV2_Atom *a = h->atom[p];
            a->size = ATOM_CAP - sizeof(LV2_Atom);
            a->type = chunk;
        }
    }
}

/* Find the plugin and refuse it if it requires a feature this host does not give. */
static int load_plugin(gsm_lv2host *h, const char *uri, char *err, size_t err_size) {
    h->world = lilv_world_new();
    lilv_world_load_all(h->world);
    LilvNode *u = lilv_new_uri(h->world, uri);
    h->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(h->world), u);
    lilv_node_free(u);
    if (!h->plugin) {
        set_err(err, err_size, "no installed LV2 plugin has the URI '%s' (see lv2ls)", uri);
        return -1;
    }
    LilvNode *nm = lilv_plugin_get_name(h->plugin);
    snprintf(h->name, sizeof h->name, "%s", nm ? lilv_node_as_string(nm) : uri);
    lilv_node_free(nm);
    LilvNodes *req = lilv_plugin_get_required_features(h->plugin);
    int rc = 0;
    LILV_FOREACH(nodes, i, req) {
        const char *f = lilv_node_as_uri(lilv_nodes_get(req, i));
        if (!is_supported(f)) {
            set_err(err, err_size,
                    "plugin '%s' requires the LV2 feature <%s>, which gainstage "
                    "measure does not provide",
                    uri, f);
            rc = -1;
            break;
        }
    }
    lilv_nodes_free(req);
    return rc;
}

/* The features and options given at instantiation (they point into h, which outlives them). */
static void init_features(gsm_lv2host *h, double rate, uint32_t block) {
    h->map = (LV2_URID_Map){h, map_uri};
    h->unmap = (LV2_URID_Unmap){h, unmap_uri};
    h->sched = (LV2_Worker_Schedule){h, schedule};
    h->log = (LV2_Log_Log){h, log_printf, log_vprintf};
    h->min_block = 1;
    h->max_block = (int32_t)block;
    h->nominal_block = (int32_t)block;
    h->rate_f = (float)rate;
    uint32_t t_int = map_uri(h, LV2_ATOM__Int), t_float = map_uri(h, LV2_ATOM__Float);
    h->options[0] =
        (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,     map_uri(h, LV2_BUF_SIZE__minBlockLength),
                             sizeof(int32_t),      t_int, &h->min_block};
    h->options[1] =
        (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,     map_uri(h, LV2_BUF_SIZE__maxBlockLength),
                             sizeof(int32_t),      t_int, &h->max_block};
    h->options[2] = (LV2_Options_Option){
        LV2_OPTIONS_INSTANCE, 0,     map_uri(h, LV2_BUF_SIZE__nominalBlockLength),
        sizeof(int32_t),      t_int, &h->nominal_block};
    h->options[3] =
        (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,       map_uri(h, LV2_PARAMETERS__sampleRate),
                             sizeof(float),        t_float, &h->rate_f};
    h->options[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    h->f_map = (LV2_Feature){LV2_URID__map, &h->map};
    h->f_unmap = (LV2_Feature){LV2_URID__unmap, &h->unmap};
    h->f_opts = (LV2_Feature){LV2_OPTIONS__options, h->options};
    h->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    h->f_sched = (LV2_Feature){LV2_WORKER__schedule, &h->sched};
    h->f_log = (LV2_Feature){LV2_LOG__log, &h->log};
    h->features[0] = &h->f_map;
    h->features[1] = &h->f_unmap;
    h->features[2] = &h->f_opts;
    h->features[3] = &h->f_bounded;
    h->features[4] = &h->f_sched;
    h->features[5] = &h->f_log;
    h->features[6] = NULL;
}

/* The ports' ranges from the plugin's data (NaN where it states none). */
typedef struct ranges {
    float *min, *max, *def;
} ranges;

/* The classes of port this host tells apart. */
typedef struct port_classes {
    LilvNode *audio, *ctl, *atom, *in, *opt, *lat, *latd;
} port_classes;

/* Classify port p and give it its buffer (controls start at their default). Returns 0, or -1
 * with err set for a port this host cannot connect. */
static int classify_port(gsm_lv2host *h, uint32_t p, const port_classes *c, const ranges *rg,
                         const char *uri, char *err, size_t err_size) {
    const LilvPort *port = lilv_plugin_get_port_by_index(h->plugin, p);
    int in = lilv_port_is_a(h->plugin, port, c->in);
    if (lilv_port_is_a(h->plugin, port, c->audio)) {
        h->kind[p] = in ? P_AUDIO_IN : P_AUDIO_OUT;
        h->audio[p] = calloc(h->block, sizeof(float));
        if (!in && h->first_out < 0) h->first_out = (int)p;
    } else if (lilv_port_is_a(h->plugin, port, c->ctl)) {
        h->kind[p] = in ? P_CTL_IN : P_CTL_OUT;
        h->ctl[p] = isnan(rg->def[p]) ? (isnan(rg->min[p]) ? 0.0f : rg->min[p]) : rg->def[p];
        /* the latency output: lv2:reportsLatency, or the older lv2:latency designation */
        if (!in && (lilv_port_has_property(h->plugin, port, c->lat) ||
                    lilv_port_has_property(h->plugin, port, c->latd)))
            h->latency_port = (int)p;
    } else if (lilv_port_is_a(h->plugin, port, c->atom)) {
        h->kind[p] = in ? P_ATOM_IN : P_ATOM_OUT;
        h->atom[p] = calloc(1, ATOM_CAP);
    } else if (lilv_port_has_property(h->plugin, port, c->opt)) {
        h->kind[p] = P_NONE;
    } else {
        set_err(err, err_size,
                "plugin '%s' has port '%s' of a type gainstage measure cannot "
                "connect (only audio, control and atom ports)",
                uri, lilv_node_as_string(lilv_port_get_symbol(h->plugin, port)));
        return -1;
    }
    return 0;
}

/* Every port: its kind and buffer; at least one audio input and one audio output. */
static int scan_ports(gsm_lv2host *h, const ranges *rg, const char *uri, char *err,
                      size_t err_size) {
    port_classes c = {
        lilv_new_uri(h->world, LV2_CORE__AudioPort),
        lilv_new_uri(h->world, LV2_CORE__ControlPort),
        lilv_new_uri(h->world, LV2_ATOM__AtomPort),
        lilv_new_uri(h->world, LV2_CORE__InputPort),
        lilv_new_uri(h->world, LV2_CORE__connectionOptional),
        lilv_new_uri(h->world, LV2_CORE__reportsLatency),
        lilv_new_uri(h->world, LV2_CORE__latency),
    };
    int bad = 0, n_in = 0;
    for (uint32_t p = 0; p < h->nports && !bad; p++) {
        bad = classify_port(h, p, &c, rg, uri, err, err_size) != 0;
        n_in += h->kind[p] == P_AUDIO_IN;
    }
    if (!bad && (n_in == 0 || h->first_out < 0)) {
        set_err(err, err_size, "plugin '%s' has no audio %s", uri, n_in ? "output" : "input");
        bad = 1;
    }
    LilvNode *all[] = {c.audio, c.ctl, c.atom, c.in, c.opt, c.lat, c.latd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) lilv_node_free(all[i]);
    return bad ? -1 : 0;
}

/* One SYMBOL=VALUE on a control input, within the port's range. */
static int apply_set(gsm_lv2host *h, const char *set, const ranges *rg, const char *uri, char *err,
                     size_t err_size) {
    const char *eq = strchr(set, '=');
    char sym[128];
    if (!eq || eq == set || (size_t)(eq - set) >= sizeof sym) {
        set_err(err, err_size, "--lv2-set needs SYMBOL=VALUE, got '%s'", set);
        return -1;
    }
    memcpy(sym, set, (size_t)(eq - set));
    sym[eq - set] = '\0';
    LilvNode *sn = lilv_new_string(h->world, sym);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(h->plugin, sn);
    lilv_node_free(sn);
    uint32_t p = port ? lilv_port_get_index(h->plugin, port) : 0;
    char *end;
    double v = strtod(eq + 1, &end);
    if (!port || h->kind[p] != P_CTL_IN) {
        set_err(err, err_size, "plugin '%s' has no control input '%s'", uri, sym);
        return -1;
    }
    if (end == eq + 1 || *end || !isfinite(v)) {
        set_err(err, err_size, "--lv2-set %s: '%s' is not a number", sym, eq + 1);
        return -1;
    }
    if ((!isnan(rg->min[p]) && v < rg->min[p]) || (!isnan(rg->max[p]) && v > rg->max[p])) {
        set_err(err, err_size, "--lv2-set %s=%g is outside the port's range %g..%g", sym, v,
                (double)rg->min[p], (double)rg->max[p]);
        return -1;
    }
    h->ctl[p] = (float)v;
    return 0;
}

/* The ports, their defaults and then the settings; the ranges are needed only here. */
static int setup_ports(gsm_lv2host *h, const char *const *sets, int nsets, const char *uri,
                       char *err, size_t err_size) {
    h->nports = lilv_plugin_get_num_ports(h->plugin);
    h->kind = calloc(h->nports, sizeof *h->kind);
    h->ctl = calloc(h->nports, sizeof *h->ctl);
    h->audio = calloc(h->nports, sizeof *h->audio);
    h->atom = calloc(h->nports, sizeof *h->atom);
    ranges rg = {calloc(h->nports, sizeof(float)), calloc(h->nports, sizeof(float)),
                 calloc(h->nports, sizeof(float))};
    lilv_plugin_get_port_ranges_float(h->plugin, rg.min, rg.max, rg.def);
    int rc = scan_ports(h, &rg, uri, err, err_size);
    for (int i = 0; i < nsets && !rc; i++) rc = apply_set(h, sets[i], &rg, uri, err, err_size);
    free(rg.min);
    free(rg.max);
    free(rg.def);
    return rc;
}

/* Connect every port to its buffer, and write the "sym=value, ..." text of the control inputs. */
static void connect_ports(gsm_lv2host *h) {
    size_t len = 0;
    for (uint32_t p = 0; p < h->nports; p++) {
        void *buf = NULL;
        switch (h->kind[p]) {
        case P_AUDIO_IN:
        case P_AUDIO_OUT: buf = h->audio[p]; break;
        case P_CTL_IN:
        case P_CTL_OUT: buf = &h->ctl[p]; break;
        case P_ATOM_IN:
        case P_ATOM_OUT: buf = h->atom[p]; break;
        default: break;
        }
        lilv_instance_connect_port(h->inst, p, buf);
        if (h->kind[p] == P_CTL_IN && len + 64 < sizeof h->settings) {
            const LilvPort *port = lilv_plugin_get_port_by_index(h->plugin, p);
            len += (size_t)snprintf(
                h->settings + len, sizeof h->settings - len, "%s%s=%g", len ? ", " : "",
                lilv_node_as_string(lilv_port_get_symbol(h->plugin, port)), (double)h->ctl[p]);
        }
    }
}

int gsm_lv2host_new(const char *uri, double rate, uint32_t block, const char *const *sets,
                    int nsets, gsm_lv2host **out, char *err, size_t err_size) {
    *out = NULL;
    gsm_lv2host *h = calloc(1, sizeof *h);
    if (!h) return -1;
    h->block = block;
    h->first_out = -1;
    h->latency_port = -1;
    if (load_plugin(h, uri, err, err_size)) goto fail;
    init_features(h, rate, block);
    if (setup_ports(h, sets, nsets, uri, err, err_size)) goto fail;
    h->inst = lilv_plugin_instantiate(h->plugin, rate, h->features);
    if (!h->inst) {
        set_err(err, err_size, "plugin '%s' failed to instantiate at %g Hz", uri, rate);
        goto fail;
    }
    LilvNode *wi = lilv_new_uri(h->world, LV2_WORKER__interface);
    if (lilv_plugin_has_extension_data(h->plugin, wi))
        h->worker = lilv_instance_get_extension_data(h->inst, LV2_WORKER__interface);
    lilv_node_free(wi);
    connect_ports(h);
    reset_atoms(h);
    lilv_instance_activate(h->inst);
    /* One silent block so the latency port holds its value. */
    float *z = calloc(block, sizeof(float)), *o = calloc(block, sizeof(float));
    gsm_lv2host_process(h, z, o, block);
    free(z);
    free(o);
    *out = h;
    return 0;
fail:
    gsm_lv2host_free(h);
    return -1;
}

int gsm_lv2host_process(void *ctx, const float *in, float *out, uint32_t n) {
    gsm_lv2host *h = ctx;
    for (uint32_t p = 0; p < h->nports; p++)
        if (h->kind[p] == P_AUDIO_IN) memcpy(h->audio[p], in, n * sizeof(float));
    reset_atoms(h);
    lilv_instance_run(h->inst, n);
    if (h->worker && h->resp_len) {
        size_t off = 0;
        while (off < h->resp_len) {
            uint32_t size;
            memcpy(&size, h->resp + off, sizeof size);
            if (h->worker->work_response)
                h->worker->work_response(lilv_instance_get_handle(h->inst), size,
                                         h->resp + off + sizeof size);
            off += sizeof size + size;
        }
        h->resp_len = 0;
    }
    if (h->worker && h->worker->end_run) h->worker->end_run(lilv_instance_get_handle(h->inst));
    memcpy(out, h->audio[h->first_out], n * sizeof(float));
    return 0;
}

uint32_t gsm_lv2host_latency(const gsm_lv2host *h) {
    if (h->latency_port < 0) return 0;
    float v = h->ctl[h->latency_port];
    return isfinite(v) && v > 0 ? (uint32_t)lrintf(v) : 0;
}

const char *gsm_lv2host_name(const gsm_lv2host *h) { return h->name; }
const char *gsm_lv2host_settings(const gsm_lv2host *h) { return h->settings; }

void gsm_lv2host_free(gsm_lv2host *h) {
    if (!h) return;
    if (h->inst) {
        lilv_instance_deactivate(h->inst);
        lilv_instance_free(h->inst);
    }
    for (uint32_t p = 0; p < h->nports; p++) {
        free(h->audio ? h->audio[p] : NULL);
        free(h->atom ? h->atom[p] : NULL);
    }
    free(h->audio);
    free(h->atom);
    free(h->kind);
    free(h->ctl);
    for (uint32_t i = 0; i < h->n_uris; i++) free(h->uris[i]);
    lilv_world_free(h->world);
    free(h);
}
