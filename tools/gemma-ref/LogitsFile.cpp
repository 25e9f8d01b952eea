//===- LogitsFile.cpp - Per-step logits on disk ---------------------------===//

#include "tools/gemma-ref/LogitsFile.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace gemma {
namespace {

// The header is padded to this size whatever the step count, so it can be
// rewritten in place.
constexpr size_t kNpyHeader = 128;

} // namespace

absl::StatusOr<std::unique_ptr<LogitsFile>>
LogitsFile::Create(const std::string &path, uint32_t vocab) {
  absl::StatusOr<OutputFile> output = OutputFile::Create(path);
  if (!output.ok())
    return output.status();
  std::FILE *file = std::fopen(output->temp_path().c_str(), "wb");
  if (!file)
    return absl::InvalidArgumentError(
        fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  const bool npy = path.size() >= 4 && path.ends_with(".npy");
  std::unique_ptr<LogitsFile> out(
      new LogitsFile(path, *std::move(output), file, vocab, npy));
  if (npy)
    if (absl::Status s = out->WriteHeader(); !s.ok())
      return s;
  return out;
}

LogitsFile::~LogitsFile() {
  if (file_)
    std::fclose(file_);
}

absl::Status LogitsFile::WriteHeader() {
  std::string dict = fmt::format(
      "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", steps_,
      vocab_);
  std::string header = "\x93NUMPY";
  header += '\x01';
  header += '\x00';
  const size_t length = kNpyHeader - 10;
  header += char(length & 0xff);
  header += char(length >> 8);
  dict.resize(length - 1, ' ');
  header += dict + "\n";
  if (std::fseek(file_, 0, SEEK_SET) != 0 ||
      std::fwrite(header.data(), 1, header.size(), file_) != header.size() ||
      std::fseek(file_, 0, SEEK_END) != 0)
    return absl::DataLossError(fmt::format("{}: write failed", path_));
  return absl::OkStatus();
}

absl::Status LogitsFile::Append(std::span<const float> logits) {
  if (std::fwrite(logits.data(), sizeof(float), logits.size(), file_) !=
      logits.size())
    return absl::DataLossError(fmt::format("{}: write failed", path_));
  ++steps_;
  return absl::OkStatus();
}

absl::Status LogitsFile::Finish() {
  if (npy_)
    if (absl::Status s = WriteHeader(); !s.ok())
      return s;
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok)
    return absl::DataLossError(fmt::format("{}: write failed", path_));
  return output_.Commit();
}

} // namespace gemma
