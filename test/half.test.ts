// Half-precision input and output (issue 14): float16 and bfloat16 bits in a Uint16Array (dtype),
// onnxruntime-shaped Tensors, float32 results or half bits (outDtype), on the SIMD path under test.
//
// The conversions are checked exhaustively against references written from the formats'
// definitions (test/reference.ts), through full registers and every tail length. Every function
// on half input must give, bit for bit, what the float32 function gives on the decoded values
// (the kernels compute in float32 and convert a register at a time), and a half output must be
// the nearest-even rounding of that float32 result; the float32 accuracy bounds are then measured
// against float64 references of the half inputs.
import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { checkClose, expectThrow, lk, relErr, TOL, ulpOf } from './helpers.js';
import {
  bf16Round,
  bf16Value,
  f16Round,
  f16Value,
  f32Bits,
  randn,
  refBce,
  refCrossEntropy,
  refSigmoid,
  refSoftmax,
  rng,
  widenedNaNBits,
} from './reference.js';

const require = createRequire(import.meta.url);
const { binding } = require('../dist/binding.js') as {
  binding: { convert(x: Float32Array | Uint16Array, out: Float32Array | Uint16Array, xType: number, outType: number): void };
};
const ISA = lk.info().isa;
const FORMATS = [
  { name: 'float16' as const, code: 1, value: f16Value, round: f16Round, one: 0x3c00 },
  { name: 'bfloat16' as const, code: 2, value: bf16Value, round: bf16Round, one: 0x3f80 },
];
type Format = (typeof FORMATS)[number];
const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);
// lengths that reach every tail of every path (16 float32 lanes on avx512) and full registers
const TAIL_LENGTHS = Array.from({ length: 3 * 16 + 2 }, (_, i) => i + 1);

function u32(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** The float32 a half pattern widens to (NaN: quiet, as the hardware makes it), by the reference. */
function widened(f: Format, h: number): number {
  const v = f.value(h);
  return Number.isNaN(v) ? widenedNaNBits(h, f.name) : f32Bits(v);
}

/** Decoded float32 copy of half bits, by the reference. */
function decode(f: Format, h: Uint16Array): Float32Array {
  const y = new Float32Array(h.length);
  const b = u32(y);
  for (let i = 0; i < h.length; i++) b[i] = widened(f, h[i]);
  return y;
}

/** Half bits of float32 values, by the reference rounding. */
function encode(f: Format, y: Float32Array): Uint16Array {
  const b = u32(y);
  return Uint16Array.from(b, (u) => f.round(u));
}

/** Random half bits of values around 0 (scale), finite. */
function randomHalf(f: Format, n: number, seed: number, scale = 3): Uint16Array {
  const v = Float32Array.from(randn(n, seed, scale));
  return encode(f, v);
}

function expectBits(got: Uint16Array, want: Uint16Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) throw new Error(`${what}[${i}]: got 0x${got[i].toString(16)}, expected 0x${want[i].toString(16)}`);
  }
}

/** Two float32 arrays hold the same bits (NaN: any NaN, since a JS number cannot carry a payload through a kernel's arithmetic). */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}

/** Half output bits: the reference rounding of the float32 result, NaN as any NaN of the format. */
function expectRounded(f: Format, got: Uint16Array, f32: Float32Array, what: string): void {
  const want = encode(f, f32);
  const nan = (h: number) => (f.name === 'float16' ? (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 : (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i] && !(nan(got[i]) && nan(want[i]))) {
      throw new Error(`${what}[${i}]: got 0x${got[i].toString(16)}, expected 0x${want[i].toString(16)} (the ${f.name} rounding of ${f32[i]})`);
    }
  }
}

