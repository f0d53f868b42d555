// NEON (AArch64 Advanced SIMD) kernels: 4 floats / 2 doubles per register. Advanced SIMD is part of
// every AArch64 CPU, so no runtime check is needed. NEON has no masked loads: tails go through a
// small buffer on the stack (BufferedTail).
#include <arm_neon.h>

#include "../kernels/buffered_tail.h"
#include "../kernels/compensated_sum.h"
#include "../kernels/instantiate.h"

namespace logitkit {
namespace isa_neon {

struct F32Ops {
  using T = float;
  using R = float32x4_t;
  static constexpr size_t N = 4;

  static R set1(T v) { return vdupq_n_f32(v); }
  static R load(const T* p) { return vld1q_f32(p); }
  static void store(T* p, R v) { vst1q_f32(p, v); }
  // half precision (half.h): float16 by fcvtl / fcvtn (round to nearest even, subnormals kept),
  // bfloat16 by a 16-bit shift in and an integer round to nearest even out
  static const uint16_t* u16(const void* p) { return static_cast<const uint16_t*>(p); }
  static uint16_t* u16(void* p) { return static_cast<uint16_t*>(p); }
  static R load_h(const F16* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(u16(p)))); }
  static R load_h(const BF16* p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(u16(p)), 16)); }
  static void store_h(F16* p, R v) { vst1_u16(u16(p), vreinterpret_u16_f16(vcvt_f16_f32(v))); }
  static void store_h(BF16* p, R v) {
    const uint32x4_t u = vreinterpretq_u32_f32(v), hi = vshrq_n_u32(u, 16);
    const uint32x4_t r = vshrq_n_u32(vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7fff)), vandq_u32(hi, vdupq_n_u32(1))), 16);
    const uint32x4_t q = vorrq_u32(hi, vdupq_n_u32(0x40));  // NaN: quiet
    vst1_u16(u16(p), vmovn_u32(vbslq_u32(vceqq_f32(v, v), r, q)));
  }
  static R add(R a, R b) { return vaddq_f32(a, b); }
  static R sub(R a, R b) { return vsubq_f32(a, b); }
  static R mul(R a, R b) { return vmulq_f32(a, b); }
  static R div(R a, R b) { return vdivq_f32(a, b); }
  // 8-bit estimate, two Newton steps: ~2^-22 relative (sigmoid.h)
  static R recip(R d) {
    R r = vrecpeq_f32(d);
    r = vmulq_f32(r, vrecpsq_f32(d, r));
    return vmulq_f32(r, vrecpsq_f32(d, r));
  }
  static R fma(R a, R b, R c) { return vfmaq_f32(c, a, b); }
  static R fms(R a, R b, R c) { return vnegq_f32(vfmsq_f32(c, a, b)); }
  static R max(R a, R b) { return vmaxq_f32(a, b); }  // NaN if either is NaN
  static R keep_if_ge(R a, R b, R x) {
    return vreinterpretq_f32_u32(vandq_u32(vcgeq_f32(a, b), vreinterpretq_u32_f32(x)));
  }
  static R select_ge(R a, R b, R x, R y) { return vbslq_f32(vcgeq_f32(a, b), x, y); }
  // lane j's comparison as bit j
  static unsigned bits(uint32x4_t m) {
    const uint32x4_t w = {1u, 2u, 4u, 8u};
    return vaddvq_u32(vandq_u32(m, w));
  }
  static unsigned mask_ge(R a, R b) { return bits(vcgeq_f32(a, b)); }
  static unsigned mask_gt(R a, R b) { return bits(vcgtq_f32(a, b)); }
  static unsigned mask_unord(R a, R b) { return bits(vmvnq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)))); }
  static R round(R r) { return vrndnq_f32(r); }
  static R ldexp(R p, R k) {
    const int32x4_t ki = vcvtq_s32_f32(k);
    const int32x4_t k1 = vshrq_n_s32(ki, 1), k2 = vsubq_s32(ki, k1);
    const int32x4_t bias = vdupq_n_s32(127);
    const R f1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k1, bias), 23));
    const R f2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k2, bias), 23));
    return vmulq_f32(vmulq_f32(p, f2), f1);
  }
  static T hmax(R v) { return vmaxvq_f32(v); }
};

