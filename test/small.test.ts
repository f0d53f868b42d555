// softmax and logSoftmax of small calls, computed in JavaScript (lib/small.ts): the same bounds
// against the float64 reference as the kernels, the same special values, and the routing (which
// calls take it, in both LOGITKIT_SMALL_CALLS modes). The JavaScript path is called directly here,
// so it is tested whatever the mode of this run; scripts/test.mjs runs the other suites once per
// SIMD path with small calls native and once as shipped.
import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { bits, checkClose, DTYPES, EMULATED, expectThrow, lk, relErr, sigmoidInputs, TOL, ulpOf } from './helpers.js';
import { bf16Value, f16Value, randn, refBce, refCrossEntropy, refLogSigmoid, refSigmoid, refSoftmax, rng } from './reference.js';

const require = createRequire(import.meta.url);
const small = require('../dist/small.js') as typeof import('../dist/small.js');
const { binding } = require('../dist/binding.js') as {
  binding: {
    softmax(x: unknown, y: unknown, outer: number, C: number, inner: number, t: number, log: boolean): void;
    argmax(x: unknown, outer: number, C: number, inner: number, out: Int32Array): void;
    sigmoid(x: unknown, y: unknown, log: boolean): void;
    crossEntropy(x: unknown, t: unknown, outer: number, C: number, inner: number, ignore: number | bigint, eps: number, w: unknown, red: number, out: unknown, grad: unknown): number | undefined;
    bce(x: unknown, t: unknown, C: number, pw: unknown, w: unknown, red: number, out: unknown, grad: unknown): number | undefined;
  };
};

type F = Float32Array | Float64Array;
const MODE = process.env.LOGITKIT_SMALL_CALLS === 'native' ? 'native' : 'js';
// Under an emulator (qemu, ~20x slower for JavaScript) the loss paths' loops take every STEP-th
// case: this JavaScript is the same on every CPU, the full loops run natively on every path.
const STEP = EMULATED ? 4 : 1;

/** Every (outer, C, inner) of at most `max` elements, C >= 1. */
function layouts(max: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let outer = 1; outer <= max; outer++)
    for (let C = 1; outer * C <= max; C++) for (let inner = 1; outer * C * inner <= max; inner++) out.push([outer, C, inner]);
  return out;
}

function js(x: F, outer: number, C: number, inner: number, t: number, log: boolean): F {
  const y = new (x.constructor as new (n: number) => F)(x.length);
  small.smallSoftmax(x, y, outer, C, inner, t, log);
  return y;
}

function native(x: F, outer: number, C: number, inner: number, t: number, log: boolean): F {
  const y = new (x.constructor as new (n: number) => F)(x.length);
  binding.softmax(x, y, outer, C, inner, t, log);
  return y;
}

/**
 * The entries where the kernels give NaN, an infinity or a zero: the JavaScript path gives the same
 * (a zero may differ in sign: a log-probability of -2.6e-76 is -0 in float32 here, where the
 * kernels' x - (max + log sum) gives +0).
 */
function sameSpecials(got: F, kernel: F, what: string): void {
  for (let i = 0; i < got.length; i++) {
    const k = kernel[i];
    if (Number.isFinite(k) && k !== 0) continue;
    if (!(got[i] === k || (Number.isNaN(got[i]) && Number.isNaN(k)))) throw new Error(`${what}[${i}]: JavaScript ${got[i]}, kernels ${k}`);
  }
}

/** Whether a row holds finite values more than FLT_MAX apart. */
function spansPastFloatMax(x: F, outer: number, C: number): boolean {
  for (let o = 0; o < outer; o++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < C; c++) {
      const v = x[o * C + c];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (hi - lo > 3.4028234663852886e38) return true;
  }
  return false;
}

