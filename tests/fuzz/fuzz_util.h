/* fuzz_util.h - what the fuzz harnesses share.
 *
 * Every harness defines LLVMFuzzerTestOneInput(data, size) and runs under
 * two drivers: libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) and
 * fuzz_main.c, a plain main that replays corpus files (gcc, `make test`).
 * The loaders read paths, not buffers, so an input is written to one file
 * in a private temporary folder first (a few microseconds on tmpfs or the
 * page cache). A harness must never abort on a rejected input: only a
 * sanitizer report or a broken invariant (fuzz_check) is a finding.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "model_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The private folder (created on first use, removed at exit). */
const char *fuzz_dir(void);

/* Writes `n` bytes to fuzz_dir()/name and returns the path (static storage,
 * valid until the next call). Aborts if the file cannot be written: that is
 * the machine, not the input. */
const char *fuzz_write(const char *name, const void *data, size_t n);

/* With FUZZ_VERBOSE set in the environment, prints "label: verdict" (the
 * loader's error line, or "accepted") to stderr: replaying a corpus with it
 * shows which seeds reach the deep paths. Silent otherwise. */
void fuzz_note(const char *label, const char *verdict);

/* Writes fuzz_dir()/config.json once: the Hugging Face config of the tiny
 * llama in the seed corpus, which the safetensors llama loader reads from
 * the folder of the weights file. */
void fuzz_hf_config(void);

/* One token (or one zero image) through every block of an accepted model:
 * embed, span_forward over [0, n_blocks), head. Skipped when the model is
 * too big to run per input. A failure other than SS_ENOMEM is a finding:
 * the loader accepted a model the kernels cannot run. */
void fuzz_net_forward(const model_net *m);

/* A broken invariant: prints `what` and aborts (a finding). */
#define fuzz_check(cond, what)                                                                \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fuzz_fail(__FILE__, __LINE__, (what));                                            \
    } while (0)
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
