/* dset_churn.c - FTA availability presets, churn traces
 * (rules in dset_churn.h). Typical sizes: 9 presets x 8 fits; traces of
 * thousands of events. */
#include "dset_churn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dset_csv.h"
#include "ss_alloc.h"
#include "ss_json.h"

static const char *const family_names[DSET_CHURN_N_FAMILIES] = {"exponential", "weibull",
                                                               "lognormal", "gamma"};
/* Expected parameter names per family (param2 "" = empty). */
static const char *const param_names[DSET_CHURN_N_FAMILIES][2] = {
    {"mean_h", ""},
    {"shape_k", "scale_lambda_h"},
    {"mu_of_ln_hours", "sigma_of_ln_hours"},
    {"shape_k", "scale_theta_h"},
};
static const struct {
    const char *alias, *name;
} aliases[] = {{"planetlab05", "pl05"}};

ss_status dset_churn_family_parse(const char *name, dset_churn_family *out)
{
    for (int f = 0; f < DSET_CHURN_N_FAMILIES; f++)
        if (strcmp(name, family_names[f]) == 0) {
            *out = (dset_churn_family)f;
            return SS_OK;
        }
    return SS_ENOTFOUND;
}

const char *dset_churn_family_name(dset_churn_family f)
{
    return (unsigned)f < DSET_CHURN_N_FAMILIES ? family_names[f] : "?";
}

void dset_churn_fini(dset_churn_table *t)
{
    if (!t)
        return;
    ss_free(t->presets);
    memset(t, 0, sizeof *t);
}

static int cmp_preset(const void *a, const void *b)
{
    return strcmp(((const dset_churn_preset *)a)->name, ((const dset_churn_preset *)b)->name);
}

