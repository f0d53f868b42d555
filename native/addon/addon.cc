// The N-API entry points. Each one unpacks and re-checks its arguments (args.h), then hands raw
// pointers to the ops layer, which writes into the caller's buffers. Every check happens before the
// first byte of output is written.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "../dispatch.h"
#include "../ops/ops.h"
#include "../scratch.h"
#include "../threadpool.h"
#include "args.h"
#include "call.h"
#include "entries.h"

#ifndef LOGITKIT_VERSION
#define LOGITKIT_VERSION "0.0.0"
#endif

namespace logitkit {
namespace {

// softmax(x, y, outer, C, inner, temperature, log, xType, yType): element type codes of args.h
auto parse_softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[7], "x");
  const Floats fy = out_data(info[1], info[8], fx, "out");
  const View x = fx.v, y = fy.v;
  const Dims d = tensor_dims(info, 2);
  const double temperature = number_or(info[5], NAN);
  const bool log = info[6].ToBoolean();
  check_length(env, x, checked_product(d.outer, d.C, d.inner), "x");
  check_length(env, y, x.length, "out");
  if (!(temperature > 0 && std::isfinite(temperature)))
    throw Napi::RangeError::New(env, "temperature: expected a finite number > 0, got " + std::to_string(temperature));
  check_no_overlap(env, y, x, "out", "x", true);
  const Elem ex = fx.e, ey = fy.e;
  auto c = make_call([&table, x, y, ex, ey, d, temperature, log]() {
    with_elems(ex, ey, [&](auto tx, auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      softmax<ComputeOf<X>, X, Y>(table, static_cast<const X*>(x.data), static_cast<Y*>(y.data), d, temperature, log);
    });
    return 0.0;
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[1]);
  c.result = info[1];
  return c;
}

int64_t ignore_index(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t i = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (lossless) return i;
  } else if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::floor(d) == d && std::fabs(d) <= 9007199254740991.0) return static_cast<int64_t>(d);
  }
  throw Napi::RangeError::New(v.Env(), "ignoreIndex: expected an integer, got " + describe(v));
}

template <class I>
void convert(const Napi::Env& env, const View& t, int64_t C, int64_t ignore, std::vector<int64_t>& out) {
  const I* p = static_cast<const I*>(t.data);
  const size_t bad = convert_targets(p, t.length, C, ignore, out.data());
  if (bad < t.length)  // out[bad] holds the value that failed (p may be shared memory written meanwhile)
    throw Napi::RangeError::New(env, "target[" + std::to_string(bad) + "] = " +
                                         std::to_string(out[bad]) +
                                         " is out of range [0, " + std::to_string(C) + ")");
}

template <class T, class X, class Y>
double run_cross_entropy(const KernelTable& table, const View& x, const View* target, const View* prob,
                         const View* weight, const std::vector<int64_t>& targets, Dims d, double eps,
                         Reduction red, const View* out, const View* grad) {
  CrossEntropyInput<T, X, Y> in{};
  in.x = static_cast<const X*>(x.data);
  in.d = d;
  in.target = target ? targets.data() : nullptr;
  in.prob = prob ? static_cast<const X*>(prob->data) : nullptr;
  in.weight = weight ? static_cast<const T*>(weight->data) : nullptr;
  in.smoothing = eps;
  in.reduction = red;
  in.out = out ? static_cast<Y*>(out->data) : nullptr;
  in.grad = grad ? static_cast<Y*>(grad->data) : nullptr;
  return cross_entropy<T, X, Y>(table, in);
}

