#include "threadpool.h"

namespace logitkit {

// Single-threaded for now: every piece runs on the calling thread, in order.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  (void)grain;
  if (n > 0) fn(0, n);
}

int num_threads() { return 1; }
void set_num_threads(int) {}

}  // namespace logitkit
