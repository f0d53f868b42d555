#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../threadpool.h"
#include "common.h"
#include "ops.h"

namespace logitkit {

template <>
const Kernels<float>& kernels_of<float>(const KernelTable& t) {
  return t.f32;
}
template <>
const Kernels<double>& kernels_of<double>(const KernelTable& t) {
  return t.f64;
}

namespace {

// One row longer than kChunk: per-chunk maximum and exp-sum (stored into y for softmax), merged in
// chunk order, then a per-chunk scale (softmax) or log write. The chunking depends on C only.
template <class T>
void softmax_long_row(const Kernels<T>& k, const T* x, T* y, size_t C, DD it, bool log) {
  const size_t nchunks = (C + kChunk - 1) / kChunk;
  std::vector<T> m(nchunks);
  std::vector<DD> s(nchunks);
  bool nan = false;
  for (size_t j = 0; j < nchunks; ++j) {
    const size_t off = j * kChunk, n = std::min(kChunk, C - off);
    m[j] = k.max(x + off, n);
    if (m[j] == -std::numeric_limits<T>::infinity()) {
      // all -inf, or NaN entries that the maximum did not keep: look
      for (size_t i = 0; i < n; ++i) nan |= std::isnan(x[off + i]);
      s[j] = DD{0.0, 0.0};
      continue;
    }
    s[j] = k.expsum(x + off, n, m[j], it, log ? nullptr : y + off);
  }
  T M = -std::numeric_limits<T>::infinity();
  for (size_t j = 0; j < nchunks; ++j) {
    nan |= std::isnan(m[j]) || std::isnan(s[j].hi);
    if (m[j] > M) M = m[j];
  }
  if (nan || std::isinf(M)) {
    std::fill(y, y + C, std::numeric_limits<T>::quiet_NaN());
    return;
  }
  std::vector<double> factor(nchunks, 0.0);
  DD S{0.0, 0.0};
  for (size_t j = 0; j < nchunks; ++j) {
    if (m[j] == -std::numeric_limits<T>::infinity()) continue;
    factor[j] = exp_diff(m[j], M, it);
    const double p = s[j].hi * factor[j];
    S = dd_add(S, DD{p, std::fma(s[j].hi, factor[j], -p) + s[j].lo * factor[j]});
  }
  if (log) {
    const DD lse = dd_log(S);
    for (size_t j = 0; j < nchunks; ++j) {
      const size_t off = j * kChunk, n = std::min(kChunk, C - off);
      k.logwrite(x + off, y + off, n, M, it, lse);
    }
    return;
  }
  const DD inv = dd_recip(S);
  for (size_t j = 0; j < nchunks; ++j) {
    const size_t off = j * kChunk, n = std::min(kChunk, C - off);
    if (m[j] == -std::numeric_limits<T>::infinity()) {
      std::fill(y + off, y + off + n, T(0));
      continue;
    }
    const double p = inv.hi * factor[j];
    k.scale(y + off, n, DD{p, std::fma(inv.hi, factor[j], -p) + inv.lo * factor[j]});
  }
}

}  // namespace

template <class T>
void softmax(const KernelTable& table, const T* x, T* y, Dims d, double temperature, bool log) {
  if (d.total() == 0) return;
  const Kernels<T>& k = kernels_of<T>(table);
  const SoftmaxArgs<T> base{x, y, d.C, inverse_temperature<T>(temperature), log};
  const size_t C = d.C;
  if (d.inner == 1 && C <= kChunk) {
    const size_t grain = std::max<size_t>(1, kGrainElements / C);
    parallel_for(d.outer, grain, [&](size_t r0, size_t r1) {
      SoftmaxArgs<T> a = base;
      a.x = x + r0 * C;
      a.y = y + r0 * C;
      k.softmax_rows(a, r1 - r0);
    });
  } else if (d.inner == 1) {
    parallel_for(d.outer, 1, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) softmax_long_row(k, x + r * C, y + r * C, C, base.inv_temp, log);
    });
  } else {
    // Reduction over a non-last axis: blocks of `lanes` adjacent columns, one register each.
    const size_t L = k.lanes, blocks = (d.inner + L - 1) / L;
    const size_t grain = std::max<size_t>(1, kGrainElements / (C * L));
    parallel_for(d.outer * blocks, grain, [&](size_t u0, size_t u1) {
      for (size_t u = u0; u < u1; ++u) {
        const size_t o = u / blocks, j0 = (u % blocks) * L;
        SoftmaxArgs<T> a = base;
        a.x = x + o * C * d.inner + j0;
        a.y = y + o * C * d.inner + j0;
        k.softmax_cols(a, d.inner, std::min(L, d.inner - j0));
      }
    });
  }
}

template void softmax<float>(const KernelTable&, const float*, float*, Dims, double, bool);
template void softmax<double>(const KernelTable&, const double*, double*, Dims, double, bool);

}  // namespace logitkit
