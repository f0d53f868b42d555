// The AVX-512 vector traits (16 floats / 8 doubles per register, F + BW + DQ + VL), included by
// the translation units that instantiate kernels over them: avx512.cc (every kernel) and
// avx512bf16.cc (the kernels with bfloat16 outputs, built with -mavx512bf16 as well). Each defines
// LOGITKIT_AVX512_NS first, a namespace of its own, so that the two sets of template instances
// never share a name. Tails use masked loads and stores, 2^k uses vscalefps, which also rounds
// subnormal results once.
// GCC 12 warns that the `__Y` temporaries inside its own avx512fintrin.h helpers (the reduce
// intrinsics) "may be used uninitialized": a false positive in the compiler's header, not here.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "../kernels/compensated_sum.h"
#include "../kernels/instantiate.h"

#ifndef LOGITKIT_AVX512_NS
#error "define LOGITKIT_AVX512_NS (the namespace of this unit's traits) before including avx512_traits.h"
#endif

namespace logitkit {
namespace LOGITKIT_AVX512_NS {

struct F32 {
  using T = float;
  static constexpr bool kFastFma = true;  // exp.h: rounding by one fma
  static constexpr bool kTable16 = true;  // exp.h: the table-driven exponential (permute16, ldexp = vscalefps)
  using R = __m512;
  static constexpr size_t N = 16;

