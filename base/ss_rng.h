/* ss_rng.h - named random streams derived from the scenario seed.
 *
 * Every random draw of a run comes from a stream named by (kind, id,
 * purpose): the workload's arrivals, node 17's service times, link 3's
 * jitter... A stream's seed is a SplitMix64-style hash chain of the master
 * seed and the packed name, so adding a node (a new name) never shifts the
 * draws of any other stream, and nearby names give unrelated streams (never
 * a plain XOR of small integers).
 *
 * Each stream is a GSL `gsl_rng` of our own type "xoshiro256**" seeded with
 * all 64 bits: GSL's mt19937 truncates seeds to 32 bits and aliases seed 0
 * with 4357 (PITFALLS.md), which would make distinct streams collide. Being a
 * gsl_rng, a stream feeds every GSL distribution (gsl_ran_*). Never call
 * gsl_rng_env_setup: environment variables must not change results.
 */
#ifndef SS_RNG_H
#define SS_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "ss_status.h"

/* Stream kinds (stable numbers: changing one changes every result). */
typedef enum ss_rng_kind {
    SS_RNG_WORKLOAD = 1,
    SS_RNG_NODE = 2,
    SS_RNG_LINK = 3,
    SS_RNG_FAULT = 4,
    SS_RNG_ROUTING = 5,
    SS_RNG_TUNE = 6, /* experiment/exp_tune: the BRKGA's keys */
    SS_RNG_TRUST = 7, /* sim/sim_trust: who is byzantine, per-step misbehaviour and checks */
    SS_RNG_TEST = 99,
} ss_rng_kind;

/* Purposes within a kind (stable numbers). */
typedef enum ss_rng_purpose {
    SS_RNG_ARRIVALS = 1,
    SS_RNG_PROMPT_LEN = 2,
    SS_RNG_OUTPUT_LEN = 3,
    SS_RNG_SERVICE = 4,
    SS_RNG_JITTER = 5,
    SS_RNG_UPTIME = 6,
    SS_RNG_CHOICE = 7,
    SS_RNG_ANNOUNCE = 8, /* a node's announcement phase (sim_announce.c) */
    SS_RNG_REBALANCE = 9, /* a node's rebalancing checks and shuffles (sim_rebal.c) */
} ss_rng_purpose;

/* The GSL generator type: xoshiro256** (Blackman & Vigna), state expanded
 * from the 64-bit seed by SplitMix64 as its authors recommend. */
extern const gsl_rng_type *ss_rng_xoshiro256ss;

/* One SplitMix64 step: advances *state and returns the next output. */
uint64_t ss_splitmix64_next(uint64_t *state);

/* The stream seed for (seed, kind, id, purpose). */
uint64_t ss_rng_stream_seed(uint64_t seed, uint32_t kind, uint64_t id, uint32_t purpose);

/* A new generator for the named stream; free with gsl_rng_free. */
ss_status ss_rng_create(uint64_t seed, uint32_t kind, uint64_t id, uint32_t purpose,
                         gsl_rng **out);

#endif
