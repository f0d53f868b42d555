// Sigmoid, log-sigmoid and binary cross-entropy with logits, written once over the vector traits V
// (see traits.md), elementwise.
//
// Everything starts from e = exp(-|x|) in (0, 1], carried as eh + el (exp_split): the reduction and
// polynomial of exp.h, but p(r) = 1 + t is kept as 1 + t exactly (Fast2Sum) instead of rounded, so
// e errs by about 0.35 ulp rather than 1. Then, with d = 1 + e also kept exactly as dh + dl:
//   sigmoid(|x|) = 1 / d,  sigmoid(-|x|) = e / d,
// each formed as a rounded quotient plus its residual (fma), so the result is rounded once more and
// errs by about one ulp (test/sigmoid.test.ts measures at most 1.03): no cancellation anywhere, also for the subnormal results of x < -87.3
// (f32) / -708.4 (f64), where e itself is subnormal and e / d = e.
// log1p(e) = 2 atanh(u), u = e / (2 + e) <= 1/3, carried with its residual, so log1p(e) keeps its
// relative accuracy down to the tiniest e (softplus(-20) = 2.06e-9, where log(1 + exp(x)) in
// float32 gives 0). With L = log1p(exp(-|x|)):
//   logSigmoid(x) = min(x, 0) - L,  softplus(x) = max(x, 0) + L,
//   BCE = w (pw y softplus(-x) + (1 - y) softplus(x)),  d BCE / dx = w ((1 - y) sigmoid(x) - pw y sigmoid(-x)),
// which has no cancellation either (the usual (pw y + 1 - y) sigmoid(x) - pw y loses sigmoid(-x)
// to rounding once sigmoid(x) rounds to 1). A zero (1 - y) or pw y drops its term, so the limits
// x = +inf with y = 1 and x = -inf with y = 0 give loss 0 (PyTorch: 0 * inf = NaN).
#pragma once

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include "common.h"
#include "exp.h"
#include "lanes.h"
#include "table.h"

namespace logitkit {

// Optional traits member recip(d): 1/d to about 2^-22 relative, cheaper than a division (a hardware
// estimate and Newton steps). Every quotient here is followed by its residual, which absorbs
// that error, so the results are the same to within their final rounding.
template <class V, class = void>
struct HasRecip : std::false_type {};
template <class V>
struct HasRecip<V, std::void_t<std::integral_constant<size_t, sizeof(V::recip(V::set1(typename V::T(1))))>>>
    : std::true_type {};

// Logits and targets stored as X, outputs as Y (table.h; half types converted a register at a time).
template <class V, class X = typename V::T, class Y = X>
struct SigmoidKernels {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr size_t N = V::N;
  using M = Mem<V>;

  // 1 / (2k + 1), k = 1..18, rounded to T: 2 atanh(u) = 2u + 2u^3 sum_k u^(2k-2) / (2k + 1). With
  // u <= 1/3 the first term left out is below 2^-30 (f32, 8 terms) / 2^-60 (f64, 18 terms) of 2u.
  static constexpr int kTerms = sizeof(T) == 4 ? 8 : 18;
  static constexpr T kAtanh[18] = {
      T(1.0 / 3),  T(1.0 / 5),  T(1.0 / 7),  T(1.0 / 9),  T(1.0 / 11), T(1.0 / 13),
      T(1.0 / 15), T(1.0 / 17), T(1.0 / 19), T(1.0 / 21), T(1.0 / 23), T(1.0 / 25),
      T(1.0 / 27), T(1.0 / 29), T(1.0 / 31), T(1.0 / 33), T(1.0 / 35), T(1.0 / 37)};

  static LOGITKIT_INLINE R recip(R d) {
    if constexpr (HasRecip<V>::value) return V::recip(d);
    else return V::div(V::set1(T(1)), d);
  }

  // exp(a) for a <= 0 (-inf gives 0, NaN stays NaN) as eh + el, |el| <= ulp(eh). a is clamped at
  // kLow, below which e rounds to +0: in float32 at -105, not ExpLimits' -104, so that k <= -151
  // there and Exp::scale gives +0 without forming the underflowing product (at -104, k = -150,
  // where the product may round to the smallest subnormal and must be formed).
  static constexpr T kLow = std::is_same_v<T, float> ? T(-105) : ExpLimits<T>::kLowest;
  static LOGITKIT_INLINE void exp_split(R a, R& eh, R& el) {
    const R one = V::set1(T(1));
    a = V::max(V::set1(kLow), a);  // NaN survives (second operand)
    const R k = V::round(V::mul(a, V::set1(ExpConst<T>::kLog2e)));
    R r = V::fma(k, V::set1(-ExpConst<T>::kLn2Hi), a);  // exact (see Exp::exp_minus_j)
    r = V::fma(k, V::set1(-ExpConst<T>::kLn2Lo), r);
    const R r2 = V::mul(r, r);
    const R t = V::fma(r2, Exp<V>::poly_q(r, r2), r);  // p(r) = 1 + t, |t| < 0.42
    const R ph = V::add(one, t);
    const R pl = V::sub(t, V::sub(ph, one));  // exact: |t| < 1
    eh = Exp<V>::scale(ph, k);  // +0 without an underflowing product where it rounds to 0 (exp.h)
    el = Exp<V>::scale(pl, k);
  }

