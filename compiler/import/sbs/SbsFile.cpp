//===- SbsFile.cpp - A whole gemma.cpp weight file ------------------------===//

#include "compiler/import/sbs/SbsFile.h"

#include <fmt/format.h>

namespace gemma::sbs {
namespace {

// The type of a pre-2025 tensor key's one-character prefix (SBS.md 2.2).
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

absl::StatusOr<SbsFile> SbsFile::Open(const std::string &path) {
  absl::StatusOr<BlobReader> container = BlobReader::Open(path);
  if (!container.ok())
    return container.status();
  SbsFile file(*std::move(container));
  if (absl::Status status = file.Load(); !status.ok())
    return status;
  return file;
}

absl::StatusOr<SbsFile> SbsFile::FromBytes(std::span<const uint8_t> bytes,
                                           std::string name) {
  absl::StatusOr<BlobReader> container =
      BlobReader::FromBytes(bytes, std::move(name));
  if (!container.ok())
    return container.status();
  SbsFile file(*std::move(container));
  if (absl::Status status = file.Load(); !status.ok())
    return status;
  return file;
}

absl::Status SbsFile::Load() {
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
  if (!config || !toc) {
    size_t prefixed = 0;
    for (const BlobEntry &entry : container_.entries())
      prefixed += HasLegacyPrefix(entry.key);
    if (prefixed != 0 && !config && !toc)
      return fail(
          "a pre-2025 gemma.cpp multi-file weight file (tensor names carry "
          "type prefixes such as '$qkv_ein_0'; no embedded config or tensor "
          "table) is not supported: convert it once with a current gemma.cpp "
          "(load it with --tokenizer and --weights, then save a single-file "
          ".sbs)");
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

  StoredType smallest = StoredType::kUnknown;
  for (const TensorRecord &record : tensors_) {
    std::string label = fmt::format("tensor '{}'", record.name);
    if (LegacyPrefixType(record.name) == record.type)
      return fail(fmt::format(
          "{}: an interim (2024-12..2025-05) gemma.cpp file whose tensor "
          "names carry type prefixes, which gemma.cpp cannot load either: "
          "re-export it with a current gemma.cpp",
          label));
    const BlobEntry *entry = container_.FindEntry(record.name);
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
  return *container_.Find(record.name);
}

} // namespace gemma::sbs
