//===- GgufFileTest.cpp - The GGUF reader, whole and damaged --------------===//

#include "runtime/formats/gguf/GgufFile.h"
#include "test/unit/runtime/formats/gguf/GgufBuilder.h"

#include <gtest/gtest.h>

namespace gemma::gguf {
namespace {

using testing::GgufBuilder;

std::vector<uint8_t> Sample(uint32_t version = 3) {
  GgufBuilder b(version, 64);
  b.U32("general.alignment", 64);
  b.String("general.architecture", "gemma3");
  b.Raw("u8", 0, GgufBuilder::Bytes(uint8_t(200)));
  b.Raw("i8", 1, GgufBuilder::Bytes(int8_t(-3)));
  b.Raw("u16", 2, GgufBuilder::Bytes(uint16_t(60000)));
  b.Raw("i16", 3, GgufBuilder::Bytes(int16_t(-300)));
  b.Raw("i32", 5, GgufBuilder::Bytes(int32_t(-70000)));
  b.F32("f32", 1.5f);
  b.Bool("bool", true);
  b.Raw("u64", 10, GgufBuilder::Bytes(uint64_t(1) << 40));
  b.Raw("i64", 11, GgufBuilder::Bytes(int64_t(-5)));
  b.Raw("f64", 12, GgufBuilder::Bytes(0.25));
  b.Array<float>("scores", 6, {0.5f, -1.0f, 2.0f});
  b.Array<int32_t>("types", 5, {1, 3, 6});
  b.StringArray("tokens", {"<pad>", "a",
                           "\xe2\x96\x81"
                           "b"});
  // A nested array: two arrays of u8.
  std::vector<uint8_t> nested;
  GgufBuilder::Put<uint32_t>(nested, 9);
  GgufBuilder::Put<uint64_t>(nested, 2);
  for (int k = 0; k < 2; ++k) {
    GgufBuilder::Put<uint32_t>(nested, 0);
    GgufBuilder::Put<uint64_t>(nested, 1);
    nested.push_back(uint8_t(k));
  }
  b.Raw("nested", 9, nested);
  b.TensorF32("norm.weight", {8}, {1, 2, 3, 4, 5, 6, 7, 8});
  std::vector<uint8_t> q8(2 * 34, 1);
  b.Tensor("w.weight", {32, 2}, 8, q8); // Q8_0: 2 rows of one block
  return b.Build();
}

absl::StatusOr<GgufFile> Read(const std::vector<uint8_t> &bytes) {
  return GgufFile::FromBytes(bytes, "m.gguf");
}

std::string Error(const std::vector<uint8_t> &bytes) {
  absl::StatusOr<GgufFile> file = Read(bytes);
  return file.ok() ? "ok" : std::string(file.status().message());
}

TEST(GgufFile, ReadsEveryValueTypeAndTensor) {
  const std::vector<uint8_t> bytes = Sample();
  absl::StatusOr<GgufFile> file = Read(bytes);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->data_offset() % 64, 0u);
  EXPECT_EQ(*file->GetString("general.architecture"), "gemma3");
  EXPECT_EQ(*file->GetUnsigned("u8"), 200u);
  EXPECT_EQ(file->Find("i8")->i, -3);
  EXPECT_EQ(*file->GetUnsigned("u16"), 60000u);
  EXPECT_EQ(file->Find("i16")->i, -300);
  EXPECT_EQ(file->Find("i32")->i, -70000);
  EXPECT_EQ(*file->GetFloat("f32"), 1.5);
  EXPECT_TRUE(*file->GetBool("bool"));
  EXPECT_EQ(*file->GetUnsigned("u64"), uint64_t(1) << 40);
  EXPECT_EQ(*file->GetFloat("f64"), 0.25);
  absl::StatusOr<const Value *> scores =
      file->GetArray("scores", ValueType::kF32, 3);
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_EQ(ArrayFloat(**scores, 1), -1.0);
  absl::StatusOr<const Value *> types =
      file->GetArray("types", ValueType::kI32, 3);
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(ArrayInt(**types, 2), 6);
  EXPECT_EQ(file->Find("tokens")->strings[2], "\xe2\x96\x81"
                                              "b");
  EXPECT_EQ(file->Find("nested")->count, 2u);

