//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The driver is never linked: it is dlopen'ed (libcuda.so.1, or the file
// GEMMA_CUDA_DRIVER names), so every binary starts on machines without a
// GPU and says in one line why CUDA is unavailable: no driver library, the
// toolkit's stub instead of a driver, a driver without a symbol we need, no
// device. Only the handful of entry points used are declared, with the
// driver API's stable C ABI.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_CUDADRIVER_H
#define RUNTIME_CUDA_CUDADRIVER_H

#include "runtime/cuda/DriverApi.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gemma::cuda {

struct GpuInfo {
  int index = 0;
  std::string name;
  int major = 0, minor = 0; // compute capability
  uint64_t total_bytes = 0;
  // From the device's primary context; 0 when it could not be made.
  uint64_t free_bytes = 0;
};

class Driver {
public:
  // `library` empty: $GEMMA_CUDA_DRIVER if set, else libcuda.so.1.
  static absl::StatusOr<std::unique_ptr<Driver>>
  Load(const std::string &library = "");
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;
  ~Driver();

  // The driver's CUDA version, e.g. 12040 for 12.4.
  int version() const { return version_; }
  absl::StatusOr<std::vector<GpuInfo>> Devices() const;
  // Whether the entry points for running kernels resolved (one line naming
  // the first missing one if not).
  absl::Status RequireCompute() const;
  const DriverApi &api() const { return *api_; }
  const std::string &path() const { return path_; }

private:
  Driver() = default;
  void *handle_ = nullptr;
  std::unique_ptr<DriverApi> api_;
  std::string path_;
  std::string missing_compute_;
  int version_ = 0;
};

} // namespace gemma::cuda

#endif // RUNTIME_CUDA_CUDADRIVER_H
