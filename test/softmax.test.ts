import { describe, expect, it } from 'vitest';

import { as, bits, checkClose, DTYPES, lk, TOL } from './helpers.js';
import { randn, refSoftmax, rng } from './reference.js';

const LENGTHS = [0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 1000, 32000];

describe.each(DTYPES)('softmax / logSoftmax ($name)', ({ name, ctor }) => {
  const tol = TOL[name];

  it('matches the worked example softmax([1.5, 0.8, -0.2]) = [0.5955, 0.2957, 0.1088]', () => {
    const y = lk.softmax(new ctor([1.5, 0.8, -0.2]));
    expect(y).toBeInstanceOf(ctor);
    expect(Array.from(y).map((v) => Number(v.toFixed(4)))).toEqual([0.5955, 0.2957, 0.1088]);
  });

  it.each(LENGTHS)('one row of length %i, several scales', (n) => {
    for (const scale of [1, 10, 40]) {
      const x = as(ctor, randn(n, 1000 + n, scale));
      const ref = refSoftmax(x, [n], -1);
      checkClose(lk.softmax(x), ref, tol.softmax, 'rel', tol.floor, `softmax n=${n} scale=${scale}`);
      const lref = refSoftmax(x, [n], -1, 1, true);
      checkClose(lk.logSoftmax(x), lref, tol.logSoftmax, 'log', 0, `logSoftmax n=${n} scale=${scale}`);
    }
  });

  it.each([1, 2, 3, 7, 17, 100])('%i rows of several lengths', (rows) => {
    for (const C of [1, 3, 16, 33, 1000]) {
      const x = as(ctor, randn(rows * C, rows * 7 + C, 5));
      checkClose(lk.softmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1), tol.softmax, 'rel', tol.floor, `softmax ${rows}x${C}`);
      checkClose(lk.logSoftmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1, 1, true), tol.logSoftmax, 'log', 0, `logSoftmax ${rows}x${C}`);
    }
  });

  it('one row of 1,000,000 (chunked path) and rows just past the chunk size', () => {
    for (const [rows, C] of [
      [1, 1_000_000],
      [3, 65537],
      [2, 150000],
      [1, (1 << 22) + 5], // past 4M elements: the second pass recomputes the exponentials
    ]) {
      const x = as(ctor, randn(rows * C, C, 8));
      checkClose(lk.softmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1), tol.softmax, 'rel', tol.floor, `softmax ${rows}x${C}`);
      checkClose(lk.logSoftmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1, 1, true), tol.logSoftmax, 'log', 0, `logSoftmax ${rows}x${C}`);
    }
    // the recomputing pass with a temperature, -Infinity entries and a whole chunk of -Infinity
    const C = (1 << 22) + 5;
    const x = as(ctor, randn(C, 77, 8));
    x[7] = -Infinity;
    x.fill(-Infinity, 3 * 65536, 4 * 65536);
    checkClose(lk.softmax(x, { temperature: 2.5 }), refSoftmax(x, [C], -1, 2.5), tol.softmax, 'rel', tol.floor, 'softmax 4M with temperature');
  });

  // Outputs of 16 MB and more take non-temporal stores (softmax: exponentials in a scratch row),
  // from each row's first register-aligned element on: the bits must be those of the same rows
  // computed alone (small outputs, plain stores), at an aligned and a misaligned output.
  it('outputs past 16 MB (streamed): the same bits as each row alone, aligned or not, and the reference', () => {
    const C = 1000 + 7;
    const rows = Math.ceil((16 << 20) / (C * ctor.BYTES_PER_ELEMENT)) + 3;
    const block = as(ctor, randn(C * 61, 5, 6)); // 61 distinct rows, repeated
    const x = new ctor(rows * C);
    for (let i = 0; i < x.length; i += block.length) x.set(block.subarray(0, Math.min(block.length, x.length - i)), i);
    const buf = new ctor(rows * C + 1);
    for (const log of [false, true]) {
      const f = log ? lk.logSoftmax : lk.softmax;
      for (const shift of [0, 1]) {
        const y = buf.subarray(shift, shift + rows * C);
        f(x, { shape: [rows, C], out: y });
        for (let r = 0; r < 61; r++) {
          const row = y.subarray(r * C, (r + 1) * C);
          const alone = f(x.subarray(r * C, (r + 1) * C));
          expect(bits(row), `${log ? 'log' : ''}softmax row ${r}, output offset ${shift}`).toBe(bits(alone));
        }
        const last = y.subarray((rows - 1) * C);
        expect(bits(last)).toBe(bits(f(x.subarray((rows - 1) * C))));
      }
      const ref = refSoftmax(block.subarray(0, 3 * C), [3, C], -1, 1, log);
      const got = f(x, { shape: [rows, C] }).subarray(0, 3 * C);
      if (log) checkClose(got, ref, tol.logSoftmax, 'log', 0, 'streamed logSoftmax');
      else checkClose(got, ref, tol.softmax, 'rel', tol.floor, 'streamed softmax');
    }
  });

  it('rows offset on both sides of the fast path\'s bound 2^12 on the maximum, alone and mixed in one chunked row', () => {
    for (const offset of [-1e6, -5000, -4096.5, -4095.5, -200, 0.25, 87.5, 4095.5, 4096.5, 30000, 1e6]) {
      for (const C of [5, 1000]) {
        const x = as(ctor, Array.from(randn(3 * C, C + 17, 4), (v) => v + offset));
        checkClose(lk.softmax(x, { shape: [3, C] }), refSoftmax(x, [3, C], -1), tol.softmax, 'rel', tol.floor, `softmax offset ${offset} C=${C}`);
        checkClose(lk.logSoftmax(x, { shape: [3, C] }), refSoftmax(x, [3, C], -1, 1, true), tol.logSoftmax, 'log', 0, `logSoftmax offset ${offset} C=${C}`);
      }
    }
    // three chunks: the first's maximum below 2^12 (shifted), the second's above (maximum
    // subtracted), the third below again; the merge takes both kinds of chunk sums
    const C = 3 * 65536;
    const x = as(ctor, Array.from(randn(C, 99, 2), (v) => v + 4080));
    x[65536 + 5] = 4100;
    checkClose(lk.softmax(x), refSoftmax(x, [C], -1), tol.softmax, 'rel', tol.floor, 'softmax of mixed chunks');
    checkClose(lk.logSoftmax(x), refSoftmax(x, [C], -1, 1, true), tol.logSoftmax, 'log', 0, 'logSoftmax of mixed chunks');
  });

  it('every axis of 1-D to 4-D shapes', () => {
    const r = rng(7);
    for (let rank = 1; rank <= 4; rank++) {
      for (let trial = 0; trial < 6; trial++) {
        const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * (rank > 2 ? 9 : 40)));
        const n = shape.reduce((a, b) => a * b, 1);
        const x = as(ctor, randn(n, rank * 100 + trial, 6));
        for (let axis = -rank; axis < rank; axis++) {
          const what = `shape [${shape}] axis ${axis}`;
          checkClose(lk.softmax(x, { shape, axis }), refSoftmax(x, shape, axis), tol.softmax, 'rel', tol.floor, `softmax ${what}`);
          checkClose(lk.logSoftmax(x, { shape, axis }), refSoftmax(x, shape, axis, 1, true), tol.logSoftmax, 'log', 0, `logSoftmax ${what}`);
        }
      }
    }
  });

  it('a non-last axis with many columns (partial register tails)', () => {
    for (const shape of [
      [2, 50, 37],
      [1, 3, 100],
      [4, 1000, 3],
    ]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = as(ctor, randn(n, n, 4));
      checkClose(lk.softmax(x, { shape, axis: 1 }), refSoftmax(x, shape, 1), tol.softmax, 'rel', tol.floor, `softmax [${shape}] axis 1`);
      checkClose(lk.logSoftmax(x, { shape, axis: 1 }), refSoftmax(x, shape, 1, 1, true), tol.logSoftmax, 'log', 0, `logSoftmax [${shape}] axis 1`);
    }
  });

  it('temperature', () => {
    for (const t of [0.01, 0.5, 2, 1000]) {
      for (const [shape, axis] of [
        [[5, 77], -1],
        [[6, 5, 7], 1],
        [[1, 20000], -1],
      ] as [number[], number][]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = as(ctor, randn(n, n + 3, 3));
        const what = `T=${t} [${shape}] axis ${axis}`;
        checkClose(lk.softmax(x, { shape, axis, temperature: t }), refSoftmax(x, shape, axis, t), tol.softmax, 'rel', tol.floor, `softmax ${what}`);
        checkClose(lk.logSoftmax(x, { shape, axis, temperature: t }), refSoftmax(x, shape, axis, t, true), tol.logSoftmax, 'log', 0, `logSoftmax ${what}`);
      }
    }
  });

  it('writes into out, and in place when out is x', () => {
    const x = as(ctor, randn(3 * 50, 5, 2));
    const ref = refSoftmax(x, [3, 50], -1);
    const out = new ctor(x.length);
    const y = lk.softmax(x, { shape: [3, 50], out });
    expect(y).toBe(out);
    checkClose(out, ref, tol.softmax, 'rel', tol.floor, 'out');
    const copy = ctor.from(x);
    expect(lk.logSoftmax(copy, { shape: [3, 50], out: copy })).toBe(copy);
    checkClose(copy, refSoftmax(x, [3, 50], -1, 1, true), tol.logSoftmax, 'log', 0, 'in place');
    const big = as(ctor, randn(150000, 9, 5));
    const bigRef = refSoftmax(big, [150000], -1);
    lk.softmax(big, { out: big });
    checkClose(big, bigRef, tol.softmax, 'rel', tol.floor, 'in place, chunked');
  });

  it('works on views with a byte offset', () => {
    const backing = as(ctor, randn(130, 77, 3));
    const x = backing.subarray(3, 3 + 120);
    const out = new ctor(130).subarray(5, 125);
    lk.softmax(x, { shape: [4, 30], out });
    checkClose(out, refSoftmax(x, [4, 30], -1), tol.softmax, 'rel', tol.floor, 'view');
  });

  it('returns an empty array for empty input, including zero-size dimensions', () => {
    expect(lk.softmax(new ctor(0))).toEqual(new ctor(0));
    expect(lk.logSoftmax(new ctor(0), { shape: [0, 5] })).toEqual(new ctor(0));
    expect(lk.softmax(new ctor(0), { shape: [4, 0, 3], axis: 1 })).toEqual(new ctor(0));
  });
});

