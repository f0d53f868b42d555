// Independent reference implementations in float64 (double-double where float64 alone would be
// less exact than the kernels under test). They never call the addon.

/** Knuth's TwoSum: s + e === a + b exactly. */
export function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

const SPLIT = 134217729; // 2^27 + 1 (Dekker)
function split(a: number): [number, number] {
  const c = SPLIT * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

/** Dekker's TwoProduct: p + e === a * b exactly (barring overflow). */
export function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** (hi + lo) / t as a double-double. */
function ddDiv(hi: number, lo: number, t: number): [number, number] {
  const q1 = hi / t;
  // beyond ±1.3e300 Dekker's split overflows; the low part cannot matter to exp() or to a sum there
  if (!(Math.abs(q1) <= 1.3e300)) return [q1, 0];
  if (t > 1.3e300) {
    const s = 2 ** -200; // (hi, lo and t scaled exactly, unless hi < 2^-822, where q1 is far below what rounding can reach)
    const [p, pe] = twoProd(q1, t * s);
    return twoSum(q1, (hi * s - p - pe + lo * s) / (t * s));
  }
  const [p, pe] = twoProd(q1, t);
  const r = hi - p - pe + lo;
  return twoSum(q1, r / t);
}

/** Sum of a list as a double-double (TwoSum accumulation). */
export class DDSum {
  hi = 0;
  lo = 0;
  add(v: number): void {
    const [s, e] = twoSum(this.hi, v);
    this.hi = s;
    this.lo += e;
  }
  value(): number {
    // once an infinity enters, hi carries the IEEE sum (inf, or NaN for inf - inf) and lo is NaN
    return Number.isFinite(this.hi) ? this.hi + this.lo : this.hi;
  }
}

/**
 * Softmax or log-softmax of one row of (x / temperature), in double-double where it matters:
 * x - max is formed exactly, the sum is compensated, the exponential is Math.exp (V8: < 1 ulp).
 */
export function refRow(x: ArrayLike<number>, temperature = 1, log = false): Float64Array {
  const n = x.length;
  const y = new Float64Array(n);
  let m = -Infinity;
  let nan = false;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i])) nan = true;
    else if (x[i] > m) m = x[i];
  }
  if (nan || m === Infinity || m === -Infinity) return y.fill(NaN);
  const hi = new Float64Array(n);
  const lo = new Float64Array(n);
  const s = new DDSum();
  for (let i = 0; i < n; i++) {
    if (x[i] === -Infinity) {
      hi[i] = -Infinity;
      lo[i] = 0;
      continue;
    }
    let [h, l] = twoSum(x[i], -m);
    if (temperature !== 1 && h !== -Infinity) [h, l] = ddDiv(h, l, temperature);
    if (h === -Infinity) {
      // x - m (or its quotient) below -max: the term is 0, the log-probability -Infinity
      hi[i] = -Infinity;
      lo[i] = 0;
      continue;
    }
    hi[i] = h;
    lo[i] = l;
    const e = Math.exp(h);
    s.add(e + e * l);
  }
  if (!log) {
    const S = s.hi + s.lo;
    for (let i = 0; i < n; i++) {
      if (hi[i] === -Infinity) continue;
      const e = Math.exp(hi[i]);
      // (e + e*lo) / (S_hi + S_lo) with the division's remainder folded back in
      const num = twoSum(e, e * lo[i]);
      const q = num[0] / S;
      const [p, pe] = twoProd(q, s.hi);
      const r = num[0] - p - pe + num[1] - q * s.lo;
      y[i] = q + r / S;
    }
    return y;
  }
  // near 1, log1p of the exact s - 1 (a dominant maximum: tiny losses keep their digits)
  const near1 = s.hi >= 0.5 && s.hi <= 2;
  const L = near1 ? Math.log1p(s.hi - 1 + s.lo) : Math.log(s.hi);
  const Llo = near1 ? 0 : s.lo / s.hi;
  for (let i = 0; i < n; i++) {
    y[i] = hi[i] === -Infinity ? -Infinity : hi[i] - L + (lo[i] - Llo);
  }
  return y;
}

