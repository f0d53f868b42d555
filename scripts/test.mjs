// `npm test`: runs the whole vitest suite once per SIMD path this CPU supports, each forced through
// LOGITKIT_ISA in its own process, so every path is tested on every run (and, on a CPU with
// AVX512-BF16, the half-precision tests once more on avx512 without it). Extra arguments go to
// vitest (e.g. a file filter). LOGITKIT_TEST_ISAS=avx2,scalar limits the list.
//
// Those runs send small calls to the addon too (LOGITKIT_SMALL_CALLS=native: lib/small.ts computes
// softmax calls of up to 15 elements, sigmoid of up to 4, argmax of up to 64 in JavaScript), so
// that the kernels stay tested on small rows; one more run, on the best path, tests the package as
// shipped. That run is left out when another build or a limited list of paths is tested
// (LOGITKIT_ADDON, LOGITKIT_TEST_ISAS: the sanitizer, cmake-js and qemu runs, there for the native
// code).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const vitest = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');

// LOGITKIT_TEST_NODE: the command that runs node for the tests (e.g. qemu-aarch64 with an arm64
// node, see scripts/test-arm64.sh); space-separated, default this node.
const nodeCmd = process.env.LOGITKIT_TEST_NODE ? process.env.LOGITKIT_TEST_NODE.split(' ') : [process.execPath];
const runNode = (args, opts) => spawnSync(nodeCmd[0], [...nodeCmd.slice(1), ...args], opts);

const env = { ...process.env };
delete env.LOGITKIT_ISA;
const probe = runNode(['-p', "JSON.stringify(require('./dist/index.js').info())"], { cwd: root, env, encoding: 'utf8' });
if (probe.status !== 0) {
  process.stderr.write(probe.stderr);
  process.exit(1);
}
const info = JSON.parse(probe.stdout);
const isas = process.env.LOGITKIT_TEST_ISAS ? process.env.LOGITKIT_TEST_ISAS.split(',') : info.isas;
console.log(`logitkit ${info.version}: testing SIMD paths ${isas.join(', ')} (this CPU supports ${info.isas.join(', ')})`);

const runs = isas.map((isa) => ({ label: isa, env: { LOGITKIT_ISA: isa, LOGITKIT_SMALL_CALLS: 'native' } }));
// On a CPU with AVX512-BF16 the avx512 path rounds bfloat16 outputs with vcvtneps2bf16; its integer
// rounding (the path of AVX-512 CPUs without it) runs the half-precision tests once more.
if (isas.includes('avx512') && (info.features || []).includes('avx512bf16')) {
  runs.push({
    label: 'avx512 without AVX512-BF16',
    env: { LOGITKIT_ISA: 'avx512', LOGITKIT_AVX512BF16: '0', LOGITKIT_SMALL_CALLS: 'native' },
    args: process.argv.length > 2 ? process.argv.slice(2) : ['test/half.test.ts'],
  });
}
if (!process.env.LOGITKIT_ADDON && !process.env.LOGITKIT_TEST_ISAS) runs.push({ label: `${info.isa}, small calls in JavaScript (as shipped)`, env: { LOGITKIT_ISA: info.isa } });
delete env.LOGITKIT_SMALL_CALLS;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'logitkit-test-'));
const results = [];
for (const [i, run] of runs.entries()) {
  console.log(`\n=== ${Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(' ')} ===`);
  const report = path.join(tmp, `${i}.json`);
  const r = runNode([vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...(run.args ?? process.argv.slice(2))], {
    cwd: root,
    env: { ...env, ...run.env },
    stdio: 'inherit',
  });
  let passed = 0;
  let failed = 0;
  try {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    passed = j.numPassedTests;
    failed = j.numFailedTests + (j.numTotalTests === 0 ? 1 : 0);
  } catch {
    failed = 1; // no report: the run itself broke
  }
  if (r.status !== 0 && failed === 0) failed = 1;
  results.push({ label: run.label, passed, failed });
}
rmSync(tmp, { recursive: true, force: true });
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`\nruns: ${results.map((r) => `${r.label} ${r.passed} passed${r.failed ? `, ${r.failed} FAILED` : ''}`).join('; ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
