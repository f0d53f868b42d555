#!/usr/bin/env node
// `npx logitkit info`, `npx logitkit build` (the addon from source, into build/Release, which the
// loader then prefers to the prebuilt binary) and `npx logitkit bench [options]` (bench/cli.mjs, `--help`).
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const [command, ...rest] = process.argv.slice(2);

if (command === 'build') {
  // node-gyp against this Node's own headers (scripts/build-addon.mjs); nothing is downloaded.
  const { buildAddon } = await import('../scripts/build-addon.mjs');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const status = buildAddon({ dir: root, extraArgs: rest });
  if (status === 0) console.log(`logitkit: built ${root}build/Release/logitkit.node; it is loaded from now on instead of the prebuilt binary`);
  process.exit(status);
} else if (command === 'info') {
  const lk = require('../dist/index.js');
  const i = lk.info();
  console.log(`logitkit ${i.version}
SIMD path:  ${i.isa} (supported on this CPU: ${i.isas.join(', ')}; LOGITKIT_ISA forces one)
threads:    ${lk.getNumThreads()} (LOGITKIT_NUM_THREADS or setNumThreads change it)
lanes:      ${i.lanesF32} float32, ${i.lanesF64} float64
CPU:        ${os.cpus()[0]?.model?.trim() ?? 'unknown'}, ${os.cpus().length} CPUs, ${os.platform()} ${os.arch()}
Node:       ${process.version}
binary:     ${i.binary.kind}, ${i.binary.path}`);
} else if (command === 'bench') {
  const { main } = await import('../bench/cli.mjs');
  try {
    await main(rest);
  } catch (e) {
    process.stderr.write(`\n${e.message ?? e}\n`);
    process.exit(1);
  }
} else {
  console.error('usage: logitkit info\n       logitkit build\n       logitkit bench [--help]');
  process.exit(command === undefined || command === '--help' ? 0 : 1);
}
