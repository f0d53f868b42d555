// Fills a KernelTable from a pair of vector-traits structs (float, double). Included only by the
// native/isa/*.cc files, each compiled with its own instruction-set flags.
#pragma once

#include "cross_entropy.h"
#include "select.h"
#include "sigmoid.h"
#include "softmax.h"
#include "table.h"

namespace logitkit {

template <class V>
Kernels<typename V::T> make_kernels() {
  using SK = SoftmaxKernels<V>;
  using CK = CrossEntropyKernels<V>;
  Kernels<typename V::T> k{};
  k.lanes = V::N;
  k.softmax_rows = &SK::rows;
  k.softmax_cols = &SK::cols;
  k.cross_entropy_rows = &CK::rows;
  k.max = &SK::max;
  k.expsum = &SK::expsum;
  k.scale = &SK::scale;
  k.expscale = &SK::expscale;
  k.logwrite = &SK::logwrite;
  k.dot = &CK::dot;
  k.ce_stats = &CK::stats;
  k.grad = &CK::grad;
  k.exp = &SK::exp;
  k.sigmoid = &SigmoidKernels<V>::sigmoid;
  k.log_sigmoid = &SigmoidKernels<V>::log_sigmoid;
  k.bce = &SigmoidKernels<V>::bce;
  k.outside_unit = &SigmoidKernels<V>::outside_unit;
  k.argmax = &SelectKernels<V>::argmax;
  k.pass_index = &SelectKernels<V>::pass_index;
  k.sum_ge = &SelectKernels<V>::sum_ge;
  k.group_floor = &SelectKernels<V>::group_floor;
  k.block_max = &SelectKernels<V>::block_max;
  return k;
}

template <class VF, class VD>
KernelTable make_table(const char* name) {
  return KernelTable{name, make_kernels<VF>(), make_kernels<VD>()};
}

}  // namespace logitkit
