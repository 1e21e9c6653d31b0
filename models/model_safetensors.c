/* model_safetensors.c - strict safetensors reader (contract in the header).
 *
 * Validation happens on the header alone before the data buffer is
 * allocated, so a hostile file costs at most the header cap (100 MB) and
 * never an allocation sized by an untrusted number. cJSON parses the header
 * from an explicit-length buffer; everything cJSON is lax about (duplicate
 * keys, NUL escapes, inexact numbers) is checked here.
 */
#include "model_safetensors.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_io.h"
#include "ss_alloc.h"

/* Largest integer a double holds exactly: cJSON hands offsets over as doubles. */
#define ST_MAX_EXACT 9007199254740992.0 /* 2^53 */

struct model_st_file {
    char *path;
    unsigned char *buf;          /* (data_len) the data buffer */
    uint64_t data_len;
    int n_tensors;
    model_st_tensor *tensors;    /* (n_tensors) sorted by name; names owned */
    int n_meta;
    char **meta_keys;            /* (n_meta) sorted */
    char **meta_vals;            /* (n_meta) */
};

static const struct {
    const char *name;
    int supported;               /* 1: model_st_dtype below */
    model_st_dtype dtype;
    int bits;
} st_dtypes[] = {
    {"F32", 1, MODEL_ST_F32, 32},  {"F16", 1, MODEL_ST_F16, 16},
    {"BF16", 1, MODEL_ST_BF16, 16}, {"I64", 1, MODEL_ST_I64, 64},
    {"F64", 0, 0, 64},  {"I32", 0, 0, 32},  {"U32", 0, 0, 32},  {"U64", 0, 0, 64},
    {"I16", 0, 0, 16},  {"U16", 0, 0, 16},  {"I8", 0, 0, 8},    {"U8", 0, 0, 8},
    {"BOOL", 0, 0, 8},  {"F8_E5M2", 0, 0, 8}, {"F8_E4M3", 0, 0, 8}, {"F8_E8M0", 0, 0, 8},
    {"C64", 0, 0, 64},  {"F4", 0, 0, 4},    {"F6_E2M3", 0, 0, 6}, {"F6_E3M2", 0, 0, 6},
};

static uint64_t dtype_bytes(model_st_dtype d)
{
    switch (d) {
    case MODEL_ST_F32: return 4;
    case MODEL_ST_F16: return 2;
    case MODEL_ST_BF16: return 2;
    case MODEL_ST_I64: return 8;
    }
    return 0;
}

const char *model_st_dtype_name(model_st_dtype d)
{
    switch (d) {
    case MODEL_ST_F32: return "F32";
    case MODEL_ST_F16: return "F16";
    case MODEL_ST_BF16: return "BF16";
    case MODEL_ST_I64: return "I64";
    }
    return "?";
}

/* Returns the offset of the first invalid UTF-8 byte, or n when valid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
            len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            if (c == 0xf4)
                hi = 0x8f;
        } else
            return i;
        if (n - i < len)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return i;
        i += len;
    }
    return n;
}

/* Offset of a raw NUL byte or a \u0000 escape inside a string (cJSON would
 * silently cut the string there, so "a\u0000b" and "a" would alias), or n. */
static size_t nul_at(const unsigned char *s, size_t n)
{
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 0)
            return i;
        if (!in_str) {
            if (s[i] == '"')
                in_str = 1;
            continue;
        }
        if (s[i] == '"')
            in_str = 0;
        else if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && n - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
                return i;
            i++; /* skip the escaped character, so \" does not end the string */
        }
    }
    return n;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finds a key that occurs twice among obj's members; NULL if none, "" if the
 * scratch allocation failed (reported as ENOMEM by the caller). */