/** A row-major shape seen as outer x C x inner around `axis` (negative counts from the end). */
export function splitShape(shape: number[], axis: number): { outer: number; C: number; inner: number } {
  const rank = shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < rank; i++) inner *= shape[i];
  return { outer, C: shape[ax], inner };
}

/** Applies refRow along `axis` of a row-major tensor. */
export function refSoftmax(x: ArrayLike<number>, shape: number[], axis: number, temperature = 1, log = false): Float64Array {
  const { outer, C, inner } = splitShape(shape, axis);
  const y = new Float64Array(x.length);
  const row = new Float64Array(C);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * C * inner + j;
      for (let c = 0; c < C; c++) row[c] = x[base + c * inner];
      const r = refRow(row, temperature, log);
      for (let c = 0; c < C; c++) y[base + c * inner] = r[c];
    }
  }
  return y;
}

export interface RefCrossEntropy {
  losses: Float64Array; // per row
  loss: number; // reduced
  grad: Float64Array; // d loss / d logits for the reduction
  gradMagnitude: Float64Array; // sum of |terms| of each gradient entry (for error bounds)
}

/**
 * torch.nn.functional.cross_entropy, straight from its definition:
 * loss_r = -sum_c w_c q'_c log p_c, with q' the (smoothed) one-hot or probability target.
 */
export function refCrossEntropy(
  x: ArrayLike<number>,
  target: ArrayLike<number | bigint>,
  isProb: boolean,
  shape: number[],
  axis: number,
  opts: { weight?: ArrayLike<number>; ignoreIndex?: number; labelSmoothing?: number; reduction?: 'mean' | 'sum' | 'none' } = {},
): RefCrossEntropy {
  const { outer, C, inner } = splitShape(shape, axis);
  const rows = outer * inner;
  const eps = opts.labelSmoothing ?? 0;
  const ignore = opts.ignoreIndex ?? -100;
  const w = (c: number) => (opts.weight ? opts.weight[c] : 1);
  const reduction = opts.reduction ?? 'mean';

  const losses = new Float64Array(rows);
  const logp: Float64Array[] = [];
  const probs: Float64Array[] = []; // softmax from refRow, not exp(logp): logp rounded to double errs by up to ulp(|logp|)/2
  const qs: Float64Array[] = [];
  const ignored: boolean[] = [];
  const denom = new DDSum();
  const row = new Float64Array(C);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const r = o * inner + j;
      const base = o * C * inner + j;
      for (let c = 0; c < C; c++) row[c] = x[base + c * inner];
      const q = new Float64Array(C);
      let ign = false;
      if (isProb) {
        for (let c = 0; c < C; c++) q[c] = (1 - eps) * Number(target[base + c * inner]) + eps / C;
        denom.add(1);
      } else {
        const t = Number(target[r]);
        if (t === ignore) {
          ign = true;
        } else {
          for (let c = 0; c < C; c++) q[c] = (c === t ? 1 - eps : 0) + eps / C;
          denom.add(w(t));
        }
      }
      const lp = refRow(row, 1, true);
      logp.push(lp);
      probs.push(refRow(row, 1, false));
      qs.push(q);
      ignored.push(ign);
      if (ign) continue;
      const acc = new DDSum();
      if (isProb) {
        for (let c = 0; c < C; c++) acc.add(-w(c) * q[c] * lp[c]);
      } else {
        // (1 - eps) * nll + eps/C * smoothing term, each only when its weight is not 0: eps > 0
        // puts mass on every class, so a class of probability 0 makes the loss +Infinity even
        // when eps/C underflows (PyTorch multiplies by the underflowed eps/C and gets NaN there)
        const t = Number(target[r]);
        if (eps < 1) acc.add(-(1 - eps) * w(t) * lp[t]);
        if (eps > 0) for (let c = 0; c < C; c++) acc.add((-(w(c) * lp[c]) * eps) / C);
      }
      losses[r] = acc.value();
    }
  }
  const total = new DDSum();
  for (let r = 0; r < rows; r++) total.add(losses[r]);
  const denomV = denom.value();
  const loss = reduction === 'sum' ? total.value() : reduction === 'mean' ? total.value() / denomV : NaN;
  const g = reduction === 'mean' ? 1 / denomV : 1;

  // d loss_r / d x_c = sum_k w_k q'_k (p_c - [k == c]) = p_c * sum_k w_k q'_k - w_c q'_c
  const grad = new Float64Array(x.length);
  const mag = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const r = o * inner + j;
      if (ignored[r]) continue;
      const base = o * C * inner + j;
      const pr = probs[r];
      const q = qs[r];
      const As = new DDSum();
      for (let c = 0; c < C; c++) As.add(w(c) * q[c]);
      const A = As.value();
      for (let c = 0; c < C; c++) {
        const p = pr[c];
        grad[base + c * inner] = g * (p * A - w(c) * q[c]);
        mag[base + c * inner] = Math.abs(g) * (p * Math.abs(A) + Math.abs(w(c) * q[c]));
      }
    }
  }
  return { losses, loss, grad, gradMagnitude: mag };
}

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal(0, scale) samples. */
export function randn(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-300);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Sigmoid family. exp in double-double (ddExp) so that float64 results can be judged in ulps.

