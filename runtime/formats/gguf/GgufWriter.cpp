//===- GgufWriter.cpp - Writes llama.cpp's GGUF container -----------------===//

#include "runtime/formats/gguf/GgufWriter.h"

#include "runtime/formats/OutputFile.h"
#include "runtime/formats/gguf/GgufFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

namespace gemma::gguf {
namespace {

constexpr uint64_t kAlignment = 32;
constexpr uint32_t kVersion = 3;

void Put(std::vector<uint8_t> &out, const void *data, size_t n) {
  const auto *p = static_cast<const uint8_t *>(data);
  out.insert(out.end(), p, p + n);
}
template <typename T> void Put(std::vector<uint8_t> &out, T value) {
  Put(out, &value, sizeof(T));
}
void PutString(std::vector<uint8_t> &out, std::string_view s) {
  Put<uint64_t>(out, s.size());
  Put(out, s.data(), s.size());
}
uint64_t AlignUp(uint64_t n) {
  return (n + kAlignment - 1) / kAlignment * kAlignment;
}

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};

} // namespace

uint32_t GgmlTypeId(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return 0;
  case StoredType::kBF16:
    return 30;
  default:
    return uint32_t(type) - 100;
  }
}

void GgufWriter::Key(std::string_view key, uint32_t type) {
  PutString(metadata_, key);
  Put<uint32_t>(metadata_, type);
  ++metadata_count_;
}

void GgufWriter::U32(std::string key, uint32_t value) {
  Key(key, uint32_t(ValueType::kU32));
  Put(metadata_, value);
}
void GgufWriter::F32(std::string key, float value) {
  Key(key, uint32_t(ValueType::kF32));
  Put(metadata_, value);
}
void GgufWriter::Bool(std::string key, bool value) {
  Key(key, uint32_t(ValueType::kBool));
  Put<uint8_t>(metadata_, value ? 1 : 0);
}
void GgufWriter::String(std::string key, std::string_view value) {
  Key(key, uint32_t(ValueType::kString));
  PutString(metadata_, value);
}
void GgufWriter::StringArray(std::string key,
                             const std::vector<std::string> &values) {
  Key(key, uint32_t(ValueType::kArray));
  Put<uint32_t>(metadata_, uint32_t(ValueType::kString));
  Put<uint64_t>(metadata_, values.size());
  for (const std::string &v : values)
    PutString(metadata_, v);
}
void GgufWriter::F32Array(std::string key, const std::vector<float> &values) {
  Key(key, uint32_t(ValueType::kArray));
  Put<uint32_t>(metadata_, uint32_t(ValueType::kF32));
  Put<uint64_t>(metadata_, values.size());
  Put(metadata_, values.data(), values.size() * 4);
}
void GgufWriter::I32Array(std::string key, const std::vector<int32_t> &values) {
  Key(key, uint32_t(ValueType::kArray));
  Put<uint32_t>(metadata_, uint32_t(ValueType::kI32));
  Put<uint64_t>(metadata_, values.size());
  Put(metadata_, values.data(), values.size() * 4);
}
void GgufWriter::BoolArray(std::string key, const std::vector<bool> &values) {
  Key(key, uint32_t(ValueType::kArray));
  Put<uint32_t>(metadata_, uint32_t(ValueType::kBool));
  Put<uint64_t>(metadata_, values.size());
  for (bool v : values)
    Put<uint8_t>(metadata_, v ? 1 : 0);
}

void GgufWriter::Tensor(std::string name, std::vector<uint64_t> ne,
                        StoredType type, RowSource rows) {
  tensors_.push_back({std::move(name), std::move(ne), type, std::move(rows)});
}

absl::Status GgufWriter::Write(const std::string &path,
                               const Progress &progress) const {
  std::vector<uint8_t> head;
  Put(head, kMagic, 4);
  Put(head, kVersion);
  Put<uint64_t>(head, tensors_.size());
  Put<uint64_t>(head, metadata_count_);
  Put(head, metadata_.data(), metadata_.size());
  uint64_t offset = 0;
  std::vector<uint64_t> row_counts;
  for (const PendingTensor &t : tensors_) {
    uint64_t rows = 1;
    for (size_t i = 1; i < t.ne.size(); ++i)
      rows *= t.ne[i];
    if (t.ne.empty() || t.ne[0] % BlockElements(t.type) != 0)
      return absl::InvalidArgumentError(fmt::format(
          "tensor '{}': rows of {} values are not whole {} blocks", t.name,
          t.ne.empty() ? 0 : t.ne[0], StoredTypeName(t.type)));
    row_counts.push_back(rows);
    PutString(head, t.name);
    Put<uint32_t>(head, uint32_t(t.ne.size()));
    for (uint64_t n : t.ne)
      Put(head, n);
    Put(head, GgmlTypeId(t.type));
    Put(head, offset);
    offset = AlignUp(offset + rows * PackedBytes(t.type, t.ne[0]));
  }
  const uint64_t total = offset;
  head.resize(AlignUp(head.size()), 0);

  absl::StatusOr<OutputFile> output = OutputFile::Create(path);
  if (!output.ok())
    return output.status();
  std::unique_ptr<std::FILE, FileCloser> file(
      std::fopen(output->temp_path().c_str(), "wb"));
  if (!file)
    return absl::PermissionDeniedError(
        fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  auto fail = [&](const std::string &what) {
    return absl::InternalError(fmt::format("{}: {}", path, what));
  };
  auto write = [&](const void *data, size_t n) {
    return n == 0 || std::fwrite(data, 1, n, file.get()) == n;
  };
  if (!write(head.data(), head.size()))
    return fail(fmt::format("write failed: {}", std::strerror(errno)));
  uint64_t done = 0;
  std::vector<uint8_t> batch;
  const uint8_t zeros[kAlignment] = {};
  const unsigned workers =
      std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const PendingTensor &t = tensors_[i];
    const uint64_t row_bytes = PackedBytes(t.type, t.ne[0]);
    // Rows are encoded in batches of about 4 MiB, split over the cores.
    const uint64_t per_batch =
        std::max<uint64_t>(workers, (uint64_t(4) << 20) / row_bytes);
    for (uint64_t first = 0; first < row_counts[i]; first += per_batch) {
      const uint64_t rows = std::min(per_batch, row_counts[i] - first);
      batch.resize(rows * row_bytes);
      std::vector<absl::Status> status(workers);
      auto encode = [&](unsigned w) {
        for (uint64_t r = rows * w / workers;
             r < rows * (w + 1) / workers && status[w].ok(); ++r)
          status[w] = t.rows(
              first + r, std::span(batch).subspan(r * row_bytes, row_bytes));
      };
      std::vector<std::thread> threads;
      for (unsigned w = 1; w < workers; ++w)
        threads.emplace_back(encode, w);
      encode(0);
      for (std::thread &thread : threads)
        thread.join();
      for (const absl::Status &s : status)
        if (!s.ok())
          return absl::Status(s.code(), fmt::format("tensor '{}': {}", t.name,
                                                    std::string(s.message())));
      if (!write(batch.data(), batch.size()))
        return fail(fmt::format("write failed: {}", std::strerror(errno)));
      done += batch.size();
      if (progress)
        progress(done, total, t.name);
    }
    const uint64_t padded = AlignUp(done) - done;
    if (!write(zeros, padded))
      return fail(fmt::format("write failed: {}", std::strerror(errno)));
    done += padded;
  }
  if (std::fflush(file.get()) != 0 || std::fclose(file.release()) != 0)
    return fail(fmt::format("write failed: {}", std::strerror(errno)));
  return output->Commit();
}

} // namespace gemma::gguf