static const char *duplicate_key(const cJSON *obj, int *nomem)
{
    int n = cJSON_GetArraySize(obj);
    *nomem = 0;
    if (n < 2)
        return NULL;
    const char **keys = ss_malloc_array((size_t)n, sizeof *keys);
    if (!keys) {
        *nomem = 1;
        return NULL;
    }
    int i = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        keys[i++] = c->string;
    qsort(keys, (size_t)n, sizeof *keys, cmp_str_ptr);
    const char *dup = NULL;
    for (i = 1; i < n && !dup; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            dup = keys[i];
    ss_free(keys);
    return dup;
}

/* An exact non-negative integer below 2^53 from a cJSON number. */
static ss_status json_u64(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return SS_ESCHEMA;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < 0)
        return SS_ESCHEMA;
    if (d >= ST_MAX_EXACT)
        return SS_ERANGE;
    *out = (uint64_t)d;
    return SS_OK;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const model_st_tensor *)a)->name, ((const model_st_tensor *)b)->name);
}

/* A tensor's byte range, for the tiling check. */
typedef struct st_span {
    uint64_t begin, end;
    int idx;
} st_span;

static int cmp_span(const void *a, const void *b)
{
    const st_span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) /* zero-size tensors first at a shared offset */
        return x->end < y->end ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Parses one tensor entry into t (name already set). */
static ss_status parse_entry(const char *path, const cJSON *e, model_st_tensor *t, uint64_t *end,
                             char *err, size_t errlen)
{
    const char *nm = t->name;
    if (!cJSON_IsObject(e))
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\": expected an object", path, nm);
    const cJSON *dtype = NULL, *shape = NULL, *offs = NULL;
    for (const cJSON *c = e->child; c; c = c->next) {
        const cJSON **slot = strcmp(c->string, "dtype") == 0          ? &dtype
                             : strcmp(c->string, "shape") == 0        ? &shape
                             : strcmp(c->string, "data_offsets") == 0 ? &offs
                                                                      : NULL;
        if (!slot)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: tensor \"%s\": unknown key \"%s\" (expected dtype, shape, "
                          "data_offsets)", path, nm, c->string);
        if (*slot)
            return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\": duplicate key \"%s\"",
                          path, nm, c->string);
        *slot = c;
    }
    if (!dtype || !shape || !offs)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\": missing key \"%s\"", path, nm,
                      !dtype ? "dtype" : !shape ? "shape" : "data_offsets");

    if (!cJSON_IsString(dtype))
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\".dtype: expected a string", path,
                      nm);
    size_t k, nd = sizeof st_dtypes / sizeof st_dtypes[0];
    for (k = 0; k < nd; k++)
        if (strcmp(dtype->valuestring, st_dtypes[k].name) == 0)
            break;
    if (k == nd)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\".dtype: unknown dtype \"%s\"",
                      path, nm, dtype->valuestring);
    if (st_dtypes[k].bits % 8 != 0)
        return ss_err(err, errlen, SS_EUNSUPPORTED,
                      "%s: tensor \"%s\".dtype: sub-byte dtype \"%s\" (%d bits) is not supported",
                      path, nm, dtype->valuestring, st_dtypes[k].bits);
    if (!st_dtypes[k].supported)
        return ss_err(err, errlen, SS_EUNSUPPORTED,
                      "%s: tensor \"%s\".dtype: unsupported dtype \"%s\" (expected F32, F16, "
                      "BF16 or I64)", path, nm, dtype->valuestring);
    t->dtype = st_dtypes[k].dtype;

    if (!cJSON_IsArray(shape))
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\".shape: expected an array", path,
                      nm);
    int rank = cJSON_GetArraySize(shape);
    if (rank > MODEL_ST_MAX_RANK)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\".shape: rank %d exceeds %d",
                      path, nm, rank, MODEL_ST_MAX_RANK);
    t->rank = rank;
    uint64_t n = 1;
    int i = 0;
    for (const cJSON *c = shape->child; c; c = c->next, i++) {
        ss_status s = json_u64(c, &t->shape[i]);
        if (s != SS_OK)
            return ss_err(err, errlen, s,
                          "%s: tensor \"%s\".shape[%d]: expected an integer in [0, 2^53)", path,
                          nm, i);
        if (__builtin_mul_overflow(n, t->shape[i], &n))
            return ss_err(err, errlen, SS_ERANGE,
                          "%s: tensor \"%s\".shape: element count overflows 64 bits", path, nm);
    }
    t->n_elems = n;
    if (__builtin_mul_overflow(n, dtype_bytes(t->dtype), &t->n_bytes))
        return ss_err(err, errlen, SS_ERANGE,
                      "%s: tensor \"%s\": byte size overflows 64 bits", path, nm);

    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: tensor \"%s\".data_offsets: expected [begin, end]", path, nm);
    uint64_t b, en;
    ss_status s = json_u64(offs->child, &b);
    if (s == SS_OK)
        s = json_u64(offs->child->next, &en);
    if (s != SS_OK)
        return ss_err(err, errlen, s,
                      "%s: tensor \"%s\".data_offsets: expected integers in [0, 2^53)", path, nm);
    if (en < b)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: tensor \"%s\".data_offsets: end %llu < begin %llu", path, nm,
                      (unsigned long long)en, (unsigned long long)b);
    if (en - b != t->n_bytes)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: tensor \"%s\": data_offsets span %llu bytes, but dtype %s x shape "
                      "needs %llu", path, nm, (unsigned long long)(en - b),
                      model_st_dtype_name(t->dtype), (unsigned long long)t->n_bytes);
    t->offset = b;
    *end = en;
    return SS_OK;
}

