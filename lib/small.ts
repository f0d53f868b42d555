// Small calls computed in JavaScript. A call into the addon costs ~0.3 µs before its kernel runs
// (the Node-API entry, reading its arguments, dispatch: perf of a 1-element softmax), where
// JavaScript does a few elements in tens of nanoseconds. Here, below a size measured per op:
// - softmax and logSoftmax of up to SOFTMAX_SMALL_ELEMENTS (15) elements, in binary64 whatever the
//   array type, with the kernels' special values and bounds at least as tight as theirs
//   (docs/accuracy.md): the row maximum's own term is exactly 1 and the others' sum `rest` is kept
//   apart, so the log-sum-exp is log1p(rest); x - max is carried as an unevaluated sum (TwoSum),
//   as is its quotient by the temperature, so that exp() sees its argument to within 2^-104;
// - argmax of up to ARGMAX_SMALL_ELEMENTS (64): a compare per element, the kernels' indices;
// - sigmoid and logSigmoid of up to SIGMOID_SMALL_ELEMENTS (4), within the kernels' 2 ulp;
// - crossEntropy of up to CE_SMALL_ELEMENTS (64) logits and binaryCrossEntropyWithLogits of up to
//   BCE_SMALL_ELEMENTS (64) elements, every option, with the kernels' formulas in binary64.
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

/**
 * crossEntropy calls of at most this many logits are computed in JavaScript (smallCrossEntropy).
 * The addon's entry costs ~0.6-1 µs for a loss (its argument checks, the target conversion, the
 * loss array and its compensated sum: the sweep of docs/benchmark.md), where JavaScript does a
 * logit in a few nanoseconds; measured crossover: see the constant's commit and docs/benchmark.md.
 */
export const CE_SMALL_ELEMENTS = 64;

/** Whether a crossEntropy call of `length` logits (all of one row or many) takes the JavaScript path. */
export function isSmallCrossEntropy(length: number): boolean {
  return enabled && length > 0 && length <= CE_SMALL_ELEMENTS;
}

/**
 * binaryCrossEntropyWithLogits calls of at most this many elements are computed in JavaScript
 * (smallBce), for the reason of CE_SMALL_ELEMENTS.
 */
export const BCE_SMALL_ELEMENTS = 64;

/** Whether a binaryCrossEntropyWithLogits call of `length` elements takes the JavaScript path. */
export function isSmallBce(length: number): boolean {
  return enabled && length > 0 && length <= BCE_SMALL_ELEMENTS;
}

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

// crossEntropy's scratch (a call has at most CE_SMALL_ELEMENTS logits, so as many rows): one row's
// logits, its terms exp(x - max) and probability targets; every row's class (-1: ignored) and loss
const ceVals = new Float64Array(CE_SMALL_ELEMENTS);
const ceTerms = new Float64Array(CE_SMALL_ELEMENTS);
const ceProbs = new Float64Array(CE_SMALL_ELEMENTS);
const ceTargets = new Int32Array(CE_SMALL_ELEMENTS);
const ceLosses = new Float64Array(CE_SMALL_ELEMENTS);

// bfloat16 bits widened through a float32 (a 16-bit shift, as the kernels do it)
const widenBits = new Uint32Array(1);
const widened = new Float32Array(widenBits.buffer);

/** The value of half-precision bits h: code 1 float16, 2 bfloat16 (DTYPE_CODES); NaN for any NaN. */
function halfValue(h: number, code: number): number {
  if (code === 2) {
    widenBits[0] = h << 16;
    return widened[0];
  }
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (1024 + m) * 2 ** (e - 25);
  return h & 0x8000 ? -v : v;
}

/** The sum of a[0..n) (Neumaier's compensation; an infinite or NaN total as the plain sum gives it). */
function compensatedSum(a: Float64Array, n: number): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    const t = s + v;
    e += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return Number.isFinite(s) ? s + e : s;
}

/**
 * crossEntropy of outer x C x inner logits (class axis in the middle; 1 <= length <=
 * CE_SMALL_ELEMENTS) in binary64, with the formulas of the kernels' ce_row_loss
 * (native/kernels/cross_entropy_row.h): m = the row maximum, s = sum exp(x - m) kept as 1 + rest
 * (the maximum's own term is exactly 1) so that L = log s = log1p(rest) keeps its digits for a loss
 * near 0, x - m carried exactly into exp (TwoSum), and every part of the loss a sum of non-negative
 * terms. Half-precision logits and probabilities (xCode, probCode: 1 float16, 2 bfloat16) are
 * decoded as they are read, so that a half call gives the float32 call's result on the decoded
 * values, as the kernels do. reduction: 0 'none' (losses into out), 1 'sum', 2 'mean'. grad (may
 * be x itself, not for half logits) receives d loss / d logits. Special values as the kernels give
 * them (test/small.test.ts compares).
 *
 * Returns the loss ('none': 0), or undefined, having written nothing, when a class index is out of
 * range: the addon then throws its RangeError for it. The caller has checked everything else,
 * overlaps included.
 */
