// Softmax and log-softmax, written once over the vector traits V (see traits.md).
//
// Row kernel (rows of up to kChunk elements, contiguous): pass 1 finds the maximum m; pass 2 writes
// e = exp(x - s) into the output and sums it (binary64 sum for float data, compensated for double),
// s being the multiple of ln 2 nearest m (see Shift; m itself where that is not allowed); pass 3
// multiplies by 1/sum, carried as hi + lo so the product is rounded once. The row is in L1/L2 for
// passes 2 and 3. Log-softmax replaces passes 2-3 by a sum-only pass and y = x - (s + log(sum)).
//
// Inputs are stored as X, outputs as Y: T itself, or a half type (half.h) converted a register at
// a time on load and store, the arithmetic in T (float) throughout. Softmax with a half Y keeps
// its exponentials in a T scratch row (SoftmaxArgs::scratch) instead of in y.
//
// Special values need no branch: a row whose maximum is +inf or -inf (all entries -inf), or NaN,
// takes the exact path, where x - m is NaN for every element, and a NaN entry stays NaN through
// either exponential into the sum, which then makes the whole row NaN, as PyTorch does. A -inf
// entry in an ordinary row gives exp = +0.
#pragma once

#include "common.h"
#include "exp.h"
#include "half.h"
#include "lanes.h"
#include "log.h"
#include "table.h"

namespace logitkit {

// What depends on the input type only (also used by cross-entropy and the decisions).
template <class V, class X = typename V::T>
struct SoftmaxIn {
  using T = typename V::T;
  using R = typename V::R;
  using E = Exp<V>;
  using L = Lanes<V>;
  using M = Mem<V>;
  static constexpr size_t N = V::N;
  static constexpr T kInf = std::numeric_limits<T>::infinity();

  static inline void split(DD d, T& hi, T& lo) { L::split(d, hi, lo); }

  static T max(const X* x, size_t n) {
    R m0 = V::set1(-kInf), m1 = m0;
    size_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
      m0 = V::max(m0, M::load(x + i));
      m1 = V::max(m1, M::load(x + i + N));
    }
    if (i + N <= n) {
      m0 = V::max(m0, M::load(x + i));
      i += N;
    }
    if (i < n) m1 = V::max(m1, M::load_tail(x + i, n - i, -kInf));
    return V::hmax(V::max(m0, m1));
  }

  // exp((x - m) * inv_temp) of one register: hi + lo is the exact difference (see exp.h).
  template <bool kTemp>
  static LOGITKIT_INLINE R exp_of(R x, R vm, R negm, R ih, R il) {
    R hi, lo;
    E::diff(x, vm, negm, hi, lo);
    if (kTemp) E::scale(hi, lo, ih, il);
    return E::exp_hl(hi, lo);
  }

  // The same without temperature, for a row whose maximum m is finite with |m| < 2^20: x is first
  // raised to `floor` = m - 104 rounded down (exact in double, so floor - m is in [-104.2, -104]),
  // which keeps x - m finite and inside the exponential's range in one operation instead of the
  // three that a general -inf / underflow guard costs. Entries below floor give exp < 2^-150,
  // which rounds to 0 either way; NaN entries stay NaN (V::max returns NaN when its second operand is).
  static LOGITKIT_INLINE R exp_floored(R x, R vm, R negm, R vfloor) {
    R hi, lo;
    E::diff(V::max(vfloor, x), vm, negm, hi, lo);
    return E::exp_reduced(hi, lo);
  }

  // The floor for exp_floored, or NaN when the row's maximum does not allow it.
  static T floor_for(T m) {
    const double md = static_cast<double>(m);
    if (!(md > -1048576.0 && md < 1048576.0)) return std::numeric_limits<T>::quiet_NaN();
    const double f = md + static_cast<double>(ExpLimits<T>::kLowest);
    T ft = static_cast<T>(f);
    if (static_cast<double>(ft) > f) ft = std::nextafter(ft, -kInf);
    return ft;
  }

