import { describe, expect, it } from 'vitest';

import { bits, checkClose, DTYPES, expectThrow, sigmoidInputs as inputs, lk, relErr, ulpOf } from './helpers.js';
import { refBce, refLogSigmoid, refSigmoid, rng } from './reference.js';

// sigmoid, logSigmoid and binaryCrossEntropyWithLogits against the float64 / double-double
// references of test/reference.ts, on whichever SIMD path LOGITKIT_ISA forced (scripts/test.mjs
// runs this file once per path).
const ISA = lk.info().isa;
const LOSS_TOL = { f32: 1e-6, f64: 1e-14 };
const ULP_TOL = 2;
const LOG_TOL = { f32: 2 * 2 ** -23, f64: 2 * 2 ** -52 }; // 2 ulp of 1, times max(1, |y|)

export function measureSigmoidUlp(name: 'f32' | 'f64', ctor: Float32ArrayConstructor | Float64ArrayConstructor, n = 1 << 18) {
  const x = ctor.from(inputs(name, n, 5));
  const y = lk.sigmoid(x);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const ref = refSigmoid(x[i]);
    const u = Math.abs(y[i] - ref) / ulpOf(ref, name);
    if (u > worst) {
      worst = u;
      at = x[i];
    }
  }
  return { worst, at };
}

describe.each(DTYPES)(`sigmoid and logSigmoid ($name, ${ISA})`, ({ name, ctor }) => {
  it(`sigmoid is within ${ULP_TOL} ulp everywhere, subnormal results included`, () => {
    const { worst, at } = measureSigmoidUlp(name, ctor);
    console.log(`sigmoid ${name} ${ISA}: max ${worst.toFixed(3)} ulp (at x = ${at})`);
    expect(worst).toBeLessThanOrEqual(ULP_TOL);
    // the subnormal range itself, densely
    const lo = name === 'f32' ? -103.5 : -744.5;
    const hi = name === 'f32' ? -87.4 : -708.5;
    const x = new ctor(20000).map((_, i) => lo + ((hi - lo) * i) / 19999);
    const y = lk.sigmoid(x);
    for (let i = 0; i < x.length; i++) {
      const ref = refSigmoid(x[i]);
      const u = Math.abs(y[i] - ref) / ulpOf(ref, name);
      if (!(u <= ULP_TOL)) throw new Error(`sigmoid(${x[i]}) = ${y[i]}, expected ${ref} (${u} ulp)`);
    }
    expect(y[y.length - 1]).toBeGreaterThan(0); // where 1/(1+exp(-x)) in this precision gives 0
  });

  it('logSigmoid is within 2 ulp * max(1, |y|), tiny results relatively exact', () => {
    const x = ctor.from(inputs(name, 1 << 17, 6));
    const ref = Float64Array.from(x, refLogSigmoid);
    const worst = checkClose(lk.logSigmoid(x), ref, LOG_TOL[name], 'log', 0, 'logSigmoid');
    console.log(`logSigmoid ${name} ${ISA}: max error ${(worst / 2 ** (name === 'f32' ? -23 : -52)).toFixed(3)} ulp * max(1, |y|)`);
    // x = 20: -2.06e-9, relative to its own ulps
    const t = lk.logSigmoid(ctor.from([20, 17, 40]));
    for (let i = 0; i < 3; i++) expect(relErr(t[i], refLogSigmoid(t.length === 3 ? [20, 17, 40][i] : 0))).toBeLessThan(name === 'f32' ? 3e-7 : 5e-16);
  });

  it('special values: ±Infinity, NaN, ±0', () => {
    const x = ctor.from([Infinity, -Infinity, NaN, 0, -0]);
    const s = lk.sigmoid(x);
    expect(Array.from(s)).toEqual([1, 0, NaN, 0.5, 0.5]);
    const l = lk.logSigmoid(x);
    expect(l[0]).toBe(0);
    expect(l[1]).toBe(-Infinity);
    expect(l[2]).toBeNaN();
    expect(l[3]).toBe(ctor.from([-Math.LN2])[0]);
    expect(l[4]).toBe(ctor.from([-Math.LN2])[0]);
  });

  it('every length 0..70 (tails of every vector width), in place and into out, sync and async alike', async () => {
    for (let n = 0; n <= 70; n++) {
      const x = ctor.from(inputs(name, n, 100 + n));
      const want = Float64Array.from(x, refSigmoid);
      const y = lk.sigmoid(x);
      for (let i = 0; i < n; i++) expect(Math.abs(y[i] - want[i]) / ulpOf(want[i], name)).toBeLessThanOrEqual(ULP_TOL);
      const l = lk.logSigmoid(x);
      const inPlace = x.slice();
      expect(lk.logSigmoid(inPlace, { out: inPlace })).toBe(inPlace);
      expect(bits(inPlace)).toBe(bits(l));
      expect(bits(await lk.sigmoidAsync(x))).toBe(bits(y));
      expect(bits(await lk.logSigmoidAsync(x))).toBe(bits(l));
    }
  });

  it('is the same for every thread count (elementwise, 3 million elements)', () => {
    const x = ctor.from(inputs(name, 3_000_000, 9));
    const before = lk.getNumThreads();
    try {
      lk.setNumThreads(1);
      const a = bits(lk.sigmoid(x));
      const la = bits(lk.logSigmoid(x));
      for (const t of [2, 3]) {
        lk.setNumThreads(t);
        expect(bits(lk.sigmoid(x))).toBe(a);
        expect(bits(lk.logSigmoid(x))).toBe(la);
      }
    } finally {
      lk.setNumThreads(before);
    }
  });
});

