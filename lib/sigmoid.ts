import { binding, type NativeBinding } from './binding.js';
import { isSmallBce, isSmallSigmoid, smallBce, smallSigmoid } from './small.js';
import type { BceOptions, DtypeOptions, FloatArray, HalfInput, SigmoidOptions } from './types.js';
import { floatInput, outputFor, paramArray, shapeFor, sharedOutDtype } from './dtype.js';
import {
  describe,
  dims,
  jsPathMayRun,
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

/**
 * The addon's arguments as named fields (see crossEntropy's Prepared), what the caller gets (`out`,
 * for 'none'), and whether the call is already done in JavaScript (lib/small.ts, smallBce), its
 * result in `loss`.
 */
interface PreparedBce {
  logits: BceArgs[0];
  target: BceArgs[1];
  classes: number;
  posWeight: FloatArray | null;
  weight: FloatArray | null;
  reduction: number;
  outView: BceArgs[6];
  grad: BceArgs[7];
  xCode: number;
  outCode: number;
  out: ArrayBufferView | null;
  done: boolean;
  loss: number;
}

/**
 * Whether JavaScript can write a small BCE call's outputs: the inputs still have their checked
 * lengths, and every overlap the addon refuses is judged here in its order (its RangeError) or
 * left to the addon when JavaScript cannot tell.
 */
function smallBceMayRun(x: ArrayBufferView, length: number, t: ArrayBufferView, pw: FloatArray | null, w: FloatArray | null, out: ArrayBufferView | null, g: ArrayBufferView | null): boolean {
  if (lengthOf(x) !== length || lengthOf(t) !== length) return false;
  for (const [o, name] of [[out, 'out'], [g, 'grad']] as const) {
    if (!o) continue;
    if (!outMayBeWrittenHere(o, x, name, 'logits', true) || !outMayBeWrittenHere(o, t, name, 'target', false)) return false;
    if (pw && !outMayBeWrittenHere(o, pw, name, 'posWeight', false)) return false;
    if (w && !outMayBeWrittenHere(o, w, name, 'weight', false)) return false;
  }
  return !(out && g) || outMayBeWrittenHere(g, out, 'grad', 'out', false);
}

/** Validates and normalises the arguments of binaryCrossEntropyWithLogits and its async twin. */
function prepareBce(logitsIn: unknown, targetIn: unknown, opts: unknown): PreparedBce {
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
  const code = REDUCTION_CODES[reduction];
  const outView = out ? out.view : null;
  const gradView = grad ? grad.view : null;
  let done = false;
  let loss = 0;
  if (outCode === 0 && isSmallBce(length) && smallBceMayRun(logits, length, target, posWeight, weight, outView, gradView)) {
    const v = smallBce(logits, target, input.code, classes, posWeight, weight, code, outView as FloatArray | null, gradView as FloatArray | null);
    // (undefined: a target outside [0, 1], for the addon's RangeError)
    if (v !== undefined) {
      done = true;
      loss = v;
    }
  }
  return { logits, target, classes, posWeight, weight, reduction: code, outView, grad: gradView, xCode: input.code, outCode, out: out ? out.result : null, done, loss };
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
  const p = prepareBce(logits, target, opts);
  if (p.done) return p.out ?? p.loss;
  const result = binding.bce(p.logits, p.target, p.classes, p.posWeight, p.weight, p.reduction, p.outView, p.grad, p.xCode, p.outCode);
  return p.out ?? (result as number);
}

/** {@link binaryCrossEntropyWithLogits} computed off the JavaScript thread, as a Promise; argument errors reject it. */
export function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts: BceOptions<T> & { reduction: 'none' }): Promise<T>;
export function binaryCrossEntropyWithLogitsAsync<T extends FloatArray>(logits: T, target: T, opts?: BceOptions<T>): Promise<number>;
export function binaryCrossEntropyWithLogitsAsync(logits: HalfInput, target: HalfInput, opts: HalfBceOptions & { reduction: 'none' }): Promise<Float32Array | Float64Array | Uint16Array>;
export function binaryCrossEntropyWithLogitsAsync(logits: HalfInput, target: HalfInput, opts?: HalfBceOptions): Promise<number>;
export async function binaryCrossEntropyWithLogitsAsync(logits: unknown, target: unknown, opts?: unknown): Promise<number | ArrayBufferView> {
  const p = prepareBce(logits, target, opts);
  // (a small call is done at once, as the sync one)
  if (p.done) return p.out ?? p.loss;
  const result = await binding.bceAsync(p.logits, p.target, p.classes, p.posWeight, p.weight, p.reduction, p.outView, p.grad, p.xCode, p.outCode);
  return p.out ?? (result as number);
}

/** The options of the half-precision and Tensor forms (weights stay Float32Array). */
export type HalfBceOptions = Omit<BceOptions, 'out' | 'grad' | 'weight' | 'posWeight'> &
  DtypeOptions & { weight?: Float32Array | Float64Array; posWeight?: Float32Array | Float64Array; grad?: ArrayBufferView; out?: ArrayBufferView };
