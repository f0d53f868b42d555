import { binding, type NativeBinding } from './binding.js';
import { isSmallSigmoid, smallSigmoid } from './small.js';
import type { BceOptions, FloatArray, SigmoidOptions } from './types.js';
import {
  allocLike,
  describe,
  dims,
  floatArray,
  jsPathMayRun,
  kindOf,
  liveLength,
  optionReadFailed,
  optionsGiven,
  rangeError,
  REDUCTION_CODES,
  reductionOption,
  sameTypeArray,
  typeError,
} from './validate.js';

const SIGMOID_OPTIONS = ['out'] as const;

/** The options, each read once in the order of SIGMOID_OPTIONS (the names written out: see optionsGiven). */
function readSigmoidOptions(v: unknown) {
  if (!optionsGiven(v, SIGMOID_OPTIONS)) return { out: undefined };
  try {
    return { out: v.out as unknown };
  } catch (e) {
    throw optionReadFailed('out', e);
  }
}

const BCE_OPTIONS = ['shape', 'weight', 'posWeight', 'reduction', 'out', 'grad'] as const;

/** The options, each read once in the order of BCE_OPTIONS (the names written out: see optionsGiven). */
function readBceOptions(v: unknown) {
  if (!optionsGiven(v, BCE_OPTIONS)) return { shape: undefined, weight: undefined, posWeight: undefined, reduction: undefined, out: undefined, grad: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'weight';
    const weight: unknown = v.weight;
    key = 'posWeight';
    const posWeight: unknown = v.posWeight;
    key = 'reduction';
    const reduction: unknown = v.reduction;
    key = 'out';
    const out: unknown = v.out;
    key = 'grad';
    const grad: unknown = v.grad;
    return { shape, weight, posWeight, reduction, out, grad };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

/**
 * The output of a sigmoid call; a small call is computed here at once in JavaScript (lib/small.ts;
 * the rest goes to the addon, see jsPathMayRun) and `done` says so.
 */
function prepareSigmoid<T extends FloatArray>(x: T, opts: SigmoidOptions<T> | undefined, log: boolean): { out: T; done: boolean } {
  const length = floatArray('x', x);
  const o = readSigmoidOptions(opts);
  const out = o.out === undefined ? (allocLike(x, length) as T) : sameTypeArray('out', o.out, x, 'x', length, 'that of x');
  if (isSmallSigmoid(length) && jsPathMayRun(x, length, out, o.out !== undefined, true)) {
    smallSigmoid(x, out, log);
    return { out, done: true };
  }
  return { out, done: false };
}

/**
 * sigmoid(x) = 1 / (1 + exp(-x)), elementwise, to within 2 ulp of the exact value for every input
 * (also the subnormal results below x = -87.3 for float32, where 1 / (1 + exp(-x)) gives 0).
 * Returns a new array of the type of `x`, or `opts.out` (which may be `x` itself).
 */
export function sigmoid<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): T {
  const p = prepareSigmoid(x, opts, false);
  if (!p.done) binding.sigmoid(x, p.out, false);
  return p.out;
}

/** log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), elementwise, to within 2 ulp * max(1, |result|). */
export function logSigmoid<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): T {
  const p = prepareSigmoid(x, opts, true);
  if (!p.done) binding.sigmoid(x, p.out, true);
  return p.out;
}

/** {@link sigmoid} computed off the JavaScript thread, as a Promise. Do not write `x` or `out` until it settles. */
export async function sigmoidAsync<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): Promise<T> {
  const p = prepareSigmoid(x, opts, false);
  // (a small call is done at once, as the sync one)
  return p.done ? p.out : ((await binding.sigmoidAsync(x, p.out, false)) as T);
}

/** {@link logSigmoid} computed off the JavaScript thread, as a Promise. */
export async function logSigmoidAsync<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): Promise<T> {
  const p = prepareSigmoid(x, opts, true);
  return p.done ? p.out : ((await binding.sigmoidAsync(x, p.out, true)) as T);
}

type BceArgs = Parameters<NativeBinding['bce']>;

/** Validates and normalises the arguments of binaryCrossEntropyWithLogits and its async twin. */
function prepareBce<T extends FloatArray>(logits: T, target: T, opts: BceOptions<T> | undefined): { out: T | null; args: BceArgs } {
  const length = floatArray('logits', logits);
  const o = readBceOptions(opts);
  const d = dims('logits', length, o.shape, undefined);
  const classes = d.shape[d.shape.length - 1];
  sameTypeArray('target', target, logits, 'logits', length, 'that of logits');

  const reduction = reductionOption(o.reduction);

  let posWeight: T | null = null;
  if (o.posWeight !== undefined) {
    posWeight = sameTypeArray('posWeight', o.posWeight, logits, 'logits', classes, 'one per class: the last dimension of shape');
    for (let i = 0; i < classes; i++) {
      const v = posWeight[i];
      if (!(v >= 0 && v < Infinity)) throw rangeError(`posWeight[${i}]`, 'a finite number >= 0', describe(v));
    }
  }
  let weight: T | null = null;
  if (o.weight !== undefined) {
    const want = kindOf(logits);
    if (kindOf(o.weight) !== want) throw typeError('weight', `${want} (the type of logits)`, o.weight);
    const got = liveLength('weight', o.weight as T);
    if (got !== classes && got !== length) {
      throw rangeError('weight', `length ${classes} (one per class: the last dimension of shape) or ${length} (one per element)`, `length ${got}`);
    }
    weight = o.weight as T;
  }
  const grad = o.grad === undefined ? null : sameTypeArray('grad', o.grad, logits, 'logits', length, 'that of logits');
  let out: T | null = null;
  if (reduction === 'none') {
    out = o.out === undefined ? (allocLike(logits, length) as T) : sameTypeArray('out', o.out, logits, 'logits', length, 'one loss per element');
  } else if (o.out !== undefined) {
    throw typeError('out', "undefined unless reduction is 'none'", o.out);
  }
  return { out, args: [logits, target, classes, posWeight, weight, REDUCTION_CODES[reduction], out, grad] };
}

/**
 * Binary cross-entropy on logits, as torch.nn.functional.binary_cross_entropy_with_logits: per
 * element w (pw y softplus(-x) + (1 - y) softplus(x)), with targets y in [0, 1] (soft labels
 * allowed), per-class `posWeight`, per-class or per-element `weight`, and the fused gradient.
 * 'mean' divides by the number of elements. Returns a number for 'mean' and 'sum', and the
 * per-element losses for 'none'. A target outside [0, 1] (NaN included) is a RangeError naming its
 * position, thrown before anything is written.
 */
export function binaryCrossEntropyWithLogits<T extends FloatArray>(logits: T, target: T, opts: BceOptions<T> & { reduction: 'none' }): T;
export function binaryCrossEntropyWithLogits<T extends FloatArray>(logits: T, target: T, opts?: BceOptions<T>): number;
export function binaryCrossEntropyWithLogits<T extends FloatArray>(logits: T, target: T, opts?: BceOptions<T>): number | T {
  const { out, args } = prepareBce(logits, target, opts);
  const result = binding.bce(...args);
  return out ?? (result as number);
}

/** {@link binaryCrossEntropyWithLogits} computed off the JavaScript thread, as a Promise; argument errors reject it. */
export function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts: BceOptions<T> & { reduction: 'none' }): Promise<T>;
export function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts?: BceOptions<T>): Promise<number>;
export async function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts?: BceOptions<T>): Promise<number | T> {
  const { args } = prepareBce(logits, target, opts);
  return (await binding.bceAsync(...args)) as number | T;
}
