//===- SbsCorruptionTest.cpp - Every bad .sbs gets one precise line -------===//

#include "runtime/formats/sbs/BlobStore.h"
#include "runtime/formats/sbs/ModelConfig.h"
#include "runtime/formats/sbs/SbsFile.h"
#include "runtime/formats/sbs/Toc.h"

#include "test/unit/TempPath.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace gemma::sbs {
namespace {

std::vector<uint8_t> ReadAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void PutU32(std::vector<uint8_t> &bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void PutU64(std::vector<uint8_t> &bytes, size_t at, uint64_t v) {
  PutU32(bytes, at, static_cast<uint32_t>(v));
  PutU32(bytes, at + 4, static_cast<uint32_t>(v >> 32));
}

// A valid two-layer model: config, toc, tokenizer and bf16 tensors.
ModelConfig SmallConfig() {
  ModelConfig config;
  config.display_name = "Small";
  config.model = Model::kGemma3_1B;
  config.wrapping = PromptWrapping::kGemmaIT;
  config.weight = StoredType::kBF16;
  config.num_layers = 2;
  config.model_dim = 8;
  config.vocab_size = 16;
  config.max_seq_len = 64;
  LayerConfig layer;
  layer.model_dim = 8;
  layer.ff_hidden_dim = 16;
  layer.heads = 2;
  layer.kv_heads = 1;
  layer.qkv_dim = 4;
  layer.write_fields = LayerConfig::kFields2025;
  config.layer_configs.assign(2, layer);
  config.attention_window_sizes = {4, 64};
  return config;
}

struct Blob {
  std::string key;
  std::vector<uint8_t> bytes;
};

std::vector<Blob> SmallBlobs(const ModelConfig &config) {
  std::vector<TensorRecord> toc = {
      TensorRecord::For("c_embedding", StoredType::kBF16, 16, 8, 1.0f),
      TensorRecord::For("linear_w_0", StoredType::kBF16, 8, 16, 1.0f)};
  std::vector<Blob> blobs;
  for (const TensorRecord &record : toc)
    blobs.push_back({record.name, std::vector<uint8_t>(
                                      2 * record.rows * record.cols, 0x3c)});
  blobs.push_back({"config", WriteModelConfig(config)});
  blobs.push_back(
      {"tokenizer", {'u', 'n', 'a', 'v', 'a', 'i', 'l', 'a', 'b', 'l', 'e'}});
  blobs.push_back({"toc", WriteToc(toc)});
  return blobs;
}

std::vector<uint8_t> Write(const std::vector<Blob> &blobs) {
  std::string path = gemma::testing::TempPath("small.sbs");
  absl::StatusOr<BlobWriter> writer = BlobWriter::Create(path);
  EXPECT_TRUE(writer.ok());
  for (const Blob &blob : blobs)
    EXPECT_TRUE(writer->Add(blob.key, blob.bytes).ok());
  EXPECT_TRUE(writer->Finish().ok());
  return ReadAll(path);
}

std::string Error(const std::vector<uint8_t> &bytes) {
  absl::StatusOr<SbsFile> file = SbsFile::FromBytes(bytes, "m.sbs");
  return file.ok() ? "ok" : std::string(file.status().message());
}

// The directory of a V2 file with `n` blobs starts 16 + 32n before the end.
size_t DirectoryAt(const std::vector<uint8_t> &bytes, size_t n) {
  return bytes.size() - 16 - 32 * n;
}

TEST(SbsCorruption, TheValidFileLoads) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  EXPECT_EQ(Error(bytes), "ok");
  absl::StatusOr<SbsFile> file = SbsFile::FromBytes(bytes, "m.sbs");
  EXPECT_FALSE(file->tokenizer().has_value()); // "unavailable"
}

TEST(SbsCorruption, Truncated) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  bytes.resize(bytes.size() - 1000);
  EXPECT_EQ(Error(bytes),
            "m.sbs: no BlobStore header: magic 0x0a534253 at the start and "
            "0x00000000 at the end, expected 0x0a534253 (truncated, or not a "
            ".sbs file?)");
  bytes.resize(10);
  EXPECT_EQ(Error(bytes), "m.sbs: 10 bytes is too small for a BlobStore "
                          "header (not a gemma.cpp .sbs file?)");
}

