// Argument validation shared by every public function. Every message has one shape:
//   `<argument>: expected <what was expected>, got <what was received>`
// so that messages read alike and tests can match them exactly. Nothing here writes output.
import { binding } from './binding.js';
import type { FloatArray, Reduction } from './types.js';

// The TypedArray facts that decide what memory is touched (kind, length, offset, buffer) are read
// through the built-in %TypedArray%.prototype getters, never through the object: a subclass, an own
// property or a redefined Symbol.toStringTag can lie about them, the built-in getters cannot (they
// read the internal slots, also of arrays from another realm, and return undefined for a kind that
// is not a TypedArray). V8 inlines these calls, so they cost nothing on the hot path.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter(key: PropertyKey): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get! as (this: unknown) => unknown;
}
const kindGetter = intrinsicGetter(Symbol.toStringTag);
const lengthGetter = intrinsicGetter('length');
const byteLengthGetter = intrinsicGetter('byteLength');
const byteOffsetGetter = intrinsicGetter('byteOffset');
const bufferGetter = intrinsicGetter('buffer');

/** 'Float32Array', 'Int32Array', ... for a TypedArray (whatever it claims to be); undefined for anything else. */
export function kindOf(v: unknown): string | undefined {
  return kindGetter.call(v) as string | undefined;
}

/** The element count of a TypedArray (0 once detached), read from its internal slot. */
export function lengthOf(v: ArrayBufferView): number {
  return lengthGetter.call(v) as number;
}

/** Array.isArray, false for a revoked Proxy (which makes Array.isArray throw). */
function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

/** A short description of a received value for error messages. It never throws. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'string':
      return JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v);
    case 'boolean':
      return String(v);
    case 'symbol':
      return 'symbol';
    case 'function':
      return 'function';
  }
  const kind = kindOf(v);
  if (kind !== undefined) return kind;
  if (ArrayBuffer.isView(v)) return 'DataView'; // (instanceof would run a Proxy's traps)
  if (isArray(v)) {
    try {
      return `Array(${v.length})`;
    } catch {
      return 'Array';
    }
  }
  return 'object';
}

export function typeError(name: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${name}: expected ${expected}, got ${describe(got)}`);
}

export function rangeError(name: string, expected: string, got: string): RangeError {
  return new RangeError(`${name}: expected ${expected}, got ${got}`);
}

/** Float32Array or Float64Array, including ones created in another realm. */
export function isFloatArray(v: unknown): v is FloatArray {
  const kind = kindOf(v);
  return kind === 'Float32Array' || kind === 'Float64Array';
}

/** The element type of a float array (one that passed isFloatArray). */
export function dtypeName(v: FloatArray): 'Float32Array' | 'Float64Array' {
  return kindOf(v) as 'Float32Array' | 'Float64Array';
}

/** A new zero-filled array of the element type of `like`. */
export function allocLike(like: FloatArray, length: number): FloatArray {
  return dtypeName(like) === 'Float32Array' ? new Float32Array(length) : new Float64Array(length);
}

/** Throws if the buffer of `v` is detached. Only an empty view can be (a detached one has length 0). */
export function checkNotDetached(name: string, v: ArrayBufferView): void {
  if (byteLengthGetter.call(v) === 0 && byteOffsetGetter.call(v) === 0 && binding.isDetached(bufferGetter.call(v) as ArrayBufferLike)) {
    throw new TypeError(`${name}: expected a TypedArray whose buffer is not detached, got a detached ${kindOf(v)}`);
  }
}

/** The length of a TypedArray that must not be detached (checked only when it is empty, the only case that can be). */
export function liveLength(name: string, v: ArrayBufferView): number {
  const n = lengthOf(v);
  if (n === 0) checkNotDetached(name, v);
  return n;
}

