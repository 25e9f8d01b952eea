//===- SafetensorsFile.cpp - Hugging Face .safetensors, mapped ------------===//

#include "runtime/formats/hf/SafetensorsFile.h"

#include "absl/status/status.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace gemma::hf {
namespace {

using nlohmann::json;

// Headers are small (a few hundred bytes per tensor); a bigger claim is a
// corrupt or hostile file, refused before anything is parsed.
constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;
constexpr size_t kMaxRank = 4;

struct DtypeInfo {
  const char *name;
  StoredType type; // kUnknown: known to safetensors, not decoded here
  uint64_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", StoredType::kF32, 4},         {"BF16", StoredType::kBF16, 2},
    {"F16", StoredType::kF16, 2},         {"F64", StoredType::kUnknown, 8},
    {"I64", StoredType::kUnknown, 8},     {"I32", StoredType::kUnknown, 4},
    {"I16", StoredType::kUnknown, 2},     {"I8", StoredType::kUnknown, 1},
    {"U8", StoredType::kUnknown, 1},      {"BOOL", StoredType::kUnknown, 1},
    {"F8_E4M3", StoredType::kUnknown, 1}, {"F8_E5M2", StoredType::kUnknown, 1},
};

absl::Status Fail(const std::string &name, const std::string &what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", name, what));
}

// a * b, or nullopt on overflow.
std::optional<uint64_t> Times(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a)
    return std::nullopt;
  return a * b;
}

} // namespace

uint64_t SafeTensor::elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape)
    n *= d;
  return n;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> mapped =
      MappedFile::Open(path);
  if (!mapped.ok())
    return mapped.status();
  absl::StatusOr<SafetensorsFile> file = FromBytes((*mapped)->bytes(), path);
  if (file.ok())
    file->mapping_ = *std::move(mapped);
  return file;
}

absl::StatusOr<SafetensorsFile>
SafetensorsFile::FromBytes(std::span<const uint8_t> bytes,
                           const std::string &name) {
  if (bytes.size() < 8)
    return Fail(name, fmt::format("{} bytes: too short for a .safetensors "
                                  "header",
                                  bytes.size()));
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i)
    header_bytes = header_bytes << 8 | bytes[i];
  if (header_bytes > kMaxHeaderBytes || header_bytes > bytes.size() - 8)
    return Fail(name, fmt::format("the header claims {} bytes, the file has "
                                  "{} after the size field (truncated, or "
                                  "not a .safetensors file?)",
                                  header_bytes, bytes.size() - 8));
  const auto *text = reinterpret_cast<const char *>(bytes.data() + 8);
  json header = json::parse(text, text + header_bytes, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return Fail(name, "the header is not a JSON object");
  const std::span<const uint8_t> data = bytes.subspan(8 + header_bytes);

  SafetensorsFile file;
  file.name_ = name;
  file.size_ = bytes.size();
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto &[key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object())
        return Fail(name, "__metadata__ is not an object");
      for (const auto &[k, v] : entry.items())
        if (v.is_string())
          file.metadata_[k] = v.get<std::string>();
      continue;
    }
    auto bad = [&](const std::string &what) {
      return Fail(name, fmt::format("tensor '{}': {}", key, what));
    };
    if (!entry.is_object() || !entry.contains("dtype") ||
        !entry["dtype"].is_string() || !entry.contains("shape") ||
        !entry["shape"].is_array() || !entry.contains("data_offsets") ||
        !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2)
      return bad("needs a dtype, a shape and two data_offsets");
    const std::string dtype = entry["dtype"].get<std::string>();
    const DtypeInfo *info = nullptr;
    for (const DtypeInfo &d : kDtypes)
      if (dtype == d.name)
        info = &d;
    if (!info)
      return bad(fmt::format("unknown dtype '{}'", dtype));
    if (info->type == StoredType::kUnknown)
      return bad(fmt::format("dtype {} is not supported (F32, BF16 and F16 "
                             "are)",
                             dtype));
    SafeTensor tensor;
    tensor.type = info->type;
    if (entry["shape"].size() > kMaxRank)
      return bad(fmt::format("rank {} is more than {}", entry["shape"].size(),
                             kMaxRank));
    std::optional<uint64_t> expected = info->bytes;
    for (const json &d : entry["shape"]) {
      if (!d.is_number_unsigned())
        return bad("the shape holds a value that is not a size");
      tensor.shape.push_back(d.get<uint64_t>());
      expected =
          expected ? Times(*expected, tensor.shape.back()) : std::nullopt;
    }
    const json &offsets = entry["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      return bad("data_offsets are not sizes");
    const uint64_t begin = offsets[0].get<uint64_t>();
    const uint64_t end = offsets[1].get<uint64_t>();
    if (begin > end || end > data.size())
      return bad(fmt::format("bytes [{}, {}) lie outside the {} bytes of "
                             "data",
                             begin, end, data.size()));
    if (!expected || *expected != end - begin)
      return bad(fmt::format("{} bytes, but {} of shape [{}] needs {}",
                             end - begin, dtype, fmt::join(tensor.shape, ", "),
                             expected ? fmt::format("{}", *expected)
                                      : std::string("more than 2^64")));
    tensor.bytes = data.subspan(begin, end - begin);
    tensor.offset = begin;
    ranges.emplace_back(begin, end);
    file.tensors_.emplace(key, std::move(tensor));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return Fail(
          name,
          fmt::format("tensors overlap at data bytes [{}, {})", ranges[i].first,
                      std::min(ranges[i].second, ranges[i - 1].second)));
  return file;
}

} // namespace gemma::hf
