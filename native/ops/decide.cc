// Decisions: argmax, top-k and sampling over rows, on the kernels of select.h and softmax.h.
//
// Top-k never sorts a row. A row of at least 8k blocks of 16 registers takes two passes that hardly
// branch (topk_blocked): the blocks' maxima, then the entries of the ~k blocks whose maximum reaches
// the k-th largest of them. Shorter rows are filtered (topk_range): a buffer of candidates whose
// worst is the running k-th value t, the kernel's pass_index appending only the entries that beat
// t (strictly: an entry equal to t comes later than every candidate, so it loses the tie), a
// register tested in one comparison; when the buffer fills, nth_element cuts it back to k and
// raises t. Candidates are integer keys (rank_key) that order like the ranking rule; only the k
// survivors are sorted.
//
// Sampling draws u from Philox4x32-10 (philox.h) and takes the first kept class, in index order,
// whose cumulative weight exceeds u times the kept total. With top-k the work after the top-k is
// on k candidates in binary64. Without it, the row's exponentials go to a scratch row (softmax's
// expsum), top-p finds its cut by a radix select on their float bit patterns (histograms of 10, 11
// and 11 bits over the mass, each on the members of the previous level's crossing bucket), min-p
// is a threshold, and the draw sums whole blocks of kept weights (sum_ge) before it steps through
// the one block the target falls in.
//
// Every row is decided by one thread, except that a row far longer than its batch has threads
// for (argmax and top-k) is cut in chunks of kChunk whose candidates merge in chunk order under
// the same total order: the result is the same for any thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "../kernels/philox.h"
#include "../kernels/select.h"
#include "../scratch.h"
#include "../threadpool.h"
#include "common.h"
#include "ops.h"

