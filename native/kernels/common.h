// Plain types and scalar helpers shared by every kernel translation unit.
//
// Everything here is either a POD type or `static inline`, so each ISA translation unit (built with
// its own -m flags) gets its own private copy: no inline function compiled for AVX-512 can be
// picked by the linker for the scalar path (the usual one-definition-rule trap of per-ISA flags).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

// For the small vector functions of the hot loops (the exponential's steps): GCC otherwise leaves
// some of them out of line inside lambdas (the gradient pass called exp_minus_j per register).
#if defined(__GNUC__)
#define LOGITKIT_INLINE inline __attribute__((always_inline))
#define LOGITKIT_INLINE_LAMBDA __attribute__((always_inline))
#define LOGITKIT_PREFETCH(p) __builtin_prefetch((p), 0, 2)
#else
#define LOGITKIT_PREFETCH(p) ((void)(p))
#define LOGITKIT_INLINE inline
#define LOGITKIT_INLINE_LAMBDA
#endif

namespace logitkit {

// A double-double number hi + lo with |lo| <= ulp(hi) / 2. Sums of exponentials, reciprocals and
// logarithms travel between the layers in this form so that f64 rows keep their last bits.
struct DD {
  double hi;
  double lo;
};

// Error-free transformation: hi + lo == a + b exactly (Knuth's TwoSum, no ordering requirement).
static inline DD two_sum(double a, double b) {
  double s = a + b;
  double bb = s - a;
  double err = (a - (s - bb)) + (b - bb);
  return DD{s, err};
}

static inline DD dd_add(DD a, DD b) {
  DD s = two_sum(a.hi, b.hi);
  double lo = s.lo + a.lo + b.lo;
  double hi = s.hi + lo;
  return DD{hi, lo - (hi - s.hi)};
}

// A sum of doubles, exact to double-double accuracy while finite. TwoSum turns an infinity into
// NaN (inf - inf in its error term), so the plain IEEE sum rides along and decides once a term is
// infinite or NaN: a +Infinity loss among finite ones sums to +Infinity, as in PyTorch.
struct ExactSum {
  DD dd{0.0, 0.0};
  double plain = 0.0;
  void add(double v) { add_dd(DD{v, 0.0}); }
  void add_dd(DD v) {
    dd = dd_add(dd, v);
    plain += v.hi;
  }
  void merge(const ExactSum& o) {
    dd = dd_add(dd, o.dd);
    plain += o.plain;
  }
  DD total() const { return std::isfinite(plain) ? dd : DD{plain, 0.0}; }
  double value() const {
    const DD t = total();
    return t.hi + t.lo;
  }
};

// The ExactSum of f(0), ..., f(n - 1): four sums of every fourth term, merged in order. One
// ExactSum is a chain of dependent additions (~20 cycles a term); four interleaved ones overlap.
template <class F>
static inline double exact_sum(size_t n, F&& f) {
  ExactSum part[4];
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (size_t j = 0; j < 4; ++j) part[j].add(f(i + j));
  for (; i < n; ++i) part[i & 3].add(f(i));
  for (size_t j = 1; j < 4; ++j) part[0].merge(part[j]);
  return part[0].value();
}

// 1 / s for s > 0 as a double-double (one Newton step on the double reciprocal).
static inline DD dd_recip(DD s) {
  double q = 1.0 / s.hi;
  double r = std::fma(-s.hi, q, 1.0) - s.lo * q;  // 1 - s*q, exact first term
  return DD{q, q * r};
}

// log(s) for s > 0 as a double-double: log(hi) + lo/hi (|lo/hi| <= 2^-53, so one term suffices).
// Near 1 (a row whose maximum dominates: the usual confident prediction) it is log1p of the exact
// s - 1, so a cross-entropy loss of 1e-10 keeps its relative accuracy.
static inline DD dd_log(DD s) {
  if (s.hi >= 0.5 && s.hi <= 2.0) return DD{std::log1p((s.hi - 1.0) + s.lo), 0.0};
  return DD{std::log(s.hi), s.lo / s.hi};
}

// x - y for finite x (a double) and a double-double y, rounded to double.
static inline double dd_sub_to_double(double x, DD y) { return (x - y.hi) - y.lo; }

// Per-type constants of the exponential (see exp.h for where they come from).
template <class T>
struct ExpLimits;

template <>
struct ExpLimits<float> {
  // exp(x) for x < -104 rounds to +0 in binary32 (e^-104 < 2^-150, half the smallest subnormal),
  // so arguments below it are clamped to it: keeps the range reduction finite.
  static constexpr float kLowest = -104.0f;
};

template <>
struct ExpLimits<double> {
  // e^-746 < 2^-1075, half the smallest binary64 subnormal.
  static constexpr double kLowest = -746.0;
};

// Rows of up to this many elements are handled in one piece by the row kernels: max, exp-and-sum
// (storing exp into the output) and scale all run on data that stays in L2. Longer rows are split
// into chunks of this size whose partial maxima and sums are merged in chunk order (ops layer), so
// the result depends on the row length only, never on the thread count. 65536 float32 elements are
// 256 KB: a row's input and output fit in a 1 MB L2 together, so memory sees one read and one write.
constexpr size_t kChunk = 65536;

}  // namespace logitkit
