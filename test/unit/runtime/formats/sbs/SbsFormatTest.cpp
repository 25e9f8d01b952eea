//===- SbsFormatTest.cpp - .sbs worked examples and a gemma.cpp file -----===//

#include "runtime/formats/sbs/BlobStore.h"
#include "runtime/formats/sbs/ModelConfig.h"
#include "runtime/formats/sbs/SbsFile.h"
#include "runtime/formats/sbs/Toc.h"

#include "test/unit/TempPath.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace gemma::sbs {
namespace {

using gemma::testing::TempPath;

std::vector<uint8_t> ReadAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

uint32_t Word(const std::vector<uint8_t> &bytes, size_t i) {
  return bytes[4 * i] | bytes[4 * i + 1] << 8 | bytes[4 * i + 2] << 16 |
         static_cast<uint32_t>(bytes[4 * i + 3]) << 24;
}

// The two blobs of docs/formats/sbs.md 8.1 (gemma.cpp's blob_store_test).
std::vector<std::pair<std::string, std::vector<uint8_t>>> ExampleBlobs() {
  return {{"0123456789abcdef", Bytes(std::string_view("DATA\0", 5))},
          {"q",
           {0x00, 0x00, 0x80, 0xbf, 0x00, 0x00, 0x00, 0x00, 0xd0, 0x0f, 0x49,
            0x40, 0x4d, 0xf8, 0x2d, 0x40}}};
}

TEST(BlobStore, WritesTheV2WorkedExampleByteForByte) {
  std::string path = TempPath("v2.sbs");
  absl::StatusOr<BlobWriter> writer = BlobWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (const auto &[key, bytes] : ExampleBlobs())
    ASSERT_TRUE(writer->Add(key, bytes).ok());
  ASSERT_TRUE(writer->Finish().ok());

  std::vector<uint8_t> file = ReadAll(path);
  ASSERT_EQ(file.size(), 65536u);
  std::vector<uint8_t> expected(65536, 0);
  auto put = [&](size_t at, std::vector<uint8_t> bytes) {
    std::copy(bytes.begin(), bytes.end(), expected.begin() + at);
  };
  put(0x0, {0x53, 0x42, 0x53, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0});
  put(0x100, {'D', 'A', 'T', 'A', 0});
  put(0x200, ExampleBlobs()[1].second);
  put(0xffb0, Bytes("0123456789abcdef"));
  put(0xffc0, {'q'});
  put(0xffd0, {0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0});
  put(0xffe0, {0x00, 0x02, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0});
  put(0xfff0, {0x53, 0x42, 0x53, 0x0a, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0});
  EXPECT_EQ(file, expected);

  absl::StatusOr<BlobReader> reader = BlobReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->layout(), BlobLayout::kV2);
  ASSERT_EQ(reader->entries().size(), 2u);
  EXPECT_EQ(reader->entries()[0].key, "0123456789abcdef");
  EXPECT_EQ(reader->entries()[1].offset, 0x200u);
  auto q = reader->Find("q");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(std::vector<uint8_t>(q->begin(), q->end()),
            ExampleBlobs()[1].second);
}

TEST(BlobStore, ReadsTheV1LayoutPaddedOrNot) {
  for (bool pad : {true, false}) {
    std::vector<uint8_t> image = BuildV1Image(ExampleBlobs(), pad);
    EXPECT_EQ(image.size(), pad ? 65536u : 0x300u);
    // docs/formats/sbs.md 8.2's header and first directory bytes.
    EXPECT_EQ(Word(image, 0), kBlobMagic);
    EXPECT_EQ(Word(image, 1), 2u);
    EXPECT_EQ(image[0x10], '0');
    EXPECT_EQ(image[0x20], 'q');
    EXPECT_EQ(image[0x31], 0x01); // range 0: offset 0x100
    absl::StatusOr<BlobReader> reader = BlobReader::FromBytes(image, "v1");
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ(reader->layout(), BlobLayout::kV1);
    EXPECT_EQ(reader->Find("0123456789abcdef")->size(), 5u);
  }
}

