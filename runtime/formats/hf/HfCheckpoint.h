//===- HfCheckpoint.h - A Hugging Face checkpoint directory -----*- C++ -*-===//
//
// `config.json` + `model.safetensors` (or shards listed by
// `model.safetensors.index.json`) + optionally `tokenizer.json`, as
// transformers' save_pretrained writes them. Tensors keep their Hugging Face
// names and are viewed in place (mapped); HfModelWeights maps the names onto
// the builder's roles. Multimodal checkpoints (gemma3, gemma4) contribute
// their language model only.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_HF_HFCHECKPOINT_H
#define RUNTIME_FORMATS_HF_HFCHECKPOINT_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"

#include "absl/status/statusor.h"

#include <string>

namespace gemma {

// True for a directory, or a path to a checkpoint's config.json.
bool IsHfCheckpointPath(const std::string &path);

// `path`: the checkpoint directory or its config.json.
absl::StatusOr<ModelFile> LoadHfCheckpoint(const std::string &path);

absl::StatusOr<ModelWeights> HfModelWeights(const ModelFile &model);

} // namespace gemma

#endif // RUNTIME_FORMATS_HF_HFCHECKPOINT_H
