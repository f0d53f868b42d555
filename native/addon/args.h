// Unpacking and re-checking of arguments at the N-API boundary. The TypeScript layer validates
// everything first with friendlier messages; this layer trusts nothing and repeats every check that
// protects memory (types, lengths, overlap, detached buffers), so a wrong call from JS can never
// make a kernel read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>
#include <type_traits>

#include "../ops/ops.h"

namespace logitkit {

struct View {
  napi_typedarray_type type;
  void* data;
  size_t length;  // elements
  size_t bytes;
};

// Name of a value's type for messages: "Float32Array", "number", "undefined", ...
std::string describe(const Napi::Value& v);

// Any TypedArray (not DataView), checked not to be detached.
View typed_array(const Napi::Value& v, const char* name);

// A Float32Array or Float64Array.
View float_array(const Napi::Value& v, const char* name);

// A non-negative integer below 2^53, as size_t.
size_t dimension(const Napi::Value& v, const char* name);

// Dims{outer, classes, inner} from info[first], info[first + 1], info[first + 2].
Dims tensor_dims(const Napi::CallbackInfo& info, size_t first);

// An Int32Array (an index output), checked not to be detached.
View int32_array(const Napi::Value& v, const char* name);

// A number, or RangeError "<name>: expected <what>, got <v>".
double number_arg(const Napi::Value& v, const char* name, const char* what);

// The value of a number, or `fallback` for anything else (one N-API call).
double number_or(const Napi::Value& v, double fallback);

// a * b * c, throwing RangeError on overflow.
size_t checked_product(size_t a, size_t b, size_t c);

// The element type of a float argument. Half-precision data arrive as a Uint16Array of bits with a
// code saying which half type they are (the TypeScript layer's dtype / outDtype options).
enum class Elem { F32, F64, F16, BF16 };

struct Floats {
  View v;
  Elem e;
};

// code 0: a Float32Array or Float64Array; code 1 / 2: a Uint16Array of float16 / bfloat16 bits.
Floats float_data(const Napi::Value& v, const Napi::Value& code, const char* name);

// An output of a call whose input is `like`: code 0, the input's type for float32 / float64 input
// and a Float32Array for half input; code 1 / 2 (float32 and half input), a Uint16Array of float16
// / bfloat16 bits. Its length is checked by the caller.
Floats out_data(const Napi::Value& v, const Napi::Value& code, const Floats& like, const char* name);

// A parameter array (weights) of a call whose input is `like`: of like's type for float32 and
// float64 input, a Float32Array for half input.
View param_array(const Napi::Value& v, const Floats& like, const char* name);

// "Float32Array", "Float64Array", "Uint16Array of float16", "Uint16Array of bfloat16"
const char* elem_name(Elem e);

// What the kernels compute in for input elements X.
template <class X>
using ComputeOf = std::conditional_t<std::is_same_v<X, double>, double, float>;

template <class X>
struct Tag {
  using type = X;
};

// f(Tag<X>{}, Tag<Y>{}) for input elements x and output elements y (float64 in and out; float32 or
// half in, float32 or half out: what out_data allows).
template <class F>
decltype(auto) with_elems(Elem x, Elem y, F&& f) {
  auto float_in = [&](auto tx) -> decltype(auto) {
    switch (y) {
      case Elem::F16: return f(tx, Tag<F16>{});
      case Elem::BF16: return f(tx, Tag<BF16>{});
      default: return f(tx, Tag<float>{});
    }
  };
  switch (x) {
    case Elem::F16: return float_in(Tag<F16>{});
    case Elem::BF16: return float_in(Tag<BF16>{});
    case Elem::F64: return f(Tag<double>{}, Tag<double>{});
    default: return float_in(Tag<float>{});
  }
}

bool overlap(const View& a, const View& b);
bool same_range(const View& a, const View& b);

const char* type_name(napi_typedarray_type t);

// v as JavaScript's String(v) writes it (shortest round trip; NaN, Infinity, 1e+21, 1e-7).
std::string js_number(double v);

struct KernelTable;
// The kernels dispatch.cc chose (an Error if LOGITKIT_ISA named one this CPU lacks).
const KernelTable& active(const Napi::Env& env);

// RangeError "<name>: expected <n> elements, got <m>" unless v has `expected` elements.
void check_length(const Napi::Env& env, const View& v, size_t expected, const char* name);

// TypeError "<name>: expected <like's type>, got <v's type>" unless v has the element type of like.
void check_same_type(const Napi::Env& env, const View& v, const View& like, const char* name);

// An optional argument: anything but null and undefined.
bool given(const Napi::Value& v);

// RangeError unless `out` and `in` share no byte; with allow_same, out may also be exactly in.
void check_no_overlap(const Napi::Env& env, const View& out, const View& in, const char* out_name,
                      const char* in_name, bool allow_same);

}  // namespace logitkit