TEST(SbsCorruption, WrongMagic) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  PutU32(bytes, bytes.size() - 16, 0x12345678);
  EXPECT_EQ(Error(bytes),
            "m.sbs: no BlobStore header: magic 0x0a534253 at the start and "
            "0x12345678 at the end, expected 0x0a534253 (truncated, or not a "
            ".sbs file?)");
}

TEST(SbsCorruption, SizeInHeaderDiffers) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  bytes.resize(bytes.size() + 65536, 0);
  std::copy(bytes.end() - 65536 - 16 - 32 * 5, bytes.end() - 65536,
            bytes.end() - 16 - 32 * 5); // move directory + trailer to the end
  EXPECT_EQ(Error(bytes), "m.sbs: header says the file is 65536 bytes, it is "
                          "131072 (truncated or appended to?)");
}

TEST(SbsCorruption, DirectoryPointingPastTheEnd) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  size_t ranges = DirectoryAt(bytes, 5) + 16 * 5;
  PutU64(bytes, ranges + 16 * 4 + 8, 1u << 20); // toc claims 1 MiB
  EXPECT_EQ(Error(bytes),
            "m.sbs: blob 4 ('toc'): 1048576 bytes at offset 1536 run past the "
            "end of the blob area at 65360");
}

TEST(SbsCorruption, OverlappingOrOutOfChainBlobs) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  size_t ranges = DirectoryAt(bytes, 5) + 16 * 5;
  PutU64(bytes, ranges + 16 * 1, 256); // blob 1 overlaps blob 0
  EXPECT_EQ(Error(bytes), "m.sbs: blob 1 ('linear_w_0') at offset 256, "
                          "expected 512 (blobs follow directory order, "
                          "256-byte aligned)");
  PutU64(bytes, ranges + 16 * 1, 520); // not aligned
  EXPECT_EQ(Error(bytes), "m.sbs: blob 1 ('linear_w_0') at offset 520, "
                          "expected 512 (blobs follow directory order, "
                          "256-byte aligned)");
}

TEST(SbsCorruption, ZeroSizeBlobAndBadKeys) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  size_t keys = DirectoryAt(bytes, 5);
  size_t ranges = keys + 16 * 5;
  std::vector<uint8_t> zero = bytes;
  PutU64(zero, ranges + 8, 0);
  EXPECT_EQ(Error(zero),
            "m.sbs: blob 0 ('c_embedding'): size 0 (blobs are never empty)");
  std::vector<uint8_t> twice = bytes;
  std::memcpy(twice.data() + keys + 16, "c_embedding\0\0\0\0\0", 16);
  EXPECT_EQ(Error(twice),
            "m.sbs: blob 1 ('c_embedding'): the name appears twice");
  std::vector<uint8_t> empty = bytes;
  std::memset(empty.data() + keys + 16, 0, 16);
  EXPECT_EQ(Error(empty), "m.sbs: blob 1 (''): blob name '' must be 1 to 16 "
                          "bytes");
}

TEST(SbsCorruption, TooManyBlobs) {
  std::vector<uint8_t> bytes = Write(SmallBlobs(SmallConfig()));
  PutU32(bytes, bytes.size() - 12, 20000);
  EXPECT_EQ(Error(bytes),
            "m.sbs: directory lists 20000 blobs, at most 16384 allowed");
}

TEST(SbsCorruption, TocNamingAMissingBlob) {
  ModelConfig config = SmallConfig();
  std::vector<Blob> blobs = SmallBlobs(config);
  blobs.back().bytes = WriteToc(
      {TensorRecord::For("c_embedding", StoredType::kBF16, 16, 8, 1.0f),
       TensorRecord::For("qkv_ein_0", StoredType::kBF16, 16, 8, 1.0f)});
  EXPECT_EQ(Error(Write(blobs)),
            "m.sbs: tensor 'qkv_ein_0' of the toc has no blob");
}

