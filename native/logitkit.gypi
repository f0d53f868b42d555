# The addon's gyp targets, included by the repository's top-level binding.gyp (and, in an installed
# package, which ships no binding.gyp at its root, by the one `npx logitkit build` writes for the
# length of a build). Source lists and per-ISA flags: native/sources.gypi, which CMakeLists.txt
# reads too. Each SIMD instruction set is a static library of its own so that only its file gets the
# -m flags; the addon itself runs on any CPU of its architecture.
{
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["<@(logitkit_cflags)", "-std=c++17", "-fexceptions"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
  },
  "targets": [
    {
      "target_name": "logitkit",
      "sources": ["<@(logitkit_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["LOGITKIT_VERSION=\"<!(node -p \"require('./package.json').version\")\""],
      "cflags_cc": ["-fvisibility=hidden"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["logitkit_avx2", "logitkit_avx512", "logitkit_avx512bf16"]}],
        ["target_arch=='arm64'", {"dependencies": ["logitkit_neon"]}],
        ["OS=='linux'", {
          "sources": ["<@(logitkit_linux_sources)"],
          "ldflags": ["<@(logitkit_linux_ldflags)", "-Wl,--version-script=<(module_root_dir)/native/exports.map"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "logitkit_avx2",
          "type": "static_library",
          "sources": ["<@(logitkit_avx2_sources)"],
          "cflags_cc": ["<@(logitkit_avx2_flags)", "-fvisibility=hidden", "-fPIC"]
        },
        {
          "target_name": "logitkit_avx512",
          "type": "static_library",
          "sources": ["<@(logitkit_avx512_sources)"],
          "cflags_cc": ["<@(logitkit_avx512_flags)", "-fvisibility=hidden", "-fPIC"]
        },
        {
          "target_name": "logitkit_avx512bf16",
          "type": "static_library",
          "sources": ["<@(logitkit_avx512bf16_sources)"],
          "cflags_cc": ["<@(logitkit_avx512bf16_flags)", "-fvisibility=hidden", "-fPIC"]
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "logitkit_neon",
          "type": "static_library",
          "sources": ["<@(logitkit_neon_sources)"],
          "cflags_cc": ["<@(logitkit_neon_flags)", "-fvisibility=hidden", "-fPIC"]
        }
      ]
    }]
  ]
}
