import { binding, type NativeBinding } from './binding.js';
import { isSmallSigmoid, smallSigmoid } from './small.js';
import type { BceOptions, DtypeOptions, FloatArray, HalfInput, SigmoidOptions } from './types.js';
import { floatInput, outputFor, paramArray, shapeFor, sharedOutDtype } from './dtype.js';
import {
  describe,
  dims,
  jsPathMayRun,
  kindOf,
  liveLength,
  optionReadFailed,
  optionsGiven,
  rangeError,
  REDUCTION_CODES,
  reductionOption,
  typeError,
} from './validate.js';

const SIGMOID_OPTIONS = ['out', 'dtype', 'outDtype'] as const;

/** The options, each read once in the order of SIGMOID_OPTIONS (the names written out: see optionsGiven). */
function readSigmoidOptions(v: unknown) {
  if (!optionsGiven(v, SIGMOID_OPTIONS)) return { out: undefined, dtype: undefined, outDtype: undefined };
  let key = 'out';
  try {
    const out: unknown = v.out;
    key = 'dtype';
    const dtype: unknown = v.dtype;
    key = 'outDtype';
    const outDtype: unknown = v.outDtype;
    return { out, dtype, outDtype };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

const BCE_OPTIONS = ['shape', 'weight', 'posWeight', 'reduction', 'out', 'grad', 'dtype', 'outDtype'] as const;

/** The options, each read once in the order of BCE_OPTIONS (the names written out: see optionsGiven). */
function readBceOptions(v: unknown) {
  if (!optionsGiven(v, BCE_OPTIONS)) return { shape: undefined, weight: undefined, posWeight: undefined, reduction: undefined, out: undefined, grad: undefined, dtype: undefined, outDtype: undefined };
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
    key = 'dtype';
    const dtype: unknown = v.dtype;
    key = 'outDtype';
    const outDtype: unknown = v.outDtype;
    return { shape, weight, posWeight, reduction, out, grad, dtype, outDtype };
  } catch (e) {
    throw optionReadFailed(key, e);
  }
}

/**
 * The output of a sigmoid call; a small call is computed here at once in JavaScript (lib/small.ts;
 * the rest goes to the addon, see jsPathMayRun) and `done` says so.
 */
function prepareSigmoid(xIn: unknown, opts: unknown, log: boolean) {
  const o = readSigmoidOptions(opts);
  const input = floatInput('x', xIn, o.dtype);
  const x = input.data;
  const length = input.length;
  const output = outputFor('out', input, o.outDtype, o.out, length, 'that of x', 'x');
  const out = output.view;
  const done = input.code === 0 && isSmallSigmoid(length) && jsPathMayRun(x, length, out, o.out !== undefined, true);
  if (done) smallSigmoid(x as FloatArray, out as FloatArray, log);
  return { x, out, xCode: input.code, outCode: output.code, result: output.result, done };
}

/** The options of the half-precision and Tensor forms. */
export type HalfSigmoidOptions = DtypeOptions & { out?: ArrayBufferView };

/**
 * sigmoid(x) = 1 / (1 + exp(-x)), elementwise, to within 2 ulp of the exact value for every input
 * (also the subnormal results below x = -87.3 for float32, where 1 / (1 + exp(-x)) gives 0).
 * Returns a new array of the type of `x`, or `opts.out` (which may be `x` itself).
 */
export function sigmoid<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): T;
/** sigmoid of float16 / bfloat16 bits (`dtype`), a Float16Array or an onnxruntime Tensor: a Float32Array, or half bits with `outDtype`. */
export function sigmoid(x: HalfInput, opts?: HalfSigmoidOptions): Float32Array | Float64Array | Uint16Array;
export function sigmoid(x: unknown, opts?: unknown): ArrayBufferView {
  const p = prepareSigmoid(x, opts, false);
  if (!p.done) binding.sigmoid(p.x, p.out, false, p.xCode, p.outCode);
  return p.result;
}

/** log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), elementwise, to within 2 ulp * max(1, |result|). */
export function logSigmoid<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): T;
export function logSigmoid(x: HalfInput, opts?: HalfSigmoidOptions): Float32Array | Float64Array | Uint16Array;
export function logSigmoid(x: unknown, opts?: unknown): ArrayBufferView {
  const p = prepareSigmoid(x, opts, true);
  if (!p.done) binding.sigmoid(p.x, p.out, true, p.xCode, p.outCode);
  return p.result;
}

/** {@link sigmoid} computed off the JavaScript thread, as a Promise. Do not write `x` or `out` until it settles. */
export function sigmoidAsync<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): Promise<T>;
export function sigmoidAsync(x: HalfInput, opts?: HalfSigmoidOptions): Promise<Float32Array | Float64Array | Uint16Array>;
export async function sigmoidAsync(x: unknown, opts?: unknown): Promise<ArrayBufferView> {
  const p = prepareSigmoid(x, opts, false);
  // (a small call is done at once, as the sync one)
  if (!p.done) await binding.sigmoidAsync(p.x, p.out, false, p.xCode, p.outCode);
  return p.result;
}

