// Sigmoid, log-sigmoid and binary cross-entropy with logits, written once over the vector traits V
// (see traits.md), elementwise.
//
// Everything starts from e = exp(-|x|) in (0, 1], carried as eh + el (exp_split): the reduction and
// polynomial of exp.h, but p(r) = 1 + t is kept as 1 + t exactly (Fast2Sum) instead of rounded, so
// e errs by about 0.35 ulp rather than 1. Then, with d = 1 + e also kept exactly as dh + dl:
//   sigmoid(|x|) = 1 / d,  sigmoid(-|x|) = e / d,
// each formed as a rounded quotient plus its residual (fma), so the result is rounded once more and
// errs by under one ulp: no cancellation anywhere, also for the subnormal results of x < -87.3
// (f32) / -708.4 (f64), where e itself is subnormal and e / d = e.
// log1p(e) = 2 atanh(u), u = f / (2 + f) with f = e (e < 1/2) or f = (e - 1) / 2 and ln 2 added
// (e >= 1/2), |u| <= 0.2; u carried with its residual, so log1p(e) keeps its relative
// accuracy down to the tiniest e (softplus(-20) = 2.06e-9 to the last bit, where 1/(1 + exp(-x))
// or log(1 + exp(x)) give 0). With L = log1p(exp(-|x|)):
//   logSigmoid(x) = min(x, 0) - L,  softplus(x) = max(x, 0) + L,
//   BCE = w (pw y softplus(-x) + (1 - y) softplus(x)),  d BCE / dx = w ((1 - y) sigmoid(x) - pw y sigmoid(-x)),
// which has no cancellation either (the usual (pw y + 1 - y) sigmoid(x) - pw y loses sigmoid(-x)
// to rounding once sigmoid(x) rounds to 1). A zero (1 - y) or pw y drops its term, so the limits
// x = +inf with y = 1 and x = -inf with y = 0 give loss 0 (PyTorch: 0 * inf = NaN).
#pragma once

#include <algorithm>
#include <limits>

#include "common.h"
#include "exp.h"
#include "table.h"

namespace logitkit {

template <class V>
struct SigmoidKernels {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr size_t N = V::N;

  // 1 / (2k + 1), k = 1..11, rounded to T: 2 atanh(u) = 2u + 2u^3 sum_k u^(2k-2) / (2k + 1). With
  // |u| <= 0.2 the first term left out is below 2^-31 (f32, 5 terms) / 2^-60 (f64, 11 terms) of 2u.
  static constexpr int kTerms = sizeof(T) == 4 ? 5 : 11;
  static constexpr T kAtanh[11] = {T(0.3333333333333333),  T(0.2),
                                   T(0.14285714285714285), T(0.1111111111111111),
                                   T(0.09090909090909091), T(0.07692307692307693),
                                   T(0.06666666666666667), T(0.058823529411764705),
                                   T(0.05263157894736842), T(0.047619047619047616),
                                   T(0.043478260869565216)};

  // a >= 0 ? x : 0 and the complement, exactly (keep_if_ge gives 0 for NaN a).
  static LOGITKIT_INLINE R keep_nonneg(R a, R x) { return V::keep_if_ge(a, V::set1(T(0)), x); }

  // exp(a) for a <= 0 (-inf gives 0, NaN stays NaN) as eh + el, |el| <= ulp(eh).
  static LOGITKIT_INLINE void exp_split(R a, R& eh, R& el) {
    const R one = V::set1(T(1));
    a = V::max(V::set1(ExpLimits<T>::kLowest), a);  // NaN survives (second operand)
    const R k = V::round(V::mul(a, V::set1(ExpConst<T>::kLog2e)));
    R r = V::fma(k, V::set1(-ExpConst<T>::kLn2Hi), a);  // exact (see Exp::exp_minus_j)
    r = V::fma(k, V::set1(-ExpConst<T>::kLn2Lo), r);
    const R r2 = V::mul(r, r);
    const R t = V::fma(r2, Exp<V>::poly_q(r, r2), r);  // p(r) = 1 + t, |t| < 0.42
    const R ph = V::add(one, t);
    const R pl = V::sub(t, V::sub(ph, one));  // exact: |t| < 1
    eh = V::ldexp(ph, k);
    el = V::ldexp(pl, k);
  }

  // d = 1 + e (e in [0, 1]) as dh + dl, and 1/d as the rounded q = 1/dh with the relative residual
  // rho = 1 - d q (to second order), so that 1/d = q + q rho.
  static LOGITKIT_INLINE void recip_one_plus(R eh, R el, R& q, R& rho) {
    const R one = V::set1(T(1));
    const R dh = V::add(one, eh);
    const R dl = V::add(V::sub(eh, V::sub(dh, one)), el);
    q = V::div(one, dh);
    rho = V::sub(V::sub(V::set1(T(0)), V::fms(dh, q, one)), V::mul(dl, q));  // 1 - dh q - dl q
  }

