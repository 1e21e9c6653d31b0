/* exp_petals_table.c - the Petals setups with a fitted profile
 * (exp_petals_table.h). */
#include "exp_petals_table.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "exp_int.h"
#include "ss_alloc.h"
#include "ss_json.h"

#define PT_SET_MAX 32

/* One setup as the file gives it. */
typedef struct pt_setup {
    char name[64], table[16], base[EXP_PATH_MAX];
    int64_t clients, len[2], seeds;
    int n_set;
    char set[PT_SET_MAX][256];
} pt_setup;

static ss_status parse_lengths(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                               int64_t len[2])
{
    const cJSON *a = ss_json_find(obj, "lengths");
    char p[256], q[300];
    ss_json_path_key(p, sizeof p, path, "lengths");
    if (!a)
        return SS_OK;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2)
        return ss_json_errf(cx, SS_ESCHEMA, p, "expected an array of two sequence lengths");
    for (int i = 0; i < 2; i++) {
        ss_json_path_index(q, sizeof q, p, (size_t)i);
        ss_status st = ss_json_int(cx, cJSON_GetArrayItem(a, i), q, 3, 1048576, &len[i]);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

static ss_status parse_setup(const ss_json_ctx *cx, const cJSON *e, const char *path,
                             const char *dir, pt_setup *u)
{
    static const char *const keys[] = {"name", "table", "base", "clients", "set", "lengths",
                                       "seeds"};
    char base[EXP_PATH_MAX], p[300];
    ss_status st = ss_json_check_keys(cx, e, path, keys, sizeof keys / sizeof keys[0]);
    u->clients = 1;
    u->seeds = 1;
    if (st == SS_OK)
        st = ss_json_get_string(cx, e, path, "name", SS_JSON_REQUIRED, u->name, sizeof u->name);
    if (st == SS_OK)
        st = ss_json_get_string(cx, e, path, "table", SS_JSON_REQUIRED, u->table, sizeof u->table);
    if (st == SS_OK)
        st = ss_json_get_string(cx, e, path, "base", SS_JSON_REQUIRED, base, sizeof base);
    if (st == SS_OK)
        st = ss_json_get_int(cx, e, path, "clients", SS_JSON_OPTIONAL, 1, 1000, &u->clients);
    if (st == SS_OK)
        st = ss_json_get_int(cx, e, path, "seeds", SS_JSON_OPTIONAL, 1, 1000, &u->seeds);
    if (st == SS_OK)
        st = parse_lengths(cx, e, path, u->len);
    if (st == SS_OK)
        st = exp_join(u->base, dir, base, cx->err, cx->errlen);
    const cJSON *set = ss_json_find(e, "set");
    ss_json_path_key(p, sizeof p, path, "set");
    if (st == SS_OK && set && (!cJSON_IsArray(set) || cJSON_GetArraySize(set) > PT_SET_MAX))
        return ss_json_errf(cx, SS_ESCHEMA, p, "expected an array of at most %d \"PATH=VALUE\"",
                            PT_SET_MAX);
    for (int i = 0; st == SS_OK && set && i < cJSON_GetArraySize(set); i++) {
        char q[320];
        ss_json_path_index(q, sizeof q, p, (size_t)i);
        st = ss_json_string(cx, cJSON_GetArrayItem(set, i), q, 0, u->set[i], sizeof u->set[i]);
        if (st == SS_OK && !strchr(u->set[i], '='))
            st = ss_json_errf(cx, SS_ESCHEMA, q, "expected \"PATH=VALUE\"");
        u->n_set = i + 1;
    }
    return st;
}

/* The folder of `file` ("." without one). */
static void dir_of(const char *file, char *dir, size_t cap)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        snprintf(dir, cap, ".");
    else
        snprintf(dir, cap, "%.*s", (int)(slash - file), file);
}

static ss_status parse_file(const char *file, cJSON *doc, pt_setup **out, int *n,
                            char *profile, char *err, size_t errlen)
{
    static const char *const keys[] = {"version", "profile", "lengths", "setups"};
    ss_json_ctx cx = {.file = file, .err = err, .errlen = errlen};
    char dir[EXP_PATH_MAX], prof[EXP_PATH_MAX] = "";
    int64_t version = 0, len[2] = {128, 2048};
    dir_of(file, dir, sizeof dir);
    ss_status st = ss_json_check_keys(&cx, doc, "", keys, sizeof keys / sizeof keys[0]);
    if (st == SS_OK)
        st = ss_json_get_int(&cx, doc, "", "version", SS_JSON_REQUIRED, 1, 1, &version);
    if (st == SS_OK)
        st = ss_json_get_string(&cx, doc, "", "profile", SS_JSON_OPTIONAL, prof, sizeof prof);
    if (st == SS_OK && prof[0])
        st = exp_join(profile, dir, prof, err, errlen);
    if (st == SS_OK)
        st = parse_lengths(&cx, doc, "", len);
    const cJSON *a = ss_json_find(doc, "setups");
    if (st == SS_OK && (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1))
        return ss_json_errf(&cx, SS_ESCHEMA, "setups", "expected a non-empty array of setups");
    if (st != SS_OK)
        return st;
    *n = cJSON_GetArraySize(a);
    *out = ss_calloc((size_t)*n, sizeof **out);
    if (!*out)
        return SS_ENOMEM;
    for (int i = 0; st == SS_OK && i < *n; i++) {
        char p[64];
        ss_json_path_index(p, sizeof p, "setups", (size_t)i);
        (*out)[i].len[0] = len[0];
        (*out)[i].len[1] = len[1];
        st = parse_setup(&cx, cJSON_GetArrayItem(a, i), p, dir, &(*out)[i]);
    }
    return st;
}

