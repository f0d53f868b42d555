// Loads the native addon: the first of these that exists is the one loaded (a file that exists but
// does not load is an error, not a reason to try the next, so a broken build is never hidden):
//   1. LOGITKIT_ADDON, the path of another build (the cmake-js or sanitizer build, a build of yours);
//   2. build/Release/logitkit.node, a build from source (`npm ci` in the repository, or
//      `npx logitkit build` in an installed package);
//   3. prebuilds/<platform>-<arch>/logitkit.node, the binary the npm package ships (linux-x64 and
//      linux-arm64, for glibc >= 2.28; musl and other systems build from source).
import { existsSync } from 'node:fs';
import * as path from 'node:path';

import type { Binary, FloatArray, IndexArray, Info } from './types.js';

/** The addon's functions. They re-check every length and type; the TypeScript layer checks first. */
export interface NativeBinding {
  softmax(x: FloatArray | Uint16Array, out: FloatArray | Uint16Array, outer: number, classes: number, inner: number, temperature: number, log: boolean, xType?: number, outType?: number): void;
  crossEntropy(
    logits: FloatArray | Uint16Array,
    target: IndexArray | FloatArray | Uint16Array,
    outer: number,
    classes: number,
    inner: number,
    ignoreIndex: number | bigint,
    labelSmoothing: number,
    weight: FloatArray | null,
    reduction: number,
    out: FloatArray | Uint16Array | null,
    grad: FloatArray | Uint16Array | null,
    logitsType?: number,
    targetType?: number,
    outType?: number,
  ): number | undefined;
  softmaxAsync(...args: Parameters<NativeBinding['softmax']>): Promise<FloatArray | Uint16Array>;
  crossEntropyAsync(...args: Parameters<NativeBinding['crossEntropy']>): Promise<number | FloatArray>;
  sigmoid(x: FloatArray | Uint16Array, out: FloatArray | Uint16Array, log: boolean, xType?: number, outType?: number): void;
  sigmoidAsync(...args: Parameters<NativeBinding['sigmoid']>): Promise<FloatArray | Uint16Array>;
  bce(
    logits: FloatArray | Uint16Array,
    target: FloatArray | Uint16Array,
    classes: number,
    posWeight: FloatArray | null,
    weight: FloatArray | null,
    reduction: number,
    out: FloatArray | Uint16Array | null,
    grad: FloatArray | Uint16Array | null,
    xType?: number,
    outType?: number,
  ): number | undefined;
  bceAsync(...args: Parameters<NativeBinding['bce']>): Promise<number | FloatArray>;
  argmax(x: FloatArray | Uint16Array, outer: number, classes: number, inner: number, out: Int32Array, xType?: number): void;
  argmaxAsync(...args: Parameters<NativeBinding['argmax']>): Promise<Int32Array>;
  topk(
    x: FloatArray | Uint16Array,
    outer: number,
    classes: number,
    inner: number,
    k: number,
    largest: boolean,
    mode: number,
    temperature: number,
    values: FloatArray | Uint16Array,
    indices: Int32Array,
    xType?: number,
    valuesType?: number,
  ): void;
  topkAsync(...args: Parameters<NativeBinding['topk']>): Promise<unknown>;
  sample(
    logits: FloatArray | Uint16Array,
    outer: number,
    classes: number,
    inner: number,
    temperature: number,
    topK: number,
    topP: number,
    minP: number,
    seedLo: number,
    seedHi: number,
    seeds: BigUint64Array | null,
    offset: number,
    out: Int32Array,
    logprobs: FloatArray | Uint16Array | null,
    xType?: number,
    logprobsType?: number,
  ): void;
  sampleAsync(...args: Parameters<NativeBinding['sample']>): Promise<Int32Array>;
  exp(x: FloatArray, out: FloatArray): void;
  readPass(x: FloatArray): number;
  /** Test hook: y = x converted by the kernels' loads and stores (element type codes 0 float32, 1 float16, 2 bfloat16). */
  convert(x: Float32Array | Uint16Array, out: Float32Array | Uint16Array, xType: number, outType: number): void;
  isDetached(buffer: ArrayBufferLike): boolean;
  info(): Omit<Info, 'binary'>;
  getNumThreads(): number;
  setNumThreads(n: number): void;
}

/** The oldest glibc the prebuilt Linux binaries load with (test/binary.test.ts checks the floor). */
const GLIBC_FLOOR = [2, 28];
const PREBUILT = new Set(['linux-x64', 'linux-arm64']);
export const BUILD_COMMAND = 'npx logitkit build';

