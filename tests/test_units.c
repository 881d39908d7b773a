/* The value parser and formatter: every form the documentation promises, and the bad ones. */
#include "check.h"

#include <gainstage/gainstage.h>
#include <math.h>
#include <string.h>

static int near(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(1.0, fabs(b)); }

static void ok(const char *text, gs_unit unit, double want) {
    double v = -12345.0;
    gs_status st = gs_parse_value(text, unit, NULL, &v);
    CHECK(st == GS_OK && near(v, want), "'%s' -> status %d value %g, want %g", text, st, v, want);
}

static void bad(const char *text, gs_unit unit) {
    double v = 0;
    gs_status st = gs_parse_value(text, unit, NULL, &v);
    CHECK(st == GS_ERR_PARSE, "'%s' should not parse (status %d, value %g)", text, st, v);
}

static const gs_param_info *param(const char *model, const char *symbol) {
    const gs_model_info *m = gs_model_find(model);
    for (size_t i = 0; m && i < m->n_params; i++)
        if (!strcmp(m->params[i].symbol, symbol)) return &m->params[i];
    fprintf(stderr, "no %s in %s\n", symbol, model);
    return NULL;
}

static void pok(const char *model, const char *symbol, const char *text, double want) {
    double v = -1;
    gs_status st = gs_param_parse(param(model, symbol), text, &v);
    CHECK(st == GS_OK && v == want, "%s %s='%s' -> status %d value %g, want %g", model, symbol,
          text, st, v, want);
}

static void pbad(const char *model, const char *symbol, const char *text, const char *why) {
    double v = -1;
    const gs_param_info *p = param(model, symbol);
    gs_status st = gs_param_parse(p, text, &v);
    CHECK(st == GS_ERR_PARSE, "%s %s='%s' should be refused (status %d value %g)", model, symbol,
          text, st, v);
    char buf[256];
    gs_param_explain(p, text, buf, sizeof buf);
    CHECK(!strcmp(buf, why), "%s %s='%s': '%s', want '%s'", model, symbol, text, buf, why);
}

