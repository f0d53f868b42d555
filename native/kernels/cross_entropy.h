// Cross-entropy (PyTorch's torch.nn.functional.cross_entropy) on contiguous rows, written once over
// the vector traits V, on top of the softmax kernels' max / exp-sum passes.
//
// Per row, with m = max x, s = sum exp(x - m), L = log s (so log p_c = x_c - m - L):
//   index target t:  loss = (1-eps) w_t (m - x_t + L) + eps/C (W L + sum_c w_c (m - x_c))
//   probabilities q: loss = A L + sum_c w_c q'_c (m - x_c), q' = (1-eps) q + eps/C, A = sum w q'
// (w = 1 and W = C without weights). Every term is a sum of non-negative parts, so nothing cancels.
// The gradient of g * loss is g (a p_c - w_c (eps/C + (1-eps) q_c)) minus the one-hot part at t,
// which is computed from (s - e_t) / s so that 1 - p_t keeps its digits when p_t is close to 1.
#pragma once

#include "softmax.h"

namespace logitkit {

template <class V>
struct CrossEntropyKernels {
  using T = typename V::T;
  using R = typename V::R;
  using S = SoftmaxKernels<V>;
  using E = Exp<V>;
  static constexpr size_t N = V::N;

  template <bool kA, bool kB>
  static DotSums dot_impl(const T* x, size_t n, T ref, const T* a, const T* b) {
    typename V::Acc ad = V::acc_zero(), aa = V::acc_zero();
    const R vref = V::set1(ref), one = V::set1(T(1));
    auto weight = [&](R va, R vb) { return kA && kB ? V::mul(va, vb) : kA ? va : kB ? vb : one; };
    size_t i = 0;
    for (; i + N <= n; i += N) {
      R w = weight(kA ? V::load(a + i) : one, kB ? V::load(b + i) : one);
      V::acc_add_prod(ad, w, V::sub(vref, V::load(x + i)));
      if (kA || kB) V::acc_add(aa, w);
    }
    if (i < n) {
      const size_t k = n - i;
      R w = weight(kA ? V::load_tail(a + i, k, T(0)) : one, kB ? V::load_tail(b + i, k, T(0)) : one);
      R d = V::sub(vref, V::load_tail(x + i, k, ref));
      if (!kA && !kB) {
        V::acc_add(ad, d);  // lanes past n have d = ref - ref = 0
      } else {
        V::acc_add_prod(ad, w, d);
        V::acc_add(aa, w);
      }
    }
    DD td = V::acc_total(ad);
    double asum = static_cast<double>(n);
    if (kA || kB) {
      DD ta = V::acc_total(aa);
      asum = ta.hi + ta.lo;
    }
    return DotSums{td.hi + td.lo, asum};
  }

  static DotSums dot(const T* x, size_t n, T ref, const T* a, const T* b) {
    if (a && b) return dot_impl<true, true>(x, n, ref, a, b);
    if (a) return dot_impl<true, false>(x, n, ref, a, b);
    if (b) return dot_impl<false, true>(x, n, ref, b, b);
    return dot_impl<false, false>(x, n, ref, a, b);
  }

  // exp(off) for a shift's offset, in double (|off| <= 0.35): the factor from its terms exp(x - m - off)
  // back to exp(x - m)
  static double exp_off(DD off) { return std::exp(off.hi) * (1.0 + off.lo); }

  // kShift: the exponentials come from the fast path (S::Shift sh), and f has been multiplied by
  // exp(sh.off) to make up for it
  template <bool kW, bool kQ, bool kShift>
  static void grad_impl(const T* x, T* g, size_t n, T m, DD f, double beta, double gamma,
                        const T* w, const T* q, const typename S::Shift& sh) {
    T fh, fl;
    S::split(f, fh, fl);
    const R vm = V::set1(m), negm = V::sub(V::set1(T(0)), vm);
    const R vj = V::set1(sh.j), vfloor = V::set1(sh.floor);
    const R vfh = V::set1(fh), vfl = V::set1(fl);
    const R vb = V::set1(static_cast<T>(beta)), vg = V::set1(static_cast<T>(gamma));
    auto one = [&](R xv, R wv, R qv) {
      R e = kShift ? E::exp_minus_j(V::max(vfloor, xv), vj) : S::template exp_of<false>(xv, vm, negm, vfh, vfl);
      R p = V::fma(e, vfh, V::mul(e, vfl));
      R t = kQ ? V::fma(vg, qv, vb) : vb;
      if (kW) t = V::mul(t, wv);
      return V::sub(p, t);
    };
    size_t i = 0;
    for (; i + N <= n; i += N)
      V::store(g + i, one(V::load(x + i), kW ? V::load(w + i) : vb, kQ ? V::load(q + i) : vb));
    if (i < n) {
      const size_t k = n - i;
      R xv = V::load_tail(x + i, k, m);
      V::store_tail(g + i, one(xv, kW ? V::load_tail(w + i, k, T(0)) : vb,
                               kQ ? V::load_tail(q + i, k, T(0)) : vb), k);
    }
  }