const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
const INV_FACT = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880, 1 / 3628800, 1 / 39916800];

function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, pe] = twoProd(ah, bh);
  return twoSum(p, pe + ah * bl + al * bh);
}

/** exp(x) for finite x <= 0 as a double-double (relative error ~1e-29), scaled by 2^scale. */
function ddExpScaled(x: number): { hi: number; lo: number; k: number } {
  if (x < -1500) return { hi: 0, lo: 0, k: 0 }; // far below the smallest subnormal
  const k = Math.round(x / Math.LN2);
  const [p, pe] = twoProd(k, LN2_HI);
  const [s, se] = twoSum(x, -p);
  let [rh, rl] = twoSum(s, se - pe - k * LN2_LO);
  rh /= 1024;
  rl /= 1024;
  // Taylor series of exp(r), |r| <= 3.4e-4: eleven terms leave < 1e-40
  let h = INV_FACT[11];
  let l = 0;
  for (let i = 10; i >= 0; i--) {
    [h, l] = ddMul(h, l, rh, rl);
    [h, l] = twoSum(h, l + INV_FACT[i]);
  }
  for (let i = 0; i < 10; i++) [h, l] = ddMul(h, l, h, l);
  return { hi: h, lo: l, k };
}

/** 2^k exactly (k >= -1074). */
function pow2(k: number): number {
  return k < -1022 ? 2 ** (k + 600) * 2 ** -600 : 2 ** k;
}

/**
 * sigmoid(x) as the nearest double to a double-double (hi + lo), and sigmoid(-x): for x >= 0,
 * 1 / (1 + e) and e / (1 + e) with e = exp(-x); the reverse for x < 0.
 */
export function refSigmoid(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const a = -Math.abs(x);
  const { hi, lo, k } = ddExpScaled(a);
  // e = (hi + lo) 2^k; 1 + e as dh + dl (e < 2^-1000 leaves 1)
  const e = (hi + lo) * pow2(k);
  const eh = k > -1000 ? hi * pow2(k) : 0;
  const el = k > -1000 ? lo * pow2(k) : 0;
  const [dh, dl] = twoSum(1, eh);
  const d2 = dl + el;
  if (x >= 0) {
    // 1 / (dh + d2)
    const q = 1 / dh;
    const [p, pe] = twoProd(q, dh);
    return q + q * (1 - p - pe - q * d2);
  }
  if (k <= -1000) return e; // e / (1 + e) = e to far below an ulp
  // (eh + el) / (dh + d2)
  const q = eh / dh;
  const [p, pe] = twoProd(q, dh);
  return q + (eh - p - pe + el - q * d2) / dh;
}

