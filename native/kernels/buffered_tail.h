// Partial loads and stores through a small stack buffer, for instruction sets without masked memory
// operations (NEON): the first n < N elements are copied, so memory past them is never touched.
// Traits get load_tail and store_tail by deriving from BufferedTail<Ops>.
#pragma once

#include <cstring>

#include "common.h"

namespace logitkit {

template <class Ops>
struct BufferedTail {
  using Elem = typename Ops::T;  // not "T"/"R": the traits derive from both, names stay unambiguous
  using Reg = typename Ops::R;
  static Reg load_tail(const Elem* p, size_t n, Elem fill) {
    Elem buf[Ops::N];
    for (size_t j = 0; j < Ops::N; ++j) buf[j] = fill;
    std::memcpy(buf, p, n * sizeof(Elem));
    return Ops::load(buf);
  }
  static void store_tail(Elem* p, Reg v, size_t n) {
    Elem buf[Ops::N];
    Ops::store(buf, v);
    std::memcpy(p, buf, n * sizeof(Elem));
  }
};

}  // namespace logitkit