  template <bool kShift>
  static void grad_shift(const T* x, T* g, size_t n, T m, DD f, double beta, double gamma, const T* w,
                         const T* q, const typename S::Shift& sh) {
    if (w && q) grad_impl<true, true, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
    else if (w) grad_impl<true, false, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
    else if (q) grad_impl<false, true, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
    else grad_impl<false, false, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
  }

  static void grad(const T* x, T* g, size_t n, T m, DD f, double beta, double gamma, const T* w,
                   const T* q) {
    const typename S::Shift sh = S::shift_for(m);
    if (!sh.ok) return grad_shift<false>(x, g, n, m, f, beta, gamma, w, q, sh);
    const double e = exp_off(sh.off), p = f.hi * e;
    grad_shift<true>(x, g, n, m, DD{p, std::fma(f.hi, e, -p) + f.lo * e}, beta, gamma, w, q, sh);
  }

  // Sum of exp(x - m) over a row of maximum m, by the fast path where the shift allows it. Its terms
  // are exp(x - m - off); the maximum's own term, exp(-off) in T (an ulp off), would swamp a loss
  // near 0 (log of 1 + tiny), so it is taken out and the sum rebuilt as 1 + exp(off) * (the rest),
  // as exact as the sum of the rest itself.
  static DD row_sum(const T* x, size_t n, T m) {
    const typename S::Shift sh = S::shift_for(m);
    if (!sh.ok) return S::expsum_m(x, n, m, DD{1.0, 0.0}, nullptr);
    const R vj = V::set1(sh.j), vf = V::set1(sh.floor);
    const DD sum = S::template expsum_shift_impl<false>(x, n, vj, vf, nullptr);
    alignas(64) T em[N];
    V::store(em, E::exp_minus_j(V::max(vf, V::set1(m)), vj));  // the loop's own value at x = m
    const DD rest = dd_add(sum, DD{-static_cast<double>(em[0]), 0.0});
    const double e = exp_off(sh.off), p = rest.hi * e;
    return dd_add(DD{1.0, 0.0}, DD{p, std::fma(rest.hi, e, -p) + rest.lo * e});
  }

  static void zero(T* g, size_t n) {
    for (size_t i = 0; i < n; ++i) g[i] = T(0);
  }

  static bool ignored(const CrossEntropyArgs<T>& a, size_t r) { return a.target && a.target[r] < 0; }

  static void rows(const CrossEntropyArgs<T>& a, size_t rows) {
    const size_t C = a.C;
    if (C < S::kShortRow && N > 1) return short_rows(a, rows);
    for (size_t r = 0; r < rows; ++r) {
      if (ignored(a, r)) {
        finish_row(a, r, T(0), DD{0.0, 0.0}, DD{0.0, 0.0});
        continue;
      }
      const T* x = a.x + r * C;
      const T m = S::max(x, C);
      const DD s = row_sum(x, C, m);
      finish_row(a, r, m, s, dd_log(s));
    }
  }