namespace logitkit {
namespace {

// Rows at least this long are split in chunks across threads when there are fewer rows than threads.
constexpr size_t kSplitRowAbove = size_t(1) << 18;

template <class T>
bool is_nan(T v) {
  return v != v;
}

// A per-thread vector of at least n elements (kept for the next call up to kScratchKeep), or `own`.
template <class T, int Slot>
T* scratch_of(size_t n, std::vector<T>& own) {
  std::vector<T>& v = n <= kScratchKeep ? thread_scratch<T, Slot>() : own;
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Row r of the tensor as C contiguous elements: in place, or gathered into col (C elements).
template <class T>
const T* row_of(const T* x, Dims d, size_t r, T* col) {
  const size_t o = r / d.inner, j = r % d.inner;
  const T* base = x + o * d.C * d.inner + j;
  if (d.inner == 1) return base;
  for (size_t c = 0; c < d.C; ++c) col[c] = base[c * d.inner];
  return col;
}

// The ranking order as unsigned integers, larger first: the value's bits made monotone (NaN above
// +inf when largest, below -inf when smallest; -0 as +0), then the index, reversed. A candidate
// buffer of these sorts by integer compares instead of loads through indices.
template <class T>
struct KeyOf;
template <>
struct KeyOf<float> {
  using K = uint64_t;
  using B = uint32_t;
};
template <>
struct KeyOf<double> {
  using K = unsigned __int128;
  using B = uint64_t;
};

template <class T>
typename KeyOf<T>::K rank_key(T v, uint32_t i, bool largest) {
  using B = typename KeyOf<T>::B;
  using K = typename KeyOf<T>::K;
  constexpr B sign = B(1) << (8 * sizeof(B) - 1);
  B k;
  if (is_nan(v)) {
    k = largest ? ~B(0) : B(0);
  } else {
    B b;
    std::memcpy(&b, &v, sizeof b);
    if (b == sign) b = 0;
    k = (b & sign) ? ~b : (b | sign);
    if (!largest) k = ~k;
  }
  return (K(k) << 32) | K(0xFFFFFFFFu - i);
}

template <class K>
uint32_t index_of(K key) {
  return 0xFFFFFFFFu - static_cast<uint32_t>(key);
}

template <class T>
struct TopKBuffers {
  std::vector<uint32_t> idx;
  std::vector<typename KeyOf<T>::K> keys;
  std::vector<T> bmax, sel;  // block maxima (blocked top-k)
};

// This thread's top-k buffers; hands memory back past kScratchKeep (as scratch.h does) when the
// guard goes out of scope.
template <class T>
struct ThreadBuffers {
  TopKBuffers<T>& b;
  ThreadBuffers() : b(get()) {}
  ~ThreadBuffers() {
    if (b.keys.capacity() > kScratchKeep) std::vector<typename KeyOf<T>::K>().swap(b.keys);
    if (b.idx.capacity() > kScratchKeep) std::vector<uint32_t>().swap(b.idx);
    if (b.bmax.capacity() > kScratchKeep) std::vector<T>().swap(b.bmax);
    if (b.sel.capacity() > kScratchKeep) std::vector<T>().swap(b.sel);
  }
  static TopKBuffers<T>& get() {
    thread_local TopKBuffers<T> t;
    return t;
  }
};

// Largest-first top-k of a long row in two passes that hardly branch. Pass 1 writes the maximum of
// every block of 16 registers (block_max: argmax's loop); the k-th largest of those maxima, T0, is
// at most the row's k-th largest value (k blocks each hold an entry >= T0). Pass 2 collects the
// entries >= T0 of the blocks whose maximum reaches T0 (about k blocks, read again from L2): some k
// to 2k candidates, of which the best k are kept. The filter of topk_range, which raises t as it
// goes, mispredicted a branch or two per survivor (529 of them on a N(0, 4) 1x128256 row, k = 50):
// 2.0-2.4x argmax's time there; this takes 1.53-1.55x (7.9 vs 5.2 us on a Zen 4). Returns false,
// having done nothing that counts, when it does not apply: fewer than 8k blocks, a NaN in the row, a T0 of
// -inf, or more candidates than its buffer holds (ties at T0).
template <class T, class X, class Y>
bool topk_blocked(const Kernels<T, X, Y>& K, const X* row, size_t b, size_t e, size_t k, TopKBuffers<T>& bufs) {
  const size_t n = e - b, B = 16 * K.lanes, nb = (n + B - 1) / B;
  if (nb < 8 * k) return false;
  bufs.bmax.resize(nb);
  if (!K.block_max(row + b, n, bufs.bmax.data())) return false;
  bufs.sel.assign(bufs.bmax.begin(), bufs.bmax.end());
  std::nth_element(bufs.sel.begin(), bufs.sel.begin() + static_cast<ptrdiff_t>(k - 1), bufs.sel.end(), std::greater<T>());
  const T t0 = bufs.sel[k - 1];
  if (!(t0 > -std::numeric_limits<T>::infinity())) return false;
  const T t = std::nextafter(t0, -std::numeric_limits<T>::infinity());  // entries > t: the entries >= t0
  const size_t cap = 4 * k + 1024;
  bufs.idx.resize(cap);
  size_t size = 0;
  for (size_t blk = 0; blk < nb; ++blk) {
    if (!(bufs.bmax[blk] >= t0)) continue;
    const size_t lo = b + blk * B, len = std::min(B, e - lo);
    size_t end = 0;
    size += K.pass_index(row + lo, len, t, static_cast<int>(Pass::kAbove), static_cast<uint32_t>(lo), bufs.idx.data() + size, cap - size, &end);
    if (end < len) return false;
  }
  using Key = typename KeyOf<T>::K;
  std::vector<Key>& keys = bufs.keys;
  keys.resize(size);
  for (size_t j = 0; j < size; ++j) keys[j] = rank_key(widen(row[bufs.idx[j]]), bufs.idx[j], true);
  std::nth_element(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(k - 1), keys.end(), std::greater<Key>());
  std::sort(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(k), std::greater<Key>());
  return true;
}

// The best min(k, e - b) entries of row[b, e) in rank order, as keys in bufs.keys[0..k); returns
// that count. While t is the worst of the k kept, only the entries that beat t are looked at: one
// comparison per register (pass_index), and a cut back to k (nth_element) when the buffer fills.
template <class T, class X, class Y>
size_t topk_range(const Kernels<T, X, Y>& K, const X* row, size_t b, size_t e, size_t k, bool largest, TopKBuffers<T>& bufs) {
  using Key = typename KeyOf<T>::K;
  const size_t n = e - b;
  if (k > n) k = n;
  if (k == 0) return 0;
  std::vector<Key>& keys = bufs.keys;
  const std::greater<Key> better;
  if (n <= 4 * k + 64) {
    keys.resize(n);
    for (size_t i = 0; i < n; ++i) keys[i] = rank_key(widen(row[b + i]), static_cast<uint32_t>(b + i), largest);
    std::partial_sort(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(k), keys.end(), better);
    return k;
  }
  if (largest && topk_blocked(K, row, b, e, k, bufs)) return k;
  // room for k and as many again: a small buffer raises t often, which is what keeps passes rare
  const size_t room = k + 64, cap = k + room;
  keys.resize(cap);
  bufs.idx.resize(cap);
  auto cut = [&](size_t size) {
    std::nth_element(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(k - 1), keys.begin() + static_cast<ptrdiff_t>(size), better);
  };
  size_t size = 0, pos = b;
  // Largest first, with the row long enough: start from a bound of the k-th value (group_floor
  // over 4-register runs), which skips the first few cuts, keeping entries >= it (> the float below
  // it) until k are kept.
  constexpr size_t kRegs = 4;
  T t{};
  bool seeded = false;
  if (largest && n >= 2 * k * kRegs * K.lanes) {
    const T t0 = K.group_floor(row + b, k, kRegs);
    seeded = t0 > -std::numeric_limits<T>::infinity();  // (not for a NaN in the runs, or only -inf)
    if (seeded) t = std::nextafter(t0, -std::numeric_limits<T>::infinity());
  }
  if (!seeded) {
    for (size_t i = 0; i < k; ++i) keys[i] = rank_key(widen(row[b + i]), static_cast<uint32_t>(b + i), largest);
    cut(k);
    size = k;
    pos = b + k;
  }
  while (pos < e) {
    Pass pass = Pass::kAbove;
    if (size >= k) {
      t = widen(row[index_of(keys[k - 1])]);  // the worst of the k kept
      if (largest) {
        if (is_nan(t)) break;  // k NaNs: every later entry loses
      } else {
        pass = is_nan(t) ? Pass::kOrdered : Pass::kBelow;
      }
    }
    size_t end = 0;
    const size_t got = K.pass_index(row + pos, e - pos, t, static_cast<int>(pass), static_cast<uint32_t>(pos),
                                    bufs.idx.data(), cap - size, &end);
    pos += end;
    for (size_t j = 0; j < got; ++j) keys[size + j] = rank_key(widen(row[bufs.idx[j]]), bufs.idx[j], largest);
    size += got;
    if (got && size >= k) {
      cut(size);
      size = k;
    }
  }
  if (size < k) {  // cannot happen (k entries reach the bound); kept as the dense path
    keys.resize(n);
    for (size_t i = 0; i < n; ++i) keys[i] = rank_key(widen(row[b + i]), static_cast<uint32_t>(b + i), largest);
    std::partial_sort(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(k), keys.end(), better);
    return k;
  }
  std::sort(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(k), better);
  return k;
}

// The top-k of a whole row, split in chunks over the pool when `split` (rows < threads).
template <class T, class X, class Y>
size_t topk_row(const Kernels<T, X, Y>& K, const X* row, size_t C, size_t k, bool largest, TopKBuffers<T>& bufs, bool split) {
  if (!split) return topk_range(K, row, 0, C, k, largest, bufs);
  const size_t nch = (C + kChunk - 1) / kChunk;
  std::vector<TopKBuffers<T>> parts(nch);
  parallel_for(nch, 1, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; ++c) {
      const size_t got = topk_range(K, row, c * kChunk, std::min(C, (c + 1) * kChunk), k, largest, parts[c]);
      parts[c].keys.resize(got);
    }
  });
  bufs.keys.clear();
  for (const auto& p : parts) bufs.keys.insert(bufs.keys.end(), p.keys.begin(), p.keys.end());
  const size_t kk = std::min(k, bufs.keys.size());
  std::partial_sort(bufs.keys.begin(), bufs.keys.begin() + static_cast<ptrdiff_t>(kk), bufs.keys.end(),
                    std::greater<typename KeyOf<T>::K>());
  return kk;
}

template <class T, class X, class Y>
size_t argmax_row(const Kernels<T, X, Y>& K, const X* row, size_t C, bool split) {
  if (!split) return K.argmax(row, C);
  const size_t nch = (C + kChunk - 1) / kChunk;
  std::vector<uint32_t> best(nch);
  parallel_for(nch, 1, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; ++c) {
      const size_t b = c * kChunk;
      best[c] = static_cast<uint32_t>(b + K.argmax(row + b, std::min(kChunk, C - b)));
    }
  });
  auto key = [&](uint32_t i) { return rank_key(widen(row[i]), i, true); };
  uint32_t win = best[0];
  for (size_t c = 1; c < nch; ++c)
    if (key(best[c]) > key(win)) win = best[c];
  return win;
}