static ss_status parse_metadata(model_st_file *f, const cJSON *meta, char *err, size_t errlen)
{
    const char *path = f->path;
    if (!cJSON_IsObject(meta))
        return ss_err(err, errlen, SS_ESCHEMA, "%s: __metadata__: expected an object", path);
    int nomem;
    const char *dup = duplicate_key(meta, &nomem);
    if (nomem)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    if (dup)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: __metadata__: duplicate key \"%s\"", path,
                      dup);
    int n = cJSON_GetArraySize(meta);
    if (n == 0)
        return SS_OK;
    f->meta_keys = ss_calloc((size_t)n, sizeof *f->meta_keys);
    f->meta_vals = ss_calloc((size_t)n, sizeof *f->meta_vals);
    if (!f->meta_keys || !f->meta_vals)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    for (const cJSON *c = meta->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: __metadata__.\"%s\": expected a string value", path, c->string);
        int i = f->n_meta;
        f->meta_keys[i] = ss_strdup(c->string);
        f->meta_vals[i] = ss_strdup(c->valuestring);
        if (!f->meta_keys[i] || !f->meta_vals[i]) {
            ss_free(f->meta_keys[i]);
            ss_free(f->meta_vals[i]);
            return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        }
        f->n_meta++;
    }
    /* sort keys and values together by key: a simple insertion sort keeps the
     * pairs aligned without a pair struct; metadata maps are small */
    for (int i = 1; i < f->n_meta; i++)
        for (int j = i; j > 0 && strcmp(f->meta_keys[j - 1], f->meta_keys[j]) > 0; j--) {
            char *tk = f->meta_keys[j], *tv = f->meta_vals[j];
            f->meta_keys[j] = f->meta_keys[j - 1];
            f->meta_vals[j] = f->meta_vals[j - 1];
            f->meta_keys[j - 1] = tk;
            f->meta_vals[j - 1] = tv;
        }
    return SS_OK;
}