TEST(SbsCorruption, TensorSizeNotMatchingTypeAndShape) {
  std::vector<Blob> blobs = SmallBlobs(SmallConfig());
  blobs.back().bytes = WriteToc(
      {TensorRecord::For("c_embedding", StoredType::kBF16, 16, 8, 1.0f),
       TensorRecord::For("linear_w_0", StoredType::kBF16, 8, 32, 1.0f)});
  EXPECT_EQ(Error(Write(blobs)),
            "m.sbs: tensor 'linear_w_0' is 8 x 32 bf16 (512 bytes) but its "
            "blob holds 256 bytes");
}

TEST(SbsCorruption, WeightTypeDisagreesWithTheToc) {
  ModelConfig config = SmallConfig();
  config.weight = StoredType::kSFP;
  EXPECT_EQ(Error(Write(SmallBlobs(config))),
            "m.sbs: config says the weights are sfp, but the smallest type in "
            "the tensor table is bf16");
}

TEST(SbsCorruption, ImpossibleConfigValues) {
  auto error = [](auto edit) {
    ModelConfig config = SmallConfig();
    edit(config);
    return Error(Write(SmallBlobs(config)));
  };
  EXPECT_EQ(error([](ModelConfig &c) { c.layer_configs[1].qkv_dim = 2000; }),
            "m.sbs: config: layer_configs[1]: qkv_dim 2000 exceeds gemma.cpp's "
            "limit of 1024");
  EXPECT_EQ(error([](ModelConfig &c) {
              c.layer_configs[0].heads = 3;
              c.layer_configs[0].kv_heads = 2;
            }),
            "m.sbs: config: layer_configs[0]: heads 3 is not a multiple of "
            "kv_heads 2");
  EXPECT_EQ(error([](ModelConfig &c) { c.num_layers = 3; }),
            "m.sbs: config: num_layers is 3 but layer_configs holds 2");
  EXPECT_EQ(error([](ModelConfig &c) { c.model = Model::kUnknown; }),
            "m.sbs: config: model is UNKNOWN (0); gemma.cpp refuses such "
            "files too");
  EXPECT_EQ(error([](ModelConfig &c) { c.attention_window_sizes[0] = 0; }),
            "m.sbs: config: attention_window_sizes[0] is 0");
}

// Replaces word `index` of the config blob.
std::string ConfigWordError(size_t index, uint32_t value) {
  std::vector<Blob> blobs = SmallBlobs(SmallConfig());
  PutU32(blobs[2].bytes, 4 * index, value);
  return Error(Write(blobs));
}

TEST(SbsCorruption, InvalidFieldValues) {
  // Word 1 is model_family_version, 2..4 display_name ("Small" = 2 words),
  // 5 model, 6 wrapping, 7 weight.
  EXPECT_EQ(ConfigWordError(5, 5),
            "m.sbs: config: ModelConfig.model: invalid enum value 5");
  EXPECT_EQ(ConfigWordError(6, 4),
            "m.sbs: config: ModelConfig.wrapping: invalid enum value 4");
  EXPECT_EQ(ConfigWordError(3, 0x80616d53),
            "m.sbs: config: ModelConfig.display_name: string holds a "
            "non-ASCII byte 0x80");
  // Word 13 is att_cap, 15 absolute_pe.
  EXPECT_EQ(ConfigWordError(13, 0x7fc00000),
            "m.sbs: config: ModelConfig.att_cap: non-finite float (bits "
            "0x7fc00000)");
  EXPECT_EQ(ConfigWordError(15, 2),
            "m.sbs: config: ModelConfig.absolute_pe: invalid bool 2");
  // Word 18 is the layer count, 19 the first record's size, 20.. its
  // fields; field 11 is post_norm.
  EXPECT_EQ(ConfigWordError(20 + 10, 7),
            "m.sbs: config: ModelConfig.layer_configs[0].post_norm: invalid "
            "enum value 7");
}

