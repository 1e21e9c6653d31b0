/* scn_compare.c - the compare block (scn_compare.h): checked by scn_load,
 * turned into a zip sweep for `shardsim compare`. */
#include "scn_compare.h"

#include <stdio.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"
#include "ss_json.h"

/* The block at "compare" of a scenario whose document (without the block)
 * is `root`: see scn_compare.h for the rules. */
ss_status scn_compare_check(const ss_json_ctx *cx, const cJSON *block, const cJSON *root)
{
    static const char *const keys[] = {"variants"}, *const vkeys[] = {"name", "set"};
    const cJSON *vars;
    size_t n, n_paths = 0;
    const char *paths[SCN_SWEEP_MAX_AXES];
    char path[512], sp[512], name[SCN_NAME_MAX], got[96];
    ss_status rc;
    if (!cJSON_IsObject(block)) {
        ss_json_describe(block, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, "compare",
                            "expected an object {\"variants\": [...]}, got %s", got);
    }
    if ((rc = ss_json_check_keys(cx, block, "compare", keys, 1)))
        return rc;
    vars = ss_json_find(block, "variants");
    if (cJSON_IsArray(vars) && !vars->child)
        return ss_json_errf(cx, SS_ESCHEMA, "compare.variants",
                            "no variants: expected 1 to %d variants {\"name\": ..., \"set\": "
                            "{...}}, the first the one the others are compared with",
                            SCN_COMPARE_MAX_VARIANTS);
    if ((rc = ss_json_get_array(cx, block, "compare", "variants", SS_JSON_REQUIRED, 1,
                                SCN_COMPARE_MAX_VARIANTS, &vars, &n)))
        return rc;
    size_t i = 0;
    for (const cJSON *v = vars->child; v; v = v->next, i++) {
        const cJSON *set;
        ss_json_path_index(path, sizeof path, "compare.variants", i);
        if (!cJSON_IsObject(v)) {
            ss_json_describe(v, got, sizeof got);
            return ss_json_errf(cx, SS_ESCHEMA, path,
                                "expected a variant {\"name\": ..., \"set\": {...}}, got %s", got);
        }
        if ((rc = ss_json_check_keys(cx, v, path, vkeys, 2)) ||
            (rc = ss_json_get_string(cx, v, path, "name", SS_JSON_REQUIRED, name, sizeof name)) ||
            (rc = ss_json_get_object(cx, v, path, "set", SS_JSON_OPTIONAL, &set)))
            return rc;
        size_t j = 0;
        for (const cJSON *w = vars->child; j < i; w = w->next, j++)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(w, "name")->valuestring, name))
                return ss_json_errf(cx, SS_ESCHEMA, path, "duplicate variant name \"%s\" (as "
                                    "compare.variants[%zu])", name, j);
        ss_json_path_key(sp, sizeof sp, path, "set");
        for (const cJSON *o = set ? set->child : NULL; o; o = o->next) {
            int malformed;
            char op[512];
            ss_json_path_key(op, sizeof op, sp, o->string);
            if (!scn_override_lookup(root, o->string, &malformed))
                return ss_json_errf(cx, SS_ESCHEMA, op,
                                    malformed ? "expected a path like a.b[0].c (--set syntax), "
                                                "got \"%.200s\""
                                              : "path \"%.200s\" does not exist in the scenario "
                                                "(write the key into the scenario first)",
                                    o->string);
            size_t k = 0;
            while (k < n_paths && strcmp(paths[k], o->string))
                k++;
            if (k == n_paths && n_paths == SCN_SWEEP_MAX_AXES)
                return ss_json_errf(cx, SS_ERANGE, op, "expected at most %d distinct paths over "
                                    "all variants, got more", SCN_SWEEP_MAX_AXES);
            if (k == n_paths)
                paths[n_paths++] = o->string;
        }
    }
    return SS_OK;
}

/* ss_strdup of a cJSON-printed buffer (cJSON's allocator may differ in tests). */
static char *print_dup(const cJSON *v)
{
    char *p = cJSON_PrintUnformatted(v);
    if (!p)
        return NULL;
    char *c = ss_strdup(p);
    cJSON_free(p);
    return c;
}

/* The union of the variants' paths as axes, each with one value per
 * variant (its own, or the scenario's). */
static ss_status build_axes(scn_sweep *sw, const cJSON *vars, size_t n_vars, const cJSON *root)
{
    const cJSON *paths[SCN_SWEEP_MAX_AXES];
    size_t n = 0;
    for (const cJSON *v = vars->child; v; v = v->next)
        for (const cJSON *o = cJSON_GetObjectItemCaseSensitive(v, "set") ?
                                  cJSON_GetObjectItemCaseSensitive(v, "set")->child : NULL;
             o; o = o->next) {
            size_t k = 0;
            while (k < n && strcmp(paths[k]->string, o->string))
                k++;
            if (k == n)
                paths[n++] = o; /* scn_compare_check bounds n */
        }
    if (n && !(sw->axes = ss_calloc(n, sizeof *sw->axes)))
        return SS_ENOMEM;
    for (size_t a = 0; a < n; a++, sw->n_axes++) {
        scn_sweep_axis *ax = &sw->axes[a];
        int malformed;
        if (!(ax->path = ss_strdup(paths[a]->string)) ||
            !(ax->values = ss_calloc(n_vars, sizeof *ax->values)))
            return SS_ENOMEM;
        ax->n_values = n_vars;
        size_t i = 0;
        for (const cJSON *v = vars->child; v; v = v->next, i++) {
            const cJSON *own = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(v, "set"), ax->path);
            const cJSON *val = own ? own : scn_override_lookup(root, ax->path, &malformed);
            if (!(ax->values[i] = print_dup(val)))
                return SS_ENOMEM;
        }
    }
    return SS_OK;
}

