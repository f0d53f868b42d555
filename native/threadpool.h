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
#include <functional>

namespace logitkit {

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

// Threads a call may use (the calling thread included). Default: the CPUs available to the
// process (sched_getaffinity), or LOGITKIT_NUM_THREADS when set.
int num_threads();
void set_num_threads(int n);

}  // namespace logitkit
