/* model_data.c - IDX and TinyStories readers (see model_data.h). */
#include "model_data.h"

#include <string.h>

#include "model_io.h"
#include "ss_alloc.h"

ss_status model_idx_load(const char *path, model_idx **out, char *err, size_t errlen)
{
    *out = NULL;
    model_io_file io;
    ss_status s = model_io_open(path, MODEL_IDX_MAX_FILE_BYTES, &io, err, errlen);
    if (s != SS_OK)
        return s;
    model_idx *x = NULL;
    unsigned char hdr[4 + 4 * MODEL_IDX_MAX_DIMS];
    if (io.size_bytes < 4) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: byte 0: file of %llu bytes has no IDX magic",
                   path, (unsigned long long)io.size_bytes);
        goto fail;
    }
    if ((s = model_io_read_at(&io, path, 0, hdr, 4, err, errlen)) != SS_OK)
        goto fail;
    if (hdr[0] != 0 || hdr[1] != 0 || hdr[3] < 1 || hdr[3] > MODEL_IDX_MAX_DIMS) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: byte 0: bad IDX magic 0x%02x%02x%02x%02x "
                   "(expected 0x000008NN with 1..%d dimensions)", path, hdr[0], hdr[1], hdr[2],
                   hdr[3], MODEL_IDX_MAX_DIMS);
        goto fail;
    }
    if (hdr[2] != 0x08) {
        s = ss_err(err, errlen, hdr[2] >= 0x09 && hdr[2] <= 0x0e ? SS_EUNSUPPORTED : SS_EPARSE,
                   "%s: byte 2: IDX type code 0x%02x, expected 0x08 (unsigned byte)", path,
                   hdr[2]);
        goto fail;
    }
    int nd = hdr[3];
    uint64_t hdr_len = 4 + 4 * (uint64_t)nd;
    if (io.size_bytes < hdr_len) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: byte 4: header needs %llu bytes, file has %llu",
                   path, (unsigned long long)hdr_len, (unsigned long long)io.size_bytes);
        goto fail;
    }
    if ((s = model_io_read_at(&io, path, 4, hdr + 4, 4 * (size_t)nd, err, errlen)) != SS_OK)
        goto fail;
    x = ss_calloc(1, sizeof *x);
    if (!x) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    x->n_dims = nd;
    uint64_t total = 1;
    x->item_elems = 1;
    for (int i = 0; i < nd; i++) {
        x->dims[i] = model_io_be32(hdr + 4 + 4 * i);
        if (__builtin_mul_overflow(total, (uint64_t)x->dims[i], &total)) {
            s = ss_err(err, errlen, SS_ERANGE, "%s: byte %d: dimension product overflows", path,
                       4 + 4 * i);
            goto fail;
        }
        if (i > 0)
            x->item_elems *= x->dims[i]; /* <= total: no overflow */
    }
    x->n_items = x->dims[0];
    if (total != io.size_bytes - hdr_len) {
        s = ss_err(err, errlen, SS_ESCHEMA, "%s: byte %llu: dimensions give %llu data bytes, the "
                   "file holds %llu", path, (unsigned long long)hdr_len,
                   (unsigned long long)total, (unsigned long long)(io.size_bytes - hdr_len));
        goto fail;
    }
    x->data = ss_malloc(total ? (size_t)total : 1);
    if (!x->data) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((s = model_io_read_at(&io, path, hdr_len, x->data, (size_t)total, err, errlen)) != SS_OK)
        goto fail;
    model_io_close(&io);
    *out = x;
    return SS_OK;
fail:
    model_io_close(&io);
    model_idx_free(x);
    return s;
}

void model_idx_free(model_idx *x)
{
    if (!x)
        return;
    ss_free(x->data);
    ss_free(x);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

ss_status model_stories_load(const char *path, model_stories **out, char *err, size_t errlen)
{
    static const char sep[] = "<|endoftext|>";
    const size_t sep_len = sizeof sep - 1;
    *out = NULL;
    model_io_file io;
    ss_status s = model_io_open(path, MODEL_STORIES_MAX_FILE_BYTES, &io, err, errlen);
    if (s != SS_OK)
        return s;
    model_stories *st = ss_calloc(1, sizeof *st);
    if (!st) {
        model_io_close(&io);
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    }
    unsigned char *raw = NULL;
    s = model_io_read_all(&io, path, &raw, err, errlen);
    model_io_close(&io);
    if (s != SS_OK)
        goto fail;
    st->buf = (char *)raw;
    size_t n = (size_t)io.size_bytes;
    const char *nul = memchr(st->buf, 0, n);
    if (nul) {
        s = ss_err(err, errlen, SS_EPARSE, "%s: byte %zu: NUL byte in text", path,
                   (size_t)(nul - st->buf));
        goto fail;
    }
    /* first pass counts segments so the arrays are allocated once */
    size_t n_seg = 1;
    for (const char *p = st->buf; (p = strstr(p, sep)) != NULL; p += sep_len)
        n_seg++;
    st->text = ss_calloc(n_seg, sizeof *st->text);
    st->len = ss_calloc(n_seg, sizeof *st->len);
    if (!st->text || !st->len || n_seg > (size_t)1 << 30) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    char *p = st->buf, *end = st->buf + n;
    while (p <= end) {
        char *q = strstr(p, sep);
        char *seg_end = q ? q : end;
        char *a = p, *b = seg_end;
        while (a < b && is_ws(*a))
            a++;
        while (b > a && is_ws(b[-1]))
            b--;
        if (b > a) {
            *b = 0; /* b < seg_end or b == end: the byte is whitespace, '<' or the final NUL */
            st->text[st->n] = a;
            st->len[st->n] = (size_t)(b - a);
            st->n++;
        }
        if (!q)
            break;
        p = q + sep_len;
    }
    *out = st;
    return SS_OK;
fail:
    model_stories_free(st);
    return s;
}

void model_stories_free(model_stories *s)
{
    if (!s)
        return;
    ss_free(s->text);
    ss_free(s->len);
    ss_free(s->buf);
    ss_free(s);
}
