/* model_gguf.c - strict GGUF v2/v3 reader (contract in the header).
 *
 * The file is read whole, then walked with a bounds-checked cursor: every
 * count or length read from the file is compared with the bytes that remain
 * BEFORE anything is allocated or read for it, so a hostile count costs an
 * error message, not memory (the llama.cpp CVE classes of G02-G05).
 */
#include "model_gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_io.h"
#include "ss_alloc.h"

/* ggml type ids 0..GGML_TYPE_COUNT-1 exist (some retired); beyond is invalid. */
#define GGML_TYPE_COUNT 40u
#define GGUF_MAX_NE (1ull << 40)
#define GGUF_MAX_NAME_BYTES 1024u

typedef struct gguf_kv {
    char *key;
    model_gguf_type type;
    model_gguf_type elem;        /* arrays only */
    uint64_t n;                  /* array length; 1 for scalars */
    union {
        uint64_t u;
        int64_t i;
        double f;
    } num;                       /* numeric scalars, sign/zero-extended */
    char *str;                   /* STRING: NUL-terminated copy */
    uint64_t str_len;
    const unsigned char *raw;    /* numeric arrays: n elements in the file buffer */
    char **strs;                 /* string arrays: (n) copies */
    uint64_t *str_lens;          /* (n) */
} gguf_kv;

typedef struct name_idx name_idx;

struct model_gguf {
    char *path;
    unsigned char *buf;          /* whole file */
    uint64_t size;
    uint32_t version, alignment;
    int n_kv;
    gguf_kv *kv;                 /* (n_kv) file order */
    name_idx *kv_sorted;         /* (n_kv) sorted by key */
    int n_tensors;
    model_gguf_tensor *tensors;  /* (n_tensors) file order */
    name_idx *t_sorted;          /* (n_tensors) sorted by name */
};

typedef struct cursor {
    const unsigned char *p;
    uint64_t len, off;
    const char *path;
    char *err;
    size_t errlen;
} cursor;

static ss_status need(cursor *c, uint64_t n, const char *what)
{
    if (n > c->len - c->off)
        return ss_err(c->err, c->errlen, SS_EPARSE,
                      "%s: byte %llu: %s needs %llu bytes, only %llu remain (truncated?)", c->path,
                      (unsigned long long)c->off, what, (unsigned long long)n,
                      (unsigned long long)(c->len - c->off));
    return SS_OK;
}

static ss_status get_u32(cursor *c, uint32_t *v, const char *what)
{
    ss_status s = need(c, 4, what);
    if (s == SS_OK) {
        *v = model_io_le32(c->p + c->off);
        c->off += 4;
    }
    return s;
}

static ss_status get_u64(cursor *c, uint64_t *v, const char *what)
{
    ss_status s = need(c, 8, what);
    if (s == SS_OK) {
        *v = model_io_le64(c->p + c->off);
        c->off += 8;
    }
    return s;
}

/* A string: u64 length then bytes; returns a pointer into the buffer. */
static ss_status get_str(cursor *c, const unsigned char **s, uint64_t *n, const char *what)
{
    uint64_t at = c->off;
    ss_status st = get_u64(c, n, what);
    if (st != SS_OK)
        return st;
    if (*n > MODEL_GGUF_MAX_STRING_BYTES)
        return ss_err(c->err, c->errlen, SS_ERANGE,
                      "%s: byte %llu: %s length %llu exceeds the limit of %u", c->path,
                      (unsigned long long)at, what, (unsigned long long)*n,
                      MODEL_GGUF_MAX_STRING_BYTES);
    if ((st = need(c, *n, what)) != SS_OK)
        return st;
    *s = c->p + c->off;
    c->off += *n;
    return SS_OK;
}

static char *dup_bytes(const unsigned char *s, uint64_t n)
{
    char *d = ss_malloc((size_t)n + 1);
    if (d) {
        memcpy(d, s, (size_t)n);
        d[n] = 0;
    }
    return d;
}

static uint64_t scalar_size(uint32_t t)
{
    switch (t) {
    case MODEL_GGUF_U8: case MODEL_GGUF_I8: case MODEL_GGUF_BOOL: return 1;
    case MODEL_GGUF_U16: case MODEL_GGUF_I16: return 2;
    case MODEL_GGUF_U32: case MODEL_GGUF_I32: case MODEL_GGUF_F32: return 4;
    case MODEL_GGUF_U64: case MODEL_GGUF_I64: case MODEL_GGUF_F64: return 8;
    }
    return 0; /* STRING, ARRAY, unknown */
}