/* Parses and validates the JSON header (hdr, n bytes, NUL-terminated). */
static ss_status parse_header(model_st_file *f, const char *hdr, uint64_t n, char *err,
                              size_t errlen)
{
    const char *path = f->path;
    const unsigned char *u = (const unsigned char *)hdr;
    /* byte offsets in messages are file offsets: the header starts at 8 */
    if (n == 0 || u[0] != '{')
        return ss_err(err, errlen, SS_EPARSE, "%s: byte 8: expected the JSON header to start "
                      "with '{'", path);
    size_t bad = utf8_invalid_at(u, (size_t)n);
    if (bad != n)
        return ss_err(err, errlen, SS_EPARSE, "%s: byte %llu: header is not valid UTF-8", path,
                      (unsigned long long)bad + 8);
    bad = nul_at(u, (size_t)n);
    if (bad != n)
        return ss_err(err, errlen, SS_EPARSE, "%s: byte %llu: NUL character in the header", path,
                      (unsigned long long)bad + 8);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    if (!root) {
        /* cJSON returns NULL both for bad text and for a failed allocation
         * (through ss_json_init's hooks); an allocation that fails right
         * after tells them apart, so out of memory is never "not JSON" */
        void *probe = ss_malloc(1);
        if (!probe)
            return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory parsing the header", path);
        ss_free(probe);
        unsigned long long at = end ? (unsigned long long)(end - hdr) + 8 : 8;
        return ss_err(err, errlen, SS_EPARSE, "%s: byte %llu: header is not valid JSON", path,
                      at);
    }
    ss_status s = SS_OK;
    /* writers pad the header with spaces to align the buffer; nothing else may follow */
    for (const char *p = end; p < hdr + n; p++)
        if (*p != ' ') {
            s = ss_err(err, errlen, SS_EPARSE, "%s: byte %llu: unexpected data after the JSON "
                       "header", path, (unsigned long long)(p - hdr) + 8);
            goto done;
        }
    if (!cJSON_IsObject(root)) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: header: expected a JSON object", path);
        goto done;
    }
    int nomem;
    const char *dup = duplicate_key(root, &nomem);
    if (nomem || dup) {
        s = nomem ? ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path)
                  : ss_err(err, errlen, SS_ESCHEMA, "%s: header: duplicate tensor name \"%s\"",
                           path, dup);
        goto done;
    }
    int n_items = cJSON_GetArraySize(root);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    int n_t = n_items - (meta ? 1 : 0);
    if (meta && (s = parse_metadata(f, meta, err, errlen)) != SS_OK)
        goto done;
    f->tensors = ss_calloc(n_t > 0 ? (size_t)n_t : 1, sizeof *f->tensors);
    st_span *spans = ss_calloc(n_t > 0 ? (size_t)n_t : 1, sizeof *spans);
    if (!f->tensors || !spans) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto done_tmp;
    }
    for (const cJSON *c = root->child; c; c = c->next) {
        if (c == meta)
            continue;
        if (c->string[0] == 0) {
            s = ss_err(err, errlen, SS_ESCHEMA, "%s: header: empty tensor name", path);
            goto done_tmp;
        }
        model_st_tensor *t = &f->tensors[f->n_tensors];
        char *nm = ss_strdup(c->string);
        if (!nm) {
            s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
            goto done_tmp;
        }
        t->name = nm;
        f->n_tensors++;
        st_span *sp = &spans[f->n_tensors - 1];
        s = parse_entry(path, c, t, &sp->end, err, errlen);
        if (s != SS_OK)
            goto done_tmp;
        sp->begin = t->offset;
        sp->idx = f->n_tensors - 1;
    }

    /* The buffer must be tiled exactly: sort by (begin, size) and walk. */
    qsort(spans, (size_t)n_t, sizeof *spans, cmp_span);
    uint64_t cur = 0;
    for (int i = 0; i < n_t; i++) {
        const model_st_tensor *t = &f->tensors[spans[i].idx];
        if (spans[i].end > f->data_len) {
            s = ss_err(err, errlen, SS_ESCHEMA,
                       "%s: tensor \"%s\": data_offsets end %llu lies beyond the %llu-byte data "
                       "buffer", path, t->name, (unsigned long long)spans[i].end,
                       (unsigned long long)f->data_len);
            goto done_tmp;
        }
        if (t->offset != cur) {
            s = ss_err(err, errlen, SS_ESCHEMA,
                       "%s: tensor \"%s\": data begins at buffer byte %llu, expected %llu (%s)",
                       path, t->name, (unsigned long long)t->offset, (unsigned long long)cur,
                       t->offset > cur ? "gap" : "overlap");
            goto done_tmp;
        }
        cur = spans[i].end;
    }
    if (cur != f->data_len) {
        s = ss_err(err, errlen, SS_ESCHEMA,
                   "%s: byte %llu: %llu trailing bytes after the last tensor (expected the "
                   "tensors to cover the data buffer exactly)", path,
                   (unsigned long long)(8 + n + cur), (unsigned long long)(f->data_len - cur));
        goto done_tmp;
    }
    qsort(f->tensors, (size_t)n_t, sizeof *f->tensors, cmp_tensor_name);
