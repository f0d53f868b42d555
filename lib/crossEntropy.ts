import { binding, type NativeBinding } from './binding.js';
import type { CrossEntropyOptions, DtypeOptions, FloatArray, HalfInput, IndexArray } from './types.js';
import { isSmallCrossEntropy, smallCrossEntropy } from './small.js';
import { floatInput, isHalf, outputFor, paramArray, shapeFor, sharedOutDtype, tensorDims, tensorFields, type Input } from './dtype.js';
import {
  describe,
  dims,
  formatShape,
  kindOf,
  lengthOf,
  liveLength,
  optionReadFailed,
  outMayBeWrittenHere,
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
  const p = prepare(logits, target, opts);
  if (p.done) return p.out ?? p.loss;
  const result = binding.crossEntropy(p.logits, p.target, p.outer, p.classes, p.inner, p.ignoreIndex, p.smoothing, p.weight, p.reduction, p.outView, p.grad, p.logitsCode, p.targetCode, p.outCode);
  return p.out ?? (result as number);
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
  const p = prepare(logits, target, opts);
  // (a small call is done at once, as the sync one: the same result; no thread is worth its hop)
  if (p.done) return p.out ?? p.loss;
  const result = await binding.crossEntropyAsync(p.logits, p.target, p.outer, p.classes, p.inner, p.ignoreIndex, p.smoothing, p.weight, p.reduction, p.outView, p.grad, p.logitsCode, p.targetCode, p.outCode);
  return p.out ?? (result as number);
}

type Args = Parameters<NativeBinding['crossEntropy']>;

/**
 * The addon's arguments as named fields (V8 removes this object when prepare() is inlined; an
 * argument array and its spread cost more than a small call's work), what the caller gets (`out`,
 * for 'none'), and whether the call is already done: a small one is computed here in JavaScript
 * (lib/small.ts, smallCrossEntropy), its result in `loss`.
 */
interface Prepared {
  logits: Args[0];
  target: Args[1];
  outer: number;
  classes: number;
  inner: number;
  ignoreIndex: number | bigint;
  smoothing: number;
  weight: FloatArray | null;
  reduction: number;
  outView: Args[9];
  grad: Args[10];
  logitsCode: number;
  targetCode: number;
  outCode: number;
  out: ArrayBufferView | null;
  done: boolean;
  loss: number;
}

/**
 * Whether JavaScript can write a small call's outputs: the inputs still have the lengths they were
 * checked with, and every overlap the addon refuses is judged here in its order (the addon's
 * RangeError, thrown by outMayBeWrittenHere) or left to the addon when JavaScript cannot tell.
 */
function smallMayRun(x: ArrayBufferView, length: number, t: ArrayBufferView, tLength: number, w: FloatArray | null, out: ArrayBufferView | null, g: ArrayBufferView | null): boolean {
  if (lengthOf(x) !== length || lengthOf(t) !== tLength) return false;
  if (out) {
    if (!outMayBeWrittenHere(out, x, 'out', 'logits', false) || !outMayBeWrittenHere(out, t, 'out', 'target', false)) return false;
    if (w && !outMayBeWrittenHere(out, w, 'out', 'weight', false)) return false;
  }
  if (g) {
    if (!outMayBeWrittenHere(g, x, 'grad', 'logits', true) || !outMayBeWrittenHere(g, t, 'grad', 'target', false)) return false;
    if (w && !outMayBeWrittenHere(g, w, 'grad', 'weight', false)) return false;
    if (out && !outMayBeWrittenHere(g, out, 'grad', 'out', false)) return false;
  }
  return true;
}

/** Validates and normalises the arguments of crossEntropy and crossEntropyAsync. */
function prepare(logitsIn: unknown, targetIn: unknown, opts: unknown): Prepared {
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
  const code = REDUCTION_CODES[reduction];
  const outView = out ? out.view : null;
  const gradView = grad ? grad.view : null;
  let done = false;
  let loss = 0;
  // (half logits too, when the results are float32 or float64: the float32 call's result on the
  // decoded values, as the kernels give it)
  if (outCode === 0 && isSmallCrossEntropy(length) && smallMayRun(logits, length, target, isProb ? length : rows, weight, outView, gradView)) {
    const v = smallCrossEntropy(logits, input.code, d.outer, d.classes, d.inner, isProb ? null : (target as IndexArray), isProb ? (target as FloatArray | Uint16Array) : null, tgt.code, ignoreIndex, smoothing, weight, code, outView as FloatArray | null, gradView as FloatArray | null);
    // (undefined: a class index out of range, for the addon's RangeError)
    if (v !== undefined) {
      done = true;
      loss = v;
    }
  }
  return {
    logits, target, outer: d.outer, classes: d.classes, inner: d.inner, ignoreIndex, smoothing, weight, reduction: code,
    outView, grad: gradView, logitsCode: input.code, targetCode: tgt.code, outCode, out: out ? out.result : null, done, loss,
  };
}
