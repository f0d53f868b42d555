// Small calls computed in JavaScript. A call into the addon costs ~0.3 µs before its kernel runs
// (the Node-API entry, reading its arguments, dispatch: perf of a 1-element softmax), where
// JavaScript does a few elements in tens of nanoseconds. Here, below a size measured per op:
// - softmax and logSoftmax of up to SOFTMAX_SMALL_ELEMENTS (15) elements, in binary64 whatever the
//   array type, with the kernels' special values and bounds at least as tight as theirs
//   (docs/accuracy.md): the row maximum's own term is exactly 1 and the others' sum `rest` is kept
//   apart, so the log-sum-exp is log1p(rest); x - max is carried as an unevaluated sum (TwoSum),
//   as is its quotient by the temperature, so that exp() sees its argument to within 2^-104;
// - argmax of up to ARGMAX_SMALL_ELEMENTS (64): a compare per element, the kernels' indices;
// - sigmoid and logSigmoid of up to SIGMOID_SMALL_ELEMENTS (4), within the kernels' 2 ulp.
//
// LOGITKIT_SMALL_CALLS=native (read at load) sends every call to the addon instead, as the test
// suite does on each SIMD path so that the native kernels stay tested on small rows too.

import type { FloatArray } from './types.js';

/**
 * softmax and logSoftmax calls of at most this many elements are computed in JavaScript. Measured
 * (one row, out given, Zen 4, median of 3 processes): float32 softmax 1 element 0.09 µs, 8 0.31,
 * 12 0.30 (logSoftmax 0.12, 0.37, 0.39) where the addon takes 0.32, 0.47, 0.54 (0.39, 0.49,
 * 0.58); at 16 elements the addon's long-row kernel (0.34 µs; logSoftmax 0.37) is as fast or faster.
 */
export const SOFTMAX_SMALL_ELEMENTS = 15;

function smallCallsFromEnv(): boolean {
  const v = typeof process === 'object' && process.env ? process.env.LOGITKIT_SMALL_CALLS : undefined;
  if (v === undefined || v === '' || v === 'js') return true;
  if (v === 'native') return false;
  throw new Error(`LOGITKIT_SMALL_CALLS: expected "js" or "native", got ${JSON.stringify(v)}`);
}

/** Whether small calls are computed here ('js', the default) or by the addon ('native'). */
export const smallCalls: 'js' | 'native' = smallCallsFromEnv() ? 'js' : 'native';
const enabled = smallCalls === 'js';

/** Whether a softmax call of `length` elements takes the JavaScript path. */
export function isSmallSoftmax(length: number): boolean {
  return enabled && length <= SOFTMAX_SMALL_ELEMENTS;
}

/**
 * argmax calls of at most this many elements are computed in JavaScript (a compare per element,
 * exact: the same indices as the kernels). Measured (one row, out given, Zen 4, median of 3
 * processes): float32 1 element 0.10 µs, 64 0.20, 128 0.30 where the addon takes 0.23 at every
 * one of these lengths.
 */
export const ARGMAX_SMALL_ELEMENTS = 64;

/** Whether an argmax call of `length` elements takes the JavaScript path. */
export function isSmallArgmax(length: number): boolean {
  return enabled && length <= ARGMAX_SMALL_ELEMENTS;
}

/**
 * sigmoid and logSigmoid calls of at most this many elements are computed in JavaScript.
 * Measured (out given, Zen 4, median of 3 processes): float32 1 element 0.09 µs, 4 elements 0.16,
 * 8 0.22 where the addon takes 0.21, 0.22 and 0.20 (float64: 0.08, 0.18, 0.32 against 0.25, 0.22, 0.29).
 */
export const SIGMOID_SMALL_ELEMENTS = 4;

/** Whether a sigmoid or logSigmoid call of `length` elements takes the JavaScript path. */
export function isSmallSigmoid(length: number): boolean {
  return enabled && length <= SIGMOID_SMALL_ELEMENTS;
}

