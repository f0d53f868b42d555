// The kernels of the decision ops (argmax, top-k, sampling; ops/decide.cc), written once over the
// vector traits V (traits.md): comparisons give lane bitmasks (mask_ge, mask_gt), so a register is
// tested in one instruction and the rare lanes that matter are visited by their bit.
//
// Order of the decisions: a NaN counts as larger than every number (the first NaN of a row is its
// argmax, as in PyTorch), equal values rank by index (lower first, the ONNX TopK rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "common.h"
#include "half.h"

namespace logitkit {

// Which elements pass_index keeps, against a threshold t.
enum class Pass : int {
  kAbove = 0,    // !(t >= x): x > t, or x NaN (largest-first top-k)
  kBelow = 1,    // x < t (smallest-first top-k)
  kOrdered = 2,  // x not NaN (smallest-first top-k while its k-th candidate is a NaN)
};

// The row x is stored as X (T, or a half type of half.h read a register at a time); the
// exponentials of sum_ge are always T.
template <class V, class X = typename V::T>
struct SelectKernels {
  using T = typename V::T;
  using R = typename V::R;
  using M = Mem<V>;
  static constexpr size_t N = V::N;
  static constexpr unsigned kAll = N >= 32 ? ~0u : (1u << N) - 1u;
  static constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  // argmax visits a row in blocks of this many elements: one lane test of the block's maximum per
  // block, then a search of the one block that holds the row's maximum
  static constexpr size_t kBlock = 64 * N;

  static LOGITKIT_INLINE unsigned nan_bits(R v) { return V::mask_unord(v, v); }
  static LOGITKIT_INLINE unsigned tail_bits(size_t k) { return k >= N ? kAll : (1u << k) - 1u; }

  // The first i in [b, e) with x[i] NaN (bits: nan_bits) or x[i] >= v (bits: mask_ge), else e.
  template <bool kNaN>
  static size_t first(const X* x, size_t b, size_t e, T v) {
    const R vv = V::set1(v);
    for (size_t i = b; i < e; i += N) {
      const size_t k = e - i < N ? e - i : N;
      const R r = k == N ? M::load(x + i) : M::load_tail(x + i, k, T(0));
      const unsigned m = (kNaN ? nan_bits(r) : V::mask_ge(r, vv)) & tail_bits(k);
      if (m) return i + static_cast<size_t>(__builtin_ctz(m));
    }
    return e;
  }

  // The index of the largest of x[0..n) (n >= 1): the first maximum, or the first NaN. Four
  // registers a step, one NaN test (mask_unord) per pair of maxima.
  static size_t argmax(const X* x, size_t n) {
    T best = kNegInf;
    size_t best_block = 0;
    for (size_t b = 0; b < n; b += kBlock) {
      const size_t e = n - b < kBlock ? n : b + kBlock;
      R m0 = V::set1(kNegInf), m1 = m0, m2 = m0, m3 = m0;
      unsigned nan = 0;
      size_t i = b;
      for (; i + 4 * N <= e; i += 4 * N) {
        m0 = V::max(m0, M::load(x + i));
        m1 = V::max(m1, M::load(x + i + N));
        m2 = V::max(m2, M::load(x + i + 2 * N));
        m3 = V::max(m3, M::load(x + i + 3 * N));
        // max(m, a) is NaN wherever a is (traits.md), so the maxima show a NaN entry at once,
        // tested on registers (testing the loaded entries made GCC load each of them twice)
        nan |= V::mask_unord(m0, m1) | V::mask_unord(m2, m3);
      }
      for (; i < e; i += N) {
        const size_t k = e - i < N ? e - i : N;
        m0 = V::max(m0, k == N ? M::load(x + i) : M::load_tail(x + i, k, kNegInf));
        nan |= V::mask_unord(m0, m0);
      }
      if (nan) return first<true>(x, b, e, T(0));
      const R m = V::max(V::max(m0, m1), V::max(m2, m3));
      if (V::mask_gt(m, V::set1(best))) {
        best = V::hmax(m);
        best_block = b;
      }
    }
    // best_block holds the first element equal to best (an all -inf row: block 0, element 0)
    const size_t e = n - best_block < kBlock ? n : best_block + kBlock;
    return first<false>(x, best_block, e, best);
  }

