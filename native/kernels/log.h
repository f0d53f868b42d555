// log(s) of binary64 lanes as a double-double, written once over an ISA's double operations D
// (set1, add, sub, mul, fma, div, keep_if_ge, ldexp and exponent; see traits.md). It serves the
// per-lane kernels (short rows, columns), whose sums of exponentials satisfy s >= 1 (the largest
// term is exp(0) = 1) or are NaN; it replaces a scalar libm call per lane.
//
// Method: s = 2^e * m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact) plus the low part of s
// scaled alike, and log(1 + f) = 2 atanh(u) = 2 (u + u^3/3 + u^5/5 + ...), u = f / (2 + f),
// |u| <= 0.1716. The series stops at u^23/23: the first term left out is below u^24/50 <= 1e-20
// relative to 2u. u is carried as u + u_lo (the division's residual, by one fma), e ln2 as
// e ln2_hi + e ln2_lo with ln2_hi's last 11 bits zero so that e ln2_hi is exact, and the leading
// sum by TwoSum, so the result is within about one ulp. Near s = 1 (a confident prediction) f is
// s - 1 to one rounding, so a log of 1e-10 keeps its relative accuracy, as dd_log does.
// Measured against libm through log-softmax: test/softmax.test.ts, "short rows: the log-sum-exp".
#pragma once

#include <cstdint>
#include <cstring>

#include "common.h"

namespace logitkit {

template <class D>
struct VecLog {
  using R = typename D::R;

  static constexpr double kLn2Hi = 0.6931471805598903;     // 0x3FE62E42FEFA3800
  static constexpr double kLn2Lo = 5.497923018708371e-14;  // ln 2 - kLn2Hi, to 60 digits then rounded
  static constexpr double kSqrt2 = 1.4142135623730951;

  // 1/(2k+1) for k = 1..11, rounded to double: 2 atanh(u) = 2u + 2u^3 sum_k u^(2k-2) / (2k+1)
  static inline R series(R u2) {
    static constexpr double c[11] = {0.3333333333333333,  0.2,
                                     0.14285714285714285, 0.1111111111111111,
                                     0.09090909090909091, 0.07692307692307693,
                                     0.06666666666666667, 0.058823529411764705,
                                     0.05263157894736842, 0.047619047619047616,
                                     0.043478260869565216};
    R p = D::set1(c[10]);
    for (int k = 9; k >= 0; --k) p = D::fma(p, u2, D::set1(c[k]));
    return p;
  }

  // log(shi + slo) for shi >= 1 (NaN propagates), as hi + lo with |lo| <= ulp(hi).
  static inline void log_dd(R shi, R slo, R& hi, R& lo) {
    const R one = D::set1(1.0), two = D::set1(2.0), zero = D::set1(0.0);
    R e = D::exponent(shi);  // floor(log2 shi)
    R m = D::ldexp(shi, D::sub(zero, e));
    // m in [1, 2): move [sqrt 2, 2) down to [sqrt 1/2, 1), exactly
    const R up = D::keep_if_ge(m, D::set1(kSqrt2), one);
    m = D::sub(m, D::mul(D::mul(up, m), D::set1(0.5)));
    e = D::add(e, up);
    const R f = D::add(D::sub(m, one), D::ldexp(slo, D::sub(zero, e)));
    // u = f / (2 + f) with its residual
    const R d = D::add(two, f);
    const R d_lo = D::add(D::sub(two, d), f);  // 2 + f - d exactly (|f| < 2)
    const R u = D::div(f, d);
    const R u_lo = D::div(D::sub(D::fma(D::sub(zero, u), d, f), D::mul(u, d_lo)), d);
    const R u2 = D::mul(u, u);
    const R tail = D::mul(D::mul(D::add(u, u), u2), series(u2));  // 2u^3 (1/3 + u^2/5 + ...)
    // e ln2_hi + 2u by TwoSum; the small terms go to lo
    const R a = D::mul(e, D::set1(kLn2Hi)), b = D::add(u, u);
    const R s = D::add(a, b);
    const R bb = D::sub(s, a);
    const R err = D::add(D::sub(a, D::sub(s, bb)), D::sub(b, bb));
    const R small = D::add(D::add(D::mul(e, D::set1(kLn2Lo)), D::add(u_lo, u_lo)), D::add(tail, err));
    hi = D::add(s, small);
    lo = D::sub(small, D::sub(hi, s));
  }
};

// VecLog's operations on one binary64 value, for the row kernels' log of a row's sum (s > 0; the
// method needs no s >= 1: a sum in [1/2, 1) has e = -1 and m in [1, 2)). No libm call: in the
// log-softmax row kernel, perf put libm's log (~45 instructions, callgrind) at half the time of
// 10000x100, ~500 cycles a call, on avx2 and avx512 alike; why it stalls there (and not in
// cross-entropy's row kernel) is not established. ldexp and exponent work on the
// bits (no libm); the exponents here stay in [-1022, 1023] (s is at most a row's length), and a
// NaN or infinite s gives NaN or inf through m. In an unnamed namespace, so that each translation
// unit keeps its own VecLog<ScalarLogOps> (compiled for its ISA: one copy shared by the linker
// would be the scalar unit's, whose std::fma is a libm call; measured: 12x slower on avx512).
namespace {
struct ScalarLogOps {
  using R = double;
  static R set1(double v) { return v; }
  static R add(R a, R b) { return a + b; }
  static R sub(R a, R b) { return a - b; }
  static R mul(R a, R b) { return a * b; }
  static R div(R a, R b) { return a / b; }
  static R fma(R a, R b, R c) { return std::fma(a, b, c); }
  static R keep_if_ge(R a, R b, R x) { return a >= b ? x : 0.0; }
  static R ldexp(R p, R k) {  // p * 2^k, k integral, clamped to the normal exponents
    const double kc = k < -1022.0 ? -1022.0 : (k > 1023.0 ? 1023.0 : k);
    const uint64_t b = static_cast<uint64_t>(static_cast<int64_t>(kc) + 1023) << 52;
    double two;
    std::memcpy(&two, &b, sizeof two);
    return p * two;
  }
  static R exponent(R x) {  // floor(log2 x) of a positive normal x (NaN, inf: 1024)
    uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return static_cast<double>(static_cast<int64_t>((b >> 52) & 0x7ff) - 1023);
  }
};
}  // namespace

// log(s) as a double-double for a row's sum s > 0 (or NaN), within about an ulp: VecLog on one
// value, in place of dd_log (libm) in the log-softmax row kernel. Not in cross-entropy's: there
// it measured 10-40% slower than libm on 10000x100 (avx512 and avx2, alternating runs), where
// log-softmax ran twice as fast with it (310 -> 155 ns a row, avx512).
// Where std::fma is not one instruction (x86-64 code built without -mfma: the scalar path), its
// dozen libm calls would cost more than the one of dd_log, which stays.
static inline DD row_log(DD s) {
#if defined(__FMA__) || defined(__aarch64__)
  double hi, lo;
  VecLog<ScalarLogOps>::log_dd(s.hi, s.lo, hi, lo);
  return DD{hi, lo};
#else
  return dd_log(s);
#endif
}

}  // namespace logitkit