// (x - m) * it as a double-double, x - m formed exactly (x, m finite).
static inline DD scaled_diff(double x, double m, DD it) {
  const DD d = two_sum(x, -m);
  const double p = d.hi * it.hi;
  return DD{p, std::fma(d.hi, it.hi, -p) + d.hi * it.lo + d.lo * it.hi};
}

// The softmax, log-softmax or sigmoid of a row's chosen entries (values holds the entries). KT:
// the kernels of T data (values).
template <class T, class X, class Y>
void finish_values(const Kernels<T, X, Y>& K, const Kernels<T>& KT, const X* row, size_t C, T* values, size_t k,
                   TopKMode mode, DD it) {
  if (mode == TopKMode::Logits) return;
  if (mode == TopKMode::Sigmoid) {
    KT.sigmoid(values, values, k, false);
    return;
  }
  const T m = K.max(row, C);
  const ExpSum es = K.expsum(row, C, m, it, nullptr, nullptr);
  const DD S = es.sum;
  if (is_nan(S.hi) || std::isinf(m) || is_nan(m)) {
    std::fill(values, values + k, std::numeric_limits<T>::quiet_NaN());
    return;
  }
  const DD neg_off{-es.off.hi, -es.off.lo};
  const DD logS = dd_log(S), inv = dd_recip(S);
  for (size_t j = 0; j < k; ++j) {
    const T v = values[j];
    if (v == -std::numeric_limits<T>::infinity()) {
      values[j] = mode == TopKMode::Softmax ? T(0) : v;
      continue;
    }
    if (mode == TopKMode::Softmax) {
      const double e = exp_diff(static_cast<double>(v), static_cast<double>(m), it, neg_off);
      values[j] = static_cast<T>(e * inv.hi + e * inv.lo);
    } else {
      DD a = dd_add(scaled_diff(static_cast<double>(v), static_cast<double>(m), it), neg_off);
      a = dd_add(a, DD{-logS.hi, -logS.lo});
      values[j] = static_cast<T>(a.hi + a.lo);
    }
  }
}

