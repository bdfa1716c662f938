/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for the content hash of unit files (blame-read.c): the same digest as
 * `sha256sum FILE`, so an admin can check a recorded hash by hand. Pure: no I/O, no allocation.
 * Not for secrets (no constant-time claims, nothing is wiped). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

typedef struct Sha256 {
        uint32_t h[8];
        uint64_t n_bytes;       /* bytes hashed so far */
        uint8_t block[64];      /* the partial block */
        size_t n_block;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t n);
/* Write the digest; s must be initialised again before reuse. */
void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]);
/* One call: the digest of n bytes. */
void sha256(const void *data, size_t n, uint8_t ret[static SHA256_DIGEST_SIZE]);
/* The digest as 64 lower-case hex digits and a NUL. Returns ret. */
char *sha256_hex(const uint8_t digest[static SHA256_DIGEST_SIZE], char ret[static SHA256_HEX_SIZE]);
