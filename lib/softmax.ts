import { binding } from './binding.js';
import type { DtypeOptions, FloatArray, HalfInput, SoftmaxOptions } from './types.js';
import { smallSoftmax, isSmallSoftmax } from './small.js';
import { floatInput, outputFor, shapeFor } from './dtype.js';
import {
  describe,
  dims,
  jsPathMayRun,
  optionReadFailed,
  optionsGiven,
  rangeError,
  typeError,
} from './validate.js';

const SOFTMAX_OPTIONS = ['shape', 'axis', 'out', 'temperature', 'dtype', 'outDtype'] as const;

/** The options, each read once in the order of SOFTMAX_OPTIONS (the names written out: see optionsGiven). */
function readSoftmaxOptions(v: unknown) {
  if (!optionsGiven(v, SOFTMAX_OPTIONS)) return { shape: undefined, axis: undefined, out: undefined, temperature: undefined, dtype: undefined, outDtype: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'axis';
    const axis: unknown = v.axis;
    key = 'out';
    const out: unknown = v.out;
    key = 'temperature';
    const temperature: unknown = v.temperature;
    key = 'dtype';
    const dtype: unknown = v.dtype;
    key = 'outDtype';
    const outDtype: unknown = v.outDtype;
    return { shape, axis, out, temperature, dtype, outDtype };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

interface Prepared {
  /** what the addon reads and writes, and their element type codes */
  x: FloatArray | Uint16Array;
  out: FloatArray | Uint16Array;
  xCode: number;
  outCode: number;
  /** what the caller gets */
  result: ArrayBufferView;
  outer: number;
  classes: number;
  inner: number;
  temperature: number;
  /** already computed, in JavaScript (lib/small.ts): a small call */
  done: boolean;
}

/**
 * Validates and normalises the arguments of every softmax variant, sync or async; computes a small
 * call at once in JavaScript (lib/small.ts) and says so in `done`.
 */
function prepare(xIn: unknown, opts: unknown, log: boolean): Prepared {
  const o = readSoftmaxOptions(opts);
  const input = floatInput('x', xIn, o.dtype);
  const x = input.data;
  const length = input.length;
  const d = dims('x', length, shapeFor('x', input, o.shape), o.axis);
  let temperature = 1;
  if (o.temperature !== undefined) {
    if (typeof o.temperature !== 'number') throw typeError('temperature', 'a finite number > 0', o.temperature);
    if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) {
      throw rangeError('temperature', 'a finite number > 0', describe(o.temperature));
    }
    temperature = o.temperature;
  }
  const output = outputFor('out', input, o.outDtype, o.out, length, 'that of x', 'x');
  const out = output.view;
  const done = input.code === 0 && isSmallSoftmax(length) && jsPathMayRun(x, length, out, o.out !== undefined, true);
  if (done) smallSoftmax(x as FloatArray, out as FloatArray, d.outer, d.classes, d.inner, temperature, log);
  // named fields, not an argument array: the sync path is a hot path for small calls, and V8
  // removes this object when prepare() is inlined, where an array and a spread cost ~40 ns a call
  return { x, out, xCode: input.code, outCode: output.code, result: output.result, outer: d.outer, classes: d.classes, inner: d.inner, temperature, done };
}

function run(x: unknown, opts: unknown, log: boolean): ArrayBufferView {
  const p = prepare(x, opts, log);
  if (!p.done) binding.softmax(p.x, p.out, p.outer, p.classes, p.inner, p.temperature, log, p.xCode, p.outCode);
  return p.result;
}

async function runAsync(x: unknown, opts: unknown, log: boolean): Promise<ArrayBufferView> {
  const p = prepare(x, opts, log);
  // (a small call is done at once, as the sync one: the same bits; no thread is worth its hop)
  if (p.done) return p.result;
  await binding.softmaxAsync(p.x, p.out, p.outer, p.classes, p.inner, p.temperature, log, p.xCode, p.outCode);
  return p.result;
}

/** The options of the half-precision and Tensor forms: a Float32Array result by default, half bits with outDtype. */
export type HalfSoftmaxOptions = Omit<SoftmaxOptions, 'out'> & DtypeOptions & { out?: ArrayBufferView };

/**
 * softmax(x / temperature) along one axis, numerically stable (the row maximum is subtracted
 * exactly). Returns a new array of the type of `x`, or `opts.out`.
 *
 * A row with a NaN or +Infinity, or of only -Infinity, gives NaN throughout; -Infinity entries of
 * other rows give 0.
 */
export function softmax<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): T;
/** softmax of float16 / bfloat16 bits (`dtype`), a Float16Array or an onnxruntime Tensor: a Float32Array, or half bits with `outDtype`. */
export function softmax(x: HalfInput, opts?: HalfSoftmaxOptions): Float32Array | Float64Array | Uint16Array;
export function softmax(x: unknown, opts?: unknown): ArrayBufferView {
  return run(x, opts, false);
}

/** log(softmax(x / temperature)) along one axis, computed as (x - max) / temperature - log(sum). -Infinity entries give -Infinity. */
export function logSoftmax<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): T;
export function logSoftmax(x: HalfInput, opts?: HalfSoftmaxOptions): Float32Array | Float64Array | Uint16Array;
export function logSoftmax(x: unknown, opts?: unknown): ArrayBufferView {
  return run(x, opts, true);
}

/**
 * {@link softmax} computed off the JavaScript thread: same arguments, same result, as a Promise.
 * Argument errors reject it. Do not write `x` or `out` until it settles.
 */
export function softmaxAsync<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): Promise<T>;
export function softmaxAsync(x: HalfInput, opts?: HalfSoftmaxOptions): Promise<Float32Array | Float64Array | Uint16Array>;
export function softmaxAsync(x: unknown, opts?: unknown): Promise<ArrayBufferView> {
  return runAsync(x, opts, false);
}

/** {@link logSoftmax} computed off the JavaScript thread, as a Promise (see {@link softmaxAsync}). */
export function logSoftmaxAsync<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): Promise<T>;
export function logSoftmaxAsync(x: HalfInput, opts?: HalfSoftmaxOptions): Promise<Float32Array | Float64Array | Uint16Array>;
export function logSoftmaxAsync(x: unknown, opts?: unknown): Promise<ArrayBufferView> {
  return runAsync(x, opts, true);
}