  // kFloor: exp_floored at vfloor; else exp_of<kTemp> with 1/temperature = ih + il.
  template <bool kTemp, bool kStore, bool kFloor>
  static DD expsum_impl(const X* x, size_t n, R vm, R ih, R il, R vfloor, T* y) {
    typename V::Acc acc = V::acc_zero();
    R negm = V::sub(V::set1(T(0)), vm);
    auto expv = [&](R v) { return kFloor ? exp_floored(v, vm, negm, vfloor) : exp_of<kTemp>(v, vm, negm, ih, il); };
    size_t i = 0;
    for (; i + N <= n; i += N) {
      R e = expv(M::load(x + i));
      if (kStore) V::store(y + i, e);
      V::acc_add(acc, e);
    }
    if (i < n) {
      R e = expv(M::load_tail(x + i, n - i, -kInf));
      if (kStore) V::store_tail(y + i, e, n - i);
      V::acc_add(acc, e);  // lanes past n hold exp(-inf - m) = 0
    }
    return V::acc_total(acc);
  }

  static bool is_one(DD d) { return d.hi == 1.0 && d.lo == 0.0; }

  // Sum of exp((x - m) * inv_temp), m subtracted exactly (TwoSum): the maximum's own term is
  // exactly 1, which cross-entropy needs for the digits of a loss near 0.
  static DD expsum_m(const X* x, size_t n, T m, DD inv_temp, T* y) {
    T ih, il;
    split(inv_temp, ih, il);
    R vm = V::set1(m), vih = V::set1(ih), vil = V::set1(il);
    if (is_one(inv_temp)) {
      const T floor = floor_for(m);
      const R vf = V::set1(floor);
      if (floor == floor) {
        return y ? expsum_impl<false, true, true>(x, n, vm, vih, vil, vf, y)
                 : expsum_impl<false, false, true>(x, n, vm, vih, vil, vf, y);
      }
      return y ? expsum_impl<false, true, false>(x, n, vm, vih, vil, vf, y)
               : expsum_impl<false, false, false>(x, n, vm, vih, vil, vf, y);
    }
    const R none = V::set1(T(0));
    return y ? expsum_impl<true, true, false>(x, n, vm, vih, vil, none, y)
             : expsum_impl<true, false, false>(x, n, vm, vih, vil, none, y);
  }

  // The fast path's shift for a row of maximum m: the multiple j ln 2 nearest m, so that
  // exp(x - j ln 2) needs no exact x - m (Exp::exp_minus_j). Entries are first raised to `floor`
  // (m - 105, rounded down: exp(floor - j ln 2) < 2^-150 rounds to 0, as do the entries below it,
  // and k stays in ldexp's range); NaN entries stay NaN. Not for |m| >= 2^12, +-inf or NaN (ok = false).
  struct Shift {
    bool ok;
    T j, floor;
    DD off;  // j ln 2 - m
  };
  static Shift shift_for(T m) {
    Shift s{};
    const double md = static_cast<double>(m);
    if (!(md > -4096.0 && md < 4096.0)) return s;
    s.ok = true;
    s.j = std::nearbyint(m * ExpConst<T>::kLog2e);  // what exp_minus_j computes for x = m
    const double f = md + static_cast<double>(ExpLimits<T>::kLowest - 1);
    s.floor = static_cast<T>(f);
    if (static_cast<double>(s.floor) > f) s.floor = std::nextafter(s.floor, -kInf);
    // j ln2 - m in double-double: p - m is exact (Sterbenz: p is within 0.35 of m, or j = 0)
    const double jd = static_cast<double>(s.j);
    const double p = jd * ExpConst<double>::kLn2Hi;
    const double lo = std::fma(jd, ExpConst<double>::kLn2Hi, -p) + jd * ExpConst<double>::kLn2Lo;
    s.off = two_sum(p - md, lo);
    return s;
  }

