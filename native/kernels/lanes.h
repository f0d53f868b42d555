// Optional traits members for kernels that keep one reduction per lane (short rows, columns), with
// generic fallbacks, so an ISA provides the fast form only where it has one (see traits.md):
//
// - acc_recip(acc, hi, lo): 1 / (lane sum) as T registers hi + lo, every lane at once. Fallback:
//   acc_lanes, then dd_recip and the split to T lane by lane in scalar code.
// - RowTile: a transposed tile of rows of C <= kMaxRow contiguous elements. RowTile(C) is set up
//   once per call; .load<kMax>(x, nl, fill, v) gives rows j < nl as C registers, v[c] lane j =
//   x[j*C + c] (lanes >= nl get fill), and .store<kMax>(y, nl, v) writes them back; kMax >= C is a
//   compile-time bound. Fallback: CopyTile, element-by-element copies through a buffer.
// - acc_log(acc, hi, lo): log of each lane's sum (>= 1 or NaN) as hi + lo registers of T, by the
//   vector logarithm of log.h. Fallback: dd_log (libm) lane by lane. The two agree to about an
//   ulp of binary64, not bit for bit.
//
// - stream(p, r), stream_fence(): a non-temporal store of a register to p aligned to its size
//   (N * sizeof(T) bytes), and the fence that orders such stores before the ones that follow (the
//   pool's completion signal). Fallback: store, and no fence.
//
// The other fallbacks give results identical to the fast forms, bit for bit.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "common.h"
#include "half.h"

namespace logitkit {

// f(i) for i = 0 .. n-1, n <= kMax. Up to kMax = 8 the loop is unrolled completely, so an array of
// registers indexed by i stays in registers (with a run-time bound the compiler keeps it on the
// stack: 100000x5 softmax ran at half the speed of 100000x4); longer ones stay loops, which keeps
// the code small where unrolling was measured to gain little.
template <size_t kMax, class F>
static inline void for_each_below(size_t n, F&& f) {
  if constexpr (kMax <= 8) {
#pragma GCC unroll 8
    for (size_t i = 0; i < kMax; ++i) {
      if (i == n) break;
      f(i);
    }
  } else {
    for (size_t i = 0; i < n; ++i) f(i);
  }
}

template <class V, class = void>
struct HasAccRecip : std::false_type {};
template <class V>
struct HasAccRecip<V, std::void_t<decltype(V::acc_recip(std::declval<const typename V::Acc&>(),
                                                        std::declval<typename V::R&>(),
                                                        std::declval<typename V::R&>()))>>
    : std::true_type {};

template <class V, class = void>
struct HasAccLog : std::false_type {};
template <class V>
struct HasAccLog<V, std::void_t<decltype(V::acc_log(std::declval<const typename V::Acc&>(),
                                                    std::declval<typename V::R&>(),
                                                    std::declval<typename V::R&>()))>>
    : std::true_type {};

template <class V, class = void>
struct HasStream : std::false_type {};
template <class V>
struct HasStream<V, std::void_t<decltype(V::stream_fence())>> : std::true_type {};

template <class V, class = void>
struct HasRowTile : std::false_type {};
template <class V>
struct HasRowTile<V, std::void_t<typename V::RowTile>> : std::true_type {};

// The fallback tile: element-by-element copies through an aligned buffer.
template <class V>
struct CopyTile {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr size_t N = V::N;
  size_t C;
  explicit CopyTile(size_t c) : C(c) {}
  template <size_t kMax>
  void load(const T* x, size_t nl, T fill, R* v) const {
    alignas(64) T t[N];
    for (size_t c = 0; c < C; ++c) {
      for (size_t j = 0; j < nl; ++j) t[j] = x[j * C + c];
      for (size_t j = nl; j < N; ++j) t[j] = fill;
      v[c] = V::load(t);
    }
  }
  template <size_t kMax>
  void store(T* y, size_t nl, const R* v) const {
    alignas(64) T t[N];
    for (size_t c = 0; c < C; ++c) {
      V::store(t, v[c]);
      for (size_t j = 0; j < nl; ++j) y[j * C + c] = t[j];
    }
  }
};

template <class V>
struct Lanes {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr size_t N = V::N;
  static constexpr size_t kMaxRow = 16;  // longest row a Tile must handle

  // A double-double rounded to T as hi + lo (for float, lo carries the next 24 bits).
  static inline void split(DD d, T& hi, T& lo) {
    hi = static_cast<T>(d.hi);
    lo = static_cast<T>((d.hi - static_cast<double>(hi)) + d.lo);
  }