/**
 * sigmoid (or logSigmoid) of each element, written to y (which may be x itself), within the
 * kernels' bounds: 2 ulp, subnormal results included (logSigmoid: 2 ulp * max(1, |y|), tiny
 * results to a few of their own ulps). Float32 results are binary64 ones rounded once (a few
 * units of 2^-53 off before that rounding: about 2^-28 of a float32 ulp). Float64 ones: e = exp(-|x|) by Math.exp (< 1 ulp), and
 * 1 / (1 + e) or e / (1 + e) as a rounded quotient corrected by its exact remainder (Dekker), so
 * that the result rounds once more; logSigmoid is min(x, 0) - log1p(e).
 */
export function smallSigmoid(x: FloatArray, y: FloatArray, log: boolean): void {
  const n = x.length;
  // (an array of another realm fails instanceof and takes the float64 arithmetic: more exact)
  const f32 = y instanceof Float32Array;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v !== v) {
      y[i] = NaN;
      continue;
    }
    const a = v > 0 ? -v : v;
    // e in (0, 1], 0 past -745 (float32 results cannot tell the inline exp's 1e-16 from Math.exp's)
    const e = f32 ? (a < -746 ? 0 : expNonPositive(a)) : Math.exp(a);
    if (log) {
      // for v > 0 the result is -log1p(e) itself (tiny results keep their digits)
      y[i] = v > 0 ? 0 - Math.log1p(e) : v - Math.log1p(e);
      continue;
    }
    if (f32) {
      y[i] = (v >= 0 ? 1 : e) / (1 + e);
      continue;
    }
    // 1 + e exactly as dh + dl (e <= 1)
    const dh = 1 + e;
    const dl = e - (dh - 1);
    const num = v >= 0 ? 1 : e;
    const q = num / dh;
    const p = q * dh;
    // num - q (dh + dl), exact but for q dl's rounding: the quotient's correction
    y[i] = q + ((num - p - productError(q, dh, p)) - q * dl) / dh;
  }
}

/** argmax over the middle axis of outer x C x inner (C >= 1): the first maximum, or the first NaN. */
export function smallArgmax(x: FloatArray, outer: number, C: number, inner: number, out: Int32Array): void {
  const rowStride = C * inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * rowStride + i;
      let best = x[base];
      let at = 0;
      if (best === best) {
        for (let c = 1, k = base + inner; c < C; c++, k += inner) {
          const v = x[k];
          if (v > best) {
            best = v;
            at = c;
          } else if (v !== v) {
            at = c;
            break;
          }
        }
      }
      out[o * inner + i] = at;
    }
  }
}

// one row (a call has at most SOFTMAX_SMALL_ELEMENTS): its values, (x - max) / temperature as
// shifts + shiftLows, and the terms exp of that
const vals = new Float64Array(SOFTMAX_SMALL_ELEMENTS);
const shifts = new Float64Array(SOFTMAX_SMALL_ELEMENTS);
const shiftLows = new Float64Array(SOFTMAX_SMALL_ELEMENTS);
const terms = new Float64Array(SOFTMAX_SMALL_ELEMENTS);

// Veltkamp's split constant: 2^27 + 1
const SPLIT = 134217729;

/** The rounding error of a * b (Dekker's product), for |a|, |b| below 2^996. */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/**
 * softmax (or log-softmax) of x / temperature over the middle axis of outer x C x inner, written to
 * y (which may be x itself). Special values as in the kernels: a row with a NaN or +Infinity, or of
 * only -Infinity, is NaN throughout; -Infinity entries give 0 (log: -Infinity).
 */
