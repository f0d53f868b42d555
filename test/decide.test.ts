import { describe, expect, it } from 'vitest';

import { checkClose, DTYPES, expectThrow, lk, TOL, type Ctor } from './helpers.js';
import { philox, rankOrder, refDraw, refRow, refSigmoid, rng, rowsOf, uniform } from './reference.js';

// argmax, topK and sample against references written here in float64, on whichever SIMD path
// LOGITKIT_ISA forced (scripts/test.mjs runs this file once per path). sample is reproduced by a
// JavaScript twin of the documented draw (Philox4x32-10, inverse CDF over the kept classes).
const ISA = lk.info().isa;
// under qemu (scripts/test-arm64.sh) JavaScript runs ~20x slower: fewer reference rows there
const EMULATED = !!process.env.LOGITKIT_TEST_EMULATED;

/** Rows with ties, NaN, infinities and long runs of equal values mixed into random ones. */
function specialRow(ctor: Ctor, C: number, seed: number, kind: number): Float32Array | Float64Array {
  const r = rng(seed);
  const x = new ctor(C);
  for (let i = 0; i < C; i++) x[i] = Math.round((r() * 2 - 1) * 8) / 2; // many exact ties
  if (kind === 1) x[Math.floor(r() * C)] = NaN;
  if (kind === 2) {
    x[Math.floor(r() * C)] = NaN;
    x[Math.floor(r() * C)] = NaN;
    x[Math.floor(r() * C)] = Infinity;
  }
  if (kind === 3) for (let i = 0; i < C; i++) if (r() < 0.7) x[i] = -Infinity;
  if (kind === 4) x.fill(-Infinity);
  if (kind === 5) x[Math.floor(r() * C)] = Infinity;
  if (kind === 6) for (let i = 0; i < C; i++) x[i] = r() < 0.5 ? -0 : 0;
  return x;
}

function randomRow(ctor: Ctor, C: number, seed: number, scale = 4): Float32Array | Float64Array {
  const r = rng(seed);
  return ctor.from({ length: C }, () => (r() * 2 - 1) * scale);
}

const SIZES = [1, 2, 3, 7, 16, 17, 63, 100, 1000, 4097, 70000];

describe.each(DTYPES)(`argmax ($name, ${ISA})`, ({ ctor }) => {
  it('is the first maximum, or the first NaN, on random and special rows of every length', () => {
    for (const C of SIZES) {
      for (let kind = 0; kind <= 6; kind++) {
        const x = kind === 0 ? randomRow(ctor, C, C) : specialRow(ctor, C, C * 7 + kind, kind);
        expect(lk.argmax(x)[0], `C=${C} kind=${kind}`).toBe(rankOrder(x, true)[0]);
      }
    }
  });

  it('places a unique maximum or NaN anywhere in a row, block boundaries included', () => {
    const C = 5000;
    const x = randomRow(ctor, C, 3);
    for (const at of [0, 1, 15, 16, 255, 256, 1023, 1024, 1025, 4095, 4096, C - 1]) {
      const y = x.slice();
      y[at] = 10;
      expect(lk.argmax(y)[0]).toBe(at);
      y[at] = NaN;
      y[C - 1 - (at % 7)] = 11;
      expect(lk.argmax(y)[0]).toBe(at);
    }
  });

  it('reduces any axis of a shape, into out, sync and async', async () => {
    const shape = [3, 37, 5];
    const x = randomRow(ctor, 3 * 37 * 5, 9);
    x[7] = x[12]; // ties along axis 1 of column (0, 2)
    for (const axis of [0, 1, 2, -1]) {
      const want = rowsOf(x, shape, axis).map((r) => rankOrder(r, true)[0]);
      expect(Array.from(lk.argmax(x, { shape, axis }))).toEqual(want);
      const out = new Int32Array(want.length);
      expect(lk.argmax(x, { shape, axis, out })).toBe(out);
      expect(Array.from(out)).toEqual(want);
      expect(Array.from(await lk.argmaxAsync(x, { shape, axis }))).toEqual(want);
    }
    expect(lk.argmax(new ctor(0), { shape: [0, 4] }).length).toBe(0);
  });
});