/* Values by name (issue 17): choices, switches, front-panel numbers and the messages. */
static void test_param_parse(void) {
    /* Choices named by words: the name in any case, or the index. */
    pok("frontend", "source", "condenser", 2);
    pok("frontend", "source", "Condenser", 2);
    pok("frontend", "source", "2", 2);
    pok("tube-preamp", "quality", "HIGH", 1);
    pok("tube-stage", "tube", "12at7", 1);
    pok("tube-stage", "tube", "1", 1);
    pbad("frontend", "source", "condensor",
         "'condensor' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm; did you "
         "mean 'condenser'?");
    pbad("frontend", "source", "cond",
         "'cond' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm; did you mean "
         "'condenser'?");
    pbad("frontend", "source", "7",
         "'7' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm");
    pbad("frontend", "source", "1.5",
         "'1.5' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm");
    pbad("tube-stage", "tube", "12", "'12' is not one of 12AX7, 12AT7, 12AU7");
    /* on/off only for switches. */
    pbad("frontend", "source", "yes",
         "'yes' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm (on/off is for "
         "switches)");
    pbad("tube-preamp", "quality", "on",
         "'on' is not one of fast, high, low-alias (on/off is for switches)");
    /* A renamed choice reads under its old name (issue 15: "standard" is now "fast"), and only
     * where the new name is a choice. */
    pok("tube-preamp", "quality", "fast", 0);
    pok("tube-stage", "quality", "standard", 0);
    pok("tube-preamp", "quality", " Standard ", 0);
    pok("tube-preamp", "quality", "low-alias", 2);
    pbad("frontend", "source", "standard",
         "'standard' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm");
    /* Choices named by front-panel numbers: the number, with or without its unit. */
    pok("frontend", "hpf", "12", 2);
    pok("frontend", "hpf", "12dB/oct", 2);
    pok("frontend", "hpf", "12 dB/oct", 2);
    pok("frontend", "hpf", "12dB", 2);
    pok("frontend", "hpf", " 24db/OCT ", 4);
    pok("frontend", "hpf", "off", 0);
    pok("frontend", "hpf", "0", 0);
    pok("input-stage", "hpf", "6", 1);
    pok("converter", "bits", "16", 0);
    pok("tube-preamp", "mains", "60", 1);
    pok("tube-preamp", "mains", "60 Hz", 1);
    pok("noise", "hum_freq", "50hz", 0);
    pbad("frontend", "hpf", "1", "'1' is not one of off, 6dB/oct, 12dB/oct, 18dB/oct, 24dB/oct");
    pbad("frontend", "hpf", "on",
         "'on' is not one of off, 6dB/oct, 12dB/oct, 18dB/oct, 24dB/oct (on/off is for switches)");
    /* No edit-distance guesses for numbers: 2 is not a typo of 20, nor 24 of 12. */
    pbad("frontend", "hpf", "12Hz", "'12Hz' is not one of off, 6dB/oct, 12dB/oct, 18dB/oct, "
                                    "24dB/oct");
    pbad("converter", "bits", "2", "'2' is not one of 16, 20, 24");
    pbad("tube-preamp", "mains", "0", "'0' is not one of 50Hz, 60Hz");
    /* Switches: on/off words and 1/0; ss-preamp's hpf also by its slope, as on the interfaces. */
    pok("ss-preamp", "pad", "on", 1);
    pok("ss-preamp", "pad", "YES", 1);
    pok("ss-preamp", "pad", "false", 0);
    pok("ss-preamp", "pad", "1", 1);
    pok("ss-preamp", "hpf", "on", 1);
    pok("ss-preamp", "hpf", "12", 1);
    pok("ss-preamp", "hpf", "12dB/oct", 1);
    pok("ss-preamp", "hpf", "off", 0);
    pok("ss-preamp", "hpf", "0", 0);
    pbad("ss-preamp", "pad", "2", "'2' is not on or off");
    pbad("ss-preamp", "pad", "onn", "'onn' is not on or off; did you mean 'on'?");
    pbad("ss-preamp", "hpf", "6", "'6' is not on, off or 12dB/oct");
    pbad("ss-preamp", "hpf", "24dB/oct", "'24dB/oct' is not on, off or 12dB/oct");
    /* Real parameters: gs_parse_value in their unit; no booleans. */
    pok("ss-preamp", "gain", "40dB", 40);
    pok("ss-preamp", "hpf_freq", "0.1k", 100);
    pbad("ss-preamp", "gain", "45Hz", "cannot read '45Hz' as a value in dB");
    pbad("frontend", "temp", "yes", "cannot read 'yes' as a value in plain numbers");
    double v;
    CHECK(gs_param_parse(NULL, "1", &v) == GS_ERR_INVALID_ARGUMENT, "NULL param");
    CHECK(gs_param_parse(param("ss-preamp", "pad"), NULL, &v) == GS_ERR_INVALID_ARGUMENT,
          "NULL text");
    char small[8];
    gs_param_explain(param("frontend", "source"), "condensor", small, sizeof small);
    CHECK(!strcmp(small, "'conden"), "explain truncates: '%s'", small);
    /* The value-level parser no longer takes booleans for choices (source=yes was ribbon). */
    static const char *const names[] = {"a", "b", NULL};
    CHECK(gs_parse_value("on", GS_UNIT_ENUM, names, &v) == GS_ERR_PARSE, "on for an enum");
    CHECK(gs_parse_value("1", GS_UNIT_ENUM, names, &v) == GS_OK && v == 1.0, "index");
}