// What sample() keeps of a row's weights e: e > tau, or e == tau at an index below J.
template <class T>
struct Cut {
  T tau;
  size_t J;
  bool keeps(T v, size_t i) const { return v > tau || (v == tau && i < J); }
};

// The cut of top-p: the smallest set of largest weights (equal weights by lower index) whose sum
// reaches P, by a radix select over the weights' float bit patterns: level 0 histograms the mass of
// the whole row by the top 10 bits (sign, exponent, a mantissa bit), levels 1 and 2 the members of
// the crossing bucket by the next 11 and 11. Branch-free loops: four interleaved histograms (a run
// of equal buckets would otherwise wait on its own last store) and members written unconditionally,
// counted conditionally.
template <class T>
Cut<T> top_mass(const T* e, size_t n, double P, std::vector<uint32_t>& members) {
  auto key = [](T v) {
    const float f = static_cast<float>(v);  // monotone: the buckets order the weights
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
  };
  static constexpr int kShift[3] = {22, 11, 0};
  static constexpr uint32_t kMask[3] = {1023u, 2047u, 2047u};
  double above = 0.0;  // the weight of every bucket above the current one
  double mass[4][2048];
  members.resize(n + 1);
  size_t count = 0;
  for (int level = 0; level < 3; ++level) {
    const int sh = kShift[level];
    const uint32_t mk = kMask[level];
    for (auto& m : mass) std::fill(m, m + mk + 1, 0.0);
    if (level == 0) {
      size_t i = 0;
      for (; i + 4 <= n; i += 4)
        for (size_t j = 0; j < 4; ++j) mass[j][key(e[i + j]) >> sh] += static_cast<double>(e[i + j]);
      for (; i < n; ++i) mass[0][key(e[i]) >> sh] += static_cast<double>(e[i]);
    } else {
      for (size_t j = 0; j < count; ++j) {
        const uint32_t i = members[j];
        mass[j & 3][(key(e[i]) >> sh) & mk] += static_cast<double>(e[i]);
      }
    }
    long lowest = -1, b = static_cast<long>(mk);
    for (; b >= 0; --b) {
      const double mb = (mass[0][b] + mass[1][b]) + (mass[2][b] + mass[3][b]);
      if (mb > 0) lowest = b;
      if (above + mb >= P) break;
      above += mb;
    }
    if (b < 0) {  // rounding left the total below P: the crossing is in the lowest bucket
      if (lowest < 0) return Cut<T>{T(0), n};
      b = lowest;
      above -= (mass[0][b] + mass[1][b]) + (mass[2][b] + mass[3][b]);
    }
    const uint32_t want = static_cast<uint32_t>(b);
    size_t w = 0;
    if (level == 0) {
      for (size_t i = 0; i < n; ++i) {
        members[w] = static_cast<uint32_t>(i);
        w += (key(e[i]) >> sh) == want;
      }
    } else {
      for (size_t j = 0; j < count; ++j) {
        const uint32_t i = members[j];
        members[w] = i;
        w += ((key(e[i]) >> sh) & mk) == want;
      }
    }
    count = w;
  }
  members.resize(count);
  // members share one float value: by weight (double data may still differ), then index
  std::sort(members.begin(), members.end(), [&](uint32_t a, uint32_t c) { return e[a] != e[c] ? e[a] > e[c] : a < c; });
  for (uint32_t i : members) {
    above += static_cast<double>(e[i]);
    if (above >= P) return Cut<T>{e[i], size_t(i) + 1};
  }
  const uint32_t last = members.back();
  return Cut<T>{e[last], size_t(last) + 1};
}

