// exp(x - m) for x <= m, written once over the vector traits V.
//
// Method: y = x - m is formed exactly as hi + lo (TwoSum), so the rounding of the subtraction does
// not reach the result; that error alone is up to 4e-6 relative for float rows whose entries spread
// over ~70 (what onnxruntime and PyTorch show as ~1.3e-6). Then the classic Cody-Waite reduction:
// k = round(hi / ln 2), r = hi - k*ln2_hi - k*ln2_lo + lo, |r| <= ln2/2 (+ tiny), and
// exp(y) = 2^k * p(r) with p the Taylor polynomial of exp.
//
// Constants:
// - ln2_hi = ln 2 rounded to T, ln2_lo = (ln 2 - ln2_hi) rounded to T (computed with 60-digit
//   decimal arithmetic). Each step of the reduction is one fused multiply-add, so one rounding.
// - p is the degree-7 (float) / degree-13 (double) Taylor polynomial, coefficients 1/i! rounded to
//   T. Truncation error on |r| <= 0.3466: r^8/8! <= 5.3e-9 (2^-27.5, under 0.1 ulp of binary32) and
//   r^14/14! <= 4.2e-18 (under 0.04 ulp of binary64). Evaluated as 1 + (r + r^2 q(r)) so the last
//   rounding is of a number near 1, with q by Estrin's scheme (short dependency chains).
// Measured error (test/exp.test.ts, every ISA): see docs/accuracy.md, "Accuracy".
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "common.h"

namespace logitkit {

// Traits whose fma is one hardware instruction (the vector paths) say so with kFastFma = true; the
// exponential then rounds x / ln 2 to an integer by one fma with a "magic" bias instead of a
// multiply and a rounding instruction (vrndscaleps is two micro-ops on Intel cores).
template <class V, class = void>
struct FastFma : std::false_type {};
template <class V>
struct FastFma<V, std::enable_if_t<V::kFastFma>> : std::true_type {};

// Traits with ldexp_or_zero(p, k, z) (traits.md: p * 2^k, and +0 where k <= z without forming
// the product) give the exponentials' terms that round to +0 that way: see Exp::scale.
template <class V, class = void>
struct HasLdexpOrZero : std::false_type {};
template <class V>
struct HasLdexpOrZero<V, std::void_t<decltype(static_cast<void>(V::ldexp_or_zero(
                              std::declval<typename V::R&>(), std::declval<typename V::R&>(), std::declval<typename V::R&>())))>>
    : std::true_type {};

template <class T>
struct ExpConst;

template <>
struct ExpConst<float> {
  static constexpr float kLog2e = 1.44269502f;
  static constexpr float kLn2Hi = 0.693147182f;       // 0x3F317218
  static constexpr float kLn2Lo = -1.90465421e-09f;
  static constexpr int kDegree = 7;
};

template <>
struct ExpConst<double> {
  static constexpr double kLog2e = 1.4426950408889634;
  static constexpr double kLn2Hi = 0.69314718055994529;  // 0x3FE62E42FEFA39EF
  static constexpr double kLn2Lo = 2.3190468138462996e-17;
  static constexpr int kDegree = 13;
};

// A traits struct for float that can pick 16 entries of a table by the low four bits of each
// lane's integer bits (permute16: vpermps on AVX-512), and whose ldexp floors a fractional
// exponent (vscalefps), says so with kTable16 = true: its exponential is then the table-driven one
// below (exp16).
template <class V, class = void>
struct Table16 : std::false_type {};
template <class V>
struct Table16<V, std::enable_if_t<V::kTable16 && std::is_same_v<typename V::T, float>>> : std::true_type {};

// 2^(i/16), i = 0..15, as hi + lo floats: hi = 2^(i/16) rounded to float, lo = the rest rounded
// (computed with 200-bit arithmetic, mpmath; bit patterns). hi + lo is 2^(i/16) within 2^-48.
alignas(64) inline constexpr uint32_t kExp2FracHi[16] = {
    0x3f800000, 0x3f85aac3, 0x3f8b95c2, 0x3f91c3d3, 0x3f9837f0, 0x3f9ef532, 0x3fa5fed7, 0x3fad583f,
    0x3fb504f3, 0x3fbd08a4, 0x3fc5672a, 0x3fce248c, 0x3fd744fd, 0x3fe0ccdf, 0x3feac0c7, 0x3ff5257d};
alignas(64) inline constexpr uint32_t kExp2FracLo[16] = {
    0x00000000, 0x334f9891, 0xb260aba1, 0x33675624, 0x33231b71, 0x33412342, 0xb32c9d5e, 0xb22deaf6,
    0x32cfe77a, 0xb3414fe8, 0x320aa837, 0x3228fc24, 0xb2d4a58a, 0xb21eab59, 0xb24116de, 0x32292436};

template <class V>
struct Exp {
  using T = typename V::T;
  using R = typename V::R;

