import { binding, type NativeBinding } from './binding.js';
import type { CrossEntropyOptions, DtypeOptions, FloatArray, HalfInput, IndexArray } from './types.js';
import { floatInput, isHalf, outputFor, paramArray, shapeFor, sharedOutDtype, tensorDims, tensorFields, type Input } from './dtype.js';
import {
  describe,
  dims,
  formatShape,
  kindOf,
  liveLength,
  optionReadFailed,
  optionsGiven,
  rangeError,
  REDUCTION_CODES,
  reductionOption,
  typeError,
} from './validate.js';

const CROSS_ENTROPY_OPTIONS = ['shape', 'axis', 'reduction', 'ignoreIndex', 'labelSmoothing', 'weight', 'grad', 'out', 'dtype', 'targetDtype', 'outDtype'] as const;

/** The options, each read once in the order of CROSS_ENTROPY_OPTIONS (the names written out: see optionsGiven). */
function readCrossEntropyOptions(v: unknown) {
  if (!optionsGiven(v, CROSS_ENTROPY_OPTIONS)) return { shape: undefined, axis: undefined, reduction: undefined, ignoreIndex: undefined, labelSmoothing: undefined, weight: undefined, grad: undefined, out: undefined, dtype: undefined, targetDtype: undefined, outDtype: undefined };
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
    key = 'dtype';
    const dtype: unknown = v.dtype;
    key = 'targetDtype';
    const targetDtype: unknown = v.targetDtype;
    key = 'outDtype';
    const outDtype: unknown = v.outDtype;
    return { shape, axis, reduction, ignoreIndex, labelSmoothing, weight, grad, out, dtype, targetDtype, outDtype };
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

interface Target {
  data: IndexArray | FloatArray | Uint16Array;
  isProb: boolean;
  /** 1 / 2: float16 / bfloat16 probabilities; 0: class indices or float32 / float64 probabilities */
  code: number;
}

/**
 * The target: class indices (an integer TypedArray, or a Tensor of type 'int64' / 'int32') or
 * probabilities of the logits' dtype (a float array, a Uint16Array with targetDtype, a Float16Array
 * or a float Tensor).
 */
function targetOf(t: unknown, targetDtype: unknown, logits: Input): Target {
  const probs = logits.code === 0 && logits.dims === undefined ? kindOf(logits.data) : logits.dtype;
  const expected = `class indices (${INDEX_TYPES.join(', ')}) or ${probs} probabilities`;
  const kind = kindOf(t);
  const tensor = kind === undefined ? tensorFields('target', t) : undefined;
  if (tensor && (tensor.type === 'int64' || tensor.type === 'int32')) {
    const want = tensor.type === 'int64' ? 'BigInt64Array' : 'Int32Array';
    if (kindOf(tensor.data) !== want) throw typeError('target.data', `a ${want} for a Tensor of type '${tensor.type}'`, tensor.data);
    if (targetDtype !== undefined) throw typeError('targetDtype', 'undefined for class-index targets', targetDtype);
    tensorDims('target', tensor.dims, liveLength('target.data', tensor.data as IndexArray));
    return { data: tensor.data as IndexArray, isProb: false, code: 0 };
  }
  if (tensor && tensor.type !== logits.dtype) {
    throw new TypeError(`target: expected a Tensor of type 'int64' or 'int32' (class indices) or '${logits.dtype}' (probabilities of the logits' dtype), got a Tensor of type ${describe(tensor.type)}`);
  }
  const prob = tensor !== undefined || kind === 'Float32Array' || kind === 'Float64Array' || kind === 'Float16Array' || (kind === 'Uint16Array' && targetDtype !== undefined);
  if (!prob) {
    if (!isIndexArray(t)) throw typeError('target', expected, t);
    return { data: t, isProb: false, code: 0 };
  }
  const p = floatInput('target', t, targetDtype, 'targetDtype');
  if (p.dtype !== logits.dtype) throw typeError('target', expected, t);
  return { data: p.data, isProb: true, code: p.code };
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
/** cross-entropy of float16 / bfloat16 logits (`dtype`), a Float16Array or an onnxruntime Tensor; losses and gradient float32, or half bits with `outDtype`. */
export function crossEntropy(logits: HalfInput, target: IndexArray | HalfInput, opts: HalfCrossEntropyOptions & { reduction: 'none' }): Float32Array | Float64Array | Uint16Array;
export function crossEntropy(logits: HalfInput, target: IndexArray | HalfInput, opts?: HalfCrossEntropyOptions): number;
export function crossEntropy(logits: unknown, target: unknown, opts?: unknown): number | ArrayBufferView {
  const { out, args } = prepare(logits, target, opts);
  const result = binding.crossEntropy(...args);
  return out ?? (result as number);
}

/** The options of the half-precision and Tensor forms (weights stay Float32Array). */
export type HalfCrossEntropyOptions = Omit<CrossEntropyOptions, 'out' | 'grad' | 'weight'> &
  DtypeOptions & {
    weight?: Float32Array | Float64Array;
    grad?: ArrayBufferView;
    out?: ArrayBufferView;
    /** The element type of a Uint16Array of probability targets: the logits' dtype. */
    targetDtype?: 'float16' | 'bfloat16';
  };

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
export function crossEntropyAsync(logits: HalfInput, target: IndexArray | HalfInput, opts: HalfCrossEntropyOptions & { reduction: 'none' }): Promise<Float32Array | Float64Array | Uint16Array>;
export function crossEntropyAsync(logits: HalfInput, target: IndexArray | HalfInput, opts?: HalfCrossEntropyOptions): Promise<number>;
export async function crossEntropyAsync(logits: unknown, target: unknown, opts?: unknown): Promise<number | ArrayBufferView> {
  const { out, args } = prepare(logits, target, opts);
  const result = await binding.crossEntropyAsync(...args);
  return out ?? (result as number);
}

type CrossEntropyArgs = Parameters<NativeBinding['crossEntropy']>;

/** Validates and normalises the arguments of crossEntropy and crossEntropyAsync. */
function prepare(logitsIn: unknown, targetIn: unknown, opts: unknown): { out: ArrayBufferView | null; args: CrossEntropyArgs } {
  const o = readCrossEntropyOptions(opts);
  const input = floatInput('logits', logitsIn, o.dtype);
  const logits = input.data;
  const length = input.length;
  const d = dims('logits', length, shapeFor('logits', input, o.shape), o.axis);
  const rows = d.outer * d.inner;

  const tgt = targetOf(targetIn, o.targetDtype, input);
  const target = tgt.data;
  const isProb = tgt.isProb;
  if (isProb) {
    const got = liveLength('target', target);
    if (got !== length) {
      throw rangeError('target', `length ${length} (probabilities: the logits' shape ${formatShape(d.shape)})`, `length ${got}`);
    }
  } else {
    const got = liveLength('target', target);
    if (got !== rows) {
      const without = d.shape.filter((_, i) => i !== d.axis);
      // a Uint16Array as long as half logits is most likely probabilities without targetDtype
      const hint = got === length && isHalf(input.dtype) && kindOf(target) === 'Uint16Array' ? `; ${input.dtype} probabilities in a Uint16Array need targetDtype: '${input.dtype}'` : '';
      throw rangeError('target', `length ${rows} (class indices: the logits' shape ${formatShape(d.shape)} without axis ${d.axis}, ${formatShape(without)}${hint})`, `length ${got}`);
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

  const weight = o.weight === undefined ? null : paramArray('weight', o.weight, input, d.classes, 'one per class', 'logits');
  const outDtype = sharedOutDtype(input, o.outDtype, reduction === 'none' ? o.out : undefined, o.grad);
  const grad = o.grad === undefined ? null : outputFor('grad', input, outDtype, o.grad, length, 'that of logits', 'logits');
  let out: ReturnType<typeof outputFor> | null = null;
  if (reduction === 'none') {
    out = outputFor('out', input, outDtype, o.out, rows, 'one loss per row', 'logits');
  } else if (o.out !== undefined) {
    throw typeError('out', "undefined unless reduction is 'none'", o.out);
  }
  const outCode = out ? out.code : grad ? grad.code : 0;
  return {
    out: out ? out.result : null,
    args: [logits, target, d.outer, d.classes, d.inner, ignoreIndex, smoothing, weight, REDUCTION_CODES[reduction], out ? out.view : null, grad ? grad.view : null, input.code, tgt.code, outCode],
  };
}