describe(`half-precision conversions (${ISA})`, () => {
  // avx512 rounds bfloat16 outputs with vcvtneps2bf16 where the CPU has AVX512-BF16 (and
  // LOGITKIT_AVX512BF16 is not 0); the tests below then check that instruction's bits, and npm test
  // runs them once more without it (scripts/test.mjs)
  it(`info().features: 'avx512bf16' exactly when the avx512 path runs on a CPU with AVX512-BF16 (${process.env.LOGITKIT_AVX512BF16 === '0' ? 'turned off' : 'default'})`, () => {
    const features = lk.info().features;
    if (ISA !== 'avx512' || process.env.LOGITKIT_AVX512BF16 === '0') {
      expect(features).toEqual([]);
      return;
    }
    let cpuinfo: string | undefined;
    try {
      cpuinfo = require('node:fs').readFileSync('/proc/cpuinfo', 'utf8') as string;
    } catch {
      cpuinfo = undefined; // not Linux: no CPU flags to compare with, only what the list may hold
    }
    if (cpuinfo === undefined) expect(features.every((f) => f === 'avx512bf16')).toBe(true);
    else expect(features).toEqual(/^flags\s*:.*\bavx512_bf16\b/m.test(cpuinfo) ? ['avx512bf16'] : []);
  });

  for (const f of FORMATS) {
    it(`widens all 65536 ${f.name} patterns exactly (NaN quiet), in full registers and every tail`, () => {
      const y = new Float32Array(65536);
      binding.convert(ALL, y, f.code, 0);
      const b = u32(y);
      for (let h = 0; h < 65536; h++) {
        if (b[h] !== widened(f, h)) throw new Error(`${f.name} 0x${h.toString(16)}: got float32 bits 0x${b[h].toString(16)}, expected 0x${widened(f, h).toString(16)}`);
      }
      // tails and odd starts, over runs of NaNs, infinities and subnormals
      const starts = f.name === 'float16' ? [0x0000, 0x03f0, 0x7bf3, 0x7c00, 0x7c01, 0x7e05, 0xfc01] : [0x0000, 0x007b, 0x7f7b, 0x7f80, 0x7f81, 0x7fc3, 0xff81];
      for (const s of starts) {
        for (const n of TAIL_LENGTHS) {
          const t = new Float32Array(n);
          binding.convert(ALL.subarray(s, s + n), t, f.code, 0);
          const tb = u32(t);
          for (let i = 0; i < n; i++) {
            if (tb[i] !== widened(f, s + i)) throw new Error(`${f.name} tail of ${n} at 0x${s.toString(16)}, element ${i}: 0x${tb[i].toString(16)}`);
          }
        }
      }
    });
  }

  /** float32 bit patterns that test every rounding decision of a format, in Uint32Array form. */
  function roundingInputs(f: Format): Uint32Array {
    const out: number[] = [];
    const push = (u: number) => {
      out.push(u >>> 0, (u | 0x80000000) >>> 0);
    };
    if (f.name === 'float16') {
      // every value, every tie between neighbours (exact in float32) and the float32 values beside it
      for (let h = 0; h < 0x7c00; h++) {
        const a = f16Value(h);
        const b = h === 0x7bff ? 65536 : f16Value(h + 1);
        const mid = f32Bits((a + b) / 2);
        push(f32Bits(a));
        push(mid);
        push(mid - 1);
        push(mid + 1);
      }
      // past the range: the halfway point to 2^16 and beyond; below 2^-25 (2^-25 itself ties to 0); float32 subnormals
      for (const u of [0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0x7f7fffff, 0x33000000, 0x33000001, 0x32ffffff, 0x00000001, 0x007fffff, 0x00400000]) push(u);
    } else {
      // for every upper half, the values just below, at and above each tie and the neighbour itself
      for (let h = 0; h < 0x10000; h++) for (const lo of [0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff]) out.push(((h << 16) | lo) >>> 0);
    }
    // NaNs: signalling and quiet, payloads in the kept and the dropped bits, both signs
    for (const u of [0x7f800000, 0x7f800001, 0x7f801000, 0x7fa00000, 0x7fc00000, 0x7fffffff, 0x7f802000, 0x7f8fe000, 0x7fc00001]) push(u);
    const r = rng(1414);
    for (let i = 0; i < 100000; i++) out.push(Math.floor(r() * 2 ** 32) >>> 0);
    return Uint32Array.from(out);
  }

  for (const f of FORMATS) {
    it(`rounds float32 to ${f.name} to nearest even: every tie and its float32 neighbours, overflow, subnormals, NaN; every tail`, () => {
      const bitsIn = roundingInputs(f);
      const x = new Float32Array(bitsIn.buffer);
      const y = new Uint16Array(x.length);
      binding.convert(x, y, 0, f.code);
      for (let i = 0; i < x.length; i++) {
        const want = f.round(bitsIn[i]);
        if (y[i] !== want) throw new Error(`float32 0x${bitsIn[i].toString(16)} (${x[i]}) to ${f.name}: got 0x${y[i].toString(16)}, expected 0x${want.toString(16)}`);
      }
      for (const s of [0, 1, 4097, 20001]) {
        for (const n of TAIL_LENGTHS) {
          const t = new Uint16Array(n);
          binding.convert(x.subarray(s, s + n), t, 0, f.code);
          for (let i = 0; i < n; i++) if (t[i] !== f.round(bitsIn[s + i])) throw new Error(`tail of ${n} at ${s}, element ${i}`);
        }
      }
    });
  }

  it('converts float16 <-> bfloat16 exhaustively (through float32)', () => {
    const [h, b] = FORMATS;
    const toB = new Uint16Array(65536);
    binding.convert(ALL, toB, 1, 2);
    for (let i = 0; i < 65536; i++) if (toB[i] !== b.round(widened(h, i))) throw new Error(`float16 0x${i.toString(16)} to bfloat16: 0x${toB[i].toString(16)}`);
    const toH = new Uint16Array(65536);
    binding.convert(ALL, toH, 2, 1);
    for (let i = 0; i < 65536; i++) if (toH[i] !== h.round(widened(b, i))) throw new Error(`bfloat16 0x${i.toString(16)} to float16: 0x${toH[i].toString(16)}`);
  });
});

