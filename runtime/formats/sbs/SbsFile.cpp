//===- SbsFile.cpp - A whole gemma.cpp weight file ------------------------===//

#include "runtime/formats/sbs/SbsFile.h"

#include <charconv>
#include <cstring>
#include <fmt/format.h>

namespace gemma::sbs {
namespace {

// The type of a pre-2025 tensor key's one-character prefix
// (docs/formats/sbs.md 2.2).
std::optional<StoredType> LegacyPrefixType(std::string_view key) {
  if (key.size() < 2 || !(key[1] >= 'a' && key[1] <= 'z'))
    return std::nullopt;
  switch (key[0]) {
  case 'F':
    return StoredType::kF32;
  case 'B':
    return StoredType::kBF16;
  case '$':
    return StoredType::kSFP;
  case '2':
    return StoredType::kNUQ;
  case 'I':
    return StoredType::kI8;
  default:
    return std::nullopt;
  }
}

bool HasLegacyPrefix(std::string_view key) {
  return LegacyPrefixType(key).has_value();
}

} // namespace

absl::StatusOr<SbsFile> SbsFile::Open(const std::string &path,
                                      const LegacyResolver &legacy) {
  return Read(BlobReader::Open(path), legacy);
}

absl::StatusOr<SbsFile> SbsFile::FromBytes(std::span<const uint8_t> bytes,
                                           std::string name,
                                           const LegacyResolver &legacy) {
  return Read(BlobReader::FromBytes(bytes, std::move(name)), legacy);
}

absl::StatusOr<SbsFile> SbsFile::Read(absl::StatusOr<BlobReader> container,
                                      const LegacyResolver &legacy) {
  if (!container.ok())
    return container.status();
  SbsFile file(*std::move(container));
  if (absl::Status status = file.Load(legacy); !status.ok())
    return status;
  return file;
}

absl::Status SbsFile::LoadLegacy(const LegacyResolver &legacy) {
  const std::string &name = container_.name();
  auto fail = [&](std::string message) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", name, message));
  };
  // Tensor keys: a type character, the name, "_<layer>" for layer tensors.
  std::map<StoredType, uint32_t> per_type;
  uint32_t layers = 0;
  bool has_qk_norm = false;
  for (const BlobEntry &entry : container_.entries()) {
    std::optional<StoredType> type = LegacyPrefixType(entry.key);
    if (!type || entry.key == "Fscales")
      continue; // gemma.cpp skips keys without a known prefix
    ++per_type[*type];
    std::string tensor = entry.key.substr(1);
    size_t underscore = tensor.rfind('_');
    uint32_t layer = 0;
    if (underscore != std::string::npos) {
      const char *first = tensor.data() + underscore + 1;
      const char *last = tensor.data() + tensor.size();
      auto [end, error] = std::from_chars(first, last, layer);
      // Past 100000 layers no model exists; the resolver refuses it anyway.
      if (error == std::errc() && end == last && first != last &&
          layer < 100000)
        layers = std::max(layers, layer + 1);
    }
    has_qk_norm |= tensor.starts_with("query_norm_");
  }
  // The weight type: the fewest bits among types with at least 4 blobs.
  StoredType weight = StoredType::kUnknown;
  for (const auto &[type, count] : per_type)
    if (count >= 4 && (weight == StoredType::kUnknown ||
                       StoredTypeBits(type) < StoredTypeBits(weight)))
      weight = type;
  if (weight == StoredType::kUnknown || layers == 0)
    return fail("a pre-2025 gemma.cpp weight file without recognizable layer "
                "tensors");
  absl::StatusOr<LegacyModel> model = legacy(layers, has_qk_norm, weight);
  if (!model.ok())
    return fail(fmt::format("a pre-2025 gemma.cpp weight file with {} layers: "
                            "{}",
                            layers, std::string(model.status().message())));
  config_ = model->config;
  config_.weight = weight;

  std::vector<size_t> scaled;
  for (const BlobEntry &entry : container_.entries()) {
    std::optional<StoredType> type = LegacyPrefixType(entry.key);
    if (!type || entry.key == "Fscales")
      continue;
    std::string tensor = entry.key.substr(1);
    auto shape = model->shapes.find(tensor);
    if (shape == model->shapes.end())
      return fail(
          fmt::format("unknown tensor '{}' (blob '{}')", tensor, entry.key));
    const std::string base = tensor.substr(0, tensor.rfind('_'));
    for (const std::string &scaled_base : config_.scale_base_names)
      if (base == scaled_base)
        scaled.push_back(tensors_.size());
    tensors_.push_back(TensorRecord::For(tensor, *type, shape->second.first,
                                         shape->second.second, 1.0f));
    legacy_keys_[tensor] = entry.key;
  }
  // Fscales: per-tensor scales handed out in directory order to the tensors
  // whose base name is in scale_base_names; all must be used.
  if (std::optional<std::span<const uint8_t>> scales =
          container_.Find("Fscales")) {
    absl::StatusOr<std::vector<uint32_t>> words = BlobWords(*scales, "Fscales");
    if (!words.ok())
      return fail(std::string(words.status().message()));
    if (words->size() != scaled.size())
      return fail(fmt::format("Fscales holds {} scales for {} scaled tensors",
                              words->size(), scaled.size()));
    for (size_t i = 0; i < scaled.size(); ++i) {
      float scale = 0.0f;
      std::memcpy(&scale, &(*words)[i], sizeof(scale));
      tensors_[scaled[i]].scale = scale;
    }
  }
  return absl::OkStatus();
}

