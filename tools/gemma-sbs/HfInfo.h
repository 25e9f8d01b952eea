//===- HfInfo.h - What `gemma-sbs info` prints of a checkpoint --*- C++ -*-===//

#ifndef TOOLS_GEMMA_SBS_HFINFO_H
#define TOOLS_GEMMA_SBS_HFINFO_H

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

#include <string>

namespace gemma {

// A Hugging Face checkpoint directory: its config.json as written, the
// shards, the spec as imported (or why it cannot be), the tokenizer's
// presence, and the tensor table: name, dtype, shape, shard, bytes. Fails
// only when the directory or a shard cannot be read at all.
absl::StatusOr<nlohmann::ordered_json> HfInfoJson(const std::string &path);
std::string HfInfoText(const nlohmann::ordered_json &info);

} // namespace gemma

#endif // TOOLS_GEMMA_SBS_HFINFO_H
