//===- Gpu.h - What the CUDA backend needs of a device ----------*- C++ -*-===//
//
// Memory, kernel modules, and launch sequences recorded once and replayed:
// on a real GPU through the driver API (DriverGpu: NVRTC-compiled cubins,
// one CUDA graph per recording), or on the CPU through the kernel emulator
// (SimGpu, `--device cuda-sim`), which runs the very same kernel source and
// lets everything above this interface be tested without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_GPU_H
#define RUNTIME_CUDA_GPU_H

#include "kernels/cuda/Kernels.h"
#include "kernels/cuda/args.cuh"

#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gemma::cuda {

using DevicePtr = uint64_t;

class Module;

// One kernel launch: entry point `kernel` of `module` over `blocks` blocks.
struct LaunchArgs {
  const Module *module = nullptr;
  uint32_t kernel = 0;
  uint32_t blocks = 0;
  gk::KernelArgs args{};
};

struct HostCopy {
  void *host = nullptr;
  DevicePtr device = 0;
  size_t bytes = 0;
};

// A program's kernels, compiled for the device.
class Module {
public:
  virtual ~Module() = default;
};

// A launch sequence prepared for replay (a CUDA graph when graphs are on).
class Recording {
public:
  virtual ~Recording() = default;
};

// How a module was obtained (--verbose).
struct CompileReport {
  enum class From {
    kMemory,
    kDisk,
    kCompiled,
    kEmulated
  } from = From::kCompiled;
  double seconds = 0;
  std::string cache_file; // where the cubin lives on disk ("" if nowhere)
};

class Gpu {
public:
  virtual ~Gpu() = default;
  // One line: the device, its compute capability, memory, NVRTC.
  virtual std::string Describe() const = 0;
  // "NVIDIA H200 (compute 9.0)"; "" for the emulator.
  virtual std::string DeviceName() const { return ""; }
  // Device memory bandwidth in GB/s, measured by copying within it; 0 for
  // the emulator (its memory is the host's).
  virtual double MeasureBandwidth() { return 0; }
  // Whether Record can make CUDA graphs.
  virtual bool has_graphs() const { return true; }
  // Zero-filled device memory (ResourceExhausted when it does not fit).
  virtual absl::StatusOr<DevicePtr> Alloc(uint64_t bytes) = 0;
  virtual void Free(DevicePtr pointer) = 0;
  virtual absl::Status Upload(DevicePtr to, const void *from, size_t bytes) = 0;
  virtual absl::StatusOr<std::unique_ptr<Module>>
  Compile(std::span<const KernelShape> shapes, CompileReport &report) = 0;
  // `graph`: replay as one CUDA graph (ignored where there are none).
  virtual absl::StatusOr<std::unique_ptr<Recording>>
  Record(std::vector<LaunchArgs> launches, bool graph) = 0;
  // Copies `in` to the device, runs the recording, copies `out` back, and
  // waits. With `launch_seconds`, each launch is timed (and a graph is not
  // used for this run).
  virtual absl::Status Run(Recording &recording, std::span<const HostCopy> in,
                           std::span<const HostCopy> out,
                           std::vector<double> *launch_seconds) = 0;
};

// GPU `device` of the CUDA driver, with NVRTC; one line when there is no
// driver, no such device or no NVRTC.
absl::StatusOr<std::unique_ptr<Gpu>> CreateDriverGpu(int device);
// The kernel emulator on the CPU.
std::unique_ptr<Gpu> CreateSimGpu();

} // namespace gemma::cuda

#endif // RUNTIME_CUDA_GPU_H
