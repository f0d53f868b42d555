#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "../scratch.h"
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
template <>
const Kernels<float, float, F16>& kernels_of<float, float, F16>(const KernelTable& t) {
  return t.f32_f16;
}
template <>
const Kernels<float, float, BF16>& kernels_of<float, float, BF16>(const KernelTable& t) {
  return t.f32_bf16;
}
template <>
const Kernels<float, F16, float>& kernels_of<float, F16, float>(const KernelTable& t) {
  return t.f16_f32;
}
template <>
const Kernels<float, F16, F16>& kernels_of<float, F16, F16>(const KernelTable& t) {
  return t.f16_f16;
}
template <>
const Kernels<float, F16, BF16>& kernels_of<float, F16, BF16>(const KernelTable& t) {
  return t.f16_bf16;
}
template <>
const Kernels<float, BF16, float>& kernels_of<float, BF16, float>(const KernelTable& t) {
  return t.bf16_f32;
}
template <>
const Kernels<float, BF16, F16>& kernels_of<float, BF16, F16>(const KernelTable& t) {
  return t.bf16_f16;
}
template <>
const Kernels<float, BF16, BF16>& kernels_of<float, BF16, BF16>(const KernelTable& t) {
  return t.bf16_bf16;
}

namespace {

// Rows longer than kChunk, as (row, chunk) units (for_chunked_rows): pass 1 finds each chunk's
// maximum and exp-sum (storing exp into y for softmax); the chunks of a row then merge in chunk
// order; pass 2 scales (softmax) or writes log-probabilities. Chunk boundaries depend on C only, so
// the result is the same for any thread count, and one huge row keeps every core busy.
// Softmax rows longer than this (4M elements, 16 MB of float32: past the caches) take the online
// form: pass 1 does not store the exponentials, pass 2 recomputes them from x, so memory sees two
// reads and one write instead of two reads and two writes. Shorter rows store them: recomputing
// costs compute, which is the limit while the row sits in cache (1x1e6, one thread: 0.45 ms
// stored vs 0.50 ms recomputed; 1x16e6: 10.6-11.5 ms vs 9.6-10.5 ms, on this Zen 5).
constexpr size_t kRecomputeAbove = size_t{1} << 22;

// Outputs of at least kStreamAbove bytes (ops/common.h) are written with non-temporal stores,
// softmax's exponentials going to a per-thread scratch row instead of the output, so that memory
// sees one read of x and one write of y instead of also reading every line of y before writing it.
// Float32, 2 threads, on a Zen 3: 2048x32000 softmax 0.9-1.3 -> 1.2-1.4e9 elements/s, log-softmax
// 1.1-1.2 -> 1.3; 256x32000 (33 MB) softmax 1.2-1.5 -> 1.5-1.6, log-softmax 1.3 -> 1.5-1.6. Rows up
// to kStreamRowBytes only: scratch and input row stay in L2.
constexpr size_t kStreamRowBytes = size_t{256} << 10;

// Softmax rows of at most this many elements, when each row runs on one thread, keep their
// exponentials in that thread's scratch row (4 MB of float32 at most, kept for the thread's next
// call) between the passes: a half-precision y cannot hold them, and a streamed y must not be
// read. Elsewhere a half y, or a streamed one, has them recomputed from x (expscale: the same bits,
// at the cost of a second exponential). bfloat16 -> bfloat16 64x128256, one thread, on an Intel
// Xeon with AVX-512 (npm run bench): 12.9 ms recomputed, 4.85 ms kept.
constexpr size_t kKeepRowMax = size_t{1} << 20;

template <class T, class X, class Y>
void softmax_long_rows(const Kernels<T, X, Y>& k, const X* x, Y* y, size_t rows, size_t C, DD it, bool log) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const size_t nch = (C + kChunk - 1) / kChunk, units = rows * nch;
  constexpr bool kHalfOut = !std::is_same_v<Y, T>;
  const bool stream = rows * C * sizeof(Y) >= kStreamAbove;
  // where pass 1 keeps the exponentials for pass 2: the thread's scratch row, y itself (float32,
  // not streamed), or nowhere (pass 2 recomputes them)
  const bool one_thread_rows = chunked_rows_each_on_one_thread(rows);
  const bool keep_scratch = !log && C <= kKeepRowMax && one_thread_rows && (kHalfOut || stream);
  const bool keep_y = !log && !kHalfOut && !stream && C <= kRecomputeAbove;
  auto extent = [&](size_t u, size_t& off, size_t& n) {
    off = (u / nch) * C + (u % nch) * kChunk;
    n = std::min(kChunk, C - (u % nch) * kChunk);
  };
  // this thread's scratch row, for the unit u of a row that runs on this thread alone
  auto scratch = [&](size_t u) {
    std::vector<T>& e = thread_scratch<T, 2>();
    if (e.size() < C) e.resize(C);
    return e.data() + (u % nch) * kChunk;
  };
  std::vector<T> m(units);
  std::vector<ExpSum> s(units);
  std::vector<char> nan(units, 0);
  auto pass1 = [&](size_t u) {
    size_t off, n;
    extent(u, off, n);
    m[u] = k.max(x + off, n);
    if (m[u] == kNegInf) {
      // all -inf, or NaN entries that the maximum did not keep: look
      for (size_t i = 0; i < n; ++i) nan[u] |= std::isnan(widen(x[off + i]));
      s[u] = ExpSum{DD{0.0, 0.0}, DD{0.0, 0.0}};
      return;
    }
    // the next unit follows this one in memory: fetched while this one computes
    const X* next = off + 2 * n <= rows * C ? x + off + n : nullptr;
    T* keep = nullptr;
    if (keep_scratch) keep = scratch(u);
    if constexpr (!kHalfOut) {
      if (keep_y) keep = y + off;
    }
    s[u] = log ? k.expsum(x + off, n, m[u], it, nullptr, next) : k.softmax_sum(x + off, n, m[u], it, keep, next);
  };
  // Per row: the maximum M, the sum S, and per chunk the factor that pass 2 applies.
  std::vector<T> M(rows, kNegInf);
  std::vector<DD> row_param(rows);  // 1/S (softmax) or log S (log-softmax)
  std::vector<char> special(rows, 0);
  std::vector<double> factor(units, 0.0);
  auto merge = [&](size_t r) {
    bool bad = false;
    for (size_t j = 0; j < nch; ++j) {
      const size_t u = r * nch + j;
      bad |= nan[u] || std::isnan(m[u]) || std::isnan(s[u].sum.hi);
      if (m[u] > M[r]) M[r] = m[u];
    }
    if (bad || std::isinf(M[r])) {
      special[r] = 1;
      return;
    }
    DD S{0.0, 0.0};
    for (size_t j = 0; j < nch; ++j) {
      const size_t u = r * nch + j;
      if (m[u] == kNegInf) continue;
      factor[u] = exp_diff(m[u], M[r], it, s[u].off);
      const DD su = s[u].sum;
      const double p = su.hi * factor[u];
      S = dd_add(S, DD{p, std::fma(su.hi, factor[u], -p) + su.lo * factor[u]});
    }
    row_param[r] = log ? dd_log(S) : dd_recip(S);
  };
  auto pass2 = [&](size_t u) {
    const size_t r = u / nch;
    size_t off, n;
    extent(u, off, n);
    if (special[r]) {
      std::fill(y + off, y + off + n, narrow<Y>(std::numeric_limits<T>::quiet_NaN()));
    } else if (log) {
      k.logwrite(x + off, y + off, n, M[r], it, row_param[r], stream);
    } else if (m[u] == kNegInf) {
      std::fill(y + off, y + off + n, narrow<Y>(T(0)));
    } else {
      // the chunk's terms (relative to its own maximum) times 1/S and the chunk's merge factor
      const DD inv = row_param[r];
      const double p = inv.hi * factor[u];
      const DD f{p, std::fma(inv.hi, factor[u], -p) + inv.lo * factor[u]};
      if (keep_scratch) k.scale_into(scratch(u), y + off, n, f, stream);
      else if (keep_y) k.scale_into(reinterpret_cast<const T*>(y + off), y + off, n, f, false);
      else k.expscale(x + off, y + off, n, m[u], it, f, stream);
    }
  };
  for_chunked_rows(one_thread_rows, rows, nch, pass1, merge, pass2);
}

}  // namespace