  // Rows shorter than S::kShortRow: N rows at a time through a transposed tile, one row per lane,
  // so that the maximum and the sum of exponentials of a row of 3 cost a few lane operations
  // instead of two passes with masked tails and horizontal reductions (as softmax does), and log s
  // of all the lanes at once (the vector logarithm, lanes.h); the rest of the loss per row.
  // kMax >= C bounds the loops over the classes (for_each_below).
  template <size_t kMax>
  static void short_loop(const CrossEntropyArgs<T>& a, size_t rows) {
    const size_t C = a.C;
    const typename Lanes<V>::Tile tile(C);
    R v[kMax];
    alignas(64) T mm[N], lh[N], ll[N];
    double sh[N], sl[N];
    const R zero = V::set1(T(0));
    for (size_t r0 = 0; r0 < rows; r0 += N) {
      const size_t nl = rows - r0 < N ? rows - r0 : N;
      tile.template load<kMax>(a.x + r0 * C, nl, T(0), v);  // unused lanes: any finite value
      R vm = V::set1(-S::kInf);
      for_each_below<kMax>(C, [&](size_t c) { vm = V::max(vm, v[c]); });
      const R negm = V::sub(zero, vm);
      typename V::Acc acc = V::acc_zero();
      for_each_below<kMax>(C, [&](size_t c) { V::acc_add(acc, S::template exp_of<false>(v[c], vm, negm, zero, zero)); });
      V::store(mm, vm);
      R h, l;
      Lanes<V>::log(acc, h, l);  // sums >= 1: the maximum's term is exp(0) = 1
      V::store(lh, h);
      V::store(ll, l);
      V::acc_lanes(acc, sh, sl);
      for (size_t j = 0; j < nl; ++j) finish_row(a, r0 + j, mm[j], DD{sh[j], sl[j]}, DD{lh[j], ll[j]});
    }
  }

  static void short_rows(const CrossEntropyArgs<T>& a, size_t rows) {
    if (a.C <= 2) short_loop<2>(a, rows);
    else if (a.C <= 4) short_loop<4>(a, rows);
    else if (a.C <= 8) short_loop<8>(a, rows);
    else short_loop<S::kShortRow>(a, rows);
  }

  // Loss (and gradient) of row r from its maximum m, its sum of exp(x - m), s, and lse = log s.
  static void finish_row(const CrossEntropyArgs<T>& a, size_t r, T m, DD s, DD lse) {
    const size_t C = a.C;
    const double eps = a.smoothing;
    const double epsC = C ? eps / static_cast<double>(C) : 0.0;
    const T* x = a.x + r * C;
    T* g = a.grad ? a.grad + r * C : nullptr;
    if (ignored(a, r)) {
      a.loss[r] = 0.0;
      if (g) zero(g, C);
      return;
    }
    const double L = lse.hi + lse.lo;
    if (a.target) {
      const size_t t = static_cast<size_t>(a.target[r]);
      const double wt = a.weight ? static_cast<double>(a.weight[t]) : 1.0;
      const double xt = static_cast<double>(x[t]);
      // each term only when its weight is not 0, and eps/C applied last: eps > 0 puts mass on
      // every class, so a -Infinity logit makes the loss +Infinity even if eps/C underflows
      double loss = eps < 1.0 ? (1.0 - eps) * wt * ((static_cast<double>(m) - xt) + L) : 0.0;
      if (eps > 0.0) {
        DotSums d = dot(x, C, m, a.weight, nullptr);
        loss += eps * (a.weight_sum * L + d.d) / static_cast<double>(C);
      }
      a.loss[r] = loss;
      if (g) {
        const double gs = a.grad_scale;
        const double alpha = gs * ((1.0 - eps) * wt + epsC * a.weight_sum);
        DD f = dd_recip(s);
        grad(x, g, C, m, DD{f.hi * alpha, f.lo * alpha}, gs * epsC, 0.0, a.weight, nullptr);
        const double st = s.hi + s.lo;
        const double et = std::exp(xt - static_cast<double>(m));
        const double one_minus_pt = ((s.hi - et) + s.lo) / st;
        g[t] = static_cast<T>(gs * (-(1.0 - eps) * wt * one_minus_pt +
                                    epsC * (a.weight_sum * (et / st) - wt)));
      }
    } else {
      const T* q = a.prob + r * C;
      DotSums d1 = dot(x, C, m, a.weight, q);
      double A = eps < 1.0 ? (1.0 - eps) * d1.a : 0.0, D = eps < 1.0 ? (1.0 - eps) * d1.d : 0.0;
      if (eps > 0.0) {  // eps/C last, as for index targets
        DotSums d0 = dot(x, C, m, a.weight, nullptr);
        A += eps * d0.a / static_cast<double>(C);
        D += eps * d0.d / static_cast<double>(C);
      }
      a.loss[r] = A * L + D;
      if (g) {
        const double gs = a.grad_scale;
        DD f = dd_recip(s);
        grad(x, g, C, m, DD{f.hi * gs * A, f.lo * gs * A}, gs * epsC, gs * (1.0 - eps), a.weight, q);
      }
    }
  }
};

}  // namespace logitkit
