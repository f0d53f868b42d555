// The contenders of the benchmark. Each is { name, version, threaded, supports(c), prepare(c, input) }
// where prepare returns { run, output } (run: one call, sync or async; output: the result of the
// last call as a Float64Array/number, for the agreement check). A case c is
// { op, dtype, R, C, threads }: op is softmax | logSoftmax | crossEntropy (mean loss, class
// indices) | crossEntropyGrad (mean loss and its gradient). Every contender computes exactly that.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodeHalf, DTYPES, halfTable, NODE } from './measure.mjs';
import { crossEntropyModel, softmaxModel, unaryModel } from './onnx.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lk = require(path.join(root, 'dist', 'index.js'));

const CTOR = { f32: Float32Array, f64: Float64Array };

/** What a contender's call produced, in the form disagreement() compares. */
function lossOutput(op, loss, out) {
  if (op === 'crossEntropy' || op === 'bce') return loss;
  if (op === 'crossEntropyGrad' || op === 'bceGrad') return { loss, grad: out };
  return out;
}

// ------------------------------------------------------------------------------------------------
// logitkit: sync calls into preallocated outputs (an allocating call would add the first-touch page faults of fresh memory to every sample)

export const logitkit = {
  name: 'logitkit',
  version: lk.info().version,
  threaded: true,
  supports: () => true,
  prepare(c, input) {
    const { x, target } = input;
    const { half, outHalf } = DTYPES[c.dtype];
    const shape = [c.R, c.C];
    // half input: dtype; float32 results, or half bits with outDtype
    const out = outHalf ? new Uint16Array(x.length) : half ? new Float32Array(x.length) : new CTOR[c.dtype](x.length);
    const o = half ? { dtype: half, ...(outHalf ? { outDtype: outHalf } : {}) } : {};
    let loss = NaN;
    const labels = c.op === 'bce' || c.op === 'bceGrad' ? input.labels : null;
    const run = {
      softmax: () => lk.softmax(x, { ...o, shape, out }),
      logSoftmax: () => lk.logSoftmax(x, { ...o, shape, out }),
      crossEntropy: () => (loss = lk.crossEntropy(x, target, { ...o, shape })),
      crossEntropyGrad: () => (loss = lk.crossEntropy(x, target, { ...o, shape, grad: out })),
      sigmoid: () => lk.sigmoid(x, { ...o, out }),
      logSigmoid: () => lk.logSigmoid(x, { ...o, out }),
      bce: () => (loss = lk.binaryCrossEntropyWithLogits(x, labels, { ...o, shape })),
      bceGrad: () => (loss = lk.binaryCrossEntropyWithLogits(x, labels, { ...o, shape, grad: out })),
    }[c.op];
    return {
      before: () => lk.setNumThreads(c.threads),
      run,
      output: () => lossOutput(c.op, loss, outHalf ? decodeHalf(outHalf, out) : out),
    };
  },
};

/**
 * The route a user of half-precision logits has without logitkit's dtype: decode the bits to a
 * Float32Array through a 65536-entry lookup table in JavaScript (as transformers.js does), then
 * call logitkit on float32. Half input with float32 results only; the Float32Array is
 * preallocated (the cheapest form of that route).
 */
export const lutRoute = {
  name: 'LUT + logitkit f32',
  version: lk.info().version,
  threaded: true,
  supports: (c) => (DTYPES[c.dtype].half && !DTYPES[c.dtype].outHalf ? true : 'n/a: half-precision input with float32 results only'),
  prepare(c, input) {
    const table = halfTable(DTYPES[c.dtype].half);
    const f32 = new Float32Array(input.x.length);
    const bits = input.x;
    const decode = (h, f) => {
      for (let i = 0; i < h.length; i++) f[i] = table[h[i]];
      return f;
    };
    const labels = c.op === 'bce' || c.op === 'bceGrad' ? decode(input.labels, new Float32Array(input.x.length)) : null;
    const p = logitkit.prepare({ ...c, dtype: 'f32' }, { x: f32, target: input.target, labels });
    return {
      before: p.before,
      run: () => {
        decode(bits, f32);
        return p.run();
      },
      output: p.output,
    };
  },
};

// ------------------------------------------------------------------------------------------------
// plain JavaScript: what users write today (max, exp-and-sum, scale), one thread

function jsRows(x, y, R, C, log) {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let m = -Infinity;
    for (let i = 0; i < C; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < C; i++) s += Math.exp(x[o + i] - m);
    if (log) {
      const l = m + Math.log(s);
      for (let i = 0; i < C; i++) y[o + i] = x[o + i] - l;
    } else {
      const inv = 1 / s;
      for (let i = 0; i < C; i++) y[o + i] = Math.exp(x[o + i] - m) * inv;
    }
  }
}

