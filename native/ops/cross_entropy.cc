#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../kernels/cross_entropy_row.h"
#include "../scratch.h"
#include "common.h"
#include "ops.h"

namespace logitkit {

namespace {

// Reduction over a non-last class axis: tiles of up to 16 columns of one outer index are gathered
// into contiguous rows, run through the row kernel, and the gradient is scattered back.
// Half-precision inputs and outputs are converted into and out of the (float32) tiles.
template <class T, class X, class Y>
void cross_entropy_strided(const Kernels<T>& k, const CrossEntropyInput<T, X, Y>& in,
                           const CrossEntropyArgs<T>& base) {
  const Dims d = in.d;
  const size_t C = d.C, inner = d.inner;
  const size_t tw = std::max<size_t>(1, std::min<size_t>(16, (size_t(1) << 20) / std::max<size_t>(C, 1)));
  const size_t tiles = (inner + tw - 1) / tw;
  parallel_for(d.outer * tiles, 1, [&](size_t u0, size_t u1) {
    std::vector<T> xt(tw * C), qt(in.prob ? tw * C : 0), gt(in.grad ? tw * C : 0);
    for (size_t u = u0; u < u1; ++u) {
      const size_t o = u / tiles, j0 = (u % tiles) * tw, nw = std::min(tw, inner - j0);
      const size_t base_off = o * C * inner + j0;
      auto gather = [&](const X* src, T* dst) {
        for (size_t c = 0; c < C; ++c)
          for (size_t j = 0; j < nw; ++j) dst[j * C + c] = widen(src[base_off + c * inner + j]);
      };
      gather(in.x, xt.data());
      if (in.prob) gather(in.prob, qt.data());
      CrossEntropyArgs<T> a = base;
      const size_t row0 = o * inner + j0;
      a.x = xt.data();
      a.prob = in.prob ? qt.data() : nullptr;
      a.target = in.target ? in.target + row0 : nullptr;
      a.loss = base.loss + row0;
      a.grad = in.grad ? gt.data() : nullptr;
      k.cross_entropy_rows(a, nw);
      if (in.grad)
        for (size_t c = 0; c < C; ++c)
          for (size_t j = 0; j < nw; ++j) in.grad[base_off + c * inner + j] = narrow<Y>(gt[j * C + c]);
    }
  });
}

// Rows longer than kChunk, as (row, chunk) units (for_chunked_rows): pass 1 takes each chunk's
// statistics (one read of its logits); the merge brings a row's chunks to its maximum M in chunk
// order and computes the loss; pass 2 writes the gradient of each chunk. Chunk boundaries depend on
// C only: the same bits for any thread count, and one huge row keeps every core busy.
template <class T, class X, class Y>
void cross_entropy_long_rows(const Kernels<T, X, Y>& k, const CrossEntropyArgs<T, X, Y>& a, size_t rows) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
  const size_t C = a.C, nch = (C + kChunk - 1) / kChunk;
  const bool smooth = a.smoothing > 0.0;
  std::vector<CrossEntropyStats<T>> part(rows * nch), whole(rows);
  std::vector<CrossEntropyGradPlan> plan(a.grad ? rows : 0);
  auto chunk = [&](size_t u, size_t& c0, size_t& n) {
    c0 = (u % nch) * kChunk;
    n = std::min(kChunk, C - c0);
  };
  auto weights = [&](size_t c0) { return a.weight ? a.weight + c0 : nullptr; };
  auto probs = [&](size_t r, size_t c0) { return a.prob ? a.prob + r * C + c0 : nullptr; };
  auto pass1 = [&](size_t u) {
    const size_t r = u / nch;
    if (ce_ignored(a, r)) return;
    size_t c0, n;
    chunk(u, c0, n);
    const size_t off = r * C + c0;  // the next unit follows in memory: fetched while this one computes
    part[u] = k.ce_stats(a.x + off, n, weights(c0), probs(r, c0), smooth, off + 2 * n <= rows * C ? a.x + off + n : nullptr);
  };
  auto merge = [&](size_t r) {
    if (ce_ignored(a, r)) {
      a.loss[r] = 0.0;
      return;
    }
    // A chunk of only -inf adds nothing to s (its statistics, from x - (-inf), are NaN); NaN hidden
    // in one, any other NaN, a +inf (NaN statistics) or a row of only -inf make the row NaN, as
    // the row kernel does.
    T M = kNegInf;
    bool nan = false;
    for (size_t u = r * nch; u < (r + 1) * nch; ++u) {
      const CrossEntropyStats<T>& p = part[u];
      if (p.m == kNegInf) {
        size_t c0, n;
        chunk(u, c0, n);
        const X* x = a.x + r * C + c0;
        for (size_t i = 0; i < n; ++i) nan |= std::isnan(widen(x[i]));
        continue;
      }
      nan |= std::isnan(p.m) || std::isnan(p.s.hi);
      if (p.m > M) M = p.m;
    }
    CrossEntropyStats<T>& st = whole[r];
    st = CrossEntropyStats<T>{kNaN, DD{kNaN, 0.0}, kNaN, kNaN, kNaN, kNaN};
    if (!nan && M != kNegInf) {
      st = CrossEntropyStats<T>{M, DD{0.0, 0.0}, 0.0, 0.0, 0.0, 0.0};
      for (size_t u = r * nch; u < (r + 1) * nch; ++u) {
        const CrossEntropyStats<T>& p = part[u];
        size_t c0, n;
        chunk(u, c0, n);
        if (p.m == kNegInf) {  // its sums from M (+inf terms, as in a row kernel) and its weights
          const X* x = a.x + r * C + c0;
          if (smooth) {
            const DotSums d = k.dot(x, n, M, weights(c0), nullptr);
            st.d0 += d.d;
            st.a0 += d.a;
          }
          if (a.prob) {
            const DotSums d = k.dot(x, n, M, weights(c0), probs(r, c0));
            st.d1 += d.d;
            st.a1 += d.a;
          }
          continue;
        }
        const double f = exp_diff(p.m, M, DD{1.0, 0.0}, DD{0.0, 0.0});  // exactly 1 at M
        const double q = p.s.hi * f;
        st.s = dd_add(st.s, DD{q, std::fma(p.s.hi, f, -q) + p.s.lo * f});
        const double rise = static_cast<double>(M) - static_cast<double>(p.m);
        st.d0 += p.d0 + rise * p.a0;
        st.a0 += p.a0;
        st.d1 += p.d1 + rise * p.a1;
        st.a1 += p.a1;
      }
    }
    a.loss[r] = ce_row_loss(a, r, st, dd_log(st.s), a.grad ? &plan[r] : nullptr);
  };
  auto pass2 = [&](size_t u) {
    if (!a.grad) return;
    const size_t r = u / nch;
    size_t c0, n;
    chunk(u, c0, n);
    Y* g = a.grad + r * C + c0;
    if (ce_ignored(a, r)) {
      std::fill(g, g + n, narrow<Y>(T(0)));
      return;
    }
    const CrossEntropyGradPlan& p = plan[r];
    k.grad(a.x + r * C + c0, g, n, whole[r].m, p.f, p.beta, p.gamma, weights(c0), probs(r, c0));
    if (p.has_t && p.t >= c0 && p.t < c0 + n) g[p.t - c0] = narrow<Y>(static_cast<T>(p.gt));
  };
  for_chunked_rows(rows, nch, pass1, merge, pass2);
}

}  // namespace

