#!/usr/bin/env bash
# `npm run test:valgrind`: the reduced suite test/memcheck/suite.cjs under valgrind memcheck, once
# per SIMD path valgrind can run (it does not emulate AVX-512, so the CPU it presents offers avx2
# and scalar). Fails on any memcheck error or definite leak. The only suppression
# (test/memcheck/node.supp) is V8's conservative stack scan inside node itself.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
# The two paths run side by side, each to its own log, printed in order: valgrind runs a process's
# threads one at a time, so one run keeps one core busy.
mkdir -p build-valgrind
pids=()
for isa in avx2 scalar; do
  (LOGITKIT_ISA=$isa LOGITKIT_SMALL_CALLS=native valgrind --quiet --error-exitcode=99 --smc-check=all-non-file \
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions=test/memcheck/node.supp \
    node test/memcheck/suite.cjs >"build-valgrind/$isa.log" 2>&1) &
  pids+=("$!")
done
status=0
i=0
for isa in avx2 scalar; do
  wait "${pids[$i]}" || status=1
  echo "::: valgrind memcheck, LOGITKIT_ISA=$isa"
  cat "build-valgrind/$isa.log"
  i=$((i + 1))
done
exit $status
