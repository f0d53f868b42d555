// Cross-entropy (PyTorch's torch.nn.functional.cross_entropy) on contiguous rows, written once over
// the vector traits V, on top of the softmax kernels' max / exp-sum passes. The loss formulas are
// in cross_entropy_row.h, shared with the ops layer.
#pragma once

#include "cross_entropy_row.h"
#include "softmax.h"

namespace logitkit {

// Logits and probability targets stored as X, the gradient and per-row losses as Y (table.h).
template <class V, class X = typename V::T, class Y = X>
struct CrossEntropyKernels {
  using T = typename V::T;
  using R = typename V::R;
  using S = SoftmaxKernels<V, X, T>;
  using E = Exp<V>;
  using M = Mem<V>;
  using Args = CrossEntropyArgs<T, X, Y>;
  static constexpr size_t N = V::N;

  template <bool kA, bool kB>
  static DotSums dot_impl(const X* x, size_t n, T ref, const T* a, const X* b) {
    typename V::Acc ad = V::acc_zero(), aa = V::acc_zero();
    const R vref = V::set1(ref), one = V::set1(T(1));
    auto weight = [&](R va, R vb) { return kA && kB ? V::mul(va, vb) : kA ? va : kB ? vb : one; };
    size_t i = 0;
    for (; i + N <= n; i += N) {
      R w = weight(kA ? M::load(a + i) : one, kB ? M::load(b + i) : one);
      V::acc_add_prod(ad, w, V::sub(vref, M::load(x + i)));
      if (kA || kB) V::acc_add(aa, w);
    }
    if (i < n) {
      const size_t k = n - i;
      R w = weight(kA ? M::load_tail(a + i, k, T(0)) : one, kB ? M::load_tail(b + i, k, T(0)) : one);
      R d = V::sub(vref, M::load_tail(x + i, k, ref));
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

  static DotSums dot(const X* x, size_t n, T ref, const T* a, const X* b) {
    if (a && b) return dot_impl<true, true>(x, n, ref, a, b);
    if (a) return dot_impl<true, false>(x, n, ref, a, b);
    if (b) return dot_impl<false, true>(x, n, ref, a, b);
    return dot_impl<false, false>(x, n, ref, a, b);
  }

  // exp(off) for a shift's offset, in double (|off| <= 0.35): the factor from its terms exp(x - m - off)
  // back to exp(x - m)
  static double exp_off(DD off) { return std::exp(off.hi) * (1.0 + off.lo); }

  // kShift: the exponentials come from the fast path (S::Shift sh), and f has been multiplied by
  // exp(sh.off) to make up for it
  template <bool kW, bool kQ, bool kShift>
  static void grad_impl(const X* x, Y* g, size_t n, T m, DD f, double beta, double gamma,
                        const T* w, const X* q, const typename S::Shift& sh) {
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
      M::store(g + i, one(M::load(x + i), kW ? M::load(w + i) : vb, kQ ? M::load(q + i) : vb));
    if (i < n) {
      const size_t k = n - i;
      R xv = M::load_tail(x + i, k, m);
      M::store_tail(g + i, one(xv, kW ? M::load_tail(w + i, k, T(0)) : vb,
                               kQ ? M::load_tail(q + i, k, T(0)) : vb), k);
    }
  }

  template <bool kShift>
  static void grad_shift(const X* x, Y* g, size_t n, T m, DD f, double beta, double gamma, const T* w,
                         const X* q, const typename S::Shift& sh) {
    if (w && q) grad_impl<true, true, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
    else if (w) grad_impl<true, false, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
    else if (q) grad_impl<false, true, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
    else grad_impl<false, false, kShift>(x, g, n, m, f, beta, gamma, w, q, sh);
  }

  static void grad(const X* x, Y* g, size_t n, T m, DD f, double beta, double gamma, const T* w,
                   const X* q) {
    const typename S::Shift sh = S::shift_for(m);
    if (!sh.ok) return grad_shift<false>(x, g, n, m, f, beta, gamma, w, q, sh);
    const double e = exp_off(sh.off), p = f.hi * e;
    grad_shift<true>(x, g, n, m, DD{p, std::fma(f.hi, e, -p) + f.lo * e}, beta, gamma, w, q, sh);
  }

  // The shift's sum rebuilt as the sum of exp(x - m): its terms are exp(x - m - off); the maximum's
  // own term, exp(-off) in T (an ulp off), would swamp a loss near 0 (log of 1 + tiny), so it is
  // taken out and the sum rebuilt as 1 + exp(off) * (the rest), as exact as the sum of the rest.
  static DD rebuild(DD sum, T m, const typename S::Shift& sh) {
    const R vj = V::set1(sh.j), vf = V::set1(sh.floor);
    alignas(64) T em[N];
    V::store(em, E::exp_minus_j(V::max(vf, V::set1(m)), vj));  // the loop's own value at x = m
    const DD rest = dd_add(sum, DD{-static_cast<double>(em[0]), 0.0});
    const double e = exp_off(sh.off), p = rest.hi * e;
    return dd_add(DD{1.0, 0.0}, DD{p, std::fma(rest.hi, e, -p) + rest.lo * e});
  }

  // The statistics' dot products for a known maximum m.
  static void add_dots(CrossEntropyStats<T>& st, const X* x, size_t n, T m, const T* w, const X* q, bool smooth) {
    if (smooth) {
      const DotSums d = dot(x, n, m, w, nullptr);
      st.d0 += d.d;
      st.a0 += d.a;
    }
    if (q) {
      const DotSums d = dot(x, n, m, w, q);
      st.d1 += d.d;
      st.a1 += d.a;
    }
  }

  // Two passes, the maximum subtracted exactly: rows the shift does not allow (|max| >= 2^12,
  // +-inf, NaN).
  static CrossEntropyStats<T> stats_exact(const X* x, size_t n, const T* w, const X* q, bool smooth) {
    CrossEntropyStats<T> st{};
    st.m = S::max(x, n);
    st.s = S::expsum_m(x, n, st.m, DD{1.0, 0.0}, nullptr);
    add_dots(st, x, n, st.m, w, q, smooth);
    return st;
  }

  // Logits are read from memory once, in blocks of kBlock. The first block takes its maximum m,
  // then adds its exponentials under the shift of m (in L1 for that second look; a first block of
  // only -inf, like a maximum the shift refuses, sends the row to stats_exact). Every later block
  // adds its exponentials under the shift of the maximum so far and takes its own maximum from
  // the same loads (expsum_shift_impl's kWithMax). When a block raises m, the sum is rescaled by
  // 2^(j_old - j_new), exactly: a term computed under the old shift, 2^(k - j_old) p(r), is the one
  // the new shift gives, and a subnormal one is only more precise for having been computed larger; the maximum's
  // own term in particular is the one rebuild() takes out. Terms of a block that raises m by more
  // than kRedo would pass 2^63 under the old shift (the largest power ldexp takes, traits.md): that
  // block is computed again under the new one. The dot products move from the old maximum to the
  // new one by (m_new - m_old) * (their weights), all parts non-negative.
  // `next`: what is read after these n logits (the next row), prefetched during the last block's
  // exponentials as each block prefetches the next, or null.
  static constexpr size_t kBlock = 2048;
  static constexpr double kRedo = 40.0;  // e^(40 + 0.35) < 2^59
  static CrossEntropyStats<T> stats(const X* x, size_t n, const T* w, const X* q, bool smooth, const X* next) {
    CrossEntropyStats<T> st{};
    st.m = -S::kInf;
    typename S::Shift sh{};
    DD sum{0.0, 0.0};
    for (size_t b = 0; b < n; b += kBlock) {
      const size_t nb = n - b < kBlock ? n - b : kBlock;
      const X* pf = b + kBlock < n ? x + b + kBlock : next;
      if (!sh.ok) {
        const T mb = S::max(x + b, nb);
        if (!(mb <= st.m)) {  // a finite maximum (or NaN, +inf, |m| >= 2^12: the shift refuses them)
          sh = S::shift_for(mb);
          if (!sh.ok) return stats_exact(x, n, w, q, smooth);
          st.m = mb;
        }
        if (!sh.ok) return stats_exact(x, n, w, q, smooth);  // the first block is all -inf
        sum = S::template expsum_shift_impl<false>(x + b, nb, V::set1(sh.j), V::set1(sh.floor), nullptr, pf);
      } else {
        T mb;
        DD part = S::template expsum_shift_impl<false, false, true>(x + b, nb, V::set1(sh.j), V::set1(sh.floor), nullptr, pf, &mb);
        if (!(mb <= st.m)) {  // a larger maximum (or NaN, which the shift refuses)
          const typename S::Shift ns = S::shift_for(mb);
          if (!ns.ok) return stats_exact(x, n, w, q, smooth);
          const double rise = static_cast<double>(mb) - static_cast<double>(st.m);
          const bool redo = rise > kRedo;
          if (!redo) sum = dd_add(sum, part);
          const int d = static_cast<int>(sh.j - ns.j);
          sum = DD{std::ldexp(sum.hi, d), std::ldexp(sum.lo, d)};
          if (redo) sum = dd_add(sum, S::template expsum_shift_impl<false>(x + b, nb, V::set1(ns.j), V::set1(ns.floor), nullptr, pf));
          st.d0 += rise * st.a0;
          st.d1 += rise * st.a1;
          sh = ns;
          st.m = mb;
        } else {
          sum = dd_add(sum, part);
        }
      }
      add_dots(st, x + b, nb, st.m, w ? w + b : nullptr, q ? q + b : nullptr, smooth);
    }
    if (!sh.ok) return stats_exact(x, n, w, q, smooth);  // n = 0
    st.s = rebuild(sum, st.m, sh);
    return st;
  }

  static void zero(Y* g, size_t n) {
    for (size_t i = 0; i < n; ++i) g[i] = narrow<Y>(T(0));
  }

  static void rows(const Args& a, size_t rows) {
    const size_t C = a.C;
    if (C < S::kShortRow && N > 1) return short_rows(a, rows);
    const bool smooth = a.smoothing > 0.0;
    const bool prefetch = rows * C * sizeof(X) > S::kPrefetchAbove;
    for (size_t r = 0; r < rows; ++r) {
      if (ce_ignored(a, r)) {
        finish_row(a, r, CrossEntropyStats<T>{}, DD{0.0, 0.0});
        continue;
      }
      const X* x = a.x + r * C;
      const X* next = prefetch && r + 1 < rows ? x + C : nullptr;
      const CrossEntropyStats<T> st = stats(x, C, a.weight, a.prob ? a.prob + r * C : nullptr, smooth, next);
      finish_row(a, r, st, dd_log(st.s));
    }
  }

  // Rows shorter than S::kShortRow: N rows at a time through a transposed tile, one row per lane,
  // so that the maximum and the sum of exponentials of a row of 3 cost a few lane operations
  // instead of two passes with masked tails and horizontal reductions (as softmax does), and log s
  // of all the lanes at once (the vector logarithm, lanes.h); the loss per row; the gradient of the
  // tile from the exponentials still in registers, with each row's factor as a lane, and stored
  // back through the tile (a call per row of 3 cost more than the row: 100000x3 with grad spent a
  // third of its time in it and in the shift and exp(offset) it set up).
  // kMax >= C bounds the loops over the classes (for_each_below).
  template <size_t kMax>
  static void short_loop(const Args& a, size_t rows) {
    const size_t C = a.C;
    const typename Lanes<V>::Tile tile(C);
    R v[kMax];
    alignas(64) T mm[N], lh[N], ll[N], fh[N], fl[N];
    alignas(64) T e[kMax][N];
    double sh[N], sl[N], gt[N];
    const R vzero = V::set1(T(0));
    double beta = 0.0, gamma = 0.0;
    if (a.grad) ce_grad_coefs(a, beta, gamma);
    const R vb = V::set1(static_cast<T>(beta)), vg = V::set1(static_cast<T>(gamma));
    const bool smooth = a.smoothing > 0.0;
    const bool plain = a.target && !a.grad && !smooth;
    const bool index_grad = a.target && a.grad && !smooth;
    for (size_t r0 = 0; r0 < rows; r0 += N) {
      const size_t nl = rows - r0 < N ? rows - r0 : N;
      Lanes<V>::template tile_load<kMax>(tile, C, a.x + r0 * C, nl, T(0), v);  // unused lanes: any finite value
      R vm = V::set1(-S::kInf);
      for_each_below<kMax>(C, [&](size_t c) { vm = V::max(vm, v[c]); });
      const R negm = V::sub(vzero, vm);
      typename V::Acc acc = V::acc_zero();
      for_each_below<kMax>(C, [&](size_t c) {
        v[c] = S::template exp_of<false>(v[c], vm, negm, vzero, vzero);  // the logits are not needed again
        V::acc_add(acc, v[c]);
      });
      V::store(mm, vm);
      R h, l;
      Lanes<V>::log(acc, h, l);  // sums >= 1: the maximum's term is exp(0) = 1
      V::store(lh, h);
      V::store(ll, l);
      if (plain) {
        // the loss of index targets without smoothing, w_t (m - x_t + L), as ce_row_loss computes
        // it (there (1 - 0) w_t, the same number), without its call, dot products and sum per row:
        // they were half the time of 100000x3
        for (size_t j = 0; j < nl; ++j) {
          const size_t r = r0 + j;
          const int64_t t = a.target[r];
          if (t < 0) {
            a.loss[r] = 0.0;
            continue;
          }
          const double wt = a.weight ? static_cast<double>(a.weight[t]) : 1.0;
          const double L = static_cast<double>(lh[j]) + static_cast<double>(ll[j]);
          a.loss[r] = wt * ((static_cast<double>(mm[j]) - static_cast<double>(widen(a.x[(r * C) + static_cast<size_t>(t)]))) + L);
        }
        continue;
      }
      V::acc_lanes(acc, sh, sl);
      if (a.grad && a.target) for_each_below<kMax>(C, [&](size_t c) { V::store(e[c], v[c]); });
      if (index_grad) {
        index_plans(a, r0, nl, mm, lh, ll, sh, sl, e, fh, fl, gt);
      } else {
        for (size_t j = 0; j < nl; ++j) {
          const size_t r = r0 + j;
          fh[j] = fl[j] = T(0);
          if (ce_ignored(a, r)) {
            a.loss[r] = 0.0;
            continue;
          }
          CrossEntropyStats<T> st{mm[j], DD{sh[j], sl[j]}, 0.0, 0.0, 0.0, 0.0};
          add_dots(st, a.x + r * C, C, st.m, a.weight, a.prob ? a.prob + r * C : nullptr, smooth);
          CrossEntropyGradPlan plan;
          const double et = a.grad && a.target ? static_cast<double>(e[a.target[r]][j]) : -1.0;
          a.loss[r] = ce_row_loss(a, r, st, DD{lh[j], ll[j]}, a.grad ? &plan : nullptr, et);
          if (a.grad) {
            S::split(plan.f, fh[j], fl[j]);
            gt[j] = plan.gt;
          }
        }
      }
      if (!a.grad) continue;
      // g = e f - w (beta + gamma q), as grad() computes it
      R q[kMax];
      if (a.prob) Lanes<V>::template tile_load<kMax>(tile, C, a.prob + r0 * C, nl, T(0), q);
      const R vfh = V::load(fh), vfl = V::load(fl);
      for_each_below<kMax>(C, [&](size_t c) {
        R t = a.prob ? V::fma(vg, q[c], vb) : vb;
        if (a.weight) t = V::mul(t, V::set1(a.weight[c]));
        v[c] = V::sub(V::fma(v[c], vfh, V::mul(v[c], vfl)), t);
      });
      Lanes<V>::template tile_store<kMax>(tile, C, a.grad + r0 * C, nl, v);
      for (size_t j = 0; j < nl; ++j) {
        const size_t r = r0 + j;
        Y* g = a.grad + r * C;
        if (ce_ignored(a, r)) zero(g, C);
        else if (a.target) g[a.target[r]] = narrow<Y>(static_cast<T>(gt[j]));
      }
    }
  }

  // The loss and gradient plan of the index-target rows of a tile without label smoothing:
  // ce_row_loss's expressions, operation for operation (eps = 0 and eps/C = 0 kept in them, for
  // their signs of zero and their NaN), so the same bits (a NaN loss may carry the other sign
  // bit), but lane by lane over local arrays in a loop the compiler vectorizes (-ffp-contract=off:
  // no fusion it could choose differently). A call of ce_row_loss per row, with its four
  // divisions, was a third of the time of 100000x3 with grad.
  static void index_plans(const Args& a, size_t r0, size_t nl, const T* mm, const T* lh, const T* ll,
                          const double* sh, const double* sl, const T (*e)[N], T* fh, T* fl, double* gt) {
    const size_t C = a.C;
    const double eps = a.smoothing;
    const double epsC = C ? eps / static_cast<double>(C) : 0.0;
    const double W = a.weight_sum, gs = a.grad_scale;
    alignas(64) double wt[N], xt[N], et[N], loss[N], ph[N], pl[N], g1[N];  // local: no aliasing to check
    for (size_t j = 0; j < N; ++j) {  // lanes past nl and ignored rows: any finite values, not used
      const int64_t t = j < nl ? a.target[r0 + j] : -1;
      wt[j] = xt[j] = et[j] = 0.0;
      if (t < 0) continue;
      const size_t ti = static_cast<size_t>(t);
      wt[j] = a.weight ? static_cast<double>(a.weight[ti]) : 1.0;
      xt[j] = static_cast<double>(widen(a.x[(r0 + j) * C + ti]));
      et[j] = static_cast<double>(e[ti][j]);
    }
    for (size_t j = 0; j < N; ++j) {
      const double m = static_cast<double>(mm[j]);
      const double L = static_cast<double>(lh[j]) + static_cast<double>(ll[j]);
      loss[j] = (1.0 - eps) * wt[j] * ((m - xt[j]) + L);
      const double alpha = gs * ((1.0 - eps) * wt[j] + epsC * W);
      const double q = 1.0 / sh[j];  // dd_recip
      const double rq = std::fma(-sh[j], q, 1.0) - sl[j] * q;
      ph[j] = q * alpha;
      pl[j] = (q * rq) * alpha;
      const double s = sh[j] + sl[j];
      const double one_minus_pt = ((sh[j] - et[j]) + sl[j]) / s;
      g1[j] = gs * (-(1.0 - eps) * wt[j] * one_minus_pt + epsC * (W * (et[j] / s) - wt[j]));
    }
    for (size_t j = 0; j < nl; ++j) {
      const size_t r = r0 + j;
      fh[j] = fl[j] = T(0);
      if (ce_ignored(a, r)) {
        a.loss[r] = 0.0;
        continue;
      }
      a.loss[r] = loss[j];
      S::split(DD{ph[j], pl[j]}, fh[j], fl[j]);
      gt[j] = g1[j];
    }
  }

  static void short_rows(const Args& a, size_t rows) {
    if (a.C <= 2) short_loop<2>(a, rows);
    else if (a.C <= 4) short_loop<4>(a, rows);
    else if (a.C <= 8) short_loop<8>(a, rows);
    else short_loop<S::kShortRow>(a, rows);
  }

  // Loss (and gradient) of row r from its statistics and lse = log s.
  static LOGITKIT_INLINE void finish_row(const Args& a, size_t r, const CrossEntropyStats<T>& st, DD lse) {
    const size_t C = a.C;
    Y* g = a.grad ? a.grad + r * C : nullptr;
    if (ce_ignored(a, r)) {
      a.loss[r] = 0.0;
      if (g) zero(g, C);
      return;
    }
    CrossEntropyGradPlan plan;
    a.loss[r] = ce_row_loss(a, r, st, lse, g ? &plan : nullptr);
    if (!g) return;
    grad(a.x + r * C, g, C, st.m, plan.f, plan.beta, plan.gamma, a.weight, a.prob ? a.prob + r * C : nullptr);
    if (plan.has_t) g[plan.t] = narrow<Y>(static_cast<T>(plan.gt));
  }
};

}  // namespace logitkit