describe(`every half pattern through the functions (${ISA})`, () => {
  for (const f of FORMATS) {
    it(`${f.name}: softmax of 65536 one-element rows, topK of one (the identity), sigmoid and argmax, as float32 gives them`, () => {
      const shape = [65536, 1];
      const dec = decode(f, ALL);
      const sm = lk.softmax(ALL, { dtype: f.name, shape }) as Float32Array;
      expect(sm).toBeInstanceOf(Float32Array);
      for (let h = 0; h < 65536; h++) {
        const v = f.value(h);
        const want = Number.isFinite(v) ? 1 : NaN; // NaN, +Infinity and a row of only -Infinity give NaN
        if (!Object.is(sm[h], want) && !(Number.isNaN(want) && Number.isNaN(sm[h]))) throw new Error(`softmax of [0x${h.toString(16)}] = ${sm[h]}`);
      }
      expectSame(sm, lk.softmax(dec, { shape }), 'softmax');
      expectSame(lk.logSoftmax(ALL, { dtype: f.name, shape }) as Float32Array, lk.logSoftmax(dec, { shape }), 'logSoftmax');
      const smh = lk.softmax(ALL, { dtype: f.name, shape, outDtype: f.name }) as Uint16Array;
      expectRounded(f, smh, sm, 'softmax to half');

      // the identity: top-1 of a one-element row is the element, widened (float32) or back in its format
      const top = lk.topK(ALL, 1, { dtype: f.name, shape });
      expect(u32(top.values as Float32Array)).toEqual(u32(dec));
      expect(top.indices).toEqual(new Int32Array(65536));
      const back = lk.topK(ALL, 1, { dtype: f.name, shape, outDtype: f.name }).values as Uint16Array;
      const quiet = Uint16Array.from(ALL, (h) => f.round(widened(f, h))); // the pattern itself; a signalling NaN made quiet
      expectBits(back, quiet, 'topK values in their own format');
      for (let h = 0; h < 65536; h++) if (!Number.isNaN(f.value(h)) && back[h] !== h) throw new Error(`0x${h.toString(16)} did not come back`);

      expectSame(lk.sigmoid(ALL, { dtype: f.name }) as Float32Array, lk.sigmoid(dec), 'sigmoid');
      expectSame(lk.logSigmoid(ALL, { dtype: f.name }) as Float32Array, lk.logSigmoid(dec), 'logSigmoid');
      expect(lk.argmax(ALL, { dtype: f.name })).toEqual(lk.argmax(dec));
      expect(lk.argmax(ALL, { dtype: f.name, shape: [256, 256] })).toEqual(lk.argmax(dec, { shape: [256, 256] }));
    });
  }
});

// Shapes long enough (> 64 elements) that the float32 twin runs in the kernels too, not in lib/small.ts.
const SHAPES: { shape: number[]; axis: number }[] = [
  { shape: [7, 13], axis: -1 }, // short rows: the tile path
  { shape: [5, 1000], axis: -1 },
  { shape: [2, 70001], axis: -1 }, // long rows: chunked across threads
  { shape: [33, 9], axis: 0 }, // the column kernel
  { shape: [4, 37, 3], axis: 1 },
];

