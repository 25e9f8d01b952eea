//===- ThreadPool.cpp - Persistent workers for data-parallel kernels ------===//

#include "kernels/cpu/ThreadPool.h"

#include <algorithm>

namespace gemma::cpu {
namespace {

// Spins before sleeping: about the gap between two kernels of a decode step.
constexpr int kSpins = 20000;

} // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0)
    threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { Work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::For(int64_t n,
                     const std::function<void(int64_t, int64_t)> &body,
                     int64_t grain) {
  if (n <= 0)
    return;
  const int64_t parts = std::min<int64_t>(
      threads(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
  if (parts <= 1 || workers_.empty()) {
    body(0, n);
    return;
  }
  const int64_t chunk = (n + parts - 1) / parts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    chunk_ = chunk;
    pending_.store(int(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  body(0, std::min(n, chunk)); // the caller takes chunk 0
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin)
    if (spin > kSpins)
      std::this_thread::yield();
}

void ThreadPool::Work(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Spin for the next job, then sleep until one comes.
    for (int spin = 0;
         spin < kSpins && generation_.load(std::memory_order_acquire) == seen;
         ++spin) {
    }
    const std::function<void(int64_t, int64_t)> *body;
    int64_t begin, end;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return generation_.load(std::memory_order_acquire) != seen;
      });
      if (stop_)
        return;
      seen = generation_.load(std::memory_order_acquire);
      body = body_;
      begin = std::min(n_, index * chunk_);
      end = std::min(n_, begin + chunk_);
    }
    if (begin < end)
      (*body)(begin, end);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

} // namespace gemma::cpu
