// `npm run bench [-- options]` and `npx logitkit bench [options]`: logitkit against onnxruntime-node,
// TensorFlow.js (wasm and cpu backends) and a plain JavaScript loop, and against this machine's own
// limits (copy and read bandwidth, the bare vector exp loop), measured in one run and reported as
// ratios. Every peer's output is checked against logitkit's before it is timed. Each SIMD path is
// also timed in its own process (LOGITKIT_ISA). Progress goes to stderr, results to stdout.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { javascript, logitkit, lutRoute, onnxruntime, tensorflow } from './contenders.mjs';
import { DECISION_OPS, decisionSuite } from './decide.mjs';
import { bytesPerElement, collectGarbage, disagreement, DTYPES, expCeiling, limits, makeInput, NODE, settle, time, TOLERANCE } from './measure.mjs';
import { QUICK_SWEEP_LENGTHS, SWEEP_LENGTHS, sweepMatrix, sweepSuite } from './sweep.mjs';
import { goals, isaRows, markdown, shapeName, svgChart, tableRows, textTable, uniformRows } from './report.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const lk = require(path.join(here, '..', 'dist', 'index.js'));

const SOFTMAX_OPS = ['softmax', 'logSoftmax', 'crossEntropy', 'crossEntropyGrad'];
const SIGMOID_OPS = ['sigmoid', 'logSigmoid', 'bce', 'bceGrad'];
const MATRIX_OPS = [...SOFTMAX_OPS, ...SIGMOID_OPS];
const ALL_OPS = [...MATRIX_OPS, ...DECISION_OPS];
// (100000x10 and 10000x100: the short-row targets of issue 15)
const DEFAULT_SHAPES = ['1x1000', '64x1000', '100000x3', '100000x10', '10000x100', '256x32000', '16x128256', '1x1000000', '2048x32000'];
const QUICK_SHAPES = ['1x1000', '64x1000', '100000x3', '16x128256', '1x1000000'];
// the sigmoid family (multi-label outputs) by default on these, with softmax on 64x128256 beside it
const SIGMOID_SHAPES = ['64x1000', '64x128256', '2048x32000'];
const QUICK_SIGMOID_SHAPES = ['64x1000', '64x128256'];
// half-precision input (issue 14) by default on the shapes of its goals: [dtype, ops, shapes]
const HALF_GROUPS = [
  ['bf16', ['softmax', 'logSoftmax', 'crossEntropy', 'crossEntropyGrad', 'sigmoid'], ['64x128256']],
  ['f16', ['softmax', 'logSoftmax', 'crossEntropy', 'crossEntropyGrad', 'sigmoid'], ['64x128256', '2048x32000']],
  ['f16:f16', ['softmax', 'logSoftmax', 'crossEntropy', 'sigmoid'], ['64x128256']],
  ['bf16:bf16', ['softmax', 'logSoftmax'], ['64x128256', '2048x128256']],
];
const QUICK_HALF_GROUPS = [
  ['bf16', ['softmax', 'crossEntropy'], ['64x128256']],
  ['bf16:bf16', ['softmax'], ['64x128256']],
];
const USAGE = `usage: logitkit bench [--quick] [--op softmax,logSoftmax,crossEntropy,crossEntropyGrad,sigmoid,logSigmoid,bce,bceGrad,argmax,topK,sample] [--shape RxC[,RxC...]]
                      [--dtype f32,f64,f16,bf16,f16:f16,bf16:bf16] (f16, bf16: half-precision input, float32 results;
                      f16:f16, bf16:bf16: half in and out) [--threads N[,N...]] [--isa avx512,avx2,scalar,neon] [--no-peers]
                      [--lengths N[,N...]] [--sweep] (the length sweep's row lengths; it runs when no --shape is
                      given; --sweep: only it)
                      [--json FILE] [--markdown FILE] [--chart FILE.svg]`;