done_tmp:
    ss_free(spans);
done:
    cJSON_Delete(root);
    return s;
}

ss_status model_st_open(const char *path, model_st_file **out, char *err, size_t errlen)
{
    *out = NULL;
    model_io_file io;
    ss_status s = model_io_open(path, MODEL_ST_MAX_FILE_BYTES, &io, err, errlen);
    if (s != SS_OK)
        return s;
    char *hdr = NULL;
    model_st_file *f = ss_calloc(1, sizeof *f);
    if (!f || !(f->path = ss_strdup(path))) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (io.size_bytes < 8) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: byte 0: file of %llu bytes is too small for the "
                   "8-byte header length", path, (unsigned long long)io.size_bytes);
        goto fail;
    }
    unsigned char lenb[8];
    if ((s = model_io_read_at(&io, path, 0, lenb, 8, err, errlen)) != SS_OK)
        goto fail;
    uint64_t n = model_io_le64(lenb), hdr_end;
    if (n > MODEL_ST_MAX_HEADER_BYTES) {
        s = ss_err(err, errlen, SS_ERANGE, "%s: byte 0: header length %llu exceeds the limit "
                   "of %llu", path, (unsigned long long)n, MODEL_ST_MAX_HEADER_BYTES);
        goto fail;
    }
    if (__builtin_add_overflow(n, 8, &hdr_end) || hdr_end > io.size_bytes) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: byte 0: header length %llu runs past the end of "
                   "the %llu-byte file", path, (unsigned long long)n,
                   (unsigned long long)io.size_bytes);
        goto fail;
    }
    f->data_len = io.size_bytes - hdr_end;
    hdr = ss_malloc((size_t)n + 1);
    if (!hdr) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((s = model_io_read_at(&io, path, 8, hdr, (size_t)n, err, errlen)) != SS_OK)
        goto fail;
    hdr[n] = 0;
    if ((s = parse_header(f, hdr, n, err, errlen)) != SS_OK)
        goto fail;
    ss_free(hdr);
    hdr = NULL;
    /* only now, with every size validated, is the data buffer allocated */
    f->buf = ss_malloc(f->data_len ? (size_t)f->data_len : 1);
    if (!f->buf) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: cannot allocate %llu bytes", path,
                   (unsigned long long)f->data_len);
        goto fail;
    }
    if ((s = model_io_read_at(&io, path, hdr_end, f->buf, (size_t)f->data_len, err, errlen)) !=
        SS_OK)
        goto fail;
    for (int i = 0; i < f->n_tensors; i++)
        f->tensors[i].data = f->buf + f->tensors[i].offset;
    model_io_close(&io);
    *out = f;
    return SS_OK;
fail:
    ss_free(hdr);
    model_io_close(&io);
    model_st_close(f);
    return s;
}

void model_st_close(model_st_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_tensors; i++)
        ss_free((char *)f->tensors[i].name);
    ss_free(f->tensors);
    for (int i = 0; i < f->n_meta; i++) {
        ss_free(f->meta_keys[i]);
        ss_free(f->meta_vals[i]);
    }
    ss_free(f->meta_keys);
    ss_free(f->meta_vals);
    ss_free(f->buf);
    ss_free(f->path);
    ss_free(f);
}

