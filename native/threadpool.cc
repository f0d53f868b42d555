#include "threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace logitkit {
namespace {

// One parallel_for call. It lives on the caller's stack; the caller returns only when every piece
// is done and no worker still refers to it.
struct Job {
  const RangeFn* fn;
  size_t n = 0;
  size_t pieces = 0;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  int users = 0;  // workers holding this job (guarded by the pool mutex)

  // Claims and runs pieces until none is left.
  void work() {
    for (size_t p; (p = next.fetch_add(1)) < pieces;) {
      (*fn)(p * n / pieces, (p + 1) * n / pieces);
      done.fetch_add(1);
    }
  }
};

int default_threads() {
  if (const char* env = std::getenv("LOGITKIT_NUM_THREADS")) {
    const int v = std::atoi(env);
    if (v >= 1) return std::min(v, 1024);
  }
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

class Pool {
 public:
  Pool() : threads_(default_threads()) {}

  int threads() const { return threads_.load(); }
  void set_threads(int n) { threads_.store(std::max(1, std::min(n, 1024))); }

  void run(Job& job) {
    const size_t helpers = std::min<size_t>(job.pieces - 1, static_cast<size_t>(threads()) - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ensure_workers(helpers);
      queue_.push_back(&job);
    }
    queued_.fetch_add(1);
    cv_.notify_all();
    job.work();
    // The last pieces usually finish within microseconds: wait for them spinning, then sleep.
    for (int i = 0; i < kSpin && job.done.load() < job.pieces; ++i) relax();
    queued_.fetch_sub(1);
    std::unique_lock<std::mutex> lock(mu_);
    auto it = std::find(queue_.begin(), queue_.end(), &job);
    if (it != queue_.end()) queue_.erase(it);
    done_cv_.wait(lock, [&] { return job.users == 0 && job.done.load() == job.pieces; });
  }

 private:
  // Workers run code of this shared object until the process ends, so it must never be unloaded
  // (say when the last worker_threads environment that loaded it goes away): on Linux it is linked
  // with -z nodelete (native/sources.gypi), which makes dlclose leave it mapped.
  void ensure_workers(size_t count) {
    while (workers_ < count) {
      std::thread([this] { loop(); }).detach();
      ++workers_;
    }
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (queue_.empty()) {
        // A call's second pass (or the next call) usually follows within microseconds: spin a
        // little before parking, since waking a parked thread costs tens of microseconds.
        lock.unlock();
        for (int i = 0; i < kSpin && queued_.load() == 0; ++i) relax();
        lock.lock();
      }
      cv_.wait(lock, [&] { return !queue_.empty(); });
      Job* job = queue_.front();
      if (job->next.load() >= job->pieces) {  // nothing left to claim: drop it from the queue
        queue_.pop_front();
        continue;
      }
      ++job->users;
      lock.unlock();
      job->work();
      lock.lock();
      --job->users;
      done_cv_.notify_all();
    }
  }

  static constexpr int kSpin = 20000;  // ~tens of microseconds
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
  }

  std::atomic<int> threads_;
  std::atomic<int> queued_{0};  // calls in progress: a hint for spinning workers
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<Job*> queue_;
  size_t workers_ = 0;
};

// Created on first use and never destroyed: its threads are parked on a condition variable when
// idle and end with the process; no static destructor can run while they do.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallel_for(size_t n, size_t grain, RangeFn fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  Pool& p = pool();
  const size_t threads = static_cast<size_t>(p.threads());
  // A few pieces per thread even out rows of unequal cost; the partition never changes a result.
  const size_t pieces = std::min((n + grain - 1) / grain, threads * 4);
  if (pieces <= 1 || threads == 1) {
    fn(0, n);
    return;
  }
  Job job;
  job.fn = &fn;
  job.n = n;
  job.pieces = pieces;
  p.run(job);
}

int num_threads() { return pool().threads(); }
void set_num_threads(int n) { pool().set_threads(n); }

}  // namespace logitkit
