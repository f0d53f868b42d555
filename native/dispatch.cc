#include "dispatch.h"

#include <cstdlib>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define LOGITKIT_X64 1
#endif

namespace logitkit {

// Defined in native/isa/*.cc; only the files for the target architecture are built.
const KernelTable* scalar_table();
#if defined(LOGITKIT_X64)
const KernelTable* avx2_table();
const KernelTable* avx512_table();
const KernelTable* avx512bf16_table();
#endif
#if defined(__aarch64__)
const KernelTable* neon_table();
#endif

namespace {

#if defined(LOGITKIT_X64)
struct X86Features {
  bool avx2_fma = false;
  bool avx512 = false;  // F + BW + DQ + VL
  bool avx512_bf16 = false;
};

uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// CPUID says what the core implements; XGETBV says whether the OS saves the wider registers on a
// context switch. Both are needed: a kernel (or hypervisor) may leave AVX-512 state disabled.
X86Features detect_x86() {
  X86Features f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12), f16c = c & (1u << 29);
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = xgetbv0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
  const bool zmm_state = (xcr0 & 0xE0) == 0xE0;   // opmask, ZMM0-15 upper halves, ZMM16-31
  if (!ymm_state || __get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = b & (1u << 5);
  const bool f512 = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  f.avx2_fma = avx2 && fma && f16c;  // F16C: the float16 conversions (every AVX2 CPU has it)
  f.avx512 = f.avx2_fma && zmm_state && f512 && dq && bw && vl;
  if (f.avx512 && a >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512_bf16 = a & (1u << 5);
  }
  return f;
}
#endif

struct Entry {
  const char* name;
  const KernelTable* (*table)();
  const char* feature;  // an optional instruction set the table uses on top of `name`'s, or null
};

// Supported ISAs, best first.
std::vector<Entry> detect() {
  std::vector<Entry> list;
#if defined(LOGITKIT_X64)
  const X86Features f = detect_x86();
  // AVX512-BF16 for bfloat16 outputs (avx512bf16.cc) unless LOGITKIT_AVX512BF16=0, which tests the
  // integer rounding on the CPUs that have it
  const char* bf16 = std::getenv("LOGITKIT_AVX512BF16");
  if (f.avx512 && f.avx512_bf16 && !(bf16 && std::string(bf16) == "0")) list.push_back({"avx512", avx512bf16_table, "avx512bf16"});
  else if (f.avx512) list.push_back({"avx512", avx512_table, nullptr});
  if (f.avx2_fma) list.push_back({"avx2", avx2_table, nullptr});
#endif
#if defined(__aarch64__)
  list.push_back({"neon", neon_table, nullptr});  // Advanced SIMD is part of every AArch64 CPU
#endif
  list.push_back({"scalar", scalar_table, nullptr});
  return list;
}

Dispatch make_dispatch() {
  Dispatch d;
  const std::vector<Entry> list = detect();
  for (const Entry& e : list) d.supported.push_back(e.name);
  const char* forced = std::getenv("LOGITKIT_ISA");
  for (const Entry& e : list) {
    if (forced == nullptr || *forced == '\0' || e.name == std::string(forced)) {
      d.active = e.table();
      if (e.feature) d.features.push_back(e.feature);
      return d;
    }
  }
  std::string names;
  for (const Entry& e : list) names += (names.empty() ? "" : ", ") + std::string(e.name);
  const bool known = std::string(forced) == "scalar" || std::string(forced) == "avx2" ||
                     std::string(forced) == "avx512" || std::string(forced) == "neon";
  d.error = std::string("LOGITKIT_ISA=") + forced +
            (known ? " is not supported by this CPU" : " is not a known instruction set") +
            " (supported here: " + names + ")";
  return d;
}

}  // namespace

const Dispatch& dispatch() {
  static const Dispatch d = make_dispatch();
  return d;
}

const KernelTable* table_for(const std::string& name) {
  for (const Entry& e : detect())
    if (name == e.name) return e.table();
  return nullptr;
}

}  // namespace logitkit