  // k = x / ln 2 rounded to the nearest integer (ties to even). With a fast fma: x * log2e + 1.5 *
  // 2^mant rounded once, minus the bias: the integer nearest the exact product (|x / ln 2| < 2^22
  // for float, 2^51 for double, which the callers' ranges keep; NaN and -inf pass through). It can
  // differ from round(x * log2e), which rounds the product first, by one when the product lies
  // within half an ulp of a half-integer; r = x - k ln 2 then stays within 0.35 + 2^-24, where the
  // polynomial's error bound still holds.
  static LOGITKIT_INLINE R round_log2e(R x) {
    if constexpr (FastFma<V>::value) {
      const R magic = V::set1(std::is_same_v<T, float> ? T(12582912.0) : T(6755399441055744.0));
      return V::sub(V::fma(x, V::set1(ExpConst<T>::kLog2e), magic), magic);
    } else {
      return V::round(V::mul(x, V::set1(ExpConst<T>::kLog2e)));
    }
  }

  // p * 2^k for the exponentials' p (in [0.7, 1.96]): where k <= kZero, p * 2^floor(k) is below
  // half the smallest subnormal (2^-150, 2^-1075) and rounds to +0. Traits with ldexp_or_zero give
  // those lanes +0 without forming the product, whose underflow costs a microcode assist per
  // register on Intel cores: entries at the floor of a row (-inf logits, masked vocabularies, the
  // lanes past a row's end) made softmax of 16x128256 with half its logits -inf 11x slower, and
  // a row of 100 twice as slow as one of 96 (avx512, measured). Either way, the same bits.
  static constexpr T kZero = std::is_same_v<T, float> ? T(-150.5) : T(-1075.5);
  static LOGITKIT_INLINE R scale(R p, R k) {
    if constexpr (HasLdexpOrZero<V>::value) return V::ldexp_or_zero(p, k, V::set1(kZero));
    else return V::ldexp(p, k);
  }

  // 1/i! rounded to T, i = 0..13.
  static constexpr T kInvFact[14] = {
      T(1.0),
      T(1.0),
      T(0.5),
      T(0.16666666666666666),
      T(0.041666666666666664),
      T(0.0083333333333333332),
      T(0.0013888888888888889),
      T(0.00019841269841269841),
      T(2.4801587301587302e-05),
      T(2.7557319223985893e-06),
      T(2.7557319223985888e-07),
      T(2.505210838544172e-08),
      T(2.08767569878681e-09),
      T(1.6059043836821613e-10),
  };

  // c_i + c_{i+1} r, the pairs of Estrin's scheme.
  template <int i>
  static LOGITKIT_INLINE R pair(R r) {
    return V::fma(V::set1(kInvFact[i + 1]), r, V::set1(kInvFact[i]));
  }

  // q(r) = sum_{i=2..d} r^(i-2) / i!, by Estrin's scheme: the same operation count as Horner's
  // rule but a dependency chain about half as long, which is what bounds the loop's throughput.
  static LOGITKIT_INLINE R poly_q(R r, R r2) {
    if constexpr (ExpConst<T>::kDegree == 7) {
      // q = (c2 + c3 r) + r^2 (c4 + c5 r) + r^4 (c6 + c7 r)
      const R r4 = V::mul(r2, r2);
      return V::fma(pair<6>(r), r4, V::fma(pair<4>(r), r2, pair<2>(r)));
    } else {
      // degree 13: q has 12 coefficients, six pairs in powers of r^2
      const R r4 = V::mul(r2, r2);
      const R lo = V::fma(V::fma(pair<6>(r), r2, pair<4>(r)), r2, pair<2>(r));
      const R hi = V::fma(V::fma(pair<12>(r), r2, pair<10>(r)), r2, pair<8>(r));
      return V::fma(hi, V::mul(r4, r2), lo);
    }
  }

  // x - m as hi + lo exactly (TwoSum with b = -m; negm is -m broadcast).
  static LOGITKIT_INLINE void diff(R x, R m, R negm, R& hi, R& lo) {
    hi = V::sub(x, m);
    R xv = V::add(hi, m);
    R mv = V::sub(hi, xv);
    lo = V::add(V::sub(x, xv), V::sub(negm, mv));
  }

  // (hi + lo) * (ih + il), where ih + il is 1/temperature: the product is carried as a new hi + lo.
  static LOGITKIT_INLINE void scale(R& hi, R& lo, R ih, R il) {
    R p = V::mul(hi, ih);
    R e = V::fms(hi, ih, p);
    lo = V::fma(hi, il, V::fma(lo, ih, e));
    hi = p;
  }

