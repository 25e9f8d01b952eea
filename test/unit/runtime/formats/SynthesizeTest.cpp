//===- SynthesizeTest.cpp - Synthetic .sbs files round trip ---------------===//

#include "runtime/formats/synth/Synthesize.h"

#include "runtime/formats/SbsModel.h"
#include "runtime/formats/synth/Presets.h"
#include "runtime/formats/synth/SynthValues.h"
#include "runtime/weights/codecs/Decode.h"
#include "runtime/weights/codecs/Encode.h"
#include "runtime/weights/codecs/Scale.h"

#include "test/unit/TempPath.h"

#include <gtest/gtest.h>

#include <ostream>

#include <fstream>
#include <iterator>

namespace gemma {
namespace {

std::vector<uint8_t> ReadAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void ExpectSameSpec(const ModelSpec &a, const ModelSpec &b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.model_dim, b.model_dim);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.max_context, b.max_context);
  EXPECT_EQ(a.norm_scale, b.norm_scale);
  EXPECT_EQ(a.embed_scale, b.embed_scale);
  EXPECT_EQ(a.attn_softcap, b.attn_softcap);
  EXPECT_EQ(a.final_softcap, b.final_softcap);
  EXPECT_EQ(a.layer_scalar, b.layer_scalar);
  EXPECT_EQ(a.ple_dim, b.ple_dim);
  EXPECT_EQ(a.eos_ids, b.eos_ids);
  EXPECT_EQ(a.chat, b.chat);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    SCOPED_TRACE(i);
    const LayerSpec &x = a.layers[i], &y = b.layers[i];
    EXPECT_EQ(x.window, y.window);
    EXPECT_EQ(x.heads, y.heads);
    EXPECT_EQ(x.kv_heads, y.kv_heads);
    EXPECT_EQ(x.head_dim, y.head_dim);
    EXPECT_EQ(x.ff_hidden, y.ff_hidden);
    EXPECT_EQ(x.rope.base, y.rope.base);
    EXPECT_EQ(x.rope.linear_scale, y.rope.linear_scale);
    EXPECT_EQ(x.rope.fraction, y.rope.fraction);
    EXPECT_EQ(x.query_scale, y.query_scale);
    EXPECT_EQ(x.post_norms, y.post_norms);
    EXPECT_EQ(x.qk_norm, y.qk_norm);
    EXPECT_EQ(x.value_norm, y.value_norm);
    EXPECT_EQ(x.k_eq_v, y.k_eq_v);
    EXPECT_EQ(x.kv_source_layer, y.kv_source_layer);
    EXPECT_EQ(x.num_experts, y.num_experts);
    EXPECT_EQ(x.experts_per_token, y.experts_per_token);
    EXPECT_EQ(x.expert_ff_hidden, y.expert_ff_hidden);
  }
}

struct Case {
  const char *preset;
  StoredType weight;
};

// Readable, stable test names in CTest (not the struct's bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.preset << "/" << StoredTypeName(c.weight);
}

class SynthesizeTest : public ::testing::TestWithParam<Case> {};