static const char *type_name(uint32_t t)
{
    static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                  "bool", "string", "array", "u64", "i64", "f64"};
    return t <= MODEL_GGUF_F64 ? names[t] : "unknown";
}

/* Decodes a fixed-size scalar at p into kv->num. */
static void decode_num(gguf_kv *kv, uint32_t t, const unsigned char *p)
{
    switch (t) {
    case MODEL_GGUF_U8: case MODEL_GGUF_BOOL: kv->num.u = p[0]; break;
    case MODEL_GGUF_I8: kv->num.i = (int8_t)p[0]; break;
    case MODEL_GGUF_U16: kv->num.u = (uint16_t)(p[0] | p[1] << 8); break;
    case MODEL_GGUF_I16: kv->num.i = (int16_t)(uint16_t)(p[0] | p[1] << 8); break;
    case MODEL_GGUF_U32: kv->num.u = model_io_le32(p); break;
    case MODEL_GGUF_I32: kv->num.i = (int32_t)model_io_le32(p); break;
    case MODEL_GGUF_F32: kv->num.f = model_io_f32_from_bits(model_io_le32(p)); break;
    case MODEL_GGUF_U64: kv->num.u = model_io_le64(p); break;
    case MODEL_GGUF_I64: kv->num.i = (int64_t)model_io_le64(p); break;
    case MODEL_GGUF_F64: {
        union { uint64_t u; double d; } v = {.u = model_io_le64(p)};
        kv->num.f = v.d;
        break;
    }
    }
}

static ss_status parse_kv(cursor *c, gguf_kv *kv)
{
    uint64_t at = c->off;
    const unsigned char *ks;
    uint64_t kn;
    ss_status s = get_str(c, &ks, &kn, "metadata key");
    if (s != SS_OK)
        return s;
    if (kn == 0 || memchr(ks, 0, (size_t)kn))
        return ss_err(c->err, c->errlen, SS_ESCHEMA,
                      "%s: byte %llu: metadata key is empty or holds a NUL byte", c->path,
                      (unsigned long long)at);
    if (!(kv->key = dup_bytes(ks, kn)))
        return ss_err(c->err, c->errlen, SS_ENOMEM, "%s: out of memory", c->path);
    uint32_t t;
    uint64_t tat = c->off;
    if ((s = get_u32(c, &t, "metadata value type")) != SS_OK)
        return s;
    if (t > MODEL_GGUF_F64)
        return ss_err(c->err, c->errlen, SS_ESCHEMA,
                      "%s: byte %llu: key \"%s\": unknown value type %u", c->path,
                      (unsigned long long)tat, kv->key, t);
    kv->type = (model_gguf_type)t;
    kv->n = 1;
    if (t == MODEL_GGUF_STRING) {
        const unsigned char *vs;
        if ((s = get_str(c, &vs, &kv->str_len, "string value")) != SS_OK)
            return s;
        if (!(kv->str = dup_bytes(vs, kv->str_len)))
            return ss_err(c->err, c->errlen, SS_ENOMEM, "%s: out of memory", c->path);
        return SS_OK;
    }
    if (t != MODEL_GGUF_ARRAY) {
        if ((s = need(c, scalar_size(t), "metadata value")) != SS_OK)
            return s;
        decode_num(kv, t, c->p + c->off);
        c->off += scalar_size(t);
        return SS_OK;
    }
    uint32_t et;
    uint64_t eat = c->off;
    if ((s = get_u32(c, &et, "array element type")) != SS_OK)
        return s;
    if (et == MODEL_GGUF_ARRAY || et > MODEL_GGUF_F64)
        return ss_err(c->err, c->errlen, SS_ESCHEMA,
                      "%s: byte %llu: key \"%s\": array element type %u (%s) not allowed", c->path,
                      (unsigned long long)eat, kv->key, et,
                      et == MODEL_GGUF_ARRAY ? "nested array" : "unknown");
    kv->elem = (model_gguf_type)et;
    uint64_t nat = c->off;
    if ((s = get_u64(c, &kv->n, "array length")) != SS_OK)
        return s;
    /* each element takes at least its fixed size (8 for a string's length) */
    uint64_t min_each = et == MODEL_GGUF_STRING ? 8 : scalar_size(et), total;
    if (__builtin_mul_overflow(kv->n, min_each, &total) || total > c->len - c->off)
        return ss_err(c->err, c->errlen, SS_ERANGE,
                      "%s: byte %llu: key \"%s\": array of %llu %s elements does not fit in the "
                      "%llu remaining bytes", c->path, (unsigned long long)nat, kv->key,
                      (unsigned long long)kv->n, type_name(et),
                      (unsigned long long)(c->len - c->off));
    if (et != MODEL_GGUF_STRING) {
        kv->raw = c->p + c->off;
        c->off += total;
        return SS_OK;
    }
    size_t cnt = kv->n ? (size_t)kv->n : 1;
    kv->strs = ss_calloc(cnt, sizeof *kv->strs);
    kv->str_lens = ss_calloc(cnt, sizeof *kv->str_lens);
    if (!kv->strs || !kv->str_lens)
        return ss_err(c->err, c->errlen, SS_ENOMEM, "%s: out of memory", c->path);
    for (uint64_t i = 0; i < kv->n; i++) {
        const unsigned char *vs;
        if ((s = get_str(c, &vs, &kv->str_lens[i], "array string")) != SS_OK)
            return s;
        if (!(kv->strs[i] = dup_bytes(vs, kv->str_lens[i])))
            return ss_err(c->err, c->errlen, SS_ENOMEM, "%s: out of memory", c->path);
    }
    return SS_OK;
}

