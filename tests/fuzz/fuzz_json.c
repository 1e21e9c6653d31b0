/* fuzz_json.c - the strict JSON layer (base/ss_json.h) on arbitrary bytes.
 * Parses with an explicit length (the buffer is not NUL-terminated, so a
 * read past it is an ASan report), then walks the tree through the typed
 * getters and ss_json_describe, which every loader's messages use. */
#include <string.h>

#include "fuzz_util.h"
#include "ss_alloc.h"
#include "ss_json.h"

static void walk(const ss_json_ctx *cx, const cJSON *v, const char *path, int depth)
{
    char desc[96], child[256];
    ss_json_describe(v, desc, sizeof desc);
    fuzz_check(strlen(desc) < sizeof desc, "describe overran");
    double d;
    int64_t i;
    char s[64];
    int b;
    const ss_json_num_rule any = {-1e300, 1e300, 0, 0, NULL};
    (void)ss_json_number(cx, v, path, &any, &d);
    (void)ss_json_int(cx, v, path, INT64_MIN, INT64_MAX, &i);
    (void)ss_json_string(cx, v, path, 1, s, sizeof s);
    (void)ss_json_bool(cx, v, path, &b);
    size_t k = 0;
    for (const cJSON *c = v->child; c; c = c->next, k++) {
        if (cJSON_IsObject(v)) {
            fuzz_check(c->string != NULL, "object member without a key");
            ss_json_path_key(child, sizeof child, path, c->string);
            fuzz_check(ss_json_find(v, c->string) == c, "keys are unique, lookup is exact");
        } else {
            ss_json_path_index(child, sizeof child, path, k);
        }
        fuzz_check(depth < SS_JSON_MAX_DEPTH, "nesting beyond the limit was accepted");
        walk(cx, c, child, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = NULL;
    char err[512];
    ss_status st = ss_json_parse("fuzz.json", (const char *)data, size, &root, err, sizeof err);
    fuzz_note("json", st == SS_OK ? "accepted" : err);
    if (st != SS_OK) {
        fuzz_check(root == NULL, "a failed parse returned a tree");
        fuzz_check(err[0] != '\0', "a rejection without a message");
        return 0;
    }
    ss_json_ctx cx = {"fuzz.json", err, sizeof err};
    walk(&cx, root, "", 1);
    cJSON_Delete(root);
    return 0;
}