TEST(Toc, RecordMatchesTheWorkedExample) {
  std::vector<uint8_t> bytes = WriteToc(
      {TensorRecord::For("c_embedding", StoredType::kBF16, 262144, 640, 1.0f)});
  std::vector<uint32_t> expected = {
      0x0b, 0x03,       0x6d655f63, 0x64646562, 0x00676e69, 0x02,
      0x02, 0x0a000000, 0x00040000, 0x00000280, 0x3f800000, 0x00000280};
  ASSERT_EQ(bytes.size(), expected.size() * 4);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(Word(bytes, i), expected[i]) << i;

  // docs/formats/sbs.md 8.3's other records.
  auto sfp = TensorRecord::For("qkv_ein_0", StoredType::kSFP, 1536, 640, 1.5f);
  EXPECT_EQ(sfp.element_bytes, 1u);
  EXPECT_EQ(sfp.num_elements, 0x000f0000u);
  EXPECT_EQ(TensorRecord::For("x", StoredType::kNUQ, 640, 2048, 1).num_elements,
            0x000b4000u);
  EXPECT_EQ(TensorRecord::For("x", StoredType::kI8, 640, 2048, 1).num_elements,
            0x0014a000u);

  absl::StatusOr<std::vector<TensorRecord>> back = ReadToc(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)[0].name, "c_embedding");
  EXPECT_EQ((*back)[0].rows, 262144u);
}

// gemma.cpp's canonical Gemma3-270M config (configs.cc), bf16, IT.
ModelConfig Gemma3_270M() {
  ModelConfig config;
  config.display_name = "Gemma3_270M";
  config.model = Model::kGemma3_270M;
  config.wrapping = PromptWrapping::kGemmaIT;
  config.weight = StoredType::kBF16;
  config.num_layers = 18;
  config.model_dim = 640;
  config.vocab_size = 262144;
  config.max_seq_len = 32768;
  LayerConfig layer;
  layer.model_dim = 640;
  layer.ff_hidden_dim = 2048;
  layer.heads = 4;
  layer.kv_heads = 1;
  layer.qkv_dim = 256;
  layer.post_norm = PostNormType::kScale;
  layer.use_qk_norm = true;
  layer.write_fields = LayerConfig::kFields2025;
  config.layer_configs.assign(18, layer);
  for (uint32_t i = 0; i < 18; ++i)
    config.attention_window_sizes.push_back(i % 6 == 5 ? 32768 : 512);
  config.secondary_eos_id = 106;
  config.scale_base_names = {"att_ein",    "qkv_ein",      "gr_lin_x_w",
                             "gr_lin_y_w", "gr_lin_out_w", "gr_gate_w",
                             "gating_ein", "linear_w"};
  return config;
}

TEST(ModelConfig, WritesTheWorkedExampleWordsThenAppendedFields) {
  std::vector<uint8_t> bytes = WriteModelConfig(Gemma3_270M());
  // docs/formats/sbs.md 8.4: 369 words for gemma.cpp's fields; then the 16
  // fields gemma.cpp appended in 2026 and this project's 6.
  ASSERT_EQ(bytes.size() / 4, 369u + 16 + 6);
  EXPECT_EQ(Word(bytes, 0), 369u + 16 + 6 - 1);
  const std::vector<uint32_t> head = {
      0x00000001, 0x00000003, 0x6d6d6547, 0x325f3361, 0x004d3037,
      0x00000012, 0x00000000, 0x00000002, 0x00000012, 0x00000280,
      0x00040000, 0x00008000, 0x00000000, 0x00000000, 0x00000000,
      0x00000000, 0x00000000, 0x00000000, 0x00000012};
  for (size_t i = 0; i < head.size(); ++i)
    EXPECT_EQ(Word(bytes, 1 + i), head[i]) << i;
  const std::vector<uint32_t> layer = {0xf, 0x280, 0, 0x800, 4, 1, 0x100, 0,
                                       0,   0,     1, 1,     0, 0, 0,     1};
  for (size_t l = 0; l < 18; ++l)
    for (size_t i = 0; i < layer.size(); ++i)
      ASSERT_EQ(Word(bytes, 20 + 16 * l + i), layer[i]) << l << " " << i;
  size_t at = 20 + 16 * 18;
  EXPECT_EQ(Word(bytes, at), 18u); // window count
  EXPECT_EQ(Word(bytes, at + 1), 512u);
  EXPECT_EQ(Word(bytes, at + 6), 32768u);
  at += 19;
  EXPECT_EQ(Word(bytes, at), 1u); // norm_num_groups
  const std::vector<uint32_t> vit = {7, 0, 0, 0, 14, 224, 0, 1};
  for (size_t i = 0; i < vit.size(); ++i)
    EXPECT_EQ(Word(bytes, at + 1 + i), vit[i]);
  at += 9;
  EXPECT_EQ(Word(bytes, at), 1u);       // pool_dim
  EXPECT_EQ(Word(bytes, at + 1), 1u);   // eos_id
  EXPECT_EQ(Word(bytes, at + 2), 106u); // secondary_eos_id
  EXPECT_EQ(Word(bytes, at + 3), 8u);   // 8 scale base names
  EXPECT_EQ(Word(bytes, at + 4), 2u);   // "att_ein" is 2 words
  EXPECT_EQ(Word(bytes, at + 5), 0x5f747461u);

  FieldsReport report;
  absl::StatusOr<ModelConfig> back = ReadModelConfig(bytes, &report);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->display_name, "Gemma3_270M");
  EXPECT_EQ(back->layer_configs[3].ff_hidden_dim, 2048u);
  EXPECT_TRUE(back->layer_configs[3].use_qk_norm);
  EXPECT_EQ(back->layer_configs[3].kv_share_layer_idx, -1); // default
  EXPECT_EQ(report.extra_words, 0u);
  EXPECT_TRUE(ValidateModelConfig(*back).ok());
  EXPECT_EQ(Specifier(*back), "gemma3-270m-bf16-it");
}