static ss_status parse_tensor_info(cursor *c, model_gguf_tensor *t)
{
    uint64_t at = c->off;
    const unsigned char *ns;
    uint64_t nn;
    ss_status s = get_str(c, &ns, &nn, "tensor name");
    if (s != SS_OK)
        return s;
    if (nn == 0 || nn > GGUF_MAX_NAME_BYTES || memchr(ns, 0, (size_t)nn))
        return ss_err(c->err, c->errlen, SS_ESCHEMA,
                      "%s: byte %llu: tensor name is empty, longer than %u bytes or holds a NUL",
                      c->path, (unsigned long long)at, GGUF_MAX_NAME_BYTES);
    char *name = dup_bytes(ns, nn);
    if (!name)
        return ss_err(c->err, c->errlen, SS_ENOMEM, "%s: out of memory", c->path);
    t->name = name;
    uint32_t nd;
    uint64_t dat = c->off;
    if ((s = get_u32(c, &nd, "tensor n_dims")) != SS_OK)
        return s;
    if (nd < 1 || nd > MODEL_GGUF_MAX_DIMS)
        return ss_err(c->err, c->errlen, SS_ESCHEMA,
                      "%s: byte %llu: tensor \"%s\": n_dims %u, expected 1..%d", c->path,
                      (unsigned long long)dat, name, nd, MODEL_GGUF_MAX_DIMS);
    t->n_dims = (int)nd;
    uint64_t n = 1;
    for (int i = 0; i < MODEL_GGUF_MAX_DIMS; i++)
        t->ne[i] = 1;
    for (uint32_t i = 0; i < nd; i++) {
        uint64_t eat = c->off;
        if ((s = get_u64(c, &t->ne[i], "tensor ne")) != SS_OK)
            return s;
        if (t->ne[i] == 0 || t->ne[i] > GGUF_MAX_NE)
            return ss_err(c->err, c->errlen, SS_ERANGE,
                          "%s: byte %llu: tensor \"%s\": ne[%u] = %llu, expected 1..2^40", c->path,
                          (unsigned long long)eat, name, i, (unsigned long long)t->ne[i]);
        if (__builtin_mul_overflow(n, t->ne[i], &n) || n > (1ull << 60))
            return ss_err(c->err, c->errlen, SS_ERANGE,
                          "%s: byte %llu: tensor \"%s\": element count overflows", c->path,
                          (unsigned long long)eat, name);
    }
    t->n_elems = n;
    uint64_t tat = c->off;
    if ((s = get_u32(c, &t->type, "tensor type")) != SS_OK)
        return s;
    if (t->type >= GGML_TYPE_COUNT)
        return ss_err(c->err, c->errlen, SS_ESCHEMA,
                      "%s: byte %llu: tensor \"%s\": ggml type id %u out of range", c->path,
                      (unsigned long long)tat, name, t->type);
    if (t->type != MODEL_GGUF_TENSOR_F32 && t->type != MODEL_GGUF_TENSOR_F16)
        return ss_err(c->err, c->errlen, SS_EUNSUPPORTED,
                      "%s: byte %llu: tensor \"%s\": ggml type %u not supported (F32, F16 only)",
                      c->path, (unsigned long long)tat, name, t->type);
    t->n_bytes = n * (t->type == MODEL_GGUF_TENSOR_F32 ? 4 : 2); /* n <= 2^60: no overflow */
    return get_u64(c, &t->offset, "tensor offset");
}

