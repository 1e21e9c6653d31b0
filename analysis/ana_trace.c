/* ana_trace.c - Chrome trace of a stored run's event record (ana_trace.h),
 * rendered from the report model. */
#include "ana_trace.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ana_file_int.h"
#include "ana_report_model.h"
#include "ss_alloc.h"

#define TID_COMPUTE 1
#define TID_INBOUND 2
#define TID_SEND 100

typedef struct tracer {
    FILE *f;
    const ana_report_model *m;
    int first;               /* no event written yet */
    double *send_free;       /* (n_nodes + 1) * slots: when each send slot frees up */
    int slots;               /* send slots per process */
    double *kv;              /* (n_nodes) KV bytes held now */
} tracer;

static int pid_of(int node) { return node + 1; }
static double us(double s) { return s * 1e6; }

static void json_str(FILE *f, const char *s) { ana_file_json_string(f, s ? s : ""); }

static void sep(tracer *t)
{
    fputs(t->first ? "\n" : ",\n", t->f);
    t->first = 0;
}

static void meta(tracer *t, const char *what, int pid, int tid, const char *name)
{
    sep(t);
    fprintf(t->f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":0,\"args\":{\"name\":",
            what, pid, tid);
    json_str(t->f, name);
    fputs("}}", t->f);
}

static void processes(tracer *t)
{
    char name[200];
    meta(t, "process_name", 0, 0, "client");
    meta(t, "thread_name", 0, TID_INBOUND, "inbound");
    meta(t, "thread_name", 0, 0, "requests");
    for (size_t i = 0; i < t->m->n_nodes; i++) {
        const ana_rm_node *d = &t->m->nodes[i];
        snprintf(name, sizeof name, "node %d %s", d->id, d->name ? d->name : "");
        meta(t, "process_name", pid_of(d->id), 0, name);
        meta(t, "thread_name", pid_of(d->id), TID_COMPUTE, "compute");
        meta(t, "thread_name", pid_of(d->id), TID_INBOUND, "inbound");
    }
}

/* The lowest send slot of process `node` free at t0, now busy until t1. */
static int send_slot(tracer *t, int node, double t0, double t1)
{
    double *fr = t->send_free + (size_t)(node + 1) * (size_t)t->slots;
    int k = 0;
    while (k < t->slots - 1 && fr[k] > t0)
        k++;
    fr[k] = fr[k] > t1 ? fr[k] : t1; /* the last slot takes any overflow */
    return k;
}

static void compute_slice(tracer *t, size_t i)
{
    const ana_rm_hop *h = &t->m->hops[i];
    sep(t);
    fprintf(t->f, "{\"ph\":\"X\",\"cat\":\"compute\",\"name\":\"batch\",\"pid\":%d,\"tid\":%d,"
            "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"requests\":[", pid_of(h->node), TID_COMPUTE,
            us(h->t_start), us(h->t_end - h->t_start));
    /* the batch's members: compute rows of this node with the same interval */
    int n = 0;
    for (size_t j = i; j < t->m->n_hops && t->m->hops[j].t_start == h->t_start; j++) {
        const ana_rm_hop *o = &t->m->hops[j];
        if (o->node == h->node && o->t_end == h->t_end && strcmp(o->phase, "compute") == 0)
            fprintf(t->f, "%s%" PRId64, n++ ? "," : "", o->request_id);
    }
    fputs("]}}", t->f);
}

