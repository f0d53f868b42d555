// The op families whose N-API entry points live in files of their own: each adds its functions to
// the module's exports (addon.cc's Init calls them).
#pragma once

#include <napi.h>

namespace logitkit {

// sigmoid, logSigmoid, binaryCrossEntropyWithLogits and their async twins (sigmoid.cc)
void init_sigmoid(Napi::Env env, Napi::Object exports);

// argmax, topK, sample and their async twins (decide.cc)
void init_decide(Napi::Env env, Napi::Object exports);

}  // namespace logitkit
