// Run by scripts/test-package.sh inside a fresh project that installed the packed tarball (npm or
// pnpm, no compiler on PATH), natively and under qemu-aarch64: `node smoke.cjs`. Loads the package
// by its name as CommonJS and as an ES module and checks results against values computed here in
// float64. Prints one line per check and ends with "N passed, N failed".
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

const lk = require('logitkit');
const pkgDir = path.dirname(require.resolve('logitkit/package.json'));

check('the prebuilt binary of this platform is the one loaded', () => {
  const b = lk.info().binary;
  assert.equal(b.kind, 'prebuilt');
  assert.equal(b.path, path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, 'logitkit.node'));
});

check('info() names a SIMD path of this architecture', () => {
  const i = lk.info();
  assert.equal(i.version, require('logitkit/package.json').version);
  assert.ok(i.isas.includes(i.isa));
  assert.equal(i.isas[i.isas.length - 1], 'scalar');
  assert.ok(i.isas.includes(process.arch === 'arm64' ? 'neon' : 'avx2') || i.isas.length === 1, i.isas.join());
});

check('softmax of [0, 0] is exactly [0.5, 0.5]', () => {
  assert.deepEqual(Array.from(lk.softmax(new Float32Array([0, 0]))), [0.5, 0.5]);
});

function softmaxRef(row) {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

check('softmax and logSoftmax, float64, 2x3 and axis 0, against float64', () => {
  const x = new Float64Array([1.5, 0.8, -0.2, 0.1, 0.2, 3.0]);
  const y = lk.softmax(x, { shape: [2, 3] });
  const ref = [...softmaxRef([1.5, 0.8, -0.2]), ...softmaxRef([0.1, 0.2, 3.0])];
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(y[i] - ref[i]) <= 1e-15 * ref[i], `${i}: ${y[i]} vs ${ref[i]}`);
  const l = lk.logSoftmax(x, { shape: [2, 3], axis: 0 });
  for (let j = 0; j < 3; j++) {
    const col = softmaxRef([x[j], x[3 + j]]);
    assert.ok(Math.abs(l[j] - Math.log(col[0])) <= 1e-15 * Math.max(1, Math.abs(Math.log(col[0]))));
    assert.ok(Math.abs(l[3 + j] - Math.log(col[1])) <= 1e-15 * Math.max(1, Math.abs(Math.log(col[1]))));
  }
});

check('crossEntropy (mean, with grad), float32, against float64', () => {
  const x = new Float32Array([1.5, 0.8, -0.2, 0.1, 0.2, 3.0]);
  const grad = new Float32Array(6);
  const loss = lk.crossEntropy(x, new Int32Array([0, 2]), { shape: [2, 3], grad });
  const p0 = softmaxRef([x[0], x[1], x[2]]);
  const p1 = softmaxRef([x[3], x[4], x[5]]);
  const ref = (-Math.log(p0[0]) - Math.log(p1[2])) / 2;
  assert.ok(Math.abs(loss - ref) <= 1e-6 * ref, `${loss} vs ${ref}`);
  const g = [p0[0] - 1, p0[1], p0[2], p1[0], p1[1], p1[2] - 1].map((v) => v / 2);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(grad[i] - g[i]) <= 1e-6 * Math.abs(g[i]) + 1e-7, `${i}`);
});

check('sigmoid, logSigmoid and binaryCrossEntropyWithLogits against float64', () => {
  const x = new Float64Array([-30, -2, 0, 0.5, 40]);
  const s = lk.sigmoid(x);
  const l = lk.logSigmoid(x);
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(-Math.abs(x[i]));
    const ref = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
    assert.ok(Math.abs(s[i] - ref) <= 4e-16 * ref, `sigmoid(${x[i]})`);
    const lref = Math.min(x[i], 0) - Math.log1p(e);
    assert.ok(Math.abs(l[i] - lref) <= 1e-15 * Math.max(1, Math.abs(lref)), `logSigmoid(${x[i]})`);
  }
  const y = new Float64Array([0, 1, 0.5, 1, 0]);
  const loss = lk.binaryCrossEntropyWithLogits(x, y);
  let ref = 0;
  for (let i = 0; i < x.length; i++) ref += Math.max(x[i], 0) - x[i] * y[i] + Math.log1p(Math.exp(-Math.abs(x[i])));
  assert.ok(Math.abs(loss - ref / x.length) <= 1e-14 * (ref / x.length), `${loss} vs ${ref / x.length}`);
});

check('argmax, topK (softmax mode) and sample against float64 loops', () => {
  const C = 5000;
  const x = new Float32Array(2 * C).map((_, i) => Math.sin(i * 1.3) * 4);
  const order = (r) => Array.from({ length: C }, (_, i) => i).sort((a, b) => x[r * C + b] - x[r * C + a] || a - b);
  const o = [order(0), order(1)];
  assert.deepEqual(Array.from(lk.argmax(x, { shape: [2, C] })), [o[0][0], o[1][0]]);
  const t = lk.topK(x, 3, { shape: [2, C], mode: 'softmax' });
  assert.deepEqual(Array.from(t.indices), [...o[0].slice(0, 3), ...o[1].slice(0, 3)]);
  for (let r = 0; r < 2; r++) {
    const m = x[r * C + o[r][0]];
    let S = 0;
    for (let i = 0; i < C; i++) S += Math.exp(x[r * C + i] - m);
    for (let j = 0; j < 3; j++) {
      const p = Math.exp(x[r * C + o[r][j]] - m) / S;
      assert.ok(Math.abs(t.values[r * 3 + j] - p) <= 3e-7 * p, `topK softmax ${t.values[r * 3 + j]} vs ${p}`);
    }
  }
  const s = lk.sample(x, { shape: [2, C], seed: 9, topK: 3 });
  assert.ok(o[0].slice(0, 3).includes(s[0]) && o[1].slice(0, 3).includes(s[1]), `sample ${Array.from(s)}`);
  assert.deepEqual(Array.from(lk.sample(x, { shape: [2, C], seed: 9, topK: 3 })), Array.from(s));
});

check('a bad argument is the documented TypeError', () => {
  assert.throws(() => lk.softmax(new Int32Array(2)), {
    name: 'TypeError',
    message: 'x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Int32Array',
  });
});

async function main() {
  let passed = 0;
  let failed = 0;
  const run = async (name, fn) => {
    try {
      await fn();
      passed++;
      console.log(`ok      ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAILED  ${name}: ${e && e.message}`);
    }
  };
  for (const [name, fn] of checks) await run(name, fn);
  await run('softmaxAsync resolves to the sync result', async () => {
    const x = new Float32Array(100000).map((_, i) => Math.sin(i));
    assert.deepEqual(await lk.softmaxAsync(x, { shape: [100, 1000] }), lk.softmax(x, { shape: [100, 1000] }));
  });
  await run('import("logitkit") is the same implementation as require("logitkit")', async () => {
    const m = await import('logitkit');
    assert.equal(m.softmax, lk.softmax);
    assert.equal(m.info().binary.path, lk.info().binary.path);
  });
  console.log(`${process.platform}-${process.arch} (${lk.info().isa}): ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
main();
