//===- Fields.cpp - gemma.cpp's IFields serialization ---------------------===//

#include "runtime/formats/sbs/Fields.h"

namespace gemma {

absl::StatusOr<std::vector<uint32_t>> BlobWords(std::span<const uint8_t> blob,
                                                std::string_view what) {
  if (blob.size() % 4 != 0)
    return absl::InvalidArgumentError(
        fmt::format("blob '{}' is {} bytes, not a whole number of 32-bit words",
                    what, blob.size()));
  std::vector<uint32_t> words(blob.size() / 4);
  for (size_t i = 0; i < words.size(); ++i)
    words[i] = static_cast<uint32_t>(blob[4 * i]) |
               static_cast<uint32_t>(blob[4 * i + 1]) << 8 |
               static_cast<uint32_t>(blob[4 * i + 2]) << 16 |
               static_cast<uint32_t>(blob[4 * i + 3]) << 24;
  return words;
}

std::vector<uint8_t> WordsToBytes(const std::vector<uint32_t> &words) {
  std::vector<uint8_t> bytes(words.size() * 4);
  for (size_t i = 0; i < words.size(); ++i)
    for (int b = 0; b < 4; ++b)
      bytes[4 * i + b] = static_cast<uint8_t>(words[i] >> (8 * b));
  return bytes;
}

} // namespace gemma