// The smallest T >= v (v >= 0 finite).
template <class T>
T at_least(double v) {
  T t = static_cast<T>(v);
  if (static_cast<double>(t) < v) t = std::nextafter(t, std::numeric_limits<T>::infinity());
  return t;
}

template <class T, class X, class Y>
struct Sampler {
  const Kernels<T, X, Y>& K;
  const Kernels<T>& KT;  // for T data (the exponentials)
  const SampleParams& p;
  DD it;

  static constexpr size_t kBlock = 2048;

  // The chosen class of row[0..C) for uniform u, or -1; *lp its log-probability.
  int32_t draw(const X* row, size_t C, double u, double* lp, TopKBuffers<T>& bufs, std::vector<T>& e,
               std::vector<std::pair<uint32_t, double>>& kept) const {
    *lp = std::numeric_limits<double>::quiet_NaN();
    if (p.top_k != 0 && p.top_k < C) return draw_top_k(row, C, u, lp, bufs, kept);
    return draw_full(row, C, u, lp, bufs.idx, e);
  }

  int32_t draw_top_k(const X* row, size_t C, double u, double* lp, TopKBuffers<T>& bufs,
                     std::vector<std::pair<uint32_t, double>>& kept) const {
    const size_t k = topk_range(K, row, 0, C, p.top_k, true, bufs);
    const double m = static_cast<double>(widen(row[index_of(bufs.keys[0])]));
    if (is_nan(m) || std::isinf(m)) return -1;  // NaN (ranked first), +inf, or only -inf
    kept.resize(k);
    double S = 0.0;
    for (size_t j = 0; j < k; ++j) {
      const uint32_t i = index_of(bufs.keys[j]);
      const double v = static_cast<double>(widen(row[i]));
      const double w = v == -INFINITY ? 0.0 : exp_diff(v, m, it, DD{0.0, 0.0});
      kept[j] = {i, w};
      S += w;
    }
    size_t L = k;
    if (p.top_p < 1.0) {
      const double P = p.top_p * S;
      double c = 0.0;
      for (size_t j = 0; j < k; ++j) {
        c += kept[j].second;
        if (c >= P) {
          L = j + 1;
          break;
        }
      }
    }
    if (p.min_p > 0.0) {
      const double thr = p.min_p * kept[0].second;
      size_t Lm = 0;
      while (Lm < L && kept[Lm].second >= thr) ++Lm;
      L = Lm;
    }
    kept.resize(L);
    std::sort(kept.begin(), kept.end());
    double Sk = 0.0;
    for (const auto& kv : kept) Sk += kv.second;
    const double target = u * Sk;
    double c = 0.0;
    size_t chosen = SIZE_MAX;
    for (size_t j = 0; j < L; ++j) {
      if (kept[j].second > 0) chosen = j;  // the last kept class of nonzero weight, unless one crosses
      c += kept[j].second;
      if (c > target) break;
    }
    const uint32_t cls = kept[chosen].first;
    const DD lw = scaled_diff(static_cast<double>(widen(row[cls])), m, it);
    *lp = (lw.hi - std::log(Sk)) + lw.lo;
    return static_cast<int32_t>(cls);
  }

