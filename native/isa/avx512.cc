// AVX-512 kernels (16 floats / 8 doubles per register, F + BW + DQ + VL). Built with -mavx512f
// -mavx512bw -mavx512dq -mavx512vl -mfma; only called after dispatch.cc has seen those in CPUID and
// the opmask/ZMM state enabled in XCR0. Tails use masked loads and stores, 2^k uses vscalefps,
// which also rounds subnormal results once.
// GCC 12 warns that the `__Y` temporaries inside its own avx512fintrin.h helpers (the reduce
// intrinsics) "may be used uninitialized": a false positive in the compiler's header, not here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "../kernels/compensated_sum.h"
#include "../kernels/instantiate.h"

namespace logitkit {
namespace isa_avx512 {

struct F32 {
  using T = float;
  using R = __m512;
  static constexpr size_t N = 16;

  static __mmask16 tail_mask(size_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static R set1(T v) { return _mm512_set1_ps(v); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, R v) { _mm512_storeu_ps(p, v); }
  static R load_tail(const T* p, size_t n, T fill) { return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail_mask(n), p); }
  static void store_tail(T* p, R v, size_t n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R fms(R a, R b, R c) { return _mm512_fmsub_ps(a, b, c); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }  // b on unordered lanes
  static R keep_if_ge(R a, R b, R x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, b, _CMP_GE_OQ), x); }
  static R round(R r) { return _mm512_roundscale_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R ldexp(R p, R k) { return _mm512_scalef_ps(p, k); }
  static T hmax(R v) { return _mm512_reduce_max_ps(v); }
  struct Acc {
    __m512d lo, hi;  // lanes 0-7 and 8-15 in binary64
  };
  static __m512d lower(R v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
  static __m512d upper(R v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }
  static Acc acc_zero() { return Acc{_mm512_setzero_pd(), _mm512_setzero_pd()}; }
  static void acc_add(Acc& a, R v) {
    a.lo = _mm512_add_pd(a.lo, lower(v));
    a.hi = _mm512_add_pd(a.hi, upper(v));
  }
  static void acc_add_prod(Acc& a, R x, R y) {
    a.lo = _mm512_fmadd_pd(lower(x), lower(y), a.lo);
    a.hi = _mm512_fmadd_pd(upper(x), upper(y), a.hi);
  }
  static void acc_lanes(const Acc& a, double* hi, double* lo) {
    _mm512_storeu_pd(hi, a.lo);
    _mm512_storeu_pd(hi + 8, a.hi);
    for (size_t j = 0; j < N; ++j) lo[j] = 0.0;
  }
  static DD acc_total(const Acc& a) {
    double h[N], l[N];
    acc_lanes(a, h, l);
    double s = 0.0;
    for (size_t j = 0; j < 8; ++j) s += h[j] + h[j + 8];
    return DD{s, 0.0};
  }
};

struct F64Ops {
  using T = double;
  using R = __m512d;
  static constexpr size_t N = 8;

  static __mmask8 tail_mask(size_t n) { return static_cast<__mmask8>((1u << n) - 1u); }
  static R set1(T v) { return _mm512_set1_pd(v); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, R v) { _mm512_storeu_pd(p, v); }
  static R load_tail(const T* p, size_t n, T fill) { return _mm512_mask_loadu_pd(_mm512_set1_pd(fill), tail_mask(n), p); }
  static void store_tail(T* p, R v, size_t n) { _mm512_mask_storeu_pd(p, tail_mask(n), v); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static R sub(R a, R b) { return _mm512_sub_pd(a, b); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R fms(R a, R b, R c) { return _mm512_fmsub_pd(a, b, c); }
  static R max(R a, R b) { return _mm512_max_pd(a, b); }
  static R keep_if_ge(R a, R b, R x) { return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(a, b, _CMP_GE_OQ), x); }
  static R round(R r) { return _mm512_roundscale_pd(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R ldexp(R p, R k) { return _mm512_scalef_pd(p, k); }
  static T hmax(R v) { return _mm512_reduce_max_pd(v); }
};

// Sums of double data: compensated, from the shared accumulator.
struct F64 : F64Ops, CompensatedSum<F64Ops> {};

}  // namespace isa_avx512

const KernelTable* avx512_table() {
  static const KernelTable table = make_table<isa_avx512::F32, isa_avx512::F64>("avx512");
  return &table;
}

}  // namespace logitkit
