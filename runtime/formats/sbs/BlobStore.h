//===- BlobStore.h - gemma.cpp's BlobStore container -----------*- C++ -*-===//
//
// docs/formats/sbs.md section 1: named byte arrays ("blobs") in one file, each
// 256-byte aligned, in directory order. V2 (written since 2025-07-31) keeps the
// directory and header at the end so a writer can stream; V1 has them at
// the front. Readers map the file and hand out views, never copies.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBS_BLOBSTORE_H
#define RUNTIME_FORMATS_SBS_BLOBSTORE_H

#include "runtime/formats/MappedFile.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gemma::sbs {

constexpr uint32_t kBlobMagic = 0x0A534253; // "SBS\n"
constexpr uint64_t kBlobAlign = 256;
constexpr uint64_t kEndAlign = 65536;
constexpr uint64_t kMaxBlobs = 16383; // gemma.cpp's writer asserts N < 16384
constexpr size_t kMaxKeyBytes = 16;

enum class BlobLayout { kV1, kV2 };

struct BlobEntry {
  std::string key;
  uint64_t offset = 0;
  uint64_t size = 0;
};

class BlobReader {
public:
  // Maps `path` read-only and validates it (docs/formats/sbs.md 1.6).
  static absl::StatusOr<BlobReader> Open(const std::string &path);
  // Validates bytes owned by the caller; `name` prefixes error messages.
  static absl::StatusOr<BlobReader> FromBytes(std::span<const uint8_t> bytes,
                                              std::string name);

  BlobReader(BlobReader &&) noexcept = default;
  BlobReader &operator=(BlobReader &&) noexcept = default;

  const std::string &name() const { return name_; }
  BlobLayout layout() const { return layout_; }
  uint64_t file_bytes() const { return bytes_.size(); }
  // In directory order.
  const std::vector<BlobEntry> &entries() const { return entries_; }
  const BlobEntry *FindEntry(std::string_view key) const;
  std::optional<std::span<const uint8_t>> Find(std::string_view key) const;
  std::span<const uint8_t> Bytes(const BlobEntry &entry) const {
    return bytes_.subspan(entry.offset, entry.size);
  }
  // The whole file.
  std::span<const uint8_t> file() const { return bytes_; }

private:
  BlobReader() = default;
  absl::Status Parse();

  std::string name_;
  std::span<const uint8_t> bytes_;
  std::shared_ptr<const MappedFile> mapped_; // null for FromBytes
  BlobLayout layout_ = BlobLayout::kV2;
  std::vector<BlobEntry> entries_;
};

// Writes the V2 layout byte for byte as gemma.cpp does
// (docs/formats/sbs.md 1.8), streaming: blobs go to disk as they are added.
class BlobWriter {
public:
  static absl::StatusOr<BlobWriter> Create(const std::string &path);

  BlobWriter(BlobWriter &&) noexcept;
  BlobWriter &operator=(BlobWriter &&) noexcept;
  ~BlobWriter();

  absl::Status Add(std::string_view key, std::span<const uint8_t> bytes);
  // A blob written in pieces: BeginBlob, Append..., EndBlob.
  absl::Status BeginBlob(std::string_view key);
  absl::Status Append(std::span<const uint8_t> bytes);
  absl::Status EndBlob();
  // Writes the directory and trailer and closes the file.
  absl::Status Finish();

private:
  BlobWriter() = default;
  absl::Status Write(const void *data, size_t size);
  absl::Status Pad(uint64_t to);

  std::string path_;
  std::FILE *file_ = nullptr;
  uint64_t position_ = 0;
  std::vector<BlobEntry> entries_;
  bool in_blob_ = false;
};

// Checks a blob name as both gemma.cpp layouts store it: 1 to 16 bytes of
// printable ASCII.
absl::Status ValidateBlobKey(std::string_view key);

// The V1 (legacy, directory first) image of `blobs`, padded to 64 KiB when
// `pad_end` (writers of 2025-05..07) or to 256 bytes (older writers).
std::vector<uint8_t> BuildV1Image(
    const std::vector<std::pair<std::string, std::vector<uint8_t>>> &blobs,
    bool pad_end);

} // namespace gemma::sbs

#endif // RUNTIME_FORMATS_SBS_BLOBSTORE_H
