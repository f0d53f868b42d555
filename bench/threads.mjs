// `npm run bench:threads`: the threading and bandwidth goals of issue 4, measured in one run as
// ratios: 2 threads vs 1, and softmax / cross-entropy throughput against this machine's own copy
// (`Float32Array.prototype.set`) and read (one vectorised pass) bandwidth on the same buffers.
import { createRequire } from 'node:module';

import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const lk = require('../dist/index.js');
const native = require(process.env.LOGITKIT_ADDON || '../build/Release/logitkit.node');

const time = process.argv.includes('--quick') ? 300 : 1000;
const maxThreads = lk.getNumThreads();
const median = (b, name) => b.tasks.find((t) => t.name === name).result.latency.p50 / 1e3; // seconds

function random(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() * 10 - 5;
  return x;
}

const rows = [];
for (const [R, C] of [
  [256, 32000],
  [1, 1_000_000],
  [2048, 32000],
]) {
  const n = R * C;
  process.stderr.write(`  ${R}x${C} ...\n`);
  const x = random(n);
  const y = new Float32Array(n);
  const copy = new Float32Array(n);
  const target = new Int32Array(R).map(() => Math.floor(Math.random() * C));
  const shape = [R, C];
  const b = new Bench({ time, warmupTime: 100, iterations: 5 });
  for (const t of [1, maxThreads]) {
    b.add(`softmax t${t}`, () => lk.softmax(x, { shape, out: y }), { beforeEach: () => lk.setNumThreads(t) });
    b.add(`ce t${t}`, () => lk.crossEntropy(x, target, { shape }), { beforeEach: () => lk.setNumThreads(t) });
  }
  b.add('copy', () => copy.set(x));
  b.add('read', () => native.readPass(x));
  await b.run();
  lk.setNumThreads(maxThreads);
  const tc = median(b, 'copy');
  const tr = median(b, 'read');
  for (const t of [1, maxThreads]) {
    const ts = median(b, `softmax t${t}`);
    const te = median(b, `ce t${t}`);
    rows.push({
      shape: `${R}x${C}`,
      threads: t,
      'softmax ms': (ts * 1e3).toFixed(2),
      'softmax speedup vs 1 thread': (median(b, 'softmax t1') / ts).toFixed(2),
      'softmax vs copy bandwidth': (tc / ts).toFixed(2),
      'ce loss ms': (te * 1e3).toFixed(2),
      'ce vs read bandwidth': (tr / te).toFixed(2),
    });
  }
  rows.push({ shape: `${R}x${C}`, threads: '-', 'softmax ms': `copy ${(tc * 1e3).toFixed(2)}`, 'ce loss ms': `read ${(tr * 1e3).toFixed(2)}`, 'softmax vs copy bandwidth': `${((8 * n) / tc / 1e9).toFixed(1)} GB/s`, 'ce vs read bandwidth': `${((4 * n) / tr / 1e9).toFixed(1)} GB/s` });
}
console.log(`logitkit ${lk.info().version}, isa ${lk.info().isa}, up to ${maxThreads} threads`);
console.table(rows);