  int32_t draw_full(const X* row, size_t C, double u, double* lp, std::vector<uint32_t>& buf, std::vector<T>& ev) const {
    T* e = ev.data();
    const T m = K.max(row, C);
    const ExpSum es = K.expsum(row, C, m, it, e, nullptr);
    const double S = es.sum.hi + es.sum.lo;
    if (!(S > 0) || std::isinf(S) || std::isinf(m)) return -1;  // NaN, +inf, or only -inf
    Cut<T> cut{T(0), C};
    if (p.top_p < 1.0) cut = top_mass(e, C, p.top_p * S, buf);
    if (p.min_p > 0.0) {
      const T tm = at_least<T>(p.min_p * static_cast<double>(KT.max(e, C)));
      if (tm > cut.tau) cut = Cut<T>{tm, C};
    }
    const T tau_up = std::nextafter(cut.tau, std::numeric_limits<T>::infinity());
    auto block_sum = [&](size_t lo, size_t hi) {
      DD s{0.0, 0.0};
      if (lo < cut.J) s = dd_add(s, K.sum_ge(e + lo, std::min(hi, cut.J) - lo, cut.tau));
      const size_t mid = std::max(lo, cut.J);
      if (hi > mid) s = dd_add(s, K.sum_ge(e + mid, hi - mid, tau_up));
      return s.hi + s.lo;
    };
    const size_t nb = (C + kBlock - 1) / kBlock;
    double sums_small[64];
    std::vector<double> sums_big;
    double* sums = nb <= 64 ? sums_small : (sums_big.resize(nb), sums_big.data());
    double Sk = 0.0;
    for (size_t b = 0; b < nb; ++b) {
      sums[b] = block_sum(b * kBlock, std::min(C, (b + 1) * kBlock));
      Sk += sums[b];
    }
    const double target = u * Sk;
    double c = 0.0;
    size_t chosen = SIZE_MAX;
    for (size_t b = 0; b < nb && chosen == SIZE_MAX; ++b) {
      if (!(c + sums[b] > target)) {
        c += sums[b];
        continue;
      }
      const size_t hi = std::min(C, (b + 1) * kBlock);
      for (size_t i = b * kBlock; i < hi; ++i) {
        if (!cut.keeps(e[i], i)) continue;
        c += static_cast<double>(e[i]);
        if (c > target) {
          chosen = i;
          break;
        }
      }
    }
    if (chosen == SIZE_MAX) {  // rounding left the total at or below the target: the last kept class
      for (size_t i = C; i-- > 0;)
        if (e[i] > 0 && cut.keeps(e[i], i)) {
          chosen = i;
          break;
        }
    }
    const DD lw = dd_add(scaled_diff(static_cast<double>(widen(row[chosen])), static_cast<double>(m), it), DD{-es.off.hi, -es.off.lo});
    *lp = (lw.hi - std::log(Sk)) + lw.lo;
    return static_cast<int32_t>(chosen);
  }
};

}  // namespace