export function parseArgs(argv) {
  const a = { quick: false, sweep: false, peers: true, op: null, shape: null, lengths: null, dtype: null, threads: null, isa: null, json: null, markdown: null, chart: null, child: false };
  const list = (v) => v.split(',').filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--no-peers') a.peers = false;
    else if (k === '--sweep') a.sweep = true;
    else if (k === '--child') a.child = true;
    else if (k === '--op') a.op = [...(a.op ?? []), ...list(v())];
    else if (k === '--shape') a.shape = [...(a.shape ?? []), ...list(v())];
    else if (k === '--lengths') a.lengths = [...(a.lengths ?? []), ...list(v()).map(Number)];
    else if (k === '--dtype') a.dtype = [...(a.dtype ?? []), ...list(v())];
    else if (k === '--threads') a.threads = [...(a.threads ?? []), ...list(v()).map(Number)];
    else if (k === '--isa') a.isa = [...(a.isa ?? []), ...list(v())];
    else if (k === '--json') a.json = v();
    else if (k === '--markdown') a.markdown = v();
    else if (k === '--chart') a.chart = v();
    else if (k === '--help' || k === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${k}\n${USAGE}`);
  }
  for (const o of a.op ?? []) if (!ALL_OPS.includes(o)) throw new Error(`--op: expected one of ${ALL_OPS.join(', ')}, got ${o}`);
  for (const s of a.shape ?? []) if (!/^\d+x\d+$/.test(s) || s.split('x').some((d) => Number(d) < 1)) throw new Error(`--shape: expected RxC with positive integers, got ${s}`);
  if (a.sweep && a.shape) throw new Error(`--sweep times its own lengths (--lengths), not --shape\n${USAGE}`);
  for (const n of a.lengths ?? []) if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--lengths: expected positive integers, got ${n}`);
  for (const d of a.dtype ?? []) if (!Object.hasOwn(DTYPES, d)) throw new Error(`--dtype: expected ${Object.keys(DTYPES).join(', ')}, got ${d}`);
  for (const t of a.threads ?? []) if (!Number.isInteger(t) || t < 1 || t > 1024) throw new Error(`--threads: expected integers in [1, 1024], got ${t}`);
  const supported = lk.info().isas;
  for (const s of a.isa ?? []) if (!supported.includes(s)) throw new Error(`--isa: this CPU supports ${supported.join(', ')}, not ${s}`);
  return a;
}

function defaultThreads() {
  const n = lk.getNumThreads();
  const t = [1];
  for (let p = 2; p < n; p *= 2) t.push(p);
  if (n > 1) t.push(n);
  return t;
}

/** The cases of the main matrix (op x dtype x shape x threads). */
function plan(a) {
  const parse = (list) => list.map((s) => s.split('x').map(Number));
  const threads = a.threads ?? defaultThreads();
  const cases = [];
  // --op / --shape: their product; by default the softmax family on its shapes, the sigmoid family
  // (and softmax, its yardstick) on the multi-label shapes
  // (the decision ops have a section of their own, on the shapes of their goals: decide.mjs)
  const matrixOps = a.op?.filter((o) => MATRIX_OPS.includes(o));
  if (a.op && matrixOps.length === 0) return [];
  const groups = a.op || a.shape
    ? [[matrixOps ?? MATRIX_OPS, parse(a.shape ?? (a.quick ? QUICK_SHAPES : DEFAULT_SHAPES))]]
    : [
        [SOFTMAX_OPS, parse(a.quick ? QUICK_SHAPES : DEFAULT_SHAPES)],
        [['softmax'], parse(['64x128256'])],
        [SIGMOID_OPS, parse(a.quick ? QUICK_SIGMOID_SHAPES : SIGMOID_SHAPES)],
      ];
  for (const dtype of a.dtype ?? ['f32', 'f64']) {
    for (const [ops, shapes] of groups) for (const op of ops) {
      for (const [R, C] of shapes) {
        // float64 by default on three shapes only (the full matrix: --dtype f64)
        if (!a.dtype && dtype === 'f64' && (a.quick || !['1x1000', '64x1000', '16x128256'].includes(`${R}x${C}`))) continue;
        for (const t of threads) cases.push({ op, dtype, R, C, threads: t });
      }
    }
  }
  // half precision by default (no --op, --shape, --dtype): the shapes of its goals
  if (!a.op && !a.shape && !a.dtype) {
    for (const [dtype, ops, shapes] of a.quick ? QUICK_HALF_GROUPS : HALF_GROUPS) {
      for (const op of ops) for (const [R, C] of parse(shapes)) for (const t of threads) cases.push({ op, dtype, R, C, threads: t });
    }
  }
  return cases;
}

