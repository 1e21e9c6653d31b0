/* scn_override.c - `--set path=value` on the cJSON tree, before validation.
 *
 * Overrides act on the document, not on the struct, so an override is
 * checked by exactly the same schema code as the file, and the canonical
 * JSON (hashed into the run key) shows the scenario that actually ran.
 */
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"

#define MAX_SEGMENTS 64 /* as deep as a document may nest */

typedef struct seg {
    const char *key; /* points into the path; NULL for an index */
    size_t key_len;
    size_t index;
} seg;

/* Split "a.b[2].c" into segments; -1 on a malformed path. */
static int split_path(const char *p, seg *segs, size_t *n)
{
    size_t k = 0;
    int need_key = 1;
    while (*p) {
        if (k == MAX_SEGMENTS)
            return -1;
        if (*p == '[') {
            if (k == 0)
                return -1; /* the root is an object: start with a key */
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            size_t v = 0;
            while (*p >= '0' && *p <= '9') {
                if (v > (SIZE_MAX - 9) / 10)
                    return -1;
                v = v * 10 + (size_t)(*p - '0');
                p++;
            }
            if (*p != ']')
                return -1;
            p++;
            segs[k++] = (seg){NULL, 0, v};
            need_key = 0;
        } else {
            if (!need_key) {
                if (*p != '.')
                    return -1;
                p++;
            }
            const char *s = p;
            while (*p && *p != '.' && *p != '[')
                p++;
            if (p == s)
                return -1;
            segs[k++] = (seg){s, (size_t)(p - s), 0};
            need_key = 0;
        }
        if (*p == '.' && p[1] == '\0')
            return -1;
    }
    *n = k;
    return k ? 0 : -1;
}

const cJSON *scn_override_lookup(const cJSON *root, const char *path, int *malformed)
{
    seg segs[MAX_SEGMENTS];
    size_t n;
    *malformed = 0;
    if (!path || split_path(path, segs, &n) != 0) {
        *malformed = 1;
        return NULL;
    }
    const cJSON *cur = root;
    for (size_t i = 0; i < n && cur; i++) {
        const seg *g = &segs[i];
        const cJSON *next = NULL;
        if (g->key && cJSON_IsObject(cur)) {
            for (const cJSON *c = cur->child; c; c = c->next)
                if (strlen(c->string) == g->key_len && memcmp(c->string, g->key, g->key_len) == 0)
                    next = c;
        } else if (!g->key && cJSON_IsArray(cur) && g->index < (size_t)cJSON_GetArraySize(cur)) {
            next = cJSON_GetArrayItem(cur, (int)g->index);
        }
        cur = next;
    }
    return cur;
}