// crossEntropy(x, target, outer, C, inner, ignoreIndex, smoothing, weight, reduction, out, grad,
// xType, targetType, outType): element type codes of args.h; targetType 1 / 2: half-precision
// probabilities (of the logits' type), 0: class indices or float32 / float64 probabilities
auto parse_cross_entropy(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[11], "logits");
  const View x = fx.v;
  const bool half_target = number_or(info[12], 0) != 0;
  const Floats ft = half_target ? float_data(info[1], info[12], "target") : Floats{typed_array(info[1], "target"), Elem::F32};
  const View t = ft.v;
  const Dims d = tensor_dims(info, 2);
  const int64_t ignore = ignore_index(info[5]);
  const double eps = number_or(info[6], NAN);
  const double red_code = number_or(info[8], -1);
  check_length(env, x, checked_product(d.outer, d.C, d.inner), "logits");
  if (!(eps >= 0 && eps <= 1))
    throw Napi::RangeError::New(env, "labelSmoothing: expected a number in [0, 1], got " + describe(info[6]));
  if (!(red_code == 0 || red_code == 1 || red_code == 2))
    throw Napi::RangeError::New(env, "reduction: expected 'mean', 'sum' or 'none'");
  const Reduction red = static_cast<Reduction>(static_cast<int>(red_code));
  const size_t rows = d.outer * d.inner;

  const bool half_x = fx.e == Elem::F16 || fx.e == Elem::BF16;
  const bool is_prob = half_target || t.type == napi_float32_array || t.type == napi_float64_array;
  if (is_prob) {
    const bool same = half_target ? ft.e == fx.e : !half_x && t.type == x.type;
    if (!same)
      throw Napi::TypeError::New(env, std::string("target: expected class indices or ") + elem_name(fx.e) +
                                          " probabilities, got " + (half_target ? elem_name(ft.e) : type_name(t.type)));
    check_length(env, t, x.length, "target");
  } else {
    if (t.type == napi_uint8_clamped_array || t.type == napi_biguint64_array)
      throw Napi::TypeError::New(env, std::string("target: expected Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array or BigInt64Array, got ") + type_name(t.type));
    check_length(env, t, rows, "target");
  }
  View weight{}, out{}, grad{};
  const bool has_weight = given(info[7]);
  const bool has_out = given(info[9]);
  const bool has_grad = given(info[10]);
  Elem out_elem = half_x ? Elem::F32 : fx.e;
  if (has_weight) {
    weight = param_array(info[7], fx, "weight");
    check_length(env, weight, d.C, "weight");
  }
  if (red == Reduction::None) {
    if (!has_out) throw Napi::TypeError::New(env, "out: expected a Float32Array or Float64Array for reduction 'none', got undefined");
    const Floats fo = out_data(info[9], info[13], fx, "out");
    out = fo.v;
    out_elem = fo.e;
    check_length(env, out, rows, "out");
  } else if (has_out) {
    throw Napi::TypeError::New(env, "out: only used with reduction 'none'");
  }
  if (has_grad) {
    const Floats fg = out_data(info[10], info[13], fx, "grad");
    grad = fg.v;
    out_elem = fg.e;
    check_length(env, grad, x.length, "grad");
  }
  // Outputs must not overlap any input or each other; grad may be the logits themselves (in place).
  if (has_out) {
    check_no_overlap(env, out, x, "out", "logits", false);
    check_no_overlap(env, out, t, "out", "target", false);
    if (has_weight) check_no_overlap(env, out, weight, "out", "weight", false);
  }
  if (has_grad) {
    check_no_overlap(env, grad, x, "grad", "logits", true);
    check_no_overlap(env, grad, t, "grad", "target", false);
    if (has_weight) check_no_overlap(env, grad, weight, "grad", "weight", false);
    if (has_out) check_no_overlap(env, grad, out, "grad", "out", false);
  }

  // class indices as int64: in this thread's scratch for a sync call (used before it returns), in
  // memory owned by the call for an async one
  std::vector<int64_t> owned;
  std::vector<int64_t>* scratch = !async && rows <= kScratchKeep ? &thread_scratch<int64_t, 1>() : nullptr;
  if (!is_prob) {
    std::vector<int64_t>& targets = scratch ? *scratch : owned;
    targets.resize(rows);
    const int64_t C = static_cast<int64_t>(d.C);
    switch (t.type) {
      case napi_int8_array: convert<int8_t>(env, t, C, ignore, targets); break;
      case napi_uint8_array: convert<uint8_t>(env, t, C, ignore, targets); break;
      case napi_int16_array: convert<int16_t>(env, t, C, ignore, targets); break;
      case napi_uint16_array: convert<uint16_t>(env, t, C, ignore, targets); break;
      case napi_int32_array: convert<int32_t>(env, t, C, ignore, targets); break;
      case napi_uint32_array: convert<uint32_t>(env, t, C, ignore, targets); break;
      default: convert<int64_t>(env, t, C, ignore, targets); break;
    }
  }
  const bool has_target = !is_prob;
  const Elem ex = fx.e;
  auto c = make_call([&table, x, t, weight, out, grad, has_target, has_weight, has_out, has_grad, d, eps, red,
                      ex, out_elem, scratch, owned = std::move(owned)]() {
    const std::vector<int64_t>& targets = scratch ? *scratch : owned;
    const View* pt = has_target ? &t : nullptr;
    const View* pp = has_target ? nullptr : &t;
    const View* pw = has_weight ? &weight : nullptr;
    const View* po = has_out ? &out : nullptr;
    const View* pg = has_grad ? &grad : nullptr;
    return with_elems(ex, out_elem, [&](auto tx, auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      return run_cross_entropy<ComputeOf<X>, X, Y>(table, x, pt, pp, pw, targets, d, eps, red, po, pg);
    });
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[1]);
  if (has_weight) c.buffers.add(info[7]);
  if (has_out) c.buffers.add(info[9]);
  if (has_grad) c.buffers.add(info[10]);
  c.result = red == Reduction::None ? info[9] : env.Undefined();
  return c;
}

