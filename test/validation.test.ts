import { describe, expect, it } from 'vitest';

import { bits, expectThrow, lk } from './helpers.js';

// Every bad argument throws a TypeError or RangeError with an exact message, before any output is
// written: `out` and `grad` keep their bytes (expectThrow, helpers.ts).

const x = new Float32Array([1, 2, 3, 4, 5, 6]);
const sentinel = () => new Float32Array(6).fill(-7.5);

describe('softmax argument errors', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const sm = lk.softmax as (x: any, o?: any) => unknown;
  it.each([
    [() => sm([1, 2, 3]), TypeError, 'x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Array(3)'],
    [() => sm(new Int32Array(3)), TypeError, 'x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Int32Array'],
    [() => sm(undefined), TypeError, 'x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got undefined'],
    [() => sm(x, 5), TypeError, 'options: expected an object, got 5'],
    [() => sm(x, { axsi: 1 }), TypeError, 'options: expected only shape, axis, out, temperature, dtype, outDtype, got unknown option "axsi"'],
    [() => sm(x, { shape: '2,3' }), TypeError, 'shape: expected an array of non-negative integers, got "2,3"'],
    [() => sm(x, { shape: [] }), RangeError, 'shape: expected at least one dimension, got []'],
    [() => sm(x, { shape: [2, 4] }), RangeError, 'shape: expected dimensions whose product is x.length = 6, got [2, 4] (product 8)'],
    [() => sm(x, { shape: [2, -3] }), RangeError, 'shape[1]: expected a non-negative integer, got -3'],
    [() => sm(x, { shape: [2, 1.5] }), RangeError, 'shape[1]: expected a non-negative integer, got 1.5'],
    [() => sm(x, { shape: [NaN, 6] }), RangeError, 'shape[0]: expected a non-negative integer, got NaN'],
    [() => sm(x, { shape: [Infinity, 0] }), RangeError, 'shape[0]: expected a non-negative integer, got Infinity'],
    [() => sm(x, { shape: [2 ** 53, 0] }), RangeError, 'shape[0]: expected a non-negative integer, got 9007199254740992'],
    [() => sm(x, { shape: ['6'] }), TypeError, 'shape[0]: expected a non-negative integer, got "6"'],
    [() => sm(x, { shape: [3n, 2] }), TypeError, 'shape[0]: expected a non-negative integer, got 3n'],
    [() => sm(x, { shape: [2, 3], axis: 2 }), RangeError, 'axis: expected an integer in [-2, 2) for a shape of rank 2, got 2'],
    [() => sm(x, { shape: [2, 3], axis: -3 }), RangeError, 'axis: expected an integer in [-2, 2) for a shape of rank 2, got -3'],
    [() => sm(x, { axis: 0.5 }), RangeError, 'axis: expected an integer in [-1, 1) for a shape of rank 1, got 0.5'],
    [() => sm(x, { axis: '0' }), TypeError, 'axis: expected an integer, got "0"'],
    [() => sm(x, { temperature: 0 }), RangeError, 'temperature: expected a finite number > 0, got 0'],
    [() => sm(x, { temperature: -1 }), RangeError, 'temperature: expected a finite number > 0, got -1'],
    [() => sm(x, { temperature: NaN }), RangeError, 'temperature: expected a finite number > 0, got NaN'],
    [() => sm(x, { temperature: Infinity }), RangeError, 'temperature: expected a finite number > 0, got Infinity'],
    [() => sm(x, { temperature: '2' }), TypeError, 'temperature: expected a finite number > 0, got "2"'],
    [() => sm(x, { out: new Float64Array(6) }), TypeError, 'out: expected Float32Array (the type of x), got Float64Array'],
    [() => sm(x, { out: new Float32Array(5) }), RangeError, 'out: expected length 6 (that of x), got length 5'],
    [() => sm(x, { out: [0, 0, 0, 0, 0, 0] }), TypeError, 'out: expected Float32Array (the type of x), got Array(6)'],
  ] as [() => unknown, typeof TypeError, string][])('%#: %s', (fn, type, message) => {
    expectThrow(fn, type, message);
  });

  it('rejects an out that partly overlaps x, leaving both unchanged', () => {
    const buf = new Float32Array(10).fill(1);
    const xs = buf.subarray(0, 6);
    const out = buf.subarray(2, 8);
    expectThrow(() => lk.softmax(xs, { out }), RangeError, 'out: expected x itself or memory that does not overlap it, got a view that overlaps x', buf);
    // the same memory through another view object counts as x itself (in place)
    const same = new Float32Array(buf.buffer, 0, 6);
    expect(() => lk.softmax(xs, { out: same })).not.toThrow();
  });

  it('rejects detached buffers', () => {
    const a = new Float32Array(4);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    expectThrow(() => lk.softmax(a), TypeError, 'x: expected a TypedArray whose buffer is not detached, got a detached Float32Array');
    const out = new Float32Array(4);
    structuredClone(out.buffer, { transfer: [out.buffer] });
    expectThrow(() => lk.softmax(new Float32Array(4), { out }), TypeError, 'out: expected a TypedArray whose buffer is not detached, got a detached Float32Array');
  });

  it('reads each option once and turns a throwing getter into a TypeError', () => {
    let reads = 0;
    const opts = {
      get axis() {
        reads++;
        return -1;
      },
    };
    lk.softmax(x, opts);
    expect(reads).toBe(1);
    const bad = {
      get shape(): number[] {
        throw new Error('boom');
      },
    };
    expectThrow(() => lk.softmax(x, bad), TypeError, 'options.shape: expected a readable value, got a getter that threw: boom');
  });
});

