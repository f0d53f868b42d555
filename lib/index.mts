// The ES module face of the package: the same single CommonJS implementation (one copy of its
// state, whichever way it is loaded), re-exported by name.
export {
  softmax,
  logSoftmax,
  softmaxAsync,
  logSoftmaxAsync,
  crossEntropy,
  crossEntropyAsync,
  info,
  setNumThreads,
  getNumThreads,
} from './index.js';
export type { Binary, CrossEntropyOptions, FloatArray, IndexArray, Info, Reduction, SoftmaxOptions } from './index.js';