  // Below kTinyE, e = exp(-|x|) (|x| > 27.7 in float32, 235.7 in float64) is its own log1p and its
  // own e / (1 + e), to within e relative (2^-40, 2^-340): far below the last bit. The general
  // formulas form e^2 and e^3 there, which underflow, and on Intel cores each register with an
  // underflowing product pays a microcode assist (logSigmoid at x = 45: 34 ns an element instead
  // of 1, avx512): such lanes take e itself, and the general formulas run on kTinyE in them.
  static constexpr T kTinyE = sizeof(T) == 4 ? T(0x1p-40) : T(0x1p-340);
  // Whether a lane of e is below kTinyE (or NaN); when one is, fh + fl is eh + el with those lanes
  // replaced by kTinyE + 0. A register without one (the usual case) pays a compare and a branch.
  static LOGITKIT_INLINE bool not_tiny(R eh, R el, R& fh, R& fl) {
    const R tv = V::set1(kTinyE);
    fh = eh;
    fl = el;
    if (__builtin_expect(V::mask_ge(eh, tv) == (1u << N) - 1, 1)) return false;
    fh = V::max(eh, tv);  // NaN: kTinyE (second operand)
    fl = V::keep_if_ge(eh, tv, el);
    return true;
  }

  // d = 1 + e (e in [0, 1]) as dh + dl, and 1/d as q ~ 1/dh with the relative residual
  // rho = 1 - d q (exact to second order), so that 1/d = q + q rho.
  static LOGITKIT_INLINE void recip_one_plus(R eh, R el, R& q, R& rho) {
    const R one = V::set1(T(1));
    const R dh = V::add(one, eh);
    const R dl = V::add(V::sub(eh, V::sub(dh, one)), el);
    q = recip(dh);
    rho = V::sub(V::sub(V::set1(T(0)), V::fms(dh, q, one)), V::mul(dl, q));  // 1 - dh q - dl q
  }

  // (nh + nl) / d from q, rho of recip_one_plus, rounded once at the end.
  static LOGITKIT_INLINE R quotient(R nh, R nl, R q, R rho) {
    const R a = V::mul(nh, q);
    const R ae = V::fms(nh, q, a);  // nh q - a, exactly
    return V::add(a, V::fma(q, V::fma(nh, rho, nl), ae));
  }

  // e / (1 + e) rounded once (e tiny: eh + el rounded, see kTinyE; NaN stays NaN)
  static LOGITKIT_INLINE R small_of(R eh, R el) {
    R fh, fl, q, rho;
    const bool tiny = not_tiny(eh, el, fh, fl);
    recip_one_plus(fh, fl, q, rho);
    const R r = quotient(fh, fl, q, rho);
    return tiny ? V::select_ge(eh, V::set1(kTinyE), r, V::add(eh, el)) : r;
  }

  // sigmoid(x) and sigmoid(-x): small = sigmoid(-|x|) = e / (1 + e) rounded once from a near-exact
  // value, big = sigmoid(|x|) = 1 - small rounded once (small < 1/2 errs by under 0.6 of its own
  // ulp, at most 0.3 of big's, so big errs by under 0.8 ulp).
  static LOGITKIT_INLINE void sigmoid_pair(R x, R eh, R el, R& s, R& sneg) {
    const R small = small_of(eh, el);
    const R big = V::sub(V::set1(T(1)), small);
    const R zero = V::set1(T(0));
    s = V::select_ge(x, zero, big, small);     // NaN: small, which is NaN
    sneg = V::select_ge(x, zero, small, big);
  }

  static LOGITKIT_INLINE R neg_abs(R x) { return V::sub(V::set1(T(0)), V::max(x, V::sub(V::set1(T(0)), x))); }

  static LOGITKIT_INLINE R sigmoid_of(R x) {
    R eh, el;
    exp_split(neg_abs(x), eh, el);
    const R small = small_of(eh, el);
    return V::select_ge(x, V::set1(T(0)), V::sub(V::set1(T(1)), small), small);
  }