describe.each(DTYPES)(`binaryCrossEntropyWithLogits ($name, ${ISA})`, ({ name, ctor }) => {
  const tol = LOSS_TOL[name];
  type Opts = { weight?: Float32Array | Float64Array; posWeight?: Float32Array | Float64Array };

  function verify(x: Float32Array | Float64Array, y: Float32Array | Float64Array, shape: number[], opts: Opts, what: string) {
    const C = shape[shape.length - 1];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const ref = refBce(x, y, C, { ...opts, reduction });
      const grad = new ctor(x.length).fill(123);
      const common = { shape, ...opts };
      if (reduction === 'none') {
        const losses = lk.binaryCrossEntropyWithLogits(x, y, { ...common, reduction, grad });
        expect(losses).toBeInstanceOf(ctor);
        // a loss in the subnormal range errs by a few of its units times the weights (1e-6 relative
        // is not even representable there)
        const unit = 4 * (name === 'f32' ? 2 ** -149 : 2 ** -1074);
        for (let i = 0; i < x.length; i++) {
          if (!(relErr(losses[i], ref.losses[i]) <= tol || Math.abs(losses[i] - ref.losses[i]) <= unit * Math.max(1, ref.weightScale[i]))) throw new Error(`${what} none: loss[${i}] = ${losses[i]}, expected ${ref.losses[i]} (x ${x[i]}, y ${y[i]})`);
        }
      } else {
        const v = lk.binaryCrossEntropyWithLogits(x, y, { ...common, reduction, grad });
        const again = lk.binaryCrossEntropyWithLogits(x, y, { ...common, reduction });
        expect(Object.is(v, again)).toBe(true);
        if (!(relErr(v, ref.loss) <= tol)) throw new Error(`${what} ${reduction}: got ${v}, expected ${ref.loss}`);
      }
      // a gradient entry in the subnormal range errs by a few of its units times the weights
      const floor = 4 * (name === 'f32' ? 2 ** -149 : 2 ** -1074);
      for (let i = 0; i < x.length; i++) {
        if (!(Math.abs(grad[i] - ref.grad[i]) <= tol * ref.gradMagnitude[i] + floor * Math.max(1, ref.weightScale[i]))) {
          throw new Error(`${what} ${reduction}: grad[${i}] = ${grad[i]}, expected ${ref.grad[i]} (x ${x[i]}, y ${y[i]})`);
        }
      }
    }
  }

  it('random logits and soft targets, with every weight option, on shapes that hit every tail', () => {
    const r = rng(21);
    for (const shape of [[1], [7], [3, 5], [4, 17], [2, 3, 33], [6, 64], [1000]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const C = shape[shape.length - 1];
      const x = ctor.from({ length: n }, () => (r() - 0.5) * (r() < 0.2 ? 200 : 12));
      const y = ctor.from({ length: n }, () => (r() < 0.3 ? Math.round(r()) : r()));
      const perClass = ctor.from({ length: C }, () => r() * 2);
      const perElement = ctor.from({ length: n }, () => r() * 2);
      const pw = ctor.from({ length: C }, () => r() * 5);
      for (const [label, opts] of [
        ['plain', {}],
        ['weight per class', { weight: perClass }],
        ['weight per element', { weight: perElement }],
        ['posWeight', { posWeight: pw }],
        ['both', { weight: perElement, posWeight: pw }],
      ] as [string, Opts][]) {
        verify(x, y, shape, opts, `[${shape}] ${label}`);
      }
    }
  });

  it('tiny losses and gradients keep their digits (PyTorch rounds them to 0)', () => {
    // x = -20, y = 0: loss = softplus(-20) = 2.06e-9; x = 17, y = 1: d/dx = -sigmoid(-17) = -4.1e-8
    const x = ctor.from([-20, 17, -40, 30]);
    const y = ctor.from([0, 1, 0, 1]);
    const grad = new ctor(4);
    const losses = lk.binaryCrossEntropyWithLogits(x, y, { reduction: 'none', grad });
    const ref = refBce(x, y, 4, { reduction: 'none' });
    expect(losses[0]).toBeCloseTo(2.0611536181902037e-9, 15);
    for (let i = 0; i < 4; i++) {
      expect(relErr(losses[i], ref.losses[i])).toBeLessThanOrEqual(tol);
      expect(relErr(grad[i], ref.grad[i])).toBeLessThanOrEqual(tol);
    }
    expect(grad[1]).toBeLessThan(-4e-8);
  });

  it('limits: loss 0 at x = +Infinity with y = 1 and x = -Infinity with y = 0; +Infinity and NaN otherwise', () => {
    const x = ctor.from([Infinity, -Infinity, Infinity, -Infinity, NaN, 0, Infinity]);
    const y = ctor.from([1, 0, 0, 1, 0.5, 1, 0.5]);
    const grad = new ctor(7);
    const l = lk.binaryCrossEntropyWithLogits(x, y, { reduction: 'none', grad });
    expect(Array.from(l)).toEqual([0, 0, Infinity, Infinity, NaN, ctor.from([Math.LN2])[0], Infinity]);
    expect(Array.from(grad)).toEqual([0, 0, 1, -1, NaN, -0.5, 0.5]);
    expect(lk.binaryCrossEntropyWithLogits(x.subarray(0, 2), y.subarray(0, 2))).toBe(0);
    expect(lk.binaryCrossEntropyWithLogits(x.subarray(0, 3), y.subarray(0, 3), { reduction: 'sum' })).toBe(Infinity);
    expect(lk.binaryCrossEntropyWithLogits(new ctor(0), new ctor(0))).toBeNaN();
    expect(lk.binaryCrossEntropyWithLogits(new ctor(0), new ctor(0), { reduction: 'sum' })).toBe(0);
  });

  it(`'mean' over ${name === 'f32' ? '10^7' : '10^6'} elements within ${tol} relative, the same for every thread count, sync and async`, async () => {
    const n = name === 'f32' && !process.env.LOGITKIT_TEST_EMULATED ? 10_000_000 : 1_000_000;
    const x = new ctor(n);
    const y = new ctor(n);
    for (let i = 0; i < n; i++) {
      x[i] = Math.sin(i * 0.37) * 8;
      y[i] = (Math.cos(i * 0.11) + 1) / 2;
    }
    const ref = refBce(x, y, n, { lossOnly: true });
    const before = lk.getNumThreads();
    try {
      lk.setNumThreads(1);
      const one = lk.binaryCrossEntropyWithLogits(x, y);
      expect(relErr(one, ref.loss)).toBeLessThanOrEqual(tol);
      for (const t of [2, 3]) {
        lk.setNumThreads(t);
        expect(Object.is(lk.binaryCrossEntropyWithLogits(x, y), one)).toBe(true);
      }
      expect(Object.is(await lk.binaryCrossEntropyWithLogitsAsync(x, y), one)).toBe(true);
      const g1 = new ctor(n);
      const g2 = new ctor(n);
      lk.setNumThreads(1);
      lk.binaryCrossEntropyWithLogits(x, y, { grad: g1 });
      lk.setNumThreads(3);
      lk.binaryCrossEntropyWithLogits(x, y, { grad: g2 });
      expect(bits(g2)).toBe(bits(g1));
    } finally {
      lk.setNumThreads(before);
    }
  });

  it('out and grad may be the logits themselves', () => {
    const r = rng(4);
    const x = ctor.from({ length: 50 }, () => (r() - 0.5) * 10);
    const y = ctor.from({ length: 50 }, () => r());
    const want = lk.binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
    const g = new ctor(50);
    lk.binaryCrossEntropyWithLogits(x, y, { grad: g });
    const a = x.slice();
    expect(lk.binaryCrossEntropyWithLogits(a, y, { reduction: 'none', out: a })).toBe(a);
    expect(bits(a)).toBe(bits(want));
    const b = x.slice();
    lk.binaryCrossEntropyWithLogits(b, y, { grad: b });
    expect(bits(b)).toBe(bits(g));
  });
});

