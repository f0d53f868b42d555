#include "args.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "../dispatch.h"

namespace logitkit {

const char* type_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

std::string describe(const Napi::Value& v) {
  if (v.IsTypedArray()) return type_name(v.As<Napi::TypedArray>().TypedArrayType());
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsArray()) return "Array";
  if (v.IsNumber()) return "number";
  if (v.IsBigInt()) return "bigint";
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  if (v.IsFunction()) return "function";
  return "object";
}

namespace {

size_t element_bytes(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 1;
  }
}

// One napi_get_typedarray_info per argument: each call walks V8's chain of IsInt8Array,
// IsUint8Array, ... to name the type (perf on a 1-element softmax: the type lookups of the three
// calls per array that this replaced were a quarter of the native entry's time). false: not a
// TypedArray.
bool typed_info(const Napi::Value& v, View& out, napi_value& buffer) {
  napi_env env = v.Env();
  size_t length = 0;
  void* data = nullptr;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &out.type, &length, &data, &buffer, &offset) != napi_ok) {
    // napi_invalid_arg (not a TypedArray) leaves no exception pending; anything else would
    napi_value pending;
    bool is_pending = false;
    if (napi_is_exception_pending(env, &is_pending) == napi_ok && is_pending) napi_get_and_clear_last_exception(env, &pending);
    return false;
  }
  out.data = data;
  out.length = length;
  out.bytes = length * element_bytes(out.type);
  return true;
}

// A detached buffer has length 0, so only an empty view needs the (second) query.
void check_attached(const Napi::Value& v, const View& view, napi_value buffer, const char* name) {
  if (view.length != 0) return;
  Napi::Env env = v.Env();
  bool detached = false;
  NAPI_THROW_IF_FAILED_VOID(env, napi_is_detached_arraybuffer(env, buffer, &detached));
  if (detached)
    throw Napi::TypeError::New(env, std::string(name) + ": expected a TypedArray whose buffer is not detached, got a detached " + type_name(view.type));
}

}  // namespace

View typed_array(const Napi::Value& v, const char* name) {
  View view{};
  napi_value buffer = nullptr;
  if (!typed_info(v, view, buffer))
    throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected a TypedArray, got " + describe(v));
  check_attached(v, view, buffer, name);
  return view;
}

View float_array(const Napi::Value& v, const char* name) {
  View view{};
  napi_value buffer = nullptr;
  if (!typed_info(v, view, buffer) || (view.type != napi_float32_array && view.type != napi_float64_array))
    throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected Float32Array or Float64Array, got " + describe(v));
  check_attached(v, view, buffer, name);
  return view;
}

const char* elem_name(Elem e) {
  switch (e) {
    case Elem::F16: return "Uint16Array of float16";
    case Elem::BF16: return "Uint16Array of bfloat16";
    case Elem::F64: return "Float64Array";
    default: return "Float32Array";
  }
}

namespace {

// (anything but a number, e.g. undefined: 0, which is always memory-safe: float arrays checked)
Elem half_code(const Napi::Value& code, const char* name) {
  const double c = number_or(code, 0);
  if (c == 1) return Elem::F16;
  if (c == 2) return Elem::BF16;
  if (c == 0) return Elem::F32;
  throw Napi::RangeError::New(code.Env(), std::string(name) + ": expected an element type code 0, 1 or 2, got " + describe(code));
}

View uint16_array(const Napi::Value& v, const char* name, const char* dtype) {
  View view{};
  napi_value buffer = nullptr;
  if (!typed_info(v, view, buffer) || view.type != napi_uint16_array)
    throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected a Uint16Array of " + dtype + " bits, got " + describe(v));
  check_attached(v, view, buffer, name);
  return view;
}

}  // namespace

Floats float_data(const Napi::Value& v, const Napi::Value& code, const char* name) {
  const Elem e = half_code(code, name);
  if (e == Elem::F32) {
    const View view = float_array(v, name);
    return Floats{view, view.type == napi_float32_array ? Elem::F32 : Elem::F64};
  }
  return Floats{uint16_array(v, name, e == Elem::F16 ? "float16" : "bfloat16"), e};
}

Floats out_data(const Napi::Value& v, const Napi::Value& code, const Floats& like, const char* name) {
  const Elem e = half_code(code, name);
  const bool half_in = like.e == Elem::F16 || like.e == Elem::BF16;
  if (e != Elem::F32) {
    if (like.e == Elem::F64)
      throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected a " + elem_name(like.e) + " for " + elem_name(like.e) + " input, got a half-precision output");
    return Floats{uint16_array(v, name, e == Elem::F16 ? "float16" : "bfloat16"), e};
  }
  const Elem want = half_in ? Elem::F32 : like.e;
  View view{};
  napi_value buffer = nullptr;
  const napi_typedarray_type t = want == Elem::F64 ? napi_float64_array : napi_float32_array;
  if (!typed_info(v, view, buffer) || view.type != t)
    throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected " + type_name(t) + ", got " + describe(v));
  check_attached(v, view, buffer, name);
  return Floats{view, want};
}

