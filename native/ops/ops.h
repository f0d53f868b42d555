// The ISA-independent operations: shapes, chunking of long rows, the cross-entropy reduction, and
// the split of work into pieces. They call the kernels through a KernelTable and trust their
// arguments: the addon layer has checked every length before calling them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../kernels/table.h"

namespace logitkit {

// A tensor seen as outer x C x inner, reducing over C.
struct Dims {
  size_t outer;
  size_t C;
  size_t inner;
  size_t rows() const { return outer * inner; }
  size_t total() const { return outer * C * inner; }
};

template <class T, class X = T, class Y = X>
const Kernels<T, X, Y>& kernels_of(const KernelTable& t);

// The (input, output) element types of half-precision calls, for explicit instantiations.
#define LOGITKIT_FOR_HALF_PAIRS(F) \
  F(float, F16) F(float, BF16) F(F16, float) F(F16, F16) F(F16, BF16) F(BF16, float) F(BF16, F16) F(BF16, BF16)

// y = softmax(x / temperature) (or log-softmax) over C. y may equal x (same type).
template <class T, class X = T, class Y = X>
void softmax(const KernelTable& table, const X* x, Y* y, Dims d, double temperature, bool log);

enum class Reduction { None = 0, Sum = 1, Mean = 2 };

template <class T, class X = T, class Y = X>
struct CrossEntropyInput {
  const X* x;
  Dims d;
  const int64_t* target;  // rows entries, -1 for ignored rows; or null
  const X* prob;          // same layout and type as x; or null
  const T* weight;        // C entries or null
  double smoothing;
  Reduction reduction;
  Y* out;                 // rows entries for Reduction::None, else null
  Y* grad;                // same layout as x, or null
};

// Returns the reduced loss (NaN for Reduction::None, whose losses go to `out`).
template <class T, class X = T, class Y = X>
double cross_entropy(const KernelTable& table, const CrossEntropyInput<T, X, Y>& in);

// y = sigmoid(x) (or log(sigmoid(x))) elementwise; y may equal x.
template <class T, class X = T, class Y = X>
void sigmoid(const KernelTable& table, const X* x, Y* y, size_t n, bool log);

template <class T, class X = T, class Y = X>
struct BceInput {
  const X* x;
  const X* y;               // targets, n entries in [0, 1], of the logits' type
  size_t n;
  size_t C;                 // the last dimension (per-class weights)
  const T* pos_weight;      // C entries or null
  const T* weight;          // C or n entries, or null
  bool weight_per_element;
  Reduction reduction;
  Y* out;                   // n per-element losses for Reduction::None, else null
  Y* grad;                  // n entries, or null
};

// Binary cross-entropy with logits; returns the reduced loss (NaN for Reduction::None). A target
// outside [0, 1] sets *bad_target to the first such position (else SIZE_MAX), with nothing written.
template <class T, class X = T, class Y = X>
double binary_cross_entropy(const KernelTable& table, const BceInput<T, X, Y>& in, size_t* bad_target);

// Decisions (decide.cc). Rows are the tensor's positions outside the reduced axis, in row-major
// order (row r = o * inner + i). Indices are positions along the axis; C must be < 2^31.

// out[r] = the index of row r's first maximum (a NaN counts as the largest: the first NaN). C >= 1.
template <class T, class X = T>
void argmax(const KernelTable& table, const X* x, Dims d, int32_t* out);

enum class TopKMode { Logits = 0, Softmax = 1, LogSoftmax = 2, Sigmoid = 3 };

// Per row the k <= C largest (or smallest) entries in rank order (ties to the lower index, NaN the
// largest): indices[r*k + j], and values[r*k + j] = the entry, or its full-row softmax / log-softmax
// at 1/temperature, or its sigmoid.
template <class T, class X = T, class Y = X>
void topk(const KernelTable& table, const X* x, Dims d, size_t k, bool largest, TopKMode mode, double temperature,
          Y* values, int32_t* indices);

struct SampleParams {
  double temperature;     // >= 0; 0 is greedy
  size_t top_k;           // 0: none
  double top_p;           // (0, 1]; 1: none
  double min_p;           // [0, 1]; 0: none
  uint64_t seed;          // the key of every row, unless seeds is given
  const uint64_t* seeds;  // one key per row (the counter is then offset), or null
  uint64_t offset;        // counter of row r: offset + r (offset with seeds)
};

// out[r] = a class drawn from row r's truncated softmax (README: "Sampling"), or -1 for a row with a
// NaN, +Infinity (temperature > 0) or only -Infinity; logprobs[r] (if not null) its log-probability
// under the truncated distribution (NaN for those rows).
template <class T, class X = T, class Y = X>
void sample(const KernelTable& table, const X* x, Dims d, const SampleParams& p, int32_t* out, Y* logprobs);

// Converts class-index targets to int64, mapping `ignore` to -1. Returns the position of the first
// value that is neither `ignore` nor in [0, C) (stored in out at that position, as read), or n when
// all are valid. Each target is read once: the copy is what the kernels use.
template <class I>
size_t convert_targets(const I* t, size_t n, int64_t C, int64_t ignore, int64_t* out);

}  // namespace logitkit
