// Timing with tinybench, the agreement check, and this machine's own limits (copy and read
// bandwidth on the same buffer, the bare vector exp loop), all in the running process.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = require(process.env.LOGITKIT_ADDON || path.join(root, 'build', 'Release', 'logitkit.node'));

/** How to start another node: this one, or LOGITKIT_TEST_NODE when this node runs under an emulator (the arm64 tests). */
export const NODE = process.env.LOGITKIT_TEST_NODE ? process.env.LOGITKIT_TEST_NODE.split(' ') : [process.execPath];

export const CTOR = { f32: Float32Array, f64: Float64Array };
export const BYTES = { f32: 4, f64: 8 };

/**
 * The bench's dtypes: f32 and f64 in and out; f16 and bf16 half-precision input (Uint16Array bits)
 * with logitkit's default float32 output; f16:f16 and bf16:bf16 half in and half out (outDtype).
 */
export const DTYPES = {
  f32: { half: null, outHalf: null, inBytes: 4, outBytes: 4 },
  f64: { half: null, outHalf: null, inBytes: 8, outBytes: 8 },
  f16: { half: 'float16', outHalf: null, inBytes: 2, outBytes: 4 },
  bf16: { half: 'bfloat16', outHalf: null, inBytes: 2, outBytes: 4 },
  'f16:f16': { half: 'float16', outHalf: 'float16', inBytes: 2, outBytes: 2 },
  'bf16:bf16': { half: 'bfloat16', outHalf: 'bfloat16', inBytes: 2, outBytes: 2 },
};
export const HALF_CODES = { float16: 1, bfloat16: 2 };

/** The float32 value of every pattern of a half format: the lookup table a JavaScript user decodes with. */
const luts = {};
export function halfTable(format) {
  if (!luts[format]) {
    luts[format] = new Float32Array(65536);
    native.convert(Uint16Array.from({ length: 65536 }, (_, i) => i), luts[format], HALF_CODES[format], 0);
  }
  return luts[format];
}

/** Half bits decoded to float32 (for agreement checks, outside any timing). */
export function decodeHalf(format, bits) {
  const t = halfTable(format);
  const y = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) y[i] = t[bits[i]];
  return y;
}

/** An array of n values of a dtype's input: numbers from next(), rounded to nearest even for half formats (a chunk at a time). */
function fillInput(dtype, n, next) {
  const d = DTYPES[dtype];
  if (!d.half) {
    const x = new CTOR[dtype](n);
    for (let i = 0; i < n; i++) x[i] = next();
    return x;
  }
  const x = new Uint16Array(n);
  const chunk = new Float32Array(Math.min(n, 1 << 20));
  for (let at = 0; at < n; at += chunk.length) {
    const m = Math.min(chunk.length, n - at);
    for (let i = 0; i < m; i++) chunk[i] = next();
    native.convert(chunk.subarray(0, m), x.subarray(at, at + m), 0, HALF_CODES[d.half]);
  }
  return x;
}

/** Deterministic inputs: logits ~ N(0, 2^2) (mulberry32 + Box-Muller) and class indices. */
export function makeInput(c) {
  const n = c.R * c.C;
  let s = (c.R * 7919 + c.C) >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    const r = 2 * Math.sqrt(-2 * Math.log(1 - rnd()));
    const a = 2 * Math.PI * rnd();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  const x = fillInput(c.dtype, n, normal);
  const target = new Int32Array(c.R);
  for (let r = 0; r < c.R; r++) target[r] = Math.floor(rnd() * c.C);
  // binary cross-entropy targets in [0, 1] (a quarter soft, the rest 0 or 1), made on first use
  let labels;
  let i = 0;
  return {
    x,
    target,
    get labels() {
      if (!labels) labels = fillInput(c.dtype, n, () => (i++ % 4 === 0 ? rnd() : rnd() < 0.1 ? 1 : 0));
      return labels;
    },
  };
}

/** Bytes that one element of the op moves: reads and writes (softmax-like: x in, y out; BCE: logits and targets in). */
export function bytesPerElement(op, dtype) {
  const { inBytes, outBytes } = DTYPES[dtype];
  if (op === 'crossEntropy') return inBytes;
  if (op === 'bce') return 2 * inBytes;
  if (op === 'bceGrad') return 2 * inBytes + outBytes;
  return inBytes + outBytes;
}

