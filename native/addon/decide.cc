// N-API entry points of the decisions: argmax, topK and sample, sync and async. Each unpacks and
// re-checks its arguments (args.h) before the first byte of output is written, then hands raw
// pointers to the ops layer (ops/decide.cc).
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "../ops/ops.h"
#include "args.h"
#include "call.h"
#include "entries.h"

namespace logitkit {
namespace {

// The shape of x as outer x C x inner, C an index an Int32Array can hold (and >= 1 when `nonempty`
// and there are rows).
Dims checked_dims(const Napi::CallbackInfo& info, const View& x, bool nonempty) {
  Napi::Env env = info.Env();
  const Dims d = tensor_dims(info, 1);
  check_length(env, x, checked_product(d.outer, d.C, d.inner), "x");
  if (checked_product(d.outer, d.inner, 1) == SIZE_MAX) throw Napi::RangeError::New(env, "x: too many rows");
  if (d.C > 2147483647u)
    throw Napi::RangeError::New(env, "classes: expected at most 2147483647 (indices are Int32Array), got " + std::to_string(d.C));
  if (nonempty && d.C == 0 && d.outer * d.inner > 0)
    throw Napi::RangeError::New(env, "x: expected at least one class along the axis, got 0");
  return d;
}

// argmax(x, outer, C, inner, out, xType): element type codes of args.h
auto parse_argmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[5], "x");
  const View x = fx.v;
  const Dims d = checked_dims(info, x, true);
  const View out = int32_array(info[4], "out");
  check_length(env, out, d.rows(), "out");
  check_no_overlap(env, out, x, "out", "x", false);
  const Elem ex = fx.e;
  auto c = make_call([&table, x, d, out, ex]() {
    int32_t* o = static_cast<int32_t*>(out.data);
    with_elems(ex, ex == Elem::F64 ? Elem::F64 : Elem::F32, [&](auto tx, auto) {
      using X = typename decltype(tx)::type;
      argmax<ComputeOf<X>, X>(table, static_cast<const X*>(x.data), d, o);
    });
    return 0.0;
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[4]);
  c.result = info[4];
  return c;
}

// topk(x, outer, C, inner, k, largest, mode, temperature, values, indices, xType, valuesType)
auto parse_topk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[10], "x");
  const View x = fx.v;
  const Dims d = checked_dims(info, x, false);
  const size_t k = dimension(info[4], "k");
  if (k > d.C)
    throw Napi::RangeError::New(env, "k: expected an integer in [0, " + std::to_string(d.C) + "], got " + std::to_string(k));
  const bool largest = info[5].ToBoolean();
  const double mode_code = number_arg(info[6], "mode", "a mode code 0-3");
  if (!(mode_code == 0 || mode_code == 1 || mode_code == 2 || mode_code == 3))
    throw Napi::RangeError::New(env, "mode: expected 'logits', 'softmax', 'logSoftmax' or 'sigmoid'");
  const double temperature = number_arg(info[7], "temperature", "a finite number > 0");
  if (!(temperature > 0 && std::isfinite(temperature)))
    throw Napi::RangeError::New(env, "temperature: expected a finite number > 0, got " + js_number(temperature));
  const Floats fv = out_data(info[8], info[11], fx, "values");
  const View values = fv.v;
  const View indices = int32_array(info[9], "indices");
  const size_t n = checked_product(d.rows(), k, 1);
  check_length(env, values, n, "values");
  check_length(env, indices, n, "indices");
  check_no_overlap(env, values, x, "values", "x", false);
  check_no_overlap(env, indices, x, "indices", "x", false);
  check_no_overlap(env, indices, values, "indices", "values", false);
  const TopKMode mode = static_cast<TopKMode>(static_cast<int>(mode_code));
  const Elem ex = fx.e, ev = fv.e;
  auto c = make_call([&table, x, d, k, largest, mode, temperature, values, indices, ex, ev]() {
    int32_t* ix = static_cast<int32_t*>(indices.data);
    with_elems(ex, ev, [&](auto tx, auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      topk<ComputeOf<X>, X, Y>(table, static_cast<const X*>(x.data), d, k, largest, mode, temperature,
                               static_cast<Y*>(values.data), ix);
    });
    return 0.0;
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[8]);
  c.buffers.add(info[9]);
  return c;
}

uint32_t word(const Napi::Value& v, const char* name) {
  const double w = number_arg(v, name, "an integer in [0, 2^32)");
  if (!(w >= 0 && w <= 4294967295.0 && std::floor(w) == w))
    throw Napi::RangeError::New(v.Env(), std::string(name) + ": expected an integer in [0, 2^32), got " + js_number(w));
  return static_cast<uint32_t>(w);
}

