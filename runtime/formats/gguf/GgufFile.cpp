//===- GgufFile.cpp - llama.cpp's GGUF container --------------------------===//
//
// Layout (ggml/docs/gguf.md): magic "GGUF", u32 version, u64 tensor count,
// u64 metadata count; metadata as (string key, u32 type, value); tensor
// infos as (string name, u32 n_dims, u64 ne[n_dims], u32 type, u64
// offset); padding to the alignment; tensor data. Strings are a u64 length
// and that many bytes. Version 1 (u32 counts and lengths) predates 2023's
// llama.cpp and is refused.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/gguf/GgufFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace gemma::gguf {
namespace {

// Bytes of one element of a scalar value type; 0 for string and array.
uint64_t ScalarBytes(ValueType type) {
  switch (type) {
  case ValueType::kU8:
  case ValueType::kI8:
  case ValueType::kBool:
    return 1;
  case ValueType::kU16:
  case ValueType::kI16:
    return 2;
  case ValueType::kU32:
  case ValueType::kI32:
  case ValueType::kF32:
    return 4;
  case ValueType::kU64:
  case ValueType::kI64:
  case ValueType::kF64:
    return 8;
  default:
    return 0;
  }
}

bool KnownValueType(uint32_t type) { return type <= 12; }

// A bounds-checked reader over the file; every read names what it reads.
class Cursor {
public:
  Cursor(std::span<const uint8_t> bytes, const std::string &file)
      : bytes_(bytes), file_(file) {}

  size_t at() const { return at_; }
  size_t left() const { return bytes_.size() - at_; }

