// Hostile memory, load and lifecycle (docs/accuracy.md, Guarantees). In the slow runs, under an emulator
// (LOGITKIT_TEST_EMULATED, scripts/test-arm64.sh) or a sanitizer (LOGITKIT_TEST_REDUCED,
// scripts/test-sanitize.sh), the load counts are scaled down (each test's name states its count);
// `npm test` runs them as the issue states them.
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { bits, checkClose, EMULATED, lk, runNode, TOL } from './helpers.js';
import { randn, refSoftmax } from './reference.js';

const REDUCED = EMULATED || Boolean(process.env.LOGITKIT_TEST_REDUCED);
const entry = path.resolve(__dirname, '..', 'dist', 'index.js');

/** Runs a script in a fresh node process (this node, this environment) and returns its outcome. */
function runChild(source: string, extraEnv: Record<string, string> = {}, args: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, LOGITKIT_ENTRY: entry, ...extraEnv };
  // Under AddressSanitizer (scripts/test-sanitize.sh) freed memory is quarantined, which would
  // read as growth; the quarantine is switched off for these children.
  if (env.LD_PRELOAD?.includes('libasan')) env.ASAN_OPTIONS = `${env.ASAN_OPTIONS ? env.ASAN_OPTIONS + ':' : ''}quarantine_size_mb=0:thread_local_quarantine_size_kb=0`;
  const r = runNode([...args, '-e', source], { env, timeout: 240_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('hostile memory', () => {
  // A worker writes the shared input (values in [-10, 10]) while the main thread computes on it.
  // Defined behaviour: the call completes and each element read sees one of the values written,
  // so softmax outputs stay finite and >= 0 (|x - max| <= 20); class indices are copied once
  // before use, so a target flipping in and out of range gives a RangeError or a loss, never a
  // read outside the row.
  it('inputs on a SharedArrayBuffer that another thread writes during the call', async () => {
    const n = 200_000; // above the threading threshold: the pool reads it too
    const sab = new SharedArrayBuffer(n * 4 + 4 * 64 + 8);
    const x = new Float32Array(sab, 0, n);
    const target = new Int32Array(sab, n * 4, 64);
    const stop = new Int32Array(sab, n * 4 + 4 * 64, 1);
    const writer = new Worker(
      `const { workerData } = require('node:worker_threads');
       const x = new Float32Array(workerData, 0, ${n});
       const t = new Int32Array(workerData, ${n * 4}, 64);
       const stop = new Int32Array(workerData, ${n * 4 + 4 * 64}, 1);
       let k = 0;
       while (Atomics.load(stop, 0) === 0) {
         for (let i = 0; i < ${n}; i += 97) x[(i + k) % ${n}] = ((i * 7 + k) % 2001) / 100 - 10;
         for (let i = 0; i < 64; i++) t[i] = (i + k) % 3 === 0 ? 5000 : (i * 13 + k) % 1000;
         k++;
       }`,
      { eval: true, workerData: sab },
    );
    try {
      const out = new Float32Array(n);
      const losses = new Float32Array(64);
      let rangeErrors = 0;
      for (let iter = 0; iter < (EMULATED ? 10 : 60); iter++) {
        lk.softmax(x, { shape: [1, n], out });
        for (let i = 0; i < n; i++) if (!(out[i] >= 0 && out[i] < Infinity)) throw new Error(`softmax out[${i}] = ${out[i]}`);
        const y = await lk.logSoftmaxAsync(x, { shape: [4, n / 4] });
        for (let i = 0; i < n; i++) if (!(y[i] <= 0 && y[i] > -Infinity)) throw new Error(`logSoftmax y[${i}] = ${y[i]}`);
        try {
          lk.crossEntropy(x.subarray(0, 64 * 1000), target, { shape: [64, 1000], reduction: 'none', out: losses });
          for (const l of losses) expect(l >= 0 && l < Infinity).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          expect((e as Error).message).toMatch(/^target\[\d+\] = 5000 is out of range \[0, 1000\)$/);
          rangeErrors++;
        }
      }
      expect(rangeErrors).toBeGreaterThan(0); // the writer did reach the targets mid-run
    } finally {
      Atomics.store(stop, 0, 1);
      await writer.terminate();
    }
  });

  it('views at byte offsets give the bits of the same data at offset 0', () => {
    for (const ctor of [Float32Array, Float64Array]) {
      const data = ctor.from(randn(3 * 37, 5, 4));
      const backing = new ctor(data.length + 3);
      const view = new ctor(backing.buffer, ctor.BYTES_PER_ELEMENT, data.length); // not vector-aligned
      view.set(data);
      const outBacking = new ctor(data.length + 2);
      const out = new ctor(outBacking.buffer, ctor.BYTES_PER_ELEMENT * 2, data.length);
      expect(bits(lk.softmax(view, { shape: [3, 37], out }))).toBe(bits(lk.softmax(data, { shape: [3, 37] })));
      expect(bits(lk.logSoftmax(view, { shape: [3, 37], axis: 0 }))).toBe(bits(lk.logSoftmax(data, { shape: [3, 37], axis: 0 })));
      const t16 = new Int16Array(new ArrayBuffer(2 + 3 * 2), 2, 3); // an odd 2-byte offset
      t16.set([4, 36, 0]);
      const wb = new ctor(38);
      const weight = wb.subarray(1);
      weight.set(ctor.from(randn(37, 9, 1)).map(Math.abs));
      const contiguous = lk.crossEntropy(data, Int16Array.from(t16), { shape: [3, 37], weight: ctor.from(weight) });
      expect(lk.crossEntropy(view, t16, { shape: [3, 37], weight })).toBe(contiguous);
    }
  });

  it('zero-length views, empty rows and empty batches', () => {
    const empty = new Float32Array(new ArrayBuffer(64), 12, 0);
    expect(lk.softmax(empty)).toEqual(new Float32Array(0));
    for (const [shape, axis] of [
      [[0], 0],
      [[0, 5], -1],
      [[5, 0], -1],
      [[2, 0, 3], 1],
      [[2, 0, 3], 0],
    ] as [number[], number][]) {
      expect(lk.softmax(empty, { shape, axis })).toEqual(new Float32Array(0));
      expect(lk.logSoftmax(empty, { shape, axis, out: empty })).toBe(empty);
    }
    const noRows = new Int32Array(0);
    expect(lk.crossEntropy(empty, noRows, { shape: [0, 5] })).toBeNaN(); // mean over nothing
    expect(lk.crossEntropy(empty, noRows, { shape: [0, 5], reduction: 'sum' })).toBe(0);
    expect(lk.crossEntropy(empty, noRows, { shape: [0, 5], reduction: 'none' })).toEqual(new Float32Array(0));
    // no classes: an index target cannot be valid; probability targets give the empty sum, 0
    expect(() => lk.crossEntropy(empty, new Int32Array(2), { shape: [2, 0] })).toThrow(new RangeError('target[0] = 0 is out of range [0, 0)'));
    expect(lk.crossEntropy(empty, new Float32Array(0), { shape: [2, 0], reduction: 'none' })).toEqual(new Float32Array(2));
  });

  it('a buffer detached by an option getter, after its own check, is caught before any work', async () => {
    const detach = (a: ArrayBufferView) => structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
    const x = new Float32Array(6).fill(1);
    expect(() => lk.softmax(x, { get temperature() { detach(x); return 1; } } as never)).toThrow(
      new TypeError('x: expected a TypedArray whose buffer is not detached, got a detached Float32Array'),
    );
    const y = new Float32Array(6).fill(1);
    const out = new Float32Array(6);
    expect(() => lk.softmax(y, { out, get temperature() { detach(out); return 1; } } as never)).toThrow(
      new TypeError('out: expected a TypedArray whose buffer is not detached, got a detached Float32Array'),
    );
    expect(Array.from(y)).toEqual([1, 1, 1, 1, 1, 1]);
    const logits = new Float64Array(6).fill(1);
    const target = new Uint8Array([0, 2]);
    const weight = new Float64Array(3).fill(1);
    expect(() => lk.crossEntropy(logits, target, { shape: [2, 3], weight, get reduction() { detach(target); return 'sum'; } } as never)).toThrow(
      new TypeError('target: expected a TypedArray whose buffer is not detached, got a detached Uint8Array'),
    );
    const t2 = new Uint8Array([0, 2]);
    const grad = new Float64Array(6).fill(7);
    await expect(lk.crossEntropyAsync(logits, t2, { shape: [2, 3], grad, get reduction() { detach(weight); return 'sum'; }, weight } as never)).rejects.toThrow(
      new TypeError('weight: expected a TypedArray whose buffer is not detached, got a detached Float64Array'),
    );
    expect(Array.from(grad)).toEqual([7, 7, 7, 7, 7, 7]);
  });
});

describe('load', () => {
  const CALLS = REDUCED ? 2_000 : 10_000;
  it(`${CALLS} concurrent async calls mixed with sync calls, every result checked`, async () => {
    const shape = [4, 64];
    const inputs = Array.from({ length: 64 }, (_, i) => Float32Array.from(randn(256, 100 + i, 3)));
    const targets = Int32Array.from([3, 0, 63, 17]);
    const expected = inputs.map((x) => ({
      softmax: bits(lk.softmax(x, { shape })),
      log: bits(lk.logSoftmax(x, { shape })),
      loss: lk.crossEntropy(x, targets, { shape }),
    }));
    // the sync results are themselves right
    checkClose(lk.softmax(inputs[0], { shape }), refSoftmax(inputs[0], shape, 1), TOL.f32.softmax, 'rel', TOL.f32.floor, 'softmax');
    const pending: Promise<void>[] = [];
    let syncChecked = 0;
    for (let i = 0; i < CALLS; i++) {
      const k = i % inputs.length;
      const x = inputs[k];
      const e = expected[k];
      switch (i % 3) {
        case 0:
          pending.push(lk.softmaxAsync(x, { shape }).then((y) => expect(bits(y)).toBe(e.softmax)));
          break;
        case 1:
          pending.push(lk.logSoftmaxAsync(x, { shape }).then((y) => expect(bits(y)).toBe(e.log)));
          break;
        default:
          pending.push(lk.crossEntropyAsync(x, targets, { shape }).then((l) => expect(l).toBe(e.loss)));
      }
      if (i % 10 === 0) {
        expect(bits(lk.softmax(x, { shape }))).toBe(e.softmax);
        syncChecked++;
      }
    }
    await Promise.all(pending);
    expect(syncChecked).toBe(CALLS / 10);
  });

  const SMALL = REDUCED ? 100_000 : 1_000_000;
  it(`${SMALL} small sync calls: resident memory grows by less than 10 MB after warm-up`, () => {
    const r = runChild(
      `const lk = require(process.env.LOGITKIT_ENTRY);
       const x = new Float32Array(16).map((_, i) => Math.sin(i)), out = new Float32Array(16);
       const t = new Int32Array([3, 1]), grad = new Float32Array(16);
       const step = (i) => {
         lk.softmax(x, { out });
         if (i % 4 === 0) lk.logSoftmax(x); // allocating
         if (i % 4 === 1) lk.crossEntropy(x, t, { shape: [2, 8], grad });
       };
       // VmRSS from /proc (process.memoryUsage().rss reads 0 under qemu-user)
       const rss = () => 1024 * Number(require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\\s*(\\d+) kB/)[1]);
       for (let i = 0; i < ${SMALL / 10}; i++) step(i);
       global.gc(); global.gc();
       const before = rss();
       for (let i = 0; i < ${SMALL}; i++) step(i);
       global.gc(); global.gc();
       console.log(JSON.stringify({ before, after: rss() }));`,
      {},
      ['--expose-gc'],
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { before, after } = JSON.parse(r.stdout) as { before: number; after: number };
    console.log(`rss before ${(before / 2 ** 20).toFixed(1)} MiB, after ${SMALL} calls ${(after / 2 ** 20).toFixed(1)} MiB`);
    expect(before).toBeGreaterThan(2 ** 20); // measured, not a missing figure
    expect(after - before).toBeLessThan(10 * 2 ** 20);
  });
});

describe('lifecycle', () => {
  const WORKERS = 8;
  const CYCLES = REDUCED ? 5 : 50;
  it(`${WORKERS} workers x ${CYCLES} cycles of load / compute / terminate (some mid-call), then the main thread still computes`, async () => {
    // Each worker checks its own result, reports it, then keeps computing (sync or async) until
    // it is terminated at a random moment.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const lk = require(workerData.entry);
      const n = workerData.rows * 1000;
      const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37) * 4);
      const y = lk.softmax(x, { shape: [workerData.rows, 1000] });
      let s = 0;
      for (let i = 0; i < 1000; i++) s += y[i];
      (async () => {
        const z = await lk.softmaxAsync(x, { shape: [workerData.rows, 1000] });
        parentPort.postMessage({ sum: s, same: Buffer.compare(Buffer.from(y.buffer), Buffer.from(z.buffer)) === 0 });
        if (workerData.mode === 1) for (;;) lk.softmax(x, { shape: [workerData.rows, 1000], out: y });
        if (workerData.mode === 2) for (;;) await lk.crossEntropyAsync(x, new Int32Array(workerData.rows), { shape: [workerData.rows, 1000] });
      })();
    `;
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let checked = 0;
    const lane = async () => {
      for (let c = 0; c < CYCLES; c++) {
        const mode = Math.floor(rand() * 3); // 0: ends by itself; 1: terminated in sync calls; 2: in async calls
        const w = new Worker(source, { eval: true, workerData: { entry, rows: 1 + Math.floor(rand() * 300), mode } });
        const m = await new Promise<{ sum: number; same: boolean }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        });
        expect(Math.abs(m.sum - 1)).toBeLessThan(1e-5);
        expect(m.same).toBe(true);
        checked++;
        if (mode !== 0) await new Promise((resolve) => setTimeout(resolve, rand() * 5));
        await w.terminate();
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, lane));
    expect(checked).toBe(WORKERS * CYCLES);
    const x = Float32Array.from(randn(5000, 3, 2));
    checkClose(await lk.softmaxAsync(x, { shape: [5, 1000] }), refSoftmax(x, [5, 1000], 1), TOL.f32.softmax, 'rel', TOL.f32.floor, 'after churn');
  });

  it('the process exits cleanly while async work is in flight (process.exit, natural end, and from a worker)', () => {
    const big = EMULATED ? 64 : 1024;
    const start = `const lk = require(process.env.LOGITKIT_ENTRY);
      const x = new Float32Array(${big} * 32000).fill(0.5);
      const ps = [0, 1, 2, 3].map(() => lk.softmaxAsync(x, { shape: [${big}, 32000] }));`;
    const exitNow = runChild(`${start} process.exit(0);`);
    expect(exitNow).toMatchObject({ status: 0, signal: null, stderr: '' });
    const natural = runChild(`${start} Promise.all(ps).then((r) => console.log(r.length, r[3][5]));`);
    expect(natural).toMatchObject({ status: 0, signal: null, stderr: '' });
    expect(natural.stdout.trim()).toBe(`4 ${1 / 32000 === Math.fround(1 / 32000) ? 1 / 32000 : Math.fround(1 / 32000)}`);
    const fromWorker = runChild(`const { Worker } = require('node:worker_threads');
      const w = new Worker(${JSON.stringify(start)} + "; require('node:worker_threads').parentPort.postMessage('started');", { eval: true });
      w.on('message', () => process.exit(0));`);
    expect(fromWorker).toMatchObject({ status: 0, signal: null, stderr: '' });
  });
});
