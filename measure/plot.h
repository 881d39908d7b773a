/* Line and bar plots for measurement reports, drawn with cairo into PNG and SVG. The only file of
 * the project that draws axes (cairo has none); kept small on purpose. */
#ifndef GS_CLI_PLOT_H
#define GS_CLI_PLOT_H

#define GS_PLOT_MAX_SERIES 64
#define GS_PLOT_MAX_CATS 16

typedef struct gs_series {
    const char *label;
    const double *x, *y; /* non-finite y breaks the line */
    int n;
    int color; /* palette index */
    int dash;  /* 0 solid, 1 dashed, 2 dotted, 3 dash-dot */
} gs_series;

typedef struct gs_plot {
    const char *title, *xlabel, *ylabel;
    int xlog;
    double xmin, xmax, ymin, ymax; /* NAN: from the data */
    int bars;                      /* 1: grouped bars, one group per category, y[c] per series */
    const char *cats[GS_PLOT_MAX_CATS];
    int ncat;
    gs_series s[GS_PLOT_MAX_SERIES];
    int ns;
} gs_plot;

/* Start an empty plot. */
void gs_plot_init(gs_plot *p, const char *title, const char *xlabel, const char *ylabel, int xlog);
/* Add a series (ignored beyond GS_PLOT_MAX_SERIES). */
void gs_plot_add(gs_plot *p, const char *label, const double *x, const double *y, int n, int color,
                 int dash);
/* Write DIR/BASE.png and DIR/BASE.svg; returns 0 on success. */
int gs_plot_save(const gs_plot *p, const char *dir, const char *base);
/* Release cairo's and fontconfig's process-wide caches (call once, at exit, after the last plot;
 * keeps leak checkers quiet). */
void gs_plot_shutdown(void);

#endif
