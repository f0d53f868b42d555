import { describe, expect, it } from 'vitest';

import { as, DTYPES, lk, relErr } from './helpers.js';
import { DDSum, randn, refCrossEntropy, refRow, rng } from './reference.js';

type Opts = { weight?: ArrayLike<number>; ignoreIndex?: number; labelSmoothing?: number; reduction?: 'mean' | 'sum' | 'none' };
const LOSS_TOL = { f32: 1e-6, f64: 1e-14 };
const GRAD_TOL = { f32: 1e-6, f64: 1e-14 };

const INDEX_CTORS = [Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array] as const;

describe.each(DTYPES)('crossEntropy ($name)', ({ name, ctor }) => {
  const ltol = LOSS_TOL[name];
  const gtol = GRAD_TOL[name];

  // Runs crossEntropy with every reduction, with and without grad, against the reference.
  function verify(x: Float32Array | Float64Array, target: ArrayLike<number | bigint> & ArrayBufferView, isProb: boolean, shape: number[], axis: number, opts: Opts) {
    const what = `[${shape}] axis ${axis} ${JSON.stringify({ ...opts, weight: opts.weight ? 'w' : undefined })}`;
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const ref = refCrossEntropy(x, target, isProb, shape, axis, { ...opts, reduction });
      const grad = new ctor(x.length).fill(123);
      const common = {
        shape,
        axis,
        reduction,
        ...(opts.weight ? { weight: ctor.from(opts.weight) } : {}),
        ...(opts.ignoreIndex !== undefined ? { ignoreIndex: opts.ignoreIndex } : {}),
        ...(opts.labelSmoothing !== undefined ? { labelSmoothing: opts.labelSmoothing } : {}),
      };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const t = target as any;
      if (reduction === 'none') {
        const losses = lk.crossEntropy(x, t, { ...common, reduction: 'none', grad }) as Float32Array | Float64Array;
        expect(losses).toBeInstanceOf(ctor);
        for (let r = 0; r < ref.losses.length; r++) {
          const e = relErr(losses[r], ref.losses[r]);
          if (!(e <= ltol)) throw new Error(`${what} none: loss[${r}] = ${losses[r]}, expected ${ref.losses[r]}`);
        }
      } else {
        const v = lk.crossEntropy(x, t, { ...common, grad }) as number;
        const again = lk.crossEntropy(x, t, common) as number;
        expect(Object.is(v, again) || (Number.isNaN(v) && Number.isNaN(again))).toBe(true);
        const e = relErr(v, ref.loss);
        if (!(e <= ltol)) throw new Error(`${what} ${reduction}: got ${v}, expected ${ref.loss}`);
      }
      for (let i = 0; i < x.length; i++) {
        const g = grad[i];
        const r = ref.grad[i];
        if (Number.isNaN(r) ? !Number.isNaN(g) : !(Math.abs(g - r) <= gtol * ref.gradMagnitude[i] + 1e-300)) {
          throw new Error(`${what} ${reduction}: grad[${i}] = ${g}, expected ${r} (scale ${ref.gradMagnitude[i]})`);
        }
      }
    }
  }

  it('class-index targets of every integer type, with every option combination', () => {
    const r = rng(11);
    for (const Ctor of INDEX_CTORS) {
      for (const [shape, axis] of [
        [[6, 10], -1],
        [[1, 7], 1],
        [[7], 0],
        [[3, 5, 4], 1],
        [[2, 3, 4, 5], 1],
      ] as [number[], number][]) {
        const ax = axis < 0 ? axis + shape.length : axis;
        const C = shape[ax];
        const rows = shape.reduce((a, b) => a * b, 1) / C;
        const x = as(ctor, randn(rows * C, rows + C, 3));
        const signed = Ctor === Int32Array || Ctor === Int16Array || Ctor === Int8Array || Ctor === BigInt64Array;
        const vals = Array.from({ length: rows }, (_, i) => (signed && i % 4 === 3 ? -100 : Math.floor(r() * C)));
        const weight = Array.from({ length: C }, () => 0.25 + r() * 2);
        // ignoreIndex: the default -100 (signed types carry some), or class 0 itself
        for (const ignoreIndex of [undefined, 0]) {
          const v = ignoreIndex === undefined ? vals : vals.map((t) => (t === -100 ? 0 : t));
          const target = Ctor === BigInt64Array ? BigInt64Array.from(v.map(BigInt)) : (Ctor as Int32ArrayConstructor).from(v);
          for (const weighted of [false, true]) {
            for (const labelSmoothing of [0, 0.1, 1]) {
              verify(x, target, false, shape, axis, { weight: weighted ? weight : undefined, labelSmoothing, ignoreIndex });
            }
          }
        }
      }
    }
  });

  it('probability targets, with weights and label smoothing', () => {
    const r = rng(5);
    for (const [shape, axis] of [
      [[5, 9], -1],
      [[9], -1],
      [[2, 6, 3], 1],
    ] as [number[], number][]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = as(ctor, randn(n, n, 2));
      const q = new ctor(n);
      const ax = axis < 0 ? axis + shape.length : axis;
      const C = shape[ax];
      for (let i = 0; i < n; i++) q[i] = r();
      const weight = Array.from({ length: C }, () => 0.5 + r());
      for (const weighted of [false, true]) {
        for (const labelSmoothing of [0, 0.2]) {
          verify(x, q, true, shape, axis, { weight: weighted ? weight : undefined, labelSmoothing });
        }
      }
    }
  });

  it('long rows (more classes than one chunk)', () => {
    const C = 150000;
    const x = as(ctor, randn(3 * C, 9, 4));
    verify(x, Int32Array.from([5, 39999, 17000]), false, [3, C], -1, { labelSmoothing: 0.05 });
  });

  // A row's logits are read once: blocks of 2048 raise the running maximum, and the sum so far is
  // rescaled to the new shift. Rows longer than a chunk (65536) merge per-chunk statistics.
  it('rows whose maximum rises block after block, one chunk and several, every target kind', () => {
    const r = rng(21);
    // under qemu (JavaScript ~20x slower) the one-chunk length only: the float64 reference of 300,000
    // logits nine times costs half a minute there; the chunk merge has the long-row tests below
    for (const C of process.env.LOGITKIT_TEST_EMULATED ? [40000] : [40000, 150000]) {
      const rows = 2;
      const x = new ctor(rows * C);
      // row 0 climbs by 60 (every block raises the maximum, by 0.8-3, past one shift of ln 2 or
      // several; a larger range would take the smallest gradients out of float32); row 1 falls
      // (the first block holds the maximum), with noise
      for (let c = 0; c < C; c++) {
        x[c] = (c / C) * 60 + r() * 0.5;
        x[C + c] = 40 - (c / C) * 60 + r() * 3;
      }
      const target = Int32Array.from([C - 7, 3]);
      const weight = Array.from({ length: C }, () => 0.5 + r());
      const q = new ctor(rows * C);
      for (let i = 0; i < q.length; i++) q[i] = r() / C;
      // plain; the smoothing sum (moved to each new maximum) with weights; both target sums
      verify(x, target, false, [rows, C], -1, {});
      verify(x, target, false, [rows, C], -1, { labelSmoothing: 0.1, weight });
      verify(x, q, true, [rows, C], -1, { labelSmoothing: 0.1, weight });
    }
  });

  // A later block's exponentials are taken under the shift of the maximum so far, in the pass that
  // finds its own maximum: a block that raises it by up to 40 keeps its terms (up to e^40) and the
  // sum is rescaled; one that raises it by more is computed again under the new shift (its terms
  // would pass 2^63, the range of ldexp on the avx2 and scalar paths, under the old one).
  it('a block that raises the maximum by 5, 39.9, 40.1, 64.5, 80, 100 or 300 (terms kept or computed again), every target kind', () => {
    const r = rng(33);
    const C = 10000;
    for (const jump of [5, 39.9, 40.1, 64.5, 80, 100, 300]) {
      const rows = 3;
      const x = new ctor(rows * C);
      for (let i = 0; i < x.length; i++) x[i] = (r() - 0.5) * 6;
      // the maximum of the first blocks is 3 exactly: rows 0 and 1 rise by `jump` exactly
      x[700] = 3;
      x[C + 700] = 3;
      x[2048 * 2 + 17] = 3 + jump; // row 0: one rise in block 2
      x[C + 4096 + 5] = 3 + jump / 2; // row 1: two, in blocks 2 and 4
      x[C + 8192 + 9] = 3 + jump;
      for (let c = 2048; c < C; c++) x[2 * C + c] += jump; // row 2: every later block lifted
      // targets off the maximum: a loss near 0 has the absolute error the docs state for float32
      // (C 2^-53), tested on its own above
      const target = Int32Array.from([100, 123, 9000]);
      const weight = Array.from({ length: C }, () => 0.5 + r());
      const q = new ctor(rows * C);
      for (let i = 0; i < q.length; i++) q[i] = r() / C;
      if (jump > 64.5) {
        // higher, the smallest probabilities, so gradient entries, are subnormal in float32: the losses
        const got = lk.crossEntropy(x, target, { shape: [rows, C], reduction: 'none' }) as Float64Array;
        const ref = refCrossEntropy(x, target, false, [rows, C], -1).losses;
        for (let k = 0; k < rows; k++) expect(relErr(got[k], ref[k]), `jump ${jump}, row ${k}: ${got[k]} vs ${ref[k]}`).toBeLessThanOrEqual(ltol);
        continue;
      }
      verify(x, target, false, [rows, C], -1, {});
      verify(x, target, false, [rows, C], -1, { labelSmoothing: 0.1, weight });
      verify(x, q, true, [rows, C], -1, { labelSmoothing: 0.1, weight });
    }
  });

  it('long rows: a chunk of -Infinity, NaN hidden in one, +Infinity, a chunk past 2^12, a leading block of -Infinity', () => {
    const C = 3 * 65536 + 100;
    const base = as(ctor, randn(C, 4, 2));
    const ce = (x: Float32Array | Float64Array, opts: Opts = {}) =>
      lk.crossEntropy(x, Int32Array.from([70000]), { shape: [1, C], reduction: 'sum', ...opts }) as number;
    // chunk 0 all -inf: it adds nothing, and the row is the reference's
    const masked = base.slice();
    masked.fill(-Infinity, 0, 65536);
    for (const labelSmoothing of [0, 0.1]) verify(masked, Int32Array.from([70000]), false, [1, C], -1, { labelSmoothing });
    // probability targets on every class, the masked chunk too: an infinite loss and a finite
    // gradient, whose factor sums the target weight of every chunk, the masked one included
    const q = new ctor(C).fill(1 / C);
    verify(masked, q, true, [1, C], -1, {});
    verify(masked, q, true, [1, C], -1, { labelSmoothing: 0.1 });
    // NaN inside that chunk: NaN
    const hidden = masked.slice();
    hidden[1234] = NaN;
    expect(ce(hidden)).toBeNaN();
    // +inf in a later chunk: NaN (inf - inf), as PyTorch gives
    const inf = base.slice();
    inf[150000] = Infinity;
    expect(ce(inf)).toBeNaN();
    // one chunk's maximum past 2^12 (that chunk subtracts its maximum; the others shift)
    const mixed = Float64Array.from(base, (v) => v + 4090);
    mixed[65536 + 9] = 4100;
    verify(as(ctor, mixed), Int32Array.from([65545]), false, [1, C], -1, { labelSmoothing: 0.1 });
    // a row of 5000 whose first block is all -inf: the first block sets no shift
    const lead = as(ctor, randn(5000, 8, 2));
    lead.fill(-Infinity, 0, 2048);
    verify(lead, Int32Array.from([4000]), false, [1, 5000], -1, {});
  });

  it('a confident long row keeps the digits of its tiny loss through the chunk merge', () => {
    // the target 30 above 199999 zeros: loss = log(1 + 199999 e^-30) = 1.87e-8
    for (const C of [40000, 200000]) {
      const x = new ctor(C);
      x[123456 % C] = 30;
      const v = lk.crossEntropy(x, Int32Array.from([123456 % C]), { shape: [1, C] }) as number;
      const ref = Math.log1p((C - 1) * Math.exp(-30));
      expect(relErr(v, ref), `C = ${C}: ${v} vs ${ref}`).toBeLessThanOrEqual(ltol);
    }
  });

  it("'mean' over no non-ignored target is NaN, and its gradient is zero", () => {
    const grad = new ctor(6).fill(7);
    const v = lk.crossEntropy(new ctor([1, 2, 3, 4, 5, 6]), Int32Array.from([-100, -100]), { shape: [2, 3], grad });
    expect(v).toBeNaN();
    expect(Array.from(grad)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(lk.crossEntropy(new ctor(0), new Int32Array(0), { shape: [0, 3] })).toBeNaN();
    expect(lk.crossEntropy(new ctor(0), new Int32Array(0), { shape: [0, 3], reduction: 'sum' })).toBe(0);
  });

  it('special values: NaN logits give NaN, a -Infinity target logit gives +Infinity, ignored rows are 0', () => {
    const x = new ctor([1, NaN, 2, 0, -Infinity, 1, NaN, NaN, NaN]);
    const losses = lk.crossEntropy(x, Int32Array.from([0, 1, -100]), { shape: [3, 3], reduction: 'none' });
    expect(losses[0]).toBeNaN();
    expect(losses[1]).toBe(Infinity);
    expect(losses[2]).toBe(0);
  });

  it("+Infinity losses: 'mean' and 'sum' are +Infinity; label smoothing > 0 reaches every -Infinity logit, even when eps/C underflows", () => {
    const x = new ctor([0, -Infinity, 0, 0, 1, 2]);
    const t = Int32Array.from([1, 0]);
    for (const reduction of ['mean', 'sum'] as const) {
      expect(lk.crossEntropy(x, t, { shape: [2, 3], reduction })).toBe(Infinity);
      expect(lk.crossEntropy(x, t, { shape: [3, 2], axis: 0, reduction })).toBe(Infinity); // strided path
    }
    const other = Int32Array.from([0, 0]); // the -Infinity logit is not a target
    expect(lk.crossEntropy(x, other, { shape: [2, 3], reduction: 'none' })[0]).toBeCloseTo(Math.log(2), 6);
    for (const labelSmoothing of [0.1, 5e-324, 1]) {
      const losses = lk.crossEntropy(x, other, { shape: [2, 3], reduction: 'none', labelSmoothing });
      expect(losses[0]).toBe(Infinity);
      expect(Number.isFinite(losses[1])).toBe(true);
    }
    // a probability of 0 at a -Infinity logit is 0 * log 0: NaN, as in PyTorch
    expect(lk.crossEntropy(new ctor([0, -Infinity]), new ctor([1, 0]))).toBeNaN();
  });

  it('a confident prediction keeps the relative accuracy of its tiny loss', () => {
    for (const big of [8, 20, 30]) {
      const x = new ctor([big, 0, 0, 0.5]);
      const v = lk.crossEntropy(x, Int32Array.from([0]), { shape: [1, 4] });
      const ref = refCrossEntropy(x, Int32Array.from([0]), false, [1, 4], -1).loss;
      // f64 rows sum with compensation: full relative accuracy. f32 rows sum in plain binary64, so
      // a loss near 0 also carries an absolute error of about 2^-52 (float32 PyTorch returns 0 here).
      const ok = relErr(v, ref) <= ltol || (name === 'f32' && Math.abs(v - ref) <= 2 ** -52);
      expect(ok, `logit ${big}: ${v} vs ${ref}`).toBe(true);
    }
  });

  // Rows of 16 classes or more shift by the multiple of ln 2 nearest their maximum when |max| < 2^12
  // and subtract the maximum itself otherwise; the maximum's own term is rebuilt as exactly 1.
  it('logits offset on both sides of the bound 2^12 on the maximum, and confident rows of many classes', () => {
    const r = rng(11);
    for (const offset of [-5000, -4095.5, -87.5, 0.25, 87.5, 4095.5, 4096.5, 30000]) {
      const [R, C] = [5, 40];
      const x = as(ctor, Array.from(randn(R * C, 31, 3), (v) => v + offset));
      const target = Int32Array.from({ length: R }, () => Math.floor(r() * C));
      for (const labelSmoothing of [0, 0.1]) verify(x, target, false, [R, C], -1, { labelSmoothing });
      // confident: the target logit 15 above 999 others, loss = log(1 + 999 e^-15) = 3.06e-4; an
      // ulp of float32 in the maximum's own term would be an error of 2e-4 relative
      const y = new ctor(1000).fill(offset);
      y[3] = offset + 15;
      verify(y, Int32Array.from([3]), false, [1, 1000], -1, {});
    }
  });

  it('label smoothing next to 1 with many weights: the summed weight keeps its last bits', () => {
    // eps/C times the summed weight scales every gradient entry. These 595 weights sum 70 ulps off
    // in plain binary64 (seed chosen for it), which broke the f64 gradient bound (fast-check found
    // it); row 0 puts p = 1/2 on two classes so that term dominates their gradient.
    const C = 595;
    const r = rng(1827);
    const weight = Float64Array.from({ length: C }, () => 0.1 + 2 * r());
    const x = new ctor(2 * C);
    x.set(randn(2 * C, 5, 2));
    x[57] = x[300] = 5e30;
    verify(x, Int32Array.from([541, 3]), false, [2, C], -1, { weight, labelSmoothing: 0.9999999999999994 });
    verify(x, Int32Array.from([541, 3]), false, [2, C], -1, { weight, labelSmoothing: 0.5 });
  });

  it('the reference gradient agrees with central differences of the reference loss', () => {
    const shape = [3, 4];
    const x = Array.from(randn(12, 99, 1));
    const target = Int32Array.from([2, -100, 0]);
    const opts: Opts = { weight: [0.5, 1, 2, 1.5], labelSmoothing: 0.3, reduction: 'mean' };
    const ref = refCrossEntropy(x, target, false, shape, -1, opts);
    for (let i = 0; i < 12; i++) {
      const h = 1e-6;
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const fd = (refCrossEntropy(xp, target, false, shape, -1, opts).loss - refCrossEntropy(xm, target, false, shape, -1, opts).loss) / (2 * h);
      expect(Math.abs(fd - ref.grad[i])).toBeLessThan(1e-8);
    }
  });

  it("'mean' over 1,000,000 rows stays within the stated relative error", () => {
    const rows = 1_000_000;
    const C = 8;
    const x = as(ctor, randn(rows * C, 31, 3));
    const target = new Int32Array(rows);
    const r = rng(3);
    for (let i = 0; i < rows; i++) target[i] = Math.floor(r() * C);
    const total = new DDSum();
    const row = new Float64Array(C);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < C; c++) row[c] = x[i * C + c];
      total.add(-refRow(row, 1, true)[target[i]]);
    }
    const ref = total.value() / rows;
    expect(relErr(lk.crossEntropy(x, target, { shape: [rows, C] }), ref)).toBeLessThanOrEqual(name === 'f32' ? 1e-6 : 1e-14);
  });
});
