/* gainstage live: the terminal view. Meters with peak hold and clip markers, gain, preset, mute,
 * solo, xruns, the monitor mix with its master level; keys change the selected channel and the
 * master. ANSI escapes only (any VT100-like terminal).
 * The terminal is put in non-canonical mode without echo and restored on every exit path that
 * runs code (a normal stop, Ctrl-C, SIGTERM, the server going away); only kill -9 cannot.
 */
#include "frontend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define METER_W 40
#define METER_FLOOR -60.0 /* dBFS at the left end */
#define HOLD_S 2.0
#define CLIP_S 3.0

typedef struct live_ui {
    live_frontend base;
    live_engine *e;
    live_app *app;
    struct termios saved;
    int sel;
    double hold[LIVE_MAX_CH], hold_t[LIVE_MAX_CH], clip_t[LIVE_MAX_CH];
    uint32_t clips_seen[LIVE_MAX_CH];
    double last_draw;
    char msg[256];
} live_ui;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double dbfs(float x) { return x > 1e-9f ? 20.0 * log10((double)x) : -180.0; }

/* Raw mode on a terminal; NULL (err empty) if stdin or stdout is not one. */
static live_frontend *ui_open(live_app *app, const live_frontend_opts *o, char *err, size_t esz) {
    (void)o;
    if (err && esz) err[0] = '\0';
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) return NULL;
    live_ui *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->base.iface = &live_ui_frontend;
    u->e = live_app_engine(app);
    u->app = app;
    if (tcgetattr(STDIN_FILENO, &u->saved) != 0) {
        free(u);
        return NULL;
    }
    struct termios raw = u->saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    fputs("\033[?25l\033[2J", stdout); /* hide the cursor, clear */
    return &u->base;
}

/* Restores the terminal. */
static void ui_close(live_frontend *f) {
    live_ui *u = (live_ui *)f;
    if (!u) return;
    tcsetattr(STDIN_FILENO, TCSANOW, &u->saved);
    fputs("\033[?25h\n", stdout);
    fflush(stdout);
    free(u);
}

static void change_gain(live_ui *u, double step) {
    live_strip_ctl c;
    live_ctl_get(u->e, u->sel, &c);
    for (size_t i = 0; i < c.model->n_params; i++) {
        if (strcmp(c.model->params[i].symbol, "gain")) continue;
        double v = c.param[i] + step;
        const gs_param_info *p = &c.model->params[i];
        v = v < p->min ? p->min : (v > p->max ? p->max : v);
        live_ctl_param_value(u->e, u->sel, "gain", v, u->msg, sizeof u->msg);
        return;
    }
    snprintf(u->msg, sizeof u->msg, "model %s has no gain parameter", c.model->name);
}

/* The monitor master one step up or down, kept in its range (the floor is off). */
static void change_master(live_ui *u, double step) {
    double v = live_ctl_master_get(u->e) + step;
    v = v > LIVE_MASTER_MAX ? LIVE_MASTER_MAX : v;
    live_ctl_master(u->e, v, u->msg, sizeof u->msg);
}

static int keys(live_ui *u) {
    char buf[16];
    ssize_t n;
    int n_ch = live_engine_channels(u->e);
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            live_strip_ctl s;
            if (c == '\033' && i + 2 < n && buf[i + 1] == '[') { /* arrow keys */
                if (buf[i + 2] == 'A' && u->sel > 0) u->sel--;
                if (buf[i + 2] == 'B' && u->sel < n_ch - 1) u->sel++;
                if (buf[i + 2] == 'C') change_gain(u, 1.0);
                if (buf[i + 2] == 'D') change_gain(u, -1.0);
                i += 2;
                continue;
            }
            u->msg[0] = '\0';
            if (c >= '1' && c <= '9' && c - '1' < n_ch)
                u->sel = c - '1';
            else if (c == '+' || c == '=')
                change_gain(u, 1.0);
            else if (c == '-' || c == '_')
                change_gain(u, -1.0);
            else if (c == '>' || c == '<') /* not '[': an arrow key's escape has one */
                change_master(u, c == '>' ? 1.0 : -1.0);
            else if (c == 'm') {
                live_ctl_get(u->e, u->sel, &s);
                live_ctl_mute(u->e, u->sel, !s.mute);
            } else if (c == 's') {
                live_ctl_get(u->e, u->sel, &s);
                live_ctl_solo(u->e, u->sel, !s.solo);
            } else if (c == 'r') {
                char st[4096];
                live_app_status(u->app, st, sizeof st);
                live_app_record(u->app, strstr(st, ", rec ") == NULL, u->msg, sizeof u->msg);
            } else if (c == 'w') {
                if (!live_app_save_session(u->app, u->msg, sizeof u->msg))
                    snprintf(u->msg, sizeof u->msg, "session saved");
            } else if (c == 'q' || c == 'Q')
                return 1;
        }
    }
    return 0;
}