  ASSERT_EQ(file->tensors().size(), 2u);
  const Tensor *norm = file->FindTensor("norm.weight");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->bytes.size(), 32u);
  EXPECT_EQ(norm->bytes.data(), bytes.data() + file->data_offset());
  float third = 0;
  std::memcpy(&third, norm->bytes.data() + 8, 4);
  EXPECT_EQ(third, 3.0f);
  const Tensor *w = file->FindTensor("w.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->elements(), 64u);
  EXPECT_EQ(w->bytes.size(), 68u);
  EXPECT_EQ(w->offset, 64u);
  EXPECT_EQ(Sample(2).size(), bytes.size());
  EXPECT_TRUE(Read(Sample(2)).ok());
}

TEST(GgufFile, TypedReadsNameTheKeyAndWhatWasExpected) {
  const std::vector<uint8_t> bytes = Sample();
  absl::StatusOr<GgufFile> file = Read(bytes);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->GetUnsigned("general.architecture").status().message(),
            "m.gguf: metadata 'general.architecture' is string, expected an "
            "integer");
  EXPECT_EQ(file->GetString("missing").status().message(),
            "m.gguf: metadata 'missing' is missing");
  EXPECT_EQ(file->GetUnsigned("i8").status().message(),
            "m.gguf: metadata 'i8' is -3, expected a non-negative value");
  EXPECT_EQ(file->GetArray("scores", ValueType::kF32, 4).status().message(),
            "m.gguf: metadata 'scores' has 3 entries, expected 4");
  EXPECT_EQ(file->GetArray("tokens", ValueType::kF32, 3).status().message(),
            "m.gguf: metadata 'tokens' is array of string, expected an array "
            "of f32");
}

// Every prefix of a valid file is refused with one line, never a crash.
TEST(GgufFile, EveryTruncationIsAnError) {
  const std::vector<uint8_t> bytes = Sample();
  for (size_t n = 0; n < bytes.size() - 68; ++n) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    const std::string error = Error(prefix);
    EXPECT_NE(error, "ok") << n;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  // The last tensor's data cut short.
  const std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(Error(cut), "m.gguf: tensor 'w.weight' (68 bytes at data offset "
                        "64) runs past the end of the file");
}

TEST(GgufFile, BadHeaders) {
  std::vector<uint8_t> bytes = Sample();
  bytes[0] = 'X';
  EXPECT_EQ(Error(bytes), "m.gguf: not a GGUF file (bad magic; expected "
                          "\"GGUF\")");
  EXPECT_EQ(Error(Sample(1)), "m.gguf: GGUF version 1 is not supported (only "
                              "2 and 3): convert the model again with a "
                              "current llama.cpp");
  EXPECT_EQ(Error(Sample(4)),
            "m.gguf: GGUF version 4 is newer than this reader (2 and 3)");
  EXPECT_EQ(Error(Sample(0x03000000)),
            "m.gguf: GGUF version field 0x3000000 looks big-endian; only "
            "little-endian files are supported");
  bytes = Sample();
  bytes[8] = 0xFF; // tensor count
  bytes[13] = 0x7F;
  EXPECT_NE(Error(bytes).find("tensors, more than the file can hold"),
            std::string::npos)
      << Error(bytes);
}