describe.each(DTYPES)('special values ($name)', ({ ctor }) => {
  const inf = Infinity;
  const check = (x: number[], shape?: number[], axis?: number) => {
    const xa = new ctor(x);
    const s = shape ?? [x.length];
    const a = axis ?? -1;
    checkClose(lk.softmax(xa, { shape: s, axis: a }), refSoftmax(xa, s, a), 3e-7, 'rel', 1e-30, `softmax [${x}]`);
    checkClose(lk.logSoftmax(xa, { shape: s, axis: a }), refSoftmax(xa, s, a, 1, true), 3e-7, 'log', 0, `logSoftmax [${x}]`);
    return { p: lk.softmax(xa, { shape: s, axis: a }), l: lk.logSoftmax(xa, { shape: s, axis: a }) };
  };

  it('follows PyTorch: NaN or +Infinity poison the row, all -Infinity gives NaN, -Infinity entries give 0', () => {
    expect(Array.from(check([1, NaN, 2]).p).every(Number.isNaN)).toBe(true);
    expect(Array.from(check([1, inf, 2]).p).every(Number.isNaN)).toBe(true);
    expect(Array.from(check([-inf, -inf]).p).every(Number.isNaN)).toBe(true);
    const r = check([-inf, 0, -inf, 0]);
    expect(Array.from(r.p)).toEqual([0, 0.5, 0, 0.5]);
    expect(r.l[0]).toBe(-inf);
    expect(r.l[2]).toBe(-inf);
  });

  it('places NaN, +Infinity and -Infinity at the first, last and tail positions of every length 1..50', () => {
    for (let n = 1; n <= 50; n++) {
      const base = Array.from(randn(n, n, 3));
      for (const pos of new Set([0, n - 1, n - (n % 16 || 16), n - (n % 8 || 8), Math.floor(n / 2)])) {
        if (pos < 0 || pos >= n) continue;
        for (const v of [NaN, inf, -inf]) {
          const x = base.slice();
          x[pos] = v;
          check(x);
        }
      }
    }
  });

  it('handles rows of -Infinity among ordinary rows, and special values along a non-last axis', () => {
    check([-inf, -inf, 1, 2, 3, NaN, 0, 1], [4, 2]);
    check([-inf, 1, -inf, 2, -inf, NaN, -inf, inf, 5, 6, 7, 8], [2, 3, 2], 1);
  });

  it('keeps full relative accuracy for widely spread and huge inputs', () => {
    check([1e30, 0, -1e30]);
    check([3e38, -3e38, 1]);
    check([0.001, -60.5, -69, -80, -87, -100, -103.9, -104.1, -200]);
    check([1000.5, 900.3, 990.25, 999.9999]);
  });

  // Terms below half the smallest subnormal are made +0 without being computed (exp.h, Exp::scale:
  // their underflow costs a microcode assist on Intel cores). With the maximum 0 and every other
  // entry tiny, the sum is exactly 1, so an output is its exponential rounded once: within half a
  // subnormal step of the float64 value (and its relative bound where normal). A cut-off half a
  // binade too high would zero terms of 2^-149.5 and more and fail here; 0.01 apart, every lane
  // position, a tail, and short rows (15 classes: the transposed tiles' exponential).
  it('rounds terms at the edge of the subnormal range once, zero only below half the smallest subnormal', () => {
    const f32 = ctor === Float32Array;
    const [lo, hi] = f32 ? [-106, -100] : [-748, -742];
    const step = 2 ** (f32 ? -150 : -1075); // half the smallest subnormal
    const d: number[] = [];
    for (let v = lo; v <= hi; v += 0.01) d.push(v);
    const tryRows = (x: Float32Array | Float64Array, shape: number[]) => {
      const p = lk.softmax(x, { shape });
      const ref = refSoftmax(x, shape, -1);
      for (let i = 0; i < x.length; i++) {
        const err = Math.abs(p[i] - ref[i]);
        if (!(err <= step * 1.001 + 3e-7 * ref[i])) throw new Error(`softmax(${x[i]}) among ${shape}: got ${p[i]}, expected ${ref[i]} (error ${err / step} half-steps)`);
      }
      return p;
    };
    const row = new ctor([0, ...d]); // 602 entries: 37 registers of 16 and a tail of 10
    const p = tryRows(row, [row.length]);
    expect(p[0]).toBe(1);
    expect(Array.from(p.subarray(1)).some((v) => v > 0)).toBe(true); // some are subnormal...
    expect(p[1]).toBe(0); // ...and the lowest rounds to 0
    const C = 15;
    const short = new ctor(Math.ceil(d.length / (C - 1)) * C);
    for (let i = 0, r = 0; i < d.length; r++) for (let c = 1; c < C; c++) short[r * C + c] = d[i++] ?? -Infinity;
    tryRows(short, [short.length / C, C]);
  });

  it('chunked rows: a chunk of only -Infinity, NaN hidden in such a chunk, +Infinity in a later chunk', () => {
    const n = 150000; // three chunks of 65536 elements
    const x = Array.from(randn(n, 3, 2));
    for (let i = 0; i < 65536; i++) x[i] = -inf;
    check(x);
    const y = x.slice();
    y[100] = NaN;
    expect(Array.from(check(y).p).every(Number.isNaN)).toBe(true);
    const z = x.slice();
    z[n - 1] = inf;
    expect(Array.from(check(z).p).every(Number.isNaN)).toBe(true);
    const all = new Array(n).fill(-inf);
    expect(Array.from(check(all).p).every(Number.isNaN)).toBe(true);
  });
});

