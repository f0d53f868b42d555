// Work splitting for the ops layer. parallel_for(n, grain, fn) calls fn(begin, end) over a
// partition of [0, n) into pieces of at least `grain` units. The partition is what the ops layer
// controls; which thread runs a piece never changes a result.
#pragma once

#include <cstddef>
#include <functional>

namespace logitkit {

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

int num_threads();
void set_num_threads(int n);

}  // namespace logitkit
