// AVX2 + FMA kernels (8 floats / 4 doubles per register). Built with -mavx2 -mfma; only called after
// dispatch.cc has seen AVX2 and FMA in CPUID and the YMM state enabled in XCR0.
#include <immintrin.h>

#include "../kernels/compensated_sum.h"
#include "../kernels/instantiate.h"

namespace logitkit {
namespace isa_avx2 {

struct F32 {
  using T = float;
  static constexpr bool kFastFma = true;  // exp.h: rounding by one fma
  using R = __m256;
  static constexpr size_t N = 8;

  static __m256i tail_mask(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static R set1(T v) { return _mm256_set1_ps(v); }
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, R v) { _mm256_storeu_ps(p, v); }
  static void stream(T* p, R v) { _mm256_stream_ps(p, v); }
  static void stream_fence() { _mm_sfence(); }
  static R load_tail(const T* p, size_t n, T fill) {
    const __m256i m = tail_mask(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void store_tail(T* p, R v, size_t n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
  // half precision (half.h): float16 by F16C's vcvtph2ps / vcvtps2ph (round to nearest even,
  // subnormals kept; dispatch.cc requires F16C for this path), bfloat16 by a 16-bit shift in and
  // an integer round to nearest even out
  static __m128i ld16(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
  static void st16(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
  static R load_h(const F16* p) { return _mm256_cvtph_ps(ld16(p)); }
  static R load_h(const BF16* p) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(ld16(p)), 16)); }
  static __m128i bits16(const F16*, R v) { return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static __m128i bits16(const BF16*, R v) {
    const __m256i u = _mm256_castps_si256(v), hi = _mm256_srli_epi32(u, 16);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), _mm256_and_si256(hi, _mm256_set1_epi32(1))), 16);
    const __m256i q = _mm256_or_si256(hi, _mm256_set1_epi32(0x40));  // NaN: quiet
    r = _mm256_blendv_epi8(r, q, _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
    // 32 -> 16 bits: packus works within 128-bit halves, the permute joins them
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08));
  }
  template <class H>
  static void store_h(H* p, R v) { st16(p, bits16(p, v)); }
  // p aligned to 16 bytes (lanes.h store_each)
  template <class H>
  static void stream_h(H* p, R v) { _mm_stream_si128(reinterpret_cast<__m128i*>(p), bits16(p, v)); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R div(R a, R b) { return _mm256_div_ps(a, b); }
  // 12-bit estimate, one Newton step: ~2^-22 relative (sigmoid.h)
  static R recip(R d) {
    const R r = _mm256_rcp_ps(d);
    return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(1.0f)), r);
  }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R fms(R a, R b, R c) { return _mm256_fmsub_ps(a, b, c); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }  // b on unordered lanes
  static R keep_if_ge(R a, R b, R x) { return _mm256_and_ps(_mm256_cmp_ps(a, b, _CMP_GE_OQ), x); }
  static R select_ge(R a, R b, R x, R y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GE_OQ)); }
  static unsigned mask_ge(R a, R b) { return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GE_OQ))); }
  static unsigned mask_gt(R a, R b) { return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GT_OQ))); }
  static unsigned mask_unord(R a, R b) { return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q))); }
  static R round(R r) { return _mm256_round_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // p * 2^(k + 64) * 2^-64: the first factor is a normal float for k in [-190, 63], so the first
  // product is exact and only the second rounds (once, also to a subnormal): the correctly rounded
  // p * 2^k, in five operations instead of the nine of two half-exponent factors.
  static R ldexp(R p, R k) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127 + 64));
    const R f = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, f), _mm256_set1_ps(0x1p-64f));
  }
  // ldexp of p, or of +0 where k <= z (ordered: a NaN k keeps p): 0 * 2^k never underflows
  static R ldexp_or_zero(R p, R k, R z) { return ldexp(_mm256_andnot_ps(_mm256_cmp_ps(k, z, _CMP_LE_OQ), p), k); }
  static T hmax(R v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }
  struct Acc {
    __m256d lo, hi;  // lanes 0-3 and 4-7 in binary64
  };
  static Acc acc_zero() { return Acc{_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  static void acc_add(Acc& a, R v) {
    a.lo = _mm256_add_pd(a.lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    a.hi = _mm256_add_pd(a.hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  static void acc_add_prod(Acc& a, R x, R y) {
    a.lo = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_cvtps_pd(_mm256_castps256_ps128(y)), a.lo);
    a.hi = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(y, 1)), a.hi);
  }
  static void acc_lanes(const Acc& a, double* hi, double* lo) {
    _mm256_storeu_pd(hi, a.lo);
    _mm256_storeu_pd(hi + 4, a.hi);
    for (size_t j = 0; j < N; ++j) lo[j] = 0.0;
  }
  static DD acc_total(const Acc& a) {
    double h[N], l[N];
    acc_lanes(a, h, l);
    return DD{((h[0] + h[4]) + (h[1] + h[5])) + ((h[2] + h[6]) + (h[3] + h[7])), 0.0};
  }
  // dd_recip and the split to float of lanes.h, four lanes at a time
  static void recip4(__m256d s, __m128& h, __m128& l) {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d q = _mm256_div_pd(one, s);
    const __m256d lo = _mm256_mul_pd(q, _mm256_fnmadd_pd(s, q, one));
    h = _mm256_cvtpd_ps(q);
    l = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_sub_pd(q, _mm256_cvtps_pd(h)), lo));
  }
  static void acc_recip(const Acc& a, R& hi, R& lo) {
    __m128 h0, l0, h1, l1;
    recip4(a.lo, h0, l0);
    recip4(a.hi, h1, l1);
    hi = _mm256_set_m128(h1, h0);
    lo = _mm256_set_m128(l1, l0);
  }
  static void acc_log(const Acc& a, R& hi, R& lo);  // after F64Ops, whose log it uses
  // Tiles of 8 rows of C <= 16 floats as C registers, one class per register (lanes.h): loads by
  // gather (lane j reads x[j*C + c]), stores through a buffer. The fallback CopyTile wrote the
  // tile element by element and read it back as vectors, a store-forwarding stall per register.
  struct RowTile {
    size_t C;
    __m256i idx;  // j * C
    explicit RowTile(size_t c)
        : C(c), idx(_mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(c)))) {}
    template <size_t kMax>
    void load(const T* x, size_t nl, T fill, R* v) const {
      if (nl == N) {
        for_each_below<kMax>(C, [&](size_t c) { v[c] = _mm256_i32gather_ps(x + c, idx, 4); });
      } else {  // lanes past nl read nothing
        const R m = _mm256_castsi256_ps(tail_mask(nl)), f = _mm256_set1_ps(fill);
        for_each_below<kMax>(C, [&](size_t c) { v[c] = _mm256_mask_i32gather_ps(f, x + c, idx, m, 4); });
      }
    }
    template <size_t kMax>
    void store(T* y, size_t nl, const R* v) const {
      alignas(32) T t[N];
      for_each_below<kMax>(C, [&](size_t c) {
        _mm256_store_ps(t, v[c]);
        for (size_t j = 0; j < nl; ++j) y[j * C + c] = t[j];
      });
    }
  };
};

