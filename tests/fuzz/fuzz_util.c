/* fuzz_util.c - the harnesses' temporary folder and invariant failures. */
#include "fuzz_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void remove_dir(void)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

const char *fuzz_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/shardsim-fuzzXXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *fuzz_write(const char *name, const void *data, size_t n)
{
    static char path[192];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            perror(path);
            abort();
        }
        p += w, n -= (size_t)w;
    }
    close(fd);
    return path;
}

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
    abort();
}

void fuzz_note(const char *label, const char *verdict)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "%s: %s\n", label, verdict);
}

/* config.json of the seed corpus's tiny llama (tests/fuzz/seeds.py). */
static const char config[] =
    "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", "
    "\"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 1, "
    "\"num_attention_heads\": 2, \"num_key_value_heads\": 2, \"vocab_size\": 4, "
    "\"max_position_embeddings\": 4, \"rms_norm_eps\": 1e-05, \"rope_theta\": 10000.0, "
    "\"tie_word_embeddings\": true}";

void fuzz_hf_config(void)
{
    static int done;
    if (!done) {
        fuzz_write("config.json", config, strlen(config));
        done = 1;
    }
}

void fuzz_net_forward(const model_net *m)
{
    int nb = model_net_n_blocks(m);
    if (nb <= 0 || nb > 64)
        return;
    uint64_t width = model_net_n_outputs(m), state = 0;
    for (int i = 0; i < nb; i++) {
        const model_block_desc *d = model_net_block(m, i);
        width = d->act_in_elems > width ? d->act_in_elems : width;
        width = d->act_out_elems > width ? d->act_out_elems : width;
        state += d->kv_elems_per_item * (uint64_t)model_net_seq_len(m);
    }
    uint64_t raw_n = model_net_raw_in_elems(m);
    if (width > (1u << 16) || raw_n > (1u << 20) || state > (1u << 24))
        return; /* valid but too big to run thousands of times a second */
    float *raw = calloc(raw_n + 1, sizeof *raw), *a = calloc(width, sizeof *a),
          *b = calloc(width, sizeof *b);
    model_state *st = NULL;
    fuzz_check(raw && a && b, "calloc");
    const int32_t token = 0;
    ss_status s = model_state_create(m, 0, nb, &st);
    if (s == SS_OK)
        s = model_net_embed(m, 1, raw_n ? NULL : &token, raw_n ? raw : NULL, a);
    if (s == SS_OK)
        s = model_net_span_forward(m, st, 0, nb, 0, 1, a, b);
    if (s == SS_OK)
        s = model_net_head(m, 1, b, a);
    fuzz_check(s == SS_OK || s == SS_ENOMEM, "a forward pass on an accepted model failed");
    model_state_destroy(st);
    free(raw), free(a), free(b);
}
