/* The library's text format, "key = value" per line: presets here, and the live system's session
 * files and take sidecars, so that one reader decides what a line means everywhere. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

void gs_kv_init(gs_kv_reader *r, const char *text) {
    if (!r) return;
    r->pos = text ? text : "";
    r->line = 0;
}

int gs_kv_next(gs_kv_reader *r, gs_kv *out, char *err, size_t err_size) {
    if (!r || !out || !r->pos) return -1;
    while (*r->pos) {
        r->line++;
        out->line = r->line;
        size_t len = strcspn(r->pos, "\n");
        const char *start = r->pos;
        r->pos += len;
        if (*r->pos == '\n') r->pos++;
        char line[GS_KV_MAX_LINE];
        if (len >= sizeof line) {
            if (err && err_size) snprintf(err, err_size, "line %zu: too long", r->line);
            return -1;
        }
        memcpy(line, start, len);
        line[len] = '\0';
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *l = trim(line);
        if (*l == '\0') continue;
        char *eq = strchr(l, '=');
        if (eq) *eq = '\0';
        char *key = trim(l), *val = eq ? trim(eq + 1) : "";
        if (!eq || *key == '\0' || *val == '\0') {
            if (err && err_size) snprintf(err, err_size, "line %zu: expected 'key = value'", r->line);
            return -1;
        }
        if (strlen(key) >= sizeof out->key || strlen(val) >= sizeof out->value) {
            if (err && err_size) snprintf(err, err_size, "line %zu: too long", r->line);
            return -1;
        }
        memcpy(out->key, key, strlen(key) + 1);
        memcpy(out->value, val, strlen(val) + 1);
        return 1;
    }
    return 0;
}