struct F64Ops {
  using T = double;
  static constexpr bool kFastFma = true;
  using R = __m256d;
  static constexpr size_t N = 4;

  static __m256i tail_mask(size_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(n)), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static R set1(T v) { return _mm256_set1_pd(v); }
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, R v) { _mm256_storeu_pd(p, v); }
  static void stream(T* p, R v) { _mm256_stream_pd(p, v); }
  static void stream_fence() { _mm_sfence(); }
  static R load_tail(const T* p, size_t n, T fill) {
    const __m256i m = tail_mask(n);
    return _mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, m), _mm256_castsi256_pd(m));
  }
  static void store_tail(T* p, R v, size_t n) { _mm256_maskstore_pd(p, tail_mask(n), v); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static R sub(R a, R b) { return _mm256_sub_pd(a, b); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R div(R a, R b) { return _mm256_div_pd(a, b); }
  // floor(log2 x) for positive normal x: the biased exponent field through 2^52 + field
  static R exponent(R x) {
    const __m256i field = _mm256_srli_epi64(_mm256_and_si256(_mm256_castpd_si256(x), _mm256_set1_epi64x(0x7ff0000000000000)), 52);
    const R big = _mm256_castsi256_pd(_mm256_or_si256(field, _mm256_castpd_si256(_mm256_set1_pd(4503599627370496.0))));
    return _mm256_sub_pd(big, _mm256_set1_pd(4503599627370496.0 + 1023.0));
  }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R fms(R a, R b, R c) { return _mm256_fmsub_pd(a, b, c); }
  static R max(R a, R b) { return _mm256_max_pd(a, b); }
  static R keep_if_ge(R a, R b, R x) { return _mm256_and_pd(_mm256_cmp_pd(a, b, _CMP_GE_OQ), x); }
  static R select_ge(R a, R b, R x, R y) { return _mm256_blendv_pd(y, x, _mm256_cmp_pd(a, b, _CMP_GE_OQ)); }
  static unsigned mask_ge(R a, R b) { return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_GE_OQ))); }
  static unsigned mask_gt(R a, R b) { return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_GT_OQ))); }
  static unsigned mask_unord(R a, R b) { return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_UNORD_Q))); }
  static R round(R r) { return _mm256_round_pd(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // as for float: p * 2^(k + 600) is exact for k in [-1622, 423], then * 2^-600 rounds once
  static R ldexp(R p, R k) {
    const __m256i e = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k)), _mm256_set1_epi64x(1023 + 600));
    const R f = _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
    return _mm256_mul_pd(_mm256_mul_pd(p, f), _mm256_set1_pd(0x1p-600));
  }
  static R ldexp_or_zero(R p, R k, R z) { return ldexp(_mm256_andnot_pd(_mm256_cmp_pd(k, z, _CMP_LE_OQ), p), k); }
  static T hmax(R v) {
    __m128d m = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    m = _mm_max_sd(m, _mm_unpackhi_pd(m, m));
    return _mm_cvtsd_f64(m);
  }
};

// Sums of double data: compensated, from the shared accumulator.
struct F64 : F64Ops, CompensatedSum<F64Ops> {};

// log.h on each half of the binary64 lane sums, split to float as hi + lo
void F32::acc_log(const Acc& a, R& hi, R& lo) {
  const __m256d zero = _mm256_setzero_pd();
  __m256d h[2], l[2];
  VecLog<F64Ops>::log_dd(a.lo, zero, h[0], l[0]);
  VecLog<F64Ops>::log_dd(a.hi, zero, h[1], l[1]);
  __m128 fh[2], fl[2];
  for (int i = 0; i < 2; ++i) {
    fh[i] = _mm256_cvtpd_ps(h[i]);
    fl[i] = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_sub_pd(h[i], _mm256_cvtps_pd(fh[i])), l[i]));
  }
  hi = _mm256_set_m128(fh[1], fh[0]);
  lo = _mm256_set_m128(fl[1], fl[0]);
}

}  // namespace isa_avx2

const KernelTable* avx2_table() {
  static const KernelTable table = make_table<isa_avx2::F32, isa_avx2::F64>("avx2");
  return &table;
}

}  // namespace logitkit
