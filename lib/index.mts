// The ES module face of the package: the same single CommonJS implementation (one copy of its
// state, whichever way it is loaded), re-exported by name.
export {
  softmax,
  logSoftmax,
  softmaxAsync,
  logSoftmaxAsync,
  crossEntropy,
  crossEntropyAsync,
  sigmoid,
  logSigmoid,
  sigmoidAsync,
  logSigmoidAsync,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsAsync,
  info,
  setNumThreads,
  getNumThreads,
} from './index.js';
export type { BceOptions, Binary, CrossEntropyOptions, FloatArray, IndexArray, Info, Reduction, SigmoidOptions, SoftmaxOptions } from './index.js';