  // exp(hi + lo) for hi <= 0, hi possibly -inf or NaN (NaN propagates, -inf gives +0).
  static LOGITKIT_INLINE R exp_hl(R hi, R lo) {
    const R lowest = V::set1(ExpLimits<T>::kLowest);
    lo = V::keep_if_ge(hi, lowest, lo);  // lo is NaN when hi = -inf; it is irrelevant there
    hi = V::max(lowest, hi);             // NaN in hi survives (second operand)
    return exp_reduced(hi, lo);
  }

  // exp(x + lo) * 2^-j by a table (Table16): k = round(x * 16 / ln 2) by one fma and a magic bias
  // (whose low four mantissa bits are then k mod 16), r = x - k ln2/16 + lo in two fmas (the first
  // exact: ln2_hi / 16 has the bits of ln2_hi, and r, below 2^-5, is a multiple of 2^-28), |r| <=
  // ln2/32 + 2^-22; exp(r) - 1 ~ p = r + r^2 (1/2 + r/6), whose truncation r^4/24 is under 9.2e-9
  // (0.08 ulp); then 2^(i/16) (1 + p) = hi + (hi p + lo) with i = k mod 16, rounded once, and
  // scaled by 2^(floor(k/16) - j) (vscalefps floors the fraction k/16 - j), which also rounds a
  // subnormal once. 14 operations per register where the polynomial exponential takes 18; measured
  // 0.80 ulp at most over [-100, 0] against expl (the polynomial: 1.02).
  template <bool kLo>
  static LOGITKIT_INLINE R exp16(R x, R lo, R negj) {
    const R magic = V::set1(T(12582912.0));  // 1.5 * 2^23
    const R kb = V::fma(x, V::set1(T(23.083120346069336)), magic);  // 16 / ln 2
    const R k = V::sub(kb, magic);
    R r = V::fma(k, V::set1(T(-0.043321698904037476)), x);  // ln2_hi / 16
    r = V::fma(k, V::set1(T(1.1904088825787085e-10)), r);    // -(ln 2 / 16 - that)
    if constexpr (kLo) r = V::add(r, lo);
    const R th = V::permute16(kb, reinterpret_cast<const T*>(kExp2FracHi));
    const R tl = V::permute16(kb, reinterpret_cast<const T*>(kExp2FracLo));
    const R p = V::fma(V::mul(r, r), V::fma(V::set1(T(1.0 / 6.0)), r, V::set1(T(0.5))), r);
    return scale(V::add(th, V::fma(th, p, tl)), V::fma(k, V::set1(T(0.0625)), negj));
  }

  // exp(hi + lo) for finite hi in [kLowest - 1, 0] (or NaN, which propagates).
  static LOGITKIT_INLINE R exp_reduced(R hi, R lo) {
    if constexpr (Table16<V>::value) return exp16<true>(hi, lo, V::set1(T(0)));
    R k = round_log2e(hi);
    R r = V::fma(k, V::set1(-ExpConst<T>::kLn2Hi), hi);
    r = V::fma(k, V::set1(-ExpConst<T>::kLn2Lo), r);
    return scale(poly(V::add(r, lo)), k);
  }

  // exp(x - j ln 2) for an integral j (a row's shift, see SoftmaxKernels::Shift) and x with
  // k = round(x / ln 2) in [j - 160, j] (f32; [j - 1200, j] for f64), |x| < 2^13 (rows of |max| < 2^12,
  // entries raised to max - 105), or NaN.
  // No subtraction of the maximum, so nothing to make exact: the reduction is that of exp(x),
  // x - k ln2_hi is exact (one fused operation; the difference, below 0.35 + a few ulps, is a
  // multiple of 2^-24 (f32) / 2^-53 (f64) with 24 / 53 bits to spare), and the shift by j goes
  // into the exponent, exactly. Six operations fewer than exp_reduced after a TwoSum of x - m.
  static LOGITKIT_INLINE R exp_minus_j(R x, R j) {
    if constexpr (Table16<V>::value) return exp16<false>(x, x, V::sub(V::set1(T(0)), j));
    R k = round_log2e(x);
    R r = V::fma(k, V::set1(-ExpConst<T>::kLn2Hi), x);
    r = V::fma(k, V::set1(-ExpConst<T>::kLn2Lo), r);
    return scale(poly(r), V::sub(k, j));
  }

  // p(r) = 1 + (r + r^2 q(r)) ~ exp(r) for |r| <= 0.35.
  static LOGITKIT_INLINE R poly(R r) {
    const R r2 = V::mul(r, r);
    return V::add(V::fma(r2, poly_q(r, r2), r), V::set1(T(1)));
  }

  // exp(x) for x <= 0, as the softmax kernels use it: the raw entry point behind the benchmark's
  // compute ceiling and the ULP tests.
  static LOGITKIT_INLINE R exp_nonpos(R x) { return exp_hl(x, V::set1(T(0))); }
};

}  // namespace logitkit