  static inline void recip(const typename V::Acc& acc, R& hi, R& lo) {
    if constexpr (HasAccRecip<V>::value) {
      V::acc_recip(acc, hi, lo);
    } else {
      double sh[N], sl[N];
      V::acc_lanes(acc, sh, sl);
      alignas(64) T ph[N], pl[N];
      for (size_t j = 0; j < N; ++j) split(dd_recip(DD{sh[j], sl[j]}), ph[j], pl[j]);
      hi = V::load(ph);
      lo = V::load(pl);
    }
  }

  // log of each lane's sum (>= 1, or NaN) as hi + lo
  static inline void log(const typename V::Acc& acc, R& hi, R& lo) {
    if constexpr (HasAccLog<V>::value) {
      V::acc_log(acc, hi, lo);
    } else {
      double sh[N], sl[N];
      V::acc_lanes(acc, sh, sl);
      alignas(64) T ph[N], pl[N];
      for (size_t j = 0; j < N; ++j) split(dd_log(DD{sh[j], sl[j]}), ph[j], pl[j]);
      hi = V::load(ph);
      lo = V::load(pl);
    }
  }

  static LOGITKIT_INLINE void stream(T* p, R v) {
    if constexpr (HasStream<V>::value) V::stream(p, v);
    else V::store(p, v);
  }
  // half-precision elements (half.h): a traits struct that streams T streams them too (stream_h)
  template <class H, std::enable_if_t<IsHalf<H>::value, int> = 0>
  static LOGITKIT_INLINE void stream(H* p, R v) {
    if constexpr (HasStream<V>::value) V::stream_h(p, v);
    else V::store_h(p, v);
  }
  static inline void stream_fence() {
    if constexpr (HasStream<V>::value) V::stream_fence();
  }

  // y[i..i+N) = f(i, k) over [0, n), k < N lanes (loaded with load_tail) at either end: plain
  // stores, or (kStream) non-temporal ones from y's first register-aligned position on (N
  // elements of Y: 64 bytes of float32, 32 of half precision on AVX-512). y is aligned to
  // sizeof(Y) (a typed array's elements always are). Half-precision y (half.h) is converted a
  // register at a time.
  template <bool kStream, class Y, class F>
  static LOGITKIT_INLINE void store_each(Y* y, size_t n, const F& f) {
    size_t i = 0;
    if constexpr (kStream) {
      const size_t mis = (reinterpret_cast<uintptr_t>(y) / sizeof(Y)) % N;
      if (mis) {
        i = n < N - mis ? n : N - mis;
        Mem<V>::store_tail(y, f(size_t(0), i), i);
      }
      for (; i + N <= n; i += N) stream(y + i, f(i, N));
    } else {
      for (; i + N <= n; i += N) Mem<V>::store(y + i, f(i, N));
    }
    if (i < n) Mem<V>::store_tail(y + i, f(i, n - i), n - i);
  }

  // The ISA's RowTile, or CopyTile.
  struct Fallback {
    using RowTile = CopyTile<V>;
  };
  using Tile = typename std::conditional_t<HasRowTile<V>::value, V, Fallback>::RowTile;

  // A tile of rows stored as X (a half type: converted a register at a time through a buffer of
  // at most N * kMaxRow elements, in L1) or as T (straight through the tile).
  template <size_t kMax, class X>
  static LOGITKIT_INLINE void tile_load(const Tile& tile, size_t C, const X* x, size_t nl, T fill, R* v) {
    if constexpr (std::is_same_v<X, T>) {
      tile.template load<kMax>(x, nl, fill, v);
    } else {
      alignas(64) T buf[N * kMaxRow];
      const size_t n = nl * C;
      size_t i = 0;
      for (; i + N <= n; i += N) V::store(buf + i, Mem<V>::load(x + i));
      if (i < n) V::store_tail(buf + i, Mem<V>::load_tail(x + i, n - i, fill), n - i);
      tile.template load<kMax>(buf, nl, fill, v);
    }
  }
  template <size_t kMax, class Y>
  static LOGITKIT_INLINE void tile_store(const Tile& tile, size_t C, Y* y, size_t nl, const R* v) {
    if constexpr (std::is_same_v<Y, T>) {
      tile.template store<kMax>(y, nl, v);
    } else {
      alignas(64) T buf[N * kMaxRow];
      tile.template store<kMax>(buf, nl, v);
      const size_t n = nl * C;
      size_t i = 0;
      for (; i + N <= n; i += N) Mem<V>::store(y + i, V::load(buf + i));
      if (i < n) Mem<V>::store_tail(y + i, V::load_tail(buf + i, n - i, T(0)), n - i);
    }
  }
};

}  // namespace logitkit