static void hop_event(tracer *t, size_t i, double *last_start, double *last_end)
{
    const ana_rm_hop *h = &t->m->hops[i];
    if (strcmp(h->phase, "compute") == 0) {
        /* one slice per batch: members share node and interval */
        double *ls = &last_start[h->node], *le = &last_end[h->node];
        if (*ls == h->t_start && *le == h->t_end)
            return;
        *ls = h->t_start;
        *le = h->t_end;
        compute_slice(t, i);
    } else if (strcmp(h->phase, "replay") == 0) {
        sep(t);
        fprintf(t->f, "{\"ph\":\"X\",\"cat\":\"replay\",\"name\":\"replay r%" PRId64 "\",\"pid\":%d,"
                "\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"request\":%" PRId64 "}}",
                h->request_id, pid_of(h->node), TID_COMPUTE, us(h->t_start),
                us(h->t_end - h->t_start), h->request_id);
    } else if (strcmp(h->phase, "transfer") == 0) {
        int k = send_slot(t, h->node, h->t_start, h->t_end);
        sep(t);
        fprintf(t->f, "{\"ph\":\"X\",\"cat\":\"transfer\",\"name\":\"r%" PRId64 " p%d h%d\","
                "\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"request\":%" PRId64
                ",\"bytes\":%" PRId64 ",\"to\":%d}}", h->request_id, h->pass, h->hop,
                pid_of(h->node), TID_SEND + k, us(h->t_start), us(h->t_end - h->t_start),
                h->request_id, h->bytes, h->dst);
        sep(t);
        fprintf(t->f, "{\"ph\":\"s\",\"cat\":\"transfer\",\"name\":\"transfer\",\"id\":%zu,"
                "\"pid\":%d,\"tid\":%d,\"ts\":%.3f}", i, pid_of(h->node), TID_SEND + k,
                us(h->t_start));
        sep(t);
        fprintf(t->f, "{\"ph\":\"X\",\"cat\":\"transfer\",\"name\":\"recv r%" PRId64 "\",\"pid\":%d,"
                "\"tid\":%d,\"ts\":%.3f,\"dur\":0}", h->request_id, pid_of(h->dst), TID_INBOUND,
                us(h->t_end));
        sep(t);
        fprintf(t->f, "{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"transfer\",\"name\":\"transfer\","
                "\"id\":%zu,\"pid\":%d,\"tid\":%d,\"ts\":%.3f}", i, pid_of(h->dst), TID_INBOUND,
                us(h->t_end));
    }
}

static void node_event(tracer *t, const ana_rm_node_event *e)
{
    int kv = strncmp(e->kind, "kv_", 3) == 0;
    if (!kv || strcmp(e->kind, "down") == 0) {
        sep(t);
        fprintf(t->f, "{\"ph\":\"i\",\"s\":\"p\",\"cat\":\"node\",\"name\":\"%s\",\"pid\":%d,"
                "\"tid\":%d,\"ts\":%.3f}", e->kind, pid_of(e->node), TID_COMPUTE, us(e->t));
    }
    if (e->node < 0 || (size_t)e->node >= t->m->n_nodes)
        return;
    double *held = &t->kv[e->node];
    if (strcmp(e->kind, "kv_reserve") == 0)
        *held += (double)e->bytes;
    else if (strcmp(e->kind, "kv_release") == 0)
        *held -= (double)e->bytes;
    else if (strcmp(e->kind, "down") == 0)
        *held = 0; /* the node's caches are gone */
    else
        return;
    sep(t);
    fprintf(t->f, "{\"ph\":\"C\",\"name\":\"kv_bytes\",\"pid\":%d,\"tid\":0,\"ts\":%.3f,"
            "\"args\":{\"bytes\":%.0f}}", pid_of(e->node), us(e->t), *held > 0 ? *held : 0);
}