TEST(GgufFile, BadMetadata) {
  GgufBuilder b;
  b.Raw("k", 13, {});
  EXPECT_EQ(Error(b.Build()), "m.gguf: metadata 'k' has unknown value type 13");

  GgufBuilder s;
  std::vector<uint8_t> huge;
  GgufBuilder::Put<uint64_t>(huge, uint64_t(1) << 40);
  s.Raw("name", 8, huge);
  EXPECT_EQ(Error(s.Build()),
            "m.gguf: metadata 'name' at byte 40 claims 1099511627776 bytes, "
            "more than the 16 left in the file");

  GgufBuilder a;
  std::vector<uint8_t> array;
  GgufBuilder::Put<uint32_t>(array, 6);
  GgufBuilder::Put<uint64_t>(array, uint64_t(1) << 61);
  a.Raw("scores", 9, array);
  EXPECT_EQ(Error(a.Build()),
            "m.gguf: metadata 'scores': an array of 2305843009213693952 f32 "
            "values is longer than the 10 bytes left in the file");

  GgufBuilder d;
  d.U32("x", 1);
  d.U32("x", 2);
  EXPECT_EQ(Error(d.Build()), "m.gguf: metadata 'x' appears twice");

  GgufBuilder al;
  al.U32("general.alignment", 48);
  EXPECT_EQ(Error(al.Build()), "m.gguf: metadata 'general.alignment' must be "
                               "a u32 power of two, got u32 48");
}

TEST(GgufFile, BadTensors) {
  auto one = [](std::vector<uint64_t> ne, uint32_t type, size_t bytes) {
    GgufBuilder b;
    b.Tensor("t", std::move(ne), type, std::vector<uint8_t>(bytes, 0));
    return Error(b.Build());
  };
  EXPECT_EQ(one({8}, 0, 32), "ok");
  EXPECT_EQ(one({}, 0, 0), "m.gguf: tensor 't' has 0 dimensions (1 to 4 "
                           "expected)");
  EXPECT_EQ(one({1, 1, 1, 1, 1}, 0, 4),
            "m.gguf: tensor 't' has 5 dimensions (1 to 4 expected)");
  EXPECT_EQ(one({8, 0}, 0, 0), "m.gguf: tensor 't' has an impossible shape");
  EXPECT_EQ(one({8}, 99, 32), "m.gguf: tensor 't' has unknown GGML type 99");
  EXPECT_EQ(one({48}, 8, 64),
            "m.gguf: tensor 't' rows of 48 values are not whole Q8_0 blocks "
            "of 32");
  EXPECT_EQ(one({8}, 0, 16), "m.gguf: tensor 't' (32 bytes at data offset 0) "
                             "runs past the end of the file");

  GgufBuilder overlap;
  overlap.TensorF32("a", {16}, std::vector<float>(16, 1.0f));
  overlap.TensorF32("b", {8}, std::vector<float>(8, 1.0f));
  std::vector<uint8_t> bytes = overlap.Build();
  // Point b's offset (the last 8 bytes of its info) at a's data.
  const std::string b_name = "b";
  size_t at = 0;
  for (size_t i = 0; i + 1 < bytes.size(); ++i)
    if (bytes[i] == 'b' && bytes[i - 1] == 0 && bytes[i + 1] == 1) {
      at = i + 1 + 4 + 8 + 4;
      break;
    }
  ASSERT_NE(at, 0u);
  uint64_t zero = 32;
  std::memcpy(bytes.data() + at, &zero, 8);
  EXPECT_EQ(Error(bytes), "m.gguf: tensors 'a' and 'b' overlap");
  uint64_t odd = 36;
  std::memcpy(bytes.data() + at, &odd, 8);
  EXPECT_EQ(Error(bytes),
            "m.gguf: tensor 'b' at offset 36 is not aligned to 32");

  GgufBuilder twice;
  twice.TensorF32("a", {8}, std::vector<float>(8, 1.0f));
  twice.TensorF32("a", {8}, std::vector<float>(8, 1.0f));
  EXPECT_EQ(Error(twice.Build()), "m.gguf: tensor 'a' appears twice");
}

} // namespace
} // namespace gemma::gguf