/* spec_json {"mode":"zip","axes":{path:[values]}} and paths_json, as
 * scn_sweep_load makes them. */
static ss_status build_spec(scn_sweep *sw)
{
    cJSON *spec = cJSON_CreateObject(), *axes = cJSON_CreateObject(),
          *paths = cJSON_CreateArray();
    ss_status rc = SS_ENOMEM;
    if (!spec || !axes || !paths || !cJSON_AddStringToObject(spec, "mode", "zip") ||
        !cJSON_AddItemToObject(spec, "axes", axes))
        goto out;
    axes = NULL;
    for (size_t a = 0; a < sw->n_axes; a++) {
        cJSON *vals = cJSON_AddArrayToObject(cJSON_GetObjectItem(spec, "axes"), sw->axes[a].path);
        cJSON *p = cJSON_CreateString(sw->axes[a].path);
        if (!vals || !p || !cJSON_AddItemToArray(paths, p))
            goto out;
        for (size_t i = 0; i < sw->axes[a].n_values; i++) {
            cJSON *x = cJSON_Parse(sw->axes[a].values[i]);
            if (!x || !cJSON_AddItemToArray(vals, x))
                goto out;
        }
    }
    if ((sw->spec_json = print_dup(spec)) && (sw->paths_json = print_dup(paths)))
        rc = SS_OK;
out:
    cJSON_Delete(spec);
    cJSON_Delete(axes);
    cJSON_Delete(paths);
    return rc;
}

static ss_status build(scn_compare *c, const char *path, size_t n_seeds, const cJSON *root,
                       const cJSON *vars)
{
    scn_sweep *sw = &c->sweep;
    size_t n = (size_t)cJSON_GetArraySize(vars), i = 0;
    if (!(c->names = ss_calloc(n, sizeof *c->names)) ||
        !(sw->seeds = ss_calloc(n_seeds, sizeof *sw->seeds)))
        return SS_ENOMEM;
    for (const cJSON *v = vars->child; v; v = v->next, i++)
        snprintf(c->names[i], sizeof c->names[i], "%s",
                 cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring);
    c->n_variants = n;
    for (size_t k = 0; k < n_seeds; k++)
        sw->seeds[k] = k + 1;
    sw->n_seeds = n_seeds;
    sw->mode = SCN_SWEEP_ZIP;
    sw->n_combos = n;
    sw->n_points = n * n_seeds;
    snprintf(sw->name, sizeof sw->name, "compare-%.54s", c->scenario_name);
    snprintf(sw->source_path, sizeof sw->source_path, "%s", path);
    snprintf(sw->base_label, sizeof sw->base_label, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(sw->base_dir, sizeof sw->base_dir, "%.*s", (int)(slash - path + 1), path);
    ss_status rc = build_axes(sw, vars, n, root);
    return rc ? rc : build_spec(sw);
}

ss_status scn_compare_load(const char *path, size_t n_seeds, scn_compare *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n_seeds < 1 || n_seeds > SCN_SWEEP_MAX_SEEDS)
        return ss_err(err, errlen, SS_ERANGE, "%s: expected 1 to %d seeds, got %zu", path,
                      SCN_SWEEP_MAX_SEEDS, n_seeds);
    scn_scenario s;
    ss_status rc = scn_load(path, NULL, 0, &s, err, errlen); /* the whole file, block included */
    if (rc != SS_OK)
        return rc;
    snprintf(out->scenario_name, sizeof out->scenario_name, "%s", s.name);
    scn_scenario_fini(&s);
    size_t len;
    cJSON *root = NULL;
    if ((rc = ss_json_read_file(path, &out->sweep.base_json, &len, err, errlen)) ||
        (rc = ss_json_parse(path, out->sweep.base_json, len, &root, err, errlen)))
        goto fail;
    const cJSON *block = ss_json_find(root, "compare");
    if (!block) {
        rc = ss_err(err, errlen, SS_ESCHEMA, "%s: compare: expected a \"compare\" block "
                    "{\"variants\": [{\"name\": ..., \"set\": {\"json.path\": value}}, ...]} "
                    "(scenarios/README.md), found none", path);
        goto fail;
    }
    cJSON *cmp = cJSON_DetachItemFromObjectCaseSensitive(root, "compare");
    rc = build(out, path, n_seeds, root, ss_json_find(cmp, "variants"));
    cJSON_Delete(cmp);
    if (rc == SS_ENOMEM)
        ss_err(err, errlen, rc, "%s: out of memory", path);
fail:
    cJSON_Delete(root);
    if (rc != SS_OK)
        scn_compare_fini(out);
    return rc;
}

void scn_compare_fini(scn_compare *c)
{
    if (!c)
        return;
    scn_sweep_fini(&c->sweep);
    ss_free(c->names);
    memset(c, 0, sizeof *c);
}
