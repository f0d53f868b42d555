import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

import { expect } from 'vitest';

import { rng } from './reference.js';

// The tests exercise the built package (dist/), exactly what users load.
const require = createRequire(import.meta.url);
export const lk = require('../dist/index.js') as typeof import('../dist/index.js');

/** The command that starts a child node: under emulation (scripts/test-arm64.sh) through qemu. */
export const NODE: string[] = process.env.LOGITKIT_TEST_NODE ? process.env.LOGITKIT_TEST_NODE.split(' ') : [process.execPath];

/** Under an emulator (scripts/test-arm64.sh): some loads are scaled down, child processes get a retry. */
export const EMULATED = Boolean(process.env.LOGITKIT_TEST_EMULATED);

/**
 * Runs a child node (NODE) with `args` to its end and returns what spawnSync returns. A child still
 * running after `timeout` ms is killed with SIGKILL, not spawnSync's SIGTERM: an emulated node that
 * qemu-user has deadlocked (at a fork or at exit: a known failure of qemu-user with multithreaded
 * programs) never acts on SIGTERM, and spawnSync then waits for it forever, past every test timeout,
 * since the test's thread is the one blocked. Under emulation (LOGITKIT_TEST_EMULATED) a child killed
 * so runs once more, and the retry is printed; natively a timeout is the test's failure.
 */
export function runNode(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout: number }) {
  const run = () => spawnSync(NODE[0], [...NODE.slice(1), ...args], { ...opts, encoding: 'utf8', killSignal: 'SIGKILL', maxBuffer: 1 << 26 });
  const r = run();
  if (EMULATED && r.signal === 'SIGKILL' && (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    console.warn(`an emulated child outlived its ${opts.timeout / 1000} s and was killed; once more: ${args.join(' ').slice(0, 200)}`);
    return run();
  }
  return r;
}

export type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
export const DTYPES: { name: 'f32' | 'f64'; ctor: Ctor }[] = [
  { name: 'f32', ctor: Float32Array },
  { name: 'f64', ctor: Float64Array },
];

/** Accuracy contracts (docs/accuracy.md, "Accuracy"). */
export const TOL = {
  f32: { softmax: 3e-7, logSoftmax: 3e-7, floor: 1e-30 },
  f64: { softmax: 1e-15, logSoftmax: 1e-15, floor: 1e-300 },
};

function same(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Checks `got` against `ref` element by element and returns the largest error seen:
 * mode 'rel': |got - ref| <= tol * |ref| for |ref| >= floor, and |got - ref| <= tol * floor below it;
 * mode 'log': |got - ref| <= tol * max(1, |ref|).
 * NaN and infinities must match exactly.
 */
export function checkClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: number, mode: 'rel' | 'log', floor = 0, what = ''): number {
  if (got.length !== ref.length) throw new Error(`${what}: length ${got.length} != ${ref.length}`);
  // A reference value past the output type's range must come out as that infinity.
  const maxFinite = got instanceof Float32Array ? 3.4028234663852886e38 : Number.MAX_VALUE;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = Math.abs(ref[i]) > maxFinite * (1 + 2 ** -25) ? Math.sign(ref[i]) * Infinity : ref[i];
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      if (!same(g, r)) throw new Error(`${what}[${i}]: got ${g}, expected ${r}`);
      continue;
    }
    const err = Math.abs(g - r);
    let scaled: number;
    if (mode === 'log') scaled = err / Math.max(1, Math.abs(r));
    else scaled = Math.abs(r) >= floor ? err / Math.abs(r) : err / Math.max(floor, Number.MIN_VALUE);
    if (!(scaled <= tol)) throw new Error(`${what}[${i}]: got ${g}, expected ${r} (error ${scaled.toExponential(3)} > ${tol})`);
    if (Math.abs(r) >= floor || mode === 'log') worst = Math.max(worst, scaled);
  }
  return worst;
}

/** Relative error of a scalar (absolute when the reference is 0); NaN and infinities must match exactly. */
export function relErr(got: number, ref: number): number {
  if (Number.isNaN(ref)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(ref)) return got === ref ? 0 : Infinity;
  return ref === 0 ? Math.abs(got) : Math.abs(got - ref) / Math.abs(ref);
}

/** Rounds a float64 array to the test dtype (the input the addon sees). */
export function as(ctor: Ctor, v: ArrayLike<number>): Float32Array | Float64Array {
  return ctor.from(v as ArrayLike<number>);
}

export function bits(a: Float32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

/** fn throws `type` with exactly `message`, and every array in `untouched` keeps its bytes. */
export function expectThrow(fn: () => unknown, type: typeof TypeError | typeof RangeError, message: string, ...untouched: (Float32Array | Float64Array)[]): void {
  const before = untouched.map(bits);
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toBe(message);
  expect(untouched.map(bits)).toEqual(before);
}

/** The ulp of v in float32 or float64 (the smallest subnormal's spacing below the normal range). */
export function ulpOf(v: number, name: 'f32' | 'f64'): number {
  const a = Math.abs(v);
  if (name === 'f32') return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  return a < 2 ** -1022 ? 2 ** -1074 : 2 ** (Math.floor(Math.log2(a)) - 52);
}

/** sigmoid inputs that cover every regime: around 0, moderate, large, the subnormal range and past it. */
export function sigmoidInputs(name: 'f32' | 'f64', n: number, seed: number): number[] {
  const r = rng(seed);
  const lim = name === 'f32' ? 110 : 760;
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    const mag = i % 4 === 0 ? u * 4 : i % 4 === 1 ? u * 40 : i % 4 === 2 ? u * lim : 10 ** (-8 * u);
    v.push(r() < 0.5 ? -mag : mag);
  }
  return v;
}