// sample(x, outer, C, inner, temperature, topK, topP, minP, seedLo, seedHi, seeds, offset, out,
// logprobs, xType, logprobsType)
auto parse_sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[14], "logits");
  const View x = fx.v;
  const Dims d = checked_dims(info, x, true);
  SampleParams p{};
  p.temperature = number_arg(info[4], "temperature", "a finite number >= 0");
  if (!(p.temperature >= 0 && std::isfinite(p.temperature)))
    throw Napi::RangeError::New(env, "temperature: expected a finite number >= 0, got " + js_number(p.temperature));
  p.top_k = dimension(info[5], "topK");
  p.top_p = number_arg(info[6], "topP", "a number in (0, 1]");
  if (!(p.top_p > 0 && p.top_p <= 1)) throw Napi::RangeError::New(env, "topP: expected a number in (0, 1], got " + js_number(p.top_p));
  p.min_p = number_arg(info[7], "minP", "a number in [0, 1]");
  if (!(p.min_p >= 0 && p.min_p <= 1)) throw Napi::RangeError::New(env, "minP: expected a number in [0, 1], got " + js_number(p.min_p));
  p.seed = static_cast<uint64_t>(word(info[8], "seed")) | static_cast<uint64_t>(word(info[9], "seed")) << 32;
  const bool has_seeds = given(info[10]);
  View seeds{};
  if (has_seeds) {
    if (!info[10].IsTypedArray() || info[10].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
      throw Napi::TypeError::New(env, "seed: expected a number, a bigint or a BigUint64Array, got " + describe(info[10]));
    seeds = typed_array(info[10], "seed");
    check_length(env, seeds, d.rows(), "seed");
  }
  p.offset = dimension(info[11], "offset");
  const View out = int32_array(info[12], "out");
  check_length(env, out, d.rows(), "out");
  check_no_overlap(env, out, x, "out", "logits", false);
  if (has_seeds) check_no_overlap(env, out, seeds, "out", "seed", false);
  const bool has_lp = given(info[13]);
  View lp{};
  Elem elp = fx.e == Elem::F64 ? Elem::F64 : Elem::F32;
  if (has_lp) {
    const Floats flp = out_data(info[13], info[15], fx, "logprobs");
    lp = flp.v;
    elp = flp.e;
    check_length(env, lp, d.rows(), "logprobs");
    check_no_overlap(env, lp, x, "logprobs", "logits", false);
    check_no_overlap(env, lp, out, "logprobs", "out", false);
    if (has_seeds) check_no_overlap(env, lp, seeds, "logprobs", "seed", false);
  }
  const Elem ex = fx.e;
  auto c = make_call([&table, x, d, p, seeds, has_seeds, out, lp, has_lp, ex, elp]() {
    SampleParams q = p;
    q.seeds = has_seeds ? static_cast<const uint64_t*>(seeds.data) : nullptr;
    int32_t* o = static_cast<int32_t*>(out.data);
    with_elems(ex, elp, [&](auto tx, auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      sample<ComputeOf<X>, X, Y>(table, static_cast<const X*>(x.data), d, q, o, has_lp ? static_cast<Y*>(lp.data) : nullptr);
    });
    return 0.0;
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[12]);
  if (has_seeds) c.buffers.add(info[10]);
  if (has_lp) c.buffers.add(info[13]);
  c.result = info[12];
  return c;
}

Napi::Value Argmax(const Napi::CallbackInfo& info) {
  parse_argmax(info).run();
  return info.Env().Undefined();
}
Napi::Value TopK(const Napi::CallbackInfo& info) {
  parse_topk(info).run();
  return info.Env().Undefined();
}
Napi::Value Sample(const Napi::CallbackInfo& info) {
  parse_sample(info).run();
  return info.Env().Undefined();
}
Napi::Value ArgmaxAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_argmax(info)); }
Napi::Value SampleAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_sample(info)); }
// topK's promise resolves to undefined: the TypeScript layer returns its { values, indices }
Napi::Value TopKAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_topk(info)); }

}  // namespace

void init_decide(Napi::Env env, Napi::Object exports) {
  exports.Set("argmax", Napi::Function::New(env, Argmax, "argmax"));
  exports.Set("argmaxAsync", Napi::Function::New(env, ArgmaxAsync, "argmaxAsync"));
  exports.Set("topk", Napi::Function::New(env, TopK, "topk"));
  exports.Set("topkAsync", Napi::Function::New(env, TopKAsync, "topkAsync"));
  exports.Set("sample", Napi::Function::New(env, Sample, "sample"));
  exports.Set("sampleAsync", Napi::Function::New(env, SampleAsync, "sampleAsync"));
}

}  // namespace logitkit
