// softmax and logSoftmax of small calls, computed in JavaScript (lib/small.ts): the same bounds
// against the float64 reference as the kernels, the same special values, and the routing (which
// calls take it, in both LOGITKIT_SMALL_CALLS modes). The JavaScript path is called directly here,
// so it is tested whatever the mode of this run; scripts/test.mjs runs the other suites once per
// SIMD path with small calls native and once as shipped.
import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { bits, checkClose, DTYPES, expectThrow, lk, relErr, sigmoidInputs, TOL, ulpOf } from './helpers.js';
import { randn, refLogSigmoid, refSigmoid, refSoftmax, rng } from './reference.js';

const require = createRequire(import.meta.url);
const small = require('../dist/small.js') as typeof import('../dist/small.js');
const { binding } = require('../dist/binding.js') as {
  binding: {
    softmax(x: unknown, y: unknown, outer: number, C: number, inner: number, t: number, log: boolean): void;
    argmax(x: unknown, outer: number, C: number, inner: number, out: Int32Array): void;
    sigmoid(x: unknown, y: unknown, log: boolean): void;
  };
};

type F = Float32Array | Float64Array;
const MODE = process.env.LOGITKIT_SMALL_CALLS === 'native' ? 'native' : 'js';

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
    expect([small.SOFTMAX_SMALL_ELEMENTS, small.SIGMOID_SMALL_ELEMENTS, small.ARGMAX_SMALL_ELEMENTS]).toEqual([15, 4, 64]);
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
