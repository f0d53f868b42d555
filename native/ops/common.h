// Helpers shared by the op implementations (ops layer only; compiled with the baseline flags).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "../kernels/common.h"
#include "../threadpool.h"

namespace logitkit {

// A piece of work handed to parallel_for covers at least this many elements.
constexpr size_t kGrainElements = size_t(1) << 15;

// Outputs of at least this many bytes (half a 32 MiB L3: with their input they do not fit it) are
// written with non-temporal stores (softmax.cc, sigmoid.cc): memory then sees no read of the output
// before it is written.
constexpr size_t kStreamAbove = size_t{16} << 20;

// 1/temperature as a double-double, clamped so its high part stays finite in T (a temperature below
// 1/max(T), e.g. 2.9e-39 for float, acts like 1/max(T)).
template <class T>
DD inverse_temperature(double temperature) {
  if (temperature == 1.0) return DD{1.0, 0.0};
  double q = 1.0 / temperature;
  const double cap = static_cast<double>(std::numeric_limits<T>::max());
  if (!(q <= cap)) return DD{cap, 0.0};
  return DD{q, std::fma(-q, temperature, 1.0) / temperature};
}

// exp((a - b) * it + off) for finite a <= b and |off| <= 0.35, with a - b formed exactly: relative
// error ~1 ulp of double whatever the size of a - b. The merge factor of a chunk of maximum a whose
// expsum returned offset off (its terms are exp((x - a) * it - off)), in a row of maximum b.
static inline double exp_diff(double a, double b, DD it, DD off) {
  DD d = two_sum(a, -b);
  double p = d.hi * it.hi;
  double pe = std::fma(d.hi, it.hi, -p) + d.hi * it.lo + d.lo * it.hi;
  const DD q = two_sum(p, off.hi);
  double e = std::exp(q.hi);
  return e + e * (pe + q.lo + off.lo);
}

// Whether for_chunked_rows runs each row's three steps on one thread (else its chunks spread):
// decided once per call from the thread count, which another thread may change meanwhile.
inline bool chunked_rows_each_on_one_thread(size_t rows) {
  const size_t threads = static_cast<size_t>(num_threads());
  return rows % threads == 0 || rows >= 4 * threads;
}

// Rows of C > kChunk as rows x nch (row, chunk) units: pass1(u) on every unit, merge(r) on every row
// once its units are done, then pass2(u) on every unit. With rows enough to share evenly, each row
// runs all three on one thread while its chunks are still in L2 (16x128256 float32 softmax, one
// thread: 1.0 -> 0.9 ms); with fewer rows than threads, the chunks of every row in parallel, the
// merges on the calling thread in between, so one huge row keeps every core busy. The arithmetic,
// and so the result, is the same either way and for any thread count. `one_thread_rows`: the
// caller's chunked_rows_each_on_one_thread(rows), when it relies on the mode (softmax keeps a row's
// exponentials in the thread's scratch only when the row stays on that thread).
template <class P1, class M, class P2>
void for_chunked_rows(bool one_thread_rows, size_t rows, size_t nch, const P1& pass1, const M& merge, const P2& pass2) {
  if (one_thread_rows) {
    parallel_for(rows, 1, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) {
        for (size_t u = r * nch; u < (r + 1) * nch; ++u) pass1(u);
        merge(r);
        for (size_t u = r * nch; u < (r + 1) * nch; ++u) pass2(u);
      }
    });
    return;
  }
  const size_t units = rows * nch, grain = std::max<size_t>(1, kGrainElements / kChunk);
  parallel_for(units, grain, [&](size_t u0, size_t u1) {
    for (size_t u = u0; u < u1; ++u) pass1(u);
  });
  for (size_t r = 0; r < rows; ++r) merge(r);
  parallel_for(units, grain, [&](size_t u0, size_t u1) {
    for (size_t u = u0; u < u1; ++u) pass2(u);
  });
}

template <class P1, class M, class P2>
void for_chunked_rows(size_t rows, size_t nch, const P1& pass1, const M& merge, const P2& pass2) {
  for_chunked_rows(chunked_rows_each_on_one_thread(rows), rows, nch, pass1, merge, pass2);
}

}  // namespace logitkit