describe('options of every function', () => {
  // Each function reads its options by name, in the order of its list (lib/*.ts): every allowed key
  // once, and a getter that throws is named in the message, whichever key it is.
  const logits = new Float32Array([1, 2, 3, 4, 5, 6]);
  const cases: [string, readonly string[], (o: object) => unknown][] = [
    ['softmax', ['shape', 'axis', 'out', 'temperature'], (o) => lk.softmax(logits, o)],
    ['logSoftmax', ['shape', 'axis', 'out', 'temperature'], (o) => lk.logSoftmax(logits, o)],
    ['crossEntropy', ['shape', 'axis', 'reduction', 'ignoreIndex', 'labelSmoothing', 'weight', 'grad', 'out'], (o) => lk.crossEntropy(logits, new Int32Array([0]), o)],
    ['sigmoid', ['out'], (o) => lk.sigmoid(logits, o)],
    ['logSigmoid', ['out'], (o) => lk.logSigmoid(logits, o)],
    ['binaryCrossEntropyWithLogits', ['shape', 'weight', 'posWeight', 'reduction', 'out', 'grad'], (o) => lk.binaryCrossEntropyWithLogits(logits, new Float32Array(6), o)],
    ['argmax', ['shape', 'axis', 'out'], (o) => lk.argmax(logits, o)],
    ['topK', ['shape', 'axis', 'largest', 'mode', 'temperature', 'values', 'indices'], (o) => lk.topK(logits, 2, o)],
    ['sample', ['shape', 'axis', 'temperature', 'topK', 'topP', 'minP', 'seed', 'offset', 'out', 'logprobs'], (o) => lk.sample(logits, o)],
  ];
  it.each(cases)('%s: each option read once, in order; a throwing getter named', (_name, keys, call) => {
    const order: string[] = [];
    const counting = {};
    for (const k of keys) Object.defineProperty(counting, k, { enumerable: true, get: () => void order.push(k) });
    try {
      call(counting); // (sample then throws for its missing seed, after reading its options)
    } catch (e) {
      expect(String(e)).toBe('TypeError: seed: expected a safe integer >= 0, a bigint in [0, 2^64) or a BigUint64Array with one seed per row (sample has no hidden generator: a draw is reproducible from its seed), got undefined');
    }
    expect(order).toEqual(keys);
    for (const k of keys) {
      const bad = Object.defineProperty({}, k, {
        enumerable: true,
        get() {
          throw new Error(`no ${k}`);
        },
      });
      expectThrow(() => call(bad), TypeError, `options.${k}: expected a readable value, got a getter that threw: no ${k}`);
    }
  });
});

