/* Plots for measurement reports (see plot.h). */
#include "plot.h"

#include "atomic.h"

#include <errno.h>
#include <unistd.h>

#include <cairo-svg.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 960.0
#define H 540.0
#define ML 78.0 /* margins: left (tick labels and y label), right (legend), top, bottom */
#define MR 250.0
#define MT 40.0
#define MB 58.0

static const double palette[][3] = {
    {0.00, 0.45, 0.70}, {0.84, 0.37, 0.00}, {0.00, 0.62, 0.45}, {0.80, 0.47, 0.65},
    {0.34, 0.71, 0.91}, {0.90, 0.62, 0.00}, {0.35, 0.35, 0.35}, {0.60, 0.20, 0.20},
};
#define NPAL ((int)(sizeof palette / sizeof palette[0]))

void gsm_plot_init(gsm_plot *p, const char *title, const char *xlabel, const char *ylabel,
                   int xlog) {
    memset(p, 0, sizeof *p);
    p->title = title;
    p->xlabel = xlabel;
    p->ylabel = ylabel;
    p->xlog = xlog;
    p->xmin = p->xmax = p->ymin = p->ymax = NAN;
}

void gsm_plot_add(gsm_plot *p, const char *label, const double *x, const double *y, int n,
                  int color, int dash) {
    if (p->ns >= GSM_PLOT_MAX_SERIES) return;
    p->s[p->ns++] = (gsm_series){label, x, y, n, color, dash};
}

/* A step of 1, 2 or 5 times a power of ten giving about `want` intervals over the range. */
static double nice_step(double range, double want) {
    double raw = range / want, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
}

static void fmt_num(char *buf, size_t n, double v, int si) {
    if (si && fabs(v) >= 1000.0)
        snprintf(buf, n, "%gk", v / 1000.0);
    else
        snprintf(buf, n, "%g", fabs(v) < 1e-12 ? 0.0 : v);
}

typedef struct frame {
    double x0, x1, y0, y1; /* data range */
    int xlog;
} frame;

static double px(const frame *f, double x) {
    double t = f->xlog ? (log10(x) - log10(f->x0)) / (log10(f->x1) - log10(f->x0))
                       : (x - f->x0) / (f->x1 - f->x0);
    return ML + t * (W - ML - MR);
}
static double py(const frame *f, double y) {
    return H - MB - (y - f->y0) / (f->y1 - f->y0) * (H - MT - MB);
}

static void text(cairo_t *cr, double x, double y, const char *s, double ax, double ay) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - ax * e.width - e.x_bearing, y - ay * e.height - e.y_bearing);
    cairo_show_text(cr, s);
}

static void set_dash(cairo_t *cr, int dash) {
    static const double d1[] = {8, 4}, d2[] = {2, 3}, d3[] = {8, 3, 2, 3};
    switch (dash & 3) {
    case 1: cairo_set_dash(cr, d1, 2, 0); break;
    case 2: cairo_set_dash(cr, d2, 2, 0); break;
    case 3: cairo_set_dash(cr, d3, 4, 0); break;
    default: cairo_set_dash(cr, NULL, 0, 0); break;
    }
}

/* The axes' ranges: as given, else from the data (y to whole steps, the bars one slot per
 * category). Returns the y grid step. */
static double frame_of(const gsm_plot *p, frame *fp) {
    frame f = {p->xmin, p->xmax, p->ymin, p->ymax, p->xlog};
    /* ranges from the data where not given */
    double dx0 = INFINITY, dx1 = -INFINITY, dy0 = INFINITY, dy1 = -INFINITY;
    for (int s = 0; s < p->ns; s++)
        for (int i = 0; i < p->s[s].n; i++) {
            double x = p->bars ? i : p->s[s].x[i], y = p->s[s].y[i];
            if (!isfinite(y) || !isfinite(x) || (p->xlog && x <= 0)) continue;
            dx0 = fmin(dx0, x);
            dx1 = fmax(dx1, x);
            dy0 = fmin(dy0, y);
            dy1 = fmax(dy1, y);
        }
    if (!isfinite(dx0)) dx0 = 0, dx1 = 1, dy0 = 0, dy1 = 1;
    if (dy1 - dy0 < 1e-9) dy0 -= 1.0, dy1 += 1.0;
    if (isnan(f.x0)) f.x0 = dx0;
    if (isnan(f.x1)) f.x1 = dx1;
    if (p->bars) f.x0 = -0.5, f.x1 = p->ncat - 0.5;
    if (f.x1 <= f.x0) f.x1 = f.x0 + 1.0;
    double ystep = nice_step((isnan(f.y1) ? dy1 : f.y1) - (isnan(f.y0) ? dy0 : f.y0), 6.0);
    if (isnan(f.y0)) f.y0 = fmax(floor(dy0 / ystep) * ystep, isnan(p->ymin) ? -1e300 : p->ymin);
    if (isnan(f.y1)) f.y1 = ceil(dy1 / ystep) * ystep;
    if (f.y1 <= f.y0) f.y1 = f.y0 + ystep;
    ystep = nice_step(f.y1 - f.y0, 6.0);
    *fp = f;
    return ystep;
}

