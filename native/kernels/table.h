// The interface between the ISA-independent ops layer and one instruction set's kernels: a table of
// plain function pointers per element type. Each native/isa/*.cc file fills one table (through
// make_table in instantiate.h); native/dispatch.cc picks one at load time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.h"
#include "half.h"

namespace logitkit {

// The element types: T is what the kernels compute in (float or double); inputs are stored as X
// and outputs as Y, each T itself or (T = float) a half type of half.h, converted a register at a
// time. Scratch memory, weights and partial results are always T.

// Softmax over rows or columns. inv_temp = 1/temperature as a double-double ({1, 0}: none).
template <class T, class X = T, class Y = X>
struct SoftmaxArgs {
  const X* x;
  Y* y;
  size_t C;        // classes (length of the reduced axis)
  DD inv_temp;
  bool log;        // log-softmax instead of softmax
  // Rows of C >= kShortRow only: write y with non-temporal stores (outputs far larger than the
  // caches). Softmax then keeps its exponentials in `scratch` (C elements, per thread) instead of
  // y, so that no line of y is read before it is written. Softmax into a half Y always does.
  bool stream;
  T* scratch;
};

// Cross-entropy over contiguous rows of C classes (the ops layer sends rows of C <= kChunk; the
// kernels handle any C, for the strided path's tiles).
template <class T, class X = T, class Y = X>
struct CrossEntropyArgs {
  const X* x;            // rows x C logits
  size_t C;
  const int64_t* target; // class per row, -1 for an ignored row (index targets), or nullptr
  const X* prob;         // rows x C class probabilities (probability targets), or nullptr
  const T* weight;       // C per-class weights, or nullptr
  double smoothing;      // label smoothing epsilon
  double weight_sum;     // sum of the weights (C when there are none)
  double* loss;          // per-row loss, one double per row
  Y* grad;               // rows x C, or nullptr
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
template <class T, class X = T, class Y = X>
struct BceArgs {
  const X* x;              // logits
  const X* y;              // targets in [0, 1], same layout
  size_t C;                // classes: the last dimension (selects per-class weights)
  const T* pos_weight;     // C weights of the positive term, or nullptr
  const T* weight;         // C (per class) or one per element, or nullptr
  bool weight_per_element;
  Y* out;                  // per-element losses, or nullptr
  Y* grad;                 // d loss / d logits (times grad_scale), or nullptr
  double grad_scale;       // 1, or 1/elements for 'mean'
};

template <class T, class X = T, class Y = X>
struct Kernels {
  size_t lanes;  // elements per register

  // Rows r in [0, rows), each C <= kChunk contiguous elements starting at x + r*C.
  void (*softmax_rows)(const SoftmaxArgs<T, X, Y>& a, size_t rows);
  // Columns: `lanes_used` <= lanes adjacent reductions, element c of lane j at x[c*stride + j].
  void (*softmax_cols)(const SoftmaxArgs<T, X, Y>& a, size_t stride, size_t lanes_used);
  void (*cross_entropy_rows)(const CrossEntropyArgs<T, X, Y>& a, size_t rows);

  // Chunk primitives for rows longer than kChunk (the ops layer loops over chunks and merges).
  T (*max)(const X* x, size_t n);
  // Sum of exp((x - m) * inv_temp - off) (see ExpSum); stores each term into y when y is not null.
  // pf: the next n elements the caller will read (prefetched on the way), or null.
  ExpSum (*expsum)(const X* x, size_t n, T m, DD inv_temp, T* y, const X* pf);
  // The same terms, summed as softmax sums them (softmax.h: pairs of registers added in T first)
  ExpSum (*softmax_sum)(const X* x, size_t n, T m, DD inv_temp, T* y, const X* pf);
  // y = src * f (src may be y); stream: y written with non-temporal stores
  void (*scale_into)(const T* src, Y* y, size_t n, DD f, bool stream);
  // y = e * f for each term e that expsum(x, n, m, inv_temp) computes: a long row's second pass
  // from x, giving the bits that expsum into a buffer and scale_into give
  void (*expscale)(const X* x, Y* y, size_t n, T m, DD inv_temp, DD f, bool stream);
  // y = (x - m) * inv_temp - lse
  void (*logwrite)(const X* x, Y* y, size_t n, T m, DD inv_temp, DD lse, bool stream);
  // sum of a*b*(ref - x) and of a*b; a or b may be null (then 1)
  DotSums (*dot)(const X* x, size_t n, T ref, const T* a, const X* b);
  // cross-entropy statistics of n logits (w: their n weights, q: their n target probabilities, or
  // null); d0/a0 only when `smooth`, d1/a1 only when q is given. next: the logits the caller reads
  // next (prefetched on the way), or null.
  CrossEntropyStats<T> (*ce_stats)(const X* x, size_t n, const T* w, const X* q, bool smooth, const X* next);
  // grad = exp(x - m) * f - w * (beta + gamma * q); w, q may be null (then 1 and 0)
  void (*grad)(const X* x, Y* g, size_t n, T m, DD f, double beta, double gamma, const T* w,
               const X* q);

  // y = exp(x) for x <= 0: the kernels' exponential alone (tests, benchmark ceiling).
  void (*exp)(const T* x, T* y, size_t n);
  // y = x converted from X to Y by the kernels' loads and stores (tests: the conversions alone).
  void (*convert)(const X* x, Y* y, size_t n);

  // Elementwise y = sigmoid(x), y = log(sigmoid(x)) (sigmoid.h); y may equal x; stream: y written
  // with non-temporal stores.
  void (*sigmoid)(const X* x, Y* y, size_t n, bool stream);
  void (*log_sigmoid)(const X* x, Y* y, size_t n, bool stream);
  // BCE of elements [i0, i1): returns the sum of their losses, writes out / grad when given, sets
  // *bad when a target is outside [0, 1].
  DD (*bce)(const BceArgs<T, X, Y>& a, size_t i0, size_t i1, bool* bad);
  // The index of the first of y[0..n) outside [0, 1] (NaN included), or n.
  size_t (*outside_unit)(const X* y, size_t n);

  // Decisions (select.h). argmax: the index of the first maximum of x[0..n), n >= 1, or of the
  // first NaN. pass_index: the indices (+ base) of the elements that pass against t (Pass), at most
  // cap, in order; *end: how far it got. sum_ge: the sum of the elements >= t of e (no NaN).
  size_t (*argmax)(const X* x, size_t n);
  size_t (*pass_index)(const X* x, size_t n, T t, int pass, uint32_t base, uint32_t* out, size_t cap, size_t* end);
  DD (*sum_ge)(const T* e, size_t n, T t);
  // The smallest of the maxima of `groups` runs of `regs` registers from x, or NaN (a NaN in them).
  T (*group_floor)(const X* x, size_t groups, size_t regs);
  // The maximum of each block of 16 registers of x into out (ceil(n / (16 lanes)) entries); false
  // when x holds a NaN.
  bool (*block_max)(const X* x, size_t n, T* out);
};

struct KernelTable {
  const char* name;
  Kernels<float> f32;
  Kernels<double> f64;
  // half-precision inputs (float16, bfloat16) into float32 or half outputs, float32 into half
  Kernels<float, float, F16> f32_f16;
  Kernels<float, float, BF16> f32_bf16;
  Kernels<float, F16, float> f16_f32;
  Kernels<float, F16, F16> f16_f16;
  Kernels<float, F16, BF16> f16_bf16;
  Kernels<float, BF16, float> bf16_f32;
  Kernels<float, BF16, F16> bf16_f16;
  Kernels<float, BF16, BF16> bf16_bf16;
};

}  // namespace logitkit
