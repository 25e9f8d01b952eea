//===- ThreadPool.h - Persistent workers for data-parallel kernels -*- C++
//-*-===//
//
// A decode step runs a few hundred small kernels; starting threads per
// kernel, or putting workers to sleep between kernels, would cost more than
// the work. Workers live as long as the pool, spin briefly on a generation
// counter between jobs, and only then sleep on a condition variable.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_THREADPOOL_H
#define KERNELS_CPU_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gemma::cpu {

class ThreadPool {
public:
  // `threads` workers in all, the calling thread included; 0: one per core.
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return int(workers_.size()) + 1; }

  // Calls body(begin, end) on disjoint chunks covering [0, n), in parallel,
  // and returns when all are done. Chunks hold at least `grain` items.
  // Not reentrant: one For at a time.
  void For(int64_t n, const std::function<void(int64_t, int64_t)> &body,
           int64_t grain = 1);

private:
  void Work(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t n_ = 0, chunk_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
};

} // namespace gemma::cpu

#endif // KERNELS_CPU_THREADPOOL_H
