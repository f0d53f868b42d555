// The kernels with bfloat16 outputs again, for AVX-512 CPUs that also have AVX512-BF16 (Intel
// Sapphire Rapids and later, AMD Zen 4 and later): built with -mavx512bf16 on top of avx512.cc's
// flags, so that a register of floats becomes bfloat16 by vcvtneps2bf16 (avx512_traits.h, bits16),
// one instruction where the integer rounding takes about ten. Everything else is avx512.cc's.
// dispatch.cc uses this table on such a CPU unless LOGITKIT_AVX512BF16=0.
#define LOGITKIT_AVX512_NS isa_avx512bf16
#include "avx512_traits.h"

namespace logitkit {

const KernelTable* avx512_table();

const KernelTable* avx512bf16_table() {
  static const KernelTable table = [] {
    using F32 = isa_avx512bf16::F32;
    KernelTable t = *avx512_table();
    t.f32_bf16 = make_kernels<F32, float, BF16>();
    t.f16_bf16 = make_kernels<F32, F16, BF16>();
    t.bf16_bf16 = make_kernels<F32, BF16, BF16>();
    return t;
  }();
  return &table;
}

}  // namespace logitkit
