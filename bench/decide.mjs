// The decisions section of the bench (issue 12): argmax, topK and sample against the plain
// JavaScript a user writes today (a loop argmax, a heap top-k, a sort-based top-p sampler) and
// transformers.js's top-k (onnxruntime's TopK underneath), and against logitkit's own softmax and
// this machine's read bandwidth, measured in the same run and reported as ratios. Indices of every
// peer are checked against logitkit's before they are timed.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { collectGarbage, limits, makeInput, readProbeThreads, settle, time } from './measure.mjs';
import { fmtRate, fmtRatio, fmtTime } from './report.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const lk = require(path.join(here, '..', 'dist', 'index.js'));

export const DECISION_OPS = ['argmax', 'topK', 'sample'];
const SAMPLE_OPTS = { temperature: 0.8, topK: 50, topP: 0.95 };

// ---------------------------------------------------------------------------------------------
// the plain JavaScript versions

function jsArgmax(x, R, C, out) {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let best = 0;
    let v = x[o];
    for (let i = 1; i < C; i++) {
      if (x[o + i] > v) {
        v = x[o + i];
        best = i;
      }
    }
    out[r] = best;
  }
  return out;
}

/** The k largest of x[o, o + C) by a binary min-heap of (value, index), then sorted; ties to the lower index. */
function jsHeapTopK(x, o, C, k, vals, idx) {
  const hv = new Float64Array(k);
  const hi = new Int32Array(k);
  let n = 0;
  // a is worse than b: smaller, or equal at a higher index
  const worse = (av, ai, bv, bi) => av < bv || (av === bv && ai > bi);
  const down = (p) => {
    for (;;) {
      const l = 2 * p + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && worse(hv[r], hi[r], hv[l], hi[l]) ? r : l;
      if (!worse(hv[c], hi[c], hv[p], hi[p])) return;
      [hv[c], hv[p]] = [hv[p], hv[c]];
      [hi[c], hi[p]] = [hi[p], hi[c]];
      p = c;
    }
  };
  for (let i = 0; i < C; i++) {
    const v = x[o + i];
    if (n < k) {
      let c = n++;
      hv[c] = v;
      hi[c] = i;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(hv[c], hi[c], hv[p], hi[p])) break;
        [hv[c], hv[p]] = [hv[p], hv[c]];
        [hi[c], hi[p]] = [hi[p], hi[c]];
        c = p;
      }
    } else if (worse(hv[0], hi[0], v, i)) {
      hv[0] = v;
      hi[0] = i;
      down(0);
    }
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => hv[b] - hv[a] || hi[a] - hi[b]);
  order.forEach((j, p) => {
    vals[p] = hv[j];
    idx[p] = hi[j];
  });
}

