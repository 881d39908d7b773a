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

/* Okabe and Ito's colour-blind-safe set (blue, vermillion, bluish green, reddish purple, orange,
 * sky blue, black); their yellow is left out, too pale on white. */
static const double palette[GSM_PLOT_NCOLORS][3] = {
    {0.00, 0.45, 0.70}, {0.84, 0.37, 0.00}, {0.00, 0.62, 0.45}, {0.80, 0.47, 0.65},
    {0.90, 0.62, 0.00}, {0.34, 0.71, 0.91}, {0.00, 0.00, 0.00},
};

/* Markers are drawn every few points: a dense curve would be a smear of them. */
#define MARK_EVERY_MAX 10
#define MARK_R 3.6

void gsm_plot_init(gsm_plot *p, const char *title, const char *xlabel, const char *ylabel,
                   int xlog) {
    memset(p, 0, sizeof *p);
    p->title = title;
    p->xlabel = xlabel;
    p->ylabel = ylabel;
    p->xlog = xlog;
    p->xmin = p->xmax = p->ymin = p->ymax = p->yfloor = NAN;
}

gsm_series *gsm_plot_add(gsm_plot *p, const char *label, const double *x, const double *y, int n,
                         int color, int dash) {
    if (p->ns >= GSM_PLOT_MAX_SERIES) return NULL;
    p->s[p->ns] = (gsm_series){label, x, y, n, color, dash, 0, 0};
    return &p->s[p->ns++];
}

/* A series' colour, lightened towards white by its tint. */
static void set_color(cairo_t *cr, const gsm_series *se) {
    const double *c =
        palette[((se->color % GSM_PLOT_NCOLORS) + GSM_PLOT_NCOLORS) % GSM_PLOT_NCOLORS];
    double t = 0.3 * (se->tint > 2 ? 2 : se->tint < 0 ? 0 : se->tint);
    cairo_set_source_rgb(cr, c[0] + (1 - c[0]) * t, c[1] + (1 - c[1]) * t, c[2] + (1 - c[2]) * t);
}

/* The path of marker m (1..GSM_PLOT_NMARKERS) of radius r at (x, y); m < 0: the open downward
 * triangle that marks a value below the axis. Returns whether the shape is stroked (open). */
static int marker_path(cairo_t *cr, int m, double x, double y, double r) {
    cairo_new_sub_path(cr);
    if (m < 0) {
        cairo_move_to(cr, x - r, y - 1.6 * r);
        cairo_line_to(cr, x + r, y - 1.6 * r);
        cairo_line_to(cr, x, y);
        cairo_close_path(cr);
        return 1;
    }
    switch ((m - 1) % GSM_PLOT_NMARKERS) {
    case 0: cairo_arc(cr, x, y, r, 0, 2 * M_PI); return 0;
    case 1: cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r); return 0;
    case 2:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.1 * r, y + 0.8 * r);
        cairo_line_to(cr, x - 1.1 * r, y + 0.8 * r);
        cairo_close_path(cr);
        return 0;
    case 3:
        cairo_move_to(cr, x, y - 1.3 * r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + 1.3 * r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        return 0;
    case 4: /* plus and cross are lines: stroked */
        cairo_move_to(cr, x - 1.2 * r, y);
        cairo_line_to(cr, x + 1.2 * r, y);
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x, y + 1.2 * r);
        return 1;
    default:
        cairo_move_to(cr, x - r, y - r);
        cairo_line_to(cr, x + r, y + r);
        cairo_move_to(cr, x - r, y + r);
        cairo_line_to(cr, x + r, y - r);
        return 1;
    }
}

static void draw_marker(cairo_t *cr, int m, double x, double y, double r) {
    if (m == 0) return;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 1.5);
    cairo_new_path(cr);
    if (marker_path(cr, m, x, y, r))
        cairo_stroke(cr);
    else
        cairo_fill(cr);
    cairo_restore(cr);
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

/* The data's range (y only from values at or above the floor). Returns 0 if there is no data. */
static int data_range(const gsm_plot *p, double *x0, double *x1, double *y0, double *y1) {
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int s = 0; s < p->ns; s++)
        for (int i = 0; i < p->s[s].n; i++) {
            double x = p->bars ? i : p->s[s].x[i], y = p->s[s].y[i];
            if (!isfinite(y) || !isfinite(x) || (p->xlog && x <= 0)) continue;
            *x0 = fmin(*x0, x);
            *x1 = fmax(*x1, x);
            if (y < p->yfloor) continue; /* NAN floor: never true */
            *y0 = fmin(*y0, y);
            *y1 = fmax(*y1, y);
        }
    return isfinite(*x0);
}

