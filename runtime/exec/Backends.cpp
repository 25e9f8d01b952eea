//===- Backends.cpp - The backends this build has -------------------------===//
//
// The backend registry: the one place that names this build's backends.
// Each backend library describes itself (a BackendRegistration: name, plan
// target, devices, factory); tools, sessions and tests find backends here.
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/Backends.h"

#include "runtime/cpu/CpuBackend.h"
#include "runtime/cuda/CudaBackend.h"
#include "runtime/vulkan/VulkanBackend.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace gemma {

const std::vector<BackendRegistration> &RegisteredBackends() {
  static const std::vector<BackendRegistration> registry = {
      cpu::CpuRegistration(), vulkan::VulkanRegistration(),
      cuda::CudaRegistration(), cuda::CudaSimRegistration()};
  return registry;
}

const std::vector<std::string> &BackendNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const BackendRegistration &b : RegisteredBackends())
      out.push_back(b.name);
    return out;
  }();
  return names;
}

std::vector<std::string> PlanTargets() {
  std::vector<std::string> out;
  for (const BackendRegistration &b : RegisteredBackends())
    if (std::find(out.begin(), out.end(), b.plan_target) == out.end())
      out.push_back(b.plan_target);
  return out;
}

std::vector<std::string> DeviceLines() {
  // By backend name, so a backend's lines stay together and in one order.
  std::vector<const BackendRegistration *> by_name;
  for (const BackendRegistration &b : RegisteredBackends())
    by_name.push_back(&b);
  std::sort(by_name.begin(), by_name.end(),
            [](const auto *a, const auto *b) { return a->name < b->name; });
  std::vector<std::string> lines;
  for (const BackendRegistration *b : by_name)
    for (std::string &line : b->devices())
      lines.push_back(std::move(line));
  return lines;
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const std::string &name,
                                                       int threads) {
  for (const BackendRegistration &b : RegisteredBackends()) {
    if (name != b.name && !(b.numbered && name.starts_with(b.name + ":")))
      continue;
    int device = 0;
    if (name != b.name) {
      // name:N, N from --print-backend's list.
      const std::string index = name.substr(b.name.size() + 1);
      if (index.empty() ||
          index.find_first_not_of("0123456789") != std::string::npos ||
          index.size() > 4)
        return absl::InvalidArgumentError(
            fmt::format("'{}': a {} device is {}:N", name, b.title, b.name));
      device = std::stoi(index);
    }
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        b.create(device, threads);
    if (!backend.ok())
      return absl::Status(backend.status().code(),
                          fmt::format("{}: {}", b.name,
                                      std::string(backend.status().message())));
    return backend;
  }
  return absl::UnavailableError(
      fmt::format("no '{}' backend in this build (it has: {})", name,
                  fmt::join(BackendNames(), ", ")));
}

} // namespace gemma
