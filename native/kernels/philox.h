// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// the counter-based generator of sample(): one block per sampled row, so a draw depends on
// (seed, counter) only, never on threads or the order rows are visited in. Checked against the
// authors' known-answer vectors by test/decide.test.ts (through a JavaScript twin of this file
// that must reproduce every native draw).
#pragma once

#include <cstdint>

namespace logitkit {

struct Philox4x32 {
  static constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  static constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // key schedule (Weyl) increments

  // ten rounds over counter c with key k; c receives the output block
  static void block(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
      if (r > 0) {
        k0 += kW0;
        k1 += kW1;
      }
      const uint64_t p0 = static_cast<uint64_t>(kM0) * c[0], p1 = static_cast<uint64_t>(kM1) * c[2];
      const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      const uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
      c[0] = n0;
      c[1] = lo1;
      c[2] = n2;
      c[3] = lo0;
    }
  }

  // The documented uniform of sample(): key = seed (low word first), counter = (counter as 64 bits,
  // low word first, 0, 0); u = (first output word >> 8) * 2^-24, in [0, 1).
  static double uniform(uint64_t seed, uint64_t counter) {
    uint32_t c[4] = {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u};
    block(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    return static_cast<double>(c[0] >> 8) * 0x1p-24;
  }
};

}  // namespace logitkit
