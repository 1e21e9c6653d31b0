/* ss_rng.c - xoshiro256** as a gsl_rng type, and stream-seed derivation. */
#include "ss_rng.h"



typedef struct xoshiro_state {
    uint64_t s[4];
} xoshiro_state;

uint64_t ss_splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static void xoshiro_set(void *vstate, unsigned long seed)
{
    xoshiro_state *st = vstate;
    uint64_t sm = (uint64_t)seed;
    for (int i = 0; i < 4; i++)
        st->s[i] = ss_splitmix64_next(&sm);
}

static unsigned long xoshiro_get(void *vstate)
{
    uint64_t *s = ((xoshiro_state *)vstate)->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return (unsigned long)result;
}

static double xoshiro_get_double(void *vstate)
{
    /* 53 high bits -> [0, 1) with every double equally spaced. */
    return (double)(xoshiro_get(vstate) >> 11) * 0x1.0p-53;
}

_Static_assert(sizeof(unsigned long) == 8, "xoshiro256** needs a 64-bit unsigned long");

static const gsl_rng_type xoshiro_type = {
    "xoshiro256**", ~0UL, 0, sizeof(xoshiro_state), xoshiro_set, xoshiro_get,
    xoshiro_get_double,
};
const gsl_rng_type *ss_rng_xoshiro256ss = &xoshiro_type;

/* The SplitMix64 finaliser: a bijection of 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t ss_rng_stream_seed(uint64_t seed, uint32_t kind, uint64_t id, uint32_t purpose)
{
    /* Chain the name through the mixer one word at a time; the odd constants
     * keep a zero word from leaving the state unchanged. */
    uint64_t h = mix64(seed + UINT64_C(0x9E3779B97F4A7C15));
    h = mix64(h ^ (((uint64_t)kind << 32) | purpose) ^ UINT64_C(0xD1B54A32D192ED03));
    h = mix64(h ^ id ^ UINT64_C(0x8CB92BA72F3D8DD7));
    return h;
}

ss_status ss_rng_create(uint64_t seed, uint32_t kind, uint64_t id, uint32_t purpose,
                         gsl_rng **out)
{
    *out = gsl_rng_alloc(ss_rng_xoshiro256ss);
    if (!*out)
        return SS_ENOMEM;
    gsl_rng_set(*out, (unsigned long)ss_rng_stream_seed(seed, kind, id, purpose));
    return SS_OK;
}
