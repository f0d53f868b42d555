import { binding, type NativeBinding } from './binding.js';
import type { CrossEntropyOptions, FloatArray, IndexArray } from './types.js';
import {
  allocLike,
  describe,
  dims,
  dtypeName,
  floatArray,
  formatShape,
  isFloatArray,
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

const CROSS_ENTROPY_OPTIONS = ['shape', 'axis', 'reduction', 'ignoreIndex', 'labelSmoothing', 'weight', 'grad', 'out'] as const;

/** The options, each read once in the order of CROSS_ENTROPY_OPTIONS (the names written out: see optionsGiven). */
function readCrossEntropyOptions(v: unknown) {
  if (!optionsGiven(v, CROSS_ENTROPY_OPTIONS)) return { shape: undefined, axis: undefined, reduction: undefined, ignoreIndex: undefined, labelSmoothing: undefined, weight: undefined, grad: undefined, out: undefined };
  let key = 'shape';
  try {
    const shape: unknown = v.shape;
    key = 'axis';
    const axis: unknown = v.axis;
    key = 'reduction';
    const reduction: unknown = v.reduction;
    key = 'ignoreIndex';
    const ignoreIndex: unknown = v.ignoreIndex;
    key = 'labelSmoothing';
    const labelSmoothing: unknown = v.labelSmoothing;
    key = 'weight';
    const weight: unknown = v.weight;
    key = 'grad';
    const grad: unknown = v.grad;
    key = 'out';
    const out: unknown = v.out;
    return { shape, axis, reduction, ignoreIndex, labelSmoothing, weight, grad, out };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}
const INDEX_TYPES = ['Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array', 'BigInt64Array'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isIndexArray(v: unknown): v is IndexArray {
  const kind = kindOf(v);
  return kind !== undefined && INDEX_TYPES.includes(kind);
}

/**
 * Cross-entropy between `logits` and `target`, as torch.nn.functional.cross_entropy: class-index
 * targets (one per row: the logits' shape without the class axis) or class probabilities (same
 * type and shape as the logits), optional per-class weights, ignored index, label smoothing and
 * the fused gradient. Returns a number for 'mean' and 'sum', and the per-row losses for 'none'.
 */
export function crossEntropy<T extends FloatArray>(
  logits: T,
  target: IndexArray | T,
  opts: CrossEntropyOptions<T> & { reduction: 'none' },
): T;
export function crossEntropy<T extends FloatArray>(logits: T, target: IndexArray | T, opts?: CrossEntropyOptions<T>): number;
export function crossEntropy<T extends FloatArray>(logits: T, target: IndexArray | T, opts?: CrossEntropyOptions<T>): number | T {
  const { out, args } = prepare(logits, target, opts);
  const result = binding.crossEntropy(...args);
  return out ?? (result as number);
}

/**
 * {@link crossEntropy} computed off the JavaScript thread, as a Promise of the same result.
 * Argument errors (an out-of-range target included) reject it. Do not write the buffers until it settles.
 */
export function crossEntropyAsync<T extends FloatArray>(
  logits: T,
  target: IndexArray | T,
  opts: CrossEntropyOptions<T> & { reduction: 'none' },
): Promise<T>;
export function crossEntropyAsync<T extends FloatArray>(logits: T, target: IndexArray | T, opts?: CrossEntropyOptions<T>): Promise<number>;
export async function crossEntropyAsync<T extends FloatArray>(logits: T, target: IndexArray | T, opts?: CrossEntropyOptions<T>): Promise<number | T> {
  const { args } = prepare(logits, target, opts);
  return (await binding.crossEntropyAsync(...args)) as number | T;
}

type CrossEntropyArgs = Parameters<NativeBinding['crossEntropy']>;

/** Validates and normalises the arguments of crossEntropy and crossEntropyAsync. */
function prepare<T extends FloatArray>(logits: T, target: IndexArray | T, opts: CrossEntropyOptions<T> | undefined): { out: T | null; args: CrossEntropyArgs } {
  const length = floatArray('logits', logits);
  const o = readCrossEntropyOptions(opts);
  const d = dims('logits', length, o.shape, o.axis);
  const rows = d.outer * d.inner;
  const dtype = dtypeName(logits);

  const isProb = isFloatArray(target);
  if (isProb) {
    if (dtypeName(target) !== dtype) {
      throw typeError('target', `class indices (${INDEX_TYPES.join(', ')}) or ${dtype} probabilities`, target);
    }
    const got = liveLength('target', target);
    if (got !== length) {
      throw rangeError('target', `length ${length} (probabilities: the logits' shape ${formatShape(d.shape)})`, `length ${got}`);
    }
  } else {
    if (!isIndexArray(target)) {
      throw typeError('target', `class indices (${INDEX_TYPES.join(', ')}) or ${dtype} probabilities`, target);
    }
    const got = liveLength('target', target);
    if (got !== rows) {
      const without = d.shape.filter((_, i) => i !== d.axis);
      throw rangeError('target', `length ${rows} (class indices: the logits' shape ${formatShape(d.shape)} without axis ${d.axis}, ${formatShape(without)})`, `length ${got}`);
    }
  }

  const reduction = reductionOption(o.reduction);

  let ignoreIndex: number | bigint = -100;
  if (o.ignoreIndex !== undefined) {
    if (isProb) throw typeError('ignoreIndex', 'undefined with probability targets (they ignore nothing)', o.ignoreIndex);
    const v = o.ignoreIndex;
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw rangeError('ignoreIndex', 'an integer', describe(v));
    } else if (typeof v === 'bigint') {
      if (v < INT64_MIN || v > INT64_MAX) throw rangeError('ignoreIndex', 'a 64-bit integer', describe(v));
    } else {
      throw typeError('ignoreIndex', 'an integer (number or bigint)', v);
    }
    ignoreIndex = v;
  }

  let smoothing = 0;
  if (o.labelSmoothing !== undefined) {
    if (typeof o.labelSmoothing !== 'number') throw typeError('labelSmoothing', 'a number in [0, 1]', o.labelSmoothing);
    if (!(o.labelSmoothing >= 0 && o.labelSmoothing <= 1)) {
      throw rangeError('labelSmoothing', 'a number in [0, 1]', describe(o.labelSmoothing));
    }
    smoothing = o.labelSmoothing;
  }

  const weight = o.weight === undefined ? null : sameTypeArray('weight', o.weight, logits, 'logits', d.classes, 'one per class');
  const grad = o.grad === undefined ? null : sameTypeArray('grad', o.grad, logits, 'logits', length, 'that of logits');
  let out: T | null = null;
  if (reduction === 'none') {
    out = o.out === undefined ? (allocLike(logits, rows) as T) : sameTypeArray('out', o.out, logits, 'logits', rows, 'one loss per row');
  } else if (o.out !== undefined) {
    throw typeError('out', "undefined unless reduction is 'none'", o.out);
  }

  return { out, args: [logits, target, d.outer, d.classes, d.inner, ignoreIndex, smoothing, weight, REDUCTION_CODES[reduction], out, grad] };
}
