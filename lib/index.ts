/**
 * logitkit: batched, numerically stable softmax, log-softmax and cross-entropy on the CPU, in
 * SIMD C++ (AVX2, AVX-512, NEON) behind validated TypeScript.
 * @packageDocumentation
 */
import { binding } from './binding.js';
import type { Info } from './types.js';

export { softmax, logSoftmax } from './softmax.js';
export { crossEntropy } from './crossEntropy.js';
export type { CrossEntropyOptions, FloatArray, IndexArray, Info, Reduction, SoftmaxOptions } from './types.js';

/** Version, SIMD path in use (and all this CPU supports), thread count. */
export function info(): Info {
  return binding.info();
}