/* "Did you mean": typos within the bound, case and _/- free, prefixes when unique. */
static void test_suggest(void) {
    static const char *const cmds[] = {"process", "params", "presets", "models", "measure", "live",
                                       "recover"};
    const size_t n = (sizeof cmds / sizeof cmds[0]);
    struct {
        const char *text, *want;
    } cases[] = {{"proces", "process"}, {"prcoess", "process"}, {"PARAMS", "params"},
                 {"preset", "presets"}, {"mesure", "measure"},  {"liev", "live"},
                 {"rec", "recover"},    {"frobnicate", NULL},   {"x", NULL},
                 {"", NULL},            {"pr", NULL},           {"zzzzzz", NULL}};
    for (size_t i = 0; i < (sizeof cases / sizeof cases[0]); i++) {
        const char *got = gs_name_suggest(cases[i].text, cmds, n);
        CHECK(cases[i].want ? got && !strcmp(got, cases[i].want) : got == NULL,
              "suggest '%s': '%s', want '%s'", cases[i].text, got ? got : "(none)",
              cases[i].want ? cases[i].want : "(none)");
    }
    CHECK(gs_name_suggest(NULL, cmds, n) == NULL && gs_name_suggest("x", NULL, 0) == NULL, "NULL");
    const char *s = gs_preset_suggest("tub");
    CHECK(s && !strcmp(s, "tube"), "preset tub: %s", s ? s : "(none)");
    s = gs_preset_suggest("tube-hto");
    CHECK(s && !strcmp(s, "tube-hot"), "preset tube-hto: %s", s ? s : "(none)");
    s = gs_preset_suggest("guitar");
    CHECK(s && !strcmp(s, "guitar-hi-z"), "preset guitar: %s", s ? s : "(none)");
    CHECK(gs_preset_suggest("mic") == NULL, "mic is the start of two presets");
    s = gs_model_suggest("tube-pramp");
    CHECK(s && !strcmp(s, "tube-preamp"), "model tube-pramp: %s", s ? s : "(none)");
    s = gs_param_suggest(gs_model_find("tube-preamp"), "gian");
    CHECK(s && !strcmp(s, "gain"), "param gian: %s", s ? s : "(none)");
    s = gs_param_suggest(gs_model_find("ss-preamp"), "hpf-freq");
    CHECK(s && !strcmp(s, "hpf_freq"), "param hpf-freq: %s", s ? s : "(none)");
    CHECK(gs_param_suggest(NULL, "gain") == NULL, "NULL model");
    /* Names as users type them. */
    CHECK(gs_model_find("Tube_Preamp") == gs_model_find("tube-preamp") &&
              gs_model_find("tube-preamp") != NULL,
          "model names ignore case and _");
    CHECK(gs_model_find("tube-preamps") == NULL, "no prefix matching in find");
}