// Sync entry points: run on the calling (JS) thread.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  parse_softmax(info).run();
  return info.Env().Undefined();
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  Call c = parse_cross_entropy(info, false);
  const double r = c.run();
  return c.result.IsUndefined() ? Napi::Number::New(info.Env(), r) : info.Env().Undefined();
}

Napi::Value SoftmaxAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_softmax(info)); }
Napi::Value CrossEntropyAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_cross_entropy(info, true)); }

// exp(x, y): the kernels' exponential for x <= 0 (ULP tests and the benchmark's compute ceiling).
Napi::Value Exp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const View x = float_array(info[0], "x");
  const View y = float_array(info[1], "out");
  check_same_type(env, y, x, "out");
  check_length(env, y, x.length, "out");
  check_no_overlap(env, y, x, "out", "x", true);
  if (x.type == napi_float32_array)
    table.f32.exp(static_cast<const float*>(x.data), static_cast<float*>(y.data), x.length);
  else
    table.f64.exp(static_cast<const double*>(x.data), static_cast<double*>(y.data), x.length);
  return env.Undefined();
}

// convert(x, y, xType, yType): y = x converted by the kernels' loads and stores (element type
// codes of args.h; float32 or half in, float32 or half out): the conversions' tests.
Napi::Value Convert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[2], "x");
  const Floats fy = out_data(info[1], info[3], fx, "out");
  if (fx.e == Elem::F64) throw Napi::TypeError::New(env, "x: expected float32 or half-precision data, got a Float64Array");
  check_length(env, fy.v, fx.v.length, "out");
  check_no_overlap(env, fy.v, fx.v, "out", "x", false);
  with_elems(fx.e, fy.e, [&](auto tx, auto ty) {
    using X = typename decltype(tx)::type;
    using Y = typename decltype(ty)::type;
    if constexpr (!std::is_same_v<X, double>)
      kernels_of<float, X, Y>(table).convert(static_cast<const X*>(fx.v.data), static_cast<Y*>(fy.v.data), fx.v.length);
  });
  return env.Undefined();
}

// readPass(x): one vectorised read of x (its maximum): the benchmark's read-bandwidth reference.
Napi::Value ReadPass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const View x = float_array(info[0], "x");
  const double m = x.type == napi_float32_array ? table.f32.max(static_cast<const float*>(x.data), x.length)
                                                : table.f64.max(static_cast<const double*>(x.data), x.length);
  return Napi::Number::New(env, m);
}

Napi::Value IsDetached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool detached = false;
  if (info[0].IsArrayBuffer()) napi_is_detached_arraybuffer(env, info[0], &detached);
  return Napi::Boolean::New(env, detached);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Dispatch& d = dispatch();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", LOGITKIT_VERSION);
  o.Set("isa", d.active ? d.active->name : "none");
  Napi::Array isas = Napi::Array::New(env, d.supported.size());
  for (size_t i = 0; i < d.supported.size(); ++i) isas.Set(static_cast<uint32_t>(i), d.supported[i]);
  o.Set("isas", isas);
  Napi::Array features = Napi::Array::New(env, d.features.size());
  for (size_t i = 0; i < d.features.size(); ++i) features.Set(static_cast<uint32_t>(i), d.features[i]);
  o.Set("features", features);
  o.Set("threads", num_threads());
  if (d.active) {
    o.Set("lanesF32", static_cast<double>(d.active->f32.lanes));
    o.Set("lanesF64", static_cast<double>(d.active->f64.lanes));
  }
  return o;
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  set_num_threads(static_cast<int>(dimension(info[0], "n")));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const Dispatch& d = dispatch();
  if (!d.active) throw Napi::Error::New(env, "logitkit: " + d.error);
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy, "crossEntropy"));
  exports.Set("softmaxAsync", Napi::Function::New(env, SoftmaxAsync, "softmaxAsync"));
  exports.Set("crossEntropyAsync", Napi::Function::New(env, CrossEntropyAsync, "crossEntropyAsync"));
  exports.Set("exp", Napi::Function::New(env, Exp, "exp"));
  exports.Set("readPass", Napi::Function::New(env, ReadPass, "readPass"));
  exports.Set("convert", Napi::Function::New(env, Convert, "convert"));
  exports.Set("isDetached", Napi::Function::New(env, IsDetached, "isDetached"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  init_sigmoid(env, exports);
  init_decide(env, exports);
  return exports;
}

}  // namespace
}  // namespace logitkit

static Napi::Object InitLogitkit(Napi::Env env, Napi::Object exports) { return logitkit::Init(env, exports); }

NODE_API_MODULE(logitkit, InitLogitkit)
