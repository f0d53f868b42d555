// The length sweep (issue 15, small calls): every matrix op against the plain JavaScript loop at
// row lengths 1, 2, 3, 4, 8, 16, ..., 2^20, on one row and on batches of short rows, float32 and
// float64 (batches: the softmax family; the sigmoid family is elementwise), in the default thread
// count (what a caller gets). Per-call cost is what decides the short lengths, so each call is
// timed end to end: argument checks, the N-API entry, the kernels.
import { javascript, logitkit } from './contenders.mjs';
import { disagreement, makeInput, time, TOLERANCE } from './measure.mjs';
import { fmtRatio, fmtTime } from './report.mjs';

// (1000 too: the target on softmax 1x1000)
export const SWEEP_LENGTHS = [1, 2, 3, 4, ...Array.from({ length: 18 }, (_, i) => 2 ** (i + 3))].flatMap((n) => (n === 1024 ? [1000, n] : [n]));
export const QUICK_SWEEP_LENGTHS = [1, 8, 64, 1000, 65536];
// batches of short rows: about this many elements in all (rows of up to 2^12)
const BATCH_ELEMENTS = 2 ** 16;
const BATCH_MAX_LENGTH = 2 ** 12;
const ELEMENTWISE = ['sigmoid', 'logSigmoid', 'bce', 'bceGrad'];
// below this length the target is "within 0.2 µs of the JS loop", from it on "faster than it"
const FASTER_FROM = 8;
const WITHIN = 0.2e-6;

const lengthName = (n) => (n >= 1024 && Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : String(n));
// column names of the matrix: not integer-like (an object lists those keys first, in numeric order)
const column = (n) => `C=${lengthName(n)}`;

/**
 * Times logitkit and the JS loop on each case (outputs checked against each other first). Returns
 * rows for the report, goals, and notes.
 */
export async function sweepSuite({ ops, dtypes, lengths, budgetMs, threads, progress }) {
  const rows = [];
  const notes = [];
  const cases = [];
  for (const dtype of dtypes) for (const op of ops) for (const C of lengths) {
    cases.push({ op, dtype, R: 1, C, threads, batch: false });
    // (the sigmoid family is elementwise: a batch is just a longer call)
    if (!ELEMENTWISE.includes(op) && C <= BATCH_MAX_LENGTH && BATCH_ELEMENTS / C >= 2) cases.push({ op, dtype, R: Math.floor(BATCH_ELEMENTS / C), C, threads, batch: true });
  }
  let done = 0;
  for (const c of cases) {
    progress(`[sweep ${++done}/${cases.length}] ${c.op} ${c.dtype} ${c.R}x${c.C}`);
    const input = makeInput(c);
    const row = { op: c.op, dtype: c.dtype, shape: `${c.R}x${lengthName(c.C)}`, length: c.C, rows: c.R };
    const res = {};
    let want;
    for (const who of [logitkit, javascript]) {
      const p = who.prepare(c, input);
      p.before?.();
      p.run();
      const got = p.output();
      // warm (the first call of a case is many times slower; a small call's JavaScript path is
      // interpreted until V8 optimizes it: a run that warmed 10000 calls or 5 ms timed the first
      // case at 0.97 µs where 0.12 is the optimized figure) and estimate one call from several, so
      // that time() batches enough calls per sample for its own cost not to count
      let calls = 0;
      const t0 = performance.now();
      while (calls < 100000 && (calls < 8 || performance.now() - t0 < 20)) {
        p.run();
        calls++;
      }
      const firstMs = (performance.now() - t0) / calls;
      if (who === logitkit) want = structuredClone(got);
      else {
        const d = disagreement(c.op, got, want);
        if (!(d <= TOLERANCE[c.dtype])) {
          notes.push(`sweep: the JS loop disagrees with logitkit on ${c.op} ${c.dtype} ${c.R}x${c.C} (${d.toExponential(2)}); not timed`);
          res[who.name] = null;
          continue;
        }
      }
      res[who.name] = (await time(p.run, { budgetMs, before: p.before, firstMs })).median;
    }
    const lk = res.logitkit;
    const js = res['js loop'];
    Object.assign(row, { logitkit: lk, js, ratio: js && lk ? js / lk : undefined });
    row.met = js === null || js === undefined ? undefined : c.C >= FASTER_FROM ? lk < js : lk <= js + WITHIN;
    rows.push(row);
  }
  return { rows, goals: sweepGoals(rows, dtypes, ops), notes };
}

function sweepGoals(rows, dtypes, ops) {
  const out = [];
  const goal = (text, measured, met) => out.push({ goal: text, measured: measured ?? '—', status: measured === undefined ? 'not measured' : met ? 'met' : 'MISSED' });
  const one = rows.find((r) => r.op === 'softmax' && r.dtype === 'f32' && r.rows === 1 && r.length === 1);
  goal('softmax of a 1-element row (out given): <= 0.25 µs a call', one ? fmtTime(one.logitkit) : undefined, one && one.logitkit <= 0.25e-6);
  const k = rows.find((r) => r.op === 'softmax' && r.dtype === 'f32' && r.rows === 1 && r.length === 1000);
  goal('softmax 1x1000 (out given): <= 0.7 µs a call', k ? fmtTime(k.logitkit) : undefined, k && k.logitkit <= 0.7e-6);
  for (const dtype of dtypes) for (const op of ops) {
    const mine = rows.filter((r) => r.op === op && r.dtype === dtype && r.met !== undefined);
    if (!mine.length) continue;
    const fails = mine.filter((r) => !r.met);
    // the worst case from FASTER_FROM on (ratio), and below it (difference)
    const long = mine.filter((r) => r.length >= FASTER_FROM).sort((a, b) => a.ratio - b.ratio)[0];
    const short = mine.filter((r) => r.length < FASTER_FROM).sort((a, b) => b.logitkit - b.js - (a.logitkit - a.js))[0];
    const parts = [];
    if (long) parts.push(`worst ${fmtRatio(long.ratio)} the JS loop's speed (${long.shape})`);
    if (short) parts.push(`below ${FASTER_FROM}: at most ${fmtTime(Math.max(0, short.logitkit - short.js))} slower (${short.shape})`);
    if (fails.length) parts.push(`${fails.length} of ${mine.length} cases missed`);
    goal(`${op} ${dtype}: faster than the JS loop at lengths ${FASTER_FROM}..2^20, within 0.2 µs below (one row and batches)`, parts.join('; '), fails.length === 0);
  }
  return out;
}

/**
 * The sweep as a matrix: a row per op, dtype and kind (one row / batches), a column per length,
 * each cell logitkit's speed as a multiple of the JS loop's ("!" where the target is missed).
 */
export function sweepMatrix(rows) {
  const lengths = [...new Set(rows.map((r) => r.length))].sort((a, b) => a - b);
  const keys = [...new Set(rows.map((r) => `${r.op} ${r.dtype} ${r.rows === 1 ? 'one row' : 'batch'}`))];
  return keys.map((key) => {
    const out = { 'op dtype rows': key };
    for (const n of lengths) {
      const r = rows.find((x) => `${x.op} ${x.dtype} ${x.rows === 1 ? 'one row' : 'batch'}` === key && x.length === n);
      out[column(n)] = !r ? '' : r.ratio === undefined ? '—' : `${fmtRatio(r.ratio)}${r.met === false ? '!' : ''}`;
    }
    return out;
  });
}
