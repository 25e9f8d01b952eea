//===- BlobStore.cpp - gemma.cpp's BlobStore container --------------------===//

#include "runtime/formats/sbs/BlobStore.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace gemma::sbs {
namespace {

uint64_t RoundUp(uint64_t x, uint64_t align) {
  return (x + align - 1) / align * align;
}

uint32_t LoadU32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint64_t LoadU64(const uint8_t *p) {
  return LoadU32(p) | static_cast<uint64_t>(LoadU32(p + 4)) << 32;
}

void StoreU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void StoreU64(uint8_t *p, uint64_t v) {
  StoreU32(p, static_cast<uint32_t>(v));
  StoreU32(p + 4, static_cast<uint32_t>(v >> 32));
}

// The 16-byte header: magic, blob count, file size.
void StoreHeader(uint8_t *p, uint32_t num_blobs, uint64_t file_bytes) {
  StoreU32(p, kBlobMagic);
  StoreU32(p + 4, num_blobs);
  StoreU64(p + 8, file_bytes);
}

// Keys then ranges, 32 bytes per blob.
void StoreDirectory(uint8_t *p, const std::vector<BlobEntry> &entries) {
  const size_t n = entries.size();
  for (size_t i = 0; i < n; ++i) {
    std::memset(p + 16 * i, 0, 16);
    std::memcpy(p + 16 * i, entries[i].key.data(), entries[i].key.size());
    StoreU64(p + 16 * n + 16 * i, entries[i].offset);
    StoreU64(p + 16 * n + 16 * i + 8, entries[i].size);
  }
}

} // namespace

absl::Status ValidateBlobKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes)
    return absl::InvalidArgumentError(
        fmt::format("blob name '{}' must be 1 to {} bytes", key, kMaxKeyBytes));
  for (char c : key)
    if (c < 0x21 || c > 0x7E)
      return absl::InvalidArgumentError(fmt::format(
          "blob name '{}' has a byte that is not printable ASCII", key));
  return absl::OkStatus();
}

//===----------------------------------------------------------------------===//
// BlobReader
//===----------------------------------------------------------------------===//

absl::StatusOr<BlobReader> BlobReader::Open(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> mapped =
      MappedFile::Open(path);
  if (!mapped.ok())
    return mapped.status();
  BlobReader reader;
  reader.name_ = path;
  reader.mapped_ = *std::move(mapped);
  reader.bytes_ = reader.mapped_->bytes();
  if (absl::Status status = reader.Parse(); !status.ok())
    return status;
  return reader;
}

absl::StatusOr<BlobReader> BlobReader::FromBytes(std::span<const uint8_t> bytes,
                                                 std::string name) {
  BlobReader reader;
  reader.name_ = std::move(name);
  reader.bytes_ = bytes;
  if (absl::Status status = reader.Parse(); !status.ok())
    return status;
  return reader;
}