/** {@link logSigmoid} computed off the JavaScript thread, as a Promise. */
export function logSigmoidAsync<T extends FloatArray>(x: T, opts?: SigmoidOptions<T>): Promise<T>;
export function logSigmoidAsync(x: HalfInput, opts?: HalfSigmoidOptions): Promise<Float32Array | Float64Array | Uint16Array>;
export async function logSigmoidAsync(x: unknown, opts?: unknown): Promise<ArrayBufferView> {
  const p = prepareSigmoid(x, opts, true);
  if (!p.done) await binding.sigmoidAsync(p.x, p.out, true, p.xCode, p.outCode);
  return p.result;
}

type BceArgs = Parameters<NativeBinding['bce']>;

/** Validates and normalises the arguments of binaryCrossEntropyWithLogits and its async twin. */
function prepareBce(logitsIn: unknown, targetIn: unknown, opts: unknown): { out: ArrayBufferView | null; args: BceArgs } {
  const o = readBceOptions(opts);
  const input = floatInput('logits', logitsIn, o.dtype);
  const logits = input.data;
  const length = input.length;
  const d = dims('logits', length, shapeFor('logits', input, o.shape), undefined);
  const classes = d.shape[d.shape.length - 1];
  // the target has the logits' dtype (a Uint16Array target of half logits: theirs)
  const kt = kindOf(targetIn);
  if (input.code === 0 && input.dims === undefined && kt !== kindOf(logits)) throw typeError('target', `${kindOf(logits)} (the type of logits)`, targetIn);
  const tgt = floatInput('target', targetIn, kt === 'Uint16Array' ? input.dtype : undefined);
  if (tgt.dtype !== input.dtype) throw new TypeError(`target: expected ${input.dtype} targets (the dtype of logits), got ${tgt.dtype} targets`);
  if (tgt.length !== length) throw rangeError('target', `length ${length} (that of logits)`, `length ${tgt.length}`);
  const target = tgt.data;

  const reduction = reductionOption(o.reduction);

  let posWeight: FloatArray | null = null;
  if (o.posWeight !== undefined) {
    posWeight = paramArray('posWeight', o.posWeight, input, classes, 'one per class: the last dimension of shape', 'logits');
    for (let i = 0; i < classes; i++) {
      const v = posWeight[i];
      if (!(v >= 0 && v < Infinity)) throw rangeError(`posWeight[${i}]`, 'a finite number >= 0', describe(v));
    }
  }
  let weight: FloatArray | null = null;
  if (o.weight !== undefined) {
    weight = paramArray('weight', o.weight, input, -1, '', 'logits');
    const got = liveLength('weight', weight);
    if (got !== classes && got !== length) {
      throw rangeError('weight', `length ${classes} (one per class: the last dimension of shape) or ${length} (one per element)`, `length ${got}`);
    }
  }
  const outDtype = sharedOutDtype(input, o.outDtype, reduction === 'none' ? o.out : undefined, o.grad);
  const grad = o.grad === undefined ? null : outputFor('grad', input, outDtype, o.grad, length, 'that of logits', 'logits');
  let out: ReturnType<typeof outputFor> | null = null;
  if (reduction === 'none') {
    out = outputFor('out', input, outDtype, o.out, length, 'one loss per element', 'logits');
  } else if (o.out !== undefined) {
    throw typeError('out', "undefined unless reduction is 'none'", o.out);
  }
  const outCode = out ? out.code : grad ? grad.code : 0;
  return {
    out: out ? out.result : null,
    args: [logits, target, classes, posWeight, weight, REDUCTION_CODES[reduction], out ? out.view : null, grad ? grad.view : null, input.code, outCode],
  };
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
/** BCE of float16 / bfloat16 logits (`dtype`; targets of the same dtype), a Float16Array or an onnxruntime Tensor. */
export function binaryCrossEntropyWithLogits(logits: HalfInput, target: HalfInput, opts: HalfBceOptions & { reduction: 'none' }): Float32Array | Float64Array | Uint16Array;
export function binaryCrossEntropyWithLogits(logits: HalfInput, target: HalfInput, opts?: HalfBceOptions): number;
export function binaryCrossEntropyWithLogits(logits: unknown, target: unknown, opts?: unknown): number | ArrayBufferView {
  const { out, args } = prepareBce(logits, target, opts);
  const result = binding.bce(...args);
  return out ?? (result as number);
}

/** {@link binaryCrossEntropyWithLogits} computed off the JavaScript thread, as a Promise; argument errors reject it. */
export function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts: BceOptions<T> & { reduction: 'none' }): Promise<T>;
export function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts?: BceOptions<T>): Promise<number>;
export function binaryCrossEntropyWithLogitsAsync(logits: HalfInput, target: HalfInput, opts: HalfBceOptions & { reduction: 'none' }): Promise<Float32Array | Float64Array | Uint16Array>;
export function binaryCrossEntropyWithLogitsAsync(logits: HalfInput, target: HalfInput, opts?: HalfBceOptions): Promise<number>;
export async function binaryCrossEntropyWithLogitsAsync(logits: unknown, target: unknown, opts?: unknown): Promise<number | ArrayBufferView> {
  const { out, args } = prepareBce(logits, target, opts);
  const result = await binding.bceAsync(...args);
  return out ?? (result as number);
}

/** The options of the half-precision and Tensor forms (weights stay Float32Array). */
export type HalfBceOptions = Omit<BceOptions, 'out' | 'grad' | 'weight' | 'posWeight'> &
  DtypeOptions & { weight?: Float32Array | Float64Array; posWeight?: Float32Array | Float64Array; grad?: ArrayBufferView; out?: ArrayBufferView };
