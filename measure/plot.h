/* Line and bar plots for measurement reports, drawn with cairo into PNG and SVG. The only file of
 * the project that draws axes (cairo has none); kept small on purpose. */
#ifndef GSM_PLOT_H
#define GSM_PLOT_H

#define GSM_PLOT_MAX_SERIES 64
#define GSM_PLOT_MAX_CATS 16

typedef struct gsm_series {
    const char *label;
    const double *x, *y; /* non-finite y breaks the line */
    int n;
    int color; /* palette index */
    int dash;  /* 0 solid, 1 dashed, 2 dotted, 3 dash-dot */
} gsm_series;

typedef struct gsm_plot {
    const char *title, *xlabel, *ylabel;
    int xlog;
    double xmin, xmax, ymin, ymax; /* NAN: from the data */
    int bars;                      /* 1: grouped bars, one group per category, y[c] per series */
    const char *cats[GSM_PLOT_MAX_CATS];
    int ncat;
    gsm_series s[GSM_PLOT_MAX_SERIES];
    int ns;
} gsm_plot;

/* Start an empty plot. */
void gsm_plot_init(gsm_plot *p, const char *title, const char *xlabel, const char *ylabel,
                   int xlog);
/* Add a series (ignored beyond GSM_PLOT_MAX_SERIES). */
void gsm_plot_add(gsm_plot *p, const char *label, const double *x, const double *y, int n,
                  int color, int dash);
/* Write DIR/BASE.png and DIR/BASE.svg; returns 0 on success. */
int gsm_plot_save(const gsm_plot *p, const char *dir, const char *base);
/* Release cairo's and fontconfig's process-wide caches (call once, at exit, after the last plot;
 * keeps leak checkers quiet). */
void gsm_plot_shutdown(void);

#endif