/** log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), in double with the exponential's low part carried. */
export function refLogSigmoid(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return -Infinity;
  return Math.min(x, 0) - softplusTail(x);
}

/** log1p(exp(-|x|)) to about an ulp of double. */
function softplusTail(x: number): number {
  const { hi, lo, k } = ddExpScaled(-Math.abs(x));
  const eh = hi * pow2(k);
  const el = lo * pow2(k);
  return Math.log1p(eh) + el / (1 + eh);
}

/** softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)). */
export function softplus(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x === -Infinity) return 0;
  return Math.max(x, 0) + softplusTail(x);
}

export interface RefBce {
  losses: Float64Array; // per element
  loss: number; // reduced
  grad: Float64Array; // of the reduction
  gradMagnitude: Float64Array; // |w| (|b sigmoid(x)| + |c sigmoid(-x)|) * scale: the scale of grad's cancellation
  // |w| (|b| + |c|): what multiplies an error of exp(-|x|) or log1p of it, which is absolute (a few
  // units of the smallest subnormal) once those are subnormal
  weightScale: Float64Array;
}

/** binary_cross_entropy_with_logits in float64, with the limits PyTorch leaves NaN (see sigmoid.h). */
export function refBce(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  C: number,
  opts: { weight?: ArrayLike<number>; posWeight?: ArrayLike<number>; reduction?: 'mean' | 'sum' | 'none'; lossOnly?: boolean } = {},
): RefBce {
  const n = x.length;
  const reduction = opts.reduction ?? 'mean';
  const losses = new Float64Array(n);
  const grad = new Float64Array(n);
  const mag = new Float64Array(n);
  const weightScale = new Float64Array(n);
  const scale = reduction === 'mean' ? 1 / n : 1;
  const sum = new DDSum();
  for (let i = 0; i < n; i++) {
    const c = i % C;
    const w = opts.weight ? (opts.weight.length === n ? opts.weight[i] : opts.weight[c]) : 1;
    const pw = opts.posWeight ? opts.posWeight[c] : 1;
    const cp = pw * y[i];
    const b = 1 - y[i];
    // lossOnly (long sums): softplus from Math.exp and Math.log1p, ~1e-16 relative
    const sp = opts.lossOnly ? (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))) : softplus;
    const tPos = b === 0 ? 0 : b * sp(x[i]);
    const tNeg = cp === 0 ? 0 : cp * sp(-x[i]);
    losses[i] = w * (tNeg + tPos);
    weightScale[i] = Math.abs(w) * (Math.abs(b) + Math.abs(cp));
    sum.add(losses[i]);
    if (opts.lossOnly) continue;
    const s = refSigmoid(x[i]);
    const sn = refSigmoid(-x[i]);
    grad[i] = w * (b * s - cp * sn) * scale;
    mag[i] = Math.abs(w) * (Math.abs(b * s) + Math.abs(cp * sn)) * scale;
  }
  const total = sum.value();
  return { losses, loss: reduction === 'mean' ? total / n : total, grad, gradMagnitude: mag, weightScale };
}

// ---------------------------------------------------------------------------------------------
// Philox4x32-10 and the documented draw of sample(), in JavaScript (decide.test.ts, fuzz.test.ts)

function mulhilo(a: number, b: number): [number, number] {
  const p = BigInt(a) * BigInt(b);
  return [Number(p >> 32n), Number(p & 0xffffffffn)];
}

