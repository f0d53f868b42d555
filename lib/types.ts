/** The element types logitkit computes in. Results have the type of the input. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Element types of inputs and outputs. float16 and bfloat16 arrive as a Uint16Array of their bits
 * (with the `dtype` option), a Float16Array where the runtime has one, or a Tensor of type
 * 'float16'; they are computed in float32.
 */
export type Dtype = 'float32' | 'float64' | 'float16' | 'bfloat16';

/** Half-precision output: Uint16Array bits of this type. */
export type OutDtype = 'float32' | 'float16' | 'bfloat16';

/**
 * An object shaped like an onnxruntime-node Tensor (no dependency on it): `type` 'float32',
 * 'float64' or 'float16' for logits ('int64' / 'int32' for class targets), `data` its TypedArray,
 * `dims` its shape. Its memory is read in place.
 */
export interface TensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly (number | bigint)[];
}

/** Half-precision or Tensor input: what the `dtype` overloads of each function take. */
export type HalfInput = Uint16Array | TensorLike | ArrayBufferView;

/** The options every function has for half-precision input and output. */
export interface DtypeOptions {
  /** The element type of a Uint16Array input: 'float16' or 'bfloat16' (required for one; others must match their type). */
  dtype?: Dtype;
  /** The result's type for float16 / bfloat16 input: 'float32' (default), or half-precision bits in a Uint16Array, rounded to nearest even from the float32 result. */
  outDtype?: OutDtype;
}

/** Class-index targets: one class per row (BigInt64Array is what onnxruntime-node returns for int64). */
export type IndexArray =
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array;

/** Options of {@link softmax} and {@link logSoftmax}. */
export interface SoftmaxOptions<T extends FloatArray = FloatArray> {
  /** Dimensions of `x`, row-major. Default `[x.length]`. Their product must be `x.length`. */
  shape?: readonly number[];
  /** The axis to normalise over. Default -1 (the last); negative values count from the end. */
  axis?: number;
  /** Where to write the result: same type and length as `x`, or `x` itself (in place). Must not partly overlap `x`. */
  out?: T;
  /** Computes softmax(x / temperature). A finite number > 0; default 1. */
  temperature?: number;
}

/** How {@link crossEntropy} reduces the per-row losses. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions<T extends FloatArray = FloatArray> {
  /** Dimensions of `logits`, row-major. Default `[logits.length]` (one row). */
  shape?: readonly number[];
  /** The class axis. Default -1. */
  axis?: number;
  /** Default 'mean': the sum of the losses divided by the summed weight of the non-ignored targets (index targets) or by the number of rows (probability targets). */
  reduction?: Reduction;
  /** Rows whose target is this class index contribute nothing. Default -100. Not allowed with probability targets. */
  ignoreIndex?: number | bigint;
  /** Label smoothing epsilon in [0, 1]: the target becomes (1 - eps) * target + eps / C. Default 0. */
  labelSmoothing?: number;
  /** Per-class weights: same type as `logits`, one per class. */
  weight?: T;
  /** Receives d loss / d logits for the chosen reduction ('none': of the sum of the losses). Same type and length as `logits`; may be `logits` itself. */
  grad?: T;
  /** With reduction 'none': where to write the per-row losses (same type as `logits`, one per row). */
  out?: T;
}