int main(void) {
    test_param_parse();
    test_suggest();
    ok("100k", GS_UNIT_OHM, 100e3);
    ok("1M", GS_UNIT_OHM, 1e6);
    ok("1meg", GS_UNIT_OHM, 1e6);
    ok("2.2Meg", GS_UNIT_OHM, 2.2e6);
    ok("22n", GS_UNIT_FARAD, 22e-9);
    ok("4.7u", GS_UNIT_FARAD, 4.7e-6);
    ok("4.7\xc2\xb5"
       "F",
       GS_UNIT_FARAD, 4.7e-6);
    ok("1.5p", GS_UNIT_FARAD, 1.5e-12);
    ok("47uF", GS_UNIT_FARAD, 47e-6);
    ok("10kOhm", GS_UNIT_OHM, 10e3);
    ok("10k\xce\xa9", GS_UNIT_OHM, 10e3);
    ok("68k ohm", GS_UNIT_OHM, 68e3);
    ok("1MHz", GS_UNIT_HZ, 1e6);
    ok("80hz", GS_UNIT_HZ, 80.0);
    ok("250", GS_UNIT_VOLT, 250.0);
    ok("250V", GS_UNIT_VOLT, 250.0);
    ok("200m", GS_UNIT_VOLT, 0.2);
    ok("-6dB", GS_UNIT_DB, -6.0);
    ok("-6 dB", GS_UNIT_DB, -6.0);
    ok("+12", GS_UNIT_DB, 12.0);
    ok("1e3", GS_UNIT_OHM, 1000.0);
    ok("  3.3k  ", GS_UNIT_OHM, 3300.0);
    ok("1G", GS_UNIT_HZ, 1e9);

    bad("", GS_UNIT_OHM);
    bad("abc", GS_UNIT_OHM);
    bad("10x", GS_UNIT_OHM);
    bad("10kF", GS_UNIT_OHM); /* wrong unit */
    bad("-6dB", GS_UNIT_OHM); /* dB only for dB values */
    bad("1k", GS_UNIT_DB);    /* no prefixes on dB */
    bad("nan", GS_UNIT_VOLT);
    bad("inf", GS_UNIT_VOLT);
    bad("0x10", GS_UNIT_VOLT);
    bad("1e999", GS_UNIT_VOLT);
    bad("10 k k", GS_UNIT_OHM);

    double v;
    static const char *const choices[] = {"12AX7", "12AT7", "12AU7", NULL};
    CHECK(gs_parse_value("12at7", GS_UNIT_ENUM, choices, &v) == GS_OK && v == 1.0, "choice");
    CHECK(gs_parse_value("on", GS_UNIT_NONE, NULL, &v) == GS_OK && v == 1.0, "on");
    CHECK(gs_parse_value("off", GS_UNIT_NONE, NULL, &v) == GS_OK && v == 0.0, "off");
    CHECK(gs_parse_value(NULL, GS_UNIT_NONE, NULL, &v) == GS_ERR_INVALID_ARGUMENT, "NULL");

    char buf[64];
    gs_format_value(47e-6, GS_UNIT_FARAD, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "47 uF"), "format 47u: '%s'", buf);
    gs_format_value(1e6, GS_UNIT_OHM, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "1 MOhm"), "format 1M: '%s'", buf);
    gs_format_value(-6, GS_UNIT_DB, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "-6 dB"), "format -6 dB: '%s'", buf);
    gs_format_value(999.9999999, GS_UNIT_HZ, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "1 kHz"), "format 1 kHz: '%s'", buf);
    gs_format_value(1, GS_UNIT_ENUM, choices, buf, sizeof buf);
    CHECK(!strcmp(buf, "12AT7"), "format choice: '%s'", buf);
    /* Every formatted value parses back to itself. */
    double vals[] = {22e-9, 1.5e-12, 68e3, 2.2e6, 0.05, 15.0};
    gs_unit units[] = {GS_UNIT_FARAD, GS_UNIT_FARAD, GS_UNIT_OHM,
                       GS_UNIT_OHM,   GS_UNIT_VOLT,  GS_UNIT_VOLT};
    for (size_t i = 0; i < 6; i++) {
        gs_format_value(vals[i], units[i], NULL, buf, sizeof buf);
        /* drop the space between number and prefix */
        char *sp = strchr(buf, ' ');
        if (sp) memmove(sp, sp + 1, strlen(sp));
        CHECK(gs_parse_value(buf, units[i], NULL, &v) == GS_OK && near(v, vals[i]),
              "round trip %g -> '%s' -> %g", vals[i], buf, v);
    }

    /* Format and parse round-trip for every finite value in every unit (issue 18 item 8: the
     * formatter printed "2.99997e-320 %", which the parser refused as an underflow), to the
     * formatter's 6 significant digits; subnormals to their own spacing. */
    gs_unit all[] = {GS_UNIT_NONE, GS_UNIT_DB,     GS_UNIT_VOLT,    GS_UNIT_OHM, GS_UNIT_FARAD,
                     GS_UNIT_HENRY, GS_UNIT_HZ,    GS_UNIT_SECOND,  GS_UNIT_PERCENT, GS_UNIT_ENUM};
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int trips = 0, tripped = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double mant = 1.0 + (double)(x >> 11) * 0x1.0p-53;
        int ex = (int)((x >> 3) % 1300u) - 1075; /* 2^-1075 .. 2^224 and beyond: subnormals too */
        double val = ldexp(mant, ex) * ((x & 1u) ? -1.0 : 1.0);
        if (i % 97 == 0) val = 0.0;
        gs_unit u = all[(x >> 40) % (sizeof all / sizeof all[0])];
        gs_format_value(val, u, NULL, buf, sizeof buf);
        double back = -1.0;
        gs_status st = gs_parse_value(buf, u, NULL, &back);
        double tol = 5e-6 * fabs(val) + 1e-322;
        trips++;
        if (st != GS_OK || !(fabs(back - val) <= tol)) {
            if (tripped++ < 5)
                fprintf(stderr, "round trip %.17g (unit %d) -> '%s' -> status %d, %.17g\n", val,
                        (int)u, buf, st, back);
        }
    }
    CHECK(tripped == 0, "%d of %d formatted values did not parse back", tripped, trips);
    ok("1e-310", GS_UNIT_NONE, 1e-310);
    ok("2.99997e-320 %", GS_UNIT_PERCENT, 2.99997e-320);
    ok("1e-300p", GS_UNIT_FARAD, 1e-312);
    bad("1e309", GS_UNIT_NONE);
    bad("-1e400", GS_UNIT_VOLT);
    bad("1e300G", GS_UNIT_OHM);

    /* Level conventions: 0 dBu RMS sine = 0.7746 V RMS = 1.0954 V peak. */
    CHECK(fabs(gs_dbu_to_volts_per_unit(0.0) - 1.0954451150103321) < 1e-12, "0 dBu");
    CHECK(fabs(gs_volts_per_unit_to_dbu(gs_dbu_to_volts_per_unit(18.0)) - 18.0) < 1e-12, "+18");
    return check_done();
}
