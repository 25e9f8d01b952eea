//===- GgmlTest.cpp - GGML decoders against gguf-py's dequantize ----------===//
//
// test/fixtures/ggml-blocks/blocks.bin holds random blocks of every GGML
// type we read (extreme and subnormal scales included) with the values the
// `gguf` package's numpy code (llama.cpp's reference) decodes them to; its
// make_blocks.py says how it was made. Our decoders must agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "runtime/weights/codecs/Ggml.h"
#include "runtime/weights/codecs/Decode.h"
#include "test/unit/runtime/weights/codecs/GgmlBlocks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace gemma {
namespace {

using Record = testing::GgmlBlocksRecord;

TEST(Ggml, DecodersMatchGgufPyBitForBit) {
  const std::vector<Record> records = testing::ReadGgmlBlocks();
  ASSERT_EQ(records.size(), 11u);
  for (const Record &r : records) {
    std::optional<StoredType> type = FromGgmlType(r.ggml);
    ASSERT_TRUE(type) << r.ggml;
    SCOPED_TRACE(std::string(StoredTypeName(*type)));
    EXPECT_EQ(PackedBytes(*type, r.values.size()), r.bytes.size());
    std::vector<float> got(r.values.size(), -1.0f);
    DecodeRange(*type, r.bytes.data(), 0, got.size(), got.data());
    EXPECT_EQ(std::memcmp(got.data(), r.values.data(), got.size() * 4), 0);
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i] != r.values[i]) {
        ADD_FAILURE() << "value " << i << ": " << got[i] << " vs "
                      << r.values[i];
        break;
      }
    // A range from the second block on: whole blocks from any block.
    const size_t block = BlockElements(*type);
    std::vector<float> tail(got.size() - block);
    DecodeRange(*type, r.bytes.data(), block, tail.size(), tail.data());
    EXPECT_EQ(
        std::memcmp(tail.data(), r.values.data() + block, tail.size() * 4), 0);
  }
}

TEST(Ggml, HalvesConvertExactly) {
  EXPECT_EQ(F16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(F16ToF32(0xC000), -2.0f);
  EXPECT_EQ(F16ToF32(0x7BFF), 65504.0f);
  EXPECT_EQ(F16ToF32(0x0001), 0x1p-24f);
  EXPECT_EQ(F16ToF32(0x03FF), 1023 * 0x1p-24f);
  EXPECT_EQ(F16ToF32(0x0400), 0x1p-14f);
  EXPECT_TRUE(std::signbit(F16ToF32(0x8000)));
  EXPECT_TRUE(std::isinf(F16ToF32(0x7C00)));
  EXPECT_TRUE(std::isnan(F16ToF32(0x7E00)));
}

TEST(Ggml, BlockGeometry) {
  EXPECT_EQ(BlockElements(StoredType::kQ8_0), 32u);
  EXPECT_EQ(BlockBytes(StoredType::kQ8_0), 34u);
  EXPECT_EQ(BlockElements(StoredType::kQ4_K), 256u);
  EXPECT_EQ(BlockBytes(StoredType::kQ6_K), 210u);
  EXPECT_EQ(PackedBytes(StoredType::kQ5_0, 640), 440u);
  EXPECT_EQ(BlockElements(StoredType::kSFP), 1u);
  EXPECT_EQ(FromGgmlType(0), StoredType::kF32);
  EXPECT_EQ(FromGgmlType(30), StoredType::kBF16);
  EXPECT_EQ(FromGgmlType(12), StoredType::kQ4_K);
  EXPECT_FALSE(FromGgmlType(16)); // IQ2_XXS
  EXPECT_FALSE(FromGgmlType(39)); // MXFP4
  EXPECT_EQ(StoredTypeName(StoredType::kQ6_K), "q6_k");
}

} // namespace
} // namespace gemma