export function philox(ctr: number[], key: number[]): number[] {
  let [c0, c1, c2, c3] = ctr;
  let [k0, k1] = key;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The uniform of a row: key = seed (low word first), counter = (counter, 0, 0) as 64-bit low word first. */
export function uniform(seed: bigint, counter: bigint): number {
  const w = philox([Number(counter & 0xffffffffn), Number(counter >> 32n), 0, 0], [Number(seed & 0xffffffffn), Number(seed >> 32n)]);
  return (w[0] >>> 8) * 2 ** -24;
}

export interface Draw {
  cls: number;
  logprob: number;
  ambiguous: Set<number>; // classes also acceptable when u or a truncation sum is within rounding of a boundary
  kept?: [number, number][]; // with u < 0: the kept classes and their probabilities
}

/** The documented draw in float64: temperature, top-k, top-p, min-p, then the inverse CDF in index order. */
export function refDraw(row: ArrayLike<number>, o: { temperature: number; topK?: number; topP?: number; minP?: number }, u: number): Draw {
  const C = row.length;
  let m = -Infinity;
  let bad = false;
  for (let i = 0; i < C; i++) {
    if (Number.isNaN(row[i])) bad = true;
    else if (row[i] > m) m = row[i];
  }
  if (bad || m === -Infinity || (m === Infinity && o.temperature > 0)) return { cls: -1, logprob: NaN, ambiguous: new Set() };
  if (o.temperature === 0) {
    let best = 0;
    for (let i = 1; i < C; i++) if (row[i] > row[best]) best = i;
    return { cls: best, logprob: 0, ambiguous: new Set() };
  }
  const lw = Array.from(row, (v) => (v === -Infinity ? -Infinity : (v - m) / o.temperature));
  const w = lw.map((v) => Math.exp(v));
  let order = Array.from({ length: C }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
  if (o.topK !== undefined && o.topK < C) order = order.slice(0, o.topK);
  const ambiguous = new Set<number>();
  let L = order.length;
  if (o.topP !== undefined && o.topP < 1) {
    const S = order.reduce((s, i) => s + w[i], 0);
    const P = o.topP * S;
    let c = 0;
    for (let j = 0; j < order.length; j++) {
      c += w[order[j]];
      if (Math.abs(c - P) <= 1e-6 * S) ambiguous.add(-2); // the cut itself is within rounding
      if (c >= P) {
        L = j + 1;
        // classes whose weights equal the crossing one's to rounding may rank either way (the addon
        // orders equal weights by index; exact weights would order them by logit)
        if (j + 1 < order.length && Math.abs(w[order[j + 1]] - w[order[j]]) <= 1e-6 * w[order[j]]) ambiguous.add(-2);
        break;
      }
    }
  }
  if (o.minP !== undefined && o.minP > 0) {
    const thr = o.minP * w[order[0]];
    let Lm = 0;
    while (Lm < L && w[order[Lm]] >= thr) {
      if (Math.abs(w[order[Lm]] - thr) <= 1e-6 * thr) ambiguous.add(-2);
      Lm++;
    }
    L = Lm;
  }
  const kept = order.slice(0, L).sort((a, b) => a - b);
  const Sk = kept.reduce((s, i) => s + w[i], 0);
  if (u < 0) return { cls: -1, logprob: NaN, ambiguous, kept: kept.map((i) => [i, w[i] / Sk]) }; // the distribution itself
  const target = u * Sk;
  let c = 0;
  let cls = kept[kept.length - 1];
  for (let j = 0; j < kept.length; j++) {
    const before = c;
    c += w[kept[j]];
    if (c > target) {
      cls = kept[j];
      if (Math.abs(before - target) <= 1e-6 * Sk && j > 0) ambiguous.add(kept[j - 1]);
      if (Math.abs(c - target) <= 1e-6 * Sk && j + 1 < kept.length) ambiguous.add(kept[j + 1]);
      break;
    }
  }
  return { cls, logprob: lw[cls] - Math.log(Sk), ambiguous };
}

// ---------------------------------------------------------------------------------------------
// references of argmax and topK (decide.test.ts, fuzz.test.ts)

/** NaN first, then larger values, equal values by index (largest); smallest: NaN last. */
export function rankOrder(row: ArrayLike<number>, largest: boolean): number[] {
  const idx = Array.from({ length: row.length }, (_, i) => i);
  return idx.sort((a, b) => {
    const na = Number.isNaN(row[a]);
    const nb = Number.isNaN(row[b]);
    if (na || nb) {
      if (na && nb) return a - b;
      return largest ? (na ? -1 : 1) : na ? 1 : -1;
    }
    if (row[a] !== row[b]) return largest ? row[b] - row[a] : row[a] - row[b];
    return a - b;
  });
}

export function rowsOf(x: ArrayLike<number>, shape: number[], axis: number): number[][] {
  const ax = axis < 0 ? axis + shape.length : axis;
  const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const C = shape[ax];
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const r: number[] = [];
      for (let c = 0; c < C; c++) r.push(x[o * C * inner + c * inner + j]);
      rows.push(r);
    }
  }
  return rows;
}