/* Each request's lifetime as an async slice on the client. */
static ss_status requests(tracer *t)
{
    const ana_report_model *m = t->m;
    double *last = ss_calloc(m->n_requests_rows ? m->n_requests_rows : 1, sizeof *last);
    if (!last)
        return SS_ENOMEM;
    for (size_t i = 0; i < m->n_hops; i++) {
        int64_t r = m->hops[i].request_id;
        if (r >= 0 && (size_t)r < m->n_requests_rows && m->hops[i].t_end > last[r])
            last[r] = m->hops[i].t_end;
    }
    for (size_t i = 0; i < m->n_requests_rows; i++) {
        const ana_rm_request *q = &m->requests[i];
        double end = !isnan(q->finish_s) ? q->finish_s : last[i] > q->arrival_s ? last[i]
                                                                                 : q->arrival_s;
        sep(t);
        fprintf(t->f, "{\"ph\":\"b\",\"cat\":\"request\",\"name\":\"request %" PRId64 "\",\"id\":%"
                PRId64 ",\"pid\":0,\"tid\":0,\"ts\":%.3f,\"args\":{\"status\":", q->id, q->id,
                us(q->arrival_s));
        json_str(t->f, q->status);
        fprintf(t->f, ",\"tokens\":%d,\"retries\":%d}}", q->tokens_done, q->retries);
        sep(t);
        fprintf(t->f, "{\"ph\":\"e\",\"cat\":\"request\",\"name\":\"request %" PRId64 "\",\"id\":%"
                PRId64 ",\"pid\":0,\"tid\":0,\"ts\":%.3f}", q->id, q->id, us(end));
    }
    ss_free(last);
    return SS_OK;
}

static ss_status render(tracer *t)
{
    const ana_report_model *m = t->m;
    size_t nn = m->n_nodes + 1;
    double *ls = ss_malloc_array(nn, sizeof *ls), *le = ss_malloc_array(nn, sizeof *le);
    t->slots = 64;
    t->send_free = ss_calloc((nn + 1) * (size_t)t->slots, sizeof *t->send_free);
    t->kv = ss_calloc(nn, sizeof *t->kv);
    ss_status s = ls && le && t->send_free && t->kv ? SS_OK : SS_ENOMEM;
    for (size_t i = 0; s == SS_OK && i < nn; i++)
        ls[i] = le[i] = -1;
    if (s == SS_OK) {
        fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"run\":", t->f);
        fprintf(t->f, "%" PRId64 ",\"scenario\":", m->run_id);
        json_str(t->f, m->scenario_name);
        fputs("},\"traceEvents\":[", t->f);
        processes(t);
        for (size_t i = 0; i < m->n_hops; i++)
            hop_event(t, i, ls, le);
        for (size_t i = 0; i < m->n_node_events; i++)
            node_event(t, &m->node_events[i]);
        s = requests(t);
        fputs("\n]}\n", t->f);
    }
    ss_free(ls);
    ss_free(le);
    ss_free(t->send_free);
    ss_free(t->kv);
    return s;
}

ss_status ana_trace_write(const char *db_path, int64_t run_id, const char *path,
                          ana_trace_stage *stage, char *err, size_t errlen)
{
    ana_trace_stage dummy;
    stage = stage ? stage : &dummy;
    *stage = ANA_TRACE_STAGE_DB;
    if (!db_path || !path || !*path || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "export: NULL path or negative run id");
    ana_report_model *m = NULL;
    ss_status s = ana_report_load(db_path, run_id, ANA_RM_ALL, &m, err, errlen);
    if (s != SS_OK)
        return s;
    if (strcmp(m->record_level, "hops") != 0 && strcmp(m->record_level, "all") != 0) {
        s = ss_err(err, errlen, SS_EUNSUPPORTED, "%s: run %" PRId64 " was recorded at level \"%s\":"
                   " a trace needs record.level \"hops\" or \"all\"", db_path, m->run_id,
                   m->record_level);
        ana_report_model_free(m);
        return s;
    }
    *stage = ANA_TRACE_STAGE_OUTPUT;
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
    ana_file af;
    s = c_loc ? ana_file_open(&af, path, err, errlen)
              : ss_err(err, errlen, SS_ENOMEM, "export: cannot create the C locale");
    if (s == SS_OK) {
        tracer t = {.f = af.f, .m = m, .first = 1};
        s = render(&t);
        if (s == SS_OK) {
            s = ana_file_commit(&af, err, errlen);
        } else {
            ss_err(err, errlen, s, "%s: out of memory writing the trace", path);
            ana_file_abort(&af);
        }
    }
    if (c_loc) {
        uselocale(old);
        freelocale(c_loc);
    }
    ana_report_model_free(m);
    return s;
}