struct F32 : F32Ops, BufferedTail<F32Ops> {
  struct Acc {
    float64x2_t lo, hi;  // lanes 0-1 and 2-3 in binary64
  };
  static Acc acc_zero() { return Acc{vdupq_n_f64(0.0), vdupq_n_f64(0.0)}; }
  static void acc_add(Acc& a, R v) {
    a.lo = vaddq_f64(a.lo, vcvt_f64_f32(vget_low_f32(v)));
    a.hi = vaddq_f64(a.hi, vcvt_high_f64_f32(v));
  }
  static void acc_add_prod(Acc& a, R x, R y) {
    a.lo = vfmaq_f64(a.lo, vcvt_f64_f32(vget_low_f32(x)), vcvt_f64_f32(vget_low_f32(y)));
    a.hi = vfmaq_f64(a.hi, vcvt_high_f64_f32(x), vcvt_high_f64_f32(y));
  }
  static void acc_lanes(const Acc& a, double* hi, double* lo) {
    vst1q_f64(hi, a.lo);
    vst1q_f64(hi + 2, a.hi);
    for (size_t j = 0; j < N; ++j) lo[j] = 0.0;
  }
  static DD acc_total(const Acc& a) {
    double h[N], l[N];
    acc_lanes(a, h, l);
    return DD{(h[0] + h[2]) + (h[1] + h[3]), 0.0};
  }
};

struct F64Ops {
  using T = double;
  using R = float64x2_t;
  static constexpr size_t N = 2;

  static R set1(T v) { return vdupq_n_f64(v); }
  static R load(const T* p) { return vld1q_f64(p); }
  static void store(T* p, R v) { vst1q_f64(p, v); }
  static R add(R a, R b) { return vaddq_f64(a, b); }
  static R sub(R a, R b) { return vsubq_f64(a, b); }
  static R mul(R a, R b) { return vmulq_f64(a, b); }
  static R div(R a, R b) { return vdivq_f64(a, b); }
  // floor(log2 x) for positive normal x: the biased exponent field
  static R exponent(R x) {
    const int64x2_t field = vreinterpretq_s64_u64(vshrq_n_u64(vandq_u64(vreinterpretq_u64_f64(x), vdupq_n_u64(0x7ff0000000000000ull)), 52));
    return vsubq_f64(vcvtq_f64_s64(field), vdupq_n_f64(1023.0));
  }
  static R fma(R a, R b, R c) { return vfmaq_f64(c, a, b); }
  static R fms(R a, R b, R c) { return vnegq_f64(vfmsq_f64(c, a, b)); }
  static R max(R a, R b) { return vmaxq_f64(a, b); }
  static R keep_if_ge(R a, R b, R x) {
    return vreinterpretq_f64_u64(vandq_u64(vcgeq_f64(a, b), vreinterpretq_u64_f64(x)));
  }
  static R select_ge(R a, R b, R x, R y) { return vbslq_f64(vcgeq_f64(a, b), x, y); }
  static unsigned bits(uint64x2_t m) {
    const uint64x2_t w = {1u, 2u};
    return static_cast<unsigned>(vaddvq_u64(vandq_u64(m, w)));
  }
  static unsigned mask_ge(R a, R b) { return bits(vcgeq_f64(a, b)); }
  static unsigned mask_gt(R a, R b) { return bits(vcgtq_f64(a, b)); }
  static unsigned mask_unord(R a, R b) {
    return bits(vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(vandq_u64(vceqq_f64(a, a), vceqq_f64(b, b))))));
  }
  static R round(R r) { return vrndnq_f64(r); }
  static R ldexp(R p, R k) {
    const int64x2_t ki = vcvtq_s64_f64(k);
    const int64x2_t k1 = vshrq_n_s64(ki, 1), k2 = vsubq_s64(ki, k1);
    const int64x2_t bias = vdupq_n_s64(1023);
    const R f1 = vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(k1, bias), 52));
    const R f2 = vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(k2, bias), 52));
    return vmulq_f64(vmulq_f64(p, f2), f1);
  }
  static T hmax(R v) { return vmaxvq_f64(v); }
};

// Sums of double data: compensated, from the shared accumulator.
struct F64 : F64Ops, CompensatedSum<F64Ops>, BufferedTail<F64Ops> {};

}  // namespace isa_neon

const KernelTable* neon_table() {
  static const KernelTable table = make_table<isa_neon::F32, isa_neon::F64>("neon");
  return &table;
}

}  // namespace logitkit
