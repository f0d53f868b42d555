// Sigmoid, log-sigmoid (elementwise, split across threads in pieces of kGrainElements or more) and
// binary cross-entropy with logits: its elements in blocks of kBceBlock whose loss sums are merged
// in block order, so the reduced loss is the same for every thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../scratch.h"
#include "../threadpool.h"
#include "common.h"
#include "ops.h"

namespace logitkit {

namespace {
// Blocks of a BCE sum: a fixed size, so that their boundaries depend on the data size only.
constexpr size_t kBceBlock = 16384;
}  // namespace

template <class T, class X, class Y>
void sigmoid(const KernelTable& table, const X* x, Y* y, size_t n, bool log) {
  const Kernels<T, X, Y>& k = kernels_of<T, X, Y>(table);
  auto fn = log ? k.log_sigmoid : k.sigmoid;
  const bool stream = n * sizeof(Y) >= kStreamAbove;
  parallel_for(n, kGrainElements, [&](size_t i0, size_t i1) { fn(x + i0, y + i0, i1 - i0, stream); });
}

template <class T, class X, class Y>
double binary_cross_entropy(const KernelTable& table, const BceInput<T, X, Y>& in, size_t* bad_target) {
  const Kernels<T, X, Y>& k = kernels_of<T, X, Y>(table);
  const size_t blocks = (in.n + kBceBlock - 1) / kBceBlock;
  const size_t grain = std::max<size_t>(1, kGrainElements / kBceBlock);
  auto block_end = [&](size_t b) { return std::min(in.n, (b + 1) * kBceBlock); };
  *bad_target = SIZE_MAX;
  // A call that writes outputs checks its targets first (nothing may be written before an error);
  // one that only returns the loss checks them on its way (the kernel flags a block) and so reads
  // them once.
  const bool writes = in.out || in.grad;
  std::vector<size_t>& first_bad = thread_scratch<size_t, 0>();
  if (writes) {
    first_bad.assign(blocks, SIZE_MAX);
    parallel_for(blocks, grain, [&](size_t b0, size_t b1) {
      for (size_t b = b0; b < b1; ++b) {
        const size_t i0 = b * kBceBlock, n = block_end(b) - i0;
        const size_t j = k.outside_unit(in.y + i0, n);
        if (j < n) first_bad[b] = i0 + j;
      }
    });
    for (size_t b = 0; b < blocks; ++b)
      if (first_bad[b] != SIZE_MAX) {
        *bad_target = first_bad[b];
        return std::numeric_limits<double>::quiet_NaN();
      }
  }
  BceArgs<T, X, Y> a{};
  a.x = in.x;
  a.y = in.y;
  a.C = std::max<size_t>(in.C, 1);
  a.pos_weight = in.pos_weight;
  a.weight = in.weight;
  a.weight_per_element = in.weight_per_element;
  a.out = in.out;
  a.grad = in.grad;
  a.grad_scale = in.reduction == Reduction::Mean ? 1.0 / static_cast<double>(in.n) : 1.0;
  // per-block sums and flags: this thread's scratch (a sync call allocates nothing after its first)
  std::vector<DD>& sums = thread_scratch<DD, 0>();
  std::vector<char>& flagged = thread_scratch<char, 0>();
  sums.resize(blocks);
  flagged.assign(blocks, 0);
  parallel_for(blocks, grain, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      bool bad = false;
      sums[b] = k.bce(a, b * kBceBlock, block_end(b), &bad);
      flagged[b] = bad;
    }
  });
  for (size_t b = 0; b < blocks; ++b)
    if (flagged[b]) {  // only without outputs (checked above otherwise)
      const size_t i0 = b * kBceBlock;
      *bad_target = i0 + k.outside_unit(in.y + i0, block_end(b) - i0);
      return std::numeric_limits<double>::quiet_NaN();
    }
  if (in.reduction == Reduction::None) return std::numeric_limits<double>::quiet_NaN();
  ExactSum total;
  for (size_t b = 0; b < blocks; ++b) total.add_dd(sums[b]);
  const double s = total.value();
  if (in.reduction == Reduction::Sum) return s;
  return in.n == 0 ? std::numeric_limits<double>::quiet_NaN() : s / static_cast<double>(in.n);
}

template void sigmoid<float>(const KernelTable&, const float*, float*, size_t, bool);
template void sigmoid<double>(const KernelTable&, const double*, double*, size_t, bool);
template double binary_cross_entropy<float>(const KernelTable&, const BceInput<float>&, size_t*);
template double binary_cross_entropy<double>(const KernelTable&, const BceInput<double>&, size_t*);
#define LOGITKIT_HALF_SIGMOID(X, Y)                                                  \
  template void sigmoid<float, X, Y>(const KernelTable&, const X*, Y*, size_t, bool); \
  template double binary_cross_entropy<float, X, Y>(const KernelTable&, const BceInput<float, X, Y>&, size_t*);
LOGITKIT_FOR_HALF_PAIRS(LOGITKIT_HALF_SIGMOID)

}  // namespace logitkit