describe(`half input gives what float32 gives on its decoding, bit for bit; half output is its rounding (${ISA})`, () => {
  for (const f of FORMATS) {
    for (const { shape, axis } of SHAPES) {
      const n = shape.reduce((a, b) => a * b, 1);
      const tag = `${f.name} [${shape.join(', ')}] axis ${axis}`;
      const longRows = shape[shape.length - 1] > 65536 && axis === -1;

      it(`softmax, logSoftmax: ${tag}`, () => {
        const x = randomHalf(f, n, n + 1, 4);
        if (n > 20) x[3] = f.name === 'float16' ? 0xfc00 : 0xff80; // a -Infinity entry
        const dec = decode(f, x);
        for (const log of [false, true]) {
          const fn = log ? lk.logSoftmax : lk.softmax;
          // (fewer combinations on the long rows: the JavaScript reference rounding is what costs there)
          for (const temperature of longRows ? [0.7] : [1, 0.7]) {
            const want = fn(dec, { shape, axis, temperature });
            const got = fn(x, { dtype: f.name, shape, axis, temperature }) as Float32Array;
            expectSame(got, want, `${log ? 'logSoftmax' : 'softmax'} T=${temperature}`);
            for (const o of longRows ? [f] : FORMATS) {
              const h = fn(x, { dtype: f.name, shape, axis, temperature, outDtype: o.name }) as Uint16Array;
              expect(h).toBeInstanceOf(Uint16Array);
              expectRounded(o, h, want, `to ${o.name}`);
            }
            // float32 input, half output
            expectRounded(f, fn(dec, { shape, axis, temperature, outDtype: f.name } as never) as Uint16Array, want, 'float32 in, half out');
          }
          // in place: the half bits replaced by the half result
          const inPlace = x.slice();
          fn(inPlace, { dtype: f.name, shape, axis, out: inPlace });
          expectRounded(f, inPlace, fn(dec, { shape, axis }), 'in place');
        }
      });

      it(`crossEntropy (index and probability targets, weights, smoothing, grad, 'none'): ${tag}`, () => {
        const { outer, C, inner } = split(shape, axis);
        const rows = outer * inner;
        const x = randomHalf(f, n, 7 * n, 3);
        const dec = decode(f, x);
        const r = rng(n);
        const target = Int32Array.from({ length: rows }, (_, i) => (i === 1 ? -100 : Math.floor(r() * C)));
        const weight = Float32Array.from({ length: C }, () => 0.5 + r());
        const probs = randomHalf(f, n, 9 * n, 1).map((h) => h & 0x7fff); // non-negative
        const probsDec = decode(f, probs);
        const cases: [string, unknown, unknown, Record<string, unknown>][] = [
          ['indices', target, target, {}],
          ['indices, weight, smoothing', target, target, { weight, labelSmoothing: 0.1 }],
          ['probabilities', probs, probsDec, { targetDtype: f.name }],
        ];
        for (const [what, tHalf, tF32, extra] of cases) {
          const { targetDtype, ...rest } = extra as { targetDtype?: string };
          for (const reduction of ['mean', 'sum', 'none'] as const) {
            const gradF = new Float32Array(n);
            const want = lk.crossEntropy(dec, tF32 as Int32Array, { shape, axis, reduction, grad: gradF, ...rest });
            const gradH = new Float32Array(n);
            const got = lk.crossEntropy(x, tHalf as Int32Array, { dtype: f.name, targetDtype, shape, axis, reduction, grad: gradH, ...rest } as never);
            if (reduction === 'none') expectSame(got as unknown as Float32Array, want as unknown as Float32Array, `${what} losses`);
            else expect(got, `${what} ${reduction}`).toBe(want);
            expectSame(gradH, gradF, `${what} grad`);
            // half outputs: losses and gradient rounded from the float32 ones
            const outH = reduction === 'none' ? new Uint16Array(rows) : undefined;
            const gH = new Uint16Array(n);
            const got2 = lk.crossEntropy(x, tHalf as Int32Array, { dtype: f.name, targetDtype, shape, axis, reduction, grad: gH, out: outH, ...rest } as never);
            expectRounded(f, gH, gradF, `${what} grad in ${f.name}`);
            if (reduction === 'none') {
              expect(got2).toBe(outH);
              expectRounded(f, outH!, want as unknown as Float32Array, `${what} losses in ${f.name}`);
            } else expect(got2).toBe(want);
          }
        }
      });
    }

    it(`${f.name}: sigmoid, logSigmoid and binaryCrossEntropyWithLogits`, () => {
      const shape = [37, 29];
      const n = 37 * 29;
      const x = randomHalf(f, n, 5, 8);
      const dec = decode(f, x);
      for (const log of [false, true]) {
        const fn = log ? lk.logSigmoid : lk.sigmoid;
        const want = fn(dec);
        expectSame(fn(x, { dtype: f.name }) as Float32Array, want, log ? 'logSigmoid' : 'sigmoid');
        expectRounded(f, fn(x, { dtype: f.name, outDtype: f.name }) as Uint16Array, want, 'half out');
      }
      const r = rng(6);
      const y = encode(f, Float32Array.from({ length: n }, () => (r() < 0.3 ? r() : Math.round(r()))));
      const yDec = decode(f, y);
      const posWeight = Float32Array.from({ length: 29 }, () => 2 * r());
      const weight = Float32Array.from({ length: n }, () => r());
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const gF = new Float32Array(n);
        const want = lk.binaryCrossEntropyWithLogits(dec, yDec, { shape, reduction, posWeight, weight, grad: gF });
        const gH = new Float32Array(n);
        const got = lk.binaryCrossEntropyWithLogits(x, y, { dtype: f.name, shape, reduction, posWeight, weight, grad: gH });
        if (reduction === 'none') expectSame(got as Float32Array, want as Float32Array, 'bce losses');
        else expect(got).toBe(want);
        expectSame(gH, gF, 'bce grad');
        const gHalf = new Uint16Array(n);
        lk.binaryCrossEntropyWithLogits(x, y, { dtype: f.name, shape, reduction, posWeight, weight, grad: gHalf });
        expectRounded(f, gHalf, gF, 'bce grad in half');
      }
    });

    it(`${f.name}: argmax, topK (every mode) and sample`, () => {
      for (const { shape, axis } of SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = randomHalf(f, n, 3 * n, 2); // few distinct values: ties
        const dec = decode(f, x);
        expect(lk.argmax(x, { dtype: f.name, shape, axis })).toEqual(lk.argmax(dec, { shape, axis }));
        for (const mode of ['logits', 'softmax', 'logSoftmax', 'sigmoid'] as const) {
          for (const largest of [true, false]) {
            const want = lk.topK(dec, 5, { shape, axis, mode, largest });
            const got = lk.topK(x, 5, { dtype: f.name, shape, axis, mode, largest });
            expect(got.indices).toEqual(want.indices);
            expectSame(got.values as Float32Array, want.values, `topK ${mode}`);
            expectRounded(f, lk.topK(x, 5, { dtype: f.name, shape, axis, mode, largest, outDtype: f.name }).values as Uint16Array, want.values, `topK ${mode} in half`);
          }
        }
        for (const opts of [{ temperature: 0.8, topK: 50, topP: 0.9 }, { temperature: 1.3, minP: 0.05 }, { temperature: 0 }]) {
          const lpF = new Float32Array(n / shape[axis < 0 ? shape.length + axis : axis]);
          const want = lk.sample(dec, { shape, axis, seed: 99, offset: 5, logprobs: lpF, ...opts });
          const lpH = new Float32Array(lpF.length);
          expect(lk.sample(x, { dtype: f.name, shape, axis, seed: 99, offset: 5, logprobs: lpH, ...opts })).toEqual(want);
          expectSame(lpH, lpF, 'sample logprobs');
        }
      }
    });
  }
});