interface Libc {
  family: 'glibc' | 'musl' | 'unknown';
  version?: string;
}

/** The C library of this process, read from Node's diagnostic report (no child process). */
function libc(): Libc {
  if (process.platform !== 'linux') return { family: 'unknown' };
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
  const excludeNetwork = report.excludeNetwork;
  report.excludeNetwork = true; // the report would otherwise look up host names of open sockets
  let header: { glibcVersionRuntime?: string } | undefined;
  let sharedObjects: string[] = [];
  try {
    const r = report.getReport() as { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] };
    header = r.header;
    sharedObjects = r.sharedObjects ?? [];
  } catch {
    return { family: 'unknown' };
  } finally {
    report.excludeNetwork = excludeNetwork;
  }
  if (header?.glibcVersionRuntime) return { family: 'glibc', version: header.glibcVersionRuntime };
  if (sharedObjects.some((f) => /(^|\/)(ld-musl-|libc\.musl-)/.test(f))) return { family: 'musl' };
  return { family: 'unknown' };
}

function atLeast(version: string, floor: number[]): boolean {
  const v = version.split('.').map(Number);
  for (let i = 0; i < floor.length; i++) {
    const a = v[i] ?? 0;
    if (a !== floor[i]) return a > floor[i];
  }
  return true;
}

function describeLibc(l: Libc): string {
  return l.family === 'unknown' ? 'libc unknown' : l.version ? `${l.family} ${l.version}` : l.family;
}

/** What is known when no addon could be loaded; the message names every place looked at. */
function failure(target: string, l: Libc | null, tried: string[], cause?: unknown): Error {
  const system = l ? `${target}, ${describeLibc(l)}` : target;
  const lines = [
    `logitkit: cannot load its native addon on ${system}.`,
    ...tried.map((t) => `  ${t}`),
    `Build it from source with \`${BUILD_COMMAND}\` (needs a C++17 compiler, make and python3; it uses this Node's own headers and downloads nothing).`,
  ];
  const e = new Error(lines.join('\n'), cause === undefined ? undefined : { cause });
  (e as Error & { code: string }).code = 'LOGITKIT_NO_ADDON';
  return e;
}

function load(): { binding: NativeBinding; binary: Binary } {
  const root = path.join(__dirname, '..');
  const target = `${process.platform}-${process.arch}`;
  const tryLoad = (file: string, kind: Binary['kind'], label: string, l: Libc | null, tried: string[]) => {
    try {
      return { binding: require(file) as NativeBinding, binary: { kind, path: file } };
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      throw failure(target, l ?? libc(), [...tried, `${label}: failed to load: ${message}`], e);
    }
  };

  const override = process.env.LOGITKIT_ADDON;
  if (override) {
    const file = path.resolve(override);
    const label = `LOGITKIT_ADDON=${override}`;
    if (!existsSync(file)) throw failure(target, libc(), [`${label}: no such file`]);
    return tryLoad(file, 'LOGITKIT_ADDON', label, null, []);
  }
  const tried = ['LOGITKIT_ADDON: not set'];

  const source = path.join(root, 'build', 'Release', 'logitkit.node');
  if (existsSync(source)) return tryLoad(source, 'source build', `${source} (source build)`, null, tried);
  tried.push(`${source} (source build): not found`);

  const prebuilt = path.join(root, 'prebuilds', target, 'logitkit.node');
  const floor = GLIBC_FLOOR.join('.');
  const label = `${prebuilt} (prebuilt, for glibc >= ${floor})`;
  if (!PREBUILT.has(target) || !existsSync(prebuilt)) {
    const shipped = [...PREBUILT].join(' and ');
    throw failure(target, libc(), [...tried, `${label}: not found (the package ships binaries for ${shipped} only)`]);
  }
  const l = libc();
  if (l.family === 'musl') throw failure(target, l, [...tried, `${label}: not usable with musl`]);
  if (l.family === 'glibc' && l.version && !atLeast(l.version, GLIBC_FLOOR))
    throw failure(target, l, [...tried, `${label}: this system's glibc ${l.version} is older`]);
  return tryLoad(prebuilt, 'prebuilt', label, l, tried);
}

const loaded = load();
export const binding: NativeBinding = loaded.binding;
/** Which file the addon was loaded from. */
export const binary: Binary = loaded.binary;
