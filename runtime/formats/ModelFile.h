//===- ModelFile.h - A weight file, whatever its format ---------*- C++ -*-===//
//
// What the compiler and the runtime need of a model file: its spec, its
// tensors by the file's own names (viewed in place), its tokenizer, and
// what identifies the file (size and a fingerprint of its config and tensor
// table, which a plan records and checks). Each format's loader fills it:
// LoadSbsModel (gemma.cpp `.sbs`), LoadGgufModel (llama.cpp GGUF);
// LoadModelFile picks by the file's magic.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_MODELFILE_H
#define RUNTIME_FORMATS_MODELFILE_H

#include "runtime/formats/ModelSpec.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/VisionModel.h"
#include "runtime/weights/StoredType.h"

#include "absl/status/statusor.h"

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gemma {

namespace sbs {
class SbsFile;
}

// A stored tensor, viewed in place: `rows` rows of `cols` values.
struct WeightTensor {
  std::string name;
  StoredType type = StoredType::kUnknown;
  uint64_t rows = 0;
  uint64_t cols = 0;
  float scale = 1.0f;
  std::span<const uint8_t> bytes;
};

struct ModelFile {
  ModelSpec spec;
  std::map<std::string, WeightTensor> tensors;
  // A serialized SentencePiece ModelProto, when the file has a tokenizer.
  std::optional<std::span<const uint8_t>> tokenizer;
  // The image encoder, for checkpoints that carry one or a model given an
  // mmproj file (docs/vision.md), and whose names its tensors have: "hf"
  // or "mmproj".
  std::optional<VisionSpec> vision;
  std::string vision_format;
  // Why a tower the file carries cannot be read (images are then refused
  // with it; the text model runs); empty otherwise.
  std::string vision_error;
  std::string format; // "sbs" or "gguf"
  std::string source; // the path (or name) errors mention
  uint64_t file_bytes = 0;
  std::string fingerprint;
  // Keeps the mapping (and anything the spans above point into) alive.
  std::shared_ptr<const void> storage;
  // The `.sbs` container itself; null for other formats.
  std::shared_ptr<const sbs::SbsFile> file;

  const WeightTensor *Find(const std::string &name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  }
};

// The bytes of a [rows, cols] tensor of plain numbers (F32, F16, BF16) laid
// out as [cols, rows]; an error for a block-quantized type.
absl::StatusOr<std::vector<uint8_t>> TransposedBytes(const WeightTensor &t);

// Every stored tensor as the builder sees it (type, shape, scale): the
// table each format's role mapping (SbsModelWeights, GgufModelWeights)
// starts from.
std::map<std::string, TensorInfo> TensorInfos(const ModelFile &model);

// FNV-1a of `bytes` as 16 hex digits: the fingerprints of weight files and
// plan cache keys.
std::string Fingerprint(std::span<const uint8_t> bytes);

} // namespace gemma

#endif // RUNTIME_FORMATS_MODELFILE_H