std::string Fixture(const std::string &name) {
  return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/gemmacpp-tiny-g3/" +
         name;
}

TEST(SbsFile, ReadsTheFileGemmaCppWrote) {
  absl::StatusOr<SbsFile> file = SbsFile::Open(Fixture("model.sbs"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->container().layout(), BlobLayout::kV2);
  const ModelConfig &config = file->config();
  EXPECT_EQ(config.display_name, "TinyGemma3_random");
  EXPECT_EQ(config.model, Model::kGemma3_1B);
  EXPECT_EQ(config.wrapping, PromptWrapping::kGemmaVLM);
  EXPECT_EQ(config.weight, StoredType::kBF16);
  EXPECT_EQ(config.num_layers, 6u);
  EXPECT_EQ(config.model_dim, 256u);
  EXPECT_EQ(config.vocab_size, 8192u);
  EXPECT_EQ(config.max_seq_len, 4096u);
  EXPECT_EQ(config.secondary_eos_id, 106);
  EXPECT_EQ(config.attention_window_sizes,
            (std::vector<uint32_t>{16, 16, 16, 16, 16, 4096}));
  for (const LayerConfig &layer : config.layer_configs) {
    EXPECT_EQ(layer.ff_hidden_dim, 512u);
    EXPECT_EQ(layer.heads, 4u);
    EXPECT_EQ(layer.kv_heads, 1u);
    EXPECT_EQ(layer.qkv_dim, 64u);
    EXPECT_TRUE(layer.use_qk_norm);
    EXPECT_EQ(layer.post_norm, PostNormType::kScale);
  }
  EXPECT_EQ(Specifier(config), "gemma3-1b-bf16");
  ASSERT_TRUE(file->tokenizer().has_value());
  EXPECT_EQ(file->tokenizer()->size(), 158261u);

  // Every blob line of gemma.cpp's own dump: name, offset, bytes, and for
  // tensors type and shape.
  std::ifstream info(Fixture("gemmacpp-info.txt"));
  std::string line;
  size_t checked = 0;
  bool in_blobs = false;
  while (std::getline(info, line)) {
    if (line.starts_with("blobs")) {
      in_blobs = true;
      continue;
    }
    if (!in_blobs || line.empty())
      continue;
    std::istringstream fields(line);
    std::string name, type, x;
    uint64_t offset = 0, bytes = 0, rows = 0, cols = 0;
    fields >> name >> offset >> bytes >> type;
    const BlobEntry *entry = file->container().FindEntry(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_EQ(entry->offset, offset) << name;
    EXPECT_EQ(entry->size, bytes) << name;
    if (type != "(metadata)") {
      fields >> rows >> x >> cols;
      const TensorRecord *record = file->FindTensor(name);
      ASSERT_NE(record, nullptr) << name;
      EXPECT_EQ(StoredTypeName(record->type), type) << name;
      EXPECT_EQ(record->rows, rows) << name;
      EXPECT_EQ(record->cols, cols) << name;
      EXPECT_EQ(record->scale, 1.0f) << name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 65u);
  EXPECT_EQ(file->tensors().size(), 62u);
}

TEST(SbsFile, RewritingGemmaCppsBlobsGivesIdenticalBytes) {
  absl::StatusOr<BlobReader> reader = BlobReader::Open(Fixture("model.sbs"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string path = TempPath("rewritten.sbs");
  absl::StatusOr<BlobWriter> writer = BlobWriter::Create(path);
  ASSERT_TRUE(writer.ok());
  for (const BlobEntry &entry : reader->entries())
    ASSERT_TRUE(writer->Add(entry.key, reader->Bytes(entry)).ok());
  ASSERT_TRUE(writer->Finish().ok());
  std::vector<uint8_t> original(reader->file().begin(), reader->file().end());
  EXPECT_TRUE(ReadAll(path) == original);
}

} // namespace
} // namespace gemma::sbs
