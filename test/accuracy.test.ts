import { describe, expect, it } from 'vitest';

import { as, checkClose, DTYPES, lk, TOL } from './helpers.js';
import { randn, refSoftmax } from './reference.js';

// The accuracy contract on ordinary data, with the measured maxima printed per SIMD path (they
// are the "Accuracy" figures of docs/accuracy.md): rows from 1 to 1,000,000 elements, logits ~ N(0, s^2).
const CASES: [number, number, number][] = [
  [64, 1000, 1],
  [64, 1000, 10],
  [100000, 3, 3],
  [16, 33, 30],
  [4, 32000, 5],
  [1, 1_000_000, 8],
];

describe.each(DTYPES)(`measured error vs float64 (${lk.info().isa}, $name)`, ({ name, ctor }) => {
  it('softmax and log-softmax stay within the stated bounds', () => {
    let sm = 0;
    let ls = 0;
    for (const [rows, C, scale] of CASES) {
      const x = as(ctor, randn(rows * C, rows + C + scale, scale));
      sm = Math.max(sm, checkClose(lk.softmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1), TOL[name].softmax, 'rel', TOL[name].floor, `softmax ${rows}x${C}`));
      ls = Math.max(ls, checkClose(lk.logSoftmax(x, { shape: [rows, C] }), refSoftmax(x, [rows, C], -1, 1, true), TOL[name].logSoftmax, 'log', 0, `logSoftmax ${rows}x${C}`));
    }
    console.log(`accuracy ${lk.info().isa} ${name}: softmax max rel err ${sm.toExponential(2)}, logSoftmax max err ${ls.toExponential(2)}`);
    expect(sm).toBeLessThanOrEqual(TOL[name].softmax);
    expect(ls).toBeLessThanOrEqual(TOL[name].logSoftmax);
  });
});
