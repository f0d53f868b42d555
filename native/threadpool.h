// A persistent pool of worker threads, created lazily once per process and shared by every
// JavaScript environment (main thread and worker_threads) that loads the addon.
//
// parallel_for(n, grain, fn) calls fn(begin, end) over a partition of [0, n) into contiguous pieces
// of at least `grain` units, on the calling thread and on pool workers; it returns when all pieces
// are done. The ops layer makes every piece's result independent of the partition (rows are
// independent, chunks merge in a fixed order afterwards), so results never depend on the thread
// count. Work of one piece or less runs inline: a small call pays no hand-off.
#pragma once

#include <cstddef>
#include <type_traits>

namespace logitkit {

// A non-owning reference to a callable fn(begin, end), valid while the callable lives (parallel_for
// returns before its argument dies). std::function heap-allocated the ops' lambdas, which capture
// more than its small buffer holds: a malloc and a free on every call, small ones included.
class RangeFn {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFn>>>
  RangeFn(const F& f)  // NOLINT: implicit, so that a lambda can be passed as it is
      : obj_(&f), call_([](const void* o, size_t b, size_t e) { (*static_cast<const F*>(o))(b, e); }) {}
  void operator()(size_t b, size_t e) const { call_(obj_, b, e); }

 private:
  const void* obj_;
  void (*call_)(const void*, size_t, size_t);
};

void parallel_for(size_t n, size_t grain, RangeFn fn);

// Threads a call may use (the calling thread included). Default: the CPUs available to the
// process (sched_getaffinity), or LOGITKIT_NUM_THREADS when set.
int num_threads();
void set_num_threads(int n);

}  // namespace logitkit