/* A name and the index of its entry: sorted copies make lookups O(log n)
 * and duplicates adjacent, without a global comparison context. */
struct name_idx {
    const char *name;
    int idx;
};

static int cmp_name_idx(const void *a, const void *b)
{
    const name_idx *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int find_name(const name_idx *v, int n, const char *name)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(name, v[mid].name);
        if (c == 0)
            return v[mid].idx;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

typedef struct t_span {
    uint64_t begin, end;
    int idx;
} t_span;

static int cmp_span(const void *a, const void *b)
{
    const t_span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static const gguf_kv *find_kv(const model_gguf *g, const char *key)
{
    int i = find_name(g->kv_sorted, g->n_kv, key);
    return i < 0 ? NULL : &g->kv[i];
}

static ss_status parse(model_gguf *g, char *err, size_t errlen)
{
    cursor c = {.p = g->buf, .len = g->size, .off = 0, .path = g->path, .err = err,
                .errlen = errlen};
    ss_status s;
    if ((s = need(&c, 4, "magic")) != SS_OK)
        return s;
    if (memcmp(g->buf, "GGUF", 4) != 0)
        return ss_err(err, errlen, SS_EPARSE, "%s: byte 0: bad magic, expected \"GGUF\"",
                      g->path);
    c.off = 4;
    if ((s = get_u32(&c, &g->version, "version")) != SS_OK)
        return s;
    if (g->version != 2 && g->version != 3)
        return ss_err(err, errlen, SS_EVERSION, "%s: byte 4: version %u, expected 2 or 3",
                      g->path, g->version);
    uint64_t n_tensors, n_kv;
    if ((s = get_u64(&c, &n_tensors, "n_tensors")) != SS_OK ||
        (s = get_u64(&c, &n_kv, "n_kv")) != SS_OK)
        return s;
    /* Bound the counts by a cap and by the smallest possible entry size
     * (KV: 8 key length + 1 key byte + 4 type + 1 value; tensor info: 8 + 1
     * + 4 + 8 + 4 + 8) so no allocation below is sized by a hostile count. */
    uint64_t rem = c.len - c.off, kv_min, t_min;
    if (n_kv > MODEL_GGUF_MAX_KV || __builtin_mul_overflow(n_kv, 14ull, &kv_min) || kv_min > rem)
        return ss_err(err, errlen, SS_ERANGE,
                      "%s: byte 16: n_kv %llu is above the cap (%u) or larger than the file",
                      g->path, (unsigned long long)n_kv, MODEL_GGUF_MAX_KV);
    if (n_tensors > MODEL_GGUF_MAX_TENSORS ||
        __builtin_mul_overflow(n_tensors, 33ull, &t_min) || t_min > rem - kv_min)
        return ss_err(err, errlen, SS_ERANGE,
                      "%s: byte 8: n_tensors %llu is above the cap (%u) or larger than the file",
                      g->path, (unsigned long long)n_tensors, MODEL_GGUF_MAX_TENSORS);
    g->kv = ss_calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv);
    g->kv_sorted = ss_calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv_sorted);
    g->tensors = ss_calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *g->tensors);
    g->t_sorted = ss_calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *g->t_sorted);
    if (!g->kv || !g->kv_sorted || !g->tensors || !g->t_sorted)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", g->path);

    for (uint64_t i = 0; i < n_kv; i++) {
        g->n_kv++; /* count first: a half-parsed entry is still freed by close */
        if ((s = parse_kv(&c, &g->kv[i])) != SS_OK)
            return s;
    }
    for (int i = 0; i < g->n_kv; i++)
        g->kv_sorted[i] = (name_idx){.name = g->kv[i].key, .idx = i};
    qsort(g->kv_sorted, (size_t)g->n_kv, sizeof *g->kv_sorted, cmp_name_idx);
    for (int i = 1; i < g->n_kv; i++)
        if (strcmp(g->kv_sorted[i - 1].name, g->kv_sorted[i].name) == 0)
            return ss_err(err, errlen, SS_ESCHEMA, "%s: duplicate metadata key \"%s\"", g->path,
                          g->kv_sorted[i].name);

    g->alignment = MODEL_GGUF_DEFAULT_ALIGNMENT;
    const gguf_kv *al = find_kv(g, "general.alignment");
    if (al) {
        if (al->type != MODEL_GGUF_U32)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: key \"general.alignment\": type %s, expected u32", g->path,
                          type_name(al->type));
        if (al->num.u == 0 || (al->num.u & (al->num.u - 1)) != 0)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: key \"general.alignment\": %llu is not a power of two", g->path,
                          (unsigned long long)al->num.u);
        g->alignment = (uint32_t)al->num.u;
    }
    const gguf_kv *arch = find_kv(g, "general.architecture");
    if (arch && arch->type == MODEL_GGUF_STRING && arch->str_len < 200) {
        char key[256];
        snprintf(key, sizeof key, "%s.block_count", arch->str);
        const gguf_kv *bc = find_kv(g, key);
        uint32_t layers;
        if (bc && model_gguf_get_u32(g, key, &layers, err, errlen) != SS_OK)
            return SS_ESCHEMA;
        if (bc && layers > MODEL_GGUF_MAX_LAYERS)
            return ss_err(err, errlen, SS_ERANGE, "%s: key \"%s\": %u layers exceed the limit "
                          "of %d", g->path, key, layers, MODEL_GGUF_MAX_LAYERS);
    }

    for (uint64_t i = 0; i < n_tensors; i++) {
        g->n_tensors++;
        if ((s = parse_tensor_info(&c, &g->tensors[i])) != SS_OK)
            return s;
    }
    for (int i = 0; i < g->n_tensors; i++)
        g->t_sorted[i] = (name_idx){.name = g->tensors[i].name, .idx = i};
    qsort(g->t_sorted, (size_t)g->n_tensors, sizeof *g->t_sorted, cmp_name_idx);
    for (int i = 1; i < g->n_tensors; i++)
        if (strcmp(g->t_sorted[i - 1].name, g->t_sorted[i].name) == 0)
            return ss_err(err, errlen, SS_ESCHEMA, "%s: duplicate tensor name \"%s\"", g->path,
                          g->t_sorted[i].name);

    /* data section: header end rounded up to the alignment (no overflow:
     * header end <= file size < 2^63, alignment <= 2^31) */
    uint64_t a = g->alignment;
    uint64_t data_start = (c.off + a - 1) / a * a;
    if (g->n_tensors > 0 && data_start > g->size)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: byte %llu: data section starts at %llu, past the end of the file",
                      g->path, (unsigned long long)c.off, (unsigned long long)data_start);
    uint64_t data_len = g->size > data_start ? g->size - data_start : 0;
    t_span *spans = ss_calloc(g->n_tensors ? (size_t)g->n_tensors : 1, sizeof *spans);
    if (!spans)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", g->path);
    s = SS_OK;
    for (int i = 0; i < g->n_tensors && s == SS_OK; i++) {
        model_gguf_tensor *t = &g->tensors[i];
        if (t->offset % a != 0)
            s = ss_err(err, errlen, SS_ESCHEMA,
                       "%s: tensor \"%s\": data offset %llu is not a multiple of the alignment "
                       "%llu", g->path, t->name, (unsigned long long)t->offset,
                       (unsigned long long)a);
        else if (t->offset > data_len || t->n_bytes > data_len - t->offset)
            s = ss_err(err, errlen, SS_ESCHEMA,
                       "%s: tensor \"%s\": data [%llu, +%llu) runs past the end of the file "
                       "(data section of %llu bytes at byte %llu)", g->path, t->name,
                       (unsigned long long)t->offset, (unsigned long long)t->n_bytes,
                       (unsigned long long)data_len, (unsigned long long)data_start);
        if (s != SS_OK)
            break;
        /* only now, inside the file: a pointer formed from an unchecked
         * offset is undefined behaviour even if never dereferenced */
        spans[i] = (t_span){.begin = t->offset, .end = t->offset + t->n_bytes, .idx = i};
        t->data = g->buf + data_start + t->offset;
    }
    if (s == SS_OK) {
        qsort(spans, (size_t)g->n_tensors, sizeof *spans, cmp_span);
        for (int i = 1; i < g->n_tensors && s == SS_OK; i++)
            if (spans[i].begin < spans[i - 1].end)
                s = ss_err(err, errlen, SS_ESCHEMA,
                           "%s: tensor \"%s\" (offset %llu) overlaps tensor \"%s\"", g->path,
                           g->tensors[spans[i].idx].name, (unsigned long long)spans[i].begin,
                           g->tensors[spans[i - 1].idx].name);
    }
    ss_free(spans);
    return s;
}