static void bar(char *out, double db, double hold_db, int clip) {
    int fill = (int)((db - METER_FLOOR) / -METER_FLOOR * METER_W);
    int hold = (int)((hold_db - METER_FLOOR) / -METER_FLOOR * METER_W);
    fill = fill < 0 ? 0 : (fill > METER_W ? METER_W : fill);
    hold = hold < 0 ? -1 : (hold >= METER_W ? METER_W - 1 : hold);
    for (int i = 0; i < METER_W; i++) out[i] = i < fill ? '#' : '.';
    if (hold >= 0) out[hold] = '|';
    snprintf(out + METER_W, 8, "%s", clip ? " CLIP" : "     ");
}

/* Redraw and handle pending keys; 1 if the user asked to quit. */
static int ui_tick(live_frontend *f) {
    live_ui *u = (live_ui *)f;
    if (keys(u)) return 1;
    double t = now_s();
    if (t - u->last_draw < 0.1) return 0; /* ten frames a second */
    u->last_draw = t;
    char status[4096];
    live_app_status(u->app, status, sizeof status);
    char *bar_end = strstr(status, " | ");
    if (bar_end) *bar_end = '\0';
    printf("\033[H gainstage live   %s\033[K\n\033[K\n", status);
    int n = live_engine_channels(u->e);
    for (int k = 0; k < n; k++) {
        const live_meter *m = live_engine_meter(u->e, k);
        double db = dbfs(atomic_load(&m->out_peak));
        if (db >= u->hold[k] || t - u->hold_t[k] > HOLD_S) {
            u->hold[k] = db;
            u->hold_t[k] = t;
        }
        uint32_t clips = atomic_load(&m->out_clips) + atomic_load(&m->in_clips);
        if (clips != u->clips_seen[k]) {
            u->clips_seen[k] = clips;
            u->clip_t[k] = t;
        }
        live_strip_ctl c;
        live_ctl_get(u->e, k, &c);
        double gain = NAN;
        for (size_t i = 0; i < c.model->n_params; i++)
            if (!strcmp(c.model->params[i].symbol, "gain")) gain = c.param[i];
        char b[METER_W + 8];
        bar(b, db, u->hold[k], u->clip_t[k] > 0 && t - u->clip_t[k] < CLIP_S);
        /* The bar is after the preamp (what goes to the DAW); the number before it is the
         * converter input, so a hot source is told from a hot gain. Silence reads -inf. */
        float pre = atomic_load(&m->in_peak), post = atomic_load(&m->out_peak);
        printf("%c%2d %-10.10s gain %5.1f dB post [%s] %6.1f pre %6.1f dBFS %s%s\033[K\n",
               k == u->sel ? '>' : ' ', k + 1, c.preset, gain, b,
               post > 0.0f ? 20.0 * log10((double)post) : -INFINITY,
               pre > 0.0f ? 20.0 * log10((double)pre) : -INFINITY, c.mute ? "M" : " ",
               c.solo ? "S" : " ");
    }
    /* The monitor bus after its master (what the headphones get). */
    float ml, mr;
    live_engine_monitor_peak(u->e, &ml, &mr);
    double master = live_ctl_master_get(u->e);
    char mdb[16];
    if (master <= LIVE_MASTER_OFF)
        snprintf(mdb, sizeof mdb, "  off");
    else
        snprintf(mdb, sizeof mdb, "%5.1f", master);
    printf("\033[K\n monitor    master %s dB  L %6.1f R %6.1f dBFS\033[K\n", mdb,
           ml > 0.0f ? 20.0 * log10((double)ml) : -INFINITY,
           mr > 0.0f ? 20.0 * log10((double)mr) : -INFINITY);
    printf("\033[K\n keys: 1-9/up/down select, +/-/left/right gain, m mute, s solo, </> monitor "
           "master, r record, w save session, q quit\033[K\n %s\033[K\n\033[J",
           u->msg);
    fflush(stdout);
    return 0;
}

const live_frontend_iface live_ui_frontend = {
    .name = "terminal",
    .open = ui_open,
    .tick = ui_tick,
    .close = ui_close,
};
