#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../scratch.h"
#include "../threadpool.h"
#include "common.h"
#include "ops.h"

namespace logitkit {

namespace {

// Reduction over a non-last class axis: tiles of up to 16 columns of one outer index are gathered
// into contiguous rows, run through the row kernel, and the gradient is scattered back.
template <class T>
void cross_entropy_strided(const Kernels<T>& k, const CrossEntropyInput<T>& in,
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
      auto gather = [&](const T* src, T* dst) {
        for (size_t c = 0; c < C; ++c)
          for (size_t j = 0; j < nw; ++j) dst[j * C + c] = src[base_off + c * inner + j];
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
          for (size_t j = 0; j < nw; ++j) in.grad[base_off + c * inner + j] = gt[j * C + c];
    }
  });
}

}  // namespace

template <class T>
double cross_entropy(const KernelTable& table, const CrossEntropyInput<T>& in) {
  const Kernels<T>& k = kernels_of<T>(table);
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
  loss.assign(rows, 0.0);
  if (C > 0 && rows > 0) {
    const CrossEntropyArgs<T> base{in.x,           C,          in.target, in.prob, in.weight,
                                   in.smoothing,   weight_sum, loss.data(), in.grad, grad_scale};
    if (d.inner == 1) {
      const size_t grain = std::max<size_t>(1, kGrainElements / C);
      parallel_for(rows, grain, [&](size_t r0, size_t r1) {
        CrossEntropyArgs<T> a = base;
        a.x = in.x + r0 * C;
        a.target = in.target ? in.target + r0 : nullptr;
        a.prob = in.prob ? in.prob + r0 * C : nullptr;
        a.loss = loss.data() + r0;
        a.grad = in.grad ? in.grad + r0 * C : nullptr;
        k.cross_entropy_rows(a, r1 - r0);
      });
    } else {
      cross_entropy_strided(k, in, base);
    }
  }

  if (in.reduction == Reduction::None) {
    for (size_t r = 0; r < rows; ++r) in.out[r] = static_cast<T>(loss[r]);
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double sum = exact_sum(rows, [&](size_t r) { return loss[r]; });
  return in.reduction == Reduction::Sum ? sum : sum / denom;
}

template double cross_entropy<float>(const KernelTable&, const CrossEntropyInput<float>&);
template double cross_entropy<double>(const KernelTable&, const CrossEntropyInput<double>&);

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
