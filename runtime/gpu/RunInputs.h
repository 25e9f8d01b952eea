//===- RunInputs.h - What a GPU program run is given, checked ---*- C++ -*-===//

#ifndef RUNTIME_GPU_RUNINPUTS_H
#define RUNTIME_GPU_RUNINPUTS_H

#include "absl/status/status.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace gemma::gpu {

// The ids and positions a program's arguments 0 and 1 hold, caches of its
// layout (its arguments from 2 on) and ids inside the vocabulary of the
// embedding table (`vocab` < 0: not known), before anything is uploaded.
inline absl::Status CheckRunInputs(std::span<const int32_t> ids,
                                   std::span<const int32_t> positions,
                                   const std::vector<int64_t> &arg_elements,
                                   const std::vector<int64_t> &cache_elements,
                                   int64_t vocab) {
  if (int64_t(ids.size()) != arg_elements[0] ||
      int64_t(positions.size()) != arg_elements[1])
    return absl::InvalidArgumentError(
        fmt::format("{} ids and {} positions for a program of {}", ids.size(),
                    positions.size(), arg_elements[0]));
  if (!std::equal(arg_elements.begin() + 2, arg_elements.end(),
                  cache_elements.begin(), cache_elements.end()))
    return absl::InvalidArgumentError(
        "KV caches of another layout than the program's");
  for (int32_t id : ids)
    if (id < 0 || (vocab >= 0 && id >= vocab))
      return absl::OutOfRangeError(fmt::format(
          "token id {} is outside the vocabulary of {}", id, vocab));
  return absl::OkStatus();
}

} // namespace gemma::gpu

#endif // RUNTIME_GPU_RUNINPUTS_H
