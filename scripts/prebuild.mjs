// `npm run prebuild` (and `npm pack`, through prepack): builds the binaries the npm package ships,
// prebuilds/linux-x64/logitkit.node (scalar, avx2, avx512) and prebuilds/linux-arm64/logitkit.node
// (scalar, neon), from this source tree. The architecture of this machine builds natively, the
// other one with Debian's cross compiler (g++-aarch64-linux-gnu on x64; g++-x86-64-linux-gnu on
// arm64). Each builds in its own staged copy under build-prebuild/<arch>/, so build/Release (the
// source build the tests load) is left alone. The binaries are stripped; test/binary.test.ts checks
// their glibc / libstdc++ floors and exported symbols.
//   node scripts/prebuild.mjs [--arch x64,arm64]
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildAddon } from './build-addon.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TRIPLET = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const ELF_MACHINE = { x64: 62, arm64: 183 };
const DEBIAN_PACKAGE = { x64: 'g++-x86-64-linux-gnu', arm64: 'g++-aarch64-linux-gnu' };

const archArg = process.argv.indexOf('--arch');
const arches = archArg > 0 ? process.argv[archArg + 1].split(',') : ['x64', 'arm64'];
if (process.platform !== 'linux') {
  console.error('prebuild: builds the linux binaries, on Linux only');
  process.exit(1);
}

function tool(arch, name) {
  return arch === process.arch ? name : `${TRIPLET[arch]}-${name}`;
}

for (const arch of arches) {
  if (!TRIPLET[arch]) {
    console.error(`prebuild: unknown architecture ${arch} (known: ${Object.keys(TRIPLET).join(', ')})`);
    process.exit(1);
  }
  const cxx = tool(arch, 'g++');
  if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`prebuild: ${cxx} not found; on Debian: apt-get install ${DEBIAN_PACKAGE[arch]} (scripts/arm64-env.sh installs the arm64 one)`);
    process.exit(1);
  }
  const stage = path.join(root, 'build-prebuild', arch);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const f of ['native', 'binding.gyp', 'package.json']) cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));

  const env =
    arch === process.arch
      ? {}
      : { CC: tool(arch, 'gcc'), CXX: cxx, LINK: cxx, AR: tool(arch, 'ar') };
  const logFile = path.join(root, 'build-prebuild', `${arch}.log`);
  const log = openSync(logFile, 'w');
  const t0 = Date.now();
  const status = buildAddon({ dir: stage, arch, env, log });
  closeSync(log);
  if (status !== 0) {
    process.stderr.write(readFileSync(logFile, 'utf8'));
    console.error(`prebuild: the ${arch} build failed (log above, ${logFile})`);
    process.exit(1);
  }
  const built = path.join(stage, 'build', 'Release', 'logitkit.node');
  const machine = readFileSync(built).readUInt16LE(18);
  if (machine !== ELF_MACHINE[arch]) {
    console.error(`prebuild: ${built} is ELF machine ${machine}, not ${arch}`);
    process.exit(1);
  }
  const dest = path.join(root, 'prebuilds', `linux-${arch}`, 'logitkit.node');
  mkdirSync(path.dirname(dest), { recursive: true });
  rmSync(dest, { force: true });
  const strip = spawnSync(tool(arch, 'strip'), ['--strip-unneeded', '-o', dest, built], { stdio: 'inherit' });
  if (strip.status !== 0 || !existsSync(dest)) {
    console.error(`prebuild: ${tool(arch, 'strip')} failed; copying the unstripped binary is not an option (size)`);
    process.exit(1);
  }
  console.log(`prebuild: ${path.relative(root, dest)} (${readFileSync(dest).length} bytes, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
