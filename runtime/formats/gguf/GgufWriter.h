//===- GgufWriter.h - Writes llama.cpp's GGUF container ---------*- C++ -*-===//
//
// GGUF v3, little-endian, 32-byte alignment: metadata in the order it was
// added, then the tensor table, then each tensor's data streamed row by row
// from its source (a model's weights never sit in memory twice). The file
// is written beside its path and renamed into place when complete.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_GGUFWRITER_H
#define RUNTIME_FORMATS_GGUF_GGUFWRITER_H

#include "runtime/weights/StoredType.h"

#include "absl/status/status.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace gemma::gguf {

// The GGML type id of a weight type (F32 0, F16 1, BF16 30, Q* their ids).
uint32_t GgmlTypeId(StoredType type);

class GgufWriter {
public:
  void U32(std::string key, uint32_t value);
  void F32(std::string key, float value);
  void Bool(std::string key, bool value);
  void String(std::string key, std::string_view value);
  void StringArray(std::string key, const std::vector<std::string> &values);
  void F32Array(std::string key, const std::vector<float> &values);
  void I32Array(std::string key, const std::vector<int32_t> &values);
  void BoolArray(std::string key, const std::vector<bool> &values);

  // Writes row `row` of the tensor, packed, into `out`. Called from several
  // threads at once (for different rows).
  using RowSource =
      std::function<absl::Status(uint64_t row, std::span<uint8_t> out)>;
  // `ne` in GGUF's order: ne[0] is the row length (a multiple of the type's
  // block), the rows are the product of the rest.
  void Tensor(std::string name, std::vector<uint64_t> ne, StoredType type,
              RowSource rows);

  // (bytes written, total bytes, tensor being written).
  using Progress = std::function<void(uint64_t, uint64_t, const std::string &)>;
  absl::Status Write(const std::string &path,
                     const Progress &progress = nullptr) const;

private:
  struct PendingTensor {
    std::string name;
    std::vector<uint64_t> ne;
    StoredType type;
    RowSource rows;
  };
  std::vector<uint8_t> metadata_;
  uint64_t metadata_count_ = 0;
  std::vector<PendingTensor> tensors_;

  void Key(std::string_view key, uint32_t type);
};

} // namespace gemma::gguf

#endif // RUNTIME_FORMATS_GGUF_GGUFWRITER_H