  // log1p(eh + el) for e in [0, 1] (or NaN) as lh + ll, |ll| <= ulp(lh): 2 atanh(u) with
  // u = e / (2 + e) in [0, 1/3], carried as v = 2u plus the division's residual; e itself below
  // kTinyE.
  static LOGITKIT_INLINE void log1p_split(R e_h, R e_l, R& lh, R& ll) {
    R eh, el;
    const bool tiny = not_tiny(e_h, e_l, eh, el);
    const R two = V::set1(T(2));
    const R d = V::add(two, eh);
    const R dl = V::add(V::add(V::sub(two, d), eh), el);  // 2 + e - d (first part exact)
    const R inv = recip(d);
    const R e2 = V::add(eh, eh);
    const R v = V::mul(e2, inv);
    // (2e - v d + 2 el - v dl) / d: the residual of v, also of an approximate inv
    const R vl = V::mul(V::sub(V::add(V::fms(V::sub(V::set1(T(0)), v), d, V::sub(V::set1(T(0)), e2)), V::add(el, el)), V::mul(v, dl)), inv);
    const R u2 = V::mul(V::mul(v, v), V::set1(T(0.25)));
    R p = V::set1(kAtanh[kTerms - 1]);
    for (int k = kTerms - 2; k >= 0; --k) p = V::fma(p, u2, V::set1(kAtanh[k]));
    const R t = V::fma(V::mul(v, u2), p, vl);  // 2u^3 (1/3 + u^2/5 + ...) + the residual
    lh = V::add(v, t);
    ll = V::sub(t, V::sub(lh, v));  // exact: |t| < |v|
    if (tiny) {  // lanes below kTinyE (or NaN): log1p(e) = e
      const R tv = V::set1(kTinyE);
      ll = V::select_ge(e_h, tv, ll, e_l);
      lh = V::select_ge(e_h, tv, lh, e_h);
    }
  }

  static LOGITKIT_INLINE R log_sigmoid_of(R x) {
    R eh, el, lh, ll;
    exp_split(neg_abs(x), eh, el);
    log1p_split(eh, el, lh, ll);
    const R zero = V::set1(T(0));
    const R mn = V::sub(zero, V::max(zero, V::sub(zero, x)));  // min(x, 0); NaN stays NaN
    return V::sub(V::sub(mn, lh), ll);
  }

  // software prefetch distance, in elements (2 KB)
  static constexpr size_t kAhead = 2048 / sizeof(X);

  template <bool kLog, bool kStream>
  static void elementwise(const X* x, Y* y, size_t n) {
    Lanes<V>::template store_each<kStream>(y, n, [&](size_t i, size_t k) LOGITKIT_INLINE_LAMBDA {
      LOGITKIT_PREFETCH(x + i + kAhead);
      const R v = k == N ? M::load(x + i) : M::load_tail(x + i, k, T(0));
      return kLog ? log_sigmoid_of(v) : sigmoid_of(v);
    });
    if (kStream) Lanes<V>::stream_fence();
  }

  // stream: write y with non-temporal stores (outputs far larger than the caches; see softmax.cc)
  static void sigmoid(const X* x, Y* y, size_t n, bool stream) {
    if (stream) elementwise<false, true>(x, y, n);
    else elementwise<false, false>(x, y, n);
  }

  static void log_sigmoid(const X* x, Y* y, size_t n, bool stream) {
    if (stream) elementwise<true, true>(x, y, n);
    else elementwise<true, false>(x, y, n);
  }

  // BCE of n contiguous elements whose weights are w[0..n) and pw[0..n) (either may be null: 1),
  // lanes past `valid` (a tail) contributing nothing. Adds the losses to acc; writes each loss to
  // out and the scaled gradient to g when those are given.
  static LOGITKIT_INLINE void bce_register(R x, R y, R w, R pw, R valid, typename V::Acc& acc, R& bad,
                                           Y* out, Y* g, R gscale, size_t tail) {
    const R zero = V::set1(T(0)), one = V::set1(T(1));
    bad = V::max(bad, V::sub(valid, in_unit(y)));  // 1 in a lane whose target is outside [0, 1]
    const R tiny = V::set1(std::numeric_limits<T>::denorm_min());
    R eh, el, lh, ll;
    const R a = neg_abs(x);
    exp_split(a, eh, el);
    log1p_split(eh, el, lh, ll);
    const R c = V::mul(pw, y);   // weight of the positive term
    const R b = V::sub(one, y);  // of the negative term
    // c softplus(-x) + b softplus(x) = (c + b) L + (x >= 0 ? b x : c (-x)): every term >= 0, no
    // cancellation; L = log1p(exp(-|x|)) <= ln 2 (its low part is below the loss's bound). A zero
    // weight drops the |x| term, which may be infinite. NaN x: L is NaN.
    const R sel = V::select_ge(x, zero, b, c);
    const R edge = V::keep_if_ge(sel, tiny, V::mul(sel, V::sub(zero, a)));
    const R loss = V::keep_if_ge(valid, one, V::mul(w, V::fma(V::add(c, b), lh, edge)));
    V::acc_add(acc, loss);
    if (out) {
      if (tail) M::store_tail(out, loss, tail);
      else M::store(out, loss);
    }
    if (g) {
      R s, sneg;
      sigmoid_pair(x, eh, el, s, sneg);
      const R gr = V::mul(V::mul(w, gscale), V::sub(V::mul(b, s), V::mul(c, sneg)));
      if (tail) M::store_tail(g, gr, tail);
      else M::store(g, gr);
    }
  }