describe('small calls', () => {
  it(`info().smallCalls is '${MODE}' in this run (LOGITKIT_SMALL_CALLS)`, () => {
    expect(lk.info().smallCalls).toBe(MODE);
    expect([small.SOFTMAX_SMALL_ELEMENTS, small.SIGMOID_SMALL_ELEMENTS, small.ARGMAX_SMALL_ELEMENTS, small.CE_SMALL_ELEMENTS, small.BCE_SMALL_ELEMENTS]).toEqual([15, 4, 64, 64, 64]);
  });

  describe.each(DTYPES)('JavaScript path ($name)', ({ name, ctor }) => {
    const tol = TOL[name];

    it('every layout of up to 15 elements, several scales and temperatures, within the kernels\' bounds', () => {
      let seed = 1;
      let worst = 0;
      let worstLog = 0;
      const scales = name === 'f32' ? [0.1, 1, 30, 300] : [0.1, 1, 30, 3000];
      for (const [outer, C, inner] of layouts(15)) {
        const shape = [outer, C, inner];
        for (const scale of scales) {
          for (const t of [1, 0.3, 2.5, 1e-3]) {
            const x = ctor.from(randn(outer * C * inner, seed++, scale));
            const what = `${name} ${shape} scale ${scale} temperature ${t}`;
            worst = Math.max(worst, checkClose(js(x, outer, C, inner, t, false), refSoftmax(x, shape, 1, t), tol.softmax, 'rel', tol.floor, `softmax ${what}`));
            worstLog = Math.max(worstLog, checkClose(js(x, outer, C, inner, t, true), refSoftmax(x, shape, 1, t, true), tol.logSoftmax, 'log', 0, `logSoftmax ${what}`));
          }
        }
      }
      // binary64 inside, rounded once to float32: well inside the bound; for float64 a few units
      expect(worst).toBeLessThan(name === 'f32' ? 6.5e-8 : 6e-16);
      expect(worstLog).toBeLessThan(name === 'f32' ? 6.5e-8 : 6e-16);
    });

    it('large magnitudes, where x - max is not exact in binary64 (carried as TwoSum), and a dominant maximum', () => {
      const r = rng(7);
      const big = name === 'f32' ? 3e38 : 1e300;
      for (let trial = 0; trial < 400; trial++) {
        const C = 1 + (trial % 15);
        const x = new ctor(C);
        const base = (r() - 0.5) * 2 * big;
        for (let c = 0; c < C; c++) x[c] = trial % 3 === 0 ? base + (r() - 0.5) * 40 * Math.abs(base) * 2 ** -52 : (r() - 0.5) * 1400;
        if (trial % 5 === 0) x[trial % C] = 40 + (r() * 1e4); // p(max) ~ 1: log-probabilities near -0 keep their digits
        for (const t of [1, 0.7, 3]) {
          checkClose(js(x, 1, C, 1, t, false), refSoftmax(x, [C], -1, t), tol.softmax, 'rel', tol.floor, `softmax trial ${trial} t ${t}`);
          const got = js(x, 1, C, 1, t, true);
          const ref = refSoftmax(x, [C], -1, t, true);
          checkClose(got, ref, tol.logSoftmax, 'log', 0, `logSoftmax trial ${trial} t ${t}`);
          // a log-probability near 0 to within a few units of its own size, not only of 1
          for (let c = 0; c < C; c++) {
            if (ref[c] < -tol.floor && ref[c] > -1e-3) expect(Math.abs(got[c] - ref[c]) / -ref[c]).toBeLessThan(name === 'f32' ? 1.2e-7 : 1e-14);
          }
        }
      }
    });

    it('special values as the kernels give them: NaN, ±Infinity, -0, subnormals, rows of only -Infinity, extreme temperatures', () => {
      const max = name === 'f32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
      const tiny = name === 'f32' ? 1e-45 : 5e-324;
      const pool = [NaN, Infinity, -Infinity, -Infinity, -0, 0, tiny, -tiny, max, -max, 1, -1, 88, -88, 700, -700, 2.5, 1e-30];
      const r = rng(11);
      for (let trial = 0; trial < 3000; trial++) {
        const C = 1 + (trial % 8);
        const outer = 1 + (trial % 2);
        const x = new ctor(outer * C);
        for (let i = 0; i < x.length; i++) x[i] = r() < 0.6 ? pool[Math.floor(r() * pool.length)] : (r() - 0.5) * 20;
        const t = [1, 0.5, 4, 1e-300, 1e300, 5e-324, 1e-30, 1e30][trial % 8];
        for (const log of [false, true]) {
          const got = js(x, outer, C, 1, t, log);
          const what = `${log ? 'logSoftmax' : 'softmax'} [${Array.from(x)}] t ${t}`;
          // The float32 kernels compute in float32 where this path does not: 1/temperature past
          // 8.5e37 is subnormal or 0 there (a -Infinity entry then gives NaN), below 2.9e-39 it is
          // past FLT_MAX (a log-probability below -FLT_MAX then comes out as -FLT_MAX, not
          // -Infinity), and x - max beyond FLT_MAX is -Infinity (a log-probability under a
          // temperature > 1 then too). Noted in docs/api.md; the reference decides those cases.
          const kernelsExact = name === 'f64' || (t < 8.5e37 && t > 2.9e-39 && !(t > 1 && log && spansPastFloatMax(x, outer, C)));
          if (kernelsExact) sameSpecials(got, native(x, outer, C, 1, t, log), what);
          checkClose(got, refSoftmax(x, [outer, C], -1, t, log), log ? tol.logSoftmax : tol.softmax, log ? 'log' : 'rel', log ? 0 : tol.floor, what);
        }
      }
      // the documented rules, spelled out
      expect(Array.from(js(new ctor([1, NaN, 2]), 1, 3, 1, 1, false))).toEqual([NaN, NaN, NaN]);
      expect(Array.from(js(new ctor([1, Infinity, 2]), 1, 3, 1, 1, true))).toEqual([NaN, NaN, NaN]);
      expect(Array.from(js(new ctor([-Infinity, -Infinity]), 1, 2, 1, 1, false))).toEqual([NaN, NaN]);
      expect(Array.from(js(new ctor([-Infinity, 3]), 1, 2, 1, 1, false))).toEqual([0, 1]);
      expect(Array.from(js(new ctor([-Infinity, 3]), 1, 2, 1, 1, true))).toEqual([-Infinity, 0]);
      expect(Object.is(js(new ctor([-5]), 1, 1, 1, 1, true)[0], 0)).toBe(true); // +0, as the kernels
    });
  });

  it('routing: calls of at most 15 elements take the JavaScript path in js mode (the same bits), larger ones and native mode the kernels', async () => {
    for (const { ctor } of DTYPES) {
      for (let n = 0; n <= 20; n++) {
        const x = ctor.from(randn(n, 100 + n, 4));
        for (const log of [false, true]) {
          const expected = MODE === 'js' && n <= 15 ? js(x, 1, n, 1, 0.8, log) : native(x, 1, n, 1, 0.8, log);
          const f = log ? lk.logSoftmax : lk.softmax;
          const fa = log ? lk.logSoftmaxAsync : lk.softmaxAsync;
          expect(bits(f(x, { temperature: 0.8 }))).toBe(bits(expected));
          expect(bits(await fa(x, { temperature: 0.8 }))).toBe(bits(expected));
          const out = new ctor(n);
          expect(f(x, { out, temperature: 0.8 })).toBe(out);
          expect(bits(out)).toBe(bits(expected));
          const inPlace = ctor.from(x);
          expect(f(inPlace, { out: inPlace, temperature: 0.8 })).toBe(inPlace);
          expect(bits(inPlace)).toBe(bits(expected));
          if (n >= 2) {
            // a non-last axis: the same numbers, transposed
            const m = n >> 1;
            const xt = ctor.from(randn(2 * m, 200 + n, 4));
            const want = MODE === 'js' && 2 * m <= 15 ? js(xt, 1, m, 2, 1, log) : native(xt, 1, m, 2, 1, log);
            expect(bits(f(xt, { shape: [m, 2], axis: 0 }))).toBe(bits(want));
          }
        }
      }
    }
  });

  describe.each(DTYPES)('argmax in JavaScript ($name)', ({ ctor }) => {
    it('the kernels\' indices on every layout of up to 64 elements: ties, NaN, ±Infinity, -0', () => {
      const pool = [NaN, Infinity, -Infinity, -0, 0, 1, 1, 2, -2, 5e-324];
      const r = rng(5);
      let rows = 0;
      for (const [outer, C, inner] of layouts(small.ARGMAX_SMALL_ELEMENTS)) {
        for (let trial = 0; trial < 4; trial++) {
          const x = new ctor(outer * C * inner);
          for (let i = 0; i < x.length; i++) x[i] = trial === 0 ? (r() - 0.5) * 10 : trial === 3 && r() < 0.9 ? 1 : pool[Math.floor(r() * pool.length)];
          const got = new Int32Array(outer * inner).fill(-7);
          const want = new Int32Array(outer * inner).fill(-7);
          small.smallArgmax(x, outer, C, inner, got);
          binding.argmax(x, outer, C, inner, want);
          expect(Array.from(got), `${[outer, C, inner]} [${Array.from(x)}]`).toEqual(Array.from(want));
          rows += got.length;
        }
      }
      expect(rows).toBeGreaterThan(10000);
      expect(Array.from(lk.argmax(new ctor([1, NaN, 3, NaN])))).toEqual([1]);
      expect(Array.from(lk.argmax(new ctor([-0, 0, -1])))).toEqual([0]);
      expect(Array.from(lk.argmax(new ctor([-Infinity, -Infinity])))).toEqual([0]);
    });

    it('routing: calls of at most 64 elements in JavaScript in js mode, the same indices sync and async, out given or not', async () => {
      for (const n of [1, 2, 15, 63, 64, 65, 200]) {
        const x = ctor.from(randn(n * 3, n, 3));
        const want = new Int32Array(3);
        binding.argmax(x, 3, n, 1, want);
        expect(Array.from(lk.argmax(x, { shape: [3, n] }))).toEqual(Array.from(want));
        expect(Array.from(await lk.argmaxAsync(x, { shape: [3, n] }))).toEqual(Array.from(want));
        const out = new Int32Array(3);
        expect(lk.argmax(x, { shape: [3, n], out })).toBe(out);
        expect(Array.from(out)).toEqual(Array.from(want));
        expect(Array.from(lk.argmax(x, { shape: [n, 3], axis: 0 }))).toEqual(Array.from((() => { const w = new Int32Array(3); binding.argmax(x, 1, n, 3, w); return w; })()));
      }
      expect(small.isSmallArgmax(64)).toBe(MODE === 'js');
      expect(small.isSmallArgmax(65)).toBe(false);
    });

    it('an out over the memory of x is the addon\'s RangeError, before anything is written', () => {
      const buf = new ArrayBuffer(64);
      const x = new ctor(buf, 0, 4).fill(1);
      const out = new Int32Array(buf, 8, 2);
      expectThrow(() => lk.argmax(x, { shape: [2, 2], out }), RangeError, 'out: expected memory that does not overlap x, got a view that overlaps x', x);
      expectThrow(() => lk.argmax(x, { shape: [2, 2], out: new Int32Array(buf, 0, 2) }), RangeError, 'out: expected memory that does not overlap x, got a view that overlaps x', x);
      const after = new Int32Array(buf, x.byteLength, 2);
      expect(Array.from(lk.argmax(x, { shape: [2, 2], out: after }))).toEqual([0, 0]);
    });
  });

  describe.each(DTYPES)('sigmoid and logSigmoid in JavaScript ($name)', ({ name, ctor }) => {
    const sig = (x: F, log: boolean) => {
      const y = new ctor(x.length);
      small.smallSigmoid(x, y, log);
      return y;
    };

    it('sigmoid within 2 ulp everywhere, subnormal results included; logSigmoid within 2 ulp * max(1, |y|), tiny results relatively exact', () => {
      const x = ctor.from(sigmoidInputs(name, 1 << 17, 8));
      const lo = name === 'f32' ? -103.5 : -744.5;
      const hi = name === 'f32' ? -87.4 : -708.5;
      const sub = new ctor(20000).map((_, i) => lo + ((hi - lo) * i) / 19999);
      let worst = 0;
      for (const xs of [x, sub]) {
        const y = sig(xs, false);
        for (let i = 0; i < xs.length; i++) {
          const ref = refSigmoid(xs[i]);
          const u = Math.abs(y[i] - ref) / ulpOf(ref, name);
          if (!(u <= 2)) throw new Error(`sigmoid(${xs[i]}) = ${y[i]}, expected ${ref} (${u} ulp)`);
          worst = Math.max(worst, u);
        }
      }
      expect(worst).toBeLessThan(name === 'f32' ? 0.51 : 1.5); // (measured 0.50 and 1.00; float32 is rounded once from binary64)
      const ref = Float64Array.from(x, refLogSigmoid);
      checkClose(sig(x, true), ref, 2 * 2 ** (name === 'f32' ? -23 : -52), 'log', 0, 'logSigmoid');
      const tiny = ctor.from([20, 17, 40, 30.5]);
      const t = sig(tiny, true);
      for (let i = 0; i < tiny.length; i++) expect(relErr(t[i], refLogSigmoid(tiny[i]))).toBeLessThan(name === 'f32' ? 3e-7 : 5e-16);
    });

    it('special values and every input class as the kernels give them', () => {
      const x = ctor.from([Infinity, -Infinity, NaN, 0, -0, 1e-300, -1e-300, 5e-324, 745, -745, 88, -88, 40, -40]);
      for (const log of [false, true]) {
        const got = sig(x, log);
        const kernel = new ctor(x.length);
        binding.sigmoid(x, kernel, log);
        sameSpecials(got, kernel, log ? 'logSigmoid' : 'sigmoid');
      }
      expect(Array.from(sig(ctor.from([Infinity, -Infinity, NaN, 0, -0]), false))).toEqual([1, 0, NaN, 0.5, 0.5]);
      const l = sig(ctor.from([Infinity, -Infinity, 0]), true);
      expect(Object.is(l[0], 0)).toBe(true);
      expect(l[1]).toBe(-Infinity);
      expect(l[2]).toBe(ctor.from([-Math.LN2])[0]);
    });

    it('routing: calls of at most 4 elements in JavaScript in js mode (the same bits), sync and async, in place and into out', async () => {
      for (let n = 0; n <= 20; n++) {
        const x = ctor.from(sigmoidInputs(name, n, 300 + n));
        for (const log of [false, true]) {
          const kernel = new ctor(n);
          binding.sigmoid(x, kernel, log);
          const expected = MODE === 'js' && n <= small.SIGMOID_SMALL_ELEMENTS ? sig(x, log) : kernel;
          const f = log ? lk.logSigmoid : lk.sigmoid;
          const fa = log ? lk.logSigmoidAsync : lk.sigmoidAsync;
          expect(bits(f(x))).toBe(bits(expected));
          expect(bits(await fa(x))).toBe(bits(expected));
          const out = new ctor(n);
          expect(f(x, { out })).toBe(out);
          expect(bits(out)).toBe(bits(expected));
          const inPlace = ctor.from(x);
          expect(f(inPlace, { out: inPlace })).toBe(inPlace);
          expect(bits(inPlace)).toBe(bits(expected));
        }
      }
      const buf = new ctor(8);
      expectThrow(() => lk.sigmoid(buf.subarray(0, 4), { out: buf.subarray(2, 6) }), RangeError, 'out: expected x itself or memory that does not overlap it, got a view that overlaps x', buf);
    });
  });

  describe.each(DTYPES)('crossEntropy in JavaScript ($name)', ({ name, ctor }) => {
    const LOSS_TOL = name === 'f32' ? 1e-6 : 1e-14; // the kernels' bounds (test/crossEntropy.test.ts)
    const GRAD_TOL = name === 'f32' ? 1e-6 : 1e-14;
    const RED = { none: 0, sum: 1, mean: 2 } as const;
    type Red = keyof typeof RED;
    interface Call { outer: number; C: number; inner: number; target: ArrayLike<number | bigint> & ArrayBufferView; isProb: boolean; weight?: F; eps: number; ignore: number | bigint; reduction: Red; grad: boolean }
    /** The JavaScript path's result ('none': the losses) and gradient, or the kernels' (binding) on the same call. */
    function run(c: Call, x: F, native: boolean): { v: number[]; g: F | null; declined: boolean } {
      const rows = c.outer * c.inner;
      const out = c.reduction === 'none' ? new ctor(rows).fill(7) : null;
      const g = c.grad ? new ctor(x.length).fill(123) : null;
      const t = c.target;
      const v = native
        ? binding.crossEntropy(x, t, c.outer, c.C, c.inner, c.ignore, c.eps, c.weight ?? null, RED[c.reduction], out, g)
        : small.smallCrossEntropy(x, 0, c.outer, c.C, c.inner, c.isProb ? null : (t as unknown as Int32Array), c.isProb ? (t as unknown as F) : null, 0, c.ignore, c.eps, c.weight ?? null, RED[c.reduction], out, g);
      return { v: out ? Array.from(out) : [v as number], g, declined: v === undefined && !out };
    }
    const indexTarget = (Ctor: (typeof INDEX_CTORS)[number], v: number[]) => (Ctor === BigInt64Array ? BigInt64Array.from(v.map(BigInt)) : (Ctor as Int32ArrayConstructor).from(v));
    const INDEX_CTORS = [Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array] as const;

    it('every layout of up to 24 logits (and some of up to 64), index targets of every type and probabilities, weights, smoothing, ignoreIndex, every reduction, with grad: within the kernels\' bounds of the float64 reference', () => {
      const r = rng(21);
      let checked = 0;
      let worstLoss = 0;
      let worstGrad = 0;
      const all = layouts(24).concat(layouts(64).filter((_, i) => i % 40 === 0)).filter((_, i) => i % STEP === 0);
      for (const [k, [outer, C, inner]] of all.entries()) {
        const rows = outer * inner;
        const shape = [outer, C, inner];
        const x = ctor.from(randn(outer * C * inner, 500 + k, [0.5, 3, 30][k % 3]));
        const isProb = k % 4 === 3;
        const Ctor = INDEX_CTORS[k % INDEX_CTORS.length];
        const signed = Ctor === Int32Array || Ctor === Int16Array || Ctor === Int8Array || Ctor === BigInt64Array;
        const ignore = signed ? -100 : 0;
        const classes = Array.from({ length: rows }, (_, i) => (i % 5 === 4 ? ignore : Math.floor(r() * C)));
        let target: ArrayLike<number | bigint> & ArrayBufferView;
        if (isProb) {
          const q = new ctor(x.length);
          for (let o = 0; o < outer; o++)
            for (let i = 0; i < inner; i++) {
              let sum = 0;
              for (let c = 0; c < C; c++) sum += q[o * C * inner + c * inner + i] = r();
              for (let c = 0; c < C; c++) q[o * C * inner + c * inner + i] /= sum;
            }
          target = q;
        } else {
          target = indexTarget(Ctor, classes);
        }
        const weight = k % 3 === 0 ? ctor.from({ length: C }, () => 0.25 + r() * 2) : undefined;
        for (const eps of [0, 0.1, 1]) {
          for (const reduction of ['mean', 'sum', 'none'] as const) {
            const c: Call = { outer, C, inner, target, isProb, weight, eps, ignore, reduction, grad: true };
            const got = run(c, x, false);
            const ref = refCrossEntropy(x, target, isProb, shape, 1, { weight: weight ? Array.from(weight) : undefined, ignoreIndex: ignore, labelSmoothing: eps, reduction });
            const want = reduction === 'none' ? Array.from(ref.losses) : [ref.loss];
            const what = `${[outer, C, inner]} ${isProb ? 'probabilities' : Ctor.name} eps ${eps} ${reduction}${weight ? ' weighted' : ''}`;
            for (let i = 0; i < want.length; i++) {
              const e = relErr(got.v[i], want[i]);
              if (!(e <= LOSS_TOL)) throw new Error(`${what}: loss[${i}] = ${got.v[i]}, expected ${want[i]}`);
              worstLoss = Math.max(worstLoss, e);
            }
            for (let i = 0; i < x.length; i++) {
              // (float32: an entry below the subnormal range is 0, within half its spacing)
              const e = Math.abs(got.g![i] - ref.grad[i]) / (ref.gradMagnitude[i] + 1e-300);
              const belowSubnormals = name === 'f32' && Math.abs(got.g![i] - ref.grad[i]) <= 2 ** -150;
              if (!(e <= GRAD_TOL || belowSubnormals)) throw new Error(`${what}: grad[${i}] = ${got.g![i]}, expected ${ref.grad[i]} (scale ${ref.gradMagnitude[i]})`);
              if (!belowSubnormals) worstGrad = Math.max(worstGrad, e);
            }
            checked++;
          }
        }
      }
      expect(checked).toBe(all.length * 9);
      console.log(`crossEntropy in JavaScript ${name}: ${checked} calls, loss within ${worstLoss.toExponential(2)} relative, grad within ${worstGrad.toExponential(2)} of its scale`);
      // binary64 inside: a float32 loss is rounded once ('none' stores it: 2^-24), a float64 one
      // within a few units
      expect(worstLoss).toBeLessThan(name === 'f32' ? 2 ** -24 : 4e-15);
    });

    it('a loss near 0 keeps its digits (log1p of the others\' terms), large and tiny logits, a dominant target', () => {
      const r = rng(31);
      for (let trial = 0; trial < 500; trial += STEP) {
        const C = 2 + (trial % 30);
        const x = ctor.from({ length: C }, () => (r() - 0.5) * (trial % 2 ? 1e4 : 60));
        const t = trial % C;
        x[t] = Math.max(...x) + [0.5, 20, 60, 700][trial % 4]; // p_t close to 1: the loss is the others' share
        const target = Int32Array.from([t]);
        const c: Call = { outer: 1, C, inner: 1, target, isProb: false, eps: 0, ignore: -100, reduction: 'sum', grad: true };
        const got = run(c, x, false);
        const ref = refCrossEntropy(x, target, false, [1, C], 1, { reduction: 'sum' });
        if (ref.loss > 0) expect(relErr(got.v[0], ref.loss), `trial ${trial}`).toBeLessThan(name === 'f32' ? 1e-12 : 4e-15);
        else expect(got.v[0]).toBe(0);
      }
    });

    it('special values as the kernels give them: NaN, ±Infinity (at the target too), weights of 0, rows of only -Infinity, ignored rows', () => {
      const r = rng(41);
      const pool = [NaN, Infinity, -Infinity, -Infinity, -0, 0, 1, -1, 88, -88, 700, -700];
      let compared = 0;
      for (let trial = 0; trial < 4000; trial += STEP) {
        const C = 1 + (trial % 7);
        const outer = 1 + (trial % 3);
        const x = ctor.from({ length: outer * C }, () => (r() < 0.35 ? pool[Math.floor(r() * pool.length)] : (r() - 0.5) * 20));
        const isProb = trial % 3 === 2;
        const target = isProb ? ctor.from({ length: x.length }, () => (r() < 0.3 ? 0 : r())) : Int32Array.from({ length: outer }, () => (r() < 0.15 ? -100 : Math.floor(r() * C)));
        const weight = trial % 4 === 1 ? ctor.from({ length: C }, () => (r() < 0.3 ? 0 : r() * 2)) : undefined;
        const eps = [0, 0.2, 1][trial % 3 === 2 ? 0 : trial % 3];
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const c: Call = { outer, C, inner: 1, target, isProb, weight, eps, ignore: -100, reduction, grad: trial % 2 === 0 };
          const got = run(c, x, false);
          const want = run(c, x, true);
          if (reduction === 'mean' && !isProb && !Array.from(target as Int32Array).some((t) => t >= 0 && (!weight || weight[t] !== 0))) {
            // 'mean' over a zero summed weight: the sum over 0. The kernels' float32 loss of a row
            // near 0 may be 0 where this path keeps its digits (docs/accuracy.md: absolute error
            // C 2^-53), so NaN there can be an Infinity here: checked against this path's own sum
            const sum = run({ ...c, reduction: 'sum', grad: false }, x, false).v[0];
            expect(Object.is(got.v[0], sum / 0)).toBe(true);
            compared++;
            continue;
          }
          const what = `[${Array.from(x)}] ${isProb ? 'probabilities' : `classes [${Array.from(target)}]`} eps ${eps} ${reduction}${weight ? ` weights [${Array.from(weight)}]` : ''}`;
          const same = (a: ArrayLike<number>, b: ArrayLike<number>, part: string) => {
            for (let i = 0; i < b.length; i++) {
              const u = a[i];
              const k = b[i];
              if (Number.isFinite(k) && k !== 0 && Number.isFinite(u) && u !== 0) {
                // finite on both sides: the kernels' own accuracy (a gradient entry near cancellation is judged against its scale elsewhere)
                if (!(relErr(u, k) <= 1e-5 || Math.abs(u - k) <= 1e-6)) throw new Error(`${what}: ${part}[${i}] JavaScript ${u}, kernels ${k}`);
                continue;
              }
              if (!(Object.is(u, k) || (Number.isNaN(u) && Number.isNaN(k)) || (u === 0 && k === 0) || (Math.abs(u - k) <= 1e-6 && Number.isFinite(u) && Number.isFinite(k)))) throw new Error(`${what}: ${part}[${i}] JavaScript ${u}, kernels ${k}`);
            }
          };
          same(got.v, want.v, 'loss');
          if (got.g) same(got.g, want.g!, 'grad');
          compared++;
        }
      }
      expect(compared).toBe(12000 / STEP);
      // the documented rules, spelled out
      const one = (x: number[], t: number, reduction: Red = 'sum') => run({ outer: 1, C: x.length, inner: 1, target: Int32Array.from([t]), isProb: false, eps: 0, ignore: -100, reduction, grad: false }, ctor.from(x), false).v[0];
      expect(one([1, NaN, 2], 0)).toBeNaN();
      expect(one([1, Infinity, 2], 0)).toBeNaN();
      expect(one([-Infinity, -Infinity], 0)).toBeNaN();
      expect(one([-Infinity, 3], 0)).toBe(Infinity);
      expect(one([-Infinity, 3], 1)).toBe(0);
      expect(one([5, 1], -100, 'mean')).toBeNaN(); // 'mean' over no kept target
    });

    it('half-precision logits and probabilities (every float16 and bfloat16 pattern) give the float32 call\'s result on their decoded values', () => {
      if (name === 'f64') return void expect(ctor).toBe(Float64Array); // (half input computes in float32: the f32 run covers it)
      for (const [code, value] of [[1, f16Value], [2, bf16Value]] as const) {
        const R = small.CE_SMALL_ELEMENTS / 2;
        for (let h0 = 0; h0 < 65536; h0 += R * STEP) {
          // rows [h, 0x3c00-ish constant] with target 1, and probabilities of the same bits
          const bits16 = new Uint16Array(2 * R);
          for (let r = 0; r < R; r++) {
            bits16[2 * r] = h0 + r;
            bits16[2 * r + 1] = code === 1 ? 0x3c00 : 0x3f80; // 1.0
          }
          const dec = Float32Array.from(bits16, value);
          const t = new Int32Array(R).fill(1);
          const a = new Float32Array(R);
          const b = new Float32Array(R);
          const ga = new Float32Array(2 * R);
          const gb = new Float32Array(2 * R);
          small.smallCrossEntropy(bits16, code, R, 2, 1, t, null, 0, -100, 0, null, 0, a, ga);
          small.smallCrossEntropy(dec, 0, R, 2, 1, t, null, 0, -100, 0, null, 0, b, gb);
          if (bits(a) !== bits(b) || bits(ga) !== bits(gb)) throw new Error(`format ${code}: patterns ${h0}..${h0 + R - 1} decode differently`);
          const pa = small.smallCrossEntropy(bits16, code, R, 2, 1, null, bits16, code, -100, 0.1, null, 1, null, null);
          const pb = small.smallCrossEntropy(dec, 0, R, 2, 1, null, dec, 0, -100, 0.1, null, 1, null, null);
          expect(Object.is(pa, pb) || (Number.isNaN(pa) && Number.isNaN(pb))).toBe(true);
        }
      }
      // and through the public function (outputs float32): the float32 call's bits
      const bits16 = Uint16Array.from([0x3c00, 0xc000, 0x4200, 0x0001, 0x7bff, 0x3555]);
      const dec = Float32Array.from(bits16, f16Value);
      const grad = new Float32Array(6);
      const grad32 = new Float32Array(6);
      const t = Int32Array.from([2, 0]);
      expect(lk.crossEntropy(bits16, t, { dtype: 'float16', shape: [2, 3], grad } as never)).toBe(lk.crossEntropy(dec, t, { shape: [2, 3], grad: grad32 }));
      expect(bits(grad)).toBe(bits(grad32));
    });

    it('a class index out of range is declined (nothing written), for the addon to throw its RangeError', () => {
      const x = ctor.from([1, 2, 3, 4, 5, 6]);
      for (const t of [Int32Array.from([0, 3]), Int32Array.from([-1, 0]), BigInt64Array.from([0n, 3n]), BigInt64Array.from([2n ** 40n + 1n, 0n])]) {
        const c: Call = { outer: 2, C: 3, inner: 1, target: t, isProb: false, eps: 0, ignore: 2n ** 40n, reduction: 'sum', grad: true };
        const got = run(c, x, false);
        expect(got.declined).toBe(true);
        expect(Array.from(got.g!)).toEqual([123, 123, 123, 123, 123, 123]);
      }
      // a bigint ignoreIndex is compared exactly, also with number-typed targets
      const ok = run({ outer: 2, C: 3, inner: 1, target: BigInt64Array.from([2n ** 40n, 1n]), isProb: false, eps: 0, ignore: 2n ** 40n, reduction: 'sum', grad: false }, x, false);
      expect(ok.v[0]).toBeCloseTo(-Math.log(Math.exp(5) / (Math.exp(4) + Math.exp(5) + Math.exp(6))), 6);
    });

    it(`routing: calls of at most ${small.CE_SMALL_ELEMENTS} logits in JavaScript in js mode (the same bits sync and async), larger ones and native mode the kernels; the addon's errors`, async () => {
      for (const n of [1, 2, 3, 8, 21, 32, 33, 40]) {
        const x = ctor.from(randn(2 * n, n, 3));
        const t = Int32Array.from([n - 1, 0]);
        const shape = [2, n];
        const viaJs = MODE === 'js' && 2 * n <= small.CE_SMALL_ELEMENTS;
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const c: Call = { outer: 2, C: n, inner: 1, target: t, isProb: false, eps: 0.1, ignore: -100, reduction, grad: true };
          const want = run(c, x, !viaJs);
          const grad = new ctor(2 * n);
          const v = lk.crossEntropy(x, t, { shape, labelSmoothing: 0.1, reduction, grad } as never) as number | F;
          const va = (await lk.crossEntropyAsync(x, t, { shape, labelSmoothing: 0.1, reduction } as never)) as number | F;
          const vs = typeof v === 'number' ? [v] : Array.from(v);
          expect(vs).toEqual(want.v);
          expect(typeof va === 'number' ? [va] : Array.from(va)).toEqual(want.v);
          expect(bits(grad)).toBe(bits(want.g!));
        }
        // in place: grad over the logits themselves
        const inPlace = ctor.from(x);
        const want = run({ outer: 2, C: n, inner: 1, target: t, isProb: false, eps: 0, ignore: -100, reduction: 'mean', grad: true }, x, !viaJs);
        expect(lk.crossEntropy(inPlace, t, { shape, grad: inPlace })).toBe(want.v[0]);
        expect(bits(inPlace)).toBe(bits(want.g!));
      }
      expect(small.isSmallCrossEntropy(small.CE_SMALL_ELEMENTS)).toBe(MODE === 'js');
      expect(small.isSmallCrossEntropy(small.CE_SMALL_ELEMENTS + 1)).toBe(false);
      expect(small.isSmallCrossEntropy(0)).toBe(false);
      // the addon's messages, nothing written
      const x = ctor.from([1, 2, 3, 4, 5, 6]);
      const grad = new ctor(6).fill(9);
      expectThrow(() => lk.crossEntropy(x, Int32Array.from([0, 3]), { shape: [2, 3], grad }), RangeError, 'target[1] = 3 is out of range [0, 3)', grad, x);
      await expect(lk.crossEntropyAsync(x, Int32Array.from([-7, 0]), { shape: [2, 3] })).rejects.toThrow(new RangeError('target[0] = -7 is out of range [0, 3)'));
      const buf = new ArrayBuffer(96);
      const xs = new ctor(buf, 0, 6).fill(1);
      const gs = new ctor(buf, ctor.BYTES_PER_ELEMENT * 2, 6);
      expectThrow(() => lk.crossEntropy(xs, Int32Array.from([0, 1]), { shape: [2, 3], grad: gs }), RangeError, 'grad: expected logits itself or memory that does not overlap it, got a view that overlaps logits', xs);
      const out = new ctor(buf, ctor.BYTES_PER_ELEMENT * 4, 2);
      expectThrow(() => lk.crossEntropy(xs, Int32Array.from([0, 1]), { shape: [2, 3], reduction: 'none', out }), RangeError, 'out: expected memory that does not overlap logits, got a view that overlaps logits', xs);
      const q = new ctor(buf, 0, 6);
      expectThrow(() => lk.crossEntropy(new ctor(6), q, { shape: [2, 3], grad: new ctor(buf, ctor.BYTES_PER_ELEMENT * 3, 6) }), RangeError, 'grad: expected memory that does not overlap target, got a view that overlaps target', q);
    });
  });

  describe.each(DTYPES)('binaryCrossEntropyWithLogits in JavaScript ($name)', ({ name, ctor }) => {
    const tol = name === 'f32' ? 1e-6 : 1e-14; // the kernels' bounds (test/sigmoid.test.ts)
    const unit = 4 * (name === 'f32' ? 2 ** -149 : 2 ** -1074); // a few units of the smallest subnormal
    const RED = { none: 0, sum: 1, mean: 2 } as const;
    type Red = keyof typeof RED;
    interface Call { C: number; pw?: F; w?: F; reduction: Red; grad: boolean }
    function run(c: Call, x: F, y: F, native: boolean): { v: number[]; g: F | null; declined: boolean } {
      const out = c.reduction === 'none' ? new ctor(x.length).fill(7) : null;
      const g = c.grad ? new ctor(x.length).fill(123) : null;
      const v = native
        ? binding.bce(x, y, c.C, c.pw ?? null, c.w ?? null, RED[c.reduction], out, g)
        : small.smallBce(x, y, 0, c.C, c.pw ?? null, c.w ?? null, RED[c.reduction], out, g);
      return { v: out ? Array.from(out) : [v as number], g, declined: v === undefined && !out };
    }

    it('every length 1..64, rows of several widths, soft and hard targets, weights per class and per element, posWeight, every reduction, with grad: within the kernels\' bounds of the float64 reference', () => {
      const r = rng(61);
      let calls = 0;
      for (let n = 1; n <= small.BCE_SMALL_ELEMENTS; n += STEP) {
        for (const C of new Set([n, 1, [2, 3, 4, 8].find((d) => n % d === 0 && d < n) ?? n])) {
          const x = ctor.from({ length: n }, () => (r() - 0.5) * (r() < 0.2 ? 200 : 12));
          const y = ctor.from({ length: n }, () => (r() < 0.3 ? Math.round(r()) : r()));
          const perClass = ctor.from({ length: C }, () => r() * 2);
          const perElement = ctor.from({ length: n }, () => r() * 2);
          const pw = ctor.from({ length: C }, () => r() * 5);
          for (const [label, o] of [['plain', {}], ['weight per class', { w: perClass }], ['weight per element', { w: perElement }], ['posWeight', { pw }], ['both', { w: perElement, pw }]] as [string, { w?: F; pw?: F }][]) {
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              const got = run({ C, ...o, reduction, grad: true }, x, y, false);
              const ref = refBce(x, y, C, { weight: o.w, posWeight: o.pw, reduction });
              const what = `n ${n} C ${C} ${label} ${reduction}`;
              if (reduction === 'none') {
                for (let i = 0; i < n; i++) {
                  if (!(relErr(got.v[i], ref.losses[i]) <= tol || Math.abs(got.v[i] - ref.losses[i]) <= unit * Math.max(1, ref.weightScale[i]))) throw new Error(`${what}: loss[${i}] = ${got.v[i]}, expected ${ref.losses[i]} (x ${x[i]}, y ${y[i]})`);
                }
              } else if (!(relErr(got.v[0], ref.loss) <= tol)) throw new Error(`${what}: got ${got.v[0]}, expected ${ref.loss}`);
              for (let i = 0; i < n; i++) {
                if (!(Math.abs(got.g![i] - ref.grad[i]) <= tol * ref.gradMagnitude[i] + unit * Math.max(1, ref.weightScale[i]))) throw new Error(`${what}: grad[${i}] = ${got.g![i]}, expected ${ref.grad[i]} (x ${x[i]}, y ${y[i]})`);
              }
              calls++;
            }
          }
        }
      }
      expect(calls).toBeGreaterThan(2000 / STEP);
      // tiny losses and gradients keep their digits (PyTorch rounds them to 0)
      const x = ctor.from([-20, 17, -40, 30]);
      const y = ctor.from([0, 1, 0, 1]);
      const t = run({ C: 4, reduction: 'none', grad: true }, x, y, false);
      const ref = refBce(x, y, 4, { reduction: 'none' });
      for (let i = 0; i < 4; i++) {
        expect(relErr(t.v[i], ref.losses[i])).toBeLessThanOrEqual(tol);
        expect(relErr(t.g![i], ref.grad[i])).toBeLessThanOrEqual(tol);
      }
    });

    it('special values as the kernels give them: NaN, ±Infinity, ±0, weights of 0, targets 0 and 1', () => {
      const r = rng(71);
      const pool = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 40, -40, 745, -745, 1e-30];
      let compared = 0;
      for (let trial = 0; trial < 3000; trial += STEP) {
        const n = 1 + (trial % 9);
        const C = trial % 2 ? n : 1;
        const x = ctor.from({ length: n }, () => (r() < 0.5 ? pool[Math.floor(r() * pool.length)] : (r() - 0.5) * 20));
        const y = ctor.from({ length: n }, () => [0, 1, 0.5, r()][Math.floor(r() * 4)]);
        const w = trial % 3 === 1 ? ctor.from({ length: C }, () => (r() < 0.3 ? 0 : r() * 2)) : undefined;
        const pw = trial % 4 === 2 ? ctor.from({ length: C }, () => (r() < 0.3 ? 0 : r() * 3)) : undefined;
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const c: Call = { C, w, pw, reduction, grad: trial % 2 === 0 };
          const got = run(c, x, y, false);
          const want = run(c, x, y, true);
          const what = `x [${Array.from(x)}] y [${Array.from(y)}] C ${C}${w ? ` w [${Array.from(w)}]` : ''}${pw ? ` pw [${Array.from(pw)}]` : ''} ${reduction}`;
          const same = (a: ArrayLike<number>, b: ArrayLike<number>, part: string) => {
            for (let i = 0; i < b.length; i++) {
              const u = a[i];
              const k = b[i];
              const bothFinite = Number.isFinite(u) && Number.isFinite(k);
              if (bothFinite ? relErr(u, k) <= 1e-5 || Math.abs(u - k) <= 1e-6 : Object.is(u, k) || (Number.isNaN(u) && Number.isNaN(k))) continue;
              throw new Error(`${what}: ${part}[${i}] JavaScript ${u}, kernels ${k}`);
            }
          };
          same(got.v, want.v, 'loss');
          if (got.g) same(got.g, want.g!, 'grad');
          compared++;
        }
      }
      expect(compared).toBe(9000 / STEP);
      const lim = run({ C: 7, reduction: 'none', grad: true }, ctor.from([Infinity, -Infinity, Infinity, -Infinity, NaN, 0, Infinity]), ctor.from([1, 0, 0, 1, 0.5, 1, 0.5]), false);
      expect(lim.v).toEqual([0, 0, Infinity, Infinity, NaN, ctor.from([Math.LN2])[0], Infinity]);
      expect(Array.from(lim.g!)).toEqual([0, 0, 1, -1, NaN, -0.5, 0.5]);
    });

    it('half-precision logits and targets (every float16 and bfloat16 pattern as a logit) give the float32 call\'s result on their decoded values', () => {
      if (name === 'f64') return void expect(ctor).toBe(Float64Array); // (half input computes in float32: the f32 run covers it)
      const n = small.BCE_SMALL_ELEMENTS;
      for (const [code, value] of [[1, f16Value], [2, bf16Value]] as const) {
        const yb = Uint16Array.from({ length: n }, (_, i) => [0, code === 1 ? 0x3c00 : 0x3f80, code === 1 ? 0x3800 : 0x3f00, code === 1 ? 0x2e66 : 0x3dcd][i % 4]); // 0, 1, 0.5, ~0.1
        const yd = Float32Array.from(yb, value);
        for (let h0 = 0; h0 < 65536; h0 += n * STEP) {
          const xb = Uint16Array.from({ length: n }, (_, i) => h0 + i);
          const xd = Float32Array.from(xb, value);
          const a = new Float32Array(n);
          const b = new Float32Array(n);
          const ga = new Float32Array(n);
          const gb = new Float32Array(n);
          small.smallBce(xb, yb, code, n, null, null, 0, a, ga);
          small.smallBce(xd, yd, 0, n, null, null, 0, b, gb);
          // (any NaN as NaN: the decoded copy may carry a payload through the arithmetic)
          const same = (p: F, q: F) => p.every((v, i) => Object.is(v, q[i]) || (Number.isNaN(v) && Number.isNaN(q[i])));
          if (!same(a, b) || !same(ga, gb)) throw new Error(`format ${code}: patterns ${h0}..${h0 + n - 1} decode differently`);
        }
      }
      const xb = Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0x0001]);
      const yb = Uint16Array.from([0x3800, 0, 0x3c00, 0x3c00]);
      const grad = new Float32Array(4);
      const grad32 = new Float32Array(4);
      expect(lk.binaryCrossEntropyWithLogits(xb, yb, { dtype: 'float16', grad } as never)).toBe(lk.binaryCrossEntropyWithLogits(Float32Array.from(xb, f16Value), Float32Array.from(yb, f16Value), { grad: grad32 }));
      expect(bits(grad)).toBe(bits(grad32));
    });

    it(`routing: calls of at most ${small.BCE_SMALL_ELEMENTS} elements in JavaScript in js mode (the same result sync and async, in place), larger ones and native mode the kernels; the addon's errors`, async () => {
      const r = rng(81);
      for (const n of [1, 2, 7, 32, 64, 65, 100]) {
        const x = ctor.from({ length: n }, () => (r() - 0.5) * 12);
        const y = ctor.from({ length: n }, () => r());
        const pw = ctor.from({ length: n }, () => r() * 3);
        const viaJs = MODE === 'js' && n <= small.BCE_SMALL_ELEMENTS;
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const want = run({ C: n, pw, reduction, grad: true }, x, y, !viaJs);
          const grad = new ctor(n);
          const v = lk.binaryCrossEntropyWithLogits(x, y, { posWeight: pw, reduction, grad } as never) as number | F;
          const va = (await lk.binaryCrossEntropyWithLogitsAsync(x, y, { posWeight: pw, reduction } as never)) as number | F;
          expect(typeof v === 'number' ? [v] : Array.from(v)).toEqual(want.v);
          expect(typeof va === 'number' ? [va] : Array.from(va)).toEqual(want.v);
          expect(bits(grad)).toBe(bits(want.g!));
        }
        const inPlace = ctor.from(x);
        const want = run({ C: n, reduction: 'none', grad: false }, x, y, !viaJs);
        expect(lk.binaryCrossEntropyWithLogits(inPlace, y, { reduction: 'none', out: inPlace })).toBe(inPlace);
        expect(Array.from(inPlace)).toEqual(want.v);
      }
      expect(small.isSmallBce(small.BCE_SMALL_ELEMENTS)).toBe(MODE === 'js');
      expect(small.isSmallBce(small.BCE_SMALL_ELEMENTS + 1)).toBe(false);
      expect(small.isSmallBce(0)).toBe(false);
      const x = ctor.from([1, 2, 3, 4]);
      const grad = new ctor(4).fill(9);
      expectThrow(() => lk.binaryCrossEntropyWithLogits(x, ctor.from([0, 1, 1.5, 0]), { grad }), RangeError, 'target[2] = 1.5 is out of range [0, 1]', grad, x);
      expectThrow(() => lk.binaryCrossEntropyWithLogits(x, ctor.from([NaN, 1, 1, 0])), RangeError, 'target[0] = NaN is out of range [0, 1]', x);
      await expect(lk.binaryCrossEntropyWithLogitsAsync(x, ctor.from([0, -0.5, 1, 0]))).rejects.toThrow(new RangeError('target[1] = -0.5 is out of range [0, 1]'));
      const buf = new ArrayBuffer(96);
      const xs = new ctor(buf, 0, 4).fill(1);
      expectThrow(() => lk.binaryCrossEntropyWithLogits(xs, ctor.from([0, 1, 1, 0]), { grad: new ctor(buf, ctor.BYTES_PER_ELEMENT, 4) }), RangeError, 'grad: expected logits itself or memory that does not overlap it, got a view that overlaps logits', xs);
      const ys = new ctor(buf, ctor.BYTES_PER_ELEMENT * 6, 4).fill(0.5);
      expectThrow(() => lk.binaryCrossEntropyWithLogits(new ctor(4), ys, { reduction: 'none', out: new ctor(buf, ctor.BYTES_PER_ELEMENT * 8, 4) }), RangeError, 'out: expected memory that does not overlap target, got a view that overlaps target', ys);
    });
  });

  it('an out that partly overlaps x is the same RangeError, also through two SharedArrayBuffer objects of one memory', () => {
    const buf = new Float64Array(12).fill(0.5);
    expectThrow(() => lk.softmax(buf.subarray(0, 6), { out: buf.subarray(3, 9) }), RangeError, 'out: expected x itself or memory that does not overlap it, got a view that overlaps x', buf);
    const sab = new SharedArrayBuffer(64);
    const x = new Float32Array(sab, 0, 4).fill(1);
    const out = new Float32Array(structuredClone(sab), 4, 4); // another object, the same bytes
    expectThrow(() => lk.logSoftmax(x, { out }), RangeError, 'out: expected x itself or memory that does not overlap it, got a view that overlaps x', x);
    const apart = new Float32Array(structuredClone(sab), 16, 4);
    expect(Array.from(lk.softmax(x, { out: apart }))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});