  // Appends to out the indices (plus base) of the elements of x[0..n) that pass against t (see
  // Pass), at most cap of them, in index order; returns how many. *end: n when every element was
  // seen, else the start of the register whose survivors did not fit.
  template <Pass kPass>
  static LOGITKIT_INLINE unsigned passing(R r, R vt) {
    return kPass == Pass::kAbove ? ~V::mask_ge(vt, r) & kAll
         : kPass == Pass::kBelow ? V::mask_gt(vt, r)
                                 : ~V::mask_unord(r, r) & kAll;
  }

  template <Pass kPass>
  static size_t pass_impl(const X* x, size_t n, T t, uint32_t base, uint32_t* out, size_t cap, size_t* end) {
    const R vt = V::set1(t);
    size_t count = 0;
    // the survivors of one register at i, or false when they do not fit
    auto take = [&](size_t i, unsigned m) LOGITKIT_INLINE_LAMBDA {
      if (count + static_cast<size_t>(__builtin_popcount(m)) > cap) return false;
      for (; m; m &= m - 1) out[count++] = base + static_cast<uint32_t>(i + static_cast<size_t>(__builtin_ctz(m)));
      return true;
    };
    size_t i = 0;
    if constexpr (kPass == Pass::kAbove) {
      // Blocks of eight registers folded by max (the argmax loop's work: one max a register, one
      // NaN test a pair), then one comparison with t; only a block holding a survivor is tested
      // register by register (from L1). Testing every register with a mask took 13.3 us a call on
      // a 1x128256 row (k = 50, argmax: 5.2 us); this 9.6-12.4 us (a noisy machine).
      for (; i + 8 * N <= n; i += 8 * N) {
        R m0 = V::max(vt, M::load(x + i)), m1 = V::max(vt, M::load(x + i + N));
        R m2 = V::max(vt, M::load(x + i + 2 * N)), m3 = V::max(vt, M::load(x + i + 3 * N));
        unsigned nan = V::mask_unord(m0, m1) | V::mask_unord(m2, m3);
        m0 = V::max(m0, M::load(x + i + 4 * N));
        m1 = V::max(m1, M::load(x + i + 5 * N));
        m2 = V::max(m2, M::load(x + i + 6 * N));
        m3 = V::max(m3, M::load(x + i + 7 * N));
        nan |= V::mask_unord(m0, m1) | V::mask_unord(m2, m3);
        if ((nan | V::mask_gt(V::max(V::max(m0, m1), V::max(m2, m3)), vt)) == 0) continue;
        for (size_t j = 0; j < 8; ++j) {
          const unsigned m = passing<kPass>(M::load(x + i + j * N), vt);
          if (m && !take(i + j * N, m)) {
            *end = i + j * N;
            return count;
          }
        }
      }
    }
    // four registers a test: survivors are rare once t is near the k-th value
    for (; i + 4 * N <= n; i += 4 * N) {
      const unsigned m0 = passing<kPass>(M::load(x + i), vt), m1 = passing<kPass>(M::load(x + i + N), vt);
      const unsigned m2 = passing<kPass>(M::load(x + i + 2 * N), vt), m3 = passing<kPass>(M::load(x + i + 3 * N), vt);
      if ((m0 | m1 | m2 | m3) == 0) continue;
      const unsigned m[4] = {m0, m1, m2, m3};
      for (size_t j = 0; j < 4; ++j) {
        if (m[j] && !take(i + j * N, m[j])) {
          *end = i + j * N;
          return count;
        }
      }
    }
    for (; i < n; i += N) {
      const size_t k = n - i < N ? n - i : N;
      const unsigned m = passing<kPass>(k == N ? M::load(x + i) : M::load_tail(x + i, k, t), vt) & tail_bits(k);
      if (m && !take(i, m)) {
        *end = i;
        return count;
      }
    }
    *end = n;
    return count;
  }