  // 1 where 0 <= y <= 1, else 0 (NaN: 0).
  static LOGITKIT_INLINE R in_unit(R y) {
    const R one = V::set1(T(1));
    return V::keep_if_ge(y, V::set1(T(0)), V::keep_if_ge(one, y, one));
  }

  // The index of the first of y[0..n) outside [0, 1] (NaN included), or n.
  static size_t outside_unit(const X* y, size_t n) {
    constexpr size_t kBlock = 32 * N;
    const R one = V::set1(T(1));
    for (size_t b = 0; b < n; b += kBlock) {
      const size_t e = std::min(n, b + kBlock);
      R bad = V::set1(T(0));
      size_t i = b;
      for (; i + N <= e; i += N) bad = V::max(bad, V::sub(one, in_unit(M::load(y + i))));
      if (i < e) bad = V::max(bad, V::sub(one, in_unit(M::load_tail(y + i, e - i, T(0)))));
      if (V::hmax(bad) > T(0))
        for (size_t j = b; j < e; ++j)
          if (!(widen(y[j]) >= T(0) && widen(y[j]) <= T(1))) return j;
    }
    return n;
  }

  // Sum of the losses of elements [i0, i1) (see BceArgs), their losses into a.out and gradient into
  // a.grad when given. Rows of C classes select the per-class weights. *bad is set when a target is
  // outside [0, 1] (the caller then discards the sum).
  static DD bce(const BceArgs<T, X, Y>& a, size_t i0, size_t i1, bool* bad_target) {
    typename V::Acc acc = V::acc_zero();
    R bad = V::set1(T(0));
    T ones[N];  // a tail's valid lanes: load_tail(ones, t, 0)
    for (size_t j = 0; j < N; ++j) ones[j] = T(1);
    const R vone = V::set1(T(1));
    const R gscale = V::set1(static_cast<T>(a.grad_scale));
    const bool per_class = a.pos_weight || (a.weight && !a.weight_per_element);
    size_t i = i0;
    while (i < i1) {
      // a stretch of contiguous elements that does not cross a row when weights are per class
      const size_t c0 = per_class ? i % a.C : 0;
      const size_t end = per_class ? std::min(i1, i + (a.C - c0)) : i1;
      const T* pw = a.pos_weight ? a.pos_weight + c0 : nullptr;
      const T* w = a.weight ? (a.weight_per_element ? a.weight + i : a.weight + c0) : nullptr;
      size_t j = 0;
      const size_t n = end - i;
      for (; j + N <= n; j += N) {
        // the hardware prefetcher alone left a third of the time in load stalls (perf, 64 MB inputs)
        LOGITKIT_PREFETCH(a.x + i + j + kAhead);
        LOGITKIT_PREFETCH(a.y + i + j + kAhead);
        bce_register(M::load(a.x + i + j), M::load(a.y + i + j), w ? V::load(w + j) : vone,
                     pw ? V::load(pw + j) : vone, vone, acc, bad, a.out ? a.out + i + j : nullptr,
                     a.grad ? a.grad + i + j : nullptr, gscale, 0);
      }
      if (j < n) {
        const size_t t = n - j;
        bce_register(M::load_tail(a.x + i + j, t, T(0)), M::load_tail(a.y + i + j, t, T(0)),
                     w ? V::load_tail(w + j, t, T(0)) : vone, pw ? V::load_tail(pw + j, t, T(0)) : vone,
                     V::load_tail(ones, t, T(0)), acc, bad, a.out ? a.out + i + j : nullptr,
                     a.grad ? a.grad + i + j : nullptr, gscale, t);
      }
      i = end;
    }
    *bad_target = V::hmax(bad) > T(0);
    return V::acc_total(acc);
  }
};

}  // namespace logitkit