describe('crossEntropy argument errors', () => {
  const logits = new Float32Array([1, 2, 3, 4, 5, 6]);
  const t = new Int32Array([0, 2]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ce = lk.crossEntropy as (x: any, t: any, o?: any) => unknown;
  const shape = [2, 3];
  it.each([
    [() => ce(new Int32Array(6), t, { shape }), TypeError, 'logits: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Int32Array'],
    [() => ce(logits, [0, 2], { shape }), TypeError, 'target: expected class indices (Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array) or Float32Array probabilities, got Array(2)'],
    [() => ce(logits, new Float64Array(6), { shape }), TypeError, 'target: expected class indices (Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array) or Float32Array probabilities, got Float64Array'],
    [() => ce(logits, new Uint8ClampedArray(2), { shape }), TypeError, 'target: expected class indices (Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array) or Float32Array probabilities, got Uint8ClampedArray'],
    [() => ce(logits, new Int32Array(3), { shape }), RangeError, "target: expected length 2 (class indices: the logits' shape [2, 3] without axis 1, [2]), got length 3"],
    [() => ce(logits, new Float32Array(5), { shape }), RangeError, "target: expected length 6 (probabilities: the logits' shape [2, 3]), got length 5"],
    [() => ce(logits, new Int32Array([0, 3]), { shape }), RangeError, 'target[1] = 3 is out of range [0, 3)'],
    [() => ce(logits, new Int32Array([-1, 0]), { shape }), RangeError, 'target[0] = -1 is out of range [0, 3)'],
    [() => ce(logits, BigInt64Array.from([0n, 1000n]), { shape }), RangeError, 'target[1] = 1000 is out of range [0, 3)'],
    [() => ce(logits, new Int32Array([0, -100]), { shape, ignoreIndex: 1 }), RangeError, 'target[1] = -100 is out of range [0, 3)'],
    [() => ce(logits, t, { shape, reduction: 'avg' }), RangeError, "reduction: expected 'mean', 'sum' or 'none', got \"avg\""],
    [() => ce(logits, t, { shape, reduction: 'toString' }), RangeError, "reduction: expected 'mean', 'sum' or 'none', got \"toString\""],
    [() => ce(logits, t, { shape, reduction: 1 }), TypeError, "reduction: expected 'mean', 'sum' or 'none', got 1"],
    [() => ce(logits, t, { shape, labelSmoothing: 1.5 }), RangeError, 'labelSmoothing: expected a number in [0, 1], got 1.5'],
    [() => ce(logits, t, { shape, labelSmoothing: -0.1 }), RangeError, 'labelSmoothing: expected a number in [0, 1], got -0.1'],
    [() => ce(logits, t, { shape, labelSmoothing: NaN }), RangeError, 'labelSmoothing: expected a number in [0, 1], got NaN'],
    [() => ce(logits, t, { shape, ignoreIndex: 1.5 }), RangeError, 'ignoreIndex: expected an integer, got 1.5'],
    [() => ce(logits, t, { shape, ignoreIndex: '1' }), TypeError, 'ignoreIndex: expected an integer (number or bigint), got "1"'],
    [() => ce(logits, t, { shape, ignoreIndex: 2n ** 63n }), RangeError, 'ignoreIndex: expected a 64-bit integer, got 9223372036854775808n'],
    [() => ce(logits, new Float32Array(6), { shape, ignoreIndex: -100 }), TypeError, 'ignoreIndex: expected undefined with probability targets (they ignore nothing), got -100'],
    [() => ce(logits, t, { shape, weight: new Float32Array(2) }), RangeError, 'weight: expected length 3 (one per class), got length 2'],
    [() => ce(logits, t, { shape, weight: new Float64Array(3) }), TypeError, 'weight: expected Float32Array (the type of logits), got Float64Array'],
    [() => ce(logits, t, { shape, out: new Float32Array(2) }), TypeError, "out: expected undefined unless reduction is 'none', got Float32Array"],
    [() => ce(logits, t, { shape, reduction: 'none', out: new Float32Array(3) }), RangeError, 'out: expected length 2 (one loss per row), got length 3'],
    [() => ce(logits, t, { shape, grad: new Float32Array(5) }), RangeError, 'grad: expected length 6 (that of logits), got length 5'],
    [() => ce(logits, t, { shape, weights: new Float32Array(3) }), TypeError, 'options: expected only shape, axis, reduction, ignoreIndex, labelSmoothing, weight, grad, out, dtype, targetDtype, outDtype, got unknown option "weights"'],
    [() => ce(logits, t, { shape: [4, 3] }), RangeError, 'shape: expected dimensions whose product is logits.length = 6, got [4, 3] (product 12)'],
  ] as [() => unknown, typeof TypeError, string][])('%#: %s', (fn, type, message) => {
    expectThrow(fn, type, message);
  });

  it('leaves grad and out unchanged when a target is out of range in the middle of a batch', () => {
    const rows = 1000;
    const big = new Float32Array(rows * 3);
    const target = new Int32Array(rows);
    target[517] = 3;
    const grad = new Float32Array(rows * 3).fill(-7.5);
    const out = new Float32Array(rows).fill(-7.5);
    expectThrow(() => lk.crossEntropy(big, target, { shape: [rows, 3], grad, reduction: 'none', out }), RangeError, 'target[517] = 3 is out of range [0, 3)', grad, out);
  });

  it('rejects outputs that overlap inputs; grad may be the logits themselves', () => {
    const buf = new Float32Array(12);
    const lg = buf.subarray(0, 6);
    const grad = sentinel();
    expectThrow(() => lk.crossEntropy(lg, t, { shape, grad: buf.subarray(3, 9) }), RangeError, 'grad: expected logits itself or memory that does not overlap it, got a view that overlaps logits');
    expectThrow(() => lk.crossEntropy(lg, t, { shape, reduction: 'none', out: buf.subarray(5, 7), grad }), RangeError, 'out: expected memory that does not overlap logits, got a view that overlaps logits', grad);
    const inplace = new Float32Array([1, 2, 3, 4, 5, 6]);
    const expected = new Float32Array(6);
    const loss = lk.crossEntropy(new Float32Array(inplace), t, { shape, grad: expected });
    expect(lk.crossEntropy(inplace, t, { shape, grad: inplace })).toBe(loss);
    expect(Array.from(inplace)).toEqual(Array.from(expected));
  });
});

describe('inputs are never written', () => {
  it('by softmax, logSoftmax and crossEntropy (with grad, weight, out), sync and async', async () => {
    const x = Float32Array.from({ length: 600 }, (_, i) => Math.sin(i) * 4);
    const q = Float32Array.from({ length: 600 }, (_, i) => (i % 7) / 7);
    const t = Int32Array.from({ length: 6 }, (_, i) => (i * 13) % 100);
    const w = Float32Array.from({ length: 100 }, (_, i) => 1 + i / 100);
    const before = [bits(x), bits(q), Buffer.from(t.buffer).toString('hex'), bits(w)];
    const shape = [6, 100];
    lk.softmax(x, { shape, temperature: 0.7 });
    lk.logSoftmax(x, { shape, axis: 0 });
    lk.crossEntropy(x, t, { shape, weight: w, labelSmoothing: 0.1, grad: new Float32Array(600), reduction: 'none', out: new Float32Array(6) });
    lk.crossEntropy(x, q, { shape, weight: w, grad: new Float32Array(600) });
    await lk.softmaxAsync(x, { shape });
    await lk.crossEntropyAsync(x, t, { shape, grad: new Float32Array(600) });
    expect([bits(x), bits(q), Buffer.from(t.buffer).toString('hex'), bits(w)]).toEqual(before);
  });
});