  // kPairs: the terms of two registers are added in T before they reach the accumulator (whose
  // add, binary64 for float data, costs several conversions): one rounding more, at most 2^-24
  // (2^-53) of the pair, so of the sum. For softmax only (softmax_sum), where the sum's relative
  // error is the outputs'; log-softmax, cross-entropy and sampling keep every term's digits.
  // kWithMax: also the largest of the n entries into *mb, from the same loads (cross-entropy's
  // blocks after the first take their maximum in their exponential pass); a NaN entry may be
  // dropped there, as max() may drop it: its term makes the sum NaN.
  template <bool kStore, bool kPairs = false, bool kWithMax = false>
  static DD expsum_shift_impl(const X* x, size_t n, R vj, R vfloor, T* y, const X* pf = nullptr, T* mb = nullptr) {
    typename V::Acc acc = V::acc_zero();
    R vmax = V::set1(-kInf);
    auto term = [&](R v) LOGITKIT_INLINE_LAMBDA {
      if constexpr (kWithMax) vmax = V::max(vmax, v);
      return E::exp_minus_j(V::max(vfloor, v), vj);
    };
    size_t i = 0;
    if constexpr (kPairs) {
      for (; i + 2 * N <= n; i += 2 * N) {
        if (pf) {
          LOGITKIT_PREFETCH(pf + i);
          LOGITKIT_PREFETCH(pf + i + N);
        }
        const R e0 = term(M::load(x + i));
        const R e1 = term(M::load(x + i + N));
        if (kStore) {
          V::store(y + i, e0);
          V::store(y + i + N, e1);
        }
        V::acc_add(acc, V::add(e0, e1));
      }
    }
    for (; i + N <= n; i += N) {
      if (pf) LOGITKIT_PREFETCH(pf + i);
      R e = term(M::load(x + i));
      if (kStore) V::store(y + i, e);
      V::acc_add(acc, e);
    }
    if (i < n) {
      R e = term(M::load_tail(x + i, n - i, -kInf));
      if (kStore) V::store_tail(y + i, e, n - i);
      V::acc_add(acc, e);  // lanes past n hold exp(floor - j ln 2) = 0
    }
    if constexpr (kWithMax) *mb = V::hmax(vmax);
    return V::acc_total(acc);
  }

  // pf: the next n elements to be read (the next row), prefetched on the fast path, or null
  template <bool kPairs = false>
  static ExpSum expsum_with(const X* x, size_t n, T m, DD inv_temp, T* y, const X* pf) {
    const Shift sh = is_one(inv_temp) ? shift_for(m) : Shift{};
    if (!sh.ok) return ExpSum{expsum_m(x, n, m, inv_temp, y), DD{0.0, 0.0}};
    const R vj = V::set1(sh.j), vf = V::set1(sh.floor);
    const DD sum = y ? expsum_shift_impl<true, kPairs>(x, n, vj, vf, y, pf) : expsum_shift_impl<false, kPairs>(x, n, vj, vf, y, pf);
    return ExpSum{sum, sh.off};
  }
  static ExpSum expsum(const X* x, size_t n, T m, DD inv_temp, T* y, const X* pf) { return expsum_with(x, n, m, inv_temp, y, pf); }
  // The sum softmax divides by: expsum's terms (stored into y when y is not null), added in pairs
  // on the fast path (expsum_shift_impl). Whether or not y keeps them, the same sum.
  static ExpSum softmax_sum(const X* x, size_t n, T m, DD inv_temp, T* y, const X* pf) { return expsum_with<true>(x, n, m, inv_temp, y, pf); }

};

template <class V, class X = typename V::T, class Y = X>
struct SoftmaxKernels : SoftmaxIn<V, X> {
  using B = SoftmaxIn<V, X>;
  using typename B::E;
  using typename B::L;
  using typename B::M;
  using typename B::R;
  using typename B::T;
  using B::expsum;
  using B::is_one;
  using B::kInf;
  using B::max;
  using B::split;
  static constexpr size_t N = V::N;

  // y = src * f (src may be y); kStream: non-temporal stores
  template <bool kStream>
  static void scale_to(const T* src, Y* y, size_t n, DD f) {
    T fh, fl;
    split(f, fh, fl);
    const R vh = V::set1(fh), vl = V::set1(fl);
    L::template store_each<kStream>(y, n, [&](size_t i, size_t k) LOGITKIT_INLINE_LAMBDA {
      const R v = k == N ? V::load(src + i) : V::load_tail(src + i, k, T(0));
      return V::fma(v, vh, V::mul(v, vl));
    });
  }

  // g(std::bool_constant<stream>): stream as a compile-time flag, a fence after streamed stores
  template <class G>
  static void streamed(bool stream, const G& g) {
    if (stream) {
      g(std::true_type{});
      L::stream_fence();
    } else {
      g(std::false_type{});
    }
  }

  // y = src * f (src: T, e.g. a long row's kept exponentials; may be y); stream: non-temporal stores
  static void scale_into(const T* src, Y* y, size_t n, DD f, bool stream) {
    streamed(stream, [&](auto s) { scale_to<decltype(s)::value>(src, y, n, f); });
  }