/** A Float32Array or Float64Array that is not detached; returns its length. */
export function floatArray(name: string, v: unknown): number {
  if (!isFloatArray(v)) throw typeError(name, 'Float32Array or Float64Array', v);
  return liveLength(name, v);
}

/**
 * For work done in JavaScript (lib/small.ts), the overlap check the addon makes on its pointers:
 * throws the addon's RangeError if `out` overlaps `x` (with `allowSame`, being exactly `x`'s bytes
 * is allowed: in place), and returns false when JavaScript cannot tell (distinct buffers of which
 * one is shared or from another realm: two SharedArrayBuffer objects may hold the same memory),
 * for the addon to decide.
 */
export function outMayBeWrittenHere(out: ArrayBufferView, x: ArrayBufferView, outName: string, xName: string, allowSame: boolean): boolean {
  const o0 = byteOffsetGetter.call(out) as number;
  const x0 = byteOffsetGetter.call(x) as number;
  const on = byteLengthGetter.call(out) as number;
  const xn = byteLengthGetter.call(x) as number;
  // Views of one length at one offset are the same bytes or share none (the common case of
  // softmax's out, settled without the buffer getters, which cost ~15 ns each).
  if (allowSame && o0 === x0 && on === xn) return true;
  // no byte in common, wherever they are (an empty view overlaps nothing, as in the addon)
  if (on === 0 || xn === 0 || o0 >= x0 + xn || x0 >= o0 + on) return true;
  const ob = bufferGetter.call(out);
  const xb = bufferGetter.call(x);
  if (ob !== xb) return ob instanceof ArrayBuffer && xb instanceof ArrayBuffer;
  throw rangeError(
    outName,
    allowSame ? `${xName} itself or memory that does not overlap it` : `memory that does not overlap ${xName}`,
    `a view that overlaps ${xName}`,
  );
}

/**
 * Whether a call that lib/small.ts may compute in JavaScript can be computed here: `x` still has
 * the `length` it was checked with (one detached by an option getter is left to the addon, which
 * names it) and, when the caller gave `out`, JavaScript can judge its overlap with `x` (see
 * outMayBeWrittenHere, which throws the addon's RangeError).
 */
export function jsPathMayRun(x: ArrayBufferView, length: number, out: ArrayBufferView, outGiven: boolean, allowSame: boolean): boolean {
  return lengthOf(x) === length && (!outGiven || outMayBeWrittenHere(out, x, 'out', 'x', allowSame));
}

/** A float array of the same type as `like` and the given length (an output, weight or target). */
export function sameTypeArray<T extends FloatArray>(name: string, v: unknown, like: T, likeName: string, length: number, lengthWhy: string): T {
  const want = kindOf(like);
  if (kindOf(v) !== want) throw typeError(name, `${want} (the type of ${likeName})`, v);
  const got = liveLength(name, v as T);
  if (got !== length) throw rangeError(name, `length ${length} (${lengthWhy})`, `length ${got}`);
  return v as T;
}

/**
 * Checks an options object before its options are read: undefined (no options: returns false), or
 * an object whose own enumerable keys are all in `allowed` (a typo such as `axsi` must not be
 * silently ignored). Each function then reads its options once each, in the order of its list,
 * with the property names written out (the read...Options functions of lib/*.ts): a loop over the
 * names (one read site for every key, megamorphic in V8) cost ~60 ns of a ~0.7 µs small call.
 */
export function optionsGiven(v: unknown, allowed: readonly string[]): v is Record<string, unknown> {
  if (v === undefined) return false;
  if (v === null || typeof v !== 'object' || isArray(v) || ArrayBuffer.isView(v)) {
    throw typeError('options', 'an object', v);
  }
  let keys: string[];
  try {
    keys = Object.keys(v);
  } catch (e) {
    throw new TypeError(`options: expected an object whose keys can be listed, got one that threw: ${messageOf(e)}`);
  }
  for (let i = 0; i < keys.length; i++) {
    if (!allowed.includes(keys[i])) {
      throw new TypeError(`options: expected only ${allowed.join(', ')}, got unknown option ${JSON.stringify(keys[i])}`);
    }
  }
  return true;
}