describe.each(DTYPES)(`topK ($name, ${ISA})`, ({ name, ctor }) => {
  function check(x: Float32Array | Float64Array, k: number, largest: boolean, what: string, shape?: number[], axis = -1, orders?: number[][]) {
    const r = lk.topK(x, k, { largest, shape, axis });
    const rows = rowsOf(x, shape ?? [x.length], axis);
    expect(r.values).toBeInstanceOf(ctor);
    expect(r.indices.length).toBe(rows.length * k);
    rows.forEach((row, i) => {
      const want = (orders ? orders[i] : rankOrder(row, largest)).slice(0, k);
      for (let j = 0; j < k; j++) {
        const c = want[j];
        const v = r.values[i * k + j];
        const ok = r.indices[i * k + j] === c && (Object.is(v, row[c]) || (Number.isNaN(row[c]) && Number.isNaN(v)));
        if (!ok) expect(`${what} row ${i} [${j}]: ${r.indices[i * k + j]} = ${v}`).toBe(`${what} row ${i} [${j}]: ${c} = ${row[c]}`);
      }
    });
  }

  it('gives the k largest and smallest, sorted, ties by index, NaN the largest, for k = 0, 1, 5, 50, C', () => {
    for (const C of SIZES) {
      for (let kind = 0; kind <= 6; kind++) {
        const x = kind === 0 ? randomRow(ctor, C, C + 1) : specialRow(ctor, C, C * 11 + kind, kind);
        const desc = [rankOrder(x, true)];
        const asc = [rankOrder(x, false)];
        for (const k of [0, 1, 5, 50, C]) {
          if (k > C) continue;
          check(x, k, true, `C=${C} kind=${kind} k=${k}`, undefined, -1, desc);
          check(x, k, false, `C=${C} kind=${kind} k=${k} smallest`, undefined, -1, asc);
        }
      }
    }
  });

  it('adversarial orders: ascending rows (every entry beats the running k-th), descending, constant', () => {
    const C = 20000;
    const asc = ctor.from({ length: C }, (_, i) => i / 4);
    const desc = ctor.from({ length: C }, (_, i) => -i / 4);
    const flat = new ctor(C).fill(1.5);
    for (const x of [asc, desc, flat]) {
      for (const largest of [true, false]) {
        const order = [rankOrder(x, largest)];
        for (const k of [1, 7, 64, 300]) check(x, k, largest, `k=${k}`, undefined, -1, order);
      }
    }
  });

  it('long rows (the two-pass path over block maxima): winners in one block, ties at the bound, NaN, -Infinity blocks', () => {
    const C = 100000;
    const base = randomRow(ctor, C, 31);
    const variants: [string, Float32Array | Float64Array][] = [['random', base]];
    const clustered = base.slice();
    for (let i = 0; i < 60; i++) clustered[5000 + i] = 10 + i / 8; // every winner in one block
    variants.push(['clustered', clustered]);
    const ties = ctor.from({ length: C }, (_, i) => (i % 97 === 0 ? 3 : Math.round(base[i]))); // many blocks tie at their maximum
    variants.push(['ties', ties]);
    const nan = base.slice();
    nan[77777] = NaN;
    variants.push(['NaN', nan]);
    const masked = base.map((v, i) => (Math.floor(i / 300) % 3 === 0 ? -Infinity : v));
    variants.push(['-Infinity blocks', masked]);
    for (const [what, x] of variants) {
      const order = [rankOrder(x, true)];
      for (const k of [1, 5, 50, 300]) check(x, k, true, `${what} k=${k}`, undefined, -1, order);
    }
  });

  it('selects along any axis', () => {
    const shape = [4, 300, 3];
    const x = randomRow(ctor, 4 * 300 * 3, 21);
    for (const axis of [0, 1, 2]) check(x, Math.min(5, shape[axis]), true, `axis ${axis}`, shape, axis);
  });

  it("mode 'softmax' and 'logSoftmax' are the full-row values within softmax's bounds, 'sigmoid' within 2 ulp", () => {
    const tol = TOL[name];
    for (const C of [3, 1000, 70000]) {
      const x = randomRow(ctor, C, C + 5, 20);
      for (const temperature of [undefined, 0.7, 3]) {
        const T = temperature ?? 1;
        const p = refRow(x, T);
        const lp = refRow(x, T, true);
        const k = Math.min(C, 10);
        const s = lk.topK(x, k, { mode: 'softmax', temperature });
        const l = lk.topK(x, k, { mode: 'logSoftmax', temperature });
        expect(Array.from(s.indices)).toEqual(rankOrder(x, true).slice(0, k));
        checkClose(s.values, Array.from(s.indices, (i) => p[i]), tol.softmax, 'rel', tol.floor, `softmax C=${C}`);
        checkClose(l.values, Array.from(l.indices, (i) => lp[i]), tol.logSoftmax, 'log', 0, `logSoftmax C=${C}`);
      }
      const g = lk.topK(x, Math.min(C, 5), { mode: 'sigmoid' });
      const eps = name === 'f32' ? 2 ** -24 : 2 ** -53;
      g.indices.forEach((c, j) => expect(Math.abs(g.values[j] - refSigmoid(x[c]))).toBeLessThanOrEqual(4 * eps * Math.abs(refSigmoid(x[c]))));
    }
    // a NaN or +Infinity row gives NaN probabilities; -Infinity entries 0 and -Infinity
    const bad = ctor.from([1, NaN, 2]);
    expect(Array.from(lk.topK(bad, 2, { mode: 'softmax' }).values).every(Number.isNaN)).toBe(true);
    const masked = ctor.from([0, -Infinity, -Infinity]);
    expect(Array.from(lk.topK(masked, 3, { mode: 'softmax' }).values)).toEqual([1, 0, 0]);
    expect(Array.from(lk.topK(masked, 3, { mode: 'logSoftmax' }).values)).toEqual([0, -Infinity, -Infinity]);
  });

  it('writes into given buffers, sync and async alike', async () => {
    const x = randomRow(ctor, 6 * 50, 4);
    const values = new ctor(6 * 3);
    const indices = new Int32Array(6 * 3);
    const r = lk.topK(x, 3, { shape: [6, 50], values, indices });
    expect(r.values).toBe(values);
    expect(r.indices).toBe(indices);
    const a = await lk.topKAsync(x, 3, { shape: [6, 50] });
    expect(Array.from(a.indices)).toEqual(Array.from(indices));
    expect(Array.from(a.values)).toEqual(Array.from(values));
  });
});