template <class T, class X, class Y>
double cross_entropy(const KernelTable& table, const CrossEntropyInput<T, X, Y>& in) {
  const Kernels<T, X, Y>& k = kernels_of<T, X, Y>(table);
  const Dims d = in.d;
  const size_t rows = d.rows(), C = d.C;

  // Summed to double-double accuracy: with label smoothing it scales every gradient entry (eps/C
  // times it), and a plain sum of 595 weights was found 68 ulps off, which broke the f64 gradient bound.
  double weight_sum = static_cast<double>(C);
  if (in.weight) weight_sum = exact_sum(C, [&](size_t c) { return static_cast<double>(in.weight[c]); });
  // 'mean' divides by the summed weight of the non-ignored targets (index targets), or by the
  // number of rows (probability targets), as PyTorch does. Without weights that is a count.
  double denom = static_cast<double>(rows);
  if (in.target && in.weight) {
    denom = exact_sum(rows, [&](size_t r) {
      const int64_t t = in.target[r];
      return t >= 0 ? static_cast<double>(in.weight[t]) : 0.0;
    });
  } else if (in.target) {
    size_t kept = 0;
    for (size_t r = 0; r < rows; ++r) kept += in.target[r] >= 0;
    denom = static_cast<double>(kept);
  }
  const double grad_scale = in.reduction == Reduction::Mean ? 1.0 / denom : 1.0;

  std::vector<double> own;
  std::vector<double>& loss = rows <= kScratchKeep ? thread_scratch<double, 0>() : own;
  // every row's loss is written below when C > 0 (no fill first: it was 3% of a short-row loss)
  if (C > 0) loss.resize(rows);
  else loss.assign(rows, 0.0);
  if (C > 0 && rows > 0) {
    const CrossEntropyArgs<T, X, Y> base{in.x,         C,          in.target,   in.prob, in.weight,
                                         in.smoothing, weight_sum, loss.data(), in.grad, grad_scale};
    if (d.inner == 1 && C > kChunk) {
      cross_entropy_long_rows(k, base, rows);
    } else if (d.inner == 1) {
      const size_t grain = std::max<size_t>(1, kGrainElements / C);
      parallel_for(rows, grain, [&](size_t r0, size_t r1) {
        CrossEntropyArgs<T, X, Y> a = base;
        a.x = in.x + r0 * C;
        a.target = in.target ? in.target + r0 : nullptr;
        a.prob = in.prob ? in.prob + r0 * C : nullptr;
        a.loss = loss.data() + r0;
        a.grad = in.grad ? in.grad + r0 * C : nullptr;
        k.cross_entropy_rows(a, r1 - r0);
      });
    } else {
      const CrossEntropyArgs<T> tiles{nullptr,      C,          in.target,   nullptr, in.weight,
                                      in.smoothing, weight_sum, loss.data(), nullptr, grad_scale};
      cross_entropy_strided(kernels_of<T>(table), in, tiles);
    }
  }

  if (in.reduction == Reduction::None) {
    for (size_t r = 0; r < rows; ++r) in.out[r] = narrow<Y>(static_cast<T>(loss[r]));
    return std::numeric_limits<double>::quiet_NaN();
  }
  // The sum of the losses (of any sign with weights; NaN and +-Infinity included) by the SIMD
  // path's compensated double accumulator (per-lane TwoSum, then ExactSum over the lanes, which
  // keeps an infinite total): dot() with ref = 0 and no weights is the sum of -loss. The scalar
  // double-double sum it replaces was a quarter of the time of a 100000x3 loss.
  const double sum = 0.0 - table.f64.dot(loss.data(), rows, 0.0, nullptr, nullptr).d;  // (0 - +0 = +0, as before)
  return in.reduction == Reduction::Sum ? sum : sum / denom;
}

