/**
 * logitkit: batched, numerically stable softmax, log-softmax, cross-entropy, sigmoid, binary
 * cross-entropy, argmax, top-k and seeded sampling on the CPU, in SIMD C++ (AVX2, AVX-512, NEON)
 * behind validated TypeScript.
 * @packageDocumentation
 */
import { binary, binding } from './binding.js';
import { smallCalls } from './small.js';
import type { Info } from './types.js';
import { describe, rangeError, typeError } from './validate.js';

export { softmax, logSoftmax, softmaxAsync, logSoftmaxAsync } from './softmax.js';
export { crossEntropy, crossEntropyAsync } from './crossEntropy.js';
export {
  sigmoid,
  logSigmoid,
  sigmoidAsync,
  logSigmoidAsync,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsAsync,
} from './sigmoid.js';
export { argmax, argmaxAsync, topK, topKAsync, sample, sampleAsync } from './decide.js';
export type { HalfSoftmaxOptions } from './softmax.js';
export type { HalfCrossEntropyOptions } from './crossEntropy.js';
export type { HalfBceOptions, HalfSigmoidOptions } from './sigmoid.js';
export type { HalfSampleOptions, HalfTopKOptions } from './decide.js';
export type { ArgmaxOptions, BceOptions, Binary, CrossEntropyOptions, Dtype, DtypeOptions, FloatArray, HalfInput, IndexArray, Info, OutDtype, Reduction, SampleOptions, SigmoidOptions, SoftmaxOptions, TensorLike, TopKMode, TopKOptions, TopKResult } from './types.js';

/** Version, SIMD path in use (and all this CPU supports), thread count, the addon file loaded, where small calls run. */
export function info(): Info {
  return { ...binding.info(), binary: { ...binary }, smallCalls };
}

/**
 * Sets how many threads a call may use (the calling thread included): an integer in [1, 1024].
 * The default is the number of CPUs available to the process, or LOGITKIT_NUM_THREADS. Results are
 * bit-for-bit the same for every thread count. Process-wide: it applies to every worker thread.
 */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number') throw typeError('n', 'an integer in [1, 1024]', n);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw rangeError('n', 'an integer in [1, 1024]', describe(n));
  binding.setNumThreads(n);
}

/** How many threads a call may use. */
export function getNumThreads(): number {
  return binding.getNumThreads();
}