  static size_t pass_index(const X* x, size_t n, T t, int pass, uint32_t base, uint32_t* out, size_t cap, size_t* end) {
    switch (static_cast<Pass>(pass)) {
      case Pass::kAbove: return pass_impl<Pass::kAbove>(x, n, t, base, out, cap, end);
      case Pass::kBelow: return pass_impl<Pass::kBelow>(x, n, t, base, out, cap, end);
      default: return pass_impl<Pass::kOrdered>(x, n, t, base, out, cap, end);
    }
  }

  // Per block of kMaxBlock registers of x[0..n), its maximum, into out[ceil(n / (kMaxBlock N))];
  // false (out then unspecified) when x holds a NaN. The loop of argmax, without its search.
  static constexpr size_t kMaxBlock = 16;
  static bool block_max(const X* x, size_t n, T* out) {
    constexpr size_t B = kMaxBlock * N;
    unsigned nan = 0;
    size_t b = 0, i = 0;
    for (; i + B <= n; i += B, ++b) {
      R m0 = M::load(x + i), m1 = M::load(x + i + N), m2 = M::load(x + i + 2 * N), m3 = M::load(x + i + 3 * N);
      nan |= V::mask_unord(m0, m1) | V::mask_unord(m2, m3);
      for (size_t r = 4; r < kMaxBlock; r += 4) {
        m0 = V::max(m0, M::load(x + i + r * N));
        m1 = V::max(m1, M::load(x + i + (r + 1) * N));
        m2 = V::max(m2, M::load(x + i + (r + 2) * N));
        m3 = V::max(m3, M::load(x + i + (r + 3) * N));
        nan |= V::mask_unord(m0, m1) | V::mask_unord(m2, m3);
      }
      out[b] = V::hmax(V::max(V::max(m0, m1), V::max(m2, m3)));
    }
    if (i < n) {
      R m = V::set1(kNegInf);
      for (; i < n; i += N) {
        const size_t k = n - i < N ? n - i : N;
        m = V::max(m, k == N ? M::load(x + i) : M::load_tail(x + i, k, kNegInf));
        nan |= V::mask_unord(m, m);
      }
      out[b] = V::hmax(m);
    }
    return nan == 0;
  }

  // The smallest of the maxima of `groups` runs of `regs` registers from x (groups * regs * N
  // elements): those maxima are `groups` distinct entries, so this is at most the groups-th
  // largest entry of x, a bound top-k can filter with from its first element. NaN when the runs
  // hold a NaN.
  static T group_floor(const X* x, size_t groups, size_t regs) {
    T lo = std::numeric_limits<T>::infinity();
    for (size_t g = 0; g < groups; ++g) {
      const X* p = x + g * regs * N;
      R m = M::load(p);
      unsigned nan = V::mask_unord(m, m);
      for (size_t r = 1; r < regs; ++r) {
        m = V::max(m, M::load(p + r * N));
        nan |= V::mask_unord(m, m);
      }
      if (nan) return std::numeric_limits<T>::quiet_NaN();
      const T gm = V::hmax(m);
      if (gm < lo) lo = gm;
    }
    return lo;
  }

  // The sum of the elements of e[0..n) that are >= t (e holds no NaN), lanes in binary64 (float)
  // or compensated (double), added in a fixed order.
  static DD sum_ge(const T* e, size_t n, T t) {
    typename V::Acc acc = V::acc_zero();
    const R vt = V::set1(t);
    size_t i = 0;
    for (; i + N <= n; i += N) {
      const R v = V::load(e + i);
      V::acc_add(acc, V::keep_if_ge(v, vt, v));
    }
    if (i < n) {
      const R v = V::load_tail(e + i, n - i, T(0));
      V::acc_add(acc, V::keep_if_ge(v, vt, v));  // lanes past n hold 0
    }
    return V::acc_total(acc);
  }
};

}  // namespace logitkit