/** Temperature, heap top-k, softmax over the candidates, sort-based top-p, inverse CDF: one class per row. */
function jsSample(x, R, C, o, out) {
  const vals = new Float64Array(o.topK);
  const idx = new Int32Array(o.topK);
  for (let r = 0; r < R; r++) {
    jsHeapTopK(x, r * C, C, o.topK, vals, idx);
    const p = Array.from(vals, (v) => Math.exp((v - vals[0]) / o.temperature));
    const S = p.reduce((a, b) => a + b, 0);
    const order = p.map((_, j) => j).sort((a, b) => p[b] - p[a] || idx[a] - idx[b]);
    let c = 0;
    let L = order.length;
    for (let j = 0; j < order.length; j++) {
      c += p[order[j]] / S;
      if (c >= o.topP) {
        L = j + 1;
        break;
      }
    }
    const kept = order.slice(0, L).sort((a, b) => idx[a] - idx[b]);
    const Sk = kept.reduce((a, j) => a + p[j], 0);
    const target = Math.random() * Sk;
    let acc = 0;
    out[r] = idx[kept[kept.length - 1]];
    for (const j of kept) {
      acc += p[j];
      if (acc > target) {
        out[r] = idx[j];
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// transformers.js (optional peer)

async function transformers() {
  try {
    const t = await import('@huggingface/transformers');
    // (its package.json is not among its exports: found from its entry point)
    let dir = path.dirname(require.resolve('@huggingface/transformers'));
    while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    if (typeof t.topk !== 'function') return { missing: `@huggingface/transformers ${version} has no topk()` };
    return { t, version };
  } catch (e) {
    return { missing: `@huggingface/transformers is not installed (${String(e.message ?? e).split('\n')[0]})` };
  }
}

// ---------------------------------------------------------------------------------------------

const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * argmax on `threads` threads against `threads` worker threads reading fixed shares of a buffer of
 * the same size, measured alike: ~20 ms of back-to-back passes a round, the best of 9 rounds each.
 * Seconds per pass: { read, arg }.
 */
async function argmaxVsRead(x, R, C, threads) {
  const out = new Int32Array(R);
  const probe = await readProbeThreads('f32', R * C, threads);
  const before = lk.getNumThreads();
  lk.setNumThreads(threads);
  let read = Infinity;
  let arg = Infinity;
  const reps = Math.max(1, Math.round(2e9 / (R * C * 4)));
  for (let i = 0; i < 9; i++) {
    read = Math.min(read, await probe.once());
    const t0 = performance.now();
    for (let j = 0; j < reps; j++) lk.argmax(x, { shape: [R, C], out });
    arg = Math.min(arg, (performance.now() - t0) / 1e3 / reps);
  }
  await probe.close();
  lk.setNumThreads(before);
  return { read, arg };
}

/**
 * Runs the decisions section: returns its table rows, its goals and its notes. `threads`: the
 * thread counts to time logitkit at (peers are single-threaded).
 */
export async function decisionSuite({ budgetMs, peers, threads, quick }) {
  const notes = [];
  const rows = [];
  const res = {};
  const tf = peers ? await transformers() : { missing: 'peers off (--no-peers)' };
  if (tf.missing) notes.push(`transformers.js not measured: ${tf.missing}`);
  const versions = tf.missing ? {} : { 'transformers.js': tf.version };
  const maxT = Math.max(...threads);
  const before = lk.getNumThreads();
  const progress = (s) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${s}`);
  const timed = async (key, fn, opts = {}) => {
    collectGarbage();
    progress(`decisions: ${key}`);
    const t = await time(fn, { budgetMs, ...opts });
    res[key] = t;
    return t;
  };
  // A goal's ratio (or small-call time) from paired measurements: rounds that alternate the two
  // calls, the best median of each, so that a slow spell of this shared machine (seen: the same
  // call 40% slower for seconds) does not fall on one side of a ratio only.
  const paired = async (a, b, rounds = 5) => {
    let ta = Infinity;
    let tb = Infinity;
    for (let i = 0; i < rounds; i++) {
      ta = Math.min(ta, (await time(a, { budgetMs: budgetMs / 2 })).median);
      if (b) tb = Math.min(tb, (await time(b, { budgetMs: budgetMs / 2 })).median);
    }
    return [ta, tb];
  };
  const row = (op, shape, t, who, r, extra = {}) => rows.push({ op, shape, threads: t, who, median: fmtTime(r.median), ...extra });

  // argmax 1x128256 and 256x32000
  for (const [R, C] of [[1, 128256], [256, 32000]]) {
    const { x } = makeInput({ R, C, dtype: 'f32' });
    const out = new Int32Array(R);
    const want = Array.from(lk.argmax(x, { shape: [R, C] }));
    if (!same(Array.from(jsArgmax(x, R, C, new Int32Array(R))), want)) throw new Error('the JS argmax disagrees with logitkit');
    const js = await timed(`argmax ${R}x${C} js`, () => jsArgmax(x, R, C, out));
    const lim = await limits('f32', R * C, budgetMs);
    // the read bandwidth with as many threads as the multithreaded case uses, in rounds paired
    // with the argmax it is compared with (best of each)
    let limT = lim;
    if (maxT > 1) {
      const p = await argmaxVsRead(x, R, C, maxT);
      limT = { readSeconds: p.read, readGBs: (R * C * 4) / p.read / 1e9 };
      res[`argmax ${R}x${C} paired t${maxT}`] = p.arg;
    }
    for (const t of [...new Set([1, maxT])]) {
      lk.setNumThreads(t);
      const r = await timed(`argmax ${R}x${C} t${t}`, () => lk.argmax(x, { shape: [R, C], out }));
      const l = t > 1 ? limT : lim;
      row('argmax', `${R}x${C}`, t, 'logitkit', r, { 'el/s': fmtRate((R * C) / r.median), 'vs js loop': fmtRatio(js.median / r.median), [`of read bw`]: `${(l.readSeconds / r.median).toFixed(2)} (${t} thr)` });
    }
    row('argmax', `${R}x${C}`, 1, 'js loop', js, { 'el/s': fmtRate((R * C) / js.median) });
    res[`read ${R}x${C}`] = lim;
    res[`read ${R}x${C} t${maxT}`] = limT;
  }
  // the same comparison out of every cache (262 MB): 256x32000 (33 MB) sits at this kind of
  // machine's L3 size, where workers reading fixed halves keep them in their caches (measured: a
  // 2-thread read 2.5x the 1-thread one) and the pool's threads, whose rows change hands between
  // calls, do not
  if (maxT > 1 && !quick) {
    progress('decisions: argmax 2048x32000 against the read bandwidth');
    const big = makeInput({ R: 2048, C: 32000, dtype: 'f32' }).x;
    const p = await argmaxVsRead(big, 2048, 32000, maxT);
    res['argmax 2048x32000 vs read'] = p.read / p.arg;
  }
  lk.setNumThreads(1);

  // topK: 1x128256 k = 50 (against the heap and transformers.js), 1x1000 k = 5 end to end
  for (const [R, C, k] of [[1, 128256, 50], [1, 1000, 5]]) {
    const { x } = makeInput({ R, C, dtype: 'f32' });
    const values = new Float32Array(k);
    const indices = new Int32Array(k);
    const want = Array.from(lk.topK(x, k).indices);
    const hv = new Float64Array(k);
    const hi = new Int32Array(k);
    jsHeapTopK(x, 0, C, k, hv, hi);
    if (!same(Array.from(hi), want)) throw new Error('the JS heap top-k disagrees with logitkit');
    const r = await timed(`topK ${R}x${C} k${k}`, () => lk.topK(x, k, { values, indices }));
    const heap = await timed(`topK ${R}x${C} k${k} heap`, () => jsHeapTopK(x, 0, C, k, hv, hi));
    const mine = { op: 'topK', shape: `${R}x${C} k=${k}`, threads: 1, who: 'logitkit', median: fmtTime(r.median), 'el/s': fmtRate(C / r.median), 'vs js heap': fmtRatio(heap.median / r.median) };
    rows.push(mine);
    if (!tf.missing) {
      const tensor = new tf.t.Tensor('float32', x, [R, C]);
      const [, ti] = await tf.t.topk(tensor, k);
      const got = Array.from(ti.data, Number);
      if (!same(got, want)) notes.push(`transformers.js topk disagrees with logitkit on ${R}x${C} k = ${k}; not timed`);
      else {
        const tr = await timed(`topK ${R}x${C} k${k} transformers`, () => tf.t.topk(tensor, k), { isAsync: true });
        mine['vs transformers.js'] = fmtRatio(tr.median / r.median);
        row('topK', `${R}x${C} k=${k}`, 1, 'transformers.js', tr, { 'el/s': fmtRate(C / tr.median) });
      }
    }
    row('topK', `${R}x${C} k=${k}`, 1, 'js heap', heap, { 'el/s': fmtRate(C / heap.median) });
  }

  {
    const { x } = makeInput({ R: 1, C: 128256, dtype: 'f32' });
    const out = new Int32Array(1);
    const values = new Float32Array(50);
    const indices = new Int32Array(50);
    progress('decisions: argmax and topK paired');
    const [a, t] = await paired(() => lk.argmax(x, { out }), () => lk.topK(x, 50, { values, indices }));
    res['pair argmax topK'] = t / a;
    const [a2, j] = await paired(() => lk.argmax(x, { out }), () => jsArgmax(x, 1, 128256, out));
    res['pair argmax js'] = j / a2;
    const small = makeInput({ R: 1, C: 1000, dtype: 'f32' }).x;
    const v5 = new Float32Array(5);
    const i5 = new Int32Array(5);
    res['topK 1x1000 k5 best'] = (await paired(() => lk.topK(small, 5, { values: v5, indices: i5 })))[0];
  }

  // sample, temperature 0.8, top-k 50, top-p 0.95, on 64x128256: against softmax of the same shape
  {
    const R = 64;
    const C = 128256;
    const { x } = makeInput({ R, C, dtype: 'f32' });
    const out = new Int32Array(R);
    const y = new Float32Array(R * C);
    const shape = [R, C];
    const js = await timed('sample js', () => jsSample(x, R, C, SAMPLE_OPTS, out));
    for (const t of [...new Set([1, maxT])]) {
      lk.setNumThreads(t);
      const s = await timed(`sample t${t}`, () => lk.sample(x, { shape, seed: 1, offset: 0, ...SAMPLE_OPTS, out }));
      const sm = await timed(`softmax 64x128256 t${t}`, () => lk.softmax(x, { shape, out: y }));
      const [ps, psm] = await paired(() => lk.sample(x, { shape, seed: 1, offset: 0, ...SAMPLE_OPTS, out }), () => lk.softmax(x, { shape, out: y }), 3);
      res[`sample ratio t${t}`] = psm / ps;
      row('sample T=0.8 topK=50 topP=0.95', `${R}x${C}`, t, 'logitkit', s, { 'el/s': fmtRate((R * C) / s.median), 'vs js': fmtRatio(js.median / s.median), 'vs own softmax': `${(sm.median / s.median).toFixed(2)}x` });
    }
    row('sample T=0.8 topK=50 topP=0.95', `${R}x${C}`, 1, 'js (heap + sort)', js, { 'el/s': fmtRate((R * C) / js.median) });
    // the same without top-k: top-p over the whole vocabulary (radix select), no peer
    lk.setNumThreads(1);
    const full = await timed('sample full', () => lk.sample(x, { shape, seed: 1, temperature: 0.8, topP: 0.95, out }));
    row('sample T=0.8 topP=0.95', `${R}x${C}`, 1, 'logitkit', full, { 'el/s': fmtRate((R * C) / full.median), 'vs own softmax': `${(res['softmax 64x128256 t1'].median / full.median).toFixed(2)}x` });
  }
  lk.setNumThreads(before);
  progress('');

  // goals (issue 12)
  const goals = [];
  const goal = (text, measured, met) => goals.push({ goal: text, measured, status: met ? 'met' : 'MISSED' });
  goal('argmax 1x128256 f32: >= 20x the plain JS loop (paired)', fmtRatio(res['pair argmax js']), res['pair argmax js'] >= 20);
  if (maxT >= 2) {
    const share = res[`read 256x32000 t${maxT}`].readSeconds / res[`argmax 256x32000 paired t${maxT}`];
    goal(`argmax 256x32000, ${maxT} threads: >= 0.8 of read bandwidth (${maxT} threads reading; paired)`, share.toFixed(2), share >= 0.8);
    const out = res['argmax 2048x32000 vs read'];
    if (out !== undefined) goals.push({ goal: `(the same out of cache: argmax 2048x32000, ${maxT} threads, of read bandwidth; not a goal)`, measured: out.toFixed(2), status: 'info' });
  }
  const q = res['pair argmax topK'];
  goal('topK k=50 1x128256: <= 2x the time of argmax on that row (paired rounds)', `${q.toFixed(2)}x`, q <= 2);
  const tk = res['topK 1x128256 k50'];
  const tr = res['topK 1x128256 k50 transformers'];
  if (tr) goal('topK k=50 1x128256: >= 5x transformers.js top-k', fmtRatio(tr.median / tk.median), tr.median / tk.median >= 5);
  else goals.push({ goal: 'topK k=50 1x128256: >= 5x transformers.js top-k', measured: '—', status: 'not measured' });
  for (const t of [...new Set([1, maxT])]) {
    const r = res[`sample ratio t${t}`];
    goal(`sample T=0.8 topK=50 topP=0.95 64x128256, ${t} thread(s): >= 0.7x softmax throughput (paired)`, `${r.toFixed(2)}x`, r >= 0.7);
  }
  const small = res['topK 1x1000 k5 best'];
  goal('topK k=5 1x1000 end to end: <= 2 µs (best median of 5 rounds)', fmtTime(small), small <= 2e-6);
  if (!quick) await settle();
  return { rows, goals, notes, versions };
}
