//===- SafetensorsFile.h - Hugging Face .safetensors, mapped ---*- C++ -*-===//
//
// A .safetensors file: an 8-byte little-endian header size, a JSON header
// naming each tensor's dtype, shape and [begin, end) byte range in the data
// that follows, then the data. The file is mapped; tensors are views into
// it. Every claim of the header is checked before a byte is viewed: ranges
// inside the data, no overlaps, sizes matching dtype and shape, dtypes we
// decode (F32, BF16, F16). The header is untrusted input (fuzzed).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_HF_SAFETENSORSFILE_H
#define RUNTIME_FORMATS_HF_SAFETENSORSFILE_H

#include "runtime/formats/MappedFile.h"
#include "runtime/weights/StoredType.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gemma::hf {

struct SafeTensor {
  StoredType type = StoredType::kUnknown;
  std::vector<uint64_t> shape;
  std::span<const uint8_t> bytes;
  uint64_t offset = 0; // where `bytes` starts in the data section

  uint64_t elements() const;
};

class SafetensorsFile {
public:
  static absl::StatusOr<SafetensorsFile> Open(const std::string &path);
  // The same checks on bytes in memory (`name` in messages); the bytes must
  // outlive the object.
  static absl::StatusOr<SafetensorsFile>
  FromBytes(std::span<const uint8_t> bytes, const std::string &name);

  const std::string &name() const { return name_; }
  const std::map<std::string, SafeTensor> &tensors() const { return tensors_; }
  // `__metadata__` string pairs (e.g. "format": "pt").
  const std::map<std::string, std::string> &metadata() const {
    return metadata_;
  }
  uint64_t size() const { return size_; }

private:
  std::string name_;
  std::shared_ptr<const MappedFile> mapping_;
  std::map<std::string, SafeTensor> tensors_;
  std::map<std::string, std::string> metadata_;
  uint64_t size_ = 0;
};

} // namespace gemma::hf

#endif // RUNTIME_FORMATS_HF_SAFETENSORSFILE_H