TEST(SbsCorruption, NestedExtraWordIsAnErrorTopLevelExtraIsCounted) {
  // One extra word in the first LayerConfig record: gemma.cpp misreads the
  // rest; we say so.
  ModelConfig config = SmallConfig();
  for (LayerConfig &layer : config.layer_configs)
    layer.write_fields = SIZE_MAX; // all 38 fields this reader knows
  std::vector<uint32_t> words = FieldWriter::Record(config);
  ASSERT_EQ(words[19], 38u);
  words[19] += 1;                           // record size 38 -> 39
  words.insert(words.begin() + 20 + 38, 0); // the extra word
  words[0] += 1;
  std::vector<Blob> blobs = SmallBlobs(config);
  blobs[2].bytes = WordsToBytes(words);
  EXPECT_EQ(Error(Write(blobs)),
            "m.sbs: config: ModelConfig.layer_configs[0]: 1 more words than "
            "the LayerConfig fields this reader knows (gemma.cpp cannot skip "
            "them either)");

  std::vector<uint32_t> top = FieldWriter::Record(config);
  top.push_back(7);
  top.push_back(8);
  top[0] += 2;
  FieldsReport report;
  absl::StatusOr<ModelConfig> read =
      ReadModelConfig(WordsToBytes(top), &report);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(report.extra_words, 2u);
}

TEST(SbsCorruption, MissingTrailingFieldsKeepTheirDefaults) {
  ModelConfig config = SmallConfig();
  std::vector<uint32_t> words = FieldWriter::Record(config);
  // Drop use_qk_norm, the last word of the first LayerConfig record.
  words.erase(words.begin() + 20 + 14);
  words[19] -= 1;
  words[0] -= 1;
  // And gemma_cpp's appended + our fields at the end (22 words).
  words.resize(words.size() - 22);
  words[0] -= 22;
  FieldsReport report;
  absl::StatusOr<ModelConfig> read =
      ReadModelConfig(WordsToBytes(words), &report);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->layer_configs[0].use_qk_norm);
  EXPECT_EQ(read->global_rope_theta, 1000000.0f);
  EXPECT_EQ(read->gc_generation, 0u);
  // Counted at every level: 22 at the end, use_qk_norm, and the 23 fields
  // gemma.cpp appended to LayerConfig in 2026 in each of the 2 records.
  EXPECT_EQ(report.missing_fields, 22u + 1 + 2 * 23);
}

TEST(SbsCorruption, LegacyWithoutResolverAndInterimFilesAreRefused) {
  std::vector<Blob> legacy = {{"$qkv_ein_0", std::vector<uint8_t>(64, 1)},
                              {"Bc_embedding", std::vector<uint8_t>(64, 1)}};
  EXPECT_EQ(Error(Write(legacy)),
            "m.sbs: a pre-2025 gemma.cpp multi-file weight file (tensor names "
            "carry type prefixes such as '$qkv_ein_0'; no embedded config or "
            "tensor table) is not supported: convert it once with a current "
            "gemma.cpp (load it with --tokenizer and --weights, then save a "
            "single-file .sbs)");
  std::vector<Blob> interim = SmallBlobs(SmallConfig());
  interim[0].key = "Bc_embedding";
  interim.back().bytes = WriteToc(
      {TensorRecord::For("Bc_embedding", StoredType::kBF16, 16, 8, 1.0f)});
  interim[1].key = "Blinear_w_0";
  EXPECT_EQ(Error(Write(interim)),
            "m.sbs: tensor 'Bc_embedding': an interim (2024-12..2025-05) "
            "gemma.cpp file whose tensor names carry type prefixes, which "
            "gemma.cpp cannot load either: re-export it with a current "
            "gemma.cpp");
}

} // namespace
} // namespace gemma::sbs