TEST_P(SynthesizeTest, WritesWhatItDescribesAndReadsBackExactly) {
  auto [preset, weight] = GetParam();
  ModelSpec spec = *PresetSpec(preset);
  std::string path = gemma::testing::TempPath("model.sbs");
  ASSERT_TRUE(SynthesizeSbs(spec, weight, 42, path).ok());

  absl::StatusOr<ModelFile> model = LoadSbsModel(path);
  ASSERT_TRUE(model.ok()) << model.status();
  ExpectSameSpec(model->spec, spec);
  ASSERT_TRUE(model->tokenizer.has_value());

  // Every tensor holds exactly the encoded synthetic values.
  for (const TensorSlot &slot : SbsTensorTable(spec, weight)) {
    const WeightTensor *tensor = model->Find(slot.name);
    ASSERT_NE(tensor, nullptr) << slot.name;
    ASSERT_EQ(tensor->type, slot.type) << slot.name;
    std::vector<float> values(slot.rows * slot.cols);
    SynthValues synth(42, slot, spec.norm_scale, StreamGain(spec));
    synth.Fill(0, values);
    const float scale = SynthScale(slot, synth);
    EXPECT_EQ(tensor->scale, scale) << slot.name;
    if (scale != 1.0f)
      ApplyInverseScale(values, scale);
    std::vector<uint8_t> expected(PackedBytes(slot.type, values.size()));
    ASSERT_TRUE(EncodeTensor(slot.type, values, expected).ok());
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(),
                           tensor->bytes.begin(), tensor->bytes.end()))
        << slot.name;
  }

  // Rewriting the blobs in order reproduces the file byte for byte, and the
  // same seed writes the same file again.
  std::string copy = path + ".copy";
  absl::StatusOr<sbs::BlobWriter> writer = sbs::BlobWriter::Create(copy);
  ASSERT_TRUE(writer.ok());
  for (const sbs::BlobEntry &entry : model->file->container().entries())
    ASSERT_TRUE(
        writer->Add(entry.key, model->file->container().Bytes(entry)).ok());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_TRUE(ReadAll(copy) == ReadAll(path));
  std::string again = path + ".again";
  ASSERT_TRUE(SynthesizeSbs(spec, weight, 42, again).ok());
  EXPECT_TRUE(ReadAll(again) == ReadAll(path));
}

INSTANTIATE_TEST_SUITE_P(
    TinyPresets, SynthesizeTest,
    ::testing::Values(Case{"tiny-gemma1", StoredType::kF32},
                      Case{"tiny-gemma2", StoredType::kBF16},
                      Case{"tiny-gemma3", StoredType::kSFP},
                      Case{"tiny-gemma3", StoredType::kNUQ},
                      Case{"tiny-gemma3", StoredType::kI8},
                      Case{"tiny-gemma4", StoredType::kSFP},
                      Case{"tiny-gemma4", StoredType::kF32}),
    [](const ::testing::TestParamInfo<Case> &info) {
      std::string name = std::string(info.param.preset) + "_" +
                         std::string(StoredTypeName(info.param.weight));
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(Synthesize, SeedsChangeTheWeights) {
  ModelSpec spec = *PresetSpec("tiny-gemma2");
  std::string a = gemma::testing::TempPath("seed1.sbs");
  std::string b = gemma::testing::TempPath("seed2.sbs");
  ASSERT_TRUE(SynthesizeSbs(spec, StoredType::kBF16, 1, a).ok());
  ASSERT_TRUE(SynthesizeSbs(spec, StoredType::kBF16, 2, b).ok());
  EXPECT_FALSE(ReadAll(a) == ReadAll(b));
}

TEST(Synthesize, GemmaCppsOwnFileImportsWithReferenceValues) {
  absl::StatusOr<ModelFile> model =
      LoadSbsModel(std::string(GEMMA_SOURCE_DIR) +
                   "/test/fixtures/gemmacpp-tiny-g3/model.sbs");
  ASSERT_TRUE(model.ok()) << model.status();
  const ModelSpec &spec = model->spec;
  EXPECT_EQ(spec.generation, Generation::kGemma3);
  EXPECT_EQ(spec.norm_scale, NormScale::kPlusOne);
  EXPECT_EQ(spec.embed_scale, 16.0f);
  EXPECT_EQ(spec.layers[0].window, 16u);
  EXPECT_EQ(spec.layers[0].rope.base, 1e4);
  EXPECT_TRUE(spec.layers[5].is_global());
  EXPECT_EQ(spec.layers[5].rope.base, 1e6);
  EXPECT_EQ(spec.layers[0].query_scale, 1.0f / 8);
  EXPECT_EQ(spec.eos_ids, (std::vector<int32_t>{1, 106}));
}

} // namespace
} // namespace gemma