// ---------------------------------------------------------------------------------------------
// sample

describe('Philox4x32-10', () => {
  it("matches the authors' known-answer vectors (Random123 kat_vectors)", () => {
    expect(philox([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    const f = 0xffffffff;
    expect(philox([f, f, f, f], [f, f])).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });
});

describe.each(DTYPES)(`sample ($name, ${ISA})`, ({ name, ctor }) => {
  const LP_TOL = name === 'f32' ? 4e-7 : 1e-12;

  function reproduce(x: Float32Array | Float64Array, C: number, o: { temperature: number; topK?: number; topP?: number; minP?: number }, seed: bigint, offset: number, what: string) {
    const rows = x.length / C;
    const logprobs = new ctor(rows);
    const got = lk.sample(x, { shape: [rows, C], ...o, seed, offset, logprobs });
    let ambiguous = 0;
    for (let r = 0; r < rows; r++) {
      const u = uniform(seed, BigInt(offset + r));
      const want = refDraw(x.subarray(r * C, (r + 1) * C), o, u);
      if (got[r] !== want.cls) {
        expect(want.ambiguous.has(got[r]) || want.ambiguous.has(-2), `${what} row ${r}: got ${got[r]}, expected ${want.cls} (u = ${u})`).toBe(true);
        ambiguous++;
        continue;
      }
      if (want.cls < 0) expect(Number.isNaN(logprobs[r])).toBe(true);
      else expect(Math.abs(logprobs[r] - want.logprob), `${what} row ${r} logprob`).toBeLessThanOrEqual(LP_TOL * Math.max(1, Math.abs(want.logprob)));
    }
    expect(ambiguous, what).toBeLessThanOrEqual(Math.max(1, rows / 100));
  }

  it('reproduces the documented draw bit-exactly on random rows, every option combination', () => {
    const combos = [
      {},
      { topK: 1 },
      { topK: 5 },
      { topK: 40 },
      { topP: 0.9 },
      { topP: 0.3 },
      { minP: 0.05 },
      { minP: 0.5 },
      { topK: 20, topP: 0.8 },
      { topK: 20, minP: 0.1 },
      { topP: 0.95, minP: 0.02 },
      { topK: 50, topP: 0.95, minP: 0.01 },
      { topK: 100000 }, // more than the classes: no truncation
    ];
    for (const C of [1, 2, 3, 17, 300, 5000]) {
      const rows = C >= 5000 ? (EMULATED ? 2 : 8) : EMULATED ? 12 : 64;
      const x = randomRow(ctor, rows * C, C * 3, 3);
      for (const temperature of [1, 0.6, 2.5]) {
        for (const c of combos) reproduce(x, C, { temperature, ...c }, 0x1234_5678_9abc_def0n, 17, `C=${C} T=${temperature} ${JSON.stringify(c)}`);
      }
    }
  });

  it('truncation sets at their boundaries: p exactly reached, ties at the k-th value, min-p equal to the ratio', () => {
    const draws = (x: Float32Array | Float64Array, o: object, n = 4000) => {
      const rows = new ctor(n * x.length);
      for (let r = 0; r < n; r++) rows.set(x, r * x.length);
      return new Set(lk.sample(rows, { shape: [n, x.length], seed: 7, ...o }));
    };
    // four equal classes: p = 0.5 is reached exactly by two of them, and ties go to the lower index
    const flat = ctor.from([0, 0, 0, 0]);
    expect([...draws(flat, { topP: 0.5 })].sort()).toEqual([0, 1]);
    expect([...draws(flat, { topP: 0.50001 })].sort()).toEqual([0, 1, 2]);
    expect([...draws(flat, { topK: 3 })].sort()).toEqual([0, 1, 2]);
    expect([...draws(flat, { topP: 0.2 })].sort()).toEqual([0]); // at least one class
    // a long row of equal weights: top-p 0.5 keeps exactly the lower half (the radix select's last level is all ties)
    const wide = draws(new ctor(5000), { topP: 0.5 }, 2000);
    expect(Math.max(...wide)).toBeLessThan(2500);
    expect(Math.max(...wide)).toBeGreaterThan(2400);
    // ties at the k-th value: the lower indices stay
    const ties = ctor.from([1, 3, 2, 3, 2, 2]);
    expect([...draws(ties, { topK: 3 })].sort()).toEqual([1, 2, 3]);
    expect([...draws(ties, { topK: 4 })].sort()).toEqual([1, 2, 3, 4]);
    // min-p keeps a class whose probability is exactly minP times the largest: e^0 vs e^-ln2 is not exact,
    // so use equal logits (ratio exactly 1)
    expect([...draws(ctor.from([2, 2, 1]), { minP: 1 })].sort()).toEqual([0, 1]);
    // -Infinity entries are never drawn
    expect([...draws(ctor.from([-Infinity, 0, -Infinity, 0, -Infinity]), {})].sort()).toEqual([1, 3]);
  });

  it('temperature 0 is argmax; rows with NaN, +Infinity or only -Infinity give -1 and a NaN logprob', () => {
    const C = 300;
    const x = randomRow(ctor, 8 * C, 5);
    const greedy = lk.sample(x, { shape: [8, C], temperature: 0 });
    expect(Array.from(greedy)).toEqual(Array.from(lk.argmax(x, { shape: [8, C] })));
    const lp = new ctor(8);
    lk.sample(x, { shape: [8, C], temperature: 0, logprobs: lp, seed: 1 });
    expect(Array.from(lp)).toEqual(new Array(8).fill(0));
    const bad = ctor.from([1, NaN, 2, -Infinity, -Infinity, -Infinity, 0, Infinity, 1]);
    for (const o of [{ seed: 3 }, { seed: 3, topK: 2 }, { seed: 3, topP: 0.5 }, { temperature: 0 }]) {
      const l = new ctor(3);
      const got = lk.sample(bad, { shape: [3, 3], logprobs: l, ...o });
      expect(Array.from(got).slice(0, 2)).toEqual([-1, -1]);
      expect(got[2]).toBe('temperature' in o ? 1 : -1);
      expect(Number.isNaN(l[0]) && Number.isNaN(l[1])).toBe(true);
    }
  });

  it('seeds: number and bigint alike, per-row BigUint64Array seeds independent of the batch, offset shifts the counter', () => {
    const C = 100;
    const x = randomRow(ctor, 10 * C, 8);
    const a = lk.sample(x, { shape: [10, C], seed: 123456789 });
    expect(Array.from(lk.sample(x, { shape: [10, C], seed: 123456789n }))).toEqual(Array.from(a));
    // offset 3 on rows 3.. is the same draw as rows 3.. of the full batch
    const tail = lk.sample(x.subarray(3 * C), { shape: [7, C], seed: 123456789, offset: 3 });
    expect(Array.from(tail)).toEqual(Array.from(a.subarray(3)));
    // per-row seeds: a row's draw is the same alone and in a batch
    const seeds = BigUint64Array.from({ length: 10 }, (_, i) => BigInt(i) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn);
    const batch = lk.sample(x, { shape: [10, C], seed: seeds, offset: 5 });
    for (let r = 0; r < 10; r++) {
      const one = lk.sample(x.subarray(r * C, (r + 1) * C), { seed: seeds[r], offset: 5 });
      expect(one[0]).toBe(batch[r]);
    }
    const big = lk.sample(x, { shape: [10, C], seed: 0xffff_ffff_ffff_ffffn });
    expect(big.length).toBe(10);
  });

  it('200,000 draws of a 50-class row follow the truncated distribution (chi-square, p > 1e-4)', () => {
    const C = 50;
    const r = rng(99);
    const row = ctor.from({ length: C }, () => r() * 4 - 2);
    for (const o of [{}, { topK: 20, topP: 0.8, temperature: 0.7 }, { minP: 0.2, temperature: 1.5 }]) {
      const n = 200000;
      const x = new ctor(n * C);
      for (let i = 0; i < n; i++) x.set(row, i * C);
      const got = lk.sample(x, { shape: [n, C], seed: 2026, ...o });
      const counts = new Array(C).fill(0);
      for (const c of got) counts[c]++;
      // expected probabilities: the reference's kept classes and their renormalised weights
      const T = (o as { temperature?: number }).temperature ?? 1;
      const probs = new Array(C).fill(0);
      for (const [c, p] of refDraw(row, { temperature: T, ...o }, -1).kept!) probs[c] = p;
      let chi = 0;
      let dof = -1;
      for (let c = 0; c < C; c++) {
        if (probs[c] === 0) {
          expect(counts[c], `class ${c} is truncated`).toBe(0);
          continue;
        }
        const e = probs[c] * n;
        chi += (counts[c] - e) ** 2 / e;
        dof++;
      }
      // Wilson-Hilferty: the chi-square quantile at 1 - 1e-4 for dof degrees of freedom
      const z = 3.719;
      const q = dof * (1 - 2 / (9 * dof) + z * Math.sqrt(2 / (9 * dof))) ** 3;
      expect(chi, `${JSON.stringify(o)}: chi-square ${chi.toFixed(1)} with ${dof} dof`).toBeLessThan(q);
    }
  });

  it('async gives the same draws', async () => {
    const x = randomRow(ctor, 16 * 1000, 12);
    const o = { shape: [16, 1000], seed: 5, topK: 30, topP: 0.9, temperature: 0.8 };
    expect(Array.from(await lk.sampleAsync(x, o))).toEqual(Array.from(lk.sample(x, o)));
  });
});

// ---------------------------------------------------------------------------------------------
// validation

describe('decision argument errors', () => {
  const x = new Float32Array(12);
  it('argmax', () => {
    expectThrow(() => lk.argmax(new Int32Array(3) as never), TypeError, 'x: expected Float32Array, Float64Array, Float16Array, Uint16Array (with dtype) or an onnxruntime Tensor, got Int32Array');
    expectThrow(() => lk.argmax(x, { shape: [3, 4], out: new Int32Array(4) }), RangeError, 'out: expected length 3 (one per row: the shape without the axis), got length 4');
    expectThrow(() => lk.argmax(x, { out: new Float32Array(1) as never }), TypeError, 'out: expected Int32Array, got Float32Array');
    expectThrow(() => lk.argmax(new Float32Array(0), { shape: [3, 0] }), RangeError, 'x: expected at least one class along axis 1, got shape [3, 0]');
    expectThrow(() => lk.argmax(x, { axsi: 0 } as never), TypeError, 'options: expected only shape, axis, out, dtype, got unknown option "axsi"');
  });
  it('topK', () => {
    const values = new Float32Array(3);
    expectThrow(() => lk.topK(x, 13), RangeError, 'k: expected an integer in [0, 12] (the classes along axis 0), got 13');
    expectThrow(() => lk.topK(x, 1.5), RangeError, 'k: expected an integer in [0, 12] (the classes along axis 0), got 1.5');
    expectThrow(() => lk.topK(x, '2' as never), TypeError, 'k: expected an integer in [0, 12] (the classes along axis 0), got "2"');
    expectThrow(() => lk.topK(x, 2, { mode: 'probs' as never }), RangeError, "mode: expected 'logits', 'softmax', 'logSoftmax' or 'sigmoid', got \"probs\"");
    expectThrow(() => lk.topK(x, 2, { temperature: 2 }), TypeError, "temperature: expected undefined with mode 'logits' (it scales modes 'softmax' and 'logSoftmax'), got 2");
    expectThrow(() => lk.topK(x, 2, { mode: 'softmax', temperature: 0 }), RangeError, 'temperature: expected a finite number > 0, got 0');
    expectThrow(() => lk.topK(x, 1, { shape: [3, 4], values: new Float32Array(4) }), RangeError, 'values: expected length 3 (rows x k = 3 x 1), got length 4');
    expectThrow(() => lk.topK(x, 1, { shape: [3, 4], values: new Float64Array(3) as never }), TypeError, 'values: expected Float32Array (the type of x), got Float64Array');
    expectThrow(() => lk.topK(x, 1, { shape: [3, 4], values, indices: new Int32Array(2) }), RangeError, 'indices: expected length 3 (rows x k = 3 x 1), got length 2', values);
    expectThrow(() => lk.topK(x, 1, { largest: 1 as never }), TypeError, 'largest: expected a boolean, got 1');
  });
  it('sample', () => {
    const out = new Int32Array(3);
    const lp = new Float32Array(3);
    const s = { shape: [3, 4] };
    expectThrow(() => lk.sample(x, s), TypeError, 'seed: expected a safe integer >= 0, a bigint in [0, 2^64) or a BigUint64Array with one seed per row (sample has no hidden generator: a draw is reproducible from its seed), got undefined');
    expectThrow(() => lk.sample(x, { ...s, seed: -1 }), RangeError, 'seed: expected a safe integer >= 0, a bigint in [0, 2^64) or a BigUint64Array with one seed per row, got -1');
    expectThrow(() => lk.sample(x, { ...s, seed: 1n << 64n }), RangeError, 'seed: expected a safe integer >= 0, a bigint in [0, 2^64) or a BigUint64Array with one seed per row, got 18446744073709551616n');
    expectThrow(() => lk.sample(x, { ...s, seed: new BigUint64Array(2) }), RangeError, 'seed: expected length 3 (one seed per row), got length 2');
    expectThrow(() => lk.sample(x, { ...s, seed: new BigInt64Array(3) as never }), TypeError, 'seed: expected a safe integer >= 0, a bigint in [0, 2^64) or a BigUint64Array with one seed per row, got BigInt64Array');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, topK: 0 }), RangeError, 'topK: expected an integer >= 1, got 0');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, topP: 0 }), RangeError, 'topP: expected a number in (0, 1], got 0');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, topP: 1.5 }), RangeError, 'topP: expected a number in (0, 1], got 1.5');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, minP: NaN }), RangeError, 'minP: expected a number in [0, 1], got NaN');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, temperature: -1 }), RangeError, 'temperature: expected a finite number >= 0, got -1');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, temperature: Infinity }), RangeError, 'temperature: expected a finite number >= 0, got Infinity');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, offset: 0.5 }), RangeError, 'offset: expected a safe integer >= 0, got 0.5');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, out: new Int32Array(2) }), RangeError, 'out: expected length 3 (one per row: the shape without the axis), got length 2');
    expectThrow(() => lk.sample(x, { ...s, seed: 1, out, logprobs: new Float64Array(3) as never }), TypeError, 'logprobs: expected Float32Array (the type of logits), got Float64Array', lp);
    expectThrow(() => lk.sample(x, { ...s, seed: 1, logprobs: new Float32Array(4) }), RangeError, 'logprobs: expected length 3 (one per row), got length 4');
    expect(Array.from(out)).toEqual([0, 0, 0]);
  });
});
