{
  "variables": {
    "logitkit_sources": [
      "native/addon/addon.cc",
      "native/addon/args.cc",
      "native/addon/sigmoid.cc",
      "native/addon/decide.cc",
      "native/dispatch.cc",
      "native/threadpool.cc",
      "native/ops/softmax.cc",
      "native/ops/cross_entropy.cc",
      "native/ops/sigmoid.cc",
      "native/ops/decide.cc",
      "native/isa/scalar.cc"
    ],
    "logitkit_cflags": [
      "-O3",
      "-ffp-contract=off",
      "-fno-strict-aliasing",
      "-Wall",
      "-Wextra"
    ],
    "logitkit_linux_sources": [
      "native/compat/linux.cc"
    ],
    "logitkit_linux_ldflags": [
      "-Wl,-z,nodelete",
      "-Wl,--wrap=exp",
      "-Wl,--wrap=log",
      "-Wl,--wrap=_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE"
    ],
    "logitkit_avx2_sources": [
      "native/isa/avx2.cc"
    ],
    "logitkit_avx2_flags": [
      "-mavx2",
      "-mfma",
      "-mf16c"
    ],
    "logitkit_avx512_sources": [
      "native/isa/avx512.cc"
    ],
    "logitkit_avx512_flags": [
      "-mavx512f",
      "-mavx512bw",
      "-mavx512dq",
      "-mavx512vl",
      "-mavx2",
      "-mfma",
      "-mf16c"
    ],
    "logitkit_avx512bf16_sources": [
      "native/isa/avx512bf16.cc"
    ],
    "logitkit_avx512bf16_flags": [
      "-mavx512f",
      "-mavx512bw",
      "-mavx512dq",
      "-mavx512vl",
      "-mavx512bf16",
      "-mavx2",
      "-mfma",
      "-mf16c"
    ],
    "logitkit_neon_sources": [
      "native/isa/neon.cc"
    ],
    "logitkit_neon_flags": []
  }
}
