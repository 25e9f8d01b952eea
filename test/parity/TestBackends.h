//===- TestBackends.h - Which backends a parity test can run ----*- C++ -*-===//

#ifndef TEST_PARITY_TESTBACKENDS_H
#define TEST_PARITY_TESTBACKENDS_H

#include "runtime/exec/Backends.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace gemma::testing {

// Why `backend` cannot run here (no Vulkan device ...), or nullopt. GPU
// backends keep their pipeline caches in one directory of the test run, not
// the user's (Mesa keeps its shader cache there too: one cold cache per
// test would compile every shader again).
inline std::optional<std::string> MissingBackend(const std::string &backend) {
  if (backend == "cpu")
    return std::nullopt;
  static const std::string cache =
      (std::filesystem::temp_directory_path() / "gemma-parity-cache").string();
  setenv("XDG_CACHE_HOME", cache.c_str(), 1);
  absl::StatusOr<std::unique_ptr<Backend>> created = CreateBackend(backend, 1);
  if (created.ok())
    return std::nullopt;
  return "no " + backend +
         " device: " + std::string(created.status().message());
}

} // namespace gemma::testing

#endif // TEST_PARITY_TESTBACKENDS_H