  // (nh + nl) / d from q, rho of recip_one_plus, rounded once at the end.
  static LOGITKIT_INLINE R quotient(R nh, R nl, R q, R rho) {
    const R a = V::mul(nh, q);
    const R ae = V::fms(nh, q, a);  // nh q - a, exactly
    return V::add(a, V::fma(q, V::fma(nh, rho, nl), ae));
  }

  // sigmoid(x) and sigmoid(-x), each rounded once from a near-exact value.
  static LOGITKIT_INLINE void sigmoid_pair(R x, R eh, R el, R& s, R& sneg) {
    R q, rho;
    recip_one_plus(eh, el, q, rho);
    const R big = V::fma(q, rho, q);              // 1 / (1 + e) = sigmoid(|x|)
    const R small = quotient(eh, el, q, rho);     // e / (1 + e) = sigmoid(-|x|)
    const R kb = keep_nonneg(x, big), ks = keep_nonneg(x, small);
    s = V::add(kb, V::sub(small, ks));     // x >= 0 ? big : small (NaN: small, which is NaN)
    sneg = V::add(ks, V::sub(big, kb));    // x >= 0 ? small : big
  }

  static LOGITKIT_INLINE R neg_abs(R x) { return V::sub(V::set1(T(0)), V::max(x, V::sub(V::set1(T(0)), x))); }

  static LOGITKIT_INLINE R sigmoid_of(R x) {
    R eh, el;
    exp_split(neg_abs(x), eh, el);
    R q, rho;
    recip_one_plus(eh, el, q, rho);
    // numerator: 1 for x >= 0, e otherwise
    const R one = V::set1(T(1));
    const R nh = V::add(keep_nonneg(x, one), V::sub(eh, keep_nonneg(x, eh)));
    const R nl = V::sub(el, keep_nonneg(x, el));
    return quotient(nh, nl, q, rho);
  }

  // log1p(eh + el) for e in [0, 1] (or NaN) as lh + ll, |ll| <= ulp(lh).
  static LOGITKIT_INLINE void log1p_split(R eh, R el, R& lh, R& ll) {
    const R zero = V::set1(T(0)), one = V::set1(T(1)), two = V::set1(T(2)), half = V::set1(T(0.5));
    // big: e >= 1/2, where 1 + e = 2 (1 + f) with f = (e - 1) / 2, exact (Sterbenz); NaN: 0
    const R big = V::keep_if_ge(eh, half, one);
    const R fb = V::mul(V::sub(eh, one), half), flb = V::mul(el, half);
    const R kf = V::mul(big, fb), kfl = V::mul(big, flb);
    const R f = V::add(kf, V::sub(eh, V::mul(big, eh)));
    const R fl = V::add(kfl, V::sub(el, V::mul(big, el)));
    // v = 2u = 2f / (2 + f) with its residual (2u rather than u: for a subnormal f, v = f exactly)
    const R d = V::add(two, f);
    const R dl = V::add(V::add(V::sub(two, d), f), fl);  // 2 + f + fl - d (first part exact)
    const R inv = V::div(one, d);
    const R v = V::mul(f, V::add(inv, inv));
    const R vl = V::mul(V::add(V::fms(V::sub(zero, v), d, V::sub(zero, V::add(f, f))), V::sub(V::add(fl, fl), V::mul(v, dl))), inv);
    const R u2 = V::mul(V::mul(v, v), V::set1(T(0.25)));
    R p = V::set1(kAtanh[kTerms - 1]);
    for (int k = kTerms - 2; k >= 0; --k) p = V::fma(p, u2, V::set1(kAtanh[k]));
    const R tail = V::mul(V::mul(v, u2), p);  // 2u^3 (1/3 + u^2/5 + ...)
    // big: + ln 2 (as hi + lo); then hi + 2u by TwoSum, the small terms into lo
    const R a = V::mul(big, V::set1(ExpConst<T>::kLn2Hi));
    const R s = V::add(a, v);
    const R bb = V::sub(s, a);
    const R err = V::add(V::sub(a, V::sub(s, bb)), V::sub(v, bb));
    const R small = V::add(V::add(V::mul(big, V::set1(ExpConst<T>::kLn2Lo)), vl), V::add(tail, err));
    lh = V::add(s, small);
    ll = V::sub(small, V::sub(lh, s));
  }

  static LOGITKIT_INLINE R log_sigmoid_of(R x) {
    R eh, el, lh, ll;
    exp_split(neg_abs(x), eh, el);
    log1p_split(eh, el, lh, ll);
    const R zero = V::set1(T(0));
    const R mn = V::sub(zero, V::max(zero, V::sub(zero, x)));  // min(x, 0); NaN stays NaN
    return V::sub(V::sub(mn, lh), ll);
  }

