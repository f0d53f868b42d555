// The interface between the ISA-independent ops layer and one instruction set's kernels: a table of
// plain function pointers per element type. Each native/isa/*.cc file fills one table (through
// make_table in instantiate.h); native/dispatch.cc picks one at load time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.h"

namespace logitkit {

// Softmax over rows or columns. inv_temp = 1/temperature as a double-double ({1, 0}: none).
template <class T>
struct SoftmaxArgs {
  const T* x;
  T* y;
  size_t C;        // classes (length of the reduced axis)
  DD inv_temp;
  bool log;        // log-softmax instead of softmax
  // Rows of C >= kShortRow only: write y with non-temporal stores (outputs far larger than the
  // caches). Softmax then keeps its exponentials in `scratch` (C elements, per thread) instead of
  // y, so that no line of y is read before it is written.
  bool stream;
  T* scratch;
};

// Cross-entropy over contiguous rows of C classes (the ops layer sends rows of C <= kChunk; the
// kernels handle any C, for the strided path's tiles).
template <class T>
struct CrossEntropyArgs {
  const T* x;            // rows x C logits
  size_t C;
  const int64_t* target; // class per row, -1 for an ignored row (index targets), or nullptr
  const T* prob;         // rows x C class probabilities (probability targets), or nullptr
  const T* weight;       // C per-class weights, or nullptr
  double smoothing;      // label smoothing epsilon
  double weight_sum;     // sum of the weights (C when there are none)
  double* loss;          // per-row loss, one double per row
  T* grad;               // rows x C, or nullptr
  double grad_scale;     // d reduction / d per-row loss (1, or 1/denominator for 'mean')
};

// What expsum returns: `sum` is the sum of the values it computes (and stores, when asked), which
// are exp((x - m) * inv_temp - off). off is 0 when m itself is subtracted; on the fast path (no
// temperature, |m| < 2^12) the shift is the multiple of ln 2 nearest m, and off = that - m.
struct ExpSum {
  DD sum;
  DD off;
};

// Partial results of one chunk of one row (the ops layer merges chunks of huge rows).
struct DotSums {
  double d;  // sum of a*b*(ref - x)
  double a;  // sum of a*b
};

// One pass of cross-entropy statistics over a row or a chunk of one: its maximum m, s = sum exp(x - m)
// with the maximum's own term exactly 1, and the sums the loss needs besides log s:
// d0 = sum w (m - x), a0 = sum w (label smoothing), d1 = sum w q (m - x), a1 = sum w q (probability
// targets); w = 1 and q = 0 where absent, d and a 0 where not asked for.
template <class T>
struct CrossEntropyStats {
  T m;
  DD s;
  double d0, a0, d1, a1;
};

// Binary cross-entropy with logits over a flat range of elements of rows of C classes.
template <class T>
struct BceArgs {
  const T* x;              // logits
  const T* y;              // targets in [0, 1], same layout
  size_t C;                // classes: the last dimension (selects per-class weights)
  const T* pos_weight;     // C weights of the positive term, or nullptr
  const T* weight;         // C (per class) or one per element, or nullptr
  bool weight_per_element;
  T* out;                  // per-element losses, or nullptr
  T* grad;                 // d loss / d logits (times grad_scale), or nullptr
  double grad_scale;       // 1, or 1/elements for 'mean'
};

template <class T>
struct Kernels {
  size_t lanes;  // elements per register

  // Rows r in [0, rows), each C <= kChunk contiguous elements starting at x + r*C.
  void (*softmax_rows)(const SoftmaxArgs<T>& a, size_t rows);
  // Columns: `lanes_used` <= lanes adjacent reductions, element c of lane j at x[c*stride + j].
  void (*softmax_cols)(const SoftmaxArgs<T>& a, size_t stride, size_t lanes_used);
  void (*cross_entropy_rows)(const CrossEntropyArgs<T>& a, size_t rows);

  // Chunk primitives for rows longer than kChunk (the ops layer loops over chunks and merges).
  T (*max)(const T* x, size_t n);
  // Sum of exp((x - m) * inv_temp - off) (see ExpSum); stores each term into y when y is not null.
  // pf: the next n elements the caller will read (prefetched on the way), or null.
  ExpSum (*expsum)(const T* x, size_t n, T m, DD inv_temp, T* y, const T* pf);
  // y *= f
  void (*scale)(T* y, size_t n, DD f);
  // y = exp((x - m) * inv_temp) * f: a long row's second pass, from x (two reads and one write)
  void (*expscale)(const T* x, T* y, size_t n, T m, DD inv_temp, DD f);
  // y = (x - m) * inv_temp - lse
  void (*logwrite)(const T* x, T* y, size_t n, T m, DD inv_temp, DD lse);
  // sum of a*b*(ref - x) and of a*b; a or b may be null (then 1)
  DotSums (*dot)(const T* x, size_t n, T ref, const T* a, const T* b);
  // cross-entropy statistics of n logits (w: their n weights, q: their n target probabilities, or
  // null); d0/a0 only when `smooth`, d1/a1 only when q is given. next: the logits the caller reads
  // next (prefetched on the way), or null.
  CrossEntropyStats<T> (*ce_stats)(const T* x, size_t n, const T* w, const T* q, bool smooth, const T* next);
  // grad = exp(x - m) * f - w * (beta + gamma * q); w, q may be null (then 1 and 0)
  void (*grad)(const T* x, T* g, size_t n, T m, DD f, double beta, double gamma, const T* w,
               const T* q);

  // y = exp(x) for x <= 0: the kernels' exponential alone (tests, benchmark ceiling).
  void (*exp)(const T* x, T* y, size_t n);

  // Elementwise y = sigmoid(x), y = log(sigmoid(x)) (sigmoid.h); y may equal x; stream: y written
  // with non-temporal stores.
  void (*sigmoid)(const T* x, T* y, size_t n, bool stream);
  void (*log_sigmoid)(const T* x, T* y, size_t n, bool stream);
  // BCE of elements [i0, i1): returns the sum of their losses, writes out / grad when given, sets
  // *bad when a target is outside [0, 1].
  DD (*bce)(const BceArgs<T>& a, size_t i0, size_t i1, bool* bad);
  // The index of the first of y[0..n) outside [0, 1] (NaN included), or n.
  size_t (*outside_unit)(const T* y, size_t n);

  // Decisions (select.h). argmax: the index of the first maximum of x[0..n), n >= 1, or of the
  // first NaN. pass_index: the indices (+ base) of the elements that pass against t (Pass), at most
  // cap, in order; *end: how far it got. sum_ge: the sum of the elements >= t of e (no NaN).
  size_t (*argmax)(const T* x, size_t n);
  size_t (*pass_index)(const T* x, size_t n, T t, int pass, uint32_t base, uint32_t* out, size_t cap, size_t* end);
  DD (*sum_ge)(const T* e, size_t n, T t);
  // The smallest of the maxima of `groups` runs of `regs` registers from x, or NaN (a NaN in them).
  T (*group_floor)(const T* x, size_t groups, size_t regs);
  // The maximum of each block of 16 registers of x into out (ceil(n / (16 lanes)) entries); false
  // when x holds a NaN.
  bool (*block_max)(const T* x, size_t n, T* out);
};

struct KernelTable {
  const char* name;
  Kernels<float> f32;
  Kernels<double> f64;
};

}  // namespace logitkit
