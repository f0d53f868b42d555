// Element types of inputs and outputs: float32 and float64 arrays, half-precision bits (float16,
// bfloat16) in a Uint16Array or a Float16Array, and objects shaped like an onnxruntime Tensor
// ({ type, data, dims }). Everything a function reads becomes an Input: the memory handed to the
// addon (zero-copy: a view of the same bytes), its dtype and the dims a Tensor brought. Nothing
// here writes output.
import type { Dtype, FloatArray } from './types.js';
import { describe, formatShape, kindOf, lengthOf, liveLength, messageOf, rangeError, typeError } from './validate.js';

/** The addon's element type codes (native/addon/args.h). */
export const DTYPE_CODES = { float32: 0, float64: 0, float16: 1, bfloat16: 2 } as const;

export interface Input {
  /** What the addon reads: a Float32Array, a Float64Array or a Uint16Array of half-precision bits. */
  data: FloatArray | Uint16Array;
  dtype: Dtype;
  /** 0 for float32 / float64, 1 for float16, 2 for bfloat16 */
  code: number;
  length: number;
  /** a Tensor's dims (copied), else undefined */
  dims: number[] | undefined;
}

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter(key: PropertyKey): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get! as (this: unknown) => unknown;
}
const bufferGetter = intrinsicGetter('buffer');
const byteOffsetGetter = intrinsicGetter('byteOffset');

/** A Uint16Array over the bytes of a Float16Array (N-API before Node 24.13 cannot name the type). */
function bitsOf(v: ArrayBufferView): Uint16Array {
  return new Uint16Array(bufferGetter.call(v) as ArrayBufferLike, byteOffsetGetter.call(v) as number, lengthOf(v));
}

