//===- Backends.cpp - The backends this build has -------------------------===//

#include "runtime/exec/Backends.h"

#include "runtime/cpu/CpuBackend.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gemma {

const std::vector<std::string> &BackendNames() {
  static const std::vector<std::string> names = {"cpu"};
  return names;
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const std::string &name,
                                                       int threads) {
  if (name == "cpu")
    return cpu::CreateCpuBackend(threads);
  return absl::UnavailableError(
      fmt::format("no '{}' backend in this build (it has: {})", name,
                  fmt::join(BackendNames(), ", ")));
}

} // namespace gemma