ss_status model_gguf_open(const char *path, model_gguf **out, char *err, size_t errlen)
{
    *out = NULL;
    model_io_file io;
    ss_status s = model_io_open(path, MODEL_GGUF_MAX_FILE_BYTES, &io, err, errlen);
    if (s != SS_OK)
        return s;
    model_gguf *g = ss_calloc(1, sizeof *g);
    if (!g || !(g->path = ss_strdup(path))) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((s = model_io_read_all(&io, path, &g->buf, err, errlen)) != SS_OK)
        goto fail;
    g->size = io.size_bytes;
    if ((s = parse(g, err, errlen)) != SS_OK)
        goto fail;
    model_io_close(&io);
    *out = g;
    return SS_OK;
fail:
    model_io_close(&io);
    model_gguf_close(g);
    return s;
}

void model_gguf_close(model_gguf *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_kv; i++) {
        gguf_kv *kv = &g->kv[i];
        ss_free(kv->key);
        ss_free(kv->str);
        if (kv->strs)
            for (uint64_t j = 0; j < kv->n; j++)
                ss_free(kv->strs[j]);
        ss_free(kv->strs);
        ss_free(kv->str_lens);
    }
    for (int i = 0; i < g->n_tensors; i++)
        ss_free((char *)g->tensors[i].name);
    ss_free(g->kv);
    ss_free(g->kv_sorted);
    ss_free(g->tensors);
    ss_free(g->t_sorted);
    ss_free(g->buf);
    ss_free(g->path);
    ss_free(g);
}

