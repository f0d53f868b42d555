import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { lk } from './helpers.js';

// The kernels' exponential on the domain the softmax uses (x <= 0), measured in ULP of the output
// type against a float64 reference. The binding exposes it for this test and for the benchmark.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const native = createRequire(import.meta.url)(process.env.LOGITKIT_ADDON || '../build/Release/logitkit.node') as any;

function ulp32(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}
function ulp64(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52);
}

export function measureUlp(kind: 'f32' | 'f64', n = 1 << 20): { maxUlp: number; at: number } {
  const lo = kind === 'f32' ? -87.3 : -708; // outputs stay normal
  const x = kind === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = lo * (i / (n - 1)) ** 1.5;
  const y = kind === 'f32' ? new Float32Array(n) : new Float64Array(n);
  native.exp(x, y);
  let maxUlp = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const ref = Math.exp(x[i]);
    const u = Math.abs(y[i] - ref) / (kind === 'f32' ? ulp32(ref) : ulp64(ref));
    if (u > maxUlp) {
      maxUlp = u;
      at = x[i];
    }
  }
  return { maxUlp, at };
}

describe(`exp kernel (${lk.info().isa})`, () => {
  it('f32: within 1.1 ulp on [-87.3, 0] against float64', () => {
    const { maxUlp, at } = measureUlp('f32');
    expect(maxUlp, `at x = ${at}`).toBeLessThanOrEqual(1.1);
  });

  it('f64: within 2 ulp on [-708, 0] against Math.exp (itself < 1 ulp)', () => {
    const { maxUlp, at } = measureUlp('f64');
    expect(maxUlp, `at x = ${at}`).toBeLessThanOrEqual(2);
  });

  it('gives exactly 0 for -Infinity and far below the subnormal range, 1 at 0, NaN for NaN', () => {
    for (const C of [Float32Array, Float64Array]) {
      const x = new C([-Infinity, -1e30, -800, 0, -0, NaN]);
      const y = new C(6);
      native.exp(x, y);
      expect(Array.from(y)).toEqual([0, 0, 0, 1, 1, NaN]);
    }
  });
});