function jsCrossEntropy(x, t, R, C, grad) {
  let total = 0;
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let m = -Infinity;
    for (let i = 0; i < C; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < C; i++) s += Math.exp(x[o + i] - m);
    const l = m + Math.log(s);
    total += l - x[o + t[r]];
    if (grad) {
      const inv = 1 / s / R;
      for (let i = 0; i < C; i++) grad[o + i] = Math.exp(x[o + i] - m) * inv;
      grad[o + t[r]] = (Math.exp(x[o + t[r]] - m) / s - 1) / R; // in one expression: p - 1 rounds once
    }
  }
  return total / R;
}

function jsSigmoid(x, y, log) {
  if (log) for (let i = 0; i < x.length; i++) y[i] = Math.min(x[i], 0) - Math.log1p(Math.exp(-Math.abs(x[i])));
  else for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
}

// the stable form users copy from PyTorch: max(x, 0) - x y + log1p(exp(-|x|))
function jsBce(x, t, grad) {
  let total = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    total += Math.max(v, 0) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v)));
    if (grad) grad[i] = (1 / (1 + Math.exp(-v)) - t[i]) / n;
  }
  return total / n;
}

export const javascript = {
  name: 'js loop',
  version: process.version,
  threaded: false,
  supports: (c) => (DTYPES[c.dtype].outHalf ? 'n/a: no rounding to half precision in the JS loop' : true),
  prepare(c, input) {
    const { half } = DTYPES[c.dtype];
    // half input: decoded through the lookup table inside the call, into a preallocated Float32Array
    const table = half ? halfTable(half) : null;
    const decoded = half ? new Float32Array(input.x.length) : null;
    const bits = input.x;
    let x = input.x;
    const target = input.target;
    const y = new (half ? Float32Array : CTOR[c.dtype])(x.length);
    let loss = NaN;
    let labels = c.op === 'bce' || c.op === 'bceGrad' ? input.labels : null;
    if (half && labels) labels = Float32Array.from(labels, (h) => table[h]);
    const fn = {
      softmax: () => jsRows(x, y, c.R, c.C, false),
      logSoftmax: () => jsRows(x, y, c.R, c.C, true),
      crossEntropy: () => (loss = jsCrossEntropy(x, target, c.R, c.C, null)),
      crossEntropyGrad: () => (loss = jsCrossEntropy(x, target, c.R, c.C, y)),
      sigmoid: () => jsSigmoid(x, y, false),
      logSigmoid: () => jsSigmoid(x, y, true),
      bce: () => (loss = jsBce(x, labels, null)),
      bceGrad: () => (loss = jsBce(x, labels, y)),
    }[c.op];
    const run = half
      ? () => {
          for (let i = 0; i < bits.length; i++) decoded[i] = table[bits[i]];
          x = decoded;
          fn();
        }
      : fn;
    return { run, output: () => lossOutput(c.op, loss, y) };
  },
};

// ------------------------------------------------------------------------------------------------
// onnxruntime-node: single-node models, intra-op threads = the thread count measured

function tryRequire(name) {
  try {
    return { mod: require(name), version: require(`${name}/package.json`).version };
  } catch (e) {
    return { error: `${name} is not installed (${String(e.message).split('\n')[0]})` };
  }
}

/**
 * Loads a peer with native code in a child process first: a peer that crashes while loading (as
 * onnxruntime-node's arm64 build does under qemu-user on some hosts) would take the whole bench
 * down with it. Returns null when it loads, else why not.
 */
