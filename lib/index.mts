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
  argmax,
  argmaxAsync,
  topK,
  topKAsync,
  sample,
  sampleAsync,
  info,
  setNumThreads,
  getNumThreads,
} from './index.js';
export type { HalfBceOptions, HalfCrossEntropyOptions, HalfSampleOptions, HalfSigmoidOptions, HalfSoftmaxOptions, HalfTopKOptions } from './index.js';
export type { ArgmaxOptions, BceOptions, Binary, CrossEntropyOptions, Dtype, DtypeOptions, FloatArray, HalfInput, IndexArray, Info, OutDtype, Reduction, SampleOptions, SigmoidOptions, SoftmaxOptions, TensorLike, TopKMode, TopKOptions, TopKResult } from './index.js';
