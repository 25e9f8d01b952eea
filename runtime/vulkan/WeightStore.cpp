//===- WeightStore.cpp - A model's weights on a Vulkan device -------------===//

#include "runtime/vulkan/WeightStore.h"

#include "runtime/weights/codecs/Sfp.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace gemma::vulkan {

absl::Status WeightStore::Ensure(const std::vector<std::string> &names,
                                 const WeightSource &source) {
  const uint64_t limit =
      std::min<uint64_t>(device_.max_storage_range(), uint64_t(1) << 30);
  std::vector<std::pair<std::string, StoredTensor>> fresh;
  for (const std::string &name : names) {
    if (name.empty() || stored_.contains(name) ||
        std::any_of(fresh.begin(), fresh.end(),
                    [&](const auto &f) { return f.first == name; }))
      continue;
    absl::StatusOr<StoredTensor> t = source(name);
    if (!t.ok())
      return t.status();
    absl::StatusOr<gpu::GpuWeight> weight = gpu::WeightOf(name, *t, "vulkan");
    if (!weight.ok())
      return weight.status();
    Stored st{*std::move(weight), {}};
    // Rows per piece: as many as fit one buffer after the SFP table.
    const uint64_t row_bytes = PackedBytes(t->type, uint64_t(t->cols));
    const uint64_t room = limit - kLutWords * 4 - 16;
    const int64_t per_piece = int64_t(room / std::max<uint64_t>(row_bytes, 1));
    if (per_piece < 1 || (per_piece < t->rows && (t->type == StoredType::kNUQ ||
                                                  t->type == StoredType::kI8)))
      return absl::UnimplementedError(fmt::format(
          "not supported yet: weight '{}' ({:.1f} MB) is larger than this "
          "device's largest storage buffer ({:.1f} MB)",
          name, double(t->bytes.size()) / 1e6, double(limit) / 1e6));
    for (int64_t r = 0; r < t->rows; r += per_piece)
      st.pieces.push_back({0, 0, r, std::min(t->rows, r + per_piece)});
    stored_[name] = std::move(st);
    fresh.emplace_back(name, *t);
  }
  if (fresh.empty() && !chunks_.empty())
    return absl::OkStatus();
  // Pack the new pieces into new buffers, in order.
  std::vector<uint64_t> chunk_words;
  uint64_t words = kLutWords;
  const uint32_t first_chunk = uint32_t(chunks_.size());
  for (const auto &[name, t] : fresh) {
    Stored &st = stored_[name];
    const uint64_t row_bytes = PackedBytes(t.type, uint64_t(t.cols));
    for (Stored::Piece &piece : st.pieces) {
      const uint64_t bytes =
          row_bytes * uint64_t(piece.row_end - piece.row_begin);
      const uint64_t need = (bytes + 15) / 16 * 4;
      if ((words + need) * 4 > limit) {
        chunk_words.push_back(words);
        words = kLutWords;
      }
      piece.chunk = first_chunk + uint32_t(chunk_words.size());
      piece.word = words;
      words += need;
    }
  }
  chunk_words.push_back(words);
  uint32_t lut[kLutWords];
  for (uint32_t code = 0; code < kLutWords; ++code) {
    const float v = SfpDecode(uint8_t(code));
    std::memcpy(&lut[code], &v, 4);
  }
  for (uint64_t size : chunk_words) {
    absl::StatusOr<std::unique_ptr<Buffer>> chunk =
        device_.NewBuffer(size * 4, false);
    if (!chunk.ok())
      return chunk.status();
    if (absl::Status s = device_.Upload(**chunk, 0, lut, sizeof(lut)); !s.ok())
      return s;
    chunks_.push_back(*std::move(chunk));
  }
  for (const auto &[name, t] : fresh) {
    const Stored &st = stored_[name];
    const uint64_t row_bytes = PackedBytes(t.type, uint64_t(t.cols));
    for (const Stored::Piece &piece : st.pieces)
      if (absl::Status s = device_.Upload(
              *chunks_[piece.chunk], piece.word * 4,
              t.bytes.data() + uint64_t(piece.row_begin) * row_bytes,
              uint64_t(piece.row_end - piece.row_begin) * row_bytes);
          !s.ok())
        return s;
  }
  return absl::OkStatus();
}

} // namespace gemma::vulkan
