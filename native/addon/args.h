// Unpacking and re-checking of arguments at the N-API boundary. The TypeScript layer validates
// everything first with friendlier messages; this layer trusts nothing and repeats every check that
// protects memory (types, lengths, overlap, detached buffers), so a wrong call from JS can never
// make a kernel read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

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

// a * b * c, throwing RangeError on overflow.
size_t checked_product(size_t a, size_t b, size_t c);

bool overlap(const View& a, const View& b);
bool same_range(const View& a, const View& b);

const char* type_name(napi_typedarray_type t);

}  // namespace logitkit
