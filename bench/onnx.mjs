// Single-node ONNX models for the onnxruntime-node contender, encoded here as protobuf bytes
// (ModelProto, onnx/onnx.proto3) so that nothing beyond npm packages is needed: Softmax and
// LogSoftmax (axis -1), Sigmoid, MatMul and SoftmaxCrossEntropyLoss (reduction 'mean', int64 labels), opset 13,
// with symbolic dimensions so one model serves every shape.

const ELEM = { f32: 1, f64: 11, f16: 10, i64: 7 }; // TensorProto.DataType

function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 fields: two's complement, 10 bytes
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

// field helpers: wire type 0 (varint) and 2 (length-delimited)
const int = (field, n) => [...varint((field << 3) | 0), ...varint(n)];
const bytes = (field, b) => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...Buffer.from(s, 'utf8')]);

/** ValueInfoProto: name and a tensor type with symbolic dimensions. */
function valueInfo(name, elem, dims) {
  const shape = dims.flatMap((d) => bytes(1, str(2, d))); // Dimension { dim_param }
  const tensor = [...int(1, elem), ...bytes(2, shape)]; // TypeProto.Tensor { elem_type, shape }
  return [...str(1, name), ...bytes(2, bytes(1, tensor))]; // { name, type: TypeProto { tensor_type } }
}

function attrInt(name, i) {
  return [...str(1, name), ...int(3, i), ...int(20, 2)]; // AttributeProto { name, i, type: INT }
}
function attrString(name, s) {
  return [...str(1, name), ...bytes(4, [...Buffer.from(s)]), ...int(20, 3)]; // { name, s, type: STRING }
}

function model(node, inputs, outputs) {
  const graph = [...bytes(1, node), ...str(2, 'g'), ...inputs.flatMap((v) => bytes(11, v)), ...outputs.flatMap((v) => bytes(12, v))];
  const opset = [...str(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 8), ...str(2, 'logitkit-bench'), ...bytes(7, graph), ...bytes(8, opset)]);
}

/** Softmax or LogSoftmax over the last axis of x [N, C]. */
export function softmaxModel(dtype, log) {
  const node = [...str(1, 'x'), ...str(2, 'y'), ...str(3, 'n'), ...str(4, log ? 'LogSoftmax' : 'Softmax'), ...bytes(5, attrInt('axis', -1))];
  return model(node, [valueInfo('x', ELEM[dtype], ['N', 'C'])], [valueInfo('y', ELEM[dtype], ['N', 'C'])]);
}

/** An elementwise op of x [N, C] (Sigmoid). */
export function unaryModel(dtype, op) {
  const node = [...str(1, 'x'), ...str(2, 'y'), ...str(3, 'n'), ...str(4, op)];
  return model(node, [valueInfo('x', ELEM[dtype], ['N', 'C'])], [valueInfo('y', ELEM[dtype], ['N', 'C'])]);
}

/** y [N, C] = a [N, D] x b [D, C]: logits from a linear layer, for the interop tests. */
export function matmulModel(dtype) {
  const node = [...str(1, 'a'), ...str(1, 'b'), ...str(2, 'y'), ...str(3, 'n'), ...str(4, 'MatMul')];
  return model(
    node,
    [valueInfo('a', ELEM[dtype], ['N', 'D']), valueInfo('b', ELEM[dtype], ['D', 'C'])],
    [valueInfo('y', ELEM[dtype], ['N', 'C'])],
  );
}

/** Mean cross-entropy of scores [N, C] against int64 labels [N]. */
export function crossEntropyModel(dtype) {
  const node = [...str(1, 'x'), ...str(1, 'labels'), ...str(2, 'loss'), ...str(3, 'n'), ...str(4, 'SoftmaxCrossEntropyLoss'), ...bytes(5, attrString('reduction', 'mean'))];
  return model(
    node,
    [valueInfo('x', ELEM[dtype], ['N', 'C']), valueInfo('labels', ELEM.i64, ['N'])],
    [valueInfo('loss', ELEM[dtype], [])],
  );
}
