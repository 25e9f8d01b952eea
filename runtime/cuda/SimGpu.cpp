//===- SimGpu.cpp - The CUDA backend's device, emulated on the CPU --------===//

#include "runtime/cuda/Gpu.h"

#include "kernels/cuda/host/Emulator.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>

namespace gemma::cuda {
namespace {

struct SimModule : Module {
  std::vector<KernelShape> shapes;
};

struct SimRecording : Recording {
  std::vector<LaunchArgs> launches;
};

class SimGpu : public Gpu {
public:
  ~SimGpu() override {
    for (auto &[pointer, bytes] : allocations_)
      std::free(reinterpret_cast<void *>(pointer));
  }

  std::string Describe() const override {
    return "cuda-sim: the CUDA kernels emulated on the CPU, one thread per "
           "fiber (for testing without a GPU; slow)";
  }

  bool has_graphs() const override { return false; }

  absl::StatusOr<DevicePtr> Alloc(uint64_t bytes) override {
    const uint64_t rounded = (std::max<uint64_t>(bytes, 1) + 255) / 256 * 256;
    void *p = std::aligned_alloc(256, rounded);
    if (!p)
      return absl::ResourceExhaustedError(
          fmt::format("cuda-sim: {} bytes do not fit in memory", bytes));
    std::memset(p, 0, rounded);
    const auto pointer = reinterpret_cast<DevicePtr>(p);
    allocations_[pointer] = rounded;
    return pointer;
  }

  void Free(DevicePtr pointer) override {
    if (allocations_.erase(pointer))
      std::free(reinterpret_cast<void *>(pointer));
  }

  absl::Status Upload(DevicePtr to, const void *from, size_t bytes) override {
    std::memcpy(reinterpret_cast<void *>(to), from, bytes);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Module>>
  Compile(std::span<const KernelShape> shapes, CompileReport &report) override {
    auto module = std::make_unique<SimModule>();
    module->shapes.assign(shapes.begin(), shapes.end());
    report = {CompileReport::From::kEmulated, 0.0, ""};
    return std::unique_ptr<Module>(std::move(module));
  }

  absl::StatusOr<std::unique_ptr<Recording>>
  Record(std::vector<LaunchArgs> launches, bool) override {
    auto rec = std::make_unique<SimRecording>();
    for (const LaunchArgs &l : launches)
      if (!l.module ||
          l.kernel >= static_cast<const SimModule *>(l.module)->shapes.size())
        return absl::InternalError("cuda-sim: a launch of no kernel");
    rec->launches = std::move(launches);
    return std::unique_ptr<Recording>(std::move(rec));
  }

  absl::Status Run(Recording &recording, std::span<const HostCopy> in,
                   std::span<const HostCopy> out,
                   std::vector<double> *launch_seconds) override {
    auto &rec = static_cast<SimRecording &>(recording);
    for (const HostCopy &c : in)
      std::memcpy(reinterpret_cast<void *>(c.device), c.host, c.bytes);
    if (launch_seconds)
      launch_seconds->assign(rec.launches.size(), 0.0);
    for (size_t i = 0; i < rec.launches.size(); ++i) {
      const LaunchArgs &l = rec.launches[i];
      const auto start = std::chrono::steady_clock::now();
      if (absl::Status s = host::Launch(
              static_cast<const SimModule *>(l.module)->shapes[l.kernel],
              l.blocks, l.args);
          !s.ok())
        return s;
      if (launch_seconds)
        (*launch_seconds)[i] = std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
    }
    for (const HostCopy &c : out)
      std::memcpy(c.host, reinterpret_cast<const void *>(c.device), c.bytes);
    return absl::OkStatus();
  }

private:
  std::map<DevicePtr, uint64_t> allocations_;
};

} // namespace

std::unique_ptr<Gpu> CreateSimGpu() { return std::make_unique<SimGpu>(); }

} // namespace gemma::cuda
