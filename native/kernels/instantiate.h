// Fills a KernelTable from a pair of vector-traits structs (float, double). Included only by the
// native/isa/*.cc files, each compiled with its own instruction-set flags.
#pragma once

#include "cross_entropy.h"
#include "select.h"
#include "sigmoid.h"
#include "softmax.h"
#include "table.h"

namespace logitkit {

template <class V, class X = typename V::T, class Y = X>
Kernels<typename V::T, X, Y> make_kernels() {
  using SK = SoftmaxKernels<V, X, Y>;
  using CK = CrossEntropyKernels<V, X, Y>;
  using GK = SigmoidKernels<V, X, Y>;
  using DK = SelectKernels<V, X>;
  Kernels<typename V::T, X, Y> k{};
  k.lanes = V::N;
  k.softmax_rows = &SK::rows;
  k.softmax_cols = &SK::cols;
  k.cross_entropy_rows = &CK::rows;
  k.max = &SK::max;
  k.expsum = &SK::expsum;
  k.softmax_sum = &SK::softmax_sum;
  k.scale_into = &SK::scale_into;
  k.expscale = &SK::expscale;
  k.logwrite = &SK::logwrite;
  k.dot = &CK::dot;
  k.ce_stats = &CK::stats;
  k.grad = &CK::grad;
  k.exp = &SoftmaxKernels<V>::exp;
  k.convert = &SK::convert;
  k.sigmoid = &GK::sigmoid;
  k.log_sigmoid = &GK::log_sigmoid;
  k.bce = &GK::bce;
  k.outside_unit = &GK::outside_unit;
  k.argmax = &DK::argmax;
  k.pass_index = &DK::pass_index;
  k.sum_ge = &SelectKernels<V>::sum_ge;
  k.group_floor = &DK::group_floor;
  k.block_max = &DK::block_max;
  return k;
}

template <class VF, class VD>
KernelTable make_table(const char* name) {
  return KernelTable{name,
                     make_kernels<VF>(),
                     make_kernels<VD>(),
                     make_kernels<VF, float, F16>(),
                     make_kernels<VF, float, BF16>(),
                     make_kernels<VF, F16, float>(),
                     make_kernels<VF, F16, F16>(),
                     make_kernels<VF, F16, BF16>(),
                     make_kernels<VF, BF16, float>(),
                     make_kernels<VF, BF16, F16>(),
                     make_kernels<VF, BF16, BF16>()};
}

}  // namespace logitkit