static const char *type_noun(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

/* Parse the override value: JSON if it is JSON, else a string. */
static ss_status make_value(const scn_override *ov, const ss_json_ctx *cx, cJSON **out)
{
    char perr[256];
    size_t len = strlen(ov->value);
    const char *t = ov->value;
    while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
        t++;
    ss_status rc = ss_json_parse("value", ov->value, len, out, perr, sizeof perr);
    if (rc == SS_OK)
        return SS_OK;
    if (rc == SS_ENOMEM)
        return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
    /* Something that looks like JSON but is broken is a mistake, not a
     * string the user meant. */
    if (*t == '{' || *t == '[' || *t == '"')
        return ss_json_errf(cx, SS_EPARSE, ov->path, "--set value is not valid JSON: %s", perr);
    *out = cJSON_CreateString(ov->value);
    if (!*out)
        return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
    return SS_OK;
}

ss_status scn_override_apply(cJSON *root, const scn_override *ov, const ss_json_ctx *cx)
{
    seg segs[MAX_SEGMENTS];
    size_t n;
    if (!ov->path || !ov->value || split_path(ov->path, segs, &n) != 0)
        return ss_json_errf(cx, SS_ESCHEMA, "",
                            "--set %.200s: malformed path (expected KEY, KEY.KEY or KEY[INDEX], "
                            "e.g. nodes[0].count)",
                            ov->path ? ov->path : "(null)");
    /* Walk to the parent of the last segment; every step must exist. */
    cJSON *cur = root;
    size_t plen = 0; /* bytes of ov->path consumed so far */
    for (size_t i = 0; i + 1 < n; i++) {
        const seg *g = &segs[i];
        cJSON *next = NULL;
        size_t end = g->key ? (size_t)(g->key + g->key_len - ov->path) : plen;
        if (!g->key) {
            const char *close = strchr(ov->path + plen, ']');
            end = (size_t)(close + 1 - ov->path);
        }
        if (g->key) {
            if (!cJSON_IsObject(cur))
                return ss_json_errf(cx, SS_ESCHEMA, ov->path,
                                    "cannot apply --set: %.*s is %s, not an object", (int)plen,
                                    ov->path, type_noun(cur));
            for (cJSON *c = cur->child; c; c = c->next)
                if (strlen(c->string) == g->key_len && memcmp(c->string, g->key, g->key_len) == 0)
                    next = c;
        } else {
            if (!cJSON_IsArray(cur))
                return ss_json_errf(cx, SS_ESCHEMA, ov->path,
                                    "cannot apply --set: %.*s is %s, not an array", (int)plen,
                                    ov->path, type_noun(cur));
            int sz = cJSON_GetArraySize(cur);
            if (g->index < (size_t)sz)
                next = cJSON_GetArrayItem(cur, (int)g->index);
            else
                return ss_json_errf(cx, SS_ESCHEMA, ov->path,
                                    "cannot apply --set: %.*s does not exist (%.*s has %d "
                                    "element%s)",
                                    (int)end, ov->path, (int)plen, ov->path, sz, sz == 1 ? "" : "s");
        }
        if (!next)
            return ss_json_errf(cx, SS_ESCHEMA, ov->path, "cannot apply --set: %.*s does not exist",
                                (int)end, ov->path);
        cur = next;
        plen = end;
    }
    const seg *last = &segs[n - 1];
    if (last->key && !cJSON_IsObject(cur))
        return ss_json_errf(cx, SS_ESCHEMA, ov->path, "cannot apply --set: %.*s is %s, not an object",
                            (int)plen, ov->path, type_noun(cur));
    if (!last->key && !cJSON_IsArray(cur))
        return ss_json_errf(cx, SS_ESCHEMA, ov->path, "cannot apply --set: %.*s is %s, not an array",
                            (int)plen, ov->path, type_noun(cur));
    if (!last->key && last->index >= (size_t)cJSON_GetArraySize(cur)) {
        int sz = cJSON_GetArraySize(cur);
        return ss_json_errf(cx, SS_ESCHEMA, ov->path,
                            "cannot apply --set: index %zu is out of range (%.*s has %d element%s)",
                            last->index, (int)plen, ov->path, sz, sz == 1 ? "" : "s");
    }

    cJSON *val;
    ss_status rc = make_value(ov, cx, &val);
    if (rc != SS_OK)
        return rc;
    if (!last->key) {
        /* Array element: the parsed value has no key, as required. */
        cJSON_ReplaceItemViaPointer(cur, cJSON_GetArrayItem(cur, (int)last->index), val);
        return SS_OK;
    }
    /* Set the key ourselves: cJSON 1.7.15's replace-in-object ignores a
     * failed key allocation and would leave a keyless member. */
    char *key = ss_malloc(last->key_len + 1);
    if (!key) {
        cJSON_Delete(val);
        return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
    }
    memcpy(key, last->key, last->key_len);
    key[last->key_len] = '\0';
    val->string = key;
    cJSON *old = NULL;
    for (cJSON *c = cur->child; c; c = c->next)
        if (strcmp(c->string, key) == 0)
            old = c;
    if (old)
        cJSON_ReplaceItemViaPointer(cur, old, val);
    else
        cJSON_AddItemToArray(cur, val); /* appends a keyed member to the object */
    return SS_OK;
}
