import { bandwidthShare } from './measure.mjs';

// Presenting a run: the terminal table, Markdown, the SVG chart, and the goals of issues 3, 4 and 13
// evaluated on the figures measured (a miss is shown as a miss).

const fmtTime = (s) => (s === undefined ? '' : s < 1e-3 ? `${(s * 1e6).toFixed(s < 1e-5 ? 2 : 1)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`);
const fmtRate = (v) => (v === undefined ? '' : `${(v / 1e9).toFixed(2)}e9`);
const fmtRatio = (v) => (v === undefined || !Number.isFinite(v) ? '' : `${v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2)}×`);
export const shapeName = (c) => `${c.R}x${c.C}`;

/** One row per case: logitkit's figures, its share of the machine's limits, and its ratio to each peer. */
export function tableRows(run) {
  const rows = [];
  for (const k of run.cases) {
    const c = k.case;
    const lk = k.results.logitkit;
    const lim = run.limits[`${c.dtype}|${shapeName(c)}`];
    const row = {
      op: c.op,
      dtype: c.dtype,
      shape: shapeName(c),
      threads: String(c.threads),
      'logitkit median': lk?.status === 'ok' ? fmtTime(lk.median) : (lk?.status ?? ''),
      p99: lk?.status === 'ok' ? fmtTime(lk.p99) : '',
      'el/s': lk?.status === 'ok' ? fmtRate(lk.elemsPerSec) : '',
      'GB/s': lk?.status === 'ok' ? lk.GBs.toFixed(1) : '',
      'of bandwidth': '',
      'of exp': '',
    };
    if (lk?.status === 'ok' && lim) {
      // softmax-like ops move 2 x n elements (read + write), cross-entropy loss reads n once, BCE
      // reads logits and targets (2 x n), BCE with grad also writes (3 x n)
      const b = bandwidthShare(c.op, lim, lk.median);
      row['of bandwidth'] = `${b.share.toFixed(2)} ${b.kind}`;
      row['of exp'] = (lk.elemsPerSec / run.expCeiling[c.dtype]).toFixed(2);
    }
    for (const p of run.contenders.filter((n) => n !== 'logitkit')) {
      const r = k.results[p];
      let v = '';
      if (!r) v = '';
      else if (r.status === 'ok') v = lk?.status === 'ok' ? fmtRatio(r.median / lk.median) : fmtTime(r.median);
      else v = r.status;
      row[`vs ${p}`] = v;
    }
    rows.push(row);
  }
  return rows;
}

export function textTable(rows) {
  if (!rows.length) return '(no rows)';
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((v, i) => (i < 4 ? String(v).padEnd(width[i]) : String(v).padStart(width[i]))).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}

export function markdownTable(rows) {
  if (!rows.length) return '';
  const cols = Object.keys(rows[0]);
  return [`| ${cols.join(' | ')} |`, `|${cols.map((_, i) => (i < 4 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => r[c]).join(' | ')} |`)].join('\n');
}

/** Rows with the union of their keys as columns, '—' where a row has no value. */
export function uniformRows(rows) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? '—'])));
}

