// Loads the native addon. LOGITKIT_ADDON may name another build of it (the cmake-js or sanitizer
// build); otherwise it is the node-gyp build that `npm install` made.
import * as path from 'node:path';

import type { FloatArray, IndexArray, Info } from './types.js';

/** The addon's functions. They re-check every length and type; the TypeScript layer checks first. */
export interface NativeBinding {
  softmax(x: FloatArray, out: FloatArray, outer: number, classes: number, inner: number, temperature: number, log: boolean): void;
  crossEntropy(
    logits: FloatArray,
    target: IndexArray | FloatArray,
    outer: number,
    classes: number,
    inner: number,
    ignoreIndex: number | bigint,
    labelSmoothing: number,
    weight: FloatArray | null,
    reduction: number,
    out: FloatArray | null,
    grad: FloatArray | null,
  ): number | undefined;
  softmaxAsync(x: FloatArray, out: FloatArray, outer: number, classes: number, inner: number, temperature: number, log: boolean): Promise<FloatArray>;
  crossEntropyAsync(...args: Parameters<NativeBinding['crossEntropy']>): Promise<number | FloatArray>;
  exp(x: FloatArray, out: FloatArray): void;
  readPass(x: FloatArray): number;
  isDetached(buffer: ArrayBufferLike): boolean;
  info(): Info;
  getNumThreads(): number;
  setNumThreads(n: number): void;
}

function load(): NativeBinding {
  const file = process.env.LOGITKIT_ADDON || path.join(__dirname, '..', 'build', 'Release', 'logitkit.node');
  return require(file) as NativeBinding;
}

export const binding: NativeBinding = load();
