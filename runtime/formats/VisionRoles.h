//===- VisionRoles.h - A vision tower's tensors by role ---------*- C++ -*-===//
//
// The two spellings of Gemma 3's vision tensors, Hugging Face's and
// llama.cpp's mmproj, mapped onto VisionWeights by one table, with the same
// checks: every role present with its shape, and no tensor of the tower left
// unread.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_VISIONROLES_H
#define RUNTIME_FORMATS_VISIONROLES_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/VisionModel.h"

#include "absl/status/statusor.h"

#include <string>
#include <vector>

namespace gemma {

// Where a format keeps the tower's tensors: the names of the whole-tower
// roles, each layer's prefix (fmt pattern with the layer index), and the
// prefixes under which every tensor must be read.
struct VisionNames {
  enum class Spelling { kHf, kMmproj } spelling = Spelling::kHf;
  std::string patch, patch_bias, position, post_norm_weight, post_norm_bias;
  std::string soft_norm, projection;
  std::string layer_prefix;           // e.g. "v.blk.{}."
  std::vector<std::string> owned;     // e.g. {"v.", "mm."}
  std::vector<std::string> also_read; // stored forms of derived tensors
};

// The roles of model.vision under `names`, each checked for shape; a tensor
// under `names.owned` that no role reads is refused by name.
absl::StatusOr<VisionWeights> MapVisionRoles(const ModelFile &model,
                                             const VisionNames &names);

} // namespace gemma

#endif // RUNTIME_FORMATS_VISIONROLES_H
