#!/usr/bin/env bash
# `npm run test:sanitize`: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMakeLists.txt, LOGITKIT_SANITIZE=ON, into build-asan/) and runs the whole vitest suite against
# it on every SIMD path, with the ASan runtime preloaded into node. Any report fails the run: UBSan
# is built with -fno-sanitize-recover, ASan aborts on its first error. Leak detection is off
# because node itself does not free everything at exit. The load tests run reduced counts here
# (LOGITKIT_TEST_REDUCED); `npm test` runs them in full.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js build --out build-asan --parallel "$(node -p "require('os').availableParallelism()")" --CDLOGITKIT_SANITIZE=ON >build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
ASAN_LIB="$(${CXX:-g++} -print-file-name=libasan.so)"
[ -f "$ASAN_LIB" ] || { echo "no libasan.so from ${CXX:-g++}"; exit 1; }
LD_PRELOAD="$ASAN_LIB" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
LOGITKIT_ADDON="$PWD/build-asan/Release/logitkit.node" \
LOGITKIT_TEST_REDUCED=1 \
  node scripts/test.mjs "$@"
