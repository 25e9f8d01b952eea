//===- SbsFile.h - A whole gemma.cpp weight file ---------------*- C++ -*-===//
//
// Opens a single-file `.sbs` (container + `config` + `toc` + `tokenizer`)
// and cross-checks it as gemma.cpp's loader does (docs/formats/sbs.md 2, 7.4):
// every toc record names an existing blob whose size matches its type and
// shape, and the config's weight type is the toc's smallest-bit type.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBS_SBSFILE_H
#define RUNTIME_FORMATS_SBS_SBSFILE_H

#include "runtime/formats/sbs/BlobStore.h"
#include "runtime/formats/sbs/ModelConfig.h"
#include "runtime/formats/sbs/Toc.h"

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace gemma::sbs {

// What a pre-2025 multi-file weight file (type-prefixed tensor keys, no
// config or toc; docs/formats/sbs.md 2.2) cannot say about itself. gemma.cpp
// rebuilds it from the layer count and tensor names; so does the resolver.
struct LegacyModel {
  ModelConfig config;
  // The 2-D shape of every tensor name the model may hold.
  std::map<std::string, std::pair<uint32_t, uint32_t>> shapes;
};
using LegacyResolver = std::function<absl::StatusOr<LegacyModel>(
    uint32_t layers, bool has_qk_norm, StoredType weight)>;

class SbsFile {
public:
  // Without a resolver, legacy files are refused with what to do.
  static absl::StatusOr<SbsFile> Open(const std::string &path,
                                      const LegacyResolver &legacy = nullptr);
  // For fuzzing and tests: bytes owned by the caller.
  static absl::StatusOr<SbsFile>
  FromBytes(std::span<const uint8_t> bytes, std::string name,
            const LegacyResolver &legacy = nullptr);

  // The container key of a tensor: its name, or its prefixed legacy key.
  std::string_view BlobKey(const TensorRecord &record) const;

  // True for a pre-2025 file whose config and toc were rebuilt.
  bool legacy() const { return !legacy_keys_.empty(); }

  const BlobReader &container() const { return container_; }
  const ModelConfig &config() const { return config_; }
  const FieldsReport &config_report() const { return config_report_; }
  // In toc order.
  const std::vector<TensorRecord> &tensors() const { return tensors_; }
  const TensorRecord *FindTensor(std::string_view name) const;
  // The packed bytes of a tensor of the toc.
  std::span<const uint8_t> TensorBytes(const TensorRecord &record) const;
  // The serialized SentencePiece model, or nullopt when the file has none
  // (no blob, or the string "unavailable").
  std::optional<std::span<const uint8_t>> tokenizer() const {
    return tokenizer_;
  }

private:
  explicit SbsFile(BlobReader container) : container_(std::move(container)) {}
  // The file in `container` (or the error opening it), loaded.
  static absl::StatusOr<SbsFile> Read(absl::StatusOr<BlobReader> container,
                                      const LegacyResolver &legacy);
  absl::Status Load(const LegacyResolver &legacy);
  absl::Status LoadLegacy(const LegacyResolver &legacy);

  BlobReader container_;
  ModelConfig config_;
  FieldsReport config_report_;
  std::vector<TensorRecord> tensors_;
  std::optional<std::span<const uint8_t>> tokenizer_;
  // Legacy files: tensor name -> its prefixed blob key.
  std::map<std::string, std::string> legacy_keys_;
};

} // namespace gemma::sbs

#endif // RUNTIME_FORMATS_SBS_SBSFILE_H