/**
 * The op's share of this machine's bandwidth, measured on a buffer of the same element count, in
 * bytes: read-only ops (cross-entropy loss; BCE reads logits and targets) against the read pass,
 * the others against the copy (whose rate counts the bytes read and written).
 */
export function bandwidthShare(op, lim, seconds, dtype = 'f32') {
  const bytes = lim.elements * bytesPerElement(op, dtype);
  const readOnly = op === 'crossEntropy' || op === 'bce';
  const rate = (readOnly ? lim.readGBs : lim.copyGBs) * 1e9;
  return { share: bytes / rate / seconds, kind: readOnly ? 'read' : 'copy' };
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

/**
 * A full garbage collection, outside any timing: the bandwidth probes and earlier cases leave
 * hundreds of MB of dead buffers, which should not be collected inside the next case's samples.
 */
export function collectGarbage() {
  gc();
}

/**
 * Waits until this process is idle. Loading the peers (onnxruntime, tfjs) leaves background work
 * running on this 2-core machine: the run's first case, softmax 1x1000 on one thread, read
 * 1.6-2.9 µs right after loading them and 0.93 µs after a 3 s pause (0.94 µs without peers). The
 * bench also waits before every case and every SIMD-path child, since a peer's worker threads
 * may still spin after its last call. Idle: under 5% of one core over 100 ms; at most 20 s.
 */
export async function settle() {
  for (let i = 0; i < 200; i++) {
    const before = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    const used = process.cpuUsage(before);
    if ((used.user + used.system) / 1e3 < 0.05 * (performance.now() - t0)) return;
  }
}

/**
 * Times fn with tinybench. Calls shorter than ~20 µs are timed in batches (k calls per sample,
 * latency = batch time / k) so that the timer's own cost does not count; `batch` reports k.
 */
export async function time(fn, { budgetMs, before, isAsync, firstMs }) {
  // a first estimate of one call: firstMs when the caller has just timed one (its agreement check)
  let once = firstMs;
  if (once === undefined) {
    const t0 = performance.now();
    await fn();
    once = performance.now() - t0;
  }
  const k = isAsync ? 1 : Math.max(1, Math.min(1000, Math.floor(0.02 / Math.max(once, 1e-6))));
  const body = k === 1 ? fn : () => {
    for (let i = 0; i < k; i++) fn();
  };
  // at least 2 samples after one warm-up call, more while the budget lasts; a call of over 0.2 s
  // gets exactly 2 samples (over 1 s: 1, the plain JavaScript loop on 2048x32000 takes seconds a
  // call), the estimate above having warmed it up
  const slow = once > 200;
  const bench = new Bench(
    slow
      ? { time: 0, iterations: once > 1000 ? 1 : 2, warmupIterations: 0, warmupTime: 0, retainSamples: false }
      : { time: budgetMs, iterations: 2, warmupIterations: 1, warmupTime: Math.min(50, budgetMs / 4), retainSamples: false },
  );
  bench.add('task', isAsync ? async () => body() : body, before ? { beforeAll: before } : {});
  await bench.run();
  const r = bench.tasks[0].result;
  if (!r || !r.latency) throw new Error(`tinybench: ${r?.error ?? 'no result'}`);
  return { median: (r.latency.p50 / 1e3) / k, p99: (r.latency.p99 / 1e3) / k, samples: r.latency.samplesCount, batch: k };
}

/** Largest deviation of a contender's output from logitkit's, in the measure the op's tolerance uses. */
export function disagreement(op, got, want) {
  if (op === 'crossEntropy' || op === 'bce') return relative(got, want);
  if (op === 'crossEntropyGrad') return Math.max(relative(got.loss, want.loss), disagreement('softmax', got.grad, want.grad));
  if (op === 'bceGrad') return Math.max(relative(got.loss, want.loss), disagreement('logSoftmax', got.grad, want.grad));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    // log-probabilities and probabilities of independent classes (sigmoid: onnxruntime's is a
    // rational approximation, ~1e-3 relative on small outputs) compare absolutely below 1
    const absolute = op === 'logSoftmax' || op === 'logSigmoid' || op === 'sigmoid';
    const e = absolute ? Math.abs(got[i] - w) / Math.max(1, Math.abs(w)) : Math.abs(got[i] - w) / (Math.abs(w) + 1e-30);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    if (worst === Infinity) break;
  }
  return worst;
}