export function smallCrossEntropy(
  x: FloatArray | Uint16Array,
  xCode: number,
  outer: number,
  C: number,
  inner: number,
  target: ArrayLike<number | bigint> | null,
  prob: FloatArray | Uint16Array | null,
  probCode: number,
  ignoreIndex: number | bigint,
  eps: number,
  weight: FloatArray | null,
  reduction: number,
  out: FloatArray | null,
  grad: FloatArray | null,
): number | undefined {
  const rows = outer * inner;
  const tg = ceTargets;
  // class indices, each read once, all checked before anything is written
  let denom = rows;
  if (target) {
    const big = typeof target[0] === 'bigint';
    const ignBig = big ? BigInt(ignoreIndex) : 0n;
    const ignNum = Number(ignoreIndex);
    let kept = 0;
    for (let r = 0; r < rows; r++) {
      const tv = target[r];
      if (big ? tv === ignBig : tv === ignNum) {
        tg[r] = -1;
        continue;
      }
      const v = Number(tv);
      if (!(v >= 0 && v < C)) return undefined;
      tg[r] = v;
      ceLosses[r] = weight ? weight[v] : 1;
      kept++;
    }
    if (weight) {
      // the summed weight of the kept targets (ceLosses is free until the losses are written)
      let n = 0;
      for (let r = 0; r < rows; r++) if (tg[r] >= 0) ceLosses[n++] = ceLosses[r];
      denom = compensatedSum(ceLosses, n);
    } else {
      denom = kept;
    }
  }
  let W = C;
  if (weight) {
    for (let c = 0; c < C; c++) ceTerms[c] = weight[c];
    W = compensatedSum(ceTerms, C);
  }
  const gs = reduction === 2 ? 1 / denom : 1;
  const epsC = eps / C;
  const beta = gs * epsC;
  const gamma = target ? 0 : gs * (1 - eps);
  const rowStride = C * inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = o * inner + i;
      const base = o * rowStride + i;
      const t = target ? tg[r] : 0;
      if (t < 0) {
        ceLosses[r] = 0;
        if (grad) for (let c = 0, k = base; c < C; c++, k += inner) grad[k] = 0;
        continue;
      }
      // the row read once, its first maximum and whether a NaN is present
      let m = -Infinity;
      let at = -1;
      let nan = false;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        const v = xCode ? halfValue(x[k], xCode) : x[k];
        ceVals[c] = v;
        if (prob) ceProbs[c] = probCode ? halfValue(prob[k], probCode) : prob[k];
        if (v > m) {
          m = v;
          at = c;
        } else if (v !== v) nan = true;
      }
      if (nan || m === Infinity || at < 0) {
        // a NaN or +Infinity, or only -Infinity: NaN loss and gradient, as in the kernels
        ceLosses[r] = NaN;
        if (grad) for (let c = 0, k = base; c < C; c++, k += inner) grad[k] = NaN;
        continue;
      }
      // rest = the sum of every other term exp(x - m), x - m by TwoSum, compensated (Neumaier)
      let rest = 0;
      let restErr = 0;
      for (let c = 0; c < C; c++) {
        if (c === at) {
          ceTerms[c] = 1;
          continue;
        }
        const v = ceVals[c];
        const q = v - m;
        let e = 0;
        if (q >= -746) {
          const bb = q - v;
          e = expNonPositive(q) * (1 + ((v - (q - bb)) + (-m - bb)));
        } // (else v = -Infinity or far below m: a 0 term)
        ceTerms[c] = e;
        const s = rest + e;
        restErr += rest >= e ? rest - s + e : e - s + rest;
        rest = s;
      }
      const rh = rest + restErr;
      const rl = restErr - (rh - rest);
      const sh = 1 + rh;
      const bb = sh - 1;
      const sl = (1 - (sh - bb)) + (rh - bb) + rl;
      const L = Math.log1p(rh) + rl / sh;
      const s = sh + sl;
      let loss: number;
      let A = 0; // the gradient's factor of p_c
      if (target) {
        const wt = weight ? weight[t] : 1;
        loss = eps < 1 ? (1 - eps) * wt * ((m - ceVals[t]) + L) : 0;
        if (eps > 0) {
          let d0 = 0;
          for (let c = 0; c < C; c++) d0 += (weight ? weight[c] : 1) * (m - ceVals[c]);
          loss += (eps * (W * L + d0)) / C;
        }
        A = gs * ((1 - eps) * wt + epsC * W);
      } else {
        let a1 = 0;
        let d1 = 0;
        let a0 = 0;
        let d0 = 0;
        for (let c = 0; c < C; c++) {
          const w = weight ? weight[c] : 1;
          const wq = w * ceProbs[c];
          const diff = m - ceVals[c];
          a1 += wq;
          d1 += wq * diff;
          a0 += w;
          d0 += w * diff;
        }
        let Ar = eps < 1 ? (1 - eps) * a1 : 0;
        let D = eps < 1 ? (1 - eps) * d1 : 0;
        if (eps > 0) {
          Ar += (eps * a0) / C;
          D += (eps * d0) / C;
        }
        loss = Ar * L + D;
        A = gs * Ar;
      }
      ceLosses[r] = loss;
      if (!grad) continue;
      // g_c = A p_c - w_c (beta + gamma q_c), p_c = term / (sh + sl) rounded once and corrected
      const inv = 1 / sh;
      const corr = sl * inv;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        let p = ceTerms[c] * inv;
        p -= p * corr;
        const w = weight ? weight[c] : 1;
        grad[k] = A * p - w * (prob ? beta + gamma * ceProbs[c] : beta);
      }
      if (target) {
        // the one-hot part at t from (s - e_t) / s, which keeps its digits when p_t is near 1
        const et = ceTerms[t];
        const wt = weight ? weight[t] : 1;
        const oneMinusPt = ((sh - et) + sl) / s;
        grad[base + t * inner] = gs * (-(1 - eps) * wt * oneMinusPt + epsC * (W * (et / s) - wt));
      }
    }
  }
  if (reduction === 0) {
    for (let r = 0; r < rows; r++) (out as FloatArray)[r] = ceLosses[r];
    return 0;
  }
  const total = compensatedSum(ceLosses, rows);
  return reduction === 1 ? total : total / denom;
}

