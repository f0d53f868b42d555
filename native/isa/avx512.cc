// AVX-512 kernels (traits: avx512_traits.h). Built with -mavx512f -mavx512bw -mavx512dq
// -mavx512vl -mfma; only called after dispatch.cc has seen those in CPUID and the opmask/ZMM state
// enabled in XCR0.
#define LOGITKIT_AVX512_NS isa_avx512
#include "avx512_traits.h"

namespace logitkit {

const KernelTable* avx512_table() {
  static const KernelTable table = make_table<isa_avx512::F32, isa_avx512::F64>("avx512");
  return &table;
}

}  // namespace logitkit