  absl::Status Fail(std::string_view what) const {
    return absl::InvalidArgumentError(fmt::format("{}: {}", file_, what));
  }
  template <typename T> absl::Status Read(T *out, std::string_view what) {
    if (left() < sizeof(T))
      return Fail(fmt::format("truncated: {} at byte {} runs past the end of "
                              "the file ({} bytes)",
                              what, at_, bytes_.size()));
    std::memcpy(out, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return absl::OkStatus();
  }
  absl::Status String(std::string_view *out, std::string_view what) {
    uint64_t length = 0;
    if (absl::Status s = Read(&length, what); !s.ok())
      return s;
    if (length > left())
      return Fail(fmt::format("{} at byte {} claims {} bytes, more than the "
                              "{} left in the file",
                              what, at_ - 8, length, left()));
    *out = std::string_view(reinterpret_cast<const char *>(bytes_.data() + at_),
                            size_t(length));
    at_ += size_t(length);
    return absl::OkStatus();
  }
  std::span<const uint8_t> Take(size_t n) {
    std::span<const uint8_t> out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }

private:
  std::span<const uint8_t> bytes_;
  const std::string &file_;
  size_t at_ = 0;
};

absl::Status ReadScalar(Cursor &c, ValueType type, Value *v,
                        const std::string &what) {
  auto get = [&](auto sample) -> absl::Status {
    decltype(sample) x{};
    if (absl::Status s = c.Read(&x, what); !s.ok())
      return s;
    using T = decltype(sample);
    if constexpr (std::is_floating_point_v<T>)
      v->f = double(x);
    else if constexpr (std::is_signed_v<T>)
      v->i = int64_t(x);
    else
      v->u = uint64_t(x);
    return absl::OkStatus();
  };
  switch (type) {
  case ValueType::kU8:
  case ValueType::kBool:
    return get(uint8_t());
  case ValueType::kI8:
    return get(int8_t());
  case ValueType::kU16:
    return get(uint16_t());
  case ValueType::kI16:
    return get(int16_t());
  case ValueType::kU32:
    return get(uint32_t());
  case ValueType::kI32:
    return get(int32_t());
  case ValueType::kF32:
    return get(float());
  case ValueType::kU64:
    return get(uint64_t());
  case ValueType::kI64:
    return get(int64_t());
  case ValueType::kF64:
    return get(double());
  default:
    return c.Fail(fmt::format("{}: not a scalar type", what));
  }
}

absl::Status ReadValue(Cursor &c, ValueType type, Value *v,
                       const std::string &what, int depth) {
  v->type = type;
  if (type == ValueType::kString)
    return c.String(&v->s, what);
  if (type != ValueType::kArray)
    return ReadScalar(c, type, v, what);
  uint32_t element = 0;
  if (absl::Status s = c.Read(&element, what + " (array type)"); !s.ok())
    return s;
  if (!KnownValueType(element))
    return c.Fail(
        fmt::format("{}: unknown array element type {}", what, element));
  if (absl::Status s = c.Read(&v->count, what + " (array length)"); !s.ok())
    return s;
  v->element = static_cast<ValueType>(element);
  const uint64_t size = ScalarBytes(v->element);
  if (size != 0) {
    if (v->count > c.left() / size)
      return c.Fail(fmt::format("{}: an array of {} {} values is longer than "
                                "the {} bytes left in the file",
                                what, v->count, ValueTypeName(v->element),
                                c.left()));
    v->raw = c.Take(size_t(v->count * size));
    return absl::OkStatus();
  }
  // Strings and nested arrays take at least 8 bytes each.
  if (v->count > c.left() / 8)
    return c.Fail(fmt::format("{}: an array of {} {} values is longer than "
                              "the {} bytes left in the file",
                              what, v->count, ValueTypeName(v->element),
                              c.left()));
  if (v->element == ValueType::kString) {
    v->strings.resize(size_t(v->count));
    for (uint64_t k = 0; k < v->count; ++k)
      if (absl::Status s =
              c.String(&v->strings[k], fmt::format("{}[{}]", what, k));
          !s.ok())
        return s;
    return absl::OkStatus();
  }
  if (depth >= 4)
    return c.Fail(fmt::format("{}: arrays nested too deep", what));
  for (uint64_t k = 0; k < v->count; ++k) {
    Value nested;
    if (absl::Status s = ReadValue(c, ValueType::kArray, &nested,
                                   fmt::format("{}[{}]", what, k), depth + 1);
        !s.ok())
      return s;
  }
  return absl::OkStatus();
}

} // namespace

std::string_view ValueTypeName(ValueType type) {
  static constexpr std::string_view names[] = {
      "u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
      "bool", "string", "array", "u64", "i64", "f64"};
  const uint32_t index = static_cast<uint32_t>(type);
  return index < std::size(names) ? names[index] : "unknown";
}

bool Value::IsInteger() const {
  switch (type) {
  case ValueType::kU8:
  case ValueType::kI8:
  case ValueType::kU16:
  case ValueType::kI16:
  case ValueType::kU32:
  case ValueType::kI32:
  case ValueType::kU64:
  case ValueType::kI64:
    return true;
  default:
    return false;
  }
}

std::string Value::TypeName() const {
  if (type == ValueType::kArray)
    return fmt::format("array of {}", ValueTypeName(element));
  return std::string(ValueTypeName(type));
}

uint64_t Tensor::elements() const {
  uint64_t n = 1;
  for (uint64_t d : ne)
    n *= d;
  return n;
}

absl::StatusOr<GgufFile> GgufFile::Open(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> mapped =
      MappedFile::Open(path);
  if (!mapped.ok())
    return mapped.status();
  GgufFile file;
  file.name_ = path;
  file.mapping_ = *std::move(mapped);
  file.bytes_ = file.mapping_->bytes();
  if (absl::Status s = file.Parse(); !s.ok())
    return s;
  return file;
}

absl::StatusOr<GgufFile> GgufFile::FromBytes(std::span<const uint8_t> bytes,
                                             std::string name) {
  GgufFile file;
  file.name_ = std::move(name);
  file.bytes_ = bytes;
  if (absl::Status s = file.Parse(); !s.ok())
    return s;
  return file;
}

absl::Status GgufFile::Parse() {
  Cursor c(bytes_, name_);
  if (bytes_.size() < 4 || std::memcmp(bytes_.data(), kMagic, 4) != 0)
    return c.Fail("not a GGUF file (bad magic; expected \"GGUF\")");
  c.Take(4);
  if (absl::Status s = c.Read(&version_, "the version"); !s.ok())
    return s;
  if (version_ == 1)
    return c.Fail("GGUF version 1 is not supported (only 2 and 3): convert "
                  "the model again with a current llama.cpp");
  if (version_ > 0xFFFF)
    return c.Fail(fmt::format("GGUF version field {:#x} looks big-endian; "
                              "only little-endian files are supported",
                              version_));
  if (version_ > 3)
    return c.Fail(fmt::format("GGUF version {} is newer than this reader "
                              "(2 and 3)",
                              version_));
  uint64_t tensor_count = 0, kv_count = 0;
  if (absl::Status s = c.Read(&tensor_count, "the tensor count"); !s.ok())
    return s;
  if (absl::Status s = c.Read(&kv_count, "the metadata count"); !s.ok())
    return s;
  // A key/value takes at least 12 bytes, a tensor info at least 28.
  if (kv_count > c.left() / 12)
    return c.Fail(fmt::format("truncated or damaged: the header claims {} "
                              "metadata entries, more "
                              "than the file can hold",
                              kv_count));
  if (tensor_count > c.left() / 28)
    return c.Fail(fmt::format("truncated or damaged: the header claims {} "
                              "tensors, more than the "
                              "file can hold",
                              tensor_count));

  for (uint64_t k = 0; k < kv_count; ++k) {
    std::string_view key;
    if (absl::Status s = c.String(&key, fmt::format("metadata key {}", k));
        !s.ok())
      return s;
    uint32_t type = 0;
    const std::string what = fmt::format("metadata '{}'", key);
    if (absl::Status s = c.Read(&type, what + " (type)"); !s.ok())
      return s;
    if (!KnownValueType(type))
      return c.Fail(fmt::format("{} has unknown value type {}", what, type));
    Value value;
    if (absl::Status s =
            ReadValue(c, static_cast<ValueType>(type), &value, what, 0);
        !s.ok())
      return s;
    if (Find(key))
      return c.Fail(fmt::format("{} appears twice", what));
    metadata_.emplace_back(std::string(key), std::move(value));
  }

  if (const Value *alignment = Find("general.alignment")) {
    if (alignment->type != ValueType::kU32 || alignment->u == 0 ||
        (alignment->u & (alignment->u - 1)) != 0)
      return c.Fail(fmt::format("metadata 'general.alignment' must be a u32 "
                                "power of two, got {} {}",
                                alignment->TypeName(),
                                alignment->IsInteger() ? alignment->u : 0));
    alignment_ = alignment->u;
  }

  for (uint64_t t = 0; t < tensor_count; ++t) {
    Tensor tensor;
    std::string_view name;
    if (absl::Status s = c.String(&name, fmt::format("tensor {} name", t));
        !s.ok())
      return s;
    tensor.name = std::string(name);
    const std::string what = fmt::format("tensor '{}'", tensor.name);
    uint32_t dims = 0;
    if (absl::Status s = c.Read(&dims, what + " (dimension count)"); !s.ok())
      return s;
    if (dims == 0 || dims > 4)
      return c.Fail(
          fmt::format("{} has {} dimensions (1 to 4 expected)", what, dims));
    tensor.ne.resize(dims);
    for (uint32_t d = 0; d < dims; ++d)
      if (absl::Status s = c.Read(&tensor.ne[d], what + " (shape)"); !s.ok())
        return s;
    if (absl::Status s = c.Read(&tensor.ggml_type, what + " (type)"); !s.ok())
      return s;
    if (absl::Status s = c.Read(&tensor.offset, what + " (offset)"); !s.ok())
      return s;
    if (FindTensor(tensor.name))
      return c.Fail(fmt::format("{} appears twice", what));
    tensors_.push_back(std::move(tensor));
  }
  data_offset_ = (c.at() + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > bytes_.size())
    return c.Fail("truncated: the tensor data section is missing");
  const uint64_t data_bytes = bytes_.size() - data_offset_;

  for (Tensor &tensor : tensors_) {
    const std::string what = fmt::format("tensor '{}'", tensor.name);
    const GgmlTypeInfo *info = GgmlTypeOf(tensor.ggml_type);
    if (!info)
      return c.Fail(
          fmt::format("{} has unknown GGML type {}", what, tensor.ggml_type));
    uint64_t elements = 1;
    for (uint64_t d : tensor.ne) {
      if (d == 0 || d > (uint64_t(1) << 40) ||
          elements > (uint64_t(1) << 50) / d)
        return c.Fail(fmt::format("{} has an impossible shape", what));
      elements *= d;
    }
    if (tensor.ne[0] % info->block_elements != 0)
      return c.Fail(fmt::format("{} rows of {} values are not whole {} "
                                "blocks of {}",
                                what, tensor.ne[0], info->name,
                                info->block_elements));
    const uint64_t size = elements / info->block_elements * info->block_bytes;
    if (tensor.offset % alignment_ != 0)
      return c.Fail(fmt::format("{} at offset {} is not aligned to {}", what,
                                tensor.offset, alignment_));
    if (tensor.offset > data_bytes || size > data_bytes - tensor.offset)
      return c.Fail(fmt::format("{} ({} bytes at data offset {}) runs past "
                                "the end of the file",
                                what, size, tensor.offset));
    tensor.bytes =
        bytes_.subspan(size_t(data_offset_ + tensor.offset), size_t(size));
  }
  std::vector<const Tensor *> by_offset;
  for (const Tensor &t : tensors_)
    by_offset.push_back(&t);
  std::sort(
      by_offset.begin(), by_offset.end(),
      [](const Tensor *a, const Tensor *b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i - 1]->offset + by_offset[i - 1]->bytes.size() >
        by_offset[i]->offset)
      return c.Fail(fmt::format("tensors '{}' and '{}' overlap",
                                by_offset[i - 1]->name, by_offset[i]->name));
  return absl::OkStatus();
}

const Value *GgufFile::Find(std::string_view key) const {
  for (const auto &[k, v] : metadata_)
    if (k == key)
      return &v;
  return nullptr;
}

const Tensor *GgufFile::FindTensor(std::string_view name) const {
  for (const Tensor &t : tensors_)
    if (t.name == name)
      return &t;
  return nullptr;
}

namespace {

absl::Status Missing(const std::string &file, std::string_view key) {
  return absl::NotFoundError(
      fmt::format("{}: metadata '{}' is missing", file, key));
}

absl::Status WrongType(const std::string &file, std::string_view key,
                       const Value &v, std::string_view expected) {
  return absl::InvalidArgumentError(
      fmt::format("{}: metadata '{}' is {}, expected {}", file, key,
                  v.TypeName(), expected));
}

} // namespace

absl::StatusOr<uint64_t> GgufFile::GetUnsigned(std::string_view key) const {
  const Value *v = Find(key);
  if (!v)
    return Missing(name_, key);
  if (!v->IsInteger())
    return WrongType(name_, key, *v, "an integer");
  const bool is_signed =
      v->type == ValueType::kI8 || v->type == ValueType::kI16 ||
      v->type == ValueType::kI32 || v->type == ValueType::kI64;
  if (is_signed && v->i < 0)
    return absl::InvalidArgumentError(
        fmt::format("{}: metadata '{}' is {}, expected a non-negative value",
                    name_, key, v->i));
  return is_signed ? uint64_t(v->i) : v->u;
}

absl::StatusOr<double> GgufFile::GetFloat(std::string_view key) const {
  const Value *v = Find(key);
  if (!v)
    return Missing(name_, key);
  if (v->type == ValueType::kF32 || v->type == ValueType::kF64)
    return v->f;
  if (v->IsInteger())
    return v->type == ValueType::kI8 || v->type == ValueType::kI16 ||
                   v->type == ValueType::kI32 || v->type == ValueType::kI64
               ? double(v->i)
               : double(v->u);
  return WrongType(name_, key, *v, "a number");
}

absl::StatusOr<std::string_view>
GgufFile::GetString(std::string_view key) const {
  const Value *v = Find(key);
  if (!v)
    return Missing(name_, key);
  if (v->type != ValueType::kString)
    return WrongType(name_, key, *v, "a string");
  return v->s;
}

absl::StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  const Value *v = Find(key);
  if (!v)
    return Missing(name_, key);
  if (v->type != ValueType::kBool)
    return WrongType(name_, key, *v, "a bool");
  return v->u != 0;
}

