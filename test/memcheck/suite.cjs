// The reduced suite that scripts/test-valgrind.sh runs under valgrind memcheck: every op, dtype,
// kernel shape class (contiguous rows, short rows, strided axis, chunked long row split over
// threads), every cross-entropy option, async calls, errors thrown before and inside native code,
// a buffer detached in flight, and worker_threads terminated mid-call. Plain node (no vitest: its
// bundler's native binding is not ours to check). Results are checked against float64 loops, so
// a kernel that read the wrong memory would also fail here. Exits 1 on any mismatch.
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const lk = require(path.resolve(__dirname, '..', '..', 'dist', 'index.js'));

function reference(x, rows, C, inner) {
  const p = new Float64Array(x.length);
  for (let o = 0; o < rows; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (c) => o * C * inner + c * inner + j;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x[at(c)]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[at(c)] - m);
      for (let c = 0; c < C; c++) p[at(c)] = Math.exp(x[at(c)] - m) / s;
    }
  }
  return p;
}

function close(got, want, tol, what) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

const data = (ctor, n, seed) => {
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.7 + seed) * 6;
  return a;
};

async function main() {
  const shapes = [
    [[1, 1000], -1], // one row
    [[100, 3], -1], // short rows (tile path)
    [[7, 33, 5], 1], // strided axis
    [[1, 140000], -1], // long row: three chunks, split over threads
  ];
  let checks = 0;
  for (const threads of [1, 3]) {
    lk.setNumThreads(threads);
    for (const ctor of [Float32Array, Float64Array]) {
      for (const [shape, axis] of shapes) {
        const n = shape.reduce((a, b) => a * b, 1);
        const ax = axis < 0 ? axis + shape.length : axis;
        const C = shape[ax];
        const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
        const rows = n / C / inner;
        const x = data(ctor, n, threads);
        const want = reference(x, rows, C, inner);
        close(lk.softmax(x, { shape, axis }), want, 1e-5, 'softmax');
        close(await lk.softmaxAsync(x, { shape, axis, temperature: 1 }), want, 1e-5, 'softmaxAsync');
        const log = lk.logSoftmax(x, { shape, axis });
        close(log, Array.from(want, Math.log), 1e-5, 'logSoftmax');
        // cross-entropy, index targets of two types, with every option; grad = p - onehot (mean: / rows)
        const idx = new Int32Array(rows * inner);
        for (let r = 0; r < idx.length; r++) idx[r] = (r * 7) % C;
        const grad = new ctor(n);
        const loss = lk.crossEntropy(x, idx, { shape, axis, grad });
        let sum = 0;
        for (let o = 0; o < rows; o++) for (let j = 0; j < inner; j++) sum -= log[o * C * inner + idx[o * inner + j] * inner + j];
        assert.ok(Math.abs(loss - sum / idx.length) <= 1e-5 * Math.abs(sum / idx.length), 'crossEntropy mean');
        const g = Float64Array.from(want, (p) => p / idx.length);
        for (let o = 0; o < rows; o++) for (let j = 0; j < inner; j++) g[o * C * inner + idx[o * inner + j] * inner + j] -= 1 / idx.length;
        close(grad, g, 1e-5, 'grad');
        const big = BigInt64Array.from(idx, (v, r) => (r % 5 === 0 ? -100n : BigInt(v)));
        const weight = ctor.from({ length: C }, (_, c) => 0.5 + (c % 3));
        const none = await lk.crossEntropyAsync(x, big, { shape, axis, reduction: 'none', weight, labelSmoothing: 0.1, grad });
        assert.equal(none.length, idx.length);
        for (let r = 0; r < none.length; r++) assert.ok(r % 5 === 0 ? none[r] === 0 : none[r] > 0, 'per-row loss');
        const probs = ctor.from(want);
        const probLoss = lk.crossEntropy(x, probs, { shape, axis, reduction: 'sum', labelSmoothing: 0.2, weight });
        assert.ok(Number.isFinite(probLoss) && probLoss > 0, 'probability targets');
        checks += 8;
      }
    }
  }
  // errors: thrown in TypeScript, in native code (a target out of range mid-batch), and rejected
  const x = data(Float32Array, 6000, 1);
  const out = new Float32Array(6000).fill(3);
  assert.throws(() => lk.softmax(x, { shape: [6, 999], out }), RangeError);
  const t = new Uint16Array(6).fill(1);
  t[4] = 5000;
  assert.throws(() => lk.crossEntropy(x, t, { shape: [6, 1000], grad: out }), { name: 'RangeError', message: 'target[4] = 5000 is out of range [0, 1000)' });
  await assert.rejects(lk.crossEntropyAsync(x, t, { shape: [6, 1000] }), RangeError);
  assert.ok(out.every((v) => v === 3), 'nothing written on error');
  // a buffer detached while an async call is in flight
  const far = new Float32Array(16 * 32000).fill(1);
  const pending = lk.softmaxAsync(far, { shape: [16, 32000] });
  const kept = structuredClone(far.buffer, { transfer: [far.buffer] });
  await assert.rejects(pending, { message: 'a buffer of this call was detached while the call was in flight; its result is lost' });
  assert.equal(kept.byteLength, 16 * 32000 * 4);
  // worker_threads: load, compute, terminate mid-call
  const source = `const { parentPort, workerData } = require('node:worker_threads');
    const lk = require(workerData);
    const x = new Float32Array(64 * 1000).fill(0.25);
    lk.softmaxAsync(x, { shape: [64, 1000] }).then((y) => {
      parentPort.postMessage(y[0]);
      for (;;) lk.softmax(x, { shape: [64, 1000], out: y });
    });`;
  for (let i = 0; i < 3; i++) {
    const w = new Worker(source, { eval: true, workerData: path.resolve(__dirname, '..', '..', 'dist', 'index.js') });
    const first = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    assert.ok(Math.abs(first - 1 / 1000) < 1e-9, 'worker result');
    await w.terminate();
  }
  console.log(`memcheck suite: ${checks} op checks, errors, detach and workers passed on ${lk.info().isa}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