/** The performance goals of the SIMD (3) and threading (4) issues, on whatever this run measured. */
export function goals(run) {
  const find = (op, R, C, threads, who = 'logitkit') => run.cases.find((k) => k.case.op === op && k.case.dtype === 'f32' && k.case.R === R && k.case.C === C && k.case.threads === threads)?.results[who];
  const lim = (R, C) => run.limits[`f32|${R}x${C}`];
  const out = [];
  const goal = (text, measured, met) => out.push({ goal: text, measured: measured ?? '—', status: measured === undefined ? 'not measured' : met ? 'met' : 'MISSED' });
  const ok = (r) => r && r.status === 'ok';
  const big = find('softmax', 16, 128256, 1);
  const bigJs = find('softmax', 16, 128256, 1, 'js loop');
  goal('softmax 16x128256, 1 thread: >= 5e9 el/s', ok(big) ? fmtRate(big.elemsPerSec) : undefined, ok(big) && big.elemsPerSec >= 5e9);
  goal('softmax 16x128256, 1 thread: >= 40x the JS loop', ok(big) && ok(bigJs) ? fmtRatio(bigJs.median / big.median) : undefined, ok(big) && ok(bigJs) && bigJs.median / big.median >= 40);
  goal('softmax 16x128256, 1 thread: >= 0.5 of the exp ceiling', ok(big) ? (big.elemsPerSec / run.expCeiling.f32).toFixed(2) : undefined, ok(big) && big.elemsPerSec / run.expCeiling.f32 >= 0.5);
  const tiny = find('softmax', 100000, 3, 1);
  goal('softmax 100000x3, 1 thread: >= 2e9 el/s', ok(tiny) ? fmtRate(tiny.elemsPerSec) : undefined, ok(tiny) && tiny.elemsPerSec >= 2e9);
  const one = find('softmax', 1, 1000, 1);
  goal('softmax 1x1000 end to end: <= 1.0 µs median', ok(one) ? fmtTime(one.median) : undefined, ok(one) && one.median <= 1e-6);
  if (run.isaTable) {
    const rate = (isa) => run.isaTable.find((r) => r.isa === isa && r.op === 'softmax' && r.shape === '16x128256')?.elemsPerSec;
    const [a512, a2, sc] = [rate('avx512'), rate('avx2'), rate('scalar')];
    if (a512 && a2 && sc) goal('16x128256: avx512 >= 1.6x avx2 >= 3x scalar', `${(a512 / a2).toFixed(2)}x, ${(a2 / sc).toFixed(1)}x`, a512 / a2 >= 1.6 && a2 / sc >= 3);
  }
  const n = run.maxThreads;
  if (n >= 2) {
    for (const [R, C] of [[256, 32000], [1, 1000000]]) {
      const t1 = find('softmax', R, C, 1);
      const t2 = find('softmax', R, C, 2);
      goal(`softmax ${R}x${C}: 2 threads >= 1.8x 1 thread`, ok(t1) && ok(t2) ? `${(t1.median / t2.median).toFixed(2)}x` : undefined, ok(t1) && ok(t2) && t1.median / t2.median >= 1.8);
    }
  }
  // sigmoid and binary cross-entropy (multi-label outputs)
  const sg = find('sigmoid', 64, 128256, 1);
  const sgSoftmax = find('softmax', 64, 128256, 1);
  const sgOrt = find('sigmoid', 64, 128256, 1, 'onnxruntime');
  const sgJs = find('sigmoid', 64, 128256, 1, 'js loop');
  const ratio = (a, b) => (ok(a) && ok(b) ? b.median / a.median : undefined);
  const rs = ratio(sg, sgSoftmax);
  goal('sigmoid 64x128256, 1 thread: >= 0.8x softmax on that shape', rs === undefined ? undefined : `${rs.toFixed(2)}x`, rs >= 0.8);
  const ro = ratio(sg, sgOrt);
  goal('sigmoid 64x128256, 1 thread: >= 3x onnxruntime Sigmoid', ro === undefined ? undefined : fmtRatio(ro), ro >= 3);
  const rj = ratio(sg, sgJs);
  goal('sigmoid 64x128256, 1 thread: >= 20x the JS loop', rj === undefined ? undefined : fmtRatio(rj), rj >= 20);
  if (n >= 2) {
    const b = find('bce', 2048, 32000, 2);
    const l = lim(2048, 32000);
    const share = ok(b) && l ? bandwidthShare('bce', l, b.median).share : undefined;
    goal('BCE loss 2048x32000, 2 threads: >= 0.85 of read bandwidth (logits + targets)', share === undefined ? undefined : share.toFixed(2), share >= 0.85);
  }
  for (const t of [...new Set([1, n])]) {
    const s = find('softmax', 2048, 32000, t);
    const e = find('crossEntropy', 2048, 32000, t);
    const l = lim(2048, 32000);
    goal(`softmax 2048x32000, ${t} thread(s): >= 0.85 of copy bandwidth`, ok(s) && l ? (l.copySeconds / s.median).toFixed(2) : undefined, ok(s) && l && l.copySeconds / s.median >= 0.85);
    goal(`cross-entropy 2048x32000, ${t} thread(s): >= 0.85 of read bandwidth`, ok(e) && l ? (l.readSeconds / e.median).toFixed(2) : undefined, ok(e) && l && l.readSeconds / e.median >= 0.85);
  }
  return out;
}

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Throughput per shape, one bar per contender, log scale; for one op, dtype and thread count. */
export function svgChart(run, op, dtype, threads) {
  const cases = run.cases.filter((k) => k.case.op === op && k.case.dtype === dtype && k.case.threads === threads);
  const names = run.contenders;
  const colors = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  const values = cases.flatMap((k) => names.map((n) => (k.results[n]?.status === 'ok' ? k.results[n].elemsPerSec : 0))).filter((v) => v > 0);
  if (!values.length) return null;
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const W = 900, H = 420, left = 70, bottom = 70, top = 50, plotH = H - top - bottom;
  const groupW = (W - left - 20) / cases.length;
  const barW = Math.max(4, (groupW - 16) / names.length);
  const y = (v) => top + plotH - ((Math.log10(v) - lo) / (hi - lo || 1)) * plotH;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${escape(`${op} ${dtype}, ${threads} thread${threads > 1 ? 's' : ''}: elements per second (log scale, higher is better)`)}</text>`);
  parts.push(`<text x="${W / 2}" y="37" text-anchor="middle" fill="#555">${escape(run.machine.cpu)}, ${escape(run.date)}</text>`);
  for (let e = lo; e <= hi; e++) {
    parts.push(`<line x1="${left}" x2="${W - 20}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  cases.forEach((k, g) => {
    const x0 = left + g * groupW + 8;
    names.forEach((n, i) => {
      const r = k.results[n];
      const bx = x0 + i * barW;
      if (r?.status === 'ok') {
        parts.push(`<rect x="${bx}" y="${y(r.elemsPerSec)}" width="${barW - 2}" height="${top + plotH - y(r.elemsPerSec)}" fill="${colors[i % colors.length]}"><title>${escape(`${n}: ${fmtRate(r.elemsPerSec)} el/s, median ${fmtTime(r.median)}`)}</title></rect>`);
      } else if (r) {
        parts.push(`<text x="${bx + barW / 2}" y="${top + plotH - 4}" text-anchor="middle" font-size="9" fill="#999" transform="rotate(-90 ${bx + barW / 2} ${top + plotH - 4})">${escape(r.status)}</text>`);
      }
    });
    parts.push(`<text x="${x0 + (names.length * barW) / 2}" y="${top + plotH + 18}" text-anchor="middle">${shapeName(k.case)}</text>`);
  });
  names.forEach((n, i) => {
    const lx = left + i * 140;
    parts.push(`<rect x="${lx}" y="${H - 30}" width="12" height="12" fill="${colors[i % colors.length]}"/><text x="${lx + 16}" y="${H - 20}">${escape(n)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** One row per op and shape, one column per SIMD path. */
export function isaRows(table) {
  const isas = [...new Set(table.map((r) => r.isa))];
  const keys = [...new Set(table.map((r) => `${r.op}|${r.shape}`))];
  return keys.map((key) => {
    const [op, shape] = key.split('|');
    const row = { op, shape };
    for (const isa of isas) row[isa] = fmtRate(table.find((r) => r.isa === isa && `${r.op}|${r.shape}` === key)?.elemsPerSec);
    return row;
  });
}

export function markdown(run, rows, sweepRows) {
  const m = run.machine;
  const lines = [
    `# logitkit benchmark`,
    '',
    `${run.date}; ${m.cpu}, ${m.cores} CPUs; SIMD ${m.isa} (supported: ${m.isas.join(', ')}); Node ${m.node}; ${Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `Command: \`${run.command}\``,
    '',
    'Ratios "vs X" are how many times faster logitkit is than X on the same inputs (below 1: slower). "of bandwidth" is the share of this machine\'s copy (softmax-like ops: read + write; BCE with its gradient: 1.5 copies) or read (cross-entropy loss; BCE loss: two reads, logits and targets) bandwidth on the same buffer, "of exp" the share of the bare vector exp loop, all measured in this run. Every peer\'s output was checked against logitkit\'s before it was timed.',
    '',
    ...(rows.length ? [markdownTable(rows), ''] : []),
  ];
  if (run.isaTable?.length) {
    lines.push('## SIMD paths (each in its own process, `LOGITKIT_ISA`, 1 thread, float32; elements/s)', '', markdownTable(isaRows(run.isaTable)), '');
  }
  if (run.decisions) lines.push('## Decisions (float32; peers single-threaded)', '', markdownTable(uniformRows(run.decisions)), '');
  if (sweepRows?.length) lines.push('## Length sweep (out given; logitkit\'s speed per call as a multiple of the JS loop\'s, "!" where the target is missed)', '', markdownTable(sweepRows), '');
  lines.push('## Goals', '', markdownTable(run.goals), '');
  if (run.notes.length) lines.push('## Notes', '', ...run.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

export { fmtRate, fmtRatio, fmtTime };
