// The loss of one cross-entropy row from its statistics (CrossEntropyStats), and what its gradient
// pass needs: scalar code shared by the row kernels (cross_entropy.h, per ISA) and the ops layer,
// which merges the statistics of the chunks of rows longer than kChunk. static inline, as
// everything of common.h: each translation unit keeps its own copy.
//
// With m = max x, s = sum exp(x - m), L = log s (so log p_c = x_c - m - L):
//   index target t:  loss = (1-eps) w_t (m - x_t + L) + eps/C (W L + sum_c w_c (m - x_c))
//   probabilities q: loss = A L + sum_c w_c q'_c (m - x_c), q' = (1-eps) q + eps/C, A = sum w q'
// (w = 1 and W = C without weights). Every term is a sum of non-negative parts, so nothing cancels.
// The gradient of g * loss is g (a p_c - w_c (eps/C + (1-eps) q_c)) minus the one-hot part at t,
// which is computed from (s - e_t) / s so that 1 - p_t keeps its digits when p_t is close to 1.
#pragma once

#include "table.h"

namespace logitkit {

// The gradient of a row: g_c = exp(x_c - m) f - w_c (beta + gamma q_c), then g_t = gt (index targets).
struct CrossEntropyGradPlan {
  DD f;
  double beta, gamma;
  bool has_t;
  size_t t;
  double gt;
};

template <class T, class X, class Y>
static inline bool ce_ignored(const CrossEntropyArgs<T, X, Y>& a, size_t r) {
  return a.target && a.target[r] < 0;
}

// The gradient's beta and gamma (the same for every row of a call).
template <class T, class X, class Y>
static inline void ce_grad_coefs(const CrossEntropyArgs<T, X, Y>& a, double& beta, double& gamma) {
  const double eps = a.smoothing;
  beta = a.grad_scale * (a.C ? eps / static_cast<double>(a.C) : 0.0);
  gamma = a.target ? 0.0 : a.grad_scale * (1.0 - eps);
}

// The loss of row r (not ignored) of a (its logits at a.x + r * C), from the statistics st of the
// whole row and lse = log st.s; fills *plan when it is not null. et: exp(x_t - m) as the row's sum
// took it (the term itself, so that s - et is exactly the sum of the others), or negative to have
// it computed here.
template <class T, class X, class Y>
static inline double ce_row_loss(const CrossEntropyArgs<T, X, Y>& a, size_t r, const CrossEntropyStats<T>& st, DD lse,
                                 CrossEntropyGradPlan* plan, double et_known = -1.0) {
  const size_t C = a.C;
  const double eps = a.smoothing;
  const double epsC = C ? eps / static_cast<double>(C) : 0.0;
  const double m = static_cast<double>(st.m);
  const double L = lse.hi + lse.lo;
  const double gs = a.grad_scale;
  if (a.target) {
    const size_t t = static_cast<size_t>(a.target[r]);
    const double wt = a.weight ? static_cast<double>(a.weight[t]) : 1.0;
    const double xt = static_cast<double>(widen(a.x[r * C + t]));
    // each term only when its weight is not 0, and eps/C applied last: eps > 0 puts mass on every
    // class, so a -Infinity logit makes the loss +Infinity even if eps/C underflows
    double loss = eps < 1.0 ? (1.0 - eps) * wt * ((m - xt) + L) : 0.0;
    if (eps > 0.0) loss += eps * (a.weight_sum * L + st.d0) / static_cast<double>(C);
    if (plan) {
      const double alpha = gs * ((1.0 - eps) * wt + epsC * a.weight_sum);
      const DD f = dd_recip(st.s);
      const double s = st.s.hi + st.s.lo;
      const double et = et_known >= 0.0 ? et_known : std::exp(xt - m);
      const double one_minus_pt = ((st.s.hi - et) + st.s.lo) / s;
      double beta, gamma;
      ce_grad_coefs(a, beta, gamma);
      *plan = CrossEntropyGradPlan{DD{f.hi * alpha, f.lo * alpha}, beta, gamma, true, t,
                                   gs * (-(1.0 - eps) * wt * one_minus_pt + epsC * (a.weight_sum * (et / s) - wt))};
    }
    return loss;
  }
  double A = eps < 1.0 ? (1.0 - eps) * st.a1 : 0.0, D = eps < 1.0 ? (1.0 - eps) * st.d1 : 0.0;
  if (eps > 0.0) {  // eps/C last, as for index targets
    A += eps * st.a0 / static_cast<double>(C);
    D += eps * st.d0 / static_cast<double>(C);
  }
  if (plan) {
    const DD f = dd_recip(st.s);
    double beta, gamma;
    ce_grad_coefs(a, beta, gamma);
    *plan = CrossEntropyGradPlan{DD{f.hi * gs * A, f.lo * gs * A}, beta, gamma, false, 0, 0.0};
  }
  return A * L + D;
}

}  // namespace logitkit