// progress only on a terminal: redirected to a file it would be thousands of lines
const progress = (s) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${s}`);

/** Measures every case with every contender; peers that cannot run it say why. */
async function measureCases(cases, contenders, budgetMs, notes) {
  const out = [];
  let done = 0;
  const total = cases.length * contenders.length;
  const inputs = new Map(); // one input per dtype and shape, shared by every op and thread count (~0.3 GB by default)
  const singleThreaded = new Map(); // a one-thread contender's result, reused at every thread count
  for (const c of cases) {
    // dead buffers of the previous case are collected here, not inside this case's samples, and a
    // peer's worker threads may still be busy (spinning) after the previous case: wait
    collectGarbage();
    if (contenders.length > 2) await settle();
    const k = { case: c, results: {} };
    out.push(k);
    const n = c.R * c.C;
    // (f16 and f16:f16 read the same input)
    const inputKey = `${c.dtype.split(':')[0]}|${shapeName(c)}`;
    if (!inputs.has(inputKey)) inputs.set(inputKey, makeInput(c));
    const input = inputs.get(inputKey);
    let want;
    for (const who of contenders) {
      progress(`[${++done}/${total}] ${c.op} ${c.dtype} ${shapeName(c)} threads=${c.threads}: ${who.name}`);
      if (who.missing) {
        k.results[who.name] = { status: 'missing' };
        continue;
      }
      const s = who.supports(c);
      if (s !== true) {
        k.results[who.name] = { status: s === 'skipped' ? 'skipped' : 'n/a', note: s };
        continue;
      }
      const reuseKey = `${who.name}|${c.op}|${c.dtype}|${shapeName(c)}`;
      if (!who.threaded && c.threads > 1 && singleThreaded.has(reuseKey)) {
        k.results[who.name] = { ...singleThreaded.get(reuseKey), note: 'single-threaded: its 1-thread time' };
        continue;
      }
      try {
        const p = await who.prepare(c, input);
        p.before?.();
        const t0 = performance.now();
        await p.run();
        const firstMs = performance.now() - t0;
        const got = p.output();
        if (who === logitkit) {
          want = structuredClone(got);
        } else if (want !== undefined) {
          const d = disagreement(c.op, got, want);
          const tol = TOLERANCE[c.dtype];
          if (!(d <= tol)) {
            k.results[who.name] = { status: 'mismatch', disagreement: d };
            if (!who.threaded) singleThreaded.set(reuseKey, k.results[who.name]);
            notes.push(`${who.name} disagrees with logitkit on ${c.op} ${c.dtype} ${shapeName(c)}: largest deviation ${d.toExponential(2)} > ${tol}; not timed`);
            continue;
          }
          k.results[who.name] = { disagreement: d };
        }
        const t = await time(p.run, { budgetMs, before: p.before, isAsync: who.name === 'onnxruntime', firstMs });
        const bytesPerElem = bytesPerElement(c.op, c.dtype);
        k.results[who.name] = { ...k.results[who.name], status: 'ok', ...t, elemsPerSec: n / t.median, GBs: (n * bytesPerElem) / t.median / 1e9 };
        if (!who.threaded) singleThreaded.set(reuseKey, k.results[who.name]);
      } catch (e) {
        k.results[who.name] = { status: 'error', note: String(e.message ?? e) };
        notes.push(`${who.name} failed on ${c.op} ${c.dtype} ${shapeName(c)}: ${String(e.message ?? e).split('\n')[0]}`);
      }
    }
  }
  progress('');
  return out;
}

// The per-path child's limit, far above what it takes (under two minutes for --quick under qemu).
const CHILD_TIMEOUT_MS = 900_000;

/**
 * Per SIMD path, in its own process: float32 softmax, log-softmax, cross-entropy (loss, and with its
 * gradient), sigmoid and BCE, 1 thread, on the shapes of the per-path targets, and that path's
 * lean exp loop (the compute ceiling). Returns the rows and the ceilings by path.
 */
async function isaTable(isas, quick) {
  const rows = [];
  const ceilings = {};
  for (const isa of isas) {
    progress(`SIMD path ${isa} (own process)`);
    await settle();
    const r = spawnSync(NODE[0], [...NODE.slice(1), fileURLToPath(import.meta.url), '--child', '--no-peers', '--op', 'softmax,logSoftmax,crossEntropy,crossEntropyGrad,sigmoid,bce', '--dtype', 'f32', '--threads', '1', '--shape', '1x1000,64x1000,100000x3,100000x10,10000x100,16x128256', ...(quick ? ['--quick'] : [])], {
      env: { ...process.env, LOGITKIT_ISA: isa },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      // A stuck child (say an emulated node that qemu-user deadlocked, which ignores SIGTERM) must
      // not hold the run forever.
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    if (r.error?.code === 'ETIMEDOUT') throw new Error(`the ${isa} child did not finish within ${CHILD_TIMEOUT_MS / 1000} s and was killed`);
    if (r.status !== 0) throw new Error(`the ${isa} child failed: ${r.stderr}`);
    const child = JSON.parse(r.stdout);
    ceilings[isa] = child.expCeiling.f32;
    for (const k of child.cases) {
      const x = k.results.logitkit;
      rows.push({ isa, op: k.case.op, shape: shapeName(k.case), median: x.median, elemsPerSec: x.elemsPerSec });
    }
  }
  progress('');
  return { rows, ceilings };
}

function cpuModel() {
  return os.cpus()[0]?.model?.trim() || `${os.arch()} CPU`;
}

export async function main(argv) {
  const a = parseArgs(argv);
  const started = Date.now();
  const budgetMs = a.quick ? 30 : 60;
  const info = lk.info();
  if (!a.child) process.stderr.write(`logitkit ${info.version}: SIMD ${info.isa} (supported ${info.isas.join(', ')}), ${lk.getNumThreads()} threads, ${cpuModel()}\n`);
  const notes = [];
  const cases = a.sweep ? [] : plan(a);
  const contenders = [logitkit, javascript];
  // half-precision input with float32 results: the route a user has without logitkit's dtype
  if (cases.some((c) => DTYPES[c.dtype].half && !DTYPES[c.dtype].outHalf)) contenders.push(lutRoute);
  if (a.peers) contenders.push(await onnxruntime(), await tensorflow('wasm'), await tensorflow('cpu'));
  for (const c of contenders) if (c.missing) notes.push(`${c.name} not measured: ${c.missing}`);
  if (a.peers) {
    progress('waiting for the peers\' start-up work to finish');
    await settle();
  }

  const run = {
    date: new Date().toISOString().slice(0, 10),
    command: `logitkit bench ${argv.filter((x) => x !== '--child').join(' ')}`.trim(),
    machine: { cpu: cpuModel(), cores: os.cpus().length, isa: info.isa, isas: info.isas, node: process.version, platform: `${os.platform()} ${os.arch()}` },
    versions: Object.fromEntries(contenders.filter((c) => !c.missing && c.name !== 'js loop').map((c) => [c.name, c.version])),
    contenders: contenders.map((c) => c.name),
    maxThreads: Math.max(1, ...cases.map((c) => c.threads)),
    expCeiling: {},
    limits: {},
    notes,
  };
  for (const dtype of new Set(cases.map((c) => c.dtype))) {
    progress(`exp ceiling ${dtype}`);
    run.expCeiling[dtype] = await expCeiling(dtype, budgetMs);
    for (const shape of new Set(cases.filter((c) => c.dtype === dtype).map(shapeName))) {
      progress(`copy and read bandwidth ${dtype} ${shape}`);
      const [R, C] = shape.split('x').map(Number);
      run.limits[`${dtype}|${shape}`] = await limits(dtype, R * C, budgetMs);
    }
  }
  const threadsBefore = lk.getNumThreads();
  run.cases = await measureCases(cases, contenders, budgetMs, notes);
  lk.setNumThreads(threadsBefore);
  if (a.child) {
    process.stdout.write(JSON.stringify(run));
    return;
  }
  const isas = a.isa ?? info.isas;
  const t = cases.length ? await isaTable(isas, a.quick) : { rows: [], ceilings: {} };
  run.isaTable = t.rows;
  run.isaCeilings = t.ceilings;
  run.goals = goals(run).filter((g) => cases.length || g.status !== 'not measured');
  if (!a.sweep && (!a.op || a.op.some((o) => DECISION_OPS.includes(o)))) {
    const d = await decisionSuite({ budgetMs, peers: a.peers, threads: a.threads ?? defaultThreads(), quick: a.quick });
    run.decisions = d.rows;
    run.goals.push(...d.goals);
    notes.push(...d.notes);
    Object.assign(run.versions, d.versions);
  }
  // the length sweep (small calls against the JS loop): its own lengths, so not with --shape
  const sweepOps = a.op ? a.op.filter((o) => MATRIX_OPS.includes(o)) : MATRIX_OPS;
  const sweepDtypes = a.dtype?.filter((d) => d === 'f32' || d === 'f64') ?? (a.quick ? ['f32'] : ['f32', 'f64']);
  if (!a.shape && sweepOps.length && sweepDtypes.length) {
    lk.setNumThreads(threadsBefore);
    const s = await sweepSuite({
      ops: sweepOps,
      dtypes: sweepDtypes,
      lengths: a.lengths ?? (a.quick ? QUICK_SWEEP_LENGTHS : SWEEP_LENGTHS),
      budgetMs: budgetMs / 3,
      threads: threadsBefore,
      progress,
    });
    progress('');
    run.sweep = s.rows;
    run.goals.push(...s.goals);
    notes.push(...s.notes);
  }
  run.seconds = (Date.now() - started) / 1000;

  const rows = cases.length ? tableRows(run) : [];
  if (rows.length) console.log(textTable(rows));
  if (run.isaTable.length) {
    console.log(`\nSIMD paths, each in its own process (float32, 1 thread; elements/s):`);
    console.log(textTable(isaRows(run.isaTable)));
  }
  if (run.decisions) {
    console.log(`\nDecisions (float32; peers single-threaded; "vs X": times faster than X):`);
    console.log(textTable(uniformRows(run.decisions)));
  }
  if (run.sweep) {
    console.log(`\nLength sweep (${threadsBefore} thread(s), out given; logitkit's speed as a multiple of the JS loop's per call, "!" where the target is missed):`);
    console.log(textTable(sweepMatrix(run.sweep)));
  }
  console.log(`\nGoals (issues 12, 13, 14 and 15; [H1]..[H4]: the half-precision targets of issue 14, [T1]..[T6]: the targets of issue 15), on this run's figures:`);
  const measuredGoals = run.goals.filter((g) => g.status !== 'not measured');
  console.log(measuredGoals.length ? textTable(measuredGoals) : '(none of the goals\' shapes were in this run)');
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
  const ceiling = run.expCeiling.f32 ? `exp ceiling f32 ${(run.expCeiling.f32 / 1e9).toFixed(2)}e9 el/s; ` : '';
  console.log(`\n${ceiling}${run.date}, ${run.machine.cpu}, ${run.seconds.toFixed(0)} s. "vs X": times faster than X.`);
  if (a.json) writeFileSync(a.json, JSON.stringify(run, null, 2));
  if (a.markdown) writeFileSync(a.markdown, markdown(run, rows, run.sweep ? sweepMatrix(run.sweep) : []));
  if (a.chart && cases.length) {
    const first = cases[0];
    const svg = svgChart(run, first.op, first.dtype, 1) ?? svgChart(run, first.op, first.dtype, first.threads);
    if (svg) writeFileSync(a.chart, svg);
  }
  const met = run.goals.filter((g) => g.status === 'MISSED').length;
  if (met) process.stderr.write(`${met} goal(s) missed on this run (shown above)\n`);
}

// run directly (npm run bench) rather than imported by bin/logitkit.mjs
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`\n${e.message ?? e}\n`);
    process.exit(1);
  });
}