export function probeNative(name) {
  try {
    require.resolve(name);
  } catch {
    return null; // not installed: tryRequire says so
  }
  const r = spawnSync(NODE[0], [...NODE.slice(1), '-e', `require(${JSON.stringify(name)})`], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (r.status === 0) return null;
  const how = r.signal ? `signal ${r.signal}` : r.error ? r.error.message : `exit code ${r.status}`;
  const last = String(r.stderr ?? '').trim().split('\n').filter(Boolean).pop();
  return `${name} fails to load on this machine (${how}${last ? `: ${last.slice(0, 200)}` : ''})`;
}

export async function onnxruntime() {
  const crash = probeNative('onnxruntime-node');
  if (crash) return { name: 'onnxruntime', missing: crash };
  const { mod: ort, version, error } = tryRequire('onnxruntime-node');
  if (error) return { name: 'onnxruntime', missing: error };
  const sessions = new Map();
  const session = async (key, bytes, threads) => {
    const k = `${key}/${threads}`;
    if (!sessions.has(k)) {
      sessions.set(k, await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' }));
    }
    return sessions.get(k);
  };
  return {
    name: 'onnxruntime',
    version,
    threaded: true,
    supports: (c) => {
      if (c.op === 'crossEntropyGrad' || c.op === 'bceGrad') return 'inference only: no gradient';
      if (c.op === 'logSigmoid' || c.op === 'bce') return 'no single ONNX operator';
      if (c.dtype === 'bf16' || c.dtype === 'bf16:bf16') return 'n/a: no bfloat16 in onnxruntime-node';
      if (c.dtype === 'f16') return 'n/a: float16 in, float16 out (see f16:f16)';
      return true;
    },
    async prepare(c, { x, target }) {
      const type = { f32: 'float32', f64: 'float64', 'f16:f16': 'float16' }[c.dtype];
      const feeds = { x: new ort.Tensor(type, x, [c.R, c.C]) };
      const m = c.dtype === 'f16:f16' ? 'f16' : c.dtype; // the model's element type
      let s;
      if (c.op === 'sigmoid') {
        s = await session(`sigmoid-${m}`, unaryModel(m, 'Sigmoid'), c.threads);
      } else if (c.op === 'crossEntropy') {
        s = await session(`ce-${m}`, crossEntropyModel(m), c.threads);
        feeds.labels = new ort.Tensor('int64', BigInt64Array.from(target, BigInt), [c.R]);
      } else {
        s = await session(`${c.op}-${m}`, softmaxModel(m, c.op === 'logSoftmax'), c.threads);
      }
      let result;
      return {
        run: async () => {
          result = await s.run(feeds);
        },
        output: () => {
          const data = Object.values(result)[0].data;
          const values = type === 'float16' ? decodeHalf('float16', data) : data;
          return c.op === 'crossEntropy' ? Number(values[0]) : values;
        },
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// TensorFlow.js, wasm (XNNPACK) and cpu backends: tensor in, op, dataSync out, dispose

export async function tensorflow(backend) {
  const name = `tfjs-${backend}`;
  const quiet = [console.log, console.warn];
  console.log = console.warn = () => {}; // tfjs greets Node users when it loads
  let tf;
  try {
    const core = tryRequire('@tensorflow/tfjs');
    if (core.error) return { name, missing: core.error };
    tf = core.mod;
    if (backend === 'wasm') {
      const wasm = tryRequire('@tensorflow/tfjs-backend-wasm');
      if (wasm.error) return { name, missing: wasm.error };
    }
  } finally {
    [console.log, console.warn] = quiet;
  }
  const version = tf.version.tfjs;
  return {
    name,
    version,
    threaded: false,
    supports: (c) => {
      if (c.dtype !== 'f32') return c.dtype === 'f64' ? 'no float64 in tfjs' : 'n/a: no half-precision input in tfjs';
      if (c.op === 'crossEntropyGrad' || c.op === 'bceGrad') return 'no fused gradient';
      // the cpu backend runs ~500x slower than logitkit: above 1e6 elements one call takes seconds
      if (backend === 'cpu' && c.R * c.C > 1_000_000) return 'skipped';
      return true;
    },
    async prepare(c, input) {
      const { x, target } = input;
      const labels = c.op === 'bce' ? input.labels : null;
      if (tf.getBackend() !== backend) {
        await tf.setBackend(backend);
        await tf.ready();
      }
      // class indices as positions in the flattened log-probabilities (integer targets: logSoftmax + gather)
      const flat = Int32Array.from(target, (t, r) => r * c.C + t);
      let out;
      const run = () => {
        out = tf.tidy(() => {
          const t = tf.tensor2d(x, [c.R, c.C]);
          if (c.op === 'softmax') return tf.softmax(t);
          if (c.op === 'logSoftmax') return tf.logSoftmax(t);
          if (c.op === 'sigmoid') return tf.sigmoid(t);
          if (c.op === 'logSigmoid') return tf.logSigmoid(t);
          if (c.op === 'bce') return tf.losses.sigmoidCrossEntropy(tf.tensor2d(labels, [c.R, c.C]), t);
          return tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(t), [-1]), tf.tensor1d(flat, 'int32'))));
        });
        const data = out.dataSync();
        out.dispose();
        out = data;
      };
      return { run, output: () => (c.op === 'crossEntropy' || c.op === 'bce' ? out[0] : out) };
    },
  };
}
