/* Parsing and printing values the way engineers write them ("100k", "22n", "-6dB", "47uF"). */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *gs_unit_symbol(gs_unit unit) {
    switch (unit) {
    case GS_UNIT_NONE: return "";
    case GS_UNIT_DB: return "dB";
    case GS_UNIT_VOLT: return "V";
    case GS_UNIT_OHM: return "Ohm";
    case GS_UNIT_FARAD: return "F";
    case GS_UNIT_HENRY: return "H";
    case GS_UNIT_HZ: return "Hz";
    case GS_UNIT_SECOND: return "s";
    case GS_UNIT_PERCENT: return "%";
    case GS_UNIT_ENUM: return "";
    }
    return "";
}

/* Does `s` (case-insensitive, whole string) name the unit? Ohm also as "R" or the Greek capital
 * omega in UTF-8. */
static int unit_matches(const char *s, gs_unit unit) {
    while (*s == ' ') s++;
    if (*s == '\0') return 1;
    switch (unit) {
    case GS_UNIT_OHM:
        return !strcasecmp(s, "ohm") || !strcasecmp(s, "ohms") || !strcmp(s, "\xce\xa9") ||
               !strcasecmp(s, "r");
    case GS_UNIT_NONE:
    case GS_UNIT_ENUM: return 0;
    default: return !strcasecmp(s, gs_unit_symbol(unit));
    }
}

static int choice_index(const char *text, const char *const *choices, double *value) {
    if (!choices) return 0;
    for (size_t i = 0; choices[i]; i++) {
        if (!strcasecmp(text, choices[i])) {
            *value = (double)i;
            return 1;
        }
    }
    return 0;
}

gs_status gs_parse_value(const char *text, gs_unit unit, const char *const *choices,
                         double *value) {
    if (!text || !value) return GS_ERR_INVALID_ARGUMENT;
    while (isspace((unsigned char)*text)) text++;
    if (choice_index(text, choices, value)) return GS_OK;
    /* Booleans are common on toggles (GS_UNIT_NONE); never on choices, where "on" would silently
     * pick the second one (source=yes was ribbon). */
    if (unit == GS_UNIT_NONE) {
        if (!strcasecmp(text, "on") || !strcasecmp(text, "true") || !strcasecmp(text, "yes")) {
            *value = 1.0;
            return GS_OK;
        }
        if (!strcasecmp(text, "off") || !strcasecmp(text, "false") || !strcasecmp(text, "no")) {
            *value = 0.0;
            return GS_OK;
        }
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    /* ERANGE is overflow (refused) or underflow: a magnitude below DBL_MIN, which strtod rounds
     * to a subnormal or zero. Underflow is a value like any other ("1e-310", or "2.99997e-320 %"
     * as gs_format_value prints a tiny number), left to the parameter's range check, as "1e-300p"
     * (below DBL_MIN only after the prefix) always was: what gs_format_value prints parses. */
    if (end == text || !isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) return GS_ERR_PARSE;
    /* strtod accepts "inf", "nan" and hex floats; we only want decimal numbers. */
    for (const char *p = text; p < end; p++)
        if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+' || *p == 'e' ||
              *p == 'E'))
            return GS_ERR_PARSE;
    const char *s = end;
    while (isspace((unsigned char)*s)) s++;
    char rest[32];
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1])) len--;
    if (len >= sizeof rest) return GS_ERR_PARSE;
    memcpy(rest, s, len);
    rest[len] = '\0';

    /* "dB" alone: only for dB-valued parameters. */
    if (!strcasecmp(rest, "db")) {
        if (unit != GS_UNIT_DB) return GS_ERR_PARSE;
        *value = v;
        return GS_OK;
    }
    if (unit_matches(rest, unit)) {
        *value = v;
        return GS_OK;
    }
    /* An SI prefix, then optionally the unit. "M" is mega (as engineers write 1M for a megohm);
     * SPICE's "meg" is accepted too, and "m" is milli. */
    double mult = 0.0;
    size_t plen = 1;
    if (!strncasecmp(rest, "meg", 3)) {
        mult = 1e6;
        plen = 3;
    } else if (!strncmp(rest, "\xc2\xb5", 2)) { /* micro sign in UTF-8 */
        mult = 1e-6;
        plen = 2;
    } else {
        switch (rest[0]) {
        case 'p': mult = 1e-12; break;
        case 'n': mult = 1e-9; break;
        case 'u': mult = 1e-6; break;
        case 'm': mult = 1e-3; break;
        case 'k':
        case 'K': mult = 1e3; break;
        case 'M': mult = 1e6; break;
        case 'G': mult = 1e9; break;
        default: return GS_ERR_PARSE;
        }
    }
    /* A dB value with a prefix makes no sense; "1m" for a dB gain is an error. */
    if (unit == GS_UNIT_DB || unit == GS_UNIT_ENUM) return GS_ERR_PARSE;
    if (!unit_matches(rest + plen, unit)) return GS_ERR_PARSE;
    *value = v * mult;
    if (!isfinite(*value)) return GS_ERR_PARSE;
    return GS_OK;
}

void gs_format_value(double value, gs_unit unit, const char *const *choices, char *buf,
                     size_t size) {
    if (!buf || size == 0) return;
    if (unit == GS_UNIT_ENUM && choices) {
        size_t n = 0;
        while (choices[n]) n++;
        double r = floor(value + 0.5);
        if (r >= 0 && r < (double)n) {
            snprintf(buf, size, "%s", choices[(size_t)r]);
            return;
        }
    }
    const char *sym = gs_unit_symbol(unit);
    if (unit == GS_UNIT_DB || unit == GS_UNIT_PERCENT || unit == GS_UNIT_NONE ||
        unit == GS_UNIT_ENUM || value == 0.0) {
        snprintf(buf, size, "%g%s%s", value, *sym ? " " : "", sym);
        return;
    }
    static const struct {
        double mult;
        const char *prefix;
    } si[] = {{1e9, "G"},  {1e6, "M"},  {1e3, "k"},  {1, ""},
              {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}};
    double a = fabs(value);
    size_t k = GS_ARRAY_LEN(si) - 1;
    for (size_t i = 0; i < GS_ARRAY_LEN(si); i++) {
        /* Round first so that 999.9996 prints as 1 k rather than 1000. */
        if (a >= si[i].mult * 0.9999995) {
            k = i;
            break;
        }
    }
    snprintf(buf, size, "%.6g %s%s", value / si[k].mult, si[k].prefix, sym);
}