  // y = e * f for each term e that expsum(x, n, m, inv_temp) computes, by the same branch and the
  // same operations: a long row's second pass without its exponentials kept gives the bits that
  // keeping them (expsum into a buffer, then scale_into) gives, so where they are kept never shows.
  template <bool kStream, class Term>
  static LOGITKIT_INLINE void expscale_with(const X* x, Y* y, size_t n, DD f, const Term& term) {
    T fh, fl;
    split(f, fh, fl);
    const R vh = V::set1(fh), vl = V::set1(fl);
    L::template store_each<kStream>(y, n, [&](size_t i, size_t k) LOGITKIT_INLINE_LAMBDA {
      const R e = term(k == N ? M::load(x + i) : M::load_tail(x + i, k, -kInf));
      return V::fma(e, vh, V::mul(e, vl));
    });
  }

  template <bool kStream>
  static void expscale_to(const X* x, Y* y, size_t n, T m, DD inv_temp, DD f) {
    const typename B::Shift sh = is_one(inv_temp) ? B::shift_for(m) : typename B::Shift{};
    if (sh.ok) {
      const R vj = V::set1(sh.j), vf = V::set1(sh.floor);
      return expscale_with<kStream>(x, y, n, f, [&](R v) LOGITKIT_INLINE_LAMBDA { return E::exp_minus_j(V::max(vf, v), vj); });
    }
    T ih, il;
    split(inv_temp, ih, il);
    const R vm = V::set1(m), negm = V::sub(V::set1(T(0)), vm), vih = V::set1(ih), vil = V::set1(il);
    if (is_one(inv_temp)) {
      const T floor = B::floor_for(m);
      const R vf = V::set1(floor);
      if (floor == floor)
        return expscale_with<kStream>(x, y, n, f, [&](R v) LOGITKIT_INLINE_LAMBDA { return B::exp_floored(v, vm, negm, vf); });
      return expscale_with<kStream>(x, y, n, f, [&](R v) LOGITKIT_INLINE_LAMBDA { return B::template exp_of<false>(v, vm, negm, vih, vil); });
    }
    expscale_with<kStream>(x, y, n, f, [&](R v) LOGITKIT_INLINE_LAMBDA { return B::template exp_of<true>(v, vm, negm, vih, vil); });
  }

  static void expscale(const X* x, Y* y, size_t n, T m, DD inv_temp, DD f, bool stream) {
    streamed(stream, [&](auto s) { expscale_to<decltype(s)::value>(x, y, n, m, inv_temp, f); });
  }

  // (x - m) * inv_temp - lse; a -inf entry gives -inf (its lo part, NaN, is dropped).
  template <bool kTemp>
  static LOGITKIT_INLINE R log_of(R x, R vm, R negm, R ih, R il, R lh, R ll) {
    R hi, lo;
    E::diff(x, vm, negm, hi, lo);
    if (kTemp) E::scale(hi, lo, ih, il);
    lo = V::keep_if_ge(hi, V::set1(std::numeric_limits<T>::lowest()), lo);
    return V::add(V::sub(hi, lh), V::sub(lo, ll));
  }

  // (x - m) * inv_temp - lse with a temperature (without one: logwrite_shift_impl)
  template <bool kStream>
  static void logwrite_temp_impl(const X* x, Y* y, size_t n, R vm, R ih, R il, R lh, R ll) {
    const R negm = V::sub(V::set1(T(0)), vm);
    L::template store_each<kStream>(y, n, [&](size_t i, size_t k) LOGITKIT_INLINE_LAMBDA {
      const R v = k == N ? M::load(x + i) : M::load_tail(x + i, k, T(0));
      return log_of<true>(v, vm, negm, ih, il, lh, ll);
    });
  }

  // y = x - c with c = m + lse as hi + lo: two roundings, within an ulp of y (the difference
  // x - c_hi is exact wherever x is close to c, i.e. for the log-probabilities near 0).
  template <bool kStream>
  static void logwrite_shift_impl(const X* x, Y* y, size_t n, R ch, R cl) {
    L::template store_each<kStream>(y, n, [&](size_t i, size_t k) LOGITKIT_INLINE_LAMBDA {
      const R v = k == N ? M::load(x + i) : M::load_tail(x + i, k, T(0));
      return V::sub(V::sub(v, ch), cl);
    });
  }

  template <bool kStream>
  static void logwrite_to(const X* x, Y* y, size_t n, T m, DD inv_temp, DD lse) {
    T ih, il, lh, ll;
    if (is_one(inv_temp)) {
      split(dd_add(DD{static_cast<double>(m), 0.0}, lse), lh, ll);
      return logwrite_shift_impl<kStream>(x, y, n, V::set1(lh), V::set1(ll));
    }
    split(inv_temp, ih, il);
    split(lse, lh, ll);
    logwrite_temp_impl<kStream>(x, y, n, V::set1(m), V::set1(ih), V::set1(il), V::set1(lh), V::set1(ll));
  }