  static void sigmoid(const T* x, T* y, size_t n) {
    size_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, sigmoid_of(V::load(x + i)));
    if (i < n) V::store_tail(y + i, sigmoid_of(V::load_tail(x + i, n - i, T(0))), n - i);
  }

  static void log_sigmoid(const T* x, T* y, size_t n) {
    size_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, log_sigmoid_of(V::load(x + i)));
    if (i < n) V::store_tail(y + i, log_sigmoid_of(V::load_tail(x + i, n - i, T(0))), n - i);
  }

  // BCE of n contiguous elements whose weights are w[0..n) and pw[0..n) (either may be null: 1),
  // lanes past `valid` (a tail) contributing nothing. Adds the losses to acc; writes each loss to
  // out and the scaled gradient to g when those are given.
  static LOGITKIT_INLINE void bce_register(R x, R y, R w, R pw, R valid, typename V::Acc& acc, R& bad,
                                           T* out, T* g, R gscale, size_t tail) {
    const R zero = V::set1(T(0)), one = V::set1(T(1));
    bad = V::max(bad, V::sub(valid, in_unit(y)));  // 1 in a lane whose target is outside [0, 1]
    const R tiny = V::set1(std::numeric_limits<T>::denorm_min());
    R eh, el, lh, ll;
    exp_split(neg_abs(x), eh, el);
    log1p_split(eh, el, lh, ll);
    const R c = V::mul(pw, y);   // weight of the positive term
    const R b = V::sub(one, y);  // of the negative term
    const R sp_pos = V::add(V::add(V::max(zero, x), lh), ll);                  // softplus(x)
    const R sp_neg = V::add(V::add(V::max(zero, V::sub(zero, x)), lh), ll);    // softplus(-x)
    // NaN x: max(zero, NaN) is NaN on every ISA (second operand, or NEON's propagation)
    const R terms = V::add(V::keep_if_ge(c, tiny, V::mul(c, sp_neg)), V::keep_if_ge(b, tiny, V::mul(b, sp_pos)));
    const R loss = V::keep_if_ge(valid, one, V::mul(w, terms));
    V::acc_add(acc, loss);
    if (out) {
      if (tail) V::store_tail(out, loss, tail);
      else V::store(out, loss);
    }
    if (g) {
      R s, sneg;
      sigmoid_pair(x, eh, el, s, sneg);
      const R gr = V::mul(V::mul(w, gscale), V::sub(V::mul(b, s), V::mul(c, sneg)));
      if (tail) V::store_tail(g, gr, tail);
      else V::store(g, gr);
    }
  }

  // 1 where 0 <= y <= 1, else 0 (NaN: 0).
  static LOGITKIT_INLINE R in_unit(R y) {
    const R one = V::set1(T(1));
    return V::keep_if_ge(y, V::set1(T(0)), V::keep_if_ge(one, y, one));
  }

  // The index of the first of y[0..n) outside [0, 1] (NaN included), or n.
  static size_t outside_unit(const T* y, size_t n) {
    constexpr size_t kBlock = 32 * N;
    const R one = V::set1(T(1));
    for (size_t b = 0; b < n; b += kBlock) {
      const size_t e = std::min(n, b + kBlock);
      R bad = V::set1(T(0));
      size_t i = b;
      for (; i + N <= e; i += N) bad = V::max(bad, V::sub(one, in_unit(V::load(y + i))));
      if (i < e) bad = V::max(bad, V::sub(one, in_unit(V::load_tail(y + i, e - i, T(0)))));
      if (V::hmax(bad) > T(0))
        for (size_t j = b; j < e; ++j)
          if (!(y[j] >= T(0) && y[j] <= T(1))) return j;
    }
    return n;
  }

  // Sum of the losses of elements [i0, i1) (see BceArgs), their losses into a.out and gradient into
  // a.grad when given. Rows of C classes select the per-class weights. *bad is set when a target is
  // outside [0, 1] (the caller then discards the sum).
  static DD bce(const BceArgs<T>& a, size_t i0, size_t i1, bool* bad_target) {
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
        bce_register(V::load(a.x + i + j), V::load(a.y + i + j), w ? V::load(w + j) : vone,
                     pw ? V::load(pw + j) : vone, vone, acc, bad, a.out ? a.out + i + j : nullptr,
                     a.grad ? a.grad + i + j : nullptr, gscale, 0);
      }
      if (j < n) {
        const size_t t = n - j;
        bce_register(V::load_tail(a.x + i + j, t, T(0)), V::load_tail(a.y + i + j, t, T(0)),
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
