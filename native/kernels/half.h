// Half-precision storage: float16 (IEEE binary16) and bfloat16 elements, read and written by the
// float32 kernels a register at a time (never a converted copy of a row).
//
// F16 and BF16 are distinct types over the same 16 bits, so that a kernel templated over its input
// and output element types (X, Y) picks the conversion by overload. Mem<V> is the kernels' one way
// to touch memory: load / load_tail / store / store_tail / stream for T (forwarded to the traits V)
// and for the half types (the traits' load_h / store_h of full registers; tails through a buffer).
//
// Rounding to half is to nearest, ties to even, from the float32 value; subnormals are kept, a
// value past the largest finite one becomes +-Infinity, and a NaN stays NaN (quiet, its sign and
// top payload bits kept, as x86's vcvtps2ph and ARM's fcvtn do, so that scalar and vector
// conversions give the same bits).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common.h"

namespace logitkit {

struct F16 {
  uint16_t bits;
};
struct BF16 {
  uint16_t bits;
};

template <class X>
struct IsHalf : std::false_type {};
template <>
struct IsHalf<F16> : std::true_type {};
template <>
struct IsHalf<BF16> : std::true_type {};

static inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// The value of an element as the kernels compute with it.
static inline float widen(float v) { return v; }
static inline double widen(double v) { return v; }
static inline float widen(BF16 h) { return bits_to_float(static_cast<uint32_t>(h.bits) << 16); }
static inline float widen(F16 h) {
  const uint32_t s = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  const uint32_t e = (h.bits >> 10) & 0x1fu, m = h.bits & 0x3ffu;
  // Infinity, or a NaN made quiet (its top payload bit set) as vcvtph2ps and fcvtl make it, so
  // that a scalar tail and a vector register give one NaN the same bits
  if (e == 0x1f) return bits_to_float(s | 0x7f800000u | ((m != 0 ? m | 0x200u : 0u) << 13));
  if (e != 0) return bits_to_float(s | ((e + 112u) << 23) | (m << 13));
  const float v = static_cast<float>(m) * 0x1p-24f;  // subnormal (or zero): exact
  return s ? -v : v;
}

static inline uint16_t f16_bits(float f) {
  uint32_t u = float_to_bits(f);
  const uint16_t s = static_cast<uint16_t>((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return static_cast<uint16_t>(s | 0x7e00u | ((u >> 13) & 0x3ffu));  // NaN
  if (u >= 0x477ff000u) return static_cast<uint16_t>(s | 0x7c00u);  // >= 65520: Infinity
  if (u < 0x38800000u) {  // below 2^-14: a subnormal half, in units of 2^-24
    const uint32_t e = u >> 23;
    if (e < 102) return s;  // below 2^-25 (2^-25 itself ties to 0)
    const uint32_t mant = (u & 0x7fffffu) | 0x800000u, shift = 126 - e;
    uint32_t r = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<uint16_t>(s | r);
  }
  const uint32_t r = u - 0x38000000u;  // exponent rebiased from 127 to 15
  return static_cast<uint16_t>(s | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13));
}

static inline uint16_t bf16_bits(float f) {
  const uint32_t u = float_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // NaN, quiet
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// An element of type Y from a computed value.
template <class Y, class T>
static inline Y narrow(T v) {
  if constexpr (std::is_same_v<Y, F16>) return F16{f16_bits(static_cast<float>(v))};
  else if constexpr (std::is_same_v<Y, BF16>) return BF16{bf16_bits(static_cast<float>(v))};
  else return static_cast<Y>(v);
}

template <class V>
struct Mem {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr size_t N = V::N;

  static LOGITKIT_INLINE R load(const T* p) { return V::load(p); }
  static LOGITKIT_INLINE R load_tail(const T* p, size_t n, T fill) { return V::load_tail(p, n, fill); }
  static LOGITKIT_INLINE void store(T* p, R v) { V::store(p, v); }
  static LOGITKIT_INLINE void store_tail(T* p, R v, size_t n) { V::store_tail(p, v, n); }

  template <class H, std::enable_if_t<IsHalf<H>::value, int> = 0>
  static LOGITKIT_INLINE R load(const H* p) {
    return V::load_h(p);
  }
  template <class H, std::enable_if_t<IsHalf<H>::value, int> = 0>
  static LOGITKIT_INLINE void store(H* p, R v) {
    V::store_h(p, v);
  }
  template <class H, std::enable_if_t<IsHalf<H>::value, int> = 0>
  static inline R load_tail(const H* p, size_t n, T fill) {
    alignas(64) T t[N];
    for (size_t j = 0; j < N; ++j) t[j] = j < n ? widen(p[j]) : fill;
    return V::load(t);
  }
  template <class H, std::enable_if_t<IsHalf<H>::value, int> = 0>
  static inline void store_tail(H* p, R v, size_t n) {
    alignas(64) T t[N];
    V::store(t, v);
    for (size_t j = 0; j < n; ++j) p[j] = narrow<H>(t[j]);
  }
};

}  // namespace logitkit