  static __mmask16 tail_mask(size_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static R set1(T v) { return _mm512_set1_ps(v); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, R v) { _mm512_storeu_ps(p, v); }
  static void stream(T* p, R v) { _mm512_stream_ps(p, v); }
  static void stream_fence() { _mm_sfence(); }
  static R load_tail(const T* p, size_t n, T fill) { return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail_mask(n), p); }
  static void store_tail(T* p, R v, size_t n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
  // half precision (half.h): float16 by vcvtph2ps / vcvtps2ph (round to nearest even, subnormals
  // kept), bfloat16 by a 16-bit shift in and an integer round to nearest even out. Built with
  // AVX512-BF16 (avx512bf16.cc), a register out goes through vcvtneps2bf16 instead, whose rounding
  // is that integer one for every float but the subnormals, which it flushes to zero: a register
  // holding one (vfpclassps, rare: softmax outputs below 2^-126) takes the integer path.
  static __m256i ld16(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static void st16(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
  static R load_h(const F16* p) { return _mm512_cvtph_ps(ld16(p)); }
  static R load_h(const BF16* p) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(ld16(p)), 16)); }
  static __m256i bits16(const F16*, R v) { return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static __m256i bits16(const BF16*, R v) {
#if defined(__AVX512BF16__)
    if (!_mm512_fpclass_ps_mask(v, 0x20)) return reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(v));  // 0x20: subnormal
#endif
    const __m512i u = _mm512_castps_si512(v), hi = _mm512_srli_epi32(u, 16);
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), _mm512_and_si512(hi, _mm512_set1_epi32(1))), 16);
    const __m512i q = _mm512_or_si512(hi, _mm512_set1_epi32(0x40));  // NaN: quiet
    return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), q));
  }
  template <class H>
  static void store_h(H* p, R v) { st16(p, bits16(p, v)); }
  // p aligned to 32 bytes (lanes.h store_each)
  template <class H>
  static void stream_h(H* p, R v) { _mm256_stream_si256(reinterpret_cast<__m256i*>(p), bits16(p, v)); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }
  // 14-bit estimate, one Newton step: ~2^-26 relative (sigmoid.h)
  static R recip(R d) {
    const R r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
  }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R fms(R a, R b, R c) { return _mm512_fmsub_ps(a, b, c); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }  // b on unordered lanes
  static R keep_if_ge(R a, R b, R x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, b, _CMP_GE_OQ), x); }
  static R select_ge(R a, R b, R x, R y) { return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ), x); }
  static unsigned mask_ge(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static unsigned mask_gt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static unsigned mask_unord(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
  static R round(R r) { return _mm512_roundscale_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R ldexp(R p, R k) { return _mm512_scalef_ps(p, k); }  // p * 2^floor(k)
  // p * 2^floor(k) where k > z (or NaN), +0 elsewhere: those lanes are masked off, not computed
  static R ldexp_or_zero(R p, R k, R z) { return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(k, z, _CMP_NLE_UQ), p, k); }
  // table[low four bits of each lane of i]
  static R permute16(R i, const T* table) { return _mm512_permutexvar_ps(_mm512_castps_si512(i), _mm512_load_ps(table)); }
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
  // dd_recip and the split to float of lanes.h, eight lanes at a time
  static void recip8(__m512d s, __m256& h, __m256& l) {
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d q = _mm512_div_pd(one, s);
    const __m512d lo = _mm512_mul_pd(q, _mm512_fnmadd_pd(s, q, one));
    h = _mm512_cvtpd_ps(q);
    l = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_sub_pd(q, _mm512_cvtps_pd(h)), lo));
  }
  static void acc_recip(const Acc& a, R& hi, R& lo) {
    __m256 h0, l0, h1, l1;
    recip8(a.lo, h0, l0);
    recip8(a.hi, h1, l1);
    hi = _mm512_insertf32x8(_mm512_castps256_ps512(h0), h1, 1);
    lo = _mm512_insertf32x8(_mm512_castps256_ps512(l0), l1, 1);
  }
  static void acc_log(const Acc& a, R& hi, R& lo);  // after F64Ops, whose log it uses
  // Tiles of 16 rows of C <= 16 floats held as C registers, one class per register, and back
  // (lanes.h): the tile's C contiguous registers are rearranged with two-register permutes
  // (vpermt2ps reads only the low 5 bits of an index, so position p of the tile is index p & 31 of
  // register pair p >> 5), one per pair of registers a result draws from, merged under masks made
  // once per call. Gathers and scatters did the same at several times the cost on Zen 5.
  struct RowTile {
    size_t C, pairs;
    __m512i in_idx[16];   // class c, lane j: tile position j*C + c
    __m512i out_idx[16];  // tile register k, lane p: row j + 16 * (class & 1) of class pair class >> 1
    __mmask16 in_mask[16][8], out_mask[16][8];  // the lanes each pair provides
    explicit RowTile(size_t c) : C(c), pairs((c + 1) / 2) {
      const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const __m512i vC = _mm512_set1_epi32(static_cast<int>(C));
      const __m512i row_of = _mm512_set1_epi32(static_cast<int>((65536 + C - 1) / C));  // p * this >> 16 = p / C for p < 256
      for (size_t k = 0; k < C; ++k) {
        const __m512i pos = _mm512_add_epi32(_mm512_mullo_epi32(iota, vC), _mm512_set1_epi32(static_cast<int>(k)));
        in_idx[k] = pos;
        const __m512i p = _mm512_add_epi32(iota, _mm512_set1_epi32(static_cast<int>(16 * k)));
        const __m512i j = _mm512_srli_epi32(_mm512_mullo_epi32(p, row_of), 16);
        const __m512i cls = _mm512_sub_epi32(p, _mm512_mullo_epi32(j, vC));
        out_idx[k] = _mm512_add_epi32(j, _mm512_slli_epi32(_mm512_and_si512(cls, _mm512_set1_epi32(1)), 4));
        for (size_t i = 0; i < pairs; ++i) {
          const __m512i vi = _mm512_set1_epi32(static_cast<int>(i));
          in_mask[k][i] = _mm512_cmpeq_epi32_mask(_mm512_srli_epi32(pos, 5), vi);
          out_mask[k][i] = _mm512_cmpeq_epi32_mask(_mm512_srli_epi32(cls, 1), vi);
        }
      }
    }
    // lanes from register pair i of r (its last register alone when C is odd)
    R from_pair(const R* r, size_t i, __m512i idx) const {
      return 2 * i + 1 < C ? _mm512_permutex2var_ps(r[2 * i], idx, r[2 * i + 1]) : _mm512_permutexvar_ps(idx, r[2 * i]);
    }
    // kMax >= C bounds the loops (for_each_below)
    template <size_t kMax>
    R gather(const R* r, __m512i idx, const __mmask16* mask) const {
      R acc = from_pair(r, 0, idx);
      for_each_below<(kMax + 1) / 2>(pairs, [&](size_t i) {
        if (i > 0) acc = _mm512_mask_mov_ps(acc, mask[i], from_pair(r, i, idx));
      });
      return acc;
    }
    template <size_t kMax>
    void load(const T* x, size_t nl, T fill, R* v) const {
      R t[kMax];
      const size_t n = nl * C;
      for_each_below<kMax>(C, [&](size_t k) {
        const size_t at = 16 * k, rem = n > at ? n - at : 0;
        t[k] = rem >= 16 ? F32::load(x + at) : load_tail(x + at, rem, fill);
      });
      for_each_below<kMax>(C, [&](size_t c) { v[c] = gather<kMax>(t, in_idx[c], in_mask[c]); });
    }
    template <size_t kMax>
    void store(T* y, size_t nl, const R* v) const {
      const size_t n = nl * C;
      for_each_below<kMax>((n + 15) / 16, [&](size_t k) {
        const R r = gather<kMax>(v, out_idx[k], out_mask[k]);
        const size_t at = 16 * k;
        if (n - at >= 16) F32::store(y + at, r);
        else store_tail(y + at, r, n - at);
      });
    }
  };
};