// smallBce's per-element losses (a call has at most BCE_SMALL_ELEMENTS)
const bceLosses = new Float64Array(BCE_SMALL_ELEMENTS);

/**
 * binaryCrossEntropyWithLogits of n = x.length elements (1 <= n <= BCE_SMALL_ELEMENTS) in rows of
 * C, in binary64, with the kernels' formula (native/kernels/sigmoid.h, bce_register): with
 * c = pw y and b = 1 - y, the loss w ((c + b) log1p(e) + (x >= 0 ? b x : -c x)), e = exp(-|x|)
 * (expNonPositive):
 * every term >= 0, nothing cancels (x = -20, y = 0 keeps its 2.06e-9); a zero factor drops its |x|
 * term, which may be infinite. The gradient w gscale (b sigmoid(x) - c sigmoid(-x)). Half-precision
 * logits and targets (code 1 float16, 2 bfloat16) are decoded as they are read. weight: per class
 * (length C) or per element; posWeight per class. reduction: 0 'none' (losses into out), 1 'sum',
 * 2 'mean' (over the n elements). grad and out may be x itself.
 *
 * Returns the loss ('none': 0), or undefined, having written nothing, when a target is outside
 * [0, 1] (NaN included): the addon then throws its RangeError. The caller has checked the rest.
 */
export function smallBce(
  x: FloatArray | Uint16Array,
  y: FloatArray | Uint16Array,
  code: number,
  C: number,
  posWeight: FloatArray | null,
  weight: FloatArray | null,
  reduction: number,
  out: FloatArray | null,
  grad: FloatArray | null,
): number | undefined {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const t = code ? halfValue(y[i], code) : y[i];
    if (!(t >= 0 && t <= 1)) return undefined;
  }
  const perClass = weight !== null && weight.length === C;
  const gs = reduction === 2 ? 1 / n : 1;
  for (let i = 0; i < n; i++) {
    // each input read once (x, y may be the outputs' memory)
    const v = code ? halfValue(x[i], code) : x[i];
    const t = code ? halfValue(y[i], code) : y[i];
    const a = v > 0 ? -v : v; // -|x| (NaN stays NaN)
    // (the inline exponential, about 1 ulp: a call of Math.exp was half of a small call's time)
    const e = a >= -746 ? expNonPositive(a) : a < -746 ? 0 : NaN;
    const cls = i % C;
    const c = (posWeight ? posWeight[cls] : 1) * t;
    const b = 1 - t;
    const sel = v >= 0 ? b : c;
    const w = weight ? weight[perClass ? cls : i] : 1;
    bceLosses[i] = w * ((c + b) * Math.log1p(e) + (sel > 0 ? sel * -a : 0));
    if (grad) {
      const small = e / (1 + e); // sigmoid(-|x|)
      const big = 1 - small;
      const s = v >= 0 ? big : small;
      const sneg = v >= 0 ? small : big;
      grad[i] = w * gs * (b * s - c * sneg);
    }
  }
  if (reduction === 0) {
    for (let i = 0; i < n; i++) (out as FloatArray)[i] = bceLosses[i];
    return 0;
  }
  const total = compensatedSum(bceLosses, n);
  return reduction === 1 ? total : total / n;
}
