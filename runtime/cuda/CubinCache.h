//===- CubinCache.h - Compiled CUDA modules on disk -------------*- C++ -*-===//
//
// NVRTC's cubins under the user's cache directory ($XDG_CACHE_HOME/gemma/
// cuda/), one file per module, named by a 128-bit hash of the module's
// source (which holds every shape of the bucket and the kernels' text, so
// a plan or a kernel that changes misses), the GPU architecture, the
// driver's and NVRTC's versions. Written to a private temporary file and
// renamed, so readers never see part of one; a file that is not an ELF
// image is ignored (and replaced by the next store).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_CUBINCACHE_H
#define RUNTIME_CUDA_CUBINCACHE_H

#include "absl/status/status.h"

#include <optional>
#include <string>
#include <string_view>

namespace gemma::cuda {

class CubinCache {
public:
  // `directory` "": no disk cache (Load misses, Store does nothing).
  explicit CubinCache(std::string directory)
      : directory_(std::move(directory)) {}

  static std::string Key(std::string_view source, int arch, int driver_version,
                         std::string_view nvrtc_version);

  std::string PathOf(const std::string &key) const;
  std::optional<std::string> Load(const std::string &key) const;
  absl::Status Store(const std::string &key, const std::string &cubin) const;

private:
  std::string directory_;
};

} // namespace gemma::cuda

#endif // RUNTIME_CUDA_CUBINCACHE_H