export function smallSoftmax(x: FloatArray, y: FloatArray, outer: number, C: number, inner: number, temperature: number, log: boolean): void {
  const one = temperature === 1;
  const rowStride = C * inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * rowStride + i;
      // the row read once (memory another thread writes meanwhile gives one consistent row; in
      // place, nothing is read after it is written), its first maximum (whose term is exactly 1)
      // and whether a NaN is present
      let m = -Infinity;
      let at = -1;
      let nan = false;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        const v = x[k];
        vals[c] = v;
        if (v > m) {
          m = v;
          at = c;
        } else if (v !== v) nan = true;
      }
      if (C === 0) continue;
      if (nan || m === Infinity || at < 0) {
        for (let c = 0, k = base; c < C; c++, k += inner) y[k] = NaN;
        continue;
      }
      // rest = the sum of every other term, compensated (Neumaier)
      let rest = 0;
      let restErr = 0;
      for (let c = 0; c < C; c++) {
        if (c === at) {
          shifts[c] = 0;
          shiftLows[c] = 0;
          terms[c] = 1;
          continue;
        }
        // q + ql = (v - m) / temperature: v - m by TwoSum, then its quotient
        const v = vals[c];
        let q = v - m;
        let ql = 0;
        if (q > -Infinity) {
          const bb = q - v;
          ql = (v - (q - bb)) + (-m - bb);
          if (!one) {
            q = quotient(q, ql, temperature);
            ql = quotientLow;
          }
        } // (else v = -Infinity, or v - m below -max: a 0 term, a -Infinity log-probability)
        shifts[c] = q;
        shiftLows[c] = ql;
        const t = q < -746 ? 0 : expNonPositive(q) * (1 + ql);
        terms[c] = t;
        const s = rest + t;
        restErr += rest >= t ? rest - s + t : t - s + rest;
        rest = s;
      }
      // rest as r + rl, and 1 + rest as sh + sl (TwoSum: r may exceed 1)
      const r = rest + restErr;
      const rl = restErr - (r - rest);
      const sh = 1 + r;
      const bb = sh - 1;
      const sl = (1 - (sh - bb)) + (r - bb) + rl;
      if (!log) {
        // terms / (sh + sl): one rounded quotient, corrected by -q sl / sh
        const inv = 1 / sh;
        const corr = sl * inv;
        for (let c = 0, k = base; c < C; c++, k += inner) {
          const q = terms[c] * inv;
          y[k] = q - q * corr;
        }
      } else {
        // log(1 + rest) = log1p(r) + rl / (1 + r)
        const L = Math.log1p(r) + rl / sh;
        // ((0 - 0) + 0 is +0 for a row of one finite value, as the kernels give)
        for (let c = 0, k = base; c < C; c++, k += inner) y[k] = (shifts[c] - L) + shiftLows[c];
      }
    }
  }
}

// the low part of the last quotient(): q + quotientLow = (d + dl) / t to within 2^-104 |q|
let quotientLow = 0;

/** (d + dl) / t for |d + dl| <= max and t > 0: the rounded quotient, its correction in quotientLow. */
function quotient(d: number, dl: number, t: number): number {
  const q = d / t;
  if (!(q > -1e300 && q < 1e300) || (q > -1e-300 && q < 1e-300)) {
    // a huge, infinite or vanishing quotient: its correction cannot change a result (and would
    // be NaN next to -Infinity)
    quotientLow = q === -Infinity ? 0 : dl / t;
    return q;
  }
  // past 1e300 Dekker's split of t would overflow: d, dl and t scaled by 2^-200 then (exactly:
  // |d| > 1e-300 t here, so d stays normal)
  const s = t > 1e300 ? 2 ** -200 : 1;
  const ts = t * s;
  const p = q * ts;
  quotientLow = ((d * s - p) - productError(q, ts, p) + dl * s) / ts;
  return q;
}

// exp(q) for q in [-746, 0], about 1 ulp: Math.exp is a call into C++ (~9 ns here), this is
// inline arithmetic. q = (64 e + j) ln2/64 + r with |r| <= ln2/128 (ln2/64 in two parts, the first
// with 17 trailing zero bits so that k times it is exact for |k| < 2^17), exp(q) = 2^e 2^(j/64)
// exp(r), exp(r) - 1 by its Taylor series to r^6 (what it leaves, r^7/7!, is below 2^-64).
const K64 = 64 / Math.LN2;
const LN2_64_HI = Math.round((Math.LN2 / 64) * 2 ** 42) / 2 ** 42; // 36 significant bits
const LN2_64_LO = (Math.LN2 / 64 - LN2_64_HI) + 2.319046813846299558e-17 / 64; // (ln2 - Math.LN2 = 2.319e-17)
const POW2_J64 = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));
const POW2_NEG = new Float64Array(1100); // 2^-i, exact down to the smallest subnormal
POW2_NEG[0] = 1;
for (let i = 1; i < POW2_NEG.length; i++) POW2_NEG[i] = POW2_NEG[i - 1] / 2;

function expNonPositive(q: number): number {
  const k = Math.round(q * K64);
  const r = (q - k * LN2_64_HI) - k * LN2_64_LO;
  const j = k & 63;
  const t = POW2_J64[j];
  const p = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))));
  return (t + t * p) * POW2_NEG[(j - k) >> 6];
}