  static void logwrite(const X* x, Y* y, size_t n, T m, DD inv_temp, DD lse, bool stream) {
    streamed(stream, [&](auto s) { logwrite_to<decltype(s)::value>(x, y, n, m, inv_temp, lse); });
  }

  // Rows shorter than this go N at a time through a transposed tile, one row per lane: a row of 3
  // then costs a few lane operations instead of three passes with horizontal reductions and a
  // scalar reciprocal of its own.
  static constexpr size_t kShortRow = L::kMaxRow;

  // kMax >= C bounds the loops over the classes (see for_each_below).
  template <bool kTemp, size_t kMax>
  static void short_tile(const SoftmaxArgs<T, X, Y>& a, const typename L::Tile& tile, const X* x, Y* y, size_t nl,
                         R vih, R vil) {
    const size_t C = a.C;
    R v[kMax];
    L::template tile_load<kMax>(tile, C, x, nl, -kInf, v);  // lanes past nl: rows of -inf, NaN throughout, never stored
    R vm = V::set1(-kInf);
    for_each_below<kMax>(C, [&](size_t c) { vm = V::max(vm, v[c]); });
    const R negm = V::sub(V::set1(T(0)), vm);
    typename V::Acc acc = V::acc_zero();
    R h, l;
    if (!a.log) {
      for_each_below<kMax>(C, [&](size_t c) {
        v[c] = B::template exp_of<kTemp>(v[c], vm, negm, vih, vil);
        V::acc_add(acc, v[c]);
      });
      L::recip(acc, h, l);
      for_each_below<kMax>(C, [&](size_t c) { v[c] = V::fma(v[c], h, V::mul(v[c], l)); });
    } else {
      for_each_below<kMax>(C, [&](size_t c) { V::acc_add(acc, B::template exp_of<kTemp>(v[c], vm, negm, vih, vil)); });
      L::log(acc, h, l);
      for_each_below<kMax>(C, [&](size_t c) { v[c] = log_of<kTemp>(v[c], vm, negm, vih, vil, h, l); });
    }
    L::template tile_store<kMax>(tile, C, y, nl, v);
  }

  template <bool kTemp, size_t kMax>
  static void short_loop(const SoftmaxArgs<T, X, Y>& a, size_t rows, R vih, R vil) {
    const size_t C = a.C;
    const typename L::Tile tile(C);
    for (size_t r0 = 0; r0 < rows; r0 += N) {
      const size_t nl = rows - r0 < N ? rows - r0 : N;
      short_tile<kTemp, kMax>(a, tile, a.x + r0 * C, a.y + r0 * C, nl, vih, vil);
    }
  }

  template <bool kTemp>
  static void short_rows_impl(const SoftmaxArgs<T, X, Y>& a, size_t rows) {
    T ih, il;
    split(a.inv_temp, ih, il);
    const R vih = V::set1(ih), vil = V::set1(il);
    if (a.C <= 2) short_loop<kTemp, 2>(a, rows, vih, vil);
    else if (a.C <= 4) short_loop<kTemp, 4>(a, rows, vih, vil);
    else if (a.C <= 8) short_loop<kTemp, 8>(a, rows, vih, vil);
    else short_loop<kTemp, kShortRow>(a, rows, vih, vil);
  }

  static void short_rows(const SoftmaxArgs<T, X, Y>& a, size_t rows) {
    if (is_one(a.inv_temp)) short_rows_impl<false>(a, rows);
    else short_rows_impl<true>(a, rows);
  }

  // Inputs larger than this are not expected in the caches: each row's exponential pass prefetches
  // the next row (the maximum pass, which brings a row in from memory, was a third of the time of
  // 256x32000 with one thread). Smaller ones are left alone (64x1000, in L2: 5-15% slower).
  static constexpr size_t kPrefetchAbove = size_t{1} << 20;

