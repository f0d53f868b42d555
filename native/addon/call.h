// A checked call and its async form, shared by the N-API entry points of every op family
// (addon.cc, sigmoid.cc).
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace logitkit {

// A RangeError found while a checked call runs (a value that only the kernels' pass reads, e.g. a
// BCE target outside [0, 1]), thrown before any output byte is written: the sync entry point
// rethrows it as a RangeError, AsyncCall rejects with one.
struct RangeFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// c.run() on the calling thread, a RangeFailure turned into a JavaScript RangeError.
template <class C>
double run_sync(const Napi::Env& env, C& c) {
  try {
    return c.run();
  } catch (const RangeFailure& e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

// A checked call: everything the kernels need, gathered and validated on the JS thread, so that
// run() can happen there (sync) or on a libuv worker (async) alike. Held by value, with its
// lambda's own type: a sync call allocates nothing here (a std::function and a vector of buffers
// were a malloc and a free each, on every call); AsyncCall type-erases it.
struct Buffers {
  Napi::Value v[6];
  size_t n = 0;
  void add(Napi::Value b) { v[n++] = b; }
};
template <class F>
struct Call {
  F run;
  Buffers buffers;     // kept alive (and checked for detaching) by async calls
  Napi::Value result;  // what the promise resolves to, or undefined for a number
};
template <class F>
Call<F> make_call(F run) {
  return Call<F>{std::move(run), Buffers{}, Napi::Value()};
}

// Async: the checked call runs on a libuv worker thread (which splits it over the pool like a sync
// call). The buffers stay referenced until it completes; if one was detached meanwhile (transferred
// or structuredClone'd away), the promise rejects instead of resolving to an array with no memory.
class AsyncCall : public Napi::AsyncWorker {
 public:
  template <class F>
  AsyncCall(Napi::Env env, Call<F> call)
      : Napi::AsyncWorker(env, "logitkit"), deferred_(Napi::Promise::Deferred::New(env)), run_(std::move(call.run)) {
    for (size_t i = 0; i < call.buffers.n; ++i) refs_.push_back(Napi::Persistent(call.buffers.v[i].template As<Napi::Object>()));
    has_result_ = !call.result.IsUndefined();
    if (has_result_) result_ = Napi::Persistent(call.result.template As<Napi::Object>());
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      value_ = run_();
    } catch (const RangeFailure& e) {
      range_ = true;
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    for (const Napi::ObjectReference& r : refs_) {
      napi_value buffer = nullptr;
      napi_get_typedarray_info(env, r.Value(), nullptr, nullptr, nullptr, &buffer, nullptr);
      bool detached = false;
      if (buffer) napi_is_detached_arraybuffer(env, buffer, &detached);
      if (detached) {
        deferred_.Reject(Napi::TypeError::New(env, "a buffer of this call was detached while the call was in flight; its result is lost").Value());
        return;
      }
    }
    if (has_result_) deferred_.Resolve(result_.Value());
    else deferred_.Resolve(Napi::Number::New(env, value_));
  }
  void OnError(const Napi::Error& e) override {
    if (range_) deferred_.Reject(Napi::RangeError::New(Env(), e.Message()).Value());
    else deferred_.Reject(e.Value());
  }
  // When a worker is terminated while its call is in flight, its environment is torn down and
  // settling the promise fails; node-addon-api reports that as a C++ exception, which must not
  // reach libuv (std::terminate: the whole process would die). Nothing can observe the promise
  // any more, so the failure is dropped (NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS covers the
  // rethrow inside node-addon-api; this covers the rest, e.g. opening the handle scope).
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (...) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<double()> run_;
  std::vector<Napi::ObjectReference> refs_;
  Napi::ObjectReference result_;
  bool has_result_ = false;
  bool range_ = false;
  double value_ = 0;
};

template <class F>
inline Napi::Value Queue(const Napi::CallbackInfo& info, Call<F> call) {
  auto* w = new AsyncCall(info.Env(), std::move(call));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace logitkit