/** The error for an option whose getter threw while it was read. */
export function optionReadFailed(key: string, e: unknown): TypeError {
  return new TypeError(`options.${key}: expected a readable value, got a getter that threw: ${messageOf(e)}`);
}

/** The message of whatever was thrown; never throws itself (the thrown value may be hostile too). */
export function messageOf(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return 'an exception that cannot be printed';
  }
}

/** The most dimensions a shape may have (NumPy allows 64). */
export const MAX_RANK = 64;

/** A tensor shape seen as outer x classes x inner around the reduced axis. */
export interface Dims {
  shape: number[];
  axis: number; // normalised, 0 <= axis < shape.length
  outer: number;
  classes: number;
  inner: number;
}

function formatShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => describe(d)).join(', ')}]`;
}

/** Validates `shape` against `length` and `axis` against the shape's rank. */
export function dims(name: string, length: number, shapeIn: unknown, axisIn: unknown): Dims {
  let shape: number[];
  if (shapeIn === undefined) {
    shape = [length];
  } else {
    if (!isArray(shapeIn)) throw typeError('shape', 'an array of non-negative integers', shapeIn);
    // Copy the entries once (a Proxy or getter sees one read each, and may throw).
    let entries: unknown[];
    try {
      const n = shapeIn.length;
      if (n > MAX_RANK) throw rangeError('shape', `at most ${MAX_RANK} dimensions`, `${n}`);
      entries = new Array<unknown>(n);
      for (let i = 0; i < n; i++) entries[i] = shapeIn[i];
    } catch (e) {
      if (e instanceof RangeError) throw e;
      throw new TypeError(`shape: expected an array of non-negative integers, got one whose entries threw: ${messageOf(e)}`);
    }
    const n = entries.length;
    if (n === 0) throw rangeError('shape', 'at least one dimension', '[]');
    shape = new Array<number>(n);
    let product = 1;
    for (let i = 0; i < n; i++) {
      const d: unknown = entries[i];
      if (typeof d !== 'number') throw typeError(`shape[${i}]`, 'a non-negative integer', d);
      if (!Number.isSafeInteger(d) || d < 0) throw rangeError(`shape[${i}]`, 'a non-negative integer', describe(d));
      shape[i] = d;
      product *= d;
    }
    if (product !== length) {
      throw rangeError('shape', `dimensions whose product is ${name}.length = ${length}`, `${formatShape(shape)} (product ${product})`);
    }
  }
  const rank = shape.length;
  let axis = -1;
  if (axisIn !== undefined) {
    if (typeof axisIn !== 'number') throw typeError('axis', 'an integer', axisIn);
    if (!Number.isInteger(axisIn) || axisIn < -rank || axisIn >= rank) {
      throw rangeError('axis', `an integer in [${-rank}, ${rank}) for a shape of rank ${rank}`, describe(axisIn));
    }
    axis = axisIn;
  }
  if (axis < 0) axis += rank;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < rank; i++) inner *= shape[i];
  return { shape, axis, outer, classes: shape[axis], inner };
}

export { formatShape };

/** The native code of each reduction. */
export const REDUCTION_CODES: Record<Reduction, number> = { none: 0, sum: 1, mean: 2 };

/** The `reduction` option of the loss functions: 'mean' (default), 'sum' or 'none'. */
export function reductionOption(v: unknown): Reduction {
  if (v === undefined) return 'mean';
  if (typeof v !== 'string') throw typeError('reduction', "'mean', 'sum' or 'none'", v);
  if (!Object.prototype.hasOwnProperty.call(REDUCTION_CODES, v)) throw rangeError('reduction', "'mean', 'sum' or 'none'", describe(v));
  return v as Reduction;
}