absl::Status BlobReader::Parse() {
  auto fail = [&](std::string message) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", name_, message));
  };
  const uint64_t size = bytes_.size();
  if (size < 16)
    return fail(fmt::format("{} bytes is too small for a BlobStore header "
                            "(not a gemma.cpp .sbs file?)",
                            size));
  const uint8_t *front = bytes_.data();
  const uint8_t *back = bytes_.data() + size - 16;
  uint32_t num_blobs = 0;
  uint64_t file_bytes = 0;
  uint64_t directory = 0;
  if (LoadU32(front) == kBlobMagic && LoadU32(front + 4) != 0) {
    layout_ = BlobLayout::kV1;
    num_blobs = LoadU32(front + 4);
    file_bytes = LoadU64(front + 8);
    directory = 16;
  } else {
    layout_ = BlobLayout::kV2;
    if (LoadU32(back) != kBlobMagic)
      return fail(fmt::format(
          "no BlobStore header: magic {:#010x} at the start and {:#010x} at "
          "the end, expected {:#010x} (truncated, or not a .sbs file?)",
          LoadU32(front), LoadU32(back), kBlobMagic));
    num_blobs = LoadU32(back + 4);
    file_bytes = LoadU64(back + 8);
    if (num_blobs > kMaxBlobs + 1)
      return fail(fmt::format("directory lists {} blobs, at most {} allowed",
                              num_blobs, kMaxBlobs + 1));
  }
  if (num_blobs == 0)
    return fail("the BlobStore holds no blobs");
  if (file_bytes != size)
    return fail(fmt::format("header says the file is {} bytes, it is {} "
                            "(truncated or appended to?)",
                            file_bytes, size));
  const uint64_t directory_bytes = 32ull * num_blobs;
  if (layout_ == BlobLayout::kV2) {
    if (directory_bytes + 16 > size)
      return fail(fmt::format("directory of {} blobs does not fit in {} bytes",
                              num_blobs, size));
    directory = size - 16 - directory_bytes;
  } else if (16 + directory_bytes > size) {
    return fail(fmt::format("directory of {} blobs does not fit in {} bytes",
                            num_blobs, size));
  }
  // Blobs may not reach into the directory (V2) and start after it (V1).
  const uint64_t blobs_end = layout_ == BlobLayout::kV2 ? directory : size;
  uint64_t expected = layout_ == BlobLayout::kV2
                          ? kBlobAlign
                          : RoundUp(16 + directory_bytes, kBlobAlign);
  const uint8_t *keys = bytes_.data() + directory;
  const uint8_t *ranges = keys + 16ull * num_blobs;
  std::set<std::string, std::less<>> seen;
  entries_.reserve(num_blobs);
  for (uint32_t i = 0; i < num_blobs; ++i) {
    const char *raw = reinterpret_cast<const char *>(keys + 16 * i);
    std::string key(raw, strnlen(raw, kMaxKeyBytes));
    BlobEntry entry{key, LoadU64(ranges + 16 * i),
                    LoadU64(ranges + 16 * i + 8)};
    std::string label = fmt::format("blob {} ('{}')", i, key);
    if (absl::Status status = ValidateBlobKey(key); !status.ok())
      return fail(fmt::format("{}: {}", label, std::string(status.message())));
    if (!seen.insert(key).second)
      return fail(fmt::format("{}: the name appears twice", label));
    if (entry.size == 0)
      return fail(fmt::format("{}: size 0 (blobs are never empty)", label));
    if (entry.offset != expected)
      return fail(fmt::format("{} at offset {}, expected {} (blobs follow "
                              "directory order, 256-byte aligned)",
                              label, entry.offset, expected));
    if (entry.size > blobs_end || entry.offset > blobs_end - entry.size)
      return fail(fmt::format("{}: {} bytes at offset {} run past the end of "
                              "the blob area at {}",
                              label, entry.size, entry.offset, blobs_end));
    expected = RoundUp(entry.offset + entry.size, kBlobAlign);
    entries_.push_back(std::move(entry));
  }
  return absl::OkStatus();
}

const BlobEntry *BlobReader::FindEntry(std::string_view key) const {
  for (const BlobEntry &entry : entries_)
    if (entry.key == key)
      return &entry;
  return nullptr;
}