View param_array(const Napi::Value& v, const Floats& like, const char* name) {
  const napi_typedarray_type t = like.e == Elem::F64 ? napi_float64_array : napi_float32_array;
  View view{};
  napi_value buffer = nullptr;
  if (!typed_info(v, view, buffer) || view.type != t)
    throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected " + type_name(t) + ", got " + describe(v));
  check_attached(v, view, buffer, name);
  return view;
}

size_t dimension(const Napi::Value& v, const char* name) {
  const double d = number_or(v, -1.0);  // (no typeof first: one N-API call, not two)
  if (!(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d))
    throw Napi::RangeError::New(v.Env(), std::string(name) + ": expected a non-negative safe integer, got " + describe(v));
  return static_cast<size_t>(d);
}

Dims tensor_dims(const Napi::CallbackInfo& info, size_t first) {
  return Dims{dimension(info[first], "outer"), dimension(info[first + 1], "classes"),
              dimension(info[first + 2], "inner")};
}

View int32_array(const Napi::Value& v, const char* name) {
  View view{};
  napi_value buffer = nullptr;
  if (!typed_info(v, view, buffer) || view.type != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(name) + ": expected Int32Array, got " + describe(v));
  check_attached(v, view, buffer, name);
  return view;
}

double number_or(const Napi::Value& v, double fallback) {
  double d = fallback;
  if (napi_get_value_double(v.Env(), v, &d) != napi_ok) d = fallback;
  return d;
}

double number_arg(const Napi::Value& v, const char* name, const char* what) {
  double d = 0;
  if (napi_get_value_double(v.Env(), v, &d) != napi_ok)
    throw Napi::RangeError::New(v.Env(), std::string(name) + ": expected " + what + ", got " + describe(v));
  return d;
}

size_t checked_product(size_t a, size_t b, size_t c) {
  size_t ab, abc;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc)) return SIZE_MAX;
  return abc;
}

bool overlap(const View& a, const View& b) {
  if (a.bytes == 0 || b.bytes == 0) return false;
  const auto a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  return a0 < b0 + b.bytes && b0 < a0 + a.bytes;
}

bool same_range(const View& a, const View& b) { return a.data == b.data && a.bytes == b.bytes; }

const KernelTable& active(const Napi::Env& env) {
  const Dispatch& d = dispatch();
  if (!d.active) throw Napi::Error::New(env, d.error);
  return *d.active;
}

void check_length(const Napi::Env& env, const View& v, size_t expected, const char* name) {
  if (v.length != expected)
    throw Napi::RangeError::New(env, std::string(name) + ": expected " + std::to_string(expected) +
                                         " elements, got " + std::to_string(v.length));
}

void check_same_type(const Napi::Env& env, const View& v, const View& like, const char* name) {
  if (v.type != like.type)
    throw Napi::TypeError::New(env, std::string(name) + ": expected " + type_name(like.type) + ", got " + type_name(v.type));
}

bool given(const Napi::Value& v) { return !v.IsNull() && !v.IsUndefined(); }

void check_no_overlap(const Napi::Env& env, const View& out, const View& in, const char* out_name,
                      const char* in_name, bool allow_same) {
  if (!overlap(out, in)) return;
  if (allow_same && same_range(out, in) && out.type == in.type) return;
  throw Napi::RangeError::New(env, std::string(out_name) + ": expected " +
                                       (allow_same ? std::string(in_name) + " itself or memory that does not overlap it"
                                                   : std::string("memory that does not overlap ") + in_name) +
                                       ", got a view that overlaps " + in_name);
}

std::string js_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  // the shortest digits d1.d2...dk x 10^e that read back as v (std::to_chars would do it, but
  // needs GLIBCXX_3.4.29, above the binaries' floor), then ECMAScript's Number::toString layout
  char buf[64];
  for (int p = 0; p < 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p, std::fabs(v));
    if (std::strtod(buf, nullptr) == std::fabs(v)) break;
  }
  const std::string sci(buf);
  const size_t epos = sci.find('e');
  std::string digits = sci.substr(0, 1) + (epos > 2 ? sci.substr(2, epos - 2) : "");
  const int e = std::atoi(sci.c_str() + epos + 1);
  const int k = static_cast<int>(digits.size()), n = e + 1;  // value = 0.digits * 10^n
  std::string out = v < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(-n, '0') + digits;
  } else {
    out += digits.substr(0, 1) + (k > 1 ? "." + digits.substr(1) : "") + "e" + (n - 1 >= 0 ? "+" : "-") +
           std::to_string(std::abs(n - 1));
  }
  return out;
}

}  // namespace logitkit