template double cross_entropy<float>(const KernelTable&, const CrossEntropyInput<float>&);
template double cross_entropy<double>(const KernelTable&, const CrossEntropyInput<double>&);
#define LOGITKIT_HALF_CE(X, Y) \
  template double cross_entropy<float, X, Y>(const KernelTable&, const CrossEntropyInput<float, X, Y>&);
LOGITKIT_FOR_HALF_PAIRS(LOGITKIT_HALF_CE)

template <class I>
size_t convert_targets(const I* t, size_t n, int64_t C, int64_t ignore, int64_t* out) {
  for (size_t r = 0; r < n; ++r) {
    const int64_t v = static_cast<int64_t>(t[r]);
    if (v == ignore) {
      out[r] = -1;
    } else if (v >= 0 && v < C) {
      out[r] = v;
    } else {
      out[r] = v;  // the value that failed, read once, for the error message
      return r;
    }
  }
  return n;
}

template size_t convert_targets<int8_t>(const int8_t*, size_t, int64_t, int64_t, int64_t*);
template size_t convert_targets<uint8_t>(const uint8_t*, size_t, int64_t, int64_t, int64_t*);
template size_t convert_targets<int16_t>(const int16_t*, size_t, int64_t, int64_t, int64_t*);
template size_t convert_targets<uint16_t>(const uint16_t*, size_t, int64_t, int64_t, int64_t*);
template size_t convert_targets<int32_t>(const int32_t*, size_t, int64_t, int64_t, int64_t*);
template size_t convert_targets<uint32_t>(const uint32_t*, size_t, int64_t, int64_t, int64_t*);
template size_t convert_targets<int64_t>(const int64_t*, size_t, int64_t, int64_t, int64_t*);

}  // namespace logitkit
