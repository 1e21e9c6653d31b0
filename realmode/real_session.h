/* real_session.h - the real data of one generation session in real mode.
 *
 * While sim_run decides WHEN things happen, a session computes WHAT happens:
 * the client embeds the pass's tokens, every hop decodes the activation it
 * received, runs the actual span forward pass on the node's KV cache for
 * this session and encodes its output with the wire codec; the client
 * decodes the last output, applies the head and picks the next token with
 * llama2.c's greedy rules (model_gen). Nothing here knows simulated time.
 *
 * Replay (Petals' recovery): the client keeps every hop's decoded inputs,
 * chunked as they were processed. When a hop's node fails, its KV cache is
 * gone; real_session_replace_hop gives the hop a fresh cache and replays the
 * stored chunks through it with the same calls as the first time, so the
 * rebuilt cache is bit-identical and generation continues exactly.
 */
#ifndef REAL_SESSION_H
#define REAL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "comp.h"
#include "model_net.h"
#include "model_tokenizer.h"
#include "route.h"
#include "ss_status.h"

typedef struct real_session real_session;

typedef struct real_session_cfg {
    const model_net *net;        /* borrowed for the session's life */
    const model_tokenizer *tok;  /* borrowed */
    comp_codec codec;            /* activations on the wire */
    const char *prompt;          /* NULL: "" (generation from BOS) */
    int steps;                   /* positions including the prompt; <= 0: seq_len */
    FILE *out;                   /* generated text as llama2.c prints it; NULL: none */
    int n_hops;
    const route_hop *hops;       /* (n_hops) spans tiling [0, n_blocks), copied; only the
                                  * spans are used, so a hop may still be unbound */
    bool relayed;                /* routing.pattern "client-relayed": every hop's output
                                  * goes to the client, which decodes it and encodes it
                                  * again for the next hop (real_session_relay) */
} real_session_cfg;

ss_status real_session_create(const real_session_cfg *cfg, real_session **out, char *err,
                             size_t errlen);
void real_session_destroy(real_session *s); /* NULL allowed */

bool real_session_done(const real_session *s);
/* Rows (tokens) in the current pass, and the position of its first row. */
int real_session_pass_rows(const real_session *s);
int real_session_pass_pos(const real_session *s);

/* Client: start the next pass (embed, encode for hop 0). *wire_bytes = the
 * exact encoded size sent to hop 0. */
ss_status real_session_begin_pass(real_session *s, uint64_t *wire_bytes, char *err, size_t errlen);
/* Node of hop h: decode the input, run the span, encode the output.
 * *wire_bytes = exact size of the output sent on (to hop h+1 or the client). */
ss_status real_session_compute(real_session *s, int hop, uint64_t *wire_bytes, char *err,
                              size_t errlen);
/* Client: decode the last hop's output, head, choose and print the next token. */
ss_status real_session_end_pass(real_session *s, char *err, size_t errlen);

/* Hop h lost its node (and cache): give it a fresh cache and replay its
 * stored inputs (all positions before the current pass). *replayed = number
 * of positions replayed (the cost of the replay is the caller's business). */
ss_status real_session_replace_hop(real_session *s, int hop, int *replayed, char *err,
                                  size_t errlen);
/* Client, "client-relayed": hop h's output reached the client; decode it
 * and encode it again for hop h + 1 (the codec applies on each crossing).
 * *wire_bytes = the exact size sent on. */
ss_status real_session_relay(real_session *s, int hop, uint64_t *wire_bytes, char *err,
                             size_t errlen);
/* Hop h lost its node and the policy rerouted its blocks into the chain
 * hops[0 .. n) (tiling hop h's span, n >= 1): the session's hops become
 * prefix + hops + suffix, each new hop with a fresh cache rebuilt by
 * replaying hop h's stored inputs (all positions before the current pass)
 * through the new chain, chunk by chunk as first processed, each new hop's
 * outputs crossing the wire (codec) into the next one's inputs. The
 * current pass's input for hop h (the wire) is untouched: the caller
 * resends it to the first new hop. *replayed = positions replayed per new
 * hop. On error the session is unchanged. */
ss_status real_session_splice(real_session *s, int hop, const route_hop *hops, int n,
                              int *replayed, char *err, size_t errlen);
/* Positions whose inputs hop h would replay now. */
int real_session_history_rows(const real_session *s, int hop);
/* Bytes of KV cache the session holds at hop h. */
uint64_t real_session_kv_bytes(const real_session *s, int hop);

/* Adversaries (issue 15): how a replica alters a span's output before it
 * is encoded for the next hop. */
typedef enum real_tamper_kind {
    REAL_TAMPER_NONE,  /* honest */
    REAL_TAMPER_NOISE, /* + Gaussian noise, sd = size x RMS of the output (from rng) */
    REAL_TAMPER_SIGN,  /* every element negated */
    REAL_TAMPER_BIAS,  /* + size x RMS on every element */
    REAL_TAMPER_STALE, /* free-rider: the last row of the previous pass's output, every row
                        * (zeros at the first pass) */
} real_tamper_kind;

typedef struct real_tamper {
    real_tamper_kind kind;
    double size;
    gsl_rng *rng;      /* NOISE only; borrowed */
} real_tamper;

/* Node of hop h and m - 1 replicas of its span: run the span once (as
 * real_session_compute), form replica i's output with tampering t[i], and
 * compare the m tensors exactly: cls[i] = 0 when output i equals the
 * honest output bit for bit, else 1 + the first replica whose output is
 * identical. Nothing is encoded: real_session_send does that. */
ss_status real_session_compute_set(real_session *s, int hop, const real_tamper *t, int m,
                                   int *cls, char *err, size_t errlen);
/* Encode replica idx's output of the last real_session_compute_set (idx < 0:
 * the honest output) as hop h's output on the wire. */
ss_status real_session_send(real_session *s, int hop, int idx, uint64_t *wire_bytes, char *err,
                            size_t errlen);

#endif