// Rows of fewer than 16 classes and reductions over a non-last axis take the log of each lane's sum
// of exponentials with the vector logarithm of native/kernels/log.h (SIMD paths), not libm.
describe.each(DTYPES)('the per-lane log-sum-exp of short rows and columns ($name)', ({ name, ctor }) => {
  const ulp = name === 'f32' ? 2 ** -23 : 2 ** -52; // relative spacing of numbers in [1, 2)

  it('equal logits give -log(C) to within an ulp, along the last axis and along axis 0', () => {
    for (let C = 1; C < 16; C++) {
      const rows = 37;
      const x = new ctor(rows * C).fill(0.25);
      const want = -Math.log(C);
      for (const [shape, axis] of [[[rows, C], -1], [[C, rows], 0]] as const) {
        const y = lk.logSoftmax(x, { shape: [...shape], axis });
        for (let i = 0; i < y.length; i++) {
          if (!(Math.abs(y[i] - want) <= ulp * Math.max(1, Math.abs(want)))) throw new Error(`C ${C} axis ${axis} [${i}]: ${y[i]} vs ${want}`);
        }
      }
    }
  });

  it('sums across [1, 16): every row of a sweep within the log-softmax bound', () => {
    // row r of C: [0, -t, -2t, ...] with t from 0 to 12, so each sum lies anywhere in [1, C]
    for (const C of [2, 3, 5, 8, 15]) {
      const rows = 1201;
      const x = new ctor(rows * C);
      for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) x[r * C + c] = -c * (r / 100);
      checkClose(lk.logSoftmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1, 1, true), TOL[name].logSoftmax, 'log', 0, `sweep C ${C}`);
      const xt = new ctor(rows * C);
      for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) xt[c * rows + r] = x[r * C + c];
      checkClose(lk.logSoftmax(xt, { shape: [C, rows], axis: 0 }), refSoftmax(xt, [C, rows], 0, 1, true), TOL[name].logSoftmax, 'log', 0, `sweep C ${C} axis 0`);
    }
  });

  it("a confident prediction: the top class's log-probability keeps its relative accuracy", () => {
    // row [0, -a, ..., -a]: log p_0 = -log1p((C - 1) e^-a), as small as 1e-15
    for (const C of [2, 3, 9, 15]) {
      for (const a of [3, 12, 20, 30, 34]) {
        const x = new ctor(16 * C).fill(-a);
        for (let r = 0; r < 16; r++) x[r * C] = 0;
        const y = lk.logSoftmax(x, { shape: [16, C] });
        const want = -Math.log1p((C - 1) * Math.exp(-a));
        // f64: the exponentials carry ~2 ulp each, summed with compensation. f32: (x - m) - log(s)
        // in float hi + lo parts (two roundings), and s = 1 + tiny terms summed in plain binary64,
        // which leaves an absolute error of up to C * 2^-53 (as docs/accuracy.md states for float32 rows)
        const bound = name === 'f32' ? 2 * ulp * Math.abs(want) + C * 2 ** -53 : 4 * ulp * Math.abs(want);
        for (let r = 0; r < 16; r++) {
          if (!(Math.abs(y[r * C] - want) <= bound)) throw new Error(`C ${C} a ${a}: ${y[r * C]} vs ${want}`);
        }
      }
    }
  });
});
