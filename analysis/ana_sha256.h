/* ana_sha256.h - SHA-256 (FIPS 180-4), written for shardsim.
 *
 * Used for the scenario hash in a run's key and for the determinism digest.
 * SQLite's sha3() lives in the shell and an optional extension, not in the
 * library Debian ships, so the hash is ours. Streaming: init, any number of
 * updates, final. No allocation; the context is caller-owned storage.
 */
#ifndef ANA_SHA256_H
#define ANA_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ana_sha256 {
    uint32_t h[8];
    uint64_t n_bytes;      /* message length so far */
    uint8_t block[64];     /* pending partial block */
    size_t n_block;        /* bytes used in block */
} ana_sha256;

void ana_sha256_init(ana_sha256 *c);
void ana_sha256_update(ana_sha256 *c, const void *data, size_t n);
/* Writes the 32-byte digest; the context must be re-initialised to reuse it. */
void ana_sha256_final(ana_sha256 *c, uint8_t out[32]);
/* One-shot helper: lower-case hex digest of data[0..n) into hex (65 bytes with NUL). */
void ana_sha256_hex(const void *data, size_t n, char hex[65]);
/* Lower-case hex of a 32-byte digest (65 bytes with NUL). */
void ana_sha256_to_hex(const uint8_t digest[32], char hex[65]);

#endif