describe(`half outputs written with non-temporal stores, and long rows on every thread count (${ISA})`, () => {
  /** Half bits of n values in [-6, 6) (an LCG: Math.sin of large arguments costs seconds here), through the native rounding the conversion tests check. */
  function bigHalf(f: Format, n: number): Uint16Array {
    const v = new Float32Array(n);
    let state = n;
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) | 0;
      v[i] = (state >>> 8) * 2 ** -24 * 12 - 6;
    }
    const h = new Uint16Array(n);
    binding.convert(v, h, 0, f.code);
    return h;
  }
  // (bytes compared by Buffer: the matchers' deep equality takes seconds on arrays of millions)
  const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const rounded = (f: Format, y: Float32Array) => {
    const h = new Uint16Array(y.length);
    binding.convert(y, h, 0, f.code);
    return h;
  };
  for (const f of FORMATS) {
    it(`${f.name}: outputs of 16 MB and more (short rows, long rows kept or recomputed, sigmoid), at an aligned and a misaligned out`, () => {
      const before = lk.getNumThreads();
      try {
        for (const [R, C] of [[130, 65536], [131, 70001]]) {
          const n = R * C;
          const x = bigHalf(f, n);
          for (const log of [false, true]) {
            const fn = log ? lk.logSoftmax : lk.softmax;
            const want = rounded(f, fn(x, { dtype: f.name, shape: [R, C] }) as Float32Array);
            // 1, 2, 3 threads: each row on one thread (its exponentials kept), or rows spread in chunks (recomputed)
            for (const threads of [1, 2, 3]) {
              lk.setNumThreads(threads);
              const out = new Uint16Array(n + 1).subarray(1); // 2 bytes past a register boundary
              fn(x, { dtype: f.name, shape: [R, C], outDtype: f.name, out });
              expect(sameBytes(out, want), `${log ? 'logSoftmax' : 'softmax'} ${R}x${C}, ${threads} threads`).toBe(true);
            }
            lk.setNumThreads(before);
            const aligned = fn(x, { dtype: f.name, shape: [R, C], outDtype: f.name }) as Uint16Array;
            expect(sameBytes(aligned, want)).toBe(true);
          }
        }
        const x = bigHalf(f, 9_000_001);
        const want = rounded(f, lk.sigmoid(x, { dtype: f.name }) as Float32Array);
        const out = new Uint16Array(9_000_002).subarray(1);
        lk.sigmoid(x, { dtype: f.name, outDtype: f.name, out });
        expect(sameBytes(out, want)).toBe(true);
      } finally {
        lk.setNumThreads(before);
      }
    });
  }

  it('a few long rows spread across threads (exponentials recomputed) give the bits of rows kept on one thread', () => {
    const before = lk.getNumThreads();
    try {
      for (const f of FORMATS) {
        const shape = [2, 200003];
        const x = bigHalf(f, 400006);
        const results = [1, 2, 3, 5].map((t) => {
          lk.setNumThreads(t);
          return [lk.softmax(x, { dtype: f.name, shape, temperature: 0.9 }) as Float32Array, lk.softmax(x, { dtype: f.name, shape, outDtype: f.name }) as Uint16Array];
        });
        for (const [y, h] of results.slice(1)) {
          expect(sameBytes(y, results[0][0])).toBe(true);
          expect(sameBytes(h, results[0][1])).toBe(true);
        }
        expect(sameBytes(results[0][1], rounded(f, lk.softmax(x, { dtype: f.name, shape }) as Float32Array))).toBe(true);
      }
    } finally {
      lk.setNumThreads(before);
    }
  });
});

function split(shape: number[], axis: number): { outer: number; C: number; inner: number } {
  const a = axis < 0 ? shape.length + axis : axis;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < a; i++) outer *= shape[i];
  for (let i = a + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, C: shape[a], inner };
}

describe(`accuracy on half inputs against float64 (${ISA})`, () => {
  for (const f of FORMATS) {
    it(`${f.name}: softmax and logSoftmax within the float32 bounds, cross-entropy 1e-6, sigmoid 2 ulp`, () => {
      let worstSm = 0;
      let worstLsm = 0;
      let worstCe = 0;
      for (const { shape, axis } of SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = randomHalf(f, n, 11 * n, 6);
        const xd = Array.from(decode(f, x)); // the half values, exactly
        for (const temperature of [1, 0.6]) {
          const sm = lk.softmax(x, { dtype: f.name, shape, axis, temperature }) as Float32Array;
          worstSm = Math.max(worstSm, checkClose(sm, refSoftmax(xd, shape, axis, temperature), TOL.f32.softmax, 'rel', TOL.f32.floor, `softmax ${f.name}`));
          const ls = lk.logSoftmax(x, { dtype: f.name, shape, axis, temperature }) as Float32Array;
          worstLsm = Math.max(worstLsm, checkClose(ls, refSoftmax(xd, shape, axis, temperature, true), TOL.f32.logSoftmax, 'log', 0, `logSoftmax ${f.name}`));
        }
        const { outer, C, inner } = split(shape, axis);
        const r = rng(n);
        const target = Int32Array.from({ length: outer * inner }, () => Math.floor(r() * C));
        const ref = refCrossEntropy(xd, target, false, shape, axis, {});
        const loss = lk.crossEntropy(x, target, { dtype: f.name, shape, axis });
        worstCe = Math.max(worstCe, relErr(loss, ref.loss));
        expect(relErr(loss, ref.loss), `crossEntropy ${shape}`).toBeLessThanOrEqual(1e-6);
      }
      // every finite pattern through sigmoid, against the float64 sigmoid of its value
      const s = lk.sigmoid(ALL, { dtype: f.name }) as Float32Array;
      let worstSig = 0;
      for (let h = 0; h < 65536; h++) {
        const v = f.value(h);
        if (!Number.isFinite(v)) continue;
        const ref = refSigmoid(v);
        const u = Math.abs(s[h] - ref) / ulpOf(ref, 'f32');
        worstSig = Math.max(worstSig, u);
      }
      expect(worstSig).toBeLessThanOrEqual(2);
      // BCE against float64 on the half values
      const n = 4000;
      const x = randomHalf(f, n, 21, 5);
      const y = encode(f, Float32Array.from(randn(n, 22, 1), (v) => Math.min(1, Math.abs(v))));
      const bce = lk.binaryCrossEntropyWithLogits(x, y, { dtype: f.name });
      const refB = refBce(Array.from(decode(f, x)), Array.from(decode(f, y)), n, {});
      expect(relErr(bce, refB.loss)).toBeLessThanOrEqual(1e-6);
      console.log(`${f.name} ${ISA}: softmax max rel ${worstSm.toExponential(2)}, logSoftmax ${worstLsm.toExponential(2)} x max(1,|y|), crossEntropy ${worstCe.toExponential(2)}, sigmoid ${worstSig.toFixed(3)} ulp, BCE ${relErr(bce, refB.loss).toExponential(2)}`);
    });
  }
});