/* The grid and the tick labels of both axes. */
static void draw_ticks(const gsm_plot *p, const frame *fp, double ystep, cairo_t *cr) {
    const frame f = *fp;
    char buf[64];
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    for (double y = ceil(f.y0 / ystep) * ystep; y <= f.y1 + 1e-9 * ystep; y += ystep) {
        cairo_move_to(cr, ML, py(&f, y));
        cairo_line_to(cr, W - MR, py(&f, y));
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (double y = ceil(f.y0 / ystep) * ystep; y <= f.y1 + 1e-9 * ystep; y += ystep) {
        fmt_num(buf, sizeof buf, y, 0);
        text(cr, ML - 6, py(&f, y), buf, 1.0, 0.5);
    }
    if (p->bars) {
        for (int c = 0; c < p->ncat; c++) text(cr, px(&f, c), H - MB + 8, p->cats[c], 0.5, 0.0);
    } else if (f.xlog) {
        for (double dec = pow(10.0, floor(log10(f.x0))); dec <= f.x1; dec *= 10.0)
            for (int m = 1; m <= 9; m++) {
                double x = dec * m;
                if (x < f.x0 * 0.999 || x > f.x1 * 1.001) continue;
                cairo_set_source_rgb(cr, m == 1 ? 0.8 : 0.92, m == 1 ? 0.8 : 0.92,
                                     m == 1 ? 0.8 : 0.92);
                cairo_move_to(cr, px(&f, x), MT);
                cairo_line_to(cr, px(&f, x), H - MB);
                cairo_stroke(cr);
                if (m == 1 || m == 2 || m == 5) {
                    cairo_set_source_rgb(cr, 0, 0, 0);
                    fmt_num(buf, sizeof buf, x, 1);
                    text(cr, px(&f, x), H - MB + 8, buf, 0.5, 0.0);
                }
            }
    } else {
        double xs = nice_step(f.x1 - f.x0, 8.0);
        for (double x = ceil(f.x0 / xs) * xs; x <= f.x1 + 1e-9 * xs; x += xs) {
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, px(&f, x), MT);
            cairo_line_to(cr, px(&f, x), H - MB);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            fmt_num(buf, sizeof buf, x, f.x1 - f.x0 >= 5000.0);
            text(cr, px(&f, x), H - MB + 8, buf, 0.5, 0.0);
        }
    }
}

/* The frame, the title and the axis labels. */
static void draw_labels(const gsm_plot *p, cairo_t *cr) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
    cairo_stroke(cr);
    /* labels */
    cairo_set_font_size(cr, 15);
    text(cr, ML + (W - ML - MR) / 2, MT / 2, p->title, 0.5, 0.5);
    cairo_set_font_size(cr, 13);
    text(cr, ML + (W - ML - MR) / 2, H - 18, p->xlabel, 0.5, 0.5);
    cairo_save(cr);
    cairo_translate(cr, 18, MT + (H - MT - MB) / 2);
    cairo_rotate(cr, -M_PI / 2);
    text(cr, 0, 0, p->ylabel, 0.5, 0.5);
    cairo_restore(cr);
}

