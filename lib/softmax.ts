import { binding } from './binding.js';
import type { FloatArray, SoftmaxOptions } from './types.js';
import { smallSoftmax, isSmallSoftmax } from './small.js';
import {
  allocLike,
  describe,
  dims,
  floatArray,
  jsPathMayRun,
  optionReadFailed,
  optionsGiven,
  rangeError,
  sameTypeArray,
  typeError,
} from './validate.js';

const SOFTMAX_OPTIONS = ['shape', 'axis', 'out', 'temperature'] as const;

/** The options, each read once in the order of SOFTMAX_OPTIONS (the names written out: see optionsGiven). */
function readSoftmaxOptions(v: unknown) {
  if (!optionsGiven(v, SOFTMAX_OPTIONS)) return { shape: undefined, axis: undefined, out: undefined, temperature: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'axis';
    const axis: unknown = v.axis;
    key = 'out';
    const out: unknown = v.out;
    key = 'temperature';
    const temperature: unknown = v.temperature;
    return { shape, axis, out, temperature };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

interface Prepared<T> {
  out: T;
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
function prepare<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined, log: boolean): Prepared<T> {
  const length = floatArray('x', x);
  const o = readSoftmaxOptions(opts);
  const d = dims('x', length, o.shape, o.axis);
  let temperature = 1;
  if (o.temperature !== undefined) {
    if (typeof o.temperature !== 'number') throw typeError('temperature', 'a finite number > 0', o.temperature);
    if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) {
      throw rangeError('temperature', 'a finite number > 0', describe(o.temperature));
    }
    temperature = o.temperature;
  }
  const out = o.out === undefined ? (allocLike(x, length) as T) : sameTypeArray('out', o.out, x, 'x', length, 'that of x');
  const done = isSmallSoftmax(length) && jsPathMayRun(x, length, out, o.out !== undefined, true);
  if (done) smallSoftmax(x, out, d.outer, d.classes, d.inner, temperature, log);
  // named fields, not an argument array: the sync path is a hot path for small calls, and V8
  // removes this object when prepare() is inlined, where an array and a spread cost ~40 ns a call
  return { out, outer: d.outer, classes: d.classes, inner: d.inner, temperature, done };
}

function run<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined, log: boolean): T {
  const p = prepare(x, opts, log);
  if (!p.done) binding.softmax(x, p.out, p.outer, p.classes, p.inner, p.temperature, log);
  return p.out;
}

async function runAsync<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined, log: boolean): Promise<T> {
  const p = prepare(x, opts, log);
  // (a small call is done at once, as the sync one: the same bits; no thread is worth its hop)
  if (p.done) return p.out;
  return (await binding.softmaxAsync(x, p.out, p.outer, p.classes, p.inner, p.temperature, log)) as T;
}

/**
 * softmax(x / temperature) along one axis, numerically stable (the row maximum is subtracted
 * exactly). Returns a new array of the type of `x`, or `opts.out`.
 *
 * A row with a NaN or +Infinity, or of only -Infinity, gives NaN throughout; -Infinity entries of
 * other rows give 0.
 */
export function softmax<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): T {
  return run(x, opts, false);
}

/** log(softmax(x / temperature)) along one axis, computed as (x - max) / temperature - log(sum). -Infinity entries give -Infinity. */
export function logSoftmax<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): T {
  return run(x, opts, true);
}

/**
 * {@link softmax} computed off the JavaScript thread: same arguments, same result, as a Promise.
 * Argument errors reject it. Do not write `x` or `out` until it settles.
 */
export function softmaxAsync<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): Promise<T> {
  return runAsync(x, opts, false);
}

/** {@link logSoftmax} computed off the JavaScript thread, as a Promise (see {@link softmaxAsync}). */
export function logSoftmaxAsync<T extends FloatArray>(x: T, opts?: SoftmaxOptions<T>): Promise<T> {
  return runAsync(x, opts, true);
}
