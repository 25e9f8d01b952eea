//===- Toc.cpp - The tensor table (`toc` blob) of a .sbs ------------------===//

#include "runtime/formats/sbs/Toc.h"

namespace gemma::sbs {

TensorRecord TensorRecord::For(std::string name, StoredType type, uint32_t rows,
                               uint32_t cols, float scale) {
  TensorRecord record;
  record.name = std::move(name);
  record.type = type;
  record.element_bytes = ElementBytes(type);
  record.num_elements = static_cast<uint32_t>(
      PackedBytes(type, uint64_t{rows} * cols) / record.element_bytes);
  record.rows = rows;
  record.cols = cols;
  record.scale = scale;
  record.stride = cols;
  return record;
}

absl::StatusOr<std::vector<TensorRecord>>
ReadToc(std::span<const uint8_t> blob) {
  absl::StatusOr<std::vector<uint32_t>> words = BlobWords(blob, "toc");
  if (!words.ok())
    return words.status();
  std::vector<TensorRecord> records;
  size_t pos = 0;
  while (pos < words->size()) {
    TensorRecord record;
    FieldReader reader(*words, fmt::format("toc record {}", records.size()));
    if (absl::Status status = reader.ReadRecord(record, pos, nullptr);
        !status.ok())
      return status;
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<uint8_t> WriteToc(const std::vector<TensorRecord> &records) {
  std::vector<uint32_t> words;
  for (const TensorRecord &record : records) {
    std::vector<uint32_t> one = FieldWriter::Record(record);
    words.insert(words.end(), one.begin(), one.end());
  }
  return WordsToBytes(words);
}

} // namespace gemma::sbs