std::optional<std::span<const uint8_t>>
BlobReader::Find(std::string_view key) const {
  if (const BlobEntry *entry = FindEntry(key))
    return Bytes(*entry);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// BlobWriter
//===----------------------------------------------------------------------===//

BlobWriter::BlobWriter(BlobWriter &&other) noexcept {
  *this = std::move(other);
}

BlobWriter &BlobWriter::operator=(BlobWriter &&other) noexcept {
  if (this != &other) {
    if (file_)
      std::fclose(file_);
    path_ = std::move(other.path_);
    file_ = other.file_;
    position_ = other.position_;
    entries_ = std::move(other.entries_);
    in_blob_ = other.in_blob_;
    other.file_ = nullptr;
  }
  return *this;
}

BlobWriter::~BlobWriter() {
  if (file_)
    std::fclose(file_);
}

absl::StatusOr<BlobWriter> BlobWriter::Create(const std::string &path) {
  BlobWriter writer;
  writer.path_ = path;
  writer.file_ = std::fopen(path.c_str(), "wb");
  if (!writer.file_)
    return absl::PermissionDeniedError(
        fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  // The V2 prefix: a header with no blobs and a placeholder size.
  uint8_t prefix[kBlobAlign] = {};
  StoreHeader(prefix, 0, kEndAlign);
  if (absl::Status status = writer.Write(prefix, sizeof(prefix)); !status.ok())
    return status;
  return writer;
}

absl::Status BlobWriter::Write(const void *data, size_t size) {
  if (size != 0 && std::fwrite(data, 1, size, file_) != size)
    return absl::DataLossError(
        fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
  position_ += size;
  return absl::OkStatus();
}

absl::Status BlobWriter::Pad(uint64_t to) {
  static const uint8_t kZeros[4096] = {};
  while (position_ < to) {
    size_t n =
        static_cast<size_t>(std::min<uint64_t>(sizeof(kZeros), to - position_));
    if (absl::Status status = Write(kZeros, n); !status.ok())
      return status;
  }
  return absl::OkStatus();
}

absl::Status BlobWriter::BeginBlob(std::string_view key) {
  if (!file_ || in_blob_)
    return absl::FailedPreconditionError("BeginBlob inside another blob");
  if (absl::Status status = ValidateBlobKey(key); !status.ok())
    return status;
  for (const BlobEntry &entry : entries_)
    if (entry.key == key)
      return absl::InvalidArgumentError(
          fmt::format("blob name '{}' is already used", key));
  if (entries_.size() >= kMaxBlobs)
    return absl::InvalidArgumentError(
        fmt::format("a BlobStore holds at most {} blobs", kMaxBlobs));
  entries_.push_back({std::string(key), position_, 0});
  in_blob_ = true;
  return absl::OkStatus();
}

absl::Status BlobWriter::Append(std::span<const uint8_t> bytes) {
  if (!in_blob_)
    return absl::FailedPreconditionError("Append outside a blob");
  entries_.back().size += bytes.size();
  return Write(bytes.data(), bytes.size());
}

absl::Status BlobWriter::EndBlob() {
  if (!in_blob_)
    return absl::FailedPreconditionError("EndBlob outside a blob");
  in_blob_ = false;
  if (entries_.back().size == 0)
    return absl::InvalidArgumentError(
        fmt::format("blob '{}' is empty", entries_.back().key));
  return Pad(RoundUp(position_, kBlobAlign));
}

absl::Status BlobWriter::Add(std::string_view key,
                             std::span<const uint8_t> bytes) {
  if (absl::Status status = BeginBlob(key); !status.ok())
    return status;
  if (absl::Status status = Append(bytes); !status.ok())
    return status;
  return EndBlob();
}

absl::Status BlobWriter::Finish() {
  if (!file_ || in_blob_)
    return absl::FailedPreconditionError("Finish inside a blob");
  if (entries_.empty())
    return absl::InvalidArgumentError("a BlobStore needs at least one blob");
  const uint64_t n = entries_.size();
  const uint64_t file_bytes =
      RoundUp(position_ + RoundUp(16 + 32 * n, kBlobAlign), kEndAlign);
  if (absl::Status status = Pad(file_bytes - 16 - 32 * n); !status.ok())
    return status;
  std::vector<uint8_t> tail(32 * n + 16);
  StoreDirectory(tail.data(), entries_);
  StoreHeader(tail.data() + 32 * n, static_cast<uint32_t>(n), file_bytes);
  if (absl::Status status = Write(tail.data(), tail.size()); !status.ok())
    return status;
  int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0)
    return absl::DataLossError(
        fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
  return absl::OkStatus();
}

std::vector<uint8_t> BuildV1Image(
    const std::vector<std::pair<std::string, std::vector<uint8_t>>> &blobs,
    bool pad_end) {
  const uint64_t n = blobs.size();
  std::vector<BlobEntry> entries;
  uint64_t offset = RoundUp(16 + 32 * n, kBlobAlign);
  for (const auto &[key, bytes] : blobs) {
    entries.push_back({key, offset, bytes.size()});
    offset = RoundUp(offset + bytes.size(), kBlobAlign);
  }
  const uint64_t file_bytes = pad_end ? RoundUp(offset, kEndAlign) : offset;
  std::vector<uint8_t> image(file_bytes, 0);
  StoreHeader(image.data(), static_cast<uint32_t>(n), file_bytes);
  StoreDirectory(image.data() + 16, entries);
  for (size_t i = 0; i < blobs.size(); ++i)
    std::copy(blobs[i].second.begin(), blobs[i].second.end(),
              image.begin() + static_cast<ptrdiff_t>(entries[i].offset));
  return image;
}

} // namespace gemma::sbs
