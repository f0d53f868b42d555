// Unpacking and re-checking of arguments at the N-API boundary. The TypeScript layer validates
// everything first with friendlier messages; this layer trusts nothing and repeats every check that
// protects memory (types, lengths, overlap, detached buffers), so a wrong call from JS can never
// make a kernel read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

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