uint32_t model_gguf_version(const model_gguf *g) { return g->version; }
uint32_t model_gguf_alignment(const model_gguf *g) { return g->alignment; }
int model_gguf_n_kv(const model_gguf *g) { return g->n_kv; }

const char *model_gguf_kv_key(const model_gguf *g, int i)
{
    return i >= 0 && i < g->n_kv ? g->kv[i].key : NULL;
}

ss_status model_gguf_kv_type(const model_gguf *g, const char *key, model_gguf_type *type,
                             model_gguf_type *elem, uint64_t *n_elems)
{
    const gguf_kv *kv = find_kv(g, key);
    if (!kv)
        return SS_ENOTFOUND;
    if (type)
        *type = kv->type;
    if (elem)
        *elem = kv->elem;
    if (n_elems)
        *n_elems = kv->n;
    return SS_OK;
}

/* Finds `key` and checks its type (and element type for arrays). */
static ss_status typed_kv(const model_gguf *g, const char *key, model_gguf_type type,
                          model_gguf_type elem, const gguf_kv **out, char *err, size_t errlen)
{
    const gguf_kv *kv = find_kv(g, key);
    *out = kv;
    if (!kv)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: key \"%s\": missing", g->path, key);
    if (kv->type != type || (type == MODEL_GGUF_ARRAY && kv->elem != elem))
        return ss_err(err, errlen, SS_ESCHEMA, "%s: key \"%s\": type %s%s%s, expected %s%s%s",
                      g->path, key, type_name(kv->type),
                      kv->type == MODEL_GGUF_ARRAY ? " of " : "",
                      kv->type == MODEL_GGUF_ARRAY ? type_name(kv->elem) : "", type_name(type),
                      type == MODEL_GGUF_ARRAY ? " of " : "",
                      type == MODEL_GGUF_ARRAY ? type_name(elem) : "");
    return SS_OK;
}