absl::StatusOr<const Value *> GgufFile::GetArray(std::string_view key,
                                                 ValueType element,
                                                 uint64_t count) const {
  const Value *v = Find(key);
  if (!v)
    return Missing(name_, key);
  const bool integer_ok =
      (element == ValueType::kI32 || element == ValueType::kU32) &&
      ScalarBytes(v->element) != 0 && v->element != ValueType::kF32 &&
      v->element != ValueType::kF64 && v->element != ValueType::kBool;
  if (v->type != ValueType::kArray || (v->element != element && !integer_ok))
    return WrongType(name_, key, *v,
                     fmt::format("an array of {}", ValueTypeName(element)));
  if (v->count != count)
    return absl::InvalidArgumentError(
        fmt::format("{}: metadata '{}' has {} entries, expected {}", name_, key,
                    v->count, count));
  return v;
}

double ArrayFloat(const Value &array, uint64_t index) {
  const uint8_t *p = array.raw.data() + index * ScalarBytes(array.element);
  if (array.element == ValueType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  if (array.element == ValueType::kF64) {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  return double(ArrayInt(array, index));
}

int64_t ArrayInt(const Value &array, uint64_t index) {
  const uint8_t *p = array.raw.data() + index * ScalarBytes(array.element);
  switch (array.element) {
  case ValueType::kU8:
  case ValueType::kBool:
    return p[0];
  case ValueType::kI8:
    return int8_t(p[0]);
  case ValueType::kU16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case ValueType::kI16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case ValueType::kU32: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case ValueType::kI32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case ValueType::kU64:
  case ValueType::kI64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  default:
    return 0;
  }
}

bool HasGgufMagic(std::span<const uint8_t> head) {
  return head.size() >= sizeof(kMagic) &&
         std::memcmp(head.data(), kMagic, sizeof(kMagic)) == 0;
}

bool HasGgufMagic(const std::string &path) {
  uint8_t head[sizeof(kMagic)] = {};
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char *>(head), sizeof(head));
  return HasGgufMagic(std::span<const uint8_t>(head));
}

} // namespace gemma::gguf