struct F64Ops {
  using T = double;
  static constexpr bool kFastFma = true;
  using R = __m512d;
  static constexpr size_t N = 8;

  static __mmask8 tail_mask(size_t n) { return static_cast<__mmask8>((1u << n) - 1u); }
  static R set1(T v) { return _mm512_set1_pd(v); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, R v) { _mm512_storeu_pd(p, v); }
  static void stream(T* p, R v) { _mm512_stream_pd(p, v); }
  static void stream_fence() { _mm_sfence(); }
  static R load_tail(const T* p, size_t n, T fill) { return _mm512_mask_loadu_pd(_mm512_set1_pd(fill), tail_mask(n), p); }
  static void store_tail(T* p, R v, size_t n) { _mm512_mask_storeu_pd(p, tail_mask(n), v); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static R sub(R a, R b) { return _mm512_sub_pd(a, b); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R div(R a, R b) { return _mm512_div_pd(a, b); }
  static R exponent(R x) { return _mm512_getexp_pd(x); }  // floor(log2 x)
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R fms(R a, R b, R c) { return _mm512_fmsub_pd(a, b, c); }
  static R max(R a, R b) { return _mm512_max_pd(a, b); }
  static R keep_if_ge(R a, R b, R x) { return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(a, b, _CMP_GE_OQ), x); }
  static R select_ge(R a, R b, R x, R y) { return _mm512_mask_mov_pd(y, _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ), x); }
  static unsigned mask_ge(R a, R b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
  static unsigned mask_gt(R a, R b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
  static unsigned mask_unord(R a, R b) { return _mm512_cmp_pd_mask(a, b, _CMP_UNORD_Q); }
  static R round(R r) { return _mm512_roundscale_pd(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R ldexp(R p, R k) { return _mm512_scalef_pd(p, k); }
  static R ldexp_or_zero(R p, R k, R z) { return _mm512_maskz_scalef_pd(_mm512_cmp_pd_mask(k, z, _CMP_NLE_UQ), p, k); }
  static T hmax(R v) { return _mm512_reduce_max_pd(v); }
};

// Sums of double data: compensated, from the shared accumulator.
struct F64 : F64Ops, CompensatedSum<F64Ops> {};

// log.h on each half of the binary64 lane sums, split to float as hi + lo
inline void F32::acc_log(const Acc& a, R& hi, R& lo) {
  const __m512d zero = _mm512_setzero_pd();
  __m512d h[2], l[2];
  VecLog<F64Ops>::log_dd(a.lo, zero, h[0], l[0]);
  VecLog<F64Ops>::log_dd(a.hi, zero, h[1], l[1]);
  __m256 fh[2], fl[2];
  for (int i = 0; i < 2; ++i) {
    fh[i] = _mm512_cvtpd_ps(h[i]);
    fl[i] = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_sub_pd(h[i], _mm512_cvtps_pd(fh[i])), l[i]));
  }
  hi = _mm512_insertf32x8(_mm512_castps256_ps512(fh[0]), fh[1], 1);
  lo = _mm512_insertf32x8(_mm512_castps256_ps512(fl[0]), fl[1], 1);
}

}  // namespace LOGITKIT_AVX512_NS
}  // namespace logitkit