/* Load a setup's scenario: its base, its overrides, the sequential
 * workload (clients users, a 1-token prompt, len - 1 steps), the profile. */
static ss_status load_setup(const pt_setup *u, int64_t len, uint64_t seed, const char *profile,
                            scn_scenario *s, char *err, size_t errlen)
{
    scn_override ov[PT_SET_MAX + 4];
    char vals[PT_SET_MAX][256], users[32], outs[32];
    size_t n = 0;
    for (int i = 0; i < u->n_set; i++, n++) {
        memcpy(vals[i], u->set[i], sizeof vals[i]);
        char *eq = strchr(vals[i], '=');
        *eq = 0;
        ov[n] = (scn_override){vals[i], eq + 1};
    }
    snprintf(users, sizeof users, "%lld", (long long)u->clients);
    snprintf(outs, sizeof outs, "%lld", (long long)(len - 1));
    ov[n++] = (scn_override){"workload.arrivals.closed.users", users};
    ov[n++] = (scn_override){"workload.n_requests", users};
    ov[n++] = (scn_override){"workload.prompt_tokens", "1"};
    ov[n++] = (scn_override){"workload.output_tokens", outs};
    ss_status st = exp_load(u->base, ov, n, &seed, s, err, errlen);
    if (st == SS_OK && profile[0] && (st = exp_profile_apply(s, profile, err, errlen)) != SS_OK)
        scn_scenario_fini(s);
    return st;
}

/* Sequential inference at length len, averaged over seeds 1..u->seeds
 * (failures are random: network.transfer_failure_p); the forward pass of
 * `shape` measured on seed 1's scenario. */
static ss_status run_length(const pt_setup *u, int64_t len, const int shape[2],
                            const char *profile, const exp_run_opts *o, exp_step_parts *avg,
                            double *fwd, char *err, size_t errlen)
{
    ss_status st = SS_OK;
    memset(avg, 0, sizeof *avg);
    for (int64_t sd = 1; st == SS_OK && sd <= u->seeds; sd++) {
        scn_scenario s;
        exp_step_parts p;
        if ((st = load_setup(u, len, (uint64_t)sd, profile, &s, err, errlen)) != SS_OK)
            break;
        st = exp_measure_steps(&s, o, &p, err, errlen);
        if (st == SS_OK && sd == 1)
            st = exp_measure_forward(&s, o, shape[0], shape[1], (int)u->clients, fwd, err,
                                     errlen);
        scn_scenario_fini(&s);
        double k = (double)u->seeds;
        avg->clients = p.clients;
        avg->failed += p.failed;
        avg->steps_per_s += p.steps_per_s / k;
        avg->step_s += p.step_s / k;
        avg->client_s += p.client_s / k;
        avg->server_s += p.server_s / k;
        avg->network_s += p.network_s / k;
        avg->queue_s += p.queue_s / k;
    }
    return st;
}

static ss_status run_setup(const pt_setup *u, const char *profile, const exp_run_opts *o,
                           exp_pt_row *r, char *err, size_t errlen)
{
    static const int shape[2][2] = {{1, 128}, {64, 128}};
    snprintf(r->setup, sizeof r->setup, "%s", u->name);
    snprintf(r->table, sizeof r->table, "%s", u->table);
    r->clients = (int)u->clients;
    ss_status st = SS_OK;
    for (int k = 0; st == SS_OK && k < 2; k++) {
        exp_step_parts parts;
        r->len[k] = (int)u->len[k];
        st = run_length(u, u->len[k], shape[k], profile, o, &parts, &r->fwd_tokens_per_s[k], err,
                        errlen);
        r->steps_per_s[k] = parts.steps_per_s;
        r->failed[k] = parts.failed;
        if (k == 0)
            r->step = parts;
    }
    return st;
}