template <class T, class X, class Y>
void softmax(const KernelTable& table, const X* x, Y* y, Dims d, double temperature, bool log) {
  if (d.total() == 0) return;
  const Kernels<T, X, Y>& k = kernels_of<T, X, Y>(table);
  const SoftmaxArgs<T, X, Y> base{x, y, d.C, inverse_temperature<T>(temperature), log, false, nullptr};
  const size_t C = d.C;
  if (d.inner == 1 && C <= kChunk) {
    const size_t grain = std::max<size_t>(1, kGrainElements / C);
    // a half y: exponentials in the scratch row always
    const bool half_out = !std::is_same_v<Y, T> && !log;
    const bool stream = d.total() * sizeof(Y) >= kStreamAbove && C * sizeof(T) <= kStreamRowBytes;
    parallel_for(d.outer, grain, [&](size_t r0, size_t r1) {
      SoftmaxArgs<T, X, Y> a = base;
      a.x = x + r0 * C;
      a.y = y + r0 * C;
      if (stream || half_out) {
        std::vector<T>& e = thread_scratch<T, 2>();
        if (e.size() < C) e.resize(C);
        a.stream = stream;
        a.scratch = e.data();
      }
      k.softmax_rows(a, r1 - r0);
    });
  } else if (d.inner == 1) {
    softmax_long_rows(k, x, y, d.outer, C, base.inv_temp, log);
  } else {
    // Reduction over a non-last axis: blocks of `lanes` adjacent columns, one register each.
    const size_t L = k.lanes, blocks = (d.inner + L - 1) / L;
    const size_t grain = std::max<size_t>(1, kGrainElements / (C * L));
    parallel_for(d.outer * blocks, grain, [&](size_t u0, size_t u1) {
      for (size_t u = u0; u < u1; ++u) {
        const size_t o = u / blocks, j0 = (u % blocks) * L;
        SoftmaxArgs<T, X, Y> a = base;
        a.x = x + o * C * d.inner + j0;
        a.y = y + o * C * d.inner + j0;
        k.softmax_cols(a, d.inner, std::min(L, d.inner - j0));
      }
    });
  }
}

template void softmax<float>(const KernelTable&, const float*, float*, Dims, double, bool);
template void softmax<double>(const KernelTable&, const double*, double*, Dims, double, bool);
#define LOGITKIT_HALF_SOFTMAX(X, Y) template void softmax<float, X, Y>(const KernelTable&, const X*, Y*, Dims, double, bool);
LOGITKIT_FOR_HALF_PAIRS(LOGITKIT_HALF_SOFTMAX)

}  // namespace logitkit