absl::Status SbsFile::Load(const LegacyResolver &legacy) {
  const std::string &name = container_.name();
  auto fail = [&](std::string message) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", name, message));
  };
  auto from = [&](const absl::Status &status) {
    return absl::Status(
        status.code(),
        fmt::format("{}: {}", name, std::string(status.message())));
  };

  std::optional<std::span<const uint8_t>> config = container_.Find("config");
  std::optional<std::span<const uint8_t>> toc = container_.Find("toc");
  const bool has_legacy_keys = [&] {
    for (const BlobEntry &entry : container_.entries())
      if (HasLegacyPrefix(entry.key))
        return true;
    return false;
  }();
  if (!config && !toc && has_legacy_keys && legacy) {
    if (absl::Status status = LoadLegacy(legacy); !status.ok())
      return status;
    if (absl::Status status = ValidateModelConfig(config_); !status.ok())
      return from(status);
  } else {
    if (!config || !toc) {
      if (has_legacy_keys && !config && !toc)
        return fail(
            "a pre-2025 gemma.cpp multi-file weight file (tensor names carry "
            "type prefixes such as '$qkv_ein_0'; no embedded config or tensor "
            "table) is not supported: convert it once with a current "
            "gemma.cpp (load it with --tokenizer and --weights, then save a "
            "single-file .sbs)");
      return fail(fmt::format("no '{}' blob: not a single-file gemma.cpp .sbs",
                              config ? "toc" : "config"));
    }
    absl::StatusOr<ModelConfig> parsed =
        ReadModelConfig(*config, &config_report_);
    if (!parsed.ok())
      return from(parsed.status());
    config_ = *std::move(parsed);
    if (absl::Status status = ValidateModelConfig(config_); !status.ok())
      return from(status);

    absl::StatusOr<std::vector<TensorRecord>> records = ReadToc(*toc);
    if (!records.ok())
      return from(records.status());
    tensors_ = *std::move(records);
    for (const TensorRecord &record : tensors_)
      if (LegacyPrefixType(record.name) == record.type)
        return fail(fmt::format(
            "tensor '{}': an interim (2024-12..2025-05) gemma.cpp file whose "
            "tensor names carry type prefixes, which gemma.cpp cannot load "
            "either: re-export it with a current gemma.cpp",
            record.name));
  }

  StoredType smallest = StoredType::kUnknown;
  for (const TensorRecord &record : tensors_) {
    std::string label = fmt::format("tensor '{}'", record.name);
    const BlobEntry *entry = container_.FindEntry(BlobKey(record));
    if (!entry)
      return fail(fmt::format("{} of the toc has no blob", label));
    if (!IsWeightType(record.type))
      return fail(fmt::format("{} has type {}, not a weight type", label,
                              StoredTypeName(record.type)));
    if (record.rows == 0 || record.cols == 0)
      return fail(
          fmt::format("{} has shape {} x {}", label, record.rows, record.cols));
    const uint64_t expected =
        PackedBytes(record.type, uint64_t{record.rows} * record.cols);
    if (entry->size != expected)
      return fail(fmt::format("{} is {} x {} {} ({} bytes) but its blob holds "
                              "{} bytes",
                              label, record.rows, record.cols,
                              StoredTypeName(record.type), expected,
                              entry->size));
    if (!(record.scale > 0))
      return fail(fmt::format("{} has scale {}, expected a positive number",
                              label, record.scale));
    if (smallest == StoredType::kUnknown ||
        StoredTypeBits(record.type) < StoredTypeBits(smallest))
      smallest = record.type;
  }
  if (tensors_.empty())
    return fail("the tensor table is empty");
  if (smallest != config_.weight)
    return fail(fmt::format("config says the weights are {}, but the "
                            "smallest type in the tensor table is {}",
                            StoredTypeName(config_.weight),
                            StoredTypeName(smallest)));

  if (std::optional<std::span<const uint8_t>> tok =
          container_.Find("tokenizer")) {
    std::string_view text(reinterpret_cast<const char *>(tok->data()),
                          tok->size());
    if (text != "unavailable")
      tokenizer_ = *tok;
  }
  return absl::OkStatus();
}

const TensorRecord *SbsFile::FindTensor(std::string_view name) const {
  for (const TensorRecord &record : tensors_)
    if (record.name == name)
      return &record;
  return nullptr;
}

std::span<const uint8_t>
SbsFile::TensorBytes(const TensorRecord &record) const {
  return *container_.Find(BlobKey(record));
}

std::string_view SbsFile::BlobKey(const TensorRecord &record) const {
  auto key = legacy_keys_.find(record.name);
  return key == legacy_keys_.end() ? std::string_view(record.name)
                                   : std::string_view(key->second);
}

} // namespace gemma::sbs