ss_status dset_churn_load(const char *path, dset_churn_table *out, char *err, size_t errlen)
{
    static const char *const header[] = {"fta_dataset",    "system",         "phase",
                                         "distribution",   "param1_name",    "param1",
                                         "param2_name",    "param2",         "implied_mean_h",
                                         "implied_median_h", "opendc_source_file"};
    memset(out, 0, sizeof *out);
    dset_csv c;
    int eof = 0;
    size_t cap = 0;
    ss_status st = dset_csv_open(&c, path, err, errlen);
    if (st != SS_OK)
        return st;
    if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK ||
        (st = dset_csv_expect_header(&c, header, 11, err, errlen)) != SS_OK)
        goto fail;
    for (;;) {
        if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
            goto fail;
        if (eof)
            break;
        if ((st = dset_csv_expect_fields(&c, 11, err, errlen)) != SS_OK)
            goto fail;
        const char *ds = c.fields[0];
        size_t dl = strlen(ds);
        int ok = dl > 0 && dl < DSET_CHURN_NAME_MAX;
        for (size_t i = 0; ok && i < dl; i++)
            ok = (ds[i] >= 'a' && ds[i] <= 'z') || (ds[i] >= 'A' && ds[i] <= 'Z') ||
                 (ds[i] >= '0' && ds[i] <= '9') || ds[i] == '-' || ds[i] == '_';
        if (!ok) {
            st = ss_err(err, errlen, SS_EPARSE,
                        "%s: line %ld: fta_dataset: expected 1..%d characters of [A-Za-z0-9_-], "
                        "got \"%.64s\"",
                        path, c.line, DSET_CHURN_NAME_MAX - 1, ds);
            goto fail;
        }
        int down;
        if (strcmp(c.fields[2], "availability") == 0)
            down = 0;
        else if (strcmp(c.fields[2], "unavailability") == 0)
            down = 1;
        else {
            st = ss_err(err, errlen, SS_EPARSE,
                        "%s: line %ld: phase: expected \"availability\" or \"unavailability\", "
                        "got \"%.64s\"",
                        path, c.line, c.fields[2]);
            goto fail;
        }
        dset_churn_family fam;
        if (dset_churn_family_parse(c.fields[3], &fam) != SS_OK) {
            st = ss_err(err, errlen, SS_EPARSE,
                        "%s: line %ld: distribution: expected exponential, weibull, lognormal or "
                        "gamma, got \"%.64s\"",
                        path, c.line, c.fields[3]);
            goto fail;
        }
        for (int k = 0; k < 2; k++)
            if (strcmp(c.fields[4 + 2 * k], param_names[fam][k]) != 0) {
                st = ss_err(err, errlen, SS_EPARSE,
                            "%s: line %ld: param%d_name: expected \"%s\" for %s, got \"%.64s\"",
                            path, c.line, k + 1, param_names[fam][k], family_names[fam],
                            c.fields[4 + 2 * k]);
                goto fail;
            }
        double p1 = 0, p2 = 0;
        /* Bounds: hours up to ~11 years; a lognormal mu of ln hours in [-20, 20]. */
        if (fam == DSET_CHURN_LOGNORMAL) {
            if ((st = dset_csv_double(&c, 5, "param1", -20, 20, &p1, err, errlen)) != SS_OK)
                goto fail;
        } else if ((st = dset_csv_double(&c, 5, "param1", 1e-6, 1e5, &p1, err, errlen)) != SS_OK)
            goto fail;
        if (fam == DSET_CHURN_EXPONENTIAL) {
            if (c.fields[7][0] != '\0') {
                st = ss_err(err, errlen, SS_EPARSE,
                            "%s: line %ld: param2: expected empty for exponential, got \"%.64s\"",
                            path, c.line, c.fields[7]);
                goto fail;
            }
        } else if ((st = dset_csv_double(&c, 7, "param2", 1e-6, 1e5, &p2, err, errlen)) != SS_OK)
            goto fail;
        /* The implied mean/median columns are derived: not read (tests compare against them). */
        char name[DSET_CHURN_NAME_MAX];
        for (size_t i = 0; i <= dl; i++)
            name[i] = (ds[i] >= 'A' && ds[i] <= 'Z') ? (char)(ds[i] - 'A' + 'a') : ds[i];
        dset_churn_preset *p = NULL;
        for (size_t i = 0; i < out->n; i++)
            if (strcmp(out->presets[i].name, name) == 0)
                p = &out->presets[i];
        if (!p) {
            if (out->n == cap) {
                size_t nc = cap ? 2 * cap : 16;
                if (nc > 4096) {
                    st = ss_err(err, errlen, SS_EFULL, "%s: line %ld: more than 4096 data sets",
                                path, c.line);
                    goto fail;
                }
                dset_churn_preset *np = ss_realloc(out->presets, nc * sizeof *np);
                if (!np) {
                    st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
                    goto fail;
                }
                out->presets = np;
                cap = nc;
            }
            p = &out->presets[out->n++];
            memset(p, 0, sizeof *p);
            memcpy(p->name, name, dl + 1);
            snprintf(p->system, sizeof p->system, "%s", c.fields[1]);
        }
        unsigned *have = down ? &p->have_down : &p->have_up;
        if (*have & (1u << fam)) {
            st = ss_err(err, errlen, SS_ESCHEMA, "%s: line %ld: duplicate %s %s fit for %s", path,
                        c.line, c.fields[2], family_names[fam], ds);
            goto fail;
        }
        *have |= 1u << fam;
        scn_dist d;
        switch (fam) {
        case DSET_CHURN_EXPONENTIAL:
            d = (scn_dist){SCN_DIST_EXPONENTIAL, 3600.0 * p1, 0};
            break;
        case DSET_CHURN_WEIBULL:
            d = (scn_dist){SCN_DIST_WEIBULL, p1, 3600.0 * p2};
            break;
        case DSET_CHURN_LOGNORMAL:
            d = (scn_dist){SCN_DIST_LOGNORMAL, 3600.0 * exp(p1), p2};
            break;
        default:
            d = (scn_dist){SCN_DIST_GAMMA, p1, 3600.0 * p2};
            break;
        }
        (down ? p->down_s : p->up_s)[fam] = d;
    }
    if (out->n == 0) {
        st = ss_err(err, errlen, SS_EPARSE, "%s: line %ld: no fits after the header", path,
                    c.line + 1);
        goto fail;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        for (size_t j = 0; j < out->n; j++)
            if (strcmp(out->presets[j].name, aliases[i].alias) == 0) {
                st = ss_err(err, errlen, SS_ESCHEMA,
                            "%s: data set \"%s\" collides with the built-in alias of \"%s\"",
                            path, aliases[i].alias, aliases[i].name);
                goto fail;
            }
    qsort(out->presets, out->n, sizeof *out->presets, cmp_preset);
    dset_csv_close(&c);
    return SS_OK;
fail:
    dset_csv_close(&c);
    dset_churn_fini(out);
    return st;
}

