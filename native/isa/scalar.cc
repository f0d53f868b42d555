// Portable scalar kernels: one lane. Built with the default flags, so it runs on any CPU; it is the
// fallback and the reference point of the SIMD paths.
#include <cmath>
#include <cstring>

#include "../kernels/compensated_sum.h"
#include "../kernels/instantiate.h"

namespace logitkit {
namespace isa_scalar {

template <class TT, class Bits, int kMantBits, int kBias>
struct ScalarBase {
  using T = TT;
  using R = TT;
  static constexpr size_t N = 1;

  static R set1(T v) { return v; }
  static R load(const T* p) { return *p; }
  static void store(T* p, R v) { *p = v; }
  static R load_tail(const T*, size_t, T fill) { return fill; }  // n < N means n == 0
  static void store_tail(T*, R, size_t) {}
  static R add(R a, R b) { return a + b; }
  static R sub(R a, R b) { return a - b; }
  static R mul(R a, R b) { return a * b; }
  static R div(R a, R b) { return a / b; }
  static R max(R a, R b) { return a > b ? a : b; }
  static R keep_if_ge(R a, R b, R x) { return a >= b ? x : T(0); }
  static R select_ge(R a, R b, R x, R y) { return a >= b ? x : y; }
  static unsigned mask_ge(R a, R b) { return a >= b ? 1u : 0u; }
  static unsigned mask_gt(R a, R b) { return a > b ? 1u : 0u; }
  static unsigned mask_unord(R a, R b) { return a != a || b != b ? 1u : 0u; }
  static T hmax(R v) { return v; }
  // Adding and subtracting 1.5 * 2^mant rounds to the nearest integer (ties to even) in the default
  // rounding mode, without a libm call; valid for |r| < 2^(mant-1). -ffp-contract=off and the absence
  // of -ffast-math keep the compiler from folding it.
  static R round(R r) {
    const T magic = T(1.5) * static_cast<T>(Bits(1) << kMantBits);
    return (r + magic) - magic;
  }
  static R pow2(Bits k) {  // 2^k for a normal exponent k
    Bits b = (k + kBias) << kMantBits;
    T f;
    std::memcpy(&f, &b, sizeof f);
    return f;
  }
  // p * 2^k as p * 2^(k - k/2) * 2^(k/2): both factors are normal for k in [-2*bias, 2*bias]; k is
  // clamped to [that, 63] (traits.md)
  static R ldexp(R p, R k) {
    const T lowest = T(-2 * kBias + 4);
    if (!(k >= lowest)) k = lowest;  // also maps NaN (then p is NaN too)
    if (k > T(63)) k = T(63);
    Bits ki = static_cast<Bits>(k);
    Bits k1 = ki / 2;
    return p * pow2(ki - k1) * pow2(k1);
  }
};

struct F32 : ScalarBase<float, int32_t, 23, 127> {
  // half precision: the conversions of half.h
  static R load_h(const F16* p) { return widen(*p); }
  static R load_h(const BF16* p) { return widen(*p); }
  static void store_h(F16* p, R v) { *p = narrow<F16>(v); }
  static void store_h(BF16* p, R v) { *p = narrow<BF16>(v); }
  // Without FMA hardware in the baseline ISA, the fused operation is done in binary64: the product of
  // two floats is exact there, and the sum rounds twice (to 53 then 24 bits), which differs from one
  // rounding only on exact halfway cases.
  static R fma(R a, R b, R c) {
    return static_cast<float>(static_cast<double>(a) * static_cast<double>(b) + static_cast<double>(c));
  }
  static R fms(R a, R b, R c) {
    return static_cast<float>(static_cast<double>(a) * static_cast<double>(b) - static_cast<double>(c));
  }
  using Acc = double;
  static Acc acc_zero() { return 0.0; }
  static void acc_add(Acc& acc, R v) { acc += static_cast<double>(v); }
  static void acc_add_prod(Acc& acc, R a, R b) { acc += static_cast<double>(a) * static_cast<double>(b); }
  static DD acc_total(const Acc& acc) { return DD{acc, 0.0}; }
  static void acc_lanes(const Acc& acc, double* hi, double* lo) {
    hi[0] = acc;
    lo[0] = 0.0;
  }
};

struct F64Ops : ScalarBase<double, int64_t, 52, 1023> {
  static R fma(R a, R b, R c) { return std::fma(a, b, c); }
  static R fms(R a, R b, R c) { return std::fma(a, b, -c); }
  static R exponent(R x) { return x > 0.0 && std::isfinite(x) ? static_cast<R>(std::ilogb(x)) : 0.0; }
};

struct F64 : F64Ops, CompensatedSum<F64Ops> {};

}  // namespace isa_scalar

const KernelTable* scalar_table() {
  static const KernelTable table = make_table<isa_scalar::F32, isa_scalar::F64>("scalar");
  return &table;
}

}  // namespace logitkit
