//===- SbsFile.h - A whole gemma.cpp weight file ---------------*- C++ -*-===//
//
// Opens a single-file `.sbs` (container + `config` + `toc` + `tokenizer`)
// and cross-checks it as gemma.cpp's loader does (SBS.md 2, 7.4): every toc
// record names an existing blob whose size matches its type and shape, and
// the config's weight type is the toc's smallest-bit type.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_IMPORT_SBS_SBSFILE_H
#define COMPILER_IMPORT_SBS_SBSFILE_H

#include "compiler/import/sbs/BlobStore.h"
#include "compiler/import/sbs/ModelConfig.h"
#include "compiler/import/sbs/Toc.h"

#include <optional>
#include <string>

namespace gemma::sbs {

class SbsFile {
public:
  static absl::StatusOr<SbsFile> Open(const std::string &path);
  // For fuzzing and tests: bytes owned by the caller.
  static absl::StatusOr<SbsFile> FromBytes(std::span<const uint8_t> bytes,
                                           std::string name);

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
  absl::Status Load();

  BlobReader container_;
  ModelConfig config_;
  FieldsReport config_report_;
  std::vector<TensorRecord> tensors_;
  std::optional<std::span<const uint8_t>> tokenizer_;
};

} // namespace gemma::sbs

#endif // COMPILER_IMPORT_SBS_SBSFILE_H
