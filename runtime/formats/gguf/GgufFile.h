//===- GgufFile.h - llama.cpp's GGUF container ------------------*- C++ -*-===//
//
// GGUF v2 and v3 (little-endian): a header, typed metadata key/values, a
// tensor table, and the tensor data at `general.alignment` (default 32).
// The file is mapped and viewed in place; every length, count, offset and
// size is checked against the file before it is used, so a damaged file is
// one line naming the file and the key or tensor, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_GGUFFILE_H
#define RUNTIME_FORMATS_GGUF_GGUFFILE_H

#include "runtime/formats/MappedFile.h"
#include "runtime/weights/StoredType.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemma::gguf {

// The first four bytes of every GGUF file.
inline constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};

// Whether `head` (a file's first bytes), or the file at `path`, starts with
// kMagic: how a loader tells GGUF from gemma.cpp's .sbs.
bool HasGgufMagic(std::span<const uint8_t> head);
bool HasGgufMagic(const std::string &path);

enum class ValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
std::string_view ValueTypeName(ValueType type);

// One metadata value. Scalars land in the member of their kind (integers
// widened); arrays keep their element type and count, numeric elements in
// place (little-endian, `raw`) and strings as views.
struct Value {
  ValueType type = ValueType::kU8;
  uint64_t u = 0;     // unsigned integers and bool
  int64_t i = 0;      // signed integers
  double f = 0;       // f32 and f64
  std::string_view s; // string
  ValueType element = ValueType::kU8;
  uint64_t count = 0;
  std::span<const uint8_t> raw;
  std::vector<std::string_view> strings;

  bool IsInteger() const;
  // "u32", "string", "array of f32", ...
  std::string TypeName() const;
};

struct Tensor {
  std::string name;
  std::vector<uint64_t> ne; // ne[0] is the contiguous dimension
  uint32_t ggml_type = 0;
  uint64_t offset = 0; // from the start of the data section
  std::span<const uint8_t> bytes;

  uint64_t elements() const;
};

class GgufFile {
public:
  static absl::StatusOr<GgufFile> Open(const std::string &path);
  // `bytes` must outlive the file.
  static absl::StatusOr<GgufFile> FromBytes(std::span<const uint8_t> bytes,
                                            std::string name);

  const std::string &name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  std::span<const uint8_t> bytes() const { return bytes_; }
  // Keeps the mapping alive (null for FromBytes).
  std::shared_ptr<const MappedFile> mapping() const { return mapping_; }

  // In file order.
  const std::vector<std::pair<std::string, Value>> &metadata() const {
    return metadata_;
  }
  const Value *Find(std::string_view key) const;
  const std::vector<Tensor> &tensors() const { return tensors_; }
  const Tensor *FindTensor(std::string_view name) const;

  // Typed reads of a present key; one line naming the file, the key, its
  // type and what was expected otherwise.
  absl::StatusOr<uint64_t> GetUnsigned(std::string_view key) const;
  absl::StatusOr<double> GetFloat(std::string_view key) const;
  absl::StatusOr<std::string_view> GetString(std::string_view key) const;
  absl::StatusOr<bool> GetBool(std::string_view key) const;
  // The same, or `fallback` when the key is absent (a present key of the
  // wrong type is still an error).
  absl::StatusOr<uint64_t> GetUnsignedOr(std::string_view key,
                                         uint64_t fallback) const {
    return Find(key) ? GetUnsigned(key) : fallback;
  }
  absl::StatusOr<double> GetFloatOr(std::string_view key,
                                    double fallback) const {
    return Find(key) ? GetFloat(key) : fallback;
  }
  // An array of `element` (any integer type for kI32 and kU32 requests).
  absl::StatusOr<const Value *>
  GetArray(std::string_view key, ValueType element, uint64_t count) const;

private:
  GgufFile() = default;
  absl::Status Parse();

  std::string name_;
  std::shared_ptr<const MappedFile> mapping_;
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<Tensor> tensors_;
};

// Reads element `index` of a numeric array as double / int64.
double ArrayFloat(const Value &array, uint64_t index);
int64_t ArrayInt(const Value &array, uint64_t index);

} // namespace gemma::gguf

#endif // RUNTIME_FORMATS_GGUF_GGUFFILE_H