describe(`async twins and Tensors (${ISA})`, () => {
  it('the async twins give the sync results on half input', async () => {
    const f = FORMATS[1];
    const shape = [9, 300];
    const x = randomHalf(f, 2700, 31, 3);
    const o = { dtype: f.name, shape };
    expect(await lk.softmaxAsync(x, o)).toEqual(lk.softmax(x, o));
    expect(await lk.logSoftmaxAsync(x, { ...o, outDtype: 'float16' })).toEqual(lk.logSoftmax(x, { ...o, outDtype: 'float16' }));
    const t = new Int32Array(9).fill(4);
    expect(await lk.crossEntropyAsync(x, t, o)).toBe(lk.crossEntropy(x, t, o));
    expect(await lk.sigmoidAsync(x, { dtype: f.name })).toEqual(lk.sigmoid(x, { dtype: f.name }));
    expect(await lk.binaryCrossEntropyWithLogitsAsync(x, x.map((h) => h & 0x3f00), o)).toBe(lk.binaryCrossEntropyWithLogits(x, x.map((h) => h & 0x3f00), o));
    expect(await lk.argmaxAsync(x, o)).toEqual(lk.argmax(x, o));
    expect(await lk.topKAsync(x, 3, o)).toEqual(lk.topK(x, 3, o));
    expect(await lk.sampleAsync(x, { ...o, seed: 3 })).toEqual(lk.sample(x, { ...o, seed: 3 }));
  });

  it('Tensor-shaped objects: shape from dims, zero-copy, every float type, int64 and int32 targets', () => {
    const x = randomHalf(FORMATS[0], 24, 41, 2);
    const dec = decode(FORMATS[0], x);
    const t = { type: 'float16', data: x, dims: [2, 3, 4] };
    expect(lk.softmax(t)).toEqual(lk.softmax(dec, { shape: [2, 3, 4] }));
    expect(lk.softmax(t, { axis: 1 })).toEqual(lk.softmax(dec, { shape: [2, 3, 4], axis: 1 }));
    expect(lk.softmax(t, { shape: [2, 3, 4] })).toEqual(lk.softmax(dec, { shape: [2, 3, 4] }));
    expect(lk.softmax({ type: 'float32', data: dec, dims: [6, 4] })).toEqual(lk.softmax(dec, { shape: [6, 4] }));
    const d64 = Float64Array.from(dec);
    expect(lk.logSoftmax({ type: 'float64', data: d64, dims: [4, 6] })).toEqual(lk.logSoftmax(d64, { shape: [4, 6] }));
    // bigint dims, as some producers give them
    expect(lk.argmax({ type: 'float16', data: x, dims: [6n, 4n] })).toEqual(lk.argmax(dec, { shape: [6, 4] }));
    // in place through the Tensor's own memory
    const data = x.slice();
    const r = lk.softmax({ type: 'float16', data, dims: [6, 4] }, { out: data });
    expect(r).toBe(data);
    expectRounded(FORMATS[0], data, lk.softmax(dec, { shape: [6, 4] }), 'in place');
    // targets: int64 and int32 Tensors of class indices, float16 Tensors of probabilities
    const labels = new BigInt64Array([3n, 0n, 1n, 2n, 0n, 3n]);
    const want = lk.crossEntropy(dec, labels, { shape: [6, 4] });
    expect(lk.crossEntropy(t, { type: 'int64', data: labels, dims: [6] }, { shape: [2, 3, 4] })).toBe(lk.crossEntropy(dec, labels, { shape: [2, 3, 4] }));
    expect(lk.crossEntropy({ type: 'float16', data: x, dims: [6, 4] }, { type: 'int32', data: Int32Array.from(labels, Number), dims: [6] })).toBe(want);
    const p = x.map((h) => h & 0x3bff);
    expect(lk.crossEntropy({ type: 'float16', data: x, dims: [6, 4] }, { type: 'float16', data: p, dims: [6, 4] })).toBe(
      lk.crossEntropy(dec, decode(FORMATS[0], p), { shape: [6, 4] }),
    );
    expect(lk.binaryCrossEntropyWithLogits({ type: 'float16', data: x, dims: [6, 4] }, { type: 'float16', data: p, dims: [6, 4] })).toBe(
      lk.binaryCrossEntropyWithLogits(dec, decode(FORMATS[0], p), { shape: [6, 4] }),
    );
    expect(lk.sample({ type: 'float16', data: x, dims: [6, 4] }, { seed: 8 })).toEqual(lk.sample(dec, { shape: [6, 4], seed: 8 }));
  });

  it('onnxruntime-node sessions: float32 and float16 logits in, float16 results back into a session', async () => {
    const { probeNative } = await import('../bench/contenders.mjs');
    const crash = probeNative('onnxruntime-node');
    if (crash !== null) {
      // only under emulation may the peer fail to load (see test/bench.test.ts); natively it must run
      expect(process.env.LOGITKIT_TEST_EMULATED, crash).toBe('1');
      return;
    }
    const ort = require('onnxruntime-node');
    const { matmulModel, softmaxModel } = await import('../bench/onnx.mjs');
    const opts = { intraOpNumThreads: 1 };
    const [N, D, C] = [5, 8, 300];
    for (const [type, fmt] of [['float32', null], ['float16', FORMATS[0]]] as const) {
      const dt = type === 'float32' ? 'f32' : 'f16';
      const a32 = Float32Array.from(randn(N * D, 51, 1));
      const b32 = Float32Array.from(randn(D * C, 52, 1));
      const a = fmt ? encode(fmt, a32) : a32;
      const b = fmt ? encode(fmt, b32) : b32;
      const linear = await ort.InferenceSession.create(matmulModel(dt), opts);
      const { y } = await linear.run({ a: new ort.Tensor(type, a, [N, D]), b: new ort.Tensor(type, b, [D, C]) });
      expect(y.type).toBe(type);
      expect(y.dims).toEqual([N, C]);
      const logits = fmt ? decode(fmt, y.data as Uint16Array) : (y.data as Float32Array);
      // the Tensor straight in: shape from its dims
      const p = lk.softmax(y) as Float32Array;
      expect(p).toBeInstanceOf(Float32Array);
      checkClose(p, refSoftmax(Array.from(logits), [N, C], -1), TOL.f32.softmax, 'rel', TOL.f32.floor, `softmax of a ${type} session output`);
      const labels = new ort.Tensor('int64', new BigInt64Array([1n, 299n, 0n, 17n, 150n]), [N]);
      const ref = refCrossEntropy(Array.from(logits), labels.data as BigInt64Array, false, [N, C], -1, {});
      expect(relErr(lk.crossEntropy(y, labels), ref.loss)).toBeLessThanOrEqual(1e-6);
      expect(lk.topK(y, 3).indices).toEqual(lk.topK(logits, 3, { shape: [N, C] }).indices);
      expect(lk.sample(y, { seed: 1, topK: 10 })).toEqual(lk.sample(logits, { shape: [N, C], seed: 1, topK: 10 }));
      if (fmt) {
        // logitkit's float16 bits go back into a float16 session as a Tensor, and agree with its Softmax
        const yh = lk.softmax(y, { outDtype: 'float16' }) as Uint16Array;
        const sm = await ort.InferenceSession.create(softmaxModel('f16', false), opts);
        const back = (await sm.run({ x: new ort.Tensor('float16', yh, [N, C]) })).y;
        expect(back.type).toBe('float16');
        const theirs = (await sm.run({ x: y })).y.data as Uint16Array;
        // onnxruntime's float16 Softmax rounds in float16 arithmetic: within a few float16 ulps of ours
        const ours = decode(fmt, yh);
        const th = decode(fmt, theirs);
        for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - th[i])).toBeLessThanOrEqual(4 * 2 ** -11 * Math.max(ours[i], 2 ** -14));
        expectRounded(fmt, yh, p, 'float16 output');
      }
    }
  });
});