/** Options of {@link sigmoid} and {@link logSigmoid}. */
export interface SigmoidOptions<T extends FloatArray = FloatArray> {
  /** Where to write the result: same type and length as `x`, or `x` itself (in place). */
  out?: T;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BceOptions<T extends FloatArray = FloatArray> {
  /** Dimensions of `logits`, row-major; its last dimension is the class count of `posWeight` and a per-class `weight`. Default `[logits.length]`. */
  shape?: readonly number[];
  /** Weights: one per class (the last dimension) or one per element; same type as `logits`. */
  weight?: T;
  /** Weights of the positive term, one per class (the last dimension): finite and >= 0. */
  posWeight?: T;
  /** Default 'mean': the sum of the losses divided by the number of elements (PyTorch's rule). */
  reduction?: Reduction;
  /** With reduction 'none': where the per-element losses go (same type and length as `logits`; may be `logits` itself). */
  out?: T;
  /** Receives d loss / d logits for the chosen reduction ('none': of the sum of the losses); may be `logits` itself. */
  grad?: T;
}

/** Options of {@link argmax}. */
export interface ArgmaxOptions {
  /** Dimensions of `x`, row-major. Default `[x.length]` (one row). */
  shape?: readonly number[];
  /** The axis to search. Default -1; negative values count from the end. */
  axis?: number;
  /** Where the indices go: an Int32Array with one entry per row (the shape without the axis). */
  out?: Int32Array;
}

/** What {@link topK}'s `values` hold. */
export type TopKMode = 'logits' | 'softmax' | 'logSoftmax' | 'sigmoid';

/** Options of {@link topK}. */
export interface TopKOptions<T extends FloatArray = FloatArray> {
  /** Dimensions of `x`, row-major. Default `[x.length]` (one row). */
  shape?: readonly number[];
  /** The axis to select along. Default -1. */
  axis?: number;
  /** true (default): the k largest, in descending order; false: the k smallest, ascending. NaN counts as the largest. */
  largest?: boolean;
  /** 'logits' (default): the entries themselves; 'softmax' / 'logSoftmax': their full-row softmax (log-softmax) at `temperature`; 'sigmoid': their sigmoid. */
  mode?: TopKMode;
  /** With mode 'softmax' or 'logSoftmax': softmax(x / temperature). A finite number > 0; default 1. */
  temperature?: number;
  /** Where the values go: same type as `x`, rows x k. */
  values?: T;
  /** Where the indices go: an Int32Array, rows x k. */
  indices?: Int32Array;
}

/** What {@link topK} returns: per row (the shape without the axis, row-major) k entries, row-major. */
export interface TopKResult<T extends FloatArray = FloatArray> {
  values: T;
  indices: Int32Array;
}

/** Options of {@link sample}. */
export interface SampleOptions<T extends FloatArray = FloatArray> {
  /** Dimensions of `logits`, row-major. Default `[logits.length]` (one row). */
  shape?: readonly number[];
  /** The class axis. Default -1. */
  axis?: number;
  /** Draw from softmax(logits / temperature): a finite number >= 0, default 1; 0 is greedy (argmax). */
  temperature?: number;
  /** Keep the k most probable classes (ties to the lower index): an integer >= 1. */
  topK?: number;
  /** Then keep the smallest most-probable set whose probability reaches topP, in (0, 1]. */
  topP?: number;
  /** Then keep the classes whose probability is >= minP times the largest, in [0, 1]. */
  minP?: number;
  /** The Philox4x32-10 key: a safe integer >= 0 or a bigint in [0, 2^64) for every row, or a BigUint64Array with one per row. Required unless temperature is 0. */
  seed?: number | bigint | BigUint64Array;
  /** The counter of row r is offset + r (offset alone with per-row seeds): a safe integer >= 0, default 0. */
  offset?: number;
  /** Where the classes go: an Int32Array with one entry per row; -1 for a row with a NaN, only -Infinity, or (temperature > 0) a +Infinity. */
  out?: Int32Array;
  /** Receives the log-probability of each drawn class under the truncated distribution (same type as `logits`, one per row). */
  logprobs?: T;
}

/** Which file the native addon was loaded from (see the README's Install section). */
export interface Binary {
  /** 'prebuilt': shipped in the package; 'source build': built here (`npx logitkit build`, `npm ci`); 'LOGITKIT_ADDON': named by that variable. */
  kind: 'prebuilt' | 'source build' | 'LOGITKIT_ADDON';
  /** Absolute path of the .node file. */
  path: string;
}

/** What {@link info} reports about the loaded native code. */
export interface Info {
  /** Package version. */
  version: string;
  /** The SIMD path in use. */
  isa: 'avx512' | 'avx2' | 'neon' | 'scalar';
  /** Every SIMD path this CPU supports, best first. */
  isas: string[];
  /**
   * Optional instructions the active path uses on top of its own: 'avx512bf16' (vcvtneps2bf16 for
   * bfloat16 outputs, on AVX-512 CPUs that have it, unless LOGITKIT_AVX512BF16=0).
   */
  features: string[];
  /** Worker threads the kernels may use. */
  threads: number;
  /** Elements per vector register for float32 and float64 on the active path. */
  lanesF32: number;
  lanesF64: number;
  /** The addon file in use. */
  binary: Binary;
  /**
   * Where small calls are computed (softmax and logSoftmax of at most 15 elements, sigmoid and
   * logSigmoid of at most 4, argmax of at most 64): 'js' (the default; a call into the addon
   * costs more than the work) or 'native' (LOGITKIT_SMALL_CALLS=native).
   */
  smallCalls: 'js' | 'native';
}
