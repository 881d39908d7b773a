/* Presets: every built-in is valid; the text format's errors are caught and located. */
#include "check.h"

#include <gainstage/gainstage.h>
#include <string.h>

static void expect_error(const char *text, gs_status want, const char *needle) {
    gs_preset *p = (gs_preset *)0x1;
    char err[256] = "";
    gs_status st = gs_preset_parse(text, "t", &p, err, sizeof err);
    CHECK(st == want && p == NULL, "'%s': status %d, want %d", text, st, want);
    CHECK(strstr(err, needle) != NULL, "'%s': message '%s' lacks '%s'", text, err, needle);
}

/* The key = value reader that presets, sessions and sidecars share. */
static void test_kv(void) {
    gs_kv_reader r;
    gs_kv kv;
    char err[128] = "";
    gs_kv_init(&r, "# head\n\n  a = 1  \r\nlong key = two words # note\nc=3");
    CHECK(gs_kv_next(&r, &kv, err, sizeof err) == 1 && !strcmp(kv.key, "a") &&
              !strcmp(kv.value, "1") && kv.line == 3,
          "first pair '%s' '%s' line %zu", kv.key, kv.value, kv.line);
    CHECK(gs_kv_next(&r, &kv, err, sizeof err) == 1 && !strcmp(kv.key, "long key") &&
              !strcmp(kv.value, "two words"),
          "second pair '%s' '%s'", kv.key, kv.value);
    CHECK(gs_kv_next(&r, &kv, err, sizeof err) == 1 && !strcmp(kv.value, "3") && kv.line == 5,
          "last line without newline");
    CHECK(gs_kv_next(&r, &kv, err, sizeof err) == 0, "end");
    const char *bad[] = {"novalue\n", "= x\n", "k =\n", "k = v\n  = \n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_kv_init(&r, bad[i]);
        int got;
        while ((got = gs_kv_next(&r, &kv, err, sizeof err)) == 1) {
        }
        CHECK(got == -1 && strstr(err, "expected 'key = value'"), "'%s': %d '%s'", bad[i], got,
              err);
    }
    char big[2100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[3] = '=';
    gs_kv_init(&r, big);
    CHECK(gs_kv_next(&r, &kv, err, sizeof err) == -1 && strstr(err, "too long"), "long line");
    gs_kv_init(&r, NULL);
    CHECK(gs_kv_next(&r, &kv, NULL, 0) == 0, "NULL text reads as empty");
}

int main(void) {
    test_kv();
    /* Found by fuzz_preset: values checked against the first model, then another model. */
    expect_error("model = ss-preamp\ngain = 40dB\nmodel = tube-preamp\n", GS_ERR_PRESET_SYNTAX,
               "second 'model ='");
    CHECK(gs_preset_count() >= 1, "no presets");
    for (size_t i = 0; i < gs_preset_count(); i++) {
        const gs_preset *p = gs_preset_at(i);
        /* A model preset names a model; a strip's model is its chain of blocks. */
        CHECK(p && (gs_model_find(gs_preset_model(p)) || gs_preset_block_count(p) > 0),
              "preset %zu has no model", i);
        CHECK(strlen(gs_preset_description(p)) > 10, "preset %s lacks a description",
              gs_preset_name(p));
        gs_channel *ch = NULL;
        CHECK(gs_channel_new_preset(p, 48000, 256, &ch) == GS_OK, "preset %s", gs_preset_name(p));
        for (size_t k = 0; k < gs_preset_value_count(p); k++) {
            const char *sym;
            double v;
            size_t id;
            gs_preset_value_at(p, k, &sym, &v);
            CHECK(gs_channel_param_find(ch, sym, &id) == GS_OK && gs_channel_get(ch, id) == v,
                  "%s: %s not applied", gs_preset_name(p), sym);
        }
        gs_channel_free(ch);
        CHECK(gs_preset_find(gs_preset_name(p)) == p, "find %s", gs_preset_name(p));
    }
    CHECK(gs_preset_find("no-such") == NULL, "find unknown");
    /* Names as users type them (issue 17): case and '_' for '-' do not matter. */
    CHECK(gs_preset_find("Tube") == gs_preset_find("tube") && gs_preset_find("tube"), "Tube");
    CHECK(gs_preset_find("TUBE_HOT") == gs_preset_find("tube-hot") && gs_preset_find("tube-hot"),
          "TUBE_HOT");
    CHECK(gs_preset_find("tub") == NULL, "no prefix matching in find");
    CHECK(gs_preset_at(gs_preset_count()) == NULL, "at out of range");

    gs_preset *p = NULL;
    char err[256];
    CHECK(gs_preset_parse("# a comment\n  model = ss-preamp  \n\ngain = 40dB # hot\n"
                          "gain = 50\nhpf = on\nhpf_freq = 100Hz\n",
                          "mine", &p, err, sizeof err) == GS_OK,
          "valid text: %s", err);
    if (p) {
        CHECK(!strcmp(gs_preset_name(p), "mine"), "name");
        CHECK(gs_preset_value_count(p) == 3, "later line replaces: %zu values",
              gs_preset_value_count(p));
        const char *sym;
        double v;
        gs_preset_value_at(p, 0, &sym, &v);
        CHECK(!strcmp(sym, "gain") && v == 50.0, "gain = %g", v);
        gs_channel *ch;
        gs_channel_new("opamp-stage", 48000, 64, &ch);
        CHECK(gs_channel_apply_preset(ch, p) == GS_ERR_UNKNOWN_MODEL, "model mismatch");
        gs_channel_free(ch);
        gs_preset_free(p);
    }
    /* A model named in any case is stored in its own spelling, so the preset applies. */
    p = NULL;
    CHECK(gs_preset_parse("model = SS_Preamp\nhpf = 12dB/oct\n", "case", &p, err, sizeof err) ==
              GS_OK,
          "model in capitals: %s", err);
    if (p) {
        CHECK(!strcmp(gs_preset_model(p), "ss-preamp"), "model '%s'", gs_preset_model(p));
        gs_channel *ch = NULL;
        CHECK(gs_channel_new_preset(p, 48000, 64, &ch) == GS_OK, "channel of SS_Preamp");
        gs_channel_free(ch);
        gs_preset_free(p);
    }
    /* Values by name, with the reasons and suggestions of gs_param_explain. */
    expect_error("model = tube-pramp\n", GS_ERR_UNKNOWN_MODEL,
                 "line 1: unknown model 'tube-pramp'; did you mean 'tube-preamp'?");
    expect_error("model = tube-preamp\ngian = 3\n", GS_ERR_UNKNOWN_PARAMETER,
                 "line 2: model tube-preamp has no parameter 'gian'; did you mean 'gain'?");
    expect_error("model = frontend\nsource = condensor\n", GS_ERR_PARSE,
                 "line 2: source: 'condensor' is not one of dynamic, ribbon, condenser, pickup, "
                 "piezo, line, mm; did you mean 'condenser'?");
    expect_error("model = frontend\nsource = yes\n", GS_ERR_PARSE, "(on/off is for switches)");
    expect_error("model = tube-preamp\nquality = on\n", GS_ERR_PARSE, "line 2: quality: 'on'");
    expect_error("model = frontend\nhpf = 1\n", GS_ERR_PARSE, "line 2: hpf: '1' is not one of");
    expect_error("model = ss-preamp\ngain = 45Hz\n", GS_ERR_PARSE,
                 "line 2: gain: cannot read '45Hz' as a value in dB");
    expect_error("gain = 40\n", GS_ERR_PRESET_SYNTAX, "line 1");
    expect_error("", GS_ERR_PRESET_SYNTAX, "model");
    expect_error("model = tube-thing\n", GS_ERR_UNKNOWN_MODEL, "tube-thing");
    expect_error("model = ss-preamp\nvolume = 3\n", GS_ERR_UNKNOWN_PARAMETER, "line 2");
    expect_error("model = ss-preamp\ngain = 90\n", GS_ERR_OUT_OF_RANGE, "out of range");
    expect_error("model = ss-preamp\ngain = loud\n", GS_ERR_PARSE, "line 2");
    expect_error("model = ss-preamp\njust words\n", GS_ERR_PRESET_SYNTAX, "line 2");
    expect_error("model = ss-preamp\ngain =\n", GS_ERR_PRESET_SYNTAX, "line 2");
    return check_done();
}
