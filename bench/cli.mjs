// `npm run bench [-- --quick] [-- --threads N]`: logitkit against a plain JavaScript three-pass
// softmax and against this machine's own limits (copy bandwidth, the bare vector exp loop),
// measured in the same run.
import { createRequire } from 'node:module';

import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const lk = require('../dist/index.js');
const native = require(process.env.LOGITKIT_ADDON || '../build/Release/logitkit.node');

function jsSoftmax(x, y, rows, C) {
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let m = -Infinity;
    for (let i = 0; i < C; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < C; i++) {
      const e = Math.exp(x[o + i] - m);
      y[o + i] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let i = 0; i < C; i++) y[o + i] *= inv;
  }
}

const quick = process.argv.includes('--quick');
// --threads N (default 1: the SIMD goals are per thread; `npm run bench:threads` covers scaling)
const ti = process.argv.indexOf('--threads');
const threads = ti >= 0 ? Number(process.argv[ti + 1]) : 1;
lk.setNumThreads(threads);
const shapes = [
  [1, 1000],
  [64, 1000],
  [100000, 3],
  [16, 128256],
];
const time = quick ? 150 : 400;
const info = lk.info();
console.error(`logitkit ${info.version}, isa ${info.isa} (supported: ${info.isas.join(', ')}), threads ${lk.getNumThreads()}`);

const rows = [];
for (const [R, C] of shapes) {
  const n = R * C;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() * 10 - 5;
  const y = new Float32Array(n);
  const e = new Float32Array(n);
  for (let i = 0; i < n; i++) e[i] = -Math.random() * 20;
  const copy = new Float32Array(n);
  const bench = new Bench({ time, warmupTime: 50 });
  bench
    .add('logitkit', () => lk.softmax(x, { shape: [R, C], out: y }))
    .add('js three-pass', () => jsSoftmax(x, y, R, C))
    .add('exp ceiling', () => native.exp(e, y))
    .add('copy (set)', () => copy.set(x));
  process.stderr.write(`  ${R}x${C} ...\n`);
  await bench.run();
  const med = (name) => bench.tasks.find((t) => t.name === name).result.latency.p50 / 1e3; // s
  const tLk = med('logitkit');
  rows.push({
    shape: `${R}x${C}`,
    'logitkit median µs': (tLk * 1e6).toFixed(2),
    'logitkit G el/s': (n / tLk / 1e9).toFixed(2),
    'vs JS loop': `${(med('js three-pass') / tLk).toFixed(1)}x`,
    'vs exp ceiling': (med('exp ceiling') / tLk).toFixed(2),
    'GB/s (r+w)': ((8 * n) / tLk / 1e9).toFixed(1),
    'vs copy': (med('copy (set)') / tLk).toFixed(2),
  });
}
console.table(rows);
