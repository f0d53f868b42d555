// N-API entry points of the sigmoid family: sigmoid / logSigmoid (elementwise) and binary
// cross-entropy with logits, sync and async. Each unpacks and re-checks its arguments (args.h)
// before the first byte of output is written, then hands raw pointers to the ops layer.
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

// sigmoid(x, out, log, xType, outType): element type codes of args.h
auto parse_sigmoid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[3], "x");
  const Floats fy = out_data(info[1], info[4], fx, "out");
  const View x = fx.v, y = fy.v;
  const bool log = info[2].ToBoolean();
  check_length(env, y, x.length, "out");
  check_no_overlap(env, y, x, "out", "x", true);
  const Elem ex = fx.e, ey = fy.e;
  auto c = make_call([&table, x, y, ex, ey, log]() {
    with_elems(ex, ey, [&](auto tx, auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      sigmoid<ComputeOf<X>, X, Y>(table, static_cast<const X*>(x.data), static_cast<Y*>(y.data), x.length, log);
    });
    return 0.0;
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[1]);
  c.result = info[1];
  return c;
}

template <class T, class X, class Y>
double run_bce(const KernelTable& table, const View& x, const View& t, size_t C, const View* pw,
               const View* w, Reduction red, const View* out, const View* grad) {
  BceInput<T, X, Y> in{};
  in.x = static_cast<const X*>(x.data);
  in.y = static_cast<const X*>(t.data);
  in.n = x.length;
  in.C = C;
  in.pos_weight = pw ? static_cast<const T*>(pw->data) : nullptr;
  in.weight = w ? static_cast<const T*>(w->data) : nullptr;
  in.weight_per_element = w && w->length != C;
  in.reduction = red;
  in.out = out ? static_cast<Y*>(out->data) : nullptr;
  in.grad = grad ? static_cast<Y*>(grad->data) : nullptr;
  size_t bad = SIZE_MAX;
  const double loss = binary_cross_entropy<T, X, Y>(table, in, &bad);
  if (bad != SIZE_MAX)
    throw RangeFailure("target[" + std::to_string(bad) + "] = " + js_number(static_cast<double>(widen(in.y[bad]))) +
                       " is out of range [0, 1]");
  return loss;
}

// bce(logits, target, C, posWeight, weight, reduction, out, grad, xType, outType): element type
// codes of args.h; the target has the logits' type
auto parse_bce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelTable& table = active(env);
  const Floats fx = float_data(info[0], info[8], "logits");
  const View x = fx.v;
  const Floats ft = float_data(info[1], info[8], "target");
  const View t = ft.v;
  const size_t C = dimension(info[2], "classes");
  const double red_code = number_or(info[5], -1);
  if (ft.e != fx.e)
    throw Napi::TypeError::New(env, std::string("target: expected ") + elem_name(fx.e) + ", got " + elem_name(ft.e));
  check_length(env, t, x.length, "target");
  if (x.length > 0 && (C == 0 || x.length % C != 0))
    throw Napi::RangeError::New(env, "classes: expected a divisor of logits.length = " + std::to_string(x.length) + ", got " + std::to_string(C));
  if (!(red_code == 0 || red_code == 1 || red_code == 2))
    throw Napi::RangeError::New(env, "reduction: expected 'mean', 'sum' or 'none'");
  const Reduction red = static_cast<Reduction>(static_cast<int>(red_code));
  const bool has_pw = given(info[3]), has_w = given(info[4]), has_out = given(info[6]), has_grad = given(info[7]);
  View pw{}, w{}, out{}, grad{};
  Elem out_elem = fx.e == Elem::F64 ? Elem::F64 : Elem::F32;
  if (has_pw) {
    pw = param_array(info[3], fx, "posWeight");
    check_length(env, pw, C, "posWeight");
  }
  if (has_w) {
    w = param_array(info[4], fx, "weight");
    if (w.length != C) check_length(env, w, x.length, "weight");
  }
  if (red == Reduction::None) {
    if (!has_out) throw Napi::TypeError::New(env, "out: expected a Float32Array or Float64Array for reduction 'none', got undefined");
    const Floats fo = out_data(info[6], info[9], fx, "out");
    out = fo.v;
    out_elem = fo.e;
    check_length(env, out, x.length, "out");
  } else if (has_out) {
    throw Napi::TypeError::New(env, "out: only used with reduction 'none'");
  }
  if (has_grad) {
    const Floats fg = out_data(info[7], info[9], fx, "grad");
    grad = fg.v;
    out_elem = fg.e;
    check_length(env, grad, x.length, "grad");
  }
  // Outputs may be the logits themselves (elementwise: each register is read before it is written),
  // and must overlap no other input and not each other.
  for (int k = 0; k < 2; ++k) {
    const bool has = k == 0 ? has_out : has_grad;
    if (!has) continue;
    const View& o = k == 0 ? out : grad;
    const char* name = k == 0 ? "out" : "grad";
    check_no_overlap(env, o, x, name, "logits", true);
    check_no_overlap(env, o, t, name, "target", false);
    if (has_pw) check_no_overlap(env, o, pw, name, "posWeight", false);
    if (has_w) check_no_overlap(env, o, w, name, "weight", false);
  }
  if (has_out && has_grad) check_no_overlap(env, grad, out, "grad", "out", false);
  const Elem ex = fx.e;
  auto c = make_call([&table, x, t, C, pw, w, out, grad, has_pw, has_w, has_out, has_grad, red, ex, out_elem]() {
    const View* ppw = has_pw ? &pw : nullptr;
    const View* pww = has_w ? &w : nullptr;
    const View* po = has_out ? &out : nullptr;
    const View* pg = has_grad ? &grad : nullptr;
    return with_elems(ex, out_elem, [&](auto tx, auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      return run_bce<ComputeOf<X>, X, Y>(table, x, t, C, ppw, pww, red, po, pg);
    });
  });
  c.buffers.add(info[0]);
  c.buffers.add(info[1]);
  if (has_pw) c.buffers.add(info[3]);
  if (has_w) c.buffers.add(info[4]);
  if (has_out) c.buffers.add(info[6]);
  if (has_grad) c.buffers.add(info[7]);
  c.result = red == Reduction::None ? info[6] : env.Undefined();
  return c;
}

Napi::Value Sigmoid(const Napi::CallbackInfo& info) {
  parse_sigmoid(info).run();
  return info.Env().Undefined();
}

Napi::Value Bce(const Napi::CallbackInfo& info) {
  auto c = parse_bce(info);
  const double r = run_sync(info.Env(), c);
  return c.result.IsUndefined() ? Napi::Number::New(info.Env(), r) : info.Env().Undefined();
}

Napi::Value SigmoidAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_sigmoid(info)); }
Napi::Value BceAsync(const Napi::CallbackInfo& info) { return Queue(info, parse_bce(info)); }

}  // namespace

void init_sigmoid(Napi::Env env, Napi::Object exports) {
  exports.Set("sigmoid", Napi::Function::New(env, Sigmoid, "sigmoid"));
  exports.Set("sigmoidAsync", Napi::Function::New(env, SigmoidAsync, "sigmoidAsync"));
  exports.Set("bce", Napi::Function::New(env, Bce, "bce"));
  exports.Set("bceAsync", Napi::Function::New(env, BceAsync, "bceAsync"));
}

}  // namespace logitkit