/* The series, clipped to the frame: lines (a non-finite point lifts the pen) or grouped bars. */
static void draw_series(const gsm_plot *p, const frame *fp, cairo_t *cr) {
    const frame f = *fp;
    cairo_save(cr);
    cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
    cairo_clip(cr);
    cairo_set_line_width(cr, 1.6);
    for (int s = 0; s < p->ns; s++) {
        const gsm_series *se = &p->s[s];
        const double *c = palette[se->color % NPAL];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        if (p->bars) {
            double gw = 0.8 / p->ns;
            for (int i = 0; i < se->n && i < p->ncat; i++) {
                if (!isfinite(se->y[i])) continue;
                double x0 = px(&f, i - 0.4 + gw * s), x1 = px(&f, i - 0.4 + gw * (s + 1));
                double y0 = py(&f, fmax(f.y0, fmin(f.y1, se->y[i]))), yb = py(&f, f.y0);
                cairo_rectangle(cr, x0, y0, x1 - x0 - 1, yb - y0);
                cairo_fill(cr);
            }
            continue;
        }
        set_dash(cr, se->dash);
        int pen = 0;
        for (int i = 0; i < se->n; i++) {
            double x = se->x[i], y = se->y[i];
            if (!isfinite(x) || !isfinite(y) || (f.xlog && x <= 0)) {
                pen = 0;
                continue;
            }
            /* keep far-off values finite for cairo; the clip hides them */
            y = fmax(f.y0 - (f.y1 - f.y0), fmin(f.y1 + (f.y1 - f.y0), y));
            if (pen)
                cairo_line_to(cr, px(&f, x), py(&f, y));
            else
                cairo_move_to(cr, px(&f, x), py(&f, y));
            pen = 1;
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

static void draw_legend(const gsm_plot *p, cairo_t *cr) {
    cairo_set_font_size(cr, 11);
    for (int s = 0; s < p->ns; s++) {
        double y = MT + 8 + 17.0 * s;
        const double *c = palette[p->s[s].color % NPAL];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        if (p->bars) {
            cairo_rectangle(cr, W - MR + 12, y - 5, 22, 10);
            cairo_fill(cr);
        } else {
            set_dash(cr, p->s[s].dash);
            cairo_set_line_width(cr, 1.6);
            cairo_move_to(cr, W - MR + 12, y);
            cairo_line_to(cr, W - MR + 34, y);
            cairo_stroke(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        char lab[44];
        snprintf(lab, sizeof lab, "%s", p->s[s].label ? p->s[s].label : "");
        text(cr, W - MR + 40, y, lab, 0.0, 0.5);
    }
}

static void draw(const gsm_plot *p, cairo_t *cr) {
    frame f;
    double ystep = frame_of(p, &f);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1.0);
    draw_ticks(p, &f, ystep, cr);
    draw_labels(p, cr);
    draw_series(p, &f, cr);
    draw_legend(p, cr);
}

/* cairo's stream writer into the temporary file of an atomic write. */
static cairo_status_t to_fd(void *closure, const unsigned char *data, unsigned int length) {
    const gsc_atomic *a = closure;
    for (unsigned int done = 0; done < length;) {
        ssize_t w = write(a->fd, data + done, length - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return CAIRO_STATUS_WRITE_ERROR;
        done += (unsigned int)w;
    }
    return CAIRO_STATUS_SUCCESS;
}

/* Both files are written like every file a user keeps (common/atomic.h): a report folder never
 * holds half a plot. */
int gsm_plot_save(const gsm_plot *p, const char *dir, const char *base) {
    char path[4096];
    gsc_atomic a;
    snprintf(path, sizeof path, "%s/%s.png", dir, base);
    if (gsc_atomic_begin(&a, path) != 0) return -1;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)W, (int)H);
    cairo_t *cr = cairo_create(img);
    draw(p, cr);
    cairo_destroy(cr);
    int rc = cairo_surface_write_to_png_stream(img, to_fd, &a) == CAIRO_STATUS_SUCCESS ? 0 : -1;
    cairo_surface_destroy(img);
    if (rc == 0 ? gsc_atomic_commit(&a) != 0 : (gsc_atomic_abort(&a), 1)) return -1;
    snprintf(path, sizeof path, "%s/%s.svg", dir, base);
    if (gsc_atomic_begin(&a, path) != 0) return -1;
    cairo_surface_t *svg = cairo_svg_surface_create_for_stream(to_fd, &a, W, H);
    cr = cairo_create(svg);
    draw(p, cr);
    cairo_destroy(cr);
    cairo_surface_finish(svg);
    if (cairo_surface_status(svg) != CAIRO_STATUS_SUCCESS) rc = -1;
    cairo_surface_destroy(svg);
    if (rc == 0 ? gsc_atomic_commit(&a) != 0 : (gsc_atomic_abort(&a), 1)) return -1;
    return 0;
}

void gsm_plot_shutdown(void) {
    cairo_debug_reset_static_data();
    FcFini();
}
