/* Line and bar plots for measurement reports, drawn with cairo into PNG and SVG. The only file of
 * the project that draws axes (cairo has none); kept small on purpose. */
#ifndef GSM_PLOT_H
#define GSM_PLOT_H

#include <stddef.h>

#define GSM_PLOT_MAX_SERIES 64
#define GSM_PLOT_MAX_CATS 16

typedef struct gsm_series {
    const char *label;
    const double *x, *y; /* non-finite y breaks the line */
    int n;
    int color;  /* palette index */
    int dash;   /* 0 solid, 1 dashed, 2 dotted, 3 dash-dot */
    int marker; /* 0 none, else one of GSM_PLOT_NMARKERS shapes (circle, square, ...) */
    int tint;   /* 0 the palette's colour; 1, 2 lighter (bars of one device at other levels) */
} gsm_series;

/* Colour-blind-safe colours (Okabe and Ito, without the yellow that vanishes on white) and
 * marker shapes: a series is told apart by both, so neither colour vision nor print matters. */
#define GSM_PLOT_NCOLORS 7
#define GSM_PLOT_NMARKERS 6

typedef struct gsm_plot {
    const char *title, *xlabel, *ylabel;
    int xlog;
    double xmin, xmax, ymin, ymax; /* NAN: from the data */
    double yfloor; /* NAN, or: values below it are numerical noise, kept out of the fitted range */
    double yspan;  /* the smallest fitted y range (a flat response stays flat), 0: none */
    int bars;      /* 1: grouped bars, one group per category, y[c] per series */
    const char *cats[GSM_PLOT_MAX_CATS];
    int ncat;
    gsm_series s[GSM_PLOT_MAX_SERIES];
    int ns;
} gsm_plot;

/* Start an empty plot. */
void gsm_plot_init(gsm_plot *p, const char *title, const char *xlabel, const char *ylabel,
                   int xlog);
/* Add a series (ignored beyond GSM_PLOT_MAX_SERIES: then NULL). Its marker and tint may be set
 * through the pointer returned. */
gsm_series *gsm_plot_add(gsm_plot *p, const char *label, const double *x, const double *y, int n,
                         int color, int dash);
/* Write DIR/BASE.png and DIR/BASE.svg; returns 0 on success. */
int gsm_plot_save(const gsm_plot *p, const char *dir, const char *base);
/* A small inline SVG of a series' colour and marker (for a legend in HTML); returns its length
 * (snprintf's). */
int gsm_plot_swatch_svg(char *buf, size_t size, int color, int marker);
/* Release cairo's and fontconfig's process-wide caches (call once, at exit, after the last plot;
 * keeps leak checkers quiet). */
void gsm_plot_shutdown(void);

#endif