describe('sigmoid family: errors name the argument and nothing is written', () => {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  const y = new Float32Array([0, 1, 0.5, 0, 1, 0]);
  const bce = lk.binaryCrossEntropyWithLogits;
  const cases: [() => unknown, ErrorConstructor, string][] = [
    [() => lk.sigmoid(new Int32Array(2) as never), TypeError, 'x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Int32Array'],
    [() => lk.sigmoid(x, { out: new Float64Array(6) } as never), TypeError, 'out: expected Float32Array (the type of x), got Float64Array'],
    [() => lk.logSigmoid(x, { out: new Float32Array(5) }), RangeError, 'out: expected length 6 (that of x), got length 5'],
    [() => lk.sigmoid(x, { out: x.subarray(1) as Float32Array } as never), RangeError, 'out: expected length 6 (that of x), got length 5'],
    [() => lk.sigmoid(x, { shape: [6] } as never), TypeError, 'options: expected only out, dtype, outDtype, got unknown option "shape"'],
    [() => bce(x, new Float64Array(6) as never), TypeError, 'target: expected Float32Array (the type of logits), got Float64Array'],
    [() => bce(x, new Float32Array(5)), RangeError, 'target: expected length 6 (that of logits), got length 5'],
    [() => bce(x, new Float32Array([0, 1, 0.5, 0, 1.5, 0])), RangeError, 'target[4] = 1.5 is out of range [0, 1]'],
    [() => bce(x, new Float32Array([0, -0.25, 0.5, 0, 1, 0]), { reduction: 'sum' }), RangeError, 'target[1] = -0.25 is out of range [0, 1]'],
    [() => bce(x, new Float32Array([0, 1, NaN, 0, 1, 0]), { reduction: 'none' }), RangeError, 'target[2] = NaN is out of range [0, 1]'],
    [() => bce(x, y, { shape: [2, 3], posWeight: new Float32Array(2) }), RangeError, 'posWeight: expected length 3 (one per class: the last dimension of shape), got length 2'],
    [() => bce(x, y, { shape: [2, 3], posWeight: new Float32Array([1, -1, 1]) }), RangeError, 'posWeight[1]: expected a finite number >= 0, got -1'],
    [() => bce(x, y, { shape: [2, 3], posWeight: new Float32Array([1, 1, Infinity]) }), RangeError, 'posWeight[2]: expected a finite number >= 0, got Infinity'],
    [() => bce(x, y, { shape: [2, 3], weight: new Float32Array(4) }), RangeError, 'weight: expected length 3 (one per class: the last dimension of shape) or 6 (one per element), got length 4'],
    [() => bce(x, y, { weight: new Float64Array(6) } as never), TypeError, 'weight: expected Float32Array (the type of logits), got Float64Array'],
    [() => bce(x, y, { shape: [4, 2] }), RangeError, 'shape: expected dimensions whose product is logits.length = 6, got [4, 2] (product 8)'],
    [() => bce(x, y, { reduction: 'avg' as never }), RangeError, "reduction: expected 'mean', 'sum' or 'none', got \"avg\""],
    [() => bce(x, y, { out: new Float32Array(6) }), TypeError, "out: expected undefined unless reduction is 'none', got Float32Array"],
    [() => bce(x, y, { grad: new Float32Array(5) }), RangeError, 'grad: expected length 6 (that of logits), got length 5'],
    [() => bce(x, y, { axis: 0 } as never), TypeError, 'options: expected only shape, weight, posWeight, reduction, out, grad, dtype, outDtype, got unknown option "axis"'],
    [() => bce(x, y, { reduction: 'none', out: y }), RangeError, 'out: expected memory that does not overlap target, got a view that overlaps target'],
    [() => bce(x, y, { reduction: 'none', out: x, grad: x }), RangeError, 'grad: expected memory that does not overlap out, got a view that overlaps out'],
  ];
  it.each(cases.map((c, i) => [i, ...c] as const))('case %i', (_i, fn, type, message) => expectThrow(fn, type as typeof RangeError, message, x, y));

  it('a bad target value is written as JavaScript writes the number', () => {
    for (const v of [1e21, 1.0000001, -1e-300, 1.7976931348623157e308, 100, 1e20, -Infinity, 1.5e-7 - 1]) {
      expect(() => bce(new Float64Array([0, 0]), new Float64Array([0.5, v]))).toThrow(new RangeError(`target[1] = ${v} is out of range [0, 1]`));
    }
  });

  it('a bad target leaves out and grad unchanged, and the async twin rejects with the same RangeError', async () => {
    const big = new Float32Array(100000).map((_, i) => Math.sin(i));
    const t = new Float32Array(100000).fill(0.5);
    t[77777] = 2;
    const out = new Float32Array(100000).fill(7);
    const grad = new Float32Array(100000).fill(9);
    expect(() => bce(big, t, { reduction: 'none', out, grad })).toThrow(new RangeError('target[77777] = 2 is out of range [0, 1]'));
    expect(out.every((v) => v === 7) && grad.every((v) => v === 9)).toBe(true);
    await expect(lk.binaryCrossEntropyWithLogitsAsync(big, t, { grad })).rejects.toThrow(new RangeError('target[77777] = 2 is out of range [0, 1]'));
    await expect(lk.binaryCrossEntropyWithLogitsAsync(big, t)).rejects.toBeInstanceOf(RangeError);
    expect(grad.every((v) => v === 9)).toBe(true);
    await expect(lk.sigmoidAsync(new Int8Array(3) as never)).rejects.toThrow(new TypeError('x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Int8Array'));
  });
});
