//===- PlanCache.h - A weight file compiled on first use --------*- C++ -*-===//
//
// `gemma-exec model.gguf -p ...` works as llama.cpp's one command does: a
// model that is not a .plan (a GGUF, a gemma.cpp .sbs, a Hugging Face
// checkpoint directory) is compiled once, by the gemma-compile installed
// beside gemma-exec, into the user's cache, and the cached plan is used
// from then on.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_PLANCACHE_H
#define TOOLS_COMMON_PLANCACHE_H

#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

struct PlanRequest {
  std::string model;    // a .plan, a weight file or a checkpoint directory
  uint32_t context = 0; // -c: KV positions to compile for (0: the default)
  bool verbose = false;
  // Decode buckets to compile beyond gemma-compile's default (a server's
  // batch); empty: the default. Part of the cached plan's name.
  std::vector<int64_t> decode_buckets;
  std::string tool = "gemma-exec"; // who says so on stderr
};

// The context a model gets compiled for without -c: the model's own where
// smaller (a 32K- or 128K-position cache costs gigabytes on larger models).
inline constexpr uint32_t kDefaultContext = 4096;

// Whether `path` is a regular file starting with the .plan magic.
bool IsPlanFile(const std::string &path);

// The .plan to run for `request.model`: the model itself when it is a
// .plan, else the cached plan compiled from it. The cache is
// $XDG_CACHE_HOME/gemma/plans (default ~/.cache/gemma/plans); a plan's name
// there holds a fingerprint of the weight file (path, size, modification
// time, inode; every file of a checkpoint directory), the context and the
// gemma-compile binary, so that a changed file, another -c or a rebuilt
// compiler compile anew (the new plan replaces the file's stale one for
// that context). Compiling says so on stderr with its time. One line
// naming the model on failure.
absl::StatusOr<std::string> ResolvePlan(const PlanRequest &request);

} // namespace gemma

#endif // TOOLS_COMMON_PLANCACHE_H