describe('half-precision and Tensor argument errors', () => {
  const u = new Uint16Array(6);
  const f32 = new Float32Array(6);
  const f64 = new Float64Array(6);
  const cases: [() => unknown, typeof TypeError | typeof RangeError, string][] = [
    [() => lk.softmax(u as never), TypeError, "dtype: expected 'float16' or 'bfloat16' for a Uint16Array x (it holds half-precision bits), got undefined"],
    [() => lk.softmax(u, { dtype: 'float32' }), TypeError, `dtype: expected 'float16' or 'bfloat16' for a Uint16Array x, got "float32"`],
    [() => lk.softmax(u, { dtype: 'half' as never }), TypeError, `dtype: expected 'float16' or 'bfloat16' for a Uint16Array x, got "half"`],
    [() => lk.softmax(f32, { dtype: 'float16' } as never), TypeError, `dtype: expected 'float32' (the type of a Float32Array x) or undefined, got "float16"`],
    [() => lk.softmax(f64, { dtype: 'bfloat16' } as never), TypeError, `dtype: expected 'float64' (the type of a Float64Array x) or undefined, got "bfloat16"`],
    [() => lk.softmax(u, { dtype: 'float16', outDtype: 'float64' as never }), TypeError, `outDtype: expected 'float32', 'float16' or 'bfloat16', got "float64"`],
    [() => lk.softmax(f64, { outDtype: 'float16' } as never), TypeError, `outDtype: expected 'float64' (the dtype of x; half-precision output is for float32, float16 and bfloat16 input) or undefined, got "float16"`],
    [() => lk.softmax(u, { dtype: 'float16', out: new Float64Array(6) }), TypeError, `out: expected Float32Array (outDtype 'float32' for float16 x), got Float64Array`],
    [() => lk.softmax(u, { dtype: 'float16', outDtype: 'bfloat16', out: new Float32Array(6) }), TypeError, `out: expected Uint16Array (outDtype 'bfloat16' for float16 x), got Float32Array`],
    [() => lk.softmax(u, { dtype: 'float16', out: new Uint16Array(5) }), RangeError, 'out: expected length 6 (that of x), got length 5'],
    [() => lk.softmax(f32, { out: new Uint16Array(6) } as never), TypeError, 'out: expected Float32Array (the type of x), got Uint16Array'],
    [() => lk.softmax({ type: 'string', data: ['a'], dims: [1] }), TypeError, `x: expected a Tensor of type 'float32', 'float64' or 'float16', got a Tensor of type "string"`],
    [() => lk.softmax({ type: 'float16', data: f32, dims: [6] }), TypeError, "x.data: expected a Uint16Array or a Float16Array for a Tensor of type 'float16', got Float32Array"],
    [() => lk.softmax({ type: 'float32', data: f32, dims: [2, 2] }), RangeError, 'x.dims: expected dimensions whose product is x.data.length = 6, got [2, 2] (product 4)'],
    [() => lk.softmax({ type: 'float32', data: f32, dims: [2, 3] }, { shape: [3, 2] }), RangeError, 'shape: expected the dims of the Tensor x, [2, 3], or undefined, got [3, 2]'],
    [() => lk.softmax({ type: 'float32', data: f32, dims: [2, -3] }), RangeError, 'x.dims[1]: expected a non-negative integer, got -3'],
    [() => lk.softmax({ type: 'float32', data: f32, dims: 6 } as never), TypeError, 'x.dims: expected an array of non-negative integers, got 6'],
    [() => lk.softmax({ type: 'float32', data: f32, dims: [6] }, { dtype: 'float16' }), TypeError, `dtype: expected 'float32' (the type of the Tensor x) or undefined, got "float16"`],
    [() => lk.crossEntropy(u, new Int32Array(2), { dtype: 'float16', shape: [2, 3], weight: new Float64Array(3) as never }), TypeError, 'weight: expected Float32Array (float32 for float16 logits), got Float64Array'],
    [() => lk.crossEntropy(u, new Uint16Array(6), { dtype: 'float16', shape: [2, 3] }), RangeError, "target: expected length 2 (class indices: the logits' shape [2, 3] without axis 1, [2]; float16 probabilities in a Uint16Array need targetDtype: 'float16'), got length 6"],
    [() => lk.crossEntropy(u, new Uint16Array(6), { dtype: 'float16', targetDtype: 'bfloat16', shape: [2, 3] }), TypeError, 'target: expected class indices (Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array) or float16 probabilities, got Uint16Array'],
    [() => lk.crossEntropy(u, { type: 'string', data: ['a'], dims: [2] }, { dtype: 'float16', shape: [2, 3] }), TypeError, `target: expected a Tensor of type 'int64' or 'int32' (class indices) or 'float16' (probabilities of the logits' dtype), got a Tensor of type "string"`],
    [() => lk.crossEntropy(u, { type: 'int64', data: new Int32Array(2), dims: [2] }, { dtype: 'float16', shape: [2, 3] }), TypeError, "target.data: expected a BigInt64Array for a Tensor of type 'int64', got Int32Array"],
    [() => lk.crossEntropy(u, { type: 'int64', data: new BigInt64Array(2), dims: [3] }, { dtype: 'float16', shape: [2, 3] }), RangeError, 'target.dims: expected dimensions whose product is target.data.length = 2, got [3] (product 3)'],
    [() => lk.crossEntropy(u, { type: 'int32', data: new Int32Array(2), dims: [2] }, { dtype: 'float16', shape: [2, 3], targetDtype: 'float16' }), TypeError, 'targetDtype: expected undefined for class-index targets, got "float16"'],
    [() => lk.crossEntropy(u, f32 as never, { dtype: 'float16', shape: [2, 3] }), TypeError, 'target: expected class indices (Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array) or float16 probabilities, got Float32Array'],
    [() => lk.binaryCrossEntropyWithLogits(u, f32 as never, { dtype: 'float16' }), TypeError, 'target: expected float16 targets (the dtype of logits), got float32 targets'],
    [() => lk.topK(u, 2, { dtype: 'bfloat16', values: new Float64Array(2) }), TypeError, "values: expected Float32Array (outDtype 'float32' for bfloat16 x), got Float64Array"],
    [() => lk.sample(u, { dtype: 'bfloat16', seed: 1, logprobs: new Float64Array(1) }), TypeError, "logprobs: expected Float32Array (outDtype 'float32' for bfloat16 logits), got Float64Array"],
    [() => lk.sigmoid(u, { dtype: 'float16', out: new Uint16Array(6), outDtype: 'float32' }), TypeError, "out: expected Float32Array (outDtype 'float32' for float16 x), got Uint16Array"],
  ];
  it.each(cases.map((c, i) => [i, ...c] as const))('case %i', (_i, fn, type, message) => {
    const before = u.slice();
    expectThrow(fn, type, message);
    expect(u).toEqual(before);
  });
});