/* The axes' ranges: as given, else from the data, padded by 4 % so that no curve runs along the
 * frame, widened to the smallest span asked for, and rounded out to whole grid steps; values
 * below the floor do not count (drawn at the bottom as below the axis). Bars: one slot per
 * category. Returns the y grid step. */
static double frame_of(const gsm_plot *p, frame *fp) {
    frame f = {p->xmin, p->xmax, p->ymin, p->ymax, p->xlog};
    double dx0, dx1, dy0, dy1;
    if (!data_range(p, &dx0, &dx1, &dy0, &dy1)) dx0 = 0, dx1 = 1;
    if (!isfinite(dy0)) /* no data, or all of it below the floor */
        dy0 = isnan(p->yfloor) ? 0.0 : p->yfloor, dy1 = dy0 + fmax(p->yspan, 1.0);
    double mid = 0.5 * (dy0 + dy1), half = 0.5 * fmax(dy1 - dy0, fmax(p->yspan, 1e-9));
    dy0 = mid - 1.04 * half;
    dy1 = mid + 1.04 * half;
    if (isnan(f.x0)) f.x0 = dx0;
    if (isnan(f.x1)) f.x1 = dx1;
    if (p->bars) f.x0 = -0.5, f.x1 = p->ncat - 0.5;
    if (f.x1 <= f.x0) f.x1 = f.x0 + 1.0;
    double ystep = nice_step((isnan(f.y1) ? dy1 : f.y1) - (isnan(f.y0) ? dy0 : f.y0), 6.0);
    if (isnan(f.y0)) f.y0 = floor(dy0 / ystep) * ystep;
    if (isnan(f.y1)) f.y1 = ceil(dy1 / ystep) * ystep;
    if (f.y1 <= f.y0) f.y1 = f.y0 + ystep;
    /* rounding out may change the step: round again to the step the grid will use, so that
     * both ends of a fitted axis carry a label */
    ystep = nice_step(f.y1 - f.y0, 6.0);
    if (isnan(p->ymin)) f.y0 = floor(f.y0 / ystep + 1e-9) * ystep;
    if (isnan(p->ymax)) f.y1 = ceil(f.y1 / ystep - 1e-9) * ystep;
    /* padding and rounding never take the axis below the floor: what is under it is noise */
    if (isnan(p->ymin) && f.y0 < p->yfloor && f.y1 > p->yfloor) f.y0 = p->yfloor;
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

/* Markers on every few points of a series, starting at an offset of its own so that the
 * markers of overlapping curves do not sit on each other. */
static int mark_every(const gsm_series *se) {
    return se->n > MARK_EVERY_MAX ? (se->n + MARK_EVERY_MAX - 1) / MARK_EVERY_MAX : 1;
}

/* A line (a non-finite point lifts the pen); values below the axis run along its bottom edge
 * and carry the open downward triangle instead of the series' marker. */
static void draw_line(const gsm_series *se, int idx, int ns, const frame *f, cairo_t *cr) {
    set_color(cr, se);
    set_dash(cr, se->dash);
    int pen = 0;
    for (int i = 0; i < se->n; i++) {
        double x = se->x[i], y = se->y[i];
        if (!isfinite(x) || !isfinite(y) || (f->xlog && x <= 0)) {
            pen = 0;
            continue;
        }
        /* the top is clipped by the frame; cairo needs finite coordinates */
        y = fmax(f->y0, fmin(f->y1 + (f->y1 - f->y0), y));
        if (pen)
            cairo_line_to(cr, px(f, x), py(f, y));
        else
            cairo_move_to(cr, px(f, x), py(f, y));
        pen = 1;
    }
    cairo_stroke(cr);
    int every = mark_every(se);
    for (int i = idx * every / (ns > 0 ? ns : 1); i < se->n; i += every) {
        double x = se->x[i], y = se->y[i];
        if (!isfinite(x) || !isfinite(y) || (f->xlog && x <= 0)) continue;
        if (y < f->y0)
            draw_marker(cr, -1, px(f, x), py(f, f->y0), MARK_R);
        else
            draw_marker(cr, se->marker, px(f, x), py(f, y), MARK_R);
    }
}

/* Grouped bars from the bottom of the axis, the series' marker above each; a value below the
 * axis is no bar but the open downward triangle on the bottom edge (never hidden). */
static void draw_bars(const gsm_plot *p, const frame *f, cairo_t *cr) {
    double gw = 0.8 / p->ns;
    for (int s = 0; s < p->ns; s++) {
        const gsm_series *se = &p->s[s];
        for (int i = 0; i < se->n && i < p->ncat; i++) {
            if (!isfinite(se->y[i])) continue;
            double x0 = px(f, i - 0.4 + gw * s), x1 = px(f, i - 0.4 + gw * (s + 1));
            double xc = 0.5 * (x0 + x1 - 1), r = fmin(MARK_R, 0.5 * (x1 - x0));
            gsm_series full = *se;
            full.tint = 0;
            if (se->y[i] < f->y0) {
                set_color(cr, &full);
                draw_marker(cr, -1, xc, py(f, f->y0), r);
                continue;
            }
            double y0 = py(f, fmin(f->y1, se->y[i])), yb = py(f, f->y0);
            set_color(cr, se);
            cairo_rectangle(cr, x0, y0, x1 - x0 - 1, yb - y0);
            cairo_fill(cr);
            set_color(cr, &full);
            draw_marker(cr, se->marker, xc, y0 - r - 1.5, r);
        }
    }
}

/* The series, clipped to the frame. */
static void draw_series(const gsm_plot *p, const frame *fp, cairo_t *cr) {
    cairo_save(cr);
    cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
    cairo_clip(cr);
    cairo_set_line_width(cr, 1.6);
    if (p->bars)
        draw_bars(p, fp, cr);
    else
        for (int s = 0; s < p->ns; s++) draw_line(&p->s[s], s, p->ns, fp, cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_restore(cr);
}

/* Whether any value is below the axis (then the legend says what the open triangle means). */
static int any_below(const gsm_plot *p, const frame *f) {
    for (int s = 0; s < p->ns; s++)
        for (int i = 0; i < p->s[s].n; i++)
            if (p->s[s].y[i] < f->y0) return 1;
    return 0;
}

/* One row per series (its line or bar, its marker, its label), then the note on values below
 * the axis if there are any. */
static void draw_legend(const gsm_plot *p, const frame *f, cairo_t *cr) {
    cairo_set_font_size(cr, 11);
    char lab[64];
    for (int s = 0; s < p->ns; s++) {
        double y = MT + 8 + 17.0 * s;
        const gsm_series *se = &p->s[s];
        set_color(cr, se);
        double mx = W - MR + 23;
        if (p->bars) { /* the bar's colour, then its marker beside it (on it, it would vanish) */
            cairo_rectangle(cr, W - MR + 6, y - 5, 14, 10);
            cairo_fill(cr);
            gsm_series full = *se;
            full.tint = 0;
            set_color(cr, &full);
            mx = W - MR + 29;
        } else {
            set_dash(cr, se->dash);
            cairo_set_line_width(cr, 1.6);
            cairo_move_to(cr, W - MR + 8, y);
            cairo_line_to(cr, W - MR + 38, y);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        draw_marker(cr, se->marker, mx, y, MARK_R);
        cairo_set_source_rgb(cr, 0, 0, 0);
        snprintf(lab, sizeof lab, "%s", se->label ? se->label : "");
        text(cr, W - MR + 44, y, lab, 0.0, 0.5);
    }
    if (!any_below(p, f)) return;
    double y = MT + 8 + 17.0 * p->ns + 6;
    cairo_set_source_rgb(cr, 0, 0, 0);
    draw_marker(cr, -1, W - MR + 23, y + 4, MARK_R);
    snprintf(lab, sizeof lab, "below the axis (under %g)", f->y0);
    text(cr, W - MR + 44, y, lab, 0.0, 0.5);
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
    draw_legend(p, &f, cr);
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

int gsm_plot_swatch_svg(char *buf, size_t size, int color, int marker) {
    static const char *shape[GSM_PLOT_NMARKERS] = {
        "<circle cx='11' cy='7' r='4'/>",
        "<rect x='7.5' y='3.5' width='7' height='7'/>",
        "<path d='M11 2.5L15.5 10.5H6.5Z'/>",
        "<path d='M11 1.5L15 7L11 12.5L7 7Z'/>",
        "<path d='M6 7H16M11 2V12' stroke-width='2'/>",
        "<path d='M7 3L15 11M7 11L15 3' stroke-width='2'/>"};
    const double *c = palette[((color % GSM_PLOT_NCOLORS) + GSM_PLOT_NCOLORS) % GSM_PLOT_NCOLORS];
    int r = (int)lround(c[0] * 255), g = (int)lround(c[1] * 255), b = (int)lround(c[2] * 255);
    return snprintf(buf, size,
                    "<svg class=\"swatch\" width=\"22\" height=\"14\" viewBox=\"0 0 22 14\" "
                    "fill=\"#%02x%02x%02x\" stroke=\"#%02x%02x%02x\"><path d='M0 7H22' "
                    "stroke-width='1.6'/>%s</svg>",
                    r, g, b, r, g, b, marker > 0 ? shape[(marker - 1) % GSM_PLOT_NMARKERS] : "");
}

void gsm_plot_shutdown(void) {
    cairo_debug_reset_static_data();
    FcFini();
}