int model_st_n_tensors(const model_st_file *f) { return f->n_tensors; }

const model_st_tensor *model_st_tensor_at(const model_st_file *f, int i)
{
    return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL;
}

const model_st_tensor *model_st_find(const model_st_file *f, const char *name)
{
    int lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(name, f->tensors[mid].name);
        if (c == 0)
            return &f->tensors[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *model_st_metadata(const model_st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0)
            return f->meta_vals[i];
    return NULL;
}

ss_status model_st_to_f32(const model_st_tensor *t, float *out, uint64_t n_out, char *err,
                          size_t errlen)
{
    if (n_out != t->n_elems)
        return ss_err(err, errlen, SS_ESCHEMA, "tensor \"%s\": %llu elements, caller expected %llu",
                      t->name, (unsigned long long)t->n_elems, (unsigned long long)n_out);
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case MODEL_ST_F32:
        for (uint64_t i = 0; i < n_out; i++)
            out[i] = model_io_f32_from_bits(model_io_le32(p + 4 * i));
        return SS_OK;
    case MODEL_ST_F16:
        for (uint64_t i = 0; i < n_out; i++)
            out[i] = model_io_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return SS_OK;
    case MODEL_ST_BF16:
        for (uint64_t i = 0; i < n_out; i++)
            out[i] = model_io_bf16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return SS_OK;
    case MODEL_ST_I64:
        break;
    }
    return ss_err(err, errlen, SS_ESCHEMA, "tensor \"%s\": dtype %s, expected a floating dtype",
                  t->name, model_st_dtype_name(t->dtype));
}

ss_status model_st_to_i64(const model_st_tensor *t, int64_t *out, uint64_t n_out, char *err,
                          size_t errlen)
{
    if (t->dtype != MODEL_ST_I64)
        return ss_err(err, errlen, SS_ESCHEMA, "tensor \"%s\": dtype %s, expected I64", t->name,
                      model_st_dtype_name(t->dtype));
    if (n_out != t->n_elems)
        return ss_err(err, errlen, SS_ESCHEMA, "tensor \"%s\": %llu elements, caller expected %llu",
                      t->name, (unsigned long long)t->n_elems, (unsigned long long)n_out);
    for (uint64_t i = 0; i < n_out; i++)
        out[i] = (int64_t)model_io_le64(t->data + 8 * i);
    return SS_OK;
}

ss_status model_st_load_f32(const model_st_file *f, const char *name, int rank,
                            const uint64_t *shape, float **out, char *err, size_t errlen)
{
    *out = NULL;
    const model_st_tensor *t = model_st_find(f, name);
    if (!t)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: tensor \"%s\": missing", f->path, name);
    int same = t->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char got[160] = "", want[160] = "";
        size_t g = 0, w = 0;
        for (int i = 0; i < t->rank && g < sizeof got; i++)
            g += (size_t)snprintf(got + g, sizeof got - g, "%s%llu", i ? "," : "",
                                  (unsigned long long)t->shape[i]);
        for (int i = 0; i < rank && w < sizeof want; i++)
            w += (size_t)snprintf(want + w, sizeof want - w, "%s%llu", i ? "," : "",
                                  (unsigned long long)shape[i]);
        return ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\": shape [%s], expected [%s]",
                      f->path, name, got, want);
    }
    float *buf = ss_malloc_array(t->n_elems ? (size_t)t->n_elems : 1, sizeof *buf);
    if (!buf)
        return ss_err(err, errlen, SS_ENOMEM, "%s: tensor \"%s\": out of memory", f->path, name);
    ss_status s = model_st_to_f32(t, buf, t->n_elems, err, errlen);
    if (s != SS_OK) {
        ss_free(buf);
        return s;
    }
    *out = buf;
    return SS_OK;
}