// ---- Half precision (issue 14), written from the formats' definitions, not from native/kernels/half.h ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The float32 with these bits (as a number). */
export function f32FromBits(u: number): number {
  u32[0] = u >>> 0;
  return f32[0];
}
/** The bits of a float32 value (v is rounded to float32 first). */
export function f32Bits(v: number): number {
  f32[0] = v;
  return u32[0];
}

/** The value of float16 bits: (-1)^s 2^(e-15) (1 + m/1024), subnormals 2^-24 m, e = 31 Infinity or NaN. */
export function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  return s * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}

/** The value of bfloat16 bits: the float32 of the same top 16 bits. */
export function bf16Value(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}

/**
 * The float32 bits a conversion of a half NaN must give: quiet (its top payload bit set), sign and
 * payload kept, as vcvtph2ps and fcvtl give them. bfloat16 widens by a shift: its NaNs keep their bits.
 */
export function widenedNaNBits(h: number, format: 'float16' | 'bfloat16'): number {
  if (format === 'bfloat16') return ((h & 0xffff) << 16) >>> 0;
  return ((h & 0x8000) << 16 | 0x7fc00000 | ((h & 0x3ff) << 13)) >>> 0;
}

function exponentOf(a: number): number {
  // floor(log2 a) of a positive finite number, exactly (Math.log2 may round near powers of 2)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/**
 * Round a float32 value (given by its bits) to a format of p significant bits whose smallest
 * normal is 2^emin, to nearest with ties to even; past the largest finite value (its halfway point
 * to the next power of two included) it is Infinity. Returns the rounded value.
 */
function roundTo(a: number, p: number, emin: number, emax: number): number {
  if (a === 0 || a === Infinity) return a;
  const q = 2 ** (Math.max(exponentOf(a), emin) - (p - 1)); // the spacing at a
  const n = a / q; // exact: a is a float32, q a power of two
  let r = Math.floor(n);
  const frac = n - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const v = r * q;
  return v >= 2 ** (emax + 1) ? Infinity : v;
}

/** float32 (bits) to float16 bits, to nearest even; subnormals kept; NaN quiet with its top payload bits. */
export function f16Round(u: number): number {
  const s = (u >>> 16) & 0x8000;
  const a = Math.abs(f32FromBits(u));
  if (Number.isNaN(a)) return s | 0x7e00 | ((u >>> 13) & 0x3ff);
  const v = roundTo(a, 11, -14, 15);
  if (v === Infinity) return s | 0x7c00;
  if (v < 2 ** -14) return s | (v / 2 ** -24);
  const e = exponentOf(v);
  return s | ((e + 15) << 10) | ((v / 2 ** e - 1) * 1024);
}

/** float32 (bits) to bfloat16 bits, to nearest even; subnormals kept; NaN quiet (bit 6 set), sign and top payload kept. */
export function bf16Round(u: number): number {
  const s = (u >>> 16) & 0x8000;
  const a = Math.abs(f32FromBits(u));
  if (Number.isNaN(a)) return (u >>> 16) | 0x40;
  const v = roundTo(a, 8, -126, 127);
  if (v === Infinity) return s | 0x7f80;
  return s | (f32Bits(v) >>> 16);
}