ss_status dset_churn_find(const dset_churn_table *t, const char *name, dset_churn_family family,
                         scn_dist *up_s, scn_dist *down_s, char *err, size_t errlen)
{
    const char *key = name;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            key = aliases[i].name;
    for (size_t i = 0; i < t->n; i++) {
        const dset_churn_preset *p = &t->presets[i];
        if (strcmp(p->name, key) != 0)
            continue;
        if ((unsigned)family >= DSET_CHURN_N_FAMILIES || !(p->have_up & (1u << family)) ||
            !(p->have_down & (1u << family)))
            return ss_err(err, errlen, SS_ENOTFOUND,
                          "churn preset \"%s\" has no %s fit for both up and down intervals",
                          name, dset_churn_family_name(family));
        *up_s = p->up_s[family];
        *down_s = p->down_s[family];
        return SS_OK;
    }
    /* "unknown churn preset "x" (known: a, b, ...)": names are sorted. */
    char known[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < t->n && used < sizeof known; i++) {
        int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                         t->presets[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return ss_err(err, errlen, SS_ENOTFOUND, "unknown churn preset \"%.64s\" (known: %s)", name,
                  known);
}

/* ---- Churn traces ------------------------------------------------------- */

void dset_churn_trace_fini(dset_churn_trace *t)
{
    if (!t)
        return;
    ss_free(t->events);
    memset(t, 0, sizeof *t);
}

ss_status dset_churn_trace_load(const char *path, const char *const *node_names, size_t n_nodes,
                               dset_churn_trace *out, char *err, size_t errlen)
{
    static const char *const header[] = {"time_s", "node", "state"};
    memset(out, 0, sizeof *out);
    dset_csv c;
    int eof = 0;
    size_t cap = 0;
    int64_t prev = 0;
    /* Per node: last state seen (1 up, 0 down; nodes start up), and whether
     * any event was seen yet. */
    signed char *state = ss_calloc(n_nodes ? n_nodes : 1, 1);
    ss_status st = dset_csv_open(&c, path, err, errlen);
    if (st != SS_OK) {
        ss_free(state);
        return st;
    }
    if (!state) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK ||
        (st = dset_csv_expect_header(&c, header, 3, err, errlen)) != SS_OK)
        goto fail;
    for (;;) {
        if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
            goto fail;
        if (eof)
            break;
        if ((st = dset_csv_expect_fields(&c, 3, err, errlen)) != SS_OK)
            goto fail;
        double ts;
        if ((st = dset_csv_double(&c, 0, "time_s", 0, 9.2e9, &ts, err, errlen)) != SS_OK)
            goto fail;
        int64_t t = (int64_t)llround(ts * 1e9);
        if (out->n > 0 && t < prev) {
            st = ss_err(err, errlen, SS_ERANGE,
                        "%s: line %ld: time_s %s is earlier than the previous event's", path,
                        c.line, c.fields[0]);
            goto fail;
        }
        /* Linear scan: O(n_nodes) per event (documented in the header). */
        size_t k = 0;
        while (k < n_nodes && strcmp(node_names[k], c.fields[1]) != 0)
            k++;
        if (k == n_nodes) {
            const char *best = ss_json_closest(c.fields[1], node_names, n_nodes);
            st = best ? ss_err(err, errlen, SS_ESCHEMA,
                               "%s: line %ld: unknown node \"%.64s\" (did you mean \"%s\"?)",
                               path, c.line, c.fields[1], best)
                      : ss_err(err, errlen, SS_ESCHEMA, "%s: line %ld: unknown node \"%.64s\"",
                               path, c.line, c.fields[1]);
            goto fail;
        }
        int up;
        if (strcmp(c.fields[2], "up") == 0)
            up = 1;
        else if (strcmp(c.fields[2], "down") == 0)
            up = 0;
        else {
            st = ss_err(err, errlen, SS_EPARSE,
                        "%s: line %ld: state: expected \"up\" or \"down\", got \"%.64s\"", path,
                        c.line, c.fields[2]);
            goto fail;
        }
        /* state[k]: 0 no event yet, 1 last was up, -1 last was down. The
         * first event may be either (an initial "up" means down since 0). */
        if ((state[k] == 1 && up) || (state[k] == -1 && !up)) {
            st = ss_err(err, errlen, SS_ESCHEMA, "%s: line %ld: node \"%s\" is already %s", path,
                        c.line, node_names[k], up ? "up" : "down");
            goto fail;
        }
        state[k] = up ? 1 : -1;
        if (out->n == cap) {
            size_t nc = cap ? 2 * cap : 256;
            dset_churn_event *ne = ss_realloc(out->events, nc * sizeof *ne);
            if (!ne) {
                st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            out->events = ne;
            cap = nc;
        }
        out->events[out->n++] = (dset_churn_event){t, (int32_t)k, up};
        prev = t;
    }
    ss_free(state);
    dset_csv_close(&c);
    return SS_OK;
fail:
    ss_free(state);
    dset_csv_close(&c);
    dset_churn_trace_fini(out);
    return st;
}
