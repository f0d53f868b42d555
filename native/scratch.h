// Per-thread, grow-only scratch vectors for per-row temporaries (class indices as int64, per-row
// losses). Fresh memory costs a page fault per 4 KiB page on first touch (~11 us each on the
// machine the benchmark ran on): for 100000 rows of 3 classes that was most of a cross-entropy
// call. Up to kScratchKeep elements stay allocated per thread and slot; larger requests use memory
// of their own. Only for memory used within one call on one thread (an async call's targets live
// on past its parse, so they are not scratch).
#pragma once

#include <cstddef>
#include <vector>

namespace logitkit {

constexpr size_t kScratchKeep = size_t(1) << 22;  // 32 MB of int64 or double

template <class T, int Slot>
std::vector<T>& thread_scratch() {
  thread_local std::vector<T> v;
  return v;
}

}  // namespace logitkit