function quoted(d: readonly string[]): string {
  const q = d.map((s) => `'${s}'`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

const HALF_DTYPES = ['float16', 'bfloat16'] as const;

/** The `dtype` option for a TypedArray of the given kind. */
function dtypeFor(name: string, kind: string, dtype: unknown, optionName: string): Dtype {
  if (kind === 'Float32Array' || kind === 'Float64Array' || kind === 'Float16Array') {
    const own: Dtype = kind === 'Float32Array' ? 'float32' : kind === 'Float64Array' ? 'float64' : 'float16';
    if (dtype !== undefined && dtype !== own) {
      throw typeError(optionName, `'${own}' (the type of a ${kind} ${name}) or undefined`, dtype);
    }
    return own;
  }
  // a Uint16Array
  if (dtype === undefined) {
    throw new TypeError(
      `${optionName}: expected ${quoted(HALF_DTYPES)} for a Uint16Array ${name} (it holds half-precision bits), got undefined`,
    );
  }
  if (dtype !== 'float16' && dtype !== 'bfloat16') throw typeError(optionName, `${quoted(HALF_DTYPES)} for a Uint16Array ${name}`, dtype);
  return dtype;
}

/** The fields of an object shaped like an onnxruntime Tensor, or undefined when v is not one. */
export function tensorFields(name: string, v: unknown): { type: unknown; data: unknown; dims: unknown } | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  let key = '';
  try {
    // (a revoked Proxy throws from Array.isArray and from `in`: a TypeError below, as for a getter)
    if (ArrayBuffer.isView(v) || Array.isArray(v)) return undefined;
    if (!('dims' in v) || !('data' in v) || !('type' in v)) return undefined;
    const o = v as { type: unknown; data: unknown; dims: unknown };
    key = '.type';
    const type = o.type;
    key = '.data';
    const data = o.data;
    key = '.dims';
    const dims = o.dims;
    return { type, data, dims };
  } catch (e) {
    throw new TypeError(`${name}${key}: expected a readable value, got ${key ? 'a getter' : 'an object'} that threw: ${messageOf(e)}`);
  }
}

export function tensorDims(name: string, dimsIn: unknown, length: number): number[] {
  let entries: unknown[];
  try {
    if (!Array.isArray(dimsIn)) throw typeError(`${name}.dims`, 'an array of non-negative integers', dimsIn);
    entries = Array.from(dimsIn as unknown[]);  // one read of each entry
  } catch (e) {
    if (e instanceof TypeError && e.message.startsWith(`${name}.dims:`)) throw e;
    throw new TypeError(`${name}.dims: expected an array of non-negative integers, got one that threw: ${messageOf(e)}`);
  }
  const dims: number[] = [];
  let product = 1;
  for (let i = 0; i < entries.length; i++) {
    const d: unknown = entries[i];
    // onnxruntime keeps dims as numbers; a bigint dim is accepted when it is a safe integer
    const n = typeof d === 'bigint' && d >= 0n && d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw rangeError(`${name}.dims[${i}]`, 'a non-negative integer', describe(d));
    dims.push(n);
    product *= n;
  }
  if (dims.length === 0) dims.push(1); // a scalar tensor: one element
  if (product !== length) {
    throw rangeError(`${name}.dims`, `dimensions whose product is ${name}.data.length = ${length}`, `${formatShape(dims)} (product ${product})`);
  }
  return dims;
}

const TENSOR_FLOAT_TYPES = ['float32', 'float64', 'float16'] as const;

/** What a float input may be, for messages. */
export const INPUT_KINDS = 'Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor';

/**
 * A float input: a Float32Array or Float64Array; a Uint16Array of half-precision bits with `dtype`
 * 'float16' or 'bfloat16'; a Float16Array where the runtime has one; or a Tensor of type 'float32',
 * 'float64' or 'float16'. `dtype` (the option, may be undefined) must agree with what the value is.
 */
export function floatInput(name: string, v: unknown, dtype: unknown, optionName = 'dtype'): Input {
  const kind = kindOf(v);
  if (kind === 'Float32Array' || kind === 'Float64Array') {
    if (dtype !== undefined) dtypeFor(name, kind, dtype, optionName);
    const length = liveLength(name, v as FloatArray);
    return { data: v as FloatArray, dtype: kind === 'Float32Array' ? 'float32' : 'float64', code: 0, length, dims: undefined };
  }
  if (kind === 'Uint16Array' || kind === 'Float16Array') {
    const dt = dtypeFor(name, kind, dtype, optionName);
    const length = liveLength(name, v as ArrayBufferView);
    const data = kind === 'Uint16Array' ? (v as Uint16Array) : bitsOf(v as ArrayBufferView);
    return { data, dtype: dt, code: DTYPE_CODES[dt], length, dims: undefined };
  }
  const t = kind === undefined ? tensorFields(name, v) : undefined;
  if (!t) {
    throw typeError(name, INPUT_KINDS, v);
  }
  if (typeof t.type !== 'string' || !(TENSOR_FLOAT_TYPES as readonly string[]).includes(t.type)) {
    throw new TypeError(`${name}: expected a Tensor of type ${quoted(TENSOR_FLOAT_TYPES)}, got a Tensor of type ${describe(t.type)}`);
  }
  const type = t.type as (typeof TENSOR_FLOAT_TYPES)[number];
  const dk = kindOf(t.data);
  const want = type === 'float32' ? ['Float32Array'] : type === 'float64' ? ['Float64Array'] : ['Uint16Array', 'Float16Array'];
  if (dk === undefined || !want.includes(dk)) throw typeError(`${name}.data`, `a ${want.join(' or a ')} for a Tensor of type '${type}'`, t.data);
  if (dtype !== undefined && dtype !== type) throw typeError(optionName, `'${type}' (the type of the Tensor ${name}) or undefined`, dtype);
  const length = liveLength(`${name}.data`, t.data as ArrayBufferView);
  const dims = tensorDims(name, t.dims, length);
  const data = dk === 'Float16Array' ? bitsOf(t.data as ArrayBufferView) : (t.data as FloatArray | Uint16Array);
  return { data, dtype: type, code: DTYPE_CODES[type], length, dims };
}

/** The shape to validate: the `shape` option, or a Tensor's dims (a `shape` that disagrees is a RangeError). */
export function shapeFor(name: string, input: Input, shape: unknown): unknown {
  if (input.dims === undefined) return shape;
  if (shape === undefined) return input.dims;
  let same = Array.isArray(shape) && shape.length === input.dims.length;
  for (let i = 0; same && i < input.dims.length; i++) same = (shape as unknown[])[i] === input.dims[i];
  if (!same) {
    const got = Array.isArray(shape) ? formatShape(shape) : describe(shape);
    throw rangeError('shape', `the dims of the Tensor ${name}, ${formatShape(input.dims)}, or undefined`, got);
  }
  return shape;
}

export function isHalf(dtype: Dtype): boolean {
  return dtype === 'float16' || dtype === 'bfloat16';
}

export interface Output {
  /** What the addon writes: a Float32Array, a Float64Array or a Uint16Array. */
  view: FloatArray | Uint16Array;
  /** What the caller gets back: the `out` given (e.g. a Float16Array), or the new array. */
  result: ArrayBufferView;
  dtype: Dtype;
  code: number;
}

function alloc(dtype: Dtype, length: number): FloatArray | Uint16Array {
  return dtype === 'float32' ? new Float32Array(length) : dtype === 'float64' ? new Float64Array(length) : new Uint16Array(length);
}

const OUT_DTYPES = ['float32', 'float16', 'bfloat16'] as const;

/**
 * An output of a call whose input is `input`: float32 / float64 input gives its own type; half
 * input gives float32 by default, or with `outDtype` 'float16' / 'bfloat16' half-precision bits (a
 * Uint16Array). A given `out` must agree: a Float32Array (float32), a Uint16Array (outDtype, else the
 * input's half dtype) or a Float16Array (float16); `length` elements (`why`: the reason, for the message).
 */
export function outputFor(name: string, input: Input, outDtype: unknown, out: unknown, length: number, why: string, xName: string): Output {
  let dtype: Dtype;
  if (outDtype !== undefined) {
    if (input.dtype === 'float64') {
      if (outDtype !== 'float64') throw typeError('outDtype', `'float64' (the dtype of ${xName}; half-precision output is for float32, float16 and bfloat16 input) or undefined`, outDtype);
      dtype = 'float64';
    } else {
      if (typeof outDtype !== 'string' || !(OUT_DTYPES as readonly string[]).includes(outDtype)) throw typeError('outDtype', quoted(OUT_DTYPES), outDtype);
      dtype = outDtype as Dtype;
    }
  } else if (input.dtype === 'float64') {
    dtype = 'float64';
  } else {
    // float32 by default; a Float16Array out is float16, a Uint16Array out of half input its dtype
    const k = kindOf(out);
    dtype = k === 'Float16Array' ? 'float16' : k === 'Uint16Array' && isHalf(input.dtype) ? input.dtype : 'float32';
  }
  if (out === undefined) {
    const view = alloc(dtype, length);
    return { view, result: view, dtype, code: DTYPE_CODES[dtype] };
  }
  const k = kindOf(out);
  const wants = dtype === 'float32' ? ['Float32Array'] : dtype === 'float64' ? ['Float64Array'] : dtype === 'float16' ? ['Uint16Array', 'Float16Array'] : ['Uint16Array'];
  if (k === undefined || !wants.includes(k)) {
    const why2 = isHalf(input.dtype) || dtype !== input.dtype ? `outDtype '${dtype}' for ${input.dtype} ${xName}` : `the type of ${xName}`;
    throw typeError(name, `${wants.join(' or ')} (${why2})`, out);
  }
  const got = liveLength(name, out as ArrayBufferView);
  if (got !== length) throw rangeError(name, `length ${length} (${why})`, `length ${got}`);
  const view = k === 'Float16Array' ? bitsOf(out as ArrayBufferView) : (out as FloatArray | Uint16Array);
  return { view, result: out as ArrayBufferView, dtype, code: DTYPE_CODES[dtype] };
}

/**
 * The one output dtype of a call with several outputs (grad and out): `outDtype`, else what the
 * first given output array implies (see outputFor), so that every output gets the same type.
 */
export function sharedOutDtype(input: Input, outDtype: unknown, ...outs: unknown[]): unknown {
  if (outDtype !== undefined || input.dtype === 'float64') return outDtype;
  for (const o of outs) {
    if (o === undefined) continue;
    const k = kindOf(o);
    if (k === 'Uint16Array' && isHalf(input.dtype)) return input.dtype;
    return k === 'Float16Array' ? 'float16' : 'float32';
  }
  return undefined;
}

/** A parameter array (weights): of the input's type for float32 / float64 input, a Float32Array for half input. */
export function paramArray(name: string, v: unknown, input: Input, length: number, why: string, xName: string): FloatArray {
  const want = input.dtype === 'float64' ? 'Float64Array' : 'Float32Array';
  if (kindOf(v) !== want) {
    throw typeError(name, `${want} (${isHalf(input.dtype) ? `float32 for ${input.dtype} ${xName}` : `the type of ${xName}`})`, v);
  }
  const got = liveLength(name, v as FloatArray);
  if (length >= 0 && got !== length) throw rangeError(name, `length ${length} (${why})`, `length ${got}`);
  return v as FloatArray;
}
