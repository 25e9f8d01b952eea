//===- GgufModelTest.cpp - GGUF files as models ---------------------------===//
//
// A tiny model of each generation, synthesized as `.sbs`, is written again
// the way llama.cpp's converter writes GGUF (its tensor names, split Q/K/V,
// [d, H * hd] output projection, norms stored as 1 + w). Loaded back, the
// reference evaluator must give the same logits as from the `.sbs`: that
// checks the hyperparameter mapping, the names and shapes, and that the
// norm convention is undone exactly once.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/gguf/GgufModel.h"
#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/weights/codecs/Decode.h"
#include "test/unit/TinyModel.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"
#include "test/unit/runtime/formats/gguf/SbsToGguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

namespace gemma {
namespace {

using testing::AsGguf;
using testing::GgufBuilder;

class GgufModelParity : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufModelParity, LogitsMatchTheSbsModel) {
  const testing::LoadedModel sbs =
      testing::SynthesizeTiny(GetParam(), StoredType::kF32);
  const std::vector<uint8_t> bytes = AsGguf(sbs.model, sbs.weights);
  absl::StatusOr<ModelFile> gguf = LoadModelFileFromBytes(bytes, "tiny.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  absl::StatusOr<ModelWeights> weights = ModelWeightsOf(*gguf);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(gguf->format, "gguf");
  EXPECT_EQ(gguf->spec.norm_scale, NormScale::kPlain);
  EXPECT_EQ(gguf->spec.embed_scale, std::sqrt(float(sbs.model.spec.model_dim)));
  ASSERT_EQ(gguf->spec.num_layers(), sbs.model.spec.num_layers());
  for (uint32_t i = 0; i < gguf->spec.num_layers(); ++i) {
    const LayerSpec &a = gguf->spec.layers[i], &b = sbs.model.spec.layers[i];
    EXPECT_EQ(a.window, b.window) << i;
    EXPECT_EQ(a.rope.base, b.rope.base) << i;
    EXPECT_EQ(a.rope.linear_scale, b.rope.linear_scale) << i;
    EXPECT_EQ(a.query_scale, b.query_scale) << i;
    EXPECT_EQ(a.qk_norm, b.qk_norm) << i;
    EXPECT_EQ(a.post_norms, b.post_norms) << i;
  }
  EXPECT_EQ(gguf->spec.attn_softcap, sbs.model.spec.attn_softcap);
  EXPECT_EQ(gguf->spec.final_softcap, sbs.model.spec.final_softcap);

  // The .sbs spec with GGUF's embedding multiplier: everything else equal.
  ModelSpec spec = sbs.model.spec;
  spec.embed_scale = gguf->spec.embed_scale;
  const BuildOptions options = BuildOptionsFor(32, {6}, {1});
  auto want = reference::ModelRunner::Create(
      spec, sbs.weights, reference::StoredWeightProvider(sbs.model), options);
  auto got = reference::ModelRunner::Create(
      gguf->spec, *weights, reference::StoredWeightProvider(*gguf), options);
  ASSERT_TRUE(want.ok() && got.ok()) << want.status() << got.status();
  const std::vector<int32_t> ids = testing::RandomIds(10, spec.vocab_size, 5);
  reference::KvCaches a = (*want)->EmptyCaches(1), b = (*got)->EmptyCaches(1);
  ASSERT_TRUE((*want)->Prefill(std::span(ids).first(6), 0, a).ok());
  ASSERT_TRUE((*got)->Prefill(std::span(ids).first(6), 0, b).ok());
  for (int32_t p = 6; p < 10; ++p) {
    absl::StatusOr<reference::Tensor> x =
        (*want)->Decode({&ids[p], 1}, {&p, 1}, a);
    absl::StatusOr<reference::Tensor> y =
        (*got)->Decode({&ids[p], 1}, {&p, 1}, b);
    ASSERT_TRUE(x.ok() && y.ok());
    double diff = 0, scale = 0;
    for (size_t v = 0; v < x->data.size(); ++v) {
      diff = std::max(diff, double(std::fabs(x->data[v] - y->data[v])));
      scale = std::max(scale, double(std::fabs(x->data[v])));
    }
    EXPECT_GT(scale, 0.1);
    // 1 + w computed in f32 once, at conversion: a rounding apart.
    EXPECT_LE(diff, 1e-5 * scale) << "position " << p;
  }
}

INSTANTIATE_TEST_SUITE_P(Generations, GgufModelParity,
                         ::testing::Values("tiny-gemma1", "tiny-gemma2",
                                           "tiny-gemma3"));

std::string LoadError(const std::vector<uint8_t> &bytes) {
  absl::StatusOr<ModelFile> model = LoadGgufModelFromBytes(bytes, "m.gguf");
  return model.ok() ? "ok" : std::string(model.status().message());
}

TEST(GgufModel, RefusesWhatItCannotRun) {
  GgufBuilder unknown;
  unknown.String("general.architecture", "llama");
  EXPECT_EQ(LoadError(unknown.Build()),
            "m.gguf: architecture 'llama' is not a Gemma text model (gemma, "
            "gemma2, gemma3, gemma4)");
  GgufBuilder g3n;
  g3n.String("general.architecture", "gemma3n");
  EXPECT_EQ(LoadError(g3n.Build()),
            "m.gguf: not supported yet: the 'gemma3n' architecture (its AltUp "
            "and Laurel blocks are not in the builder)");
  GgufBuilder g4;
  g4.String("general.architecture", "gemma4");
  EXPECT_EQ(LoadError(g4.Build()),
            "m.gguf: metadata 'gemma4.embedding_length' is missing");
  GgufBuilder missing;
  missing.String("general.architecture", "gemma3");
  EXPECT_EQ(LoadError(missing.Build()),
            "m.gguf: metadata 'gemma3.embedding_length' is missing");
  GgufBuilder typed;
  typed.String("general.architecture", "gemma3");
  typed.String("gemma3.embedding_length", "640");
  EXPECT_EQ(LoadError(typed.Build()),
            "m.gguf: metadata 'gemma3.embedding_length' is string, expected "
            "an integer");
  GgufBuilder none;
  EXPECT_EQ(LoadError(none.Build()),
            "m.gguf: metadata 'general.architecture' is missing");
}

TEST(GgufModel, RefusesQuantTypesItDoesNotDecodeNamingTheTensor) {
  const testing::LoadedModel sbs =
      testing::SynthesizeTiny("tiny-gemma3", StoredType::kF32);
  std::vector<uint8_t> bytes = AsGguf(sbs.model, sbs.weights);
  absl::StatusOr<gguf::GgufFile> file =
      gguf::GgufFile::FromBytes(bytes, "m.gguf");
  ASSERT_TRUE(file.ok());
  // Retype the first tensor (F32, 4 bytes an element) as I32 in place: the
  // size stays right, the type is one no Gemma kernel decodes.
  const gguf::Tensor &first = file->tensors().front();
  const std::string name = first.name;
  size_t at = 0;
  for (size_t i = 0; i + name.size() < bytes.size(); ++i)
    if (std::memcmp(bytes.data() + i, name.data(), name.size()) == 0 &&
        bytes[i - 8] == name.size()) {
      at = i + name.size() + 4 + 8 * first.ne.size();
      break;
    }
  ASSERT_NE(at, 0u);
  const uint32_t i32 = 26;
  std::memcpy(bytes.data() + at, &i32, 4);
  EXPECT_EQ(LoadError(bytes),
            "m.gguf: tensor '" + name +
                "' is stored as I32, which is not supported yet (F32, F16, "
                "BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, "
                "Q6_K are)");
}

} // namespace
} // namespace gemma