function relative(a, b) {
  if (a === b) return 0; // (0 and 0: a loss of one class)
  const e = Math.abs(a - b) / Math.abs(b);
  return Number.isNaN(e) ? Infinity : e;
}

/**
 * The agreement tolerance: float32 peers round x - max and accumulate in float32 (~1e-6 observed);
 * a softmax output below 1e-20 of its row is compared absolutely.
 */
// (half-precision input with a float32 result: float32 agreement; half results: a few units of
// the format's rounding, 2^-11 for float16, 2^-8 for bfloat16, of which a float16 peer's own
// rounding of its intermediates costs some)
export const TOLERANCE = { f32: 2e-5, f64: 1e-12, f16: 2e-5, bf16: 2e-5, 'f16:f16': 4 * 2 ** -11, 'bf16:bf16': 2 * 2 ** -8 };

/**
 * This machine's limits for a buffer of n elements of the dtype's input: copy and read bandwidth
 * in bytes (the copy's counting the bytes read and written), measured on buffers of the same byte
 * size (half precision: Uint16Array; its read pass over the same bytes as float32).
 */
export async function limits(dtype, n, budgetMs) {
  const half = DTYPES[dtype].half !== null;
  const a = half ? new Uint16Array(n).fill(0x3f00) : new CTOR[dtype](n).fill(0.5);
  const b = half ? new Uint16Array(n) : new CTOR[dtype](n);
  const bytes = n * DTYPES[dtype].inBytes;
  const copy = await time(() => b.set(a), { budgetMs });
  const readable = half ? new Float32Array(a.buffer, 0, n >> 1) : a;
  const read = await time(() => native.readPass(readable), { budgetMs });
  return {
    elements: n,
    copyGBs: (2 * bytes) / copy.median / 1e9,
    readGBs: (readable.length * (half ? 4 : BYTES[dtype])) / read.median / 1e9,
    copySeconds: copy.median,
    readSeconds: read.median,
  };
}

/** The bare vector exp loop of the active SIMD path on a cache-resident buffer: elements/s (half dtypes compute in float32). */
export async function expCeiling(dtypeIn, budgetMs) {
  const dtype = dtypeIn === 'f64' ? 'f64' : 'f32';
  const n = 16384;
  const a = new CTOR[dtype](n);
  for (let i = 0; i < n; i++) a[i] = -((i * 37) % 1000) / 50;
  const b = new CTOR[dtype](n);
  const t = await time(() => native.exp(a, b), { budgetMs });
  return n / t.median;
}

/**
 * Read bandwidth with `threads` threads at once: worker threads each read their share of one
 * shared buffer (the same vectorised pass as `limits`), started together, ~20 ms a round so that
 * the start and end messages do not count. The limit a multithreaded read-only op (argmax on 2
 * threads) is held to: the single-thread read of `limits` understates what two cores pull from
 * memory. Returns { once(): seconds per pass of one round, close() }.
 */
export async function readProbeThreads(dtype, n, threads) {
  const { Worker } = await import('node:worker_threads');
  const sab = new SharedArrayBuffer(n * BYTES[dtype]);
  new CTOR[dtype](sab).fill(0.5);
  const addon = process.env.LOGITKIT_ADDON || path.join(root, 'build', 'Release', 'logitkit.node');
  const src = `
    const { parentPort, workerData: w } = require('node:worker_threads');
    const native = require(w.addon);
    const a = new (w.dtype === 'f32' ? Float32Array : Float64Array)(w.sab, w.from * w.bytes, w.len);
    parentPort.on('message', (reps) => {
      for (let i = 0; i < reps; i++) native.readPass(a);
      parentPort.postMessage('done');
    });`;
  const per = Math.ceil(n / threads);
  const workers = [];
  for (let t = 0; t < threads; t++) {
    const from = t * per;
    workers.push(new Worker(src, { eval: true, workerData: { addon, sab, dtype, from, len: Math.max(0, Math.min(per, n - from)), bytes: BYTES[dtype] } }));
  }
  const run = (reps) => Promise.all(workers.map((w) => new Promise((res) => {
    w.once('message', res);
    w.postMessage(reps);
  })));
  await run(2); // warm-up (first touch, JIT)
  const reps = Math.max(1, Math.round(2e9 / (n * BYTES[dtype])));
  return {
    async once() {
      const t0 = performance.now();
      await run(reps);
      return (performance.now() - t0) / 1e3 / reps;
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
}