  template <bool kStream>
  static void rows_impl(const SoftmaxArgs<T, X, Y>& a, size_t rows) {
    const size_t C = a.C;
    const bool prefetch = rows * C * sizeof(X) > kPrefetchAbove;
    for (size_t r = 0; r < rows; ++r) {
      const X* x = a.x + r * C;
      Y* y = a.y + r * C;
      T m = max(x, C);
      const X* next = prefetch && r + 1 < rows ? x + C : nullptr;
      if (!a.log) {
        T* e;
        if constexpr (std::is_same_v<Y, T>) e = kStream ? a.scratch : y;
        else e = a.scratch;
        scale_to<kStream>(e, y, C, dd_recip(B::softmax_sum(x, C, m, a.inv_temp, e, next).sum));
      } else {
        const ExpSum s = expsum(x, C, m, a.inv_temp, nullptr, next);
        logwrite_to<kStream>(x, y, C, m, a.inv_temp, dd_add(row_log(s.sum), s.off));  // log of sum(exp(x - m))
      }
    }
    if (kStream) L::stream_fence();
  }

  static void rows(const SoftmaxArgs<T, X, Y>& a, size_t rows) {
    const size_t C = a.C;
    if (C == 0) return;
    if (C < kShortRow && N > 1) return short_rows(a, rows);
    if (a.stream) rows_impl<true>(a, rows);
    else rows_impl<false>(a, rows);
  }

  // Column kernel: `nl` <= N adjacent reductions at once, lane j reading x[c*stride + j]. Serves a
  // reduction over a non-last axis (stride = product of the later dimensions).
  template <bool kTemp>
  static void cols_impl(const SoftmaxArgs<T, X, Y>& a, size_t stride, size_t nl) {
    const size_t C = a.C;
    const bool full = nl == N;
    auto ld = [&](const auto* p, T fill) { return full ? M::load(p) : M::load_tail(p, nl, fill); };
    auto st = [&](Y* p, R v) {
      if (full) M::store(p, v);
      else M::store_tail(p, v, nl);
    };
    // Softmax into a half y takes its exponentials again from x in the last pass (recomputed, not
    // rounded to half and read back).
    constexpr bool kKeep = std::is_same_v<Y, T>;
    T ih, il;
    split(a.inv_temp, ih, il);
    const R vih = V::set1(ih), vil = V::set1(il);
    R vm = V::set1(-kInf);
    for (size_t c = 0; c < C; ++c) vm = V::max(vm, ld(a.x + c * stride, -kInf));
    const R negm = V::sub(V::set1(T(0)), vm);
    typename V::Acc acc = V::acc_zero();
    for (size_t c = 0; c < C; ++c) {
      R e = B::template exp_of<kTemp>(ld(a.x + c * stride, -kInf), vm, negm, vih, vil);
      if (kKeep && !a.log) st(a.y + c * stride, e);
      V::acc_add(acc, e);
    }
    R vh, vl;
    if (a.log) L::log(acc, vh, vl);
    else L::recip(acc, vh, vl);
    if (!a.log) {
      for (size_t c = 0; c < C; ++c) {
        R v;
        if constexpr (kKeep) v = ld(a.y + c * stride, T(0));
        else v = B::template exp_of<kTemp>(ld(a.x + c * stride, -kInf), vm, negm, vih, vil);
        st(a.y + c * stride, V::fma(v, vh, V::mul(v, vl)));
      }
    } else {
      for (size_t c = 0; c < C; ++c)
        st(a.y + c * stride, log_of<kTemp>(ld(a.x + c * stride, T(0)), vm, negm, vih, vil, vh, vl));
    }
  }

  static void cols_impl_dispatch(const SoftmaxArgs<T, X, Y>& a, size_t stride, size_t nl) {
    if (is_one(a.inv_temp)) cols_impl<false>(a, stride, nl);
    else cols_impl<true>(a, stride, nl);
  }

  static void cols(const SoftmaxArgs<T, X, Y>& a, size_t stride, size_t nl) {
    if (a.C == 0 || nl == 0) return;
    cols_impl_dispatch(a, stride, nl);
  }

  static void convert(const X* x, Y* y, size_t n) {
    size_t i = 0;
    for (; i + N <= n; i += N) M::store(y + i, M::load(x + i));
    if (i < n) M::store_tail(y + i, M::load_tail(x + i, n - i, T(0)), n - i);
  }

  static void exp(const T* x, T* y, size_t n) {
    size_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, E::exp_nonpos(V::load(x + i)));
    if (i < n) V::store_tail(y + i, E::exp_nonpos(V::load_tail(x + i, n - i, T(0))), n - i);
  }
};

}  // namespace logitkit
