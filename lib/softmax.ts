import { binding } from './binding.js';
import type { FloatArray, SoftmaxOptions } from './types.js';
import { allocLike, describe, dims, floatArray, rangeError, readOptions, sameTypeArray, typeError } from './validate.js';

const SOFTMAX_OPTIONS = ['shape', 'axis', 'out', 'temperature'] as const;

function run<T extends FloatArray>(x: T, opts: SoftmaxOptions<T> | undefined, log: boolean): T {
  floatArray('x', x);
  const o = readOptions(opts, SOFTMAX_OPTIONS);
  const d = dims('x', x.length, o.shape, o.axis);
  let temperature = 1;
  if (o.temperature !== undefined) {
    if (typeof o.temperature !== 'number') throw typeError('temperature', 'a finite number > 0', o.temperature);
    if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) {
      throw rangeError('temperature', 'a finite number > 0', describe(o.temperature));
    }
    temperature = o.temperature;
  }
  const out =
    o.out === undefined
      ? (allocLike(x, x.length) as T)
      : sameTypeArray('out', o.out, x, 'x', x.length, 'that of x');
  binding.softmax(x, out, d.outer, d.classes, d.inner, temperature, log);
  return out;
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
