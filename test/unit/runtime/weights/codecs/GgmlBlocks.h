//===- GgmlBlocks.h - The GGML block fixture, read --------------*- C++ -*-===//
//
// test/fixtures/ggml-blocks/blocks.bin (make_blocks.py beside it): records
// of a GGML type id, a block count, the packed bytes and the f32 values
// gguf-py decodes them to. GgmlTest checks the CPU decoders against it,
// VulkanDecodeTest the shaders'.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_FORMATS_CODECS_GGMLBLOCKS_H
#define TEST_UNIT_RUNTIME_FORMATS_CODECS_GGMLBLOCKS_H

#include "runtime/weights/StoredType.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace gemma::testing {

struct GgmlBlocksRecord {
  uint32_t ggml = 0, blocks = 0;
  std::vector<uint8_t> bytes;
  std::vector<float> values;
};

inline std::vector<GgmlBlocksRecord> ReadGgmlBlocks() {
  std::ifstream in(GEMMA_SOURCE_DIR "/test/fixtures/ggml-blocks/blocks.bin",
                   std::ios::binary);
  std::vector<uint8_t> file{std::istreambuf_iterator<char>(in), {}};
  std::vector<GgmlBlocksRecord> records;
  size_t at = 0;
  auto u32 = [&] {
    uint32_t v = 0;
    std::memcpy(&v, file.data() + at, 4);
    at += 4;
    return v;
  };
  while (at + 12 <= file.size()) {
    GgmlBlocksRecord r;
    r.ggml = u32();
    r.blocks = u32();
    const uint32_t byte_count = u32();
    r.bytes.assign(file.begin() + long(at),
                   file.begin() + long(at + byte_count));
    at += byte_count;
    const StoredType type = *FromGgmlType(r.ggml);
    const size_t values =
        size_t(byte_count) / BlockBytes(type) * BlockElements(type);
    r.values.resize(values);
    std::memcpy(r.values.data(), file.data() + at, values * 4);
    at += values * 4;
    records.push_back(std::move(r));
  }
  return records;
}

} // namespace gemma::testing

#endif // TEST_UNIT_RUNTIME_FORMATS_CODECS_GGMLBLOCKS_H