ss_status exp_petals_table(const exp_pt_opts *o, exp_pt_row **rows, int *n, char *err,
                           size_t errlen)
{
    exp_dirs d;
    char file[EXP_PATH_MAX], profile[EXP_PATH_MAX] = "";
    ss_status st = exp_dirs_resolve(&d, err, errlen);
    *rows = NULL;
    *n = 0;
    if (st == SS_OK && o->setups)
        snprintf(file, sizeof file, "%s", o->setups);
    else if (st == SS_OK)
        st = exp_join(file, d.home, "scenarios/petals/setups.json", err, errlen);
    cJSON *doc = NULL;
    pt_setup *u = NULL;
    int nu = 0;
    if (st == SS_OK)
        st = ss_json_load_file(file, &doc, err, errlen);
    if (st == SS_OK)
        st = parse_file(file, doc, &u, &nu, profile, err, errlen);
    if (o->profile)
        snprintf(profile, sizeof profile, "%s", o->profile);
    exp_run_opts ro = {.presets_dir = o->presets};
    if (st == SS_OK && !(*rows = ss_calloc((size_t)nu, sizeof **rows)))
        st = SS_ENOMEM;
    for (int i = 0; st == SS_OK && i < nu; i++) {
        if (o->only && !strstr(u[i].name, o->only))
            continue;
        char e2[900];
        st = run_setup(&u[i], profile, &ro, &(*rows)[*n], e2, sizeof e2);
        if (st != SS_OK)
            snprintf(err, errlen, "setup %s: %s", u[i].name, e2);
        else
            (*n)++;
    }
    ss_free(u);
    cJSON_Delete(doc);
    return st;
}

void exp_petals_table_print(FILE *out, const exp_pt_row *rows, int n)
{
    fprintf(out, "%-28s %5s %3s %5s %5s %9s %9s %9s %9s %9s %9s %9s %9s\n", "setup", "table",
            "cl", "len a", "len b", "steps/s a", "steps/s b", "tok/s 1x", "tok/s 64x",
            "client ms", "server ms", "net ms", "queue ms");
    for (int i = 0; i < n; i++) {
        const exp_pt_row *r = &rows[i];
        fprintf(out, "%-28s %5s %3d %5d %5d %9.3f %9.3f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f",
                r->setup, r->table, r->clients, r->len[0], r->len[1], r->steps_per_s[0],
                r->steps_per_s[1], r->fwd_tokens_per_s[0], r->fwd_tokens_per_s[1],
                r->step.client_s * 1e3, r->step.server_s * 1e3, r->step.network_s * 1e3,
                r->step.queue_s * 1e3);
        if (r->failed[0] || r->failed[1])
            fprintf(out, "  (sessions without KV room: %d at a, %d at b)", r->failed[0],
                    r->failed[1]);
        fputc('\n', out);
    }
}

static const char pt_schema[] =
    "CREATE TABLE IF NOT EXISTS petals_table ("
    " setups TEXT NOT NULL, profile TEXT NOT NULL, setup TEXT NOT NULL,"
    " paper_table TEXT NOT NULL, clients INTEGER NOT NULL,"
    " len_a INTEGER NOT NULL, steps_per_s_a REAL NOT NULL,"
    " len_b INTEGER NOT NULL, steps_per_s_b REAL NOT NULL,"
    " failed_a INTEGER NOT NULL, failed_b INTEGER NOT NULL,"
    " fwd_1x128_tokens_per_s REAL NOT NULL, fwd_64x128_tokens_per_s REAL NOT NULL,"
    " step_s REAL NOT NULL, client_s REAL NOT NULL, server_s REAL NOT NULL,"
    " network_s REAL NOT NULL, queue_s REAL NOT NULL, build_id TEXT NOT NULL,"
    " PRIMARY KEY (setups, profile, setup))";

static int pt_insert(sqlite3_stmt *q, const exp_pt_row *r, const char *setups, const char *profile)
{
    int c = 1;
    sqlite3_reset(q);
    sqlite3_bind_text(q, c++, setups, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, c++, profile, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, c++, r->setup, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, c++, r->table, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, c++, r->clients);
    sqlite3_bind_int(q, c++, r->len[0]);
    sqlite3_bind_double(q, c++, r->steps_per_s[0]);
    sqlite3_bind_int(q, c++, r->len[1]);
    sqlite3_bind_double(q, c++, r->steps_per_s[1]);
    sqlite3_bind_int(q, c++, r->failed[0]);
    sqlite3_bind_int(q, c++, r->failed[1]);
    sqlite3_bind_double(q, c++, r->fwd_tokens_per_s[0]);
    sqlite3_bind_double(q, c++, r->fwd_tokens_per_s[1]);
    const double parts[] = {r->step.step_s, r->step.client_s, r->step.server_s,
                            r->step.network_s, r->step.queue_s};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        sqlite3_bind_double(q, c++, parts[i]);
    sqlite3_bind_text(q, c++, exp_build_id(), -1, SQLITE_STATIC);
    return sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

ss_status exp_petals_table_store(ana_db *db, const exp_pt_row *rows, int n, const char *setups,
                                 const char *profile, char *err, size_t errlen)
{
    sqlite3 *h = ana_db_sqlite(db);
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, pt_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h,
                                "INSERT OR REPLACE INTO petals_table VALUES "
                                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &q, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++)
        rc = pt_insert(q, &rows[i], setups, profile);
    sqlite3_finalize(q);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return SS_OK;
    snprintf(err, errlen, "%s: petals_table: %s", ana_db_filename(db), sqlite3_errmsg(h));
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    return sqlite3_errcode(h) == SQLITE_BUSY ? SS_EBUSY
           : sqlite3_errcode(h) == SQLITE_READONLY ? SS_EREADONLY : SS_EDB;
}