template <class T, class X>
void argmax(const KernelTable& table, const X* x, Dims d, int32_t* out) {
  const size_t rows = d.rows(), C = d.C;
  if (rows == 0) return;
  const auto& K = kernels_of<T, X, std::conditional_t<IsHalf<X>::value, T, X>>(table);
  const bool split = d.inner == 1 && C >= kSplitRowAbove && rows < static_cast<size_t>(num_threads());
  if (split) {
    for (size_t r = 0; r < rows; ++r) out[r] = static_cast<int32_t>(argmax_row(K, x + r * C, C, true));
    return;
  }
  // one contiguous range of rows per thread: a read-only pass, its rows cost alike, and a thread
  // keeps the same rows call after call (what stays in its caches is its own next time)
  const size_t threads = static_cast<size_t>(num_threads());
  const size_t grain = std::max<size_t>(std::max<size_t>(1, kGrainElements / C), (rows + threads - 1) / threads);
  parallel_for(rows, grain, [&](size_t r0, size_t r1) {
    std::vector<X> own;
    X* col = d.inner == 1 ? nullptr : scratch_of<X, 5>(C, own);
    for (size_t r = r0; r < r1; ++r) out[r] = static_cast<int32_t>(K.argmax(row_of(x, d, r, col), C));
  });
}

template <class T, class X, class Y>
void topk(const KernelTable& table, const X* x, Dims d, size_t k, bool largest, TopKMode mode, double temperature,
          Y* values, int32_t* indices) {
  const size_t rows = d.rows(), C = d.C;
  if (rows == 0 || k == 0) return;
  const Kernels<T, X, Y>& K = kernels_of<T, X, Y>(table);
  const Kernels<T>& KT = kernels_of<T>(table);
  const DD it = inverse_temperature<T>(temperature);
  const bool split = d.inner == 1 && C >= kSplitRowAbove && rows < static_cast<size_t>(num_threads());
  // the values in T (finish_values), then to Y: in place for T = Y, else through this thread's buffer
  auto one = [&](const X* row, size_t r, TopKBuffers<T>& bufs, bool sp) {
    topk_row(K, row, C, k, largest, bufs, sp);
    std::vector<T> own;
    T* v;
    if constexpr (std::is_same_v<Y, T>) v = values + r * k;
    else v = scratch_of<T, 6>(k, own);
    for (size_t j = 0; j < k; ++j) {
      const uint32_t i = index_of(bufs.keys[j]);
      indices[r * k + j] = static_cast<int32_t>(i);
      v[j] = widen(row[i]);
    }
    finish_values(K, KT, row, C, v, k, mode, it);
    if constexpr (!std::is_same_v<Y, T>)
      for (size_t j = 0; j < k; ++j) values[r * k + j] = narrow<Y>(v[j]);
  };
  if (split) {
    TopKBuffers<T> bufs;
    for (size_t r = 0; r < rows; ++r) one(x + r * C, r, bufs, true);
    return;
  }
  parallel_for(rows, std::max<size_t>(1, kGrainElements / C), [&](size_t r0, size_t r1) {
    std::vector<X> own;
    X* col = d.inner == 1 ? nullptr : scratch_of<X, 5>(C, own);
    ThreadBuffers<T> guard;
    TopKBuffers<T>& bufs = guard.b;
    for (size_t r = r0; r < r1; ++r) one(row_of(x, d, r, col), r, bufs, false);
  });
}

