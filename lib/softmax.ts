import { binding } from './binding.js';
import type { FloatArray, SoftmaxOptions } from './types.js';
import { smallSoftmax, isSmallSoftmax } from './small.js';
import {
  allocLike,
  describe,
  dims,
  floatArray,
  lengthOf,
  optionReadFailed,
  optionsGiven,
  outMayBeWrittenHere,
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
  /** computed in JavaScript (lib/small.ts), not by the addon */
  small: boolean;
}

/** Validates and normalises the arguments of every softmax variant, sync or async. */
function prepare<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined): Prepared<T> {
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
  let out: T;
  // (x detached by a getter of the options is left to the addon, which names it)
  let small = isSmallSoftmax(length) && lengthOf(x) === length;
  if (o.out === undefined) out = allocLike(x, length) as T;
  else {
    out = sameTypeArray('out', o.out, x, 'x', length, 'that of x');
    if (small) small = outMayBeWrittenHere(out, x, 'out', 'x', true);
  }
  // named fields, not an argument array: the sync path is a hot path for small calls, and V8
  // removes this object when prepare() is inlined, where an array and a spread cost ~40 ns a call
  return { out, outer: d.outer, classes: d.classes, inner: d.inner, temperature, small };
}

function run<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined, log: boolean): T {
  const p = prepare(x, opts);
  if (p.small) smallSoftmax(x, p.out, p.outer, p.classes, p.inner, p.temperature, log);
  else binding.softmax(x, p.out, p.outer, p.classes, p.inner, p.temperature, log);
  return p.out;
}

async function runAsync<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined, log: boolean): Promise<T> {
  const p = prepare(x, opts);
  // a small call is done at once, as the sync one (the same bits; no thread is worth its hop)
  if (p.small) {
    smallSoftmax(x, p.out, p.outer, p.classes, p.inner, p.temperature, log);
    return p.out;
  }
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