ss_status model_gguf_get_u32(const model_gguf *g, const char *key, uint32_t *out, char *err,
                             size_t errlen)
{
    const gguf_kv *kv = find_kv(g, key);
    if (!kv)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: key \"%s\": missing", g->path, key);
    switch (kv->type) {
    case MODEL_GGUF_U8: case MODEL_GGUF_U16: case MODEL_GGUF_U32: case MODEL_GGUF_U64:
        if (kv->num.u <= UINT32_MAX) {
            *out = (uint32_t)kv->num.u;
            return SS_OK;
        }
        break;
    case MODEL_GGUF_I8: case MODEL_GGUF_I16: case MODEL_GGUF_I32: case MODEL_GGUF_I64:
        if (kv->num.i >= 0 && kv->num.i <= (int64_t)UINT32_MAX) {
            *out = (uint32_t)kv->num.i;
            return SS_OK;
        }
        break;
    default:
        return ss_err(err, errlen, SS_ESCHEMA, "%s: key \"%s\": type %s, expected an integer",
                      g->path, key, type_name(kv->type));
    }
    return ss_err(err, errlen, SS_ESCHEMA, "%s: key \"%s\": value out of the u32 range",
                  g->path, key);
}

ss_status model_gguf_get_f32(const model_gguf *g, const char *key, float *out, char *err,
                             size_t errlen)
{
    const gguf_kv *kv = find_kv(g, key);
    if (!kv)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: key \"%s\": missing", g->path, key);
    if (kv->type != MODEL_GGUF_F32 && kv->type != MODEL_GGUF_F64)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: key \"%s\": type %s, expected f32",
                      g->path, key, type_name(kv->type));
    *out = (float)kv->num.f;
    return SS_OK;
}

ss_status model_gguf_get_str(const model_gguf *g, const char *key, const char **out,
                             uint64_t *len, char *err, size_t errlen)
{
    const gguf_kv *kv;
    ss_status s = typed_kv(g, key, MODEL_GGUF_STRING, 0, &kv, err, errlen);
    if (s != SS_OK)
        return s;
    *out = kv->str;
    if (len)
        *len = kv->str_len;
    return SS_OK;
}

ss_status model_gguf_get_str_array(const model_gguf *g, const char *key,
                                   const char *const **strs, const uint64_t **lens, uint64_t *n,
                                   char *err, size_t errlen)
{
    const gguf_kv *kv;
    ss_status s = typed_kv(g, key, MODEL_GGUF_ARRAY, MODEL_GGUF_STRING, &kv, err, errlen);
    if (s != SS_OK)
        return s;
    *strs = (const char *const *)kv->strs;
    if (lens)
        *lens = kv->str_lens;
    *n = kv->n;
    return SS_OK;
}

static ss_status array_copy(const model_gguf *g, const char *key, model_gguf_type elem,
                            void *out, uint64_t n, char *err, size_t errlen)
{
    const gguf_kv *kv;
    ss_status s = typed_kv(g, key, MODEL_GGUF_ARRAY, elem, &kv, err, errlen);
    if (s != SS_OK)
        return s;
    if (kv->n != n)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: key \"%s\": %llu elements, expected %llu",
                      g->path, key, (unsigned long long)kv->n, (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t bits = model_io_le32(kv->raw + 4 * i);
        if (elem == MODEL_GGUF_F32)
            ((float *)out)[i] = model_io_f32_from_bits(bits);
        else
            ((int32_t *)out)[i] = (int32_t)bits;
    }
    return SS_OK;
}

ss_status model_gguf_get_f32_array(const model_gguf *g, const char *key, float *out, uint64_t n,
                                   char *err, size_t errlen)
{
    return array_copy(g, key, MODEL_GGUF_F32, out, n, err, errlen);
}

ss_status model_gguf_get_i32_array(const model_gguf *g, const char *key, int32_t *out,
                                   uint64_t n, char *err, size_t errlen)
{
    return array_copy(g, key, MODEL_GGUF_I32, out, n, err, errlen);
}

