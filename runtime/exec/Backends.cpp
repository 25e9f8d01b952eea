//===- Backends.cpp - The backends this build has -------------------------===//

#include "runtime/exec/Backends.h"

#include "runtime/cpu/CpuBackend.h"
#include "runtime/cuda/CudaBackend.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/vulkan/VulkanBackend.h"
#include "runtime/vulkan/VulkanDevice.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gemma {

const std::vector<std::string> &BackendNames() {
  static const std::vector<std::string> names = {"cpu", "vulkan", "cuda",
                                                 "cuda-sim"};
  return names;
}

std::vector<std::string> DeviceLines() {
  std::vector<std::string> lines;
  absl::StatusOr<std::unique_ptr<cuda::Driver>> driver = cuda::Driver::Load();
  absl::StatusOr<std::vector<cuda::GpuInfo>> gpus =
      driver.ok() ? (*driver)->Devices()
                  : absl::StatusOr<std::vector<cuda::GpuInfo>>(driver.status());
  if (!gpus.ok())
    lines.push_back(
        fmt::format("cuda: none ({})", std::string(gpus.status().message())));
  else
    for (const cuda::GpuInfo &gpu : *gpus)
      lines.push_back(fmt::format(
          "cuda:{}: {} (compute {}.{}, {:.1f} of {:.1f} GiB free, driver "
          "{}.{})",
          gpu.index, gpu.name, gpu.major, gpu.minor,
          double(gpu.free_bytes) / double(1ull << 30),
          double(gpu.total_bytes) / double(1ull << 30),
          (*driver)->version() / 1000, (*driver)->version() % 1000 / 10));
  lines.push_back("cuda-sim: the CUDA kernels emulated on the CPU (for "
                  "testing without a GPU; slow)");
  absl::StatusOr<std::vector<std::string>> vulkan = vulkan::ListDevices();
  if (!vulkan.ok())
    lines.push_back(fmt::format("vulkan: none ({})",
                                std::string(vulkan.status().message())));
  else
    for (const std::string &line : *vulkan)
      lines.push_back("vulkan:" + line);
  return lines;
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const std::string &name,
                                                       int threads) {
  if (name == "cpu")
    return cpu::CreateCpuBackend(threads);
  if (name == "cuda-sim")
    return cuda::CreateCudaSimBackend();
  // vulkan or vulkan:N, cuda or cuda:N (N from --print-backend's list).
  for (const std::string kind : {"vulkan", "cuda"}) {
    if (name != kind && !name.starts_with(kind + ":"))
      continue;
    int device = 0;
    if (name.size() > kind.size()) {
      const std::string index = name.substr(kind.size() + 1);
      if (index.empty() ||
          index.find_first_not_of("0123456789") != std::string::npos ||
          index.size() > 4)
        return absl::InvalidArgumentError(
            fmt::format("'{}': a {} device is {}:N", name,
                        kind == "cuda" ? "CUDA" : "Vulkan", kind));
      device = std::stoi(index);
    }
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        kind == "cuda" ? cuda::CreateCudaBackend(device)
                       : vulkan::CreateVulkanBackend(device);
    if (!backend.ok())
      return absl::Status(
          backend.status().code(),
          fmt::format("{}: {}", kind, std::string(backend.status().message())));
    return backend;
  }
  return absl::UnavailableError(
      fmt::format("no '{}' backend in this build (it has: {})", name,
                  fmt::join(BackendNames(), ", ")));
}

} // namespace gemma