template <class T, class X, class Y>
void sample(const KernelTable& table, const X* x, Dims d, const SampleParams& p, int32_t* out, Y* logprobs) {
  const size_t rows = d.rows(), C = d.C;
  if (rows == 0) return;
  const Kernels<T, X, Y>& K = kernels_of<T, X, Y>(table);
  const Sampler<T, X, Y> s{K, kernels_of<T>(table), p, inverse_temperature<T>(p.temperature > 0 ? p.temperature : 1.0)};
  parallel_for(rows, std::max<size_t>(1, kGrainElements / C), [&](size_t r0, size_t r1) {
    std::vector<X> own_col;
    std::vector<T> own_e;
    X* col = d.inner == 1 ? nullptr : scratch_of<X, 5>(C, own_col);
    std::vector<T>& e = C <= kScratchKeep ? thread_scratch<T, 6>() : own_e;
    ThreadBuffers<T> guard;
    TopKBuffers<T>& bufs = guard.b;
    std::vector<std::pair<uint32_t, double>> kept;
    for (size_t r = r0; r < r1; ++r) {
      const X* row = row_of(x, d, r, col);
      int32_t cls;
      double lp;
      if (p.temperature == 0) {
        const size_t i = K.argmax(row, C);
        const T ri = widen(row[i]);
        const bool bad = is_nan(ri) || ri == -std::numeric_limits<T>::infinity();
        cls = bad ? -1 : static_cast<int32_t>(i);
        lp = bad ? std::numeric_limits<double>::quiet_NaN() : 0.0;
      } else {
        const uint64_t key = p.seeds ? p.seeds[r] : p.seed;
        const uint64_t counter = p.seeds ? p.offset : p.offset + r;
        const double u = Philox4x32::uniform(key, counter);
        if (p.top_k == 0 || p.top_k >= C) {
          if (e.size() < C) e.resize(C);
        }
        cls = s.draw(row, C, u, &lp, bufs, e, kept);
      }
      out[r] = cls;
      if (logprobs) logprobs[r] = narrow<Y>(static_cast<T>(lp));
    }
  });
}

template void argmax<float>(const KernelTable&, const float*, Dims, int32_t*);
template void argmax<double>(const KernelTable&, const double*, Dims, int32_t*);
template void argmax<float, F16>(const KernelTable&, const F16*, Dims, int32_t*);
template void argmax<float, BF16>(const KernelTable&, const BF16*, Dims, int32_t*);
template void topk<float>(const KernelTable&, const float*, Dims, size_t, bool, TopKMode, double, float*, int32_t*);
template void topk<double>(const KernelTable&, const double*, Dims, size_t, bool, TopKMode, double, double*, int32_t*);
template void sample<float>(const KernelTable&, const float*, Dims, const SampleParams&, int32_t*, float*);
template void sample<double>(const KernelTable&, const double*, Dims, const SampleParams&, int32_t*, double*);
#define LOGITKIT_HALF_DECIDE(X, Y)                                                                                  \
  template void topk<float, X, Y>(const KernelTable&, const X*, Dims, size_t, bool, TopKMode, double, Y*, int32_t*); \
  template void sample<float, X, Y>(const KernelTable&, const X*, Dims, const SampleParams&, int32_t*, Y*);
LOGITKIT_FOR_HALF_PAIRS(LOGITKIT_HALF_DECIDE)

}  // namespace logitkit