ss_status model_gguf_vocab_init(const model_gguf *g, model_gguf_vocab *v, char *err,
                                size_t errlen)
{
    memset(v, 0, sizeof *v);
    v->bos_id = v->eos_id = v->unk_id = -1;
    ss_status s = model_gguf_get_str_array(g, "tokenizer.ggml.tokens", &v->tokens,
                                           &v->token_lens, &v->n_vocab, err, errlen);
    if (s != SS_OK)
        return s;
    v->scores = ss_malloc_array(v->n_vocab ? (size_t)v->n_vocab : 1, sizeof *v->scores);
    if (!v->scores)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", g->path);
    s = model_gguf_get_f32_array(g, "tokenizer.ggml.scores", v->scores, v->n_vocab, err, errlen);
    if (s != SS_OK) {
        model_gguf_vocab_fini(v);
        return s;
    }
    const char *ids[3] = {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                          "tokenizer.ggml.unknown_token_id"};
    int64_t *dst[3] = {&v->bos_id, &v->eos_id, &v->unk_id};
    for (int i = 0; i < 3; i++) {
        uint32_t id;
        s = model_gguf_get_u32(g, ids[i], &id, err, errlen);
        if (s == SS_ENOTFOUND)
            continue;
        if (s == SS_OK && id >= v->n_vocab)
            s = ss_err(err, errlen, SS_ESCHEMA, "%s: key \"%s\": id %u outside the %llu-token "
                       "vocabulary", g->path, ids[i], id, (unsigned long long)v->n_vocab);
        if (s != SS_OK) {
            model_gguf_vocab_fini(v);
            return s;
        }
        *dst[i] = id;
    }
    if (err && errlen)
        err[0] = 0;
    return SS_OK;
}

void model_gguf_vocab_fini(model_gguf_vocab *v)
{
    if (!v)
        return;
    ss_free(v->scores);
    memset(v, 0, sizeof *v);
    v->bos_id = v->eos_id = v->unk_id = -1;
}

int model_gguf_n_tensors(const model_gguf *g) { return g->n_tensors; }

const model_gguf_tensor *model_gguf_tensor_at(const model_gguf *g, int i)
{
    return i >= 0 && i < g->n_tensors ? &g->tensors[i] : NULL;
}

const model_gguf_tensor *model_gguf_find_tensor(const model_gguf *g, const char *name)
{
    int i = find_name(g->t_sorted, g->n_tensors, name);
    return i < 0 ? NULL : &g->tensors[i];
}

ss_status model_gguf_tensor_f32(const model_gguf_tensor *t, float *out, uint64_t n, char *err,
                                size_t errlen)
{
    if (n != t->n_elems)
        return ss_err(err, errlen, SS_ESCHEMA, "tensor \"%s\": %llu elements, caller expected "
                      "%llu", t->name, (unsigned long long)t->n_elems, (unsigned long long)n);
    const unsigned char *p = t->data;
    if (t->type == MODEL_GGUF_TENSOR_F32)
        for (uint64_t i = 0; i < n; i++)
            out[i] = model_io_f32_from_bits(model_io_le32(p + 4 * i));
    else
        for (uint64_t i = 0; i < n; i++)
            out[i] = model_io_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
    return SS_OK;
}

ss_status model_gguf_load_f32(const model_gguf *g, const char *name, int n_dims,
                              const uint64_t *ne, float **out, char *err, size_t errlen)
{
    *out = NULL;
    const model_gguf_tensor *t = model_gguf_find_tensor(g, name);
    if (!t)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: tensor \"%s\": missing", g->path, name);
    int same = t->n_dims == n_dims;
    for (int i = 0; same && i < n_dims; i++)
        same = t->ne[i] == ne[i];
    if (!same)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: tensor \"%s\": ne [%llu,%llu,%llu,%llu] (n_dims %d), expected n_dims "
                      "%d with ne[0] = %llu", g->path, name, (unsigned long long)t->ne[0],
                      (unsigned long long)t->ne[1], (unsigned long long)t->ne[2],
                      (unsigned long long)t->ne[3], t->n_dims, n_dims,
                      (unsigned long long)(n_dims > 0 ? ne[0] : 0));
    float *buf = ss_malloc_array((size_t)t->n_elems, sizeof *buf);
    if (!buf)
        return ss_err(err, errlen, SS_ENOMEM, "%s: tensor \"%s\": out of memory", g->path, name);
    model_gguf_tensor_f32(t, buf, t->n_elems, err, errlen);
    *out = buf;
    return SS_OK;
}
