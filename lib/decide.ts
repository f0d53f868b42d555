import { binding, type NativeBinding } from './binding.js';
import type { ArgmaxOptions, DtypeOptions, FloatArray, HalfInput, SampleOptions, TopKMode, TopKOptions, TopKResult } from './types.js';
import { isSmallArgmax, smallArgmax } from './small.js';
import { floatInput, outputFor, shapeFor } from './dtype.js';
import {
  describe,
  dims,
  formatShape,
  jsPathMayRun,
  kindOf,
  lengthOf,
  liveLength,
  optionReadFailed,
  optionsGiven,
  rangeError,
  typeError,
  type Dims,
} from './validate.js';

const ARGMAX_OPTIONS = ['shape', 'axis', 'out', 'dtype'] as const;

/** The options, each read once in the order of ARGMAX_OPTIONS (the names written out: see optionsGiven). */
function readArgmaxOptions(v: unknown) {
  if (!optionsGiven(v, ARGMAX_OPTIONS)) return { shape: undefined, axis: undefined, out: undefined, dtype: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'axis';
    const axis: unknown = v.axis;
    key = 'out';
    const out: unknown = v.out;
    key = 'dtype';
    const dtype: unknown = v.dtype;
    return { shape, axis, out, dtype };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

const TOPK_OPTIONS = ['shape', 'axis', 'largest', 'mode', 'temperature', 'values', 'indices', 'dtype', 'outDtype'] as const;

/** The options, each read once in the order of TOPK_OPTIONS (the names written out: see optionsGiven). */
function readTopKOptions(v: unknown) {
  if (!optionsGiven(v, TOPK_OPTIONS)) return { shape: undefined, axis: undefined, largest: undefined, mode: undefined, temperature: undefined, values: undefined, indices: undefined, dtype: undefined, outDtype: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'axis';
    const axis: unknown = v.axis;
    key = 'largest';
    const largest: unknown = v.largest;
    key = 'mode';
    const mode: unknown = v.mode;
    key = 'temperature';
    const temperature: unknown = v.temperature;
    key = 'values';
    const values: unknown = v.values;
    key = 'indices';
    const indices: unknown = v.indices;
    key = 'dtype';
    const dtype: unknown = v.dtype;
    key = 'outDtype';
    const outDtype: unknown = v.outDtype;
    return { shape, axis, largest, mode, temperature, values, indices, dtype, outDtype };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

const SAMPLE_OPTIONS = ['shape', 'axis', 'temperature', 'topK', 'topP', 'minP', 'seed', 'offset', 'out', 'logprobs', 'dtype', 'outDtype'] as const;

/** The options, each read once in the order of SAMPLE_OPTIONS (the names written out: see optionsGiven). */
function readSampleOptions(v: unknown) {
  if (!optionsGiven(v, SAMPLE_OPTIONS)) return { shape: undefined, axis: undefined, temperature: undefined, topK: undefined, topP: undefined, minP: undefined, seed: undefined, offset: undefined, out: undefined, logprobs: undefined, dtype: undefined, outDtype: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'axis';
    const axis: unknown = v.axis;
    key = 'temperature';
    const temperature: unknown = v.temperature;
    key = 'topK';
    const topK: unknown = v.topK;
    key = 'topP';
    const topP: unknown = v.topP;
    key = 'minP';
    const minP: unknown = v.minP;
    key = 'seed';
    const seed: unknown = v.seed;
    key = 'offset';
    const offset: unknown = v.offset;
    key = 'out';
    const out: unknown = v.out;
    key = 'logprobs';
    const logprobs: unknown = v.logprobs;
    key = 'dtype';
    const dtype: unknown = v.dtype;
    key = 'outDtype';
    const outDtype: unknown = v.outDtype;
    return { shape, axis, temperature, topK, topP, minP, seed, offset, out, logprobs, dtype, outDtype };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}
const MODE_CODES: Record<TopKMode, number> = { logits: 0, softmax: 1, logSoftmax: 2, sigmoid: 3 };
const MAX_CLASSES = 2147483647;

/** The shape of a decision's input; rows (the shape without the axis) = outer * inner. */
function decisionDims(name: string, length: number, shape: unknown, axis: unknown, needClasses: boolean): Dims {
  const d = dims(name, length, shape, axis);
  if (d.classes > MAX_CLASSES) throw rangeError(`shape[${d.axis}]`, `at most ${MAX_CLASSES} classes (indices are Int32Array)`, `${d.classes}`);
  if (needClasses && d.classes === 0 && d.outer * d.inner > 0) {
    throw rangeError(name, `at least one class along axis ${d.axis}`, `shape ${formatShape(d.shape)}`);
  }
  // (no { ...d, rows }: an object spread cost 0.5 µs a call, more than a small call's kernel)
  return d;
}

/** An Int32Array output of the given length, or a new one. */
function indexOut(name: string, v: unknown, length: number, why: string): Int32Array {
  if (v === undefined) return new Int32Array(length);
  if (kindOf(v) !== 'Int32Array') throw typeError(name, 'Int32Array', v);
  const got = liveLength(name, v as Int32Array);
  if (got !== length) throw rangeError(name, `length ${length} (${why})`, `length ${got}`);
  return v as Int32Array;
}

function finiteAtLeast(name: string, v: unknown, lo: number, strict: boolean, fallback: number): number {
  if (v === undefined) return fallback;
  const what = () => `a finite number ${strict ? '>' : '>='} ${lo}`;
  if (typeof v !== 'number') throw typeError(name, what(), v);
  if (!Number.isFinite(v) || (strict ? !(v > lo) : !(v >= lo))) throw rangeError(name, what(), describe(v));
  return v;
}

// ---------------------------------------------------------------------------------------------
// argmax

type ArgmaxArgs = Parameters<NativeBinding['argmax']>;

/**
 * The addon's arguments, and whether the call is already done: a small one is computed here in
 * JavaScript (lib/small.ts; the rest goes to the addon, see jsPathMayRun).
 */
function prepareArgmax(xIn: unknown, opts: unknown): [...ArgmaxArgs, boolean] {
  const o = readArgmaxOptions(opts);
  const input = floatInput('x', xIn, o.dtype);
  const x = input.data;
  const length = input.length;
  const d = decisionDims('x', length, shapeFor('x', input, o.shape), o.axis, true);
  const out = indexOut('out', o.out, d.outer * d.inner, 'one per row: the shape without the axis');
  let done = false;
  if (input.code === 0 && isSmallArgmax(length) && jsPathMayRun(x, length, out, o.out !== undefined, false)) {
    smallArgmax(x as FloatArray, d.outer, d.classes, d.inner, out);
    done = true;
  }
  return [x, d.outer, d.classes, d.inner, out, input.code, done];
}

/**
 * The index of the largest entry along one axis, per row: the first maximum, or the first NaN (a
 * NaN counts as larger than everything, as in PyTorch). Returns an Int32Array with one entry per
 * row (the shape without the axis, row-major), or `opts.out`.
 */
export function argmax(x: FloatArray | HalfInput, opts?: ArgmaxOptions & Pick<DtypeOptions, 'dtype'>): Int32Array {
  const a = prepareArgmax(x, opts);
  if (!a[6]) binding.argmax(a[0], a[1], a[2], a[3], a[4], a[5]);
  return a[4];
}

/** {@link argmax} computed off the JavaScript thread, as a Promise. Do not write `x` or `out` until it settles. */
export async function argmaxAsync(x: FloatArray | HalfInput, opts?: ArgmaxOptions & Pick<DtypeOptions, 'dtype'>): Promise<Int32Array> {
  const a = prepareArgmax(x, opts);
  // (a small call is done at once, as the sync one)
  if (!a[6]) await binding.argmaxAsync(a[0], a[1], a[2], a[3], a[4], a[5]);
  return a[4];
}

// ---------------------------------------------------------------------------------------------
// topK

interface PreparedTopK {
  x: FloatArray | Uint16Array;
  xCode: number;
  valuesCode: number;
  result: ArrayBufferView;
  outer: number;
  classes: number;
  inner: number;
  largest: boolean;
  mode: number;
  temperature: number;
  values: FloatArray | Uint16Array;
  indices: Int32Array;
}

// named fields, not an argument array and a spread: V8 removes this object when the function is
// inlined (as for softmax); the array form cost ~0.4 µs a call, a third of a small call
function prepareTopK(xIn: unknown, k: number, opts: unknown): PreparedTopK {
  const o = readTopKOptions(opts);
  const input = floatInput('x', xIn, o.dtype);
  const x = input.data;
  const length = input.length;
  const d = decisionDims('x', length, shapeFor('x', input, o.shape), o.axis, false);
  // (messages are built only when thrown: a template string a call costs ~0.1 µs)
  const kWhat = () => `an integer in [0, ${d.classes}] (the classes along axis ${d.axis})`;
  if (typeof k !== 'number') throw typeError('k', kWhat(), k);
  if (!Number.isInteger(k) || k < 0 || k > d.classes) throw rangeError('k', kWhat(), describe(k));
  let largest = true;
  if (o.largest !== undefined) {
    if (typeof o.largest !== 'boolean') throw typeError('largest', 'a boolean', o.largest);
    largest = o.largest;
  }
  let mode: TopKMode = 'logits';
  if (o.mode !== undefined) {
    const modes = "'logits', 'softmax', 'logSoftmax' or 'sigmoid'";
    if (typeof o.mode !== 'string') throw typeError('mode', modes, o.mode);
    if (!Object.prototype.hasOwnProperty.call(MODE_CODES, o.mode)) throw rangeError('mode', modes, describe(o.mode));
    mode = o.mode as TopKMode;
  }
  let temperature = 1;
  if (o.temperature !== undefined) {
    if (mode !== 'softmax' && mode !== 'logSoftmax') {
      throw typeError('temperature', `undefined with mode '${mode}' (it scales modes 'softmax' and 'logSoftmax')`, o.temperature);
    }
    temperature = finiteAtLeast('temperature', o.temperature, 0, true, 1);
  }
  const rows = d.outer * d.inner;
  const n = rows * k;
  // the checks' messages are only built for a wrong buffer
  const fits = (v: unknown, kind: string | undefined) => kindOf(v) === kind && lengthOf(v as ArrayBufferView) === n && n > 0;
  let values: FloatArray | Uint16Array;
  let result: ArrayBufferView;
  let valuesCode = 0;
  if (input.code === 0 && o.outDtype === undefined && o.values !== undefined && fits(o.values, kindOf(x))) {
    values = o.values as FloatArray;
    result = values;
  } else {
    const v = outputFor('values', input, o.outDtype, o.values, n, `rows x k = ${rows} x ${k}`, 'x');
    values = v.view;
    result = v.result;
    valuesCode = v.code;
  }
  let indices: Int32Array;
  if (o.indices === undefined) indices = new Int32Array(n);
  else if (fits(o.indices, 'Int32Array')) indices = o.indices as Int32Array;
  else indices = indexOut('indices', o.indices, n, `rows x k = ${rows} x ${k}`);
  return { x, xCode: input.code, valuesCode, result, outer: d.outer, classes: d.classes, inner: d.inner, largest, mode: MODE_CODES[mode], temperature, values, indices };
}

/**
 * The k largest (or, with `largest: false`, smallest) entries of every row along one axis, sorted
 * (descending for largest), equal values in index order, NaN counted as the largest (the ONNX TopK
 * rules), with their indices. `values` and `indices` are rows x k, row-major (rows: the shape
 * without the axis). With `mode: 'softmax' | 'logSoftmax'` the values are those classes' full-row
 * softmax / log-softmax (not renormalised over the k), as exact as {@link softmax}.
 */
export function topK<T extends FloatArray>(x: T, k: number, opts?: TopKOptions<T>): TopKResult<T>;
/** topK of float16 / bfloat16 bits (`dtype`), a Float16Array or an onnxruntime Tensor: Float32Array values, or half bits with `outDtype`. */
export function topK(x: HalfInput, k: number, opts?: HalfTopKOptions): { values: Float32Array | Float64Array | Uint16Array; indices: Int32Array };
export function topK(x: unknown, k: number, opts?: unknown): { values: ArrayBufferView; indices: Int32Array } {
  const p = prepareTopK(x, k, opts);
  binding.topk(p.x, p.outer, p.classes, p.inner, k, p.largest, p.mode, p.temperature, p.values, p.indices, p.xCode, p.valuesCode);
  return { values: p.result, indices: p.indices };
}

/** {@link topK} computed off the JavaScript thread, as a Promise. */
export function topKAsync<T extends FloatArray>(x: T, k: number, opts?: TopKOptions<T>): Promise<TopKResult<T>>;
export function topKAsync(x: HalfInput, k: number, opts?: HalfTopKOptions): Promise<{ values: Float32Array | Float64Array | Uint16Array; indices: Int32Array }>;
export async function topKAsync(x: unknown, k: number, opts?: unknown): Promise<{ values: ArrayBufferView; indices: Int32Array }> {
  const p = prepareTopK(x, k, opts);
  await binding.topkAsync(p.x, p.outer, p.classes, p.inner, k, p.largest, p.mode, p.temperature, p.values, p.indices, p.xCode, p.valuesCode);
  return { values: p.result, indices: p.indices };
}

/** The options of the half-precision and Tensor forms. */
export type HalfTopKOptions = Omit<TopKOptions, 'values'> & DtypeOptions & { values?: ArrayBufferView };

// ---------------------------------------------------------------------------------------------
// sample

const TWO32 = 4294967296;

interface PreparedSample {
  x: FloatArray | Uint16Array;
  xCode: number;
  logprobsCode: number;
  outer: number;
  classes: number;
  inner: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seedLo: number;
  seedHi: number;
  seeds: BigUint64Array | null;
  offset: number;
  out: Int32Array;
  logprobs: FloatArray | Uint16Array | null;
}

function prepareSample(logitsIn: unknown, opts: unknown): PreparedSample {
  const o = readSampleOptions(opts);
  const input = floatInput('logits', logitsIn, o.dtype);
  const logits = input.data;
  const length = input.length;
  const d = decisionDims('logits', length, shapeFor('logits', input, o.shape), o.axis, true);
  const rows = d.outer * d.inner;
  const temperature = finiteAtLeast('temperature', o.temperature, 0, false, 1);
  let topK = 0;
  if (o.topK !== undefined) {
    if (typeof o.topK !== 'number') throw typeError('topK', 'an integer >= 1', o.topK);
    if (!Number.isSafeInteger(o.topK) || o.topK < 1) throw rangeError('topK', 'an integer >= 1', describe(o.topK));
    topK = o.topK;
  }
  let topP = 1;
  if (o.topP !== undefined) {
    if (typeof o.topP !== 'number') throw typeError('topP', 'a number in (0, 1]', o.topP);
    if (!(o.topP > 0 && o.topP <= 1)) throw rangeError('topP', 'a number in (0, 1]', describe(o.topP));
    topP = o.topP;
  }
  let minP = 0;
  if (o.minP !== undefined) {
    if (typeof o.minP !== 'number') throw typeError('minP', 'a number in [0, 1]', o.minP);
    if (!(o.minP >= 0 && o.minP <= 1)) throw rangeError('minP', 'a number in [0, 1]', describe(o.minP));
    minP = o.minP;
  }
  let offset = 0;
  if (o.offset !== undefined) {
    if (typeof o.offset !== 'number') throw typeError('offset', 'a safe integer >= 0', o.offset);
    if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw rangeError('offset', 'a safe integer >= 0', describe(o.offset));
    offset = o.offset;
  }
  const seedWhat = 'a safe integer >= 0, a bigint in [0, 2^64) or a BigUint64Array with one seed per row';
  let seedLo = 0;
  let seedHi = 0;
  let seeds: BigUint64Array | null = null;
  const s = o.seed;
  if (s === undefined) {
    if (rows > 0 && temperature > 0) {
      throw typeError('seed', `${seedWhat} (sample has no hidden generator: a draw is reproducible from its seed)`, s);
    }
  } else if (typeof s === 'number') {
    if (!Number.isSafeInteger(s) || s < 0) throw rangeError('seed', seedWhat, describe(s));
    seedLo = s % TWO32;
    seedHi = Math.floor(s / TWO32);
  } else if (typeof s === 'bigint') {
    if (s < 0n || s >= 1n << 64n) throw rangeError('seed', seedWhat, describe(s));
    seedLo = Number(s & 0xffffffffn);
    seedHi = Number(s >> 32n);
  } else if (kindOf(s) === 'BigUint64Array') {
    const got = liveLength('seed', s as BigUint64Array);
    if (got !== rows) throw rangeError('seed', `length ${rows} (one seed per row)`, `length ${got}`);
    seeds = s as BigUint64Array;
  } else {
    throw typeError('seed', seedWhat, s);
  }
  const out = indexOut('out', o.out, rows, 'one per row: the shape without the axis');
  const lp = o.logprobs === undefined ? null : outputFor('logprobs', input, o.outDtype, o.logprobs, rows, 'one per row', 'logits');
  return {
    x: logits, xCode: input.code, logprobsCode: lp ? lp.code : 0,
    outer: d.outer, classes: d.classes, inner: d.inner, temperature, topK, topP, minP, seedLo, seedHi, seeds, offset, out, logprobs: lp ? lp.view : null,
  };
}

/**
 * One class per row drawn from softmax(logits / temperature) after truncation, in this order:
 * top-k, top-p, min-p. The draw is reproducible by contract (README, "Sampling"): row r's uniform is
 * Philox4x32-10 keyed by the seed at counter offset + r, and the class is the first kept class, in
 * index order, whose cumulative probability exceeds it. `temperature: 0` is greedy (argmax). A row
 * with a NaN or only -Infinity, or (temperature > 0) a +Infinity, gives -1 (and a NaN log-probability).
 */
export function sample<T extends FloatArray>(logits: T, opts?: SampleOptions<T>): Int32Array;
/** sample from float16 / bfloat16 bits (`dtype`), a Float16Array or an onnxruntime Tensor (logprobs: Float32Array, or half bits with `outDtype`). */
export function sample(logits: HalfInput, opts?: HalfSampleOptions): Int32Array;
export function sample(logits: unknown, opts?: unknown): Int32Array {
  const p = prepareSample(logits, opts);
  binding.sample(p.x, p.outer, p.classes, p.inner, p.temperature, p.topK, p.topP, p.minP, p.seedLo, p.seedHi, p.seeds, p.offset, p.out, p.logprobs, p.xCode, p.logprobsCode);
  return p.out;
}

/** {@link sample} computed off the JavaScript thread, as a Promise. */
export function sampleAsync<T extends FloatArray>(logits: T, opts?: SampleOptions<T>): Promise<Int32Array>;
export function sampleAsync(logits: HalfInput, opts?: HalfSampleOptions): Promise<Int32Array>;
export async function sampleAsync(logits: unknown, opts?: unknown): Promise<Int32Array> {
  const p = prepareSample(logits, opts);
  await binding.sampleAsync(p.x, p.outer, p.classes, p.inner, p.temperature, p.topK, p.topP, p.minP, p.seedLo, p.seedHi, p.seeds, p.offset, p.out, p.logprobs, p.xCode, p.logprobsCode);
  return p.out;
}

/** The options of the half-precision and Tensor forms. */
export type HalfSampleOptions = Omit<SampleOptions, 'logprobs'> & DtypeOptions & { logprobs?: ArrayBufferView };
