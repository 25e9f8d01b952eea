//===- KernelTimes.h - A GPU backend's --profile totals ---------*- C++ -*-===//

#ifndef RUNTIME_GPU_KERNELTIMES_H
#define RUNTIME_GPU_KERNELTIMES_H

#include "runtime/Backend.h"

#include <array>

namespace gemma::gpu {

// Per plan kernel, while profiling is on: calls, device seconds (timed
// around each dispatch or launch) and the weight bytes the calls read.
struct KernelTimes {
  std::array<uint64_t, plan::kKernelCount> calls{};
  std::array<double, plan::kKernelCount> seconds{};
  std::array<uint64_t, plan::kKernelCount> weight_bytes{};

  // One dispatch of `kernel` took `s` seconds; `first` counts the call
  // (and the `bytes` it reads) once, however many dispatches it has.
  void Add(plan::Kernel kernel, double s, bool first, uint64_t bytes) {
    const size_t k = static_cast<size_t>(kernel);
    seconds[k] += s;
    if (first) {
      ++calls[k];
      weight_bytes[k] += bytes;
    }
  }
  std::vector<KernelProfile> Sorted() const {
    return SortedKernelProfiles(calls, seconds, weight_bytes);
  }
};

// A GPU backend with its --profile switch: its programs keep a reference
// to `profiling()`, which points at the totals while profiling is on and
// is null otherwise.
class ProfiledBackend : public Backend {
public:
  void SetProfiling(bool on) override {
    times_ = KernelTimes();
    profiling_ = on ? &times_ : nullptr;
  }
  std::vector<KernelProfile> Profile() const override {
    return times_.Sorted();
  }

protected:
  KernelTimes *const &profiling() const { return profiling_; }

private:
  KernelTimes times_;
  KernelTimes *profiling_ = nullptr;
};

} // namespace gemma::gpu

#endif // RUNTIME_GPU_KERNELTIMES_H
