// Argument validation shared by every public function. Every message has one shape:
//   `<argument>: expected <what was expected>, got <what was received>`
// so that messages read alike and tests can match them exactly. Nothing here writes output.
import { binding } from './binding.js';
import type { FloatArray } from './types.js';

/** A short description of a received value for error messages. */
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
  if (ArrayBuffer.isView(v)) return tagOf(v);
  if (Array.isArray(v)) return `Array(${v.length})`;
  return 'object';
}

function tagOf(v: ArrayBufferView): string {
  return (v as unknown as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] ?? 'DataView';
}

export function typeError(name: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${name}: expected ${expected}, got ${describe(got)}`);
}

export function rangeError(name: string, expected: string, got: string): RangeError {
  return new RangeError(`${name}: expected ${expected}, got ${got}`);
}

/** Float32Array or Float64Array, including ones created in another realm. */
export function isFloatArray(v: unknown): v is FloatArray {
  if (v instanceof Float32Array || v instanceof Float64Array) return true;
  if (!ArrayBuffer.isView(v)) return false;
  const tag = tagOf(v);
  return tag === 'Float32Array' || tag === 'Float64Array';
}

export function dtypeName(v: FloatArray): 'Float32Array' | 'Float64Array' {
  return v instanceof Float32Array || tagOf(v) === 'Float32Array' ? 'Float32Array' : 'Float64Array';
}

/** A new zero-filled array of the element type of `like`. */
export function allocLike(like: FloatArray, length: number): FloatArray {
  return dtypeName(like) === 'Float32Array' ? new Float32Array(length) : new Float64Array(length);
}

export function checkNotDetached(name: string, v: ArrayBufferView): void {
  // A detached view reports length 0 and offset 0; only then is the (native) question worth asking.
  if (v.byteLength === 0 && v.byteOffset === 0 && binding.isDetached(v.buffer)) {
    throw new TypeError(`${name}: expected a TypedArray whose buffer is not detached, got a detached ${tagOf(v)}`);
  }
}

export function floatArray(name: string, v: unknown): FloatArray {
  if (!isFloatArray(v)) throw typeError(name, 'Float32Array or Float64Array', v);
  checkNotDetached(name, v);
  return v;
}

/** A float array of the same type as `like` and the given length (an output, weight or target). */
export function sameTypeArray<T extends FloatArray>(name: string, v: unknown, like: T, likeName: string, length: number, lengthWhy: string): T {
  const want = dtypeName(like);
  if (!isFloatArray(v) || dtypeName(v) !== want) throw typeError(name, `${want} (the type of ${likeName})`, v);
  checkNotDetached(name, v);
  if (v.length !== length) throw rangeError(name, `length ${length} (${lengthWhy})`, `length ${v.length}`);
  return v as T;
}

/**
 * Reads an options object: each allowed key once (so a getter runs once), rejecting unknown keys
 * (a typo such as `axsi` must not be silently ignored).
 */
export function readOptions<K extends string>(v: unknown, allowed: readonly K[]): Partial<Record<K, unknown>> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw typeError('options', 'an object', v);
  }
  const out: Partial<Record<K, unknown>> = {};
  let keys: string[];
  try {
    keys = Object.keys(v);
  } catch (e) {
    throw new TypeError(`options: expected an object whose keys can be listed, got one that threw: ${messageOf(e)}`);
  }
  for (const key of keys) {
    if (!(allowed as readonly string[]).includes(key)) {
      throw new TypeError(`options: expected only ${allowed.join(', ')}, got unknown option ${JSON.stringify(key)}`);
    }
  }
  for (const key of allowed) {
    let value: unknown;
    try {
      value = (v as Record<string, unknown>)[key];
    } catch (e) {
      throw new TypeError(`options.${key}: expected a readable value, got a getter that threw: ${messageOf(e)}`);
    }
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

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
    if (!Array.isArray(shapeIn)) throw typeError('shape', 'an array of non-negative integers', shapeIn);
    const n = shapeIn.length;
    if (n === 0) throw rangeError('shape', 'at least one dimension', '[]');
    shape = new Array<number>(n);
    let product = 1;
    for (let i = 0; i < n; i++) {
      const d: unknown = shapeIn[i];
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
