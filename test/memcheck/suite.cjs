// The reduced suite that scripts/test-valgrind.sh runs under valgrind memcheck: every op (sigmoid,
// binary cross-entropy, argmax, topK and sample included), dtype (float16 and bfloat16 in and out too),
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
  // sigmoid family: elementwise lengths around every vector width and a threaded one, BCE with
  // every option, per class and per element, sync and async
  for (const threads of [1, 3]) {
    lk.setNumThreads(threads);
    for (const ctor of [Float32Array, Float64Array]) {
      for (const n of [1, 7, 33, 100003]) {
        const x = data(ctor, n, threads + 2);
        const s = lk.sigmoid(x);
        close(s, Array.from(x, (v) => 1 / (1 + Math.exp(-v))), 1e-6, 'sigmoid');
        close(await lk.logSigmoidAsync(x), Array.from(x, (v) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v)))), 1e-6, 'logSigmoid');
        const C = n === 100003 ? 11 : n;
        const rowsN = Math.floor(n / C) * C;
        const xs = x.subarray(0, rowsN);
        const y = ctor.from({ length: rowsN }, (_, i) => (i % 3) / 2);
        const pw = ctor.from({ length: C }, (_, c) => 1 + (c % 4));
        const w = ctor.from({ length: rowsN }, (_, i) => 0.5 + (i % 2));
        const grad = new ctor(rowsN);
        const losses = lk.binaryCrossEntropyWithLogits(xs, y, { shape: [rowsN / C, C], posWeight: pw, weight: w, reduction: 'none', grad });
        let sum = 0;
        for (let i = 0; i < rowsN; i++) {
          const v = xs[i];
          const sp = (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
          const want = w[i] * (pw[i % C] * y[i] * sp(-v) + (1 - y[i]) * sp(v));
          sum += want;
          assert.ok(Math.abs(losses[i] - want) <= 1e-5 * Math.max(1, want), `bce loss[${i}]`);
          const sg = 1 / (1 + Math.exp(-v));
          const gw = w[i] * ((1 - y[i]) * sg - pw[i % C] * y[i] * (1 - sg));
          assert.ok(Math.abs(grad[i] - gw) <= 1e-5, `bce grad[${i}]`);
        }
        const mean = await lk.binaryCrossEntropyWithLogitsAsync(xs, y, { shape: [rowsN / C, C], posWeight: pw, weight: w });
        assert.ok(Math.abs(mean - sum / rowsN) <= 1e-5 * Math.abs(sum / rowsN), 'bce mean');
        checks += 4;
      }
    }
  }
  // decisions: argmax, topK (filter and dense paths, every mode) and sample (top-k path and the full
  // row's radix select), on rows, a strided axis and a row long enough to be split over threads
  const decideShapes = [
    [[50, 7], -1],
    [[4, 2000], -1],
    [[6, 40, 3], 1],
    [[1, 300000], -1],
  ];
  for (const threads of [1, 3]) {
    lk.setNumThreads(threads);
    for (const ctor of [Float32Array, Float64Array]) {
      for (const [shape, axis] of decideShapes) {
        const n = shape.reduce((a, b) => a * b, 1);
        const ax = axis < 0 ? axis + shape.length : axis;
        const C = shape[ax];
        const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
        const rows = n / C;
        const x = data(ctor, n, threads + 4);
        const row = (r) => Array.from({ length: C }, (_, c) => x[Math.floor(r / inner) * C * inner + c * inner + (r % inner)]);
        const order = (r) => row(r).map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((p) => p[1]);
        const k = Math.min(5, C);
        const am = lk.argmax(x, { shape, axis });
        const tk = await lk.topKAsync(x, k, { shape, axis, mode: 'softmax', temperature: 0.5 });
        const lp = new ctor(rows);
        const s1 = lk.sample(x, { shape, axis, seed: 3, temperature: 0.8, topK: 50, topP: 0.95, logprobs: lp });
        const s2 = await lk.sampleAsync(x, { shape, axis, seed: 4n, topP: 0.9, minP: 0.01 });
        for (let r = 0; r < rows; r++) {
          const o = order(r);
          assert.equal(am[r], o[0], `argmax[${r}]`);
          assert.deepEqual(Array.from(tk.indices.subarray(r * k, (r + 1) * k)), o.slice(0, k), `topK[${r}]`);
          const v = row(r);
          const m = v[o[0]];
          const S = v.reduce((a, b) => a + Math.exp((b - m) / 0.5), 0);
          for (let j = 0; j < k; j++) assert.ok(Math.abs(tk.values[r * k + j] - Math.exp((v[o[j]] - m) / 0.5) / S) <= 1e-6, `topK softmax[${r}]`);
          assert.ok(o.slice(0, 50).includes(s1[r]) && lp[r] <= 0, `sample[${r}]`);
          assert.ok(s2[r] >= 0 && s2[r] < C, `sample full[${r}]`);
        }
        assert.deepEqual(Array.from(lk.sample(x, { shape, axis, seed: 3, temperature: 0.8, topK: 50, topP: 0.95 })), Array.from(s1), 'sample is reproducible');
        checks += 4;
      }
    }
  }
  // half precision: float16 and bfloat16 bits in, float32 or half bits out, on every kernel shape
  // class; each result must be the float32 function's on the decoded values (this suite runs
  // small calls natively, so both go through the kernels), half outputs its rounding
  const { binding } = require(path.resolve(__dirname, '..', '..', 'dist', 'binding.js'));
  const sameBits = (a, b, what) => assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), what);
  for (const threads of [1, 3]) {
    lk.setNumThreads(threads);
    for (const [dtype, code] of [['float16', 1], ['bfloat16', 2]]) {
      for (const [shape, axis] of [...shapes, [[4, 40, 130], 1]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const h = new Uint16Array(n);
        binding.convert(data(Float32Array, n, threads + code), h, 0, code);
        const x = new Float32Array(n);
        binding.convert(h, x, code, 0);
        const rounded = (y) => {
          const r = new Uint16Array(y.length);
          binding.convert(y, r, 0, code);
          return r;
        };
        const o = { shape, axis };
        for (const fn of ['softmax', 'logSoftmax']) {
          const want = lk[fn](x, o);
          sameBits(lk[fn](h, { ...o, dtype }), want, `${fn} ${dtype}`);
          sameBits(await lk[`${fn}Async`](h, { ...o, dtype, outDtype: dtype }), rounded(want), `${fn} ${dtype} to half`);
        }
        const ax = axis < 0 ? axis + shape.length : axis;
        const rows = n / shape[ax];
        const idx = Int32Array.from({ length: rows }, (_, r) => (r * 5) % shape[ax]);
        const gradF = new Float32Array(n);
        const lossF = lk.crossEntropy(x, idx, { ...o, grad: gradF, labelSmoothing: 0.05 });
        const gradH = new Uint16Array(n);
        assert.equal(lk.crossEntropy(h, idx, { ...o, dtype, grad: gradH, labelSmoothing: 0.05 }), lossF, `crossEntropy ${dtype}`);
        sameBits(gradH, rounded(gradF), `crossEntropy grad ${dtype}`);
        const probs = h.map((b) => b & 0x3bff);
        const pF = new Float32Array(n);
        binding.convert(probs, pF, code, 0);
        assert.equal(lk.crossEntropy(h, probs, { ...o, dtype, targetDtype: dtype, reduction: 'sum' }), lk.crossEntropy(x, pF, { ...o, reduction: 'sum' }), `crossEntropy ${dtype} probabilities`);
        sameBits(lk.argmax(h, { ...o, dtype }), lk.argmax(x, o), `argmax ${dtype}`);
        const tk = lk.topK(h, 3, { ...o, dtype, mode: 'logSoftmax', outDtype: dtype });
        const tkF = lk.topK(x, 3, { ...o, mode: 'logSoftmax' });
        sameBits(tk.indices, tkF.indices, `topK ${dtype}`);
        sameBits(tk.values, rounded(tkF.values), `topK values ${dtype}`);
        sameBits(await lk.sampleAsync({ type: dtype === 'float16' ? 'float16' : 'float32', data: dtype === 'float16' ? h : x, dims: shape }, { axis, seed: 11, topP: 0.9 }), lk.sample(x, { ...o, seed: 11, topP: 0.9 }), `sample ${dtype}`);
        checks += 9;
      }
      for (const n of [1, 7, 33, 100003]) {
        const h = new Uint16Array(n);
        binding.convert(data(Float32Array, n, threads + 7), h, 0, code);
        const x = new Float32Array(n);
        binding.convert(h, x, code, 0);
        sameBits(lk.sigmoid(h, { dtype }), lk.sigmoid(x), `sigmoid ${dtype}`);
        const y = h.map((b, i) => (i % 3 === 0 ? (dtype === 'float16' ? 0x3800 : 0x3f00) : 0));
        const yF = new Float32Array(n);
        binding.convert(y, yF, code, 0);
        const gradH = new Uint16Array(n);
        const gradF = new Float32Array(n);
        assert.equal(await lk.binaryCrossEntropyWithLogitsAsync(h, y, { dtype, grad: gradH }), lk.binaryCrossEntropyWithLogits(x, yF, { grad: gradF }), `bce ${dtype}`);
        const r = new Uint16Array(n);
        binding.convert(gradF, r, 0, code);
        sameBits(gradH, r, `bce grad ${dtype}`);
        checks += 2;
      }
    }
  }
  assert.throws(() => lk.softmax(new Uint16Array(6), { shape: [2, 3] }), TypeError);
  assert.throws(() => lk.softmax({ type: 'float16', data: new Uint16Array(6), dims: [2, 2] }), RangeError);

  // errors: thrown in TypeScript, in native code (a target out of range mid-batch), and rejected
  const x = data(Float32Array, 6000, 1);
  const out = new Float32Array(6000).fill(3);
  assert.throws(() => lk.softmax(x, { shape: [6, 999], out }), RangeError);
  const t = new Uint16Array(6).fill(1);
  t[4] = 5000;
  assert.throws(() => lk.crossEntropy(x, t, { shape: [6, 1000], grad: out }), { name: 'RangeError', message: 'target[4] = 5000 is out of range [0, 1000)' });
  await assert.rejects(lk.crossEntropyAsync(x, t, { shape: [6, 1000] }), RangeError);
  assert.ok(out.every((v) => v === 3), 'nothing written on error');
  const bt = new Float32Array(6000).fill(0.5);
  bt[4321] = -1;
  assert.throws(() => lk.binaryCrossEntropyWithLogits(x, bt, { grad: out }), { name: 'RangeError', message: 'target[4321] = -1 is out of range [0, 1]' });
  await assert.rejects(lk.binaryCrossEntropyWithLogitsAsync(x, bt), { name: 'RangeError', message: 'target[4321] = -1 is out of range [0, 1]' });
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
