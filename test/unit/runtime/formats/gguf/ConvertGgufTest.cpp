//===- ConvertGgufTest.cpp - Models written as GGUF -----------------------===//
//
// An f32 conversion must be byte for byte what SbsToGguf.h (our reading of
// llama.cpp's converter, against which the GGUF reader was built) writes;
// quantized conversions must load and stay within each type's error of the
// source's logits on the reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/gguf/ConvertGguf.h"

#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/formats/gguf/GgufFile.h"
#include "runtime/formats/synth/ConvertSbs.h"
#include "runtime/weights/codecs/Decode.h"
#include "test/unit/TempPath.h"
#include "test/unit/TinyModel.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"
#include "test/unit/runtime/formats/gguf/SbsToGguf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace gemma {
namespace {

using testing::LoadedModel;

std::string HfFixture(const std::string &variant) {
  return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/hf/" + variant;
}

LoadedModel Load(const std::string &path) {
  absl::StatusOr<ModelFile> model = LoadModelFile(path);
  EXPECT_TRUE(model.ok()) << model.status();
  absl::StatusOr<ModelWeights> weights = ModelWeightsOf(*model);
  EXPECT_TRUE(weights.ok()) << weights.status();
  return {*std::move(model), *std::move(weights)};
}

// The largest logit difference over a prefill and four decode steps,
// relative to the largest logit of `a`.
double RelativeLogitDiff(const LoadedModel &a, const LoadedModel &b) {
  const BuildOptions options = BuildOptionsFor(32, {6}, {1});
  auto x = reference::ModelRunner::Create(
      a.model.spec, a.weights, reference::StoredWeightProvider(a.model),
      options);
  auto y = reference::ModelRunner::Create(
      b.model.spec, b.weights, reference::StoredWeightProvider(b.model),
      options);
  EXPECT_TRUE(x.ok() && y.ok()) << x.status() << y.status();
  const std::vector<int32_t> ids =
      testing::RandomIds(10, a.model.spec.vocab_size, 5);
  reference::KvCaches cx = (*x)->EmptyCaches(1), cy = (*y)->EmptyCaches(1);
  EXPECT_TRUE((*x)->Prefill(std::span(ids).first(6), 0, cx).ok());
  EXPECT_TRUE((*y)->Prefill(std::span(ids).first(6), 0, cy).ok());
  double diff = 0, scale = 0;
  for (int32_t p = 6; p < 10; ++p) {
    absl::StatusOr<reference::Tensor> lx =
        (*x)->Decode({&ids[p], 1}, {&p, 1}, cx);
    absl::StatusOr<reference::Tensor> ly =
        (*y)->Decode({&ids[p], 1}, {&p, 1}, cy);
    EXPECT_TRUE(lx.ok() && ly.ok());
    for (size_t v = 0; v < lx->data.size(); ++v) {
      diff = std::max(diff, double(std::fabs(lx->data[v] - ly->data[v])));
      scale = std::max(scale, double(std::fabs(lx->data[v])));
    }
  }
  EXPECT_GT(scale, 0.1);
  return diff / scale;
}

// The same tensors: names, dimensions, types and bytes.
void ExpectSameTensors(const gguf::GgufFile &got, const gguf::GgufFile &want) {
  ASSERT_EQ(got.tensors().size(), want.tensors().size());
  for (const gguf::Tensor &w : want.tensors()) {
    const gguf::Tensor *g = got.FindTensor(w.name);
    ASSERT_NE(g, nullptr) << w.name;
    EXPECT_EQ(g->ne, w.ne) << w.name;
    EXPECT_EQ(g->ggml_type, w.ggml_type) << w.name;
    EXPECT_TRUE(std::equal(g->bytes.begin(), g->bytes.end(), w.bytes.begin(),
                           w.bytes.end()))
        << w.name;
  }
}

class ConvertGgufF32 : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvertGgufF32, IsWhatLlamaCppsConverterWrites) {
  const LoadedModel sbs = testing::SynthesizeTiny(GetParam(), StoredType::kF32);
  const std::string path = testing::TempPath(GetParam() + ".gguf");
  ASSERT_TRUE(
      ConvertToGguf(sbs.model, sbs.weights, StoredType::kF32, path).ok());
  const std::vector<uint8_t> oracle = testing::AsGguf(sbs.model, sbs.weights);
  absl::StatusOr<gguf::GgufFile> want =
      gguf::GgufFile::FromBytes(oracle, "oracle.gguf");
  absl::StatusOr<gguf::GgufFile> got = gguf::GgufFile::Open(path);
  ASSERT_TRUE(want.ok() && got.ok()) << want.status() << got.status();
  ASSERT_NO_FATAL_FAILURE(ExpectSameTensors(*got, *want));
  // The reader derives the same hyperparameters; the tokenizer adds the
  // end-of-turn stop id and the chat template the oracle file lacks.
  const LoadedModel converted = Load(path);
  absl::StatusOr<ModelFile> oracle_model =
      LoadModelFileFromBytes(oracle, "oracle.gguf");
  ASSERT_TRUE(oracle_model.ok());
  EXPECT_EQ(converted.model.spec.eos_ids, sbs.model.spec.eos_ids);
  EXPECT_EQ(converted.model.spec.chat, sbs.model.spec.chat);
  ModelSpec expected = oracle_model->spec;
  expected.name = sbs.model.spec.name;
  expected.eos_ids = sbs.model.spec.eos_ids;
  expected.chat = sbs.model.spec.chat;
  EXPECT_EQ(FormatModelSpec(converted.model.spec), FormatModelSpec(expected));
  EXPECT_TRUE(converted.model.tokenizer.has_value());
  EXPECT_LE(RelativeLogitDiff(sbs, converted), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Generations, ConvertGgufF32,
                         ::testing::Values("tiny-gemma1", "tiny-gemma2",
                                           "tiny-gemma3"));

// tiny-gemma3 widened so every matrix row is whole 256-value blocks: the
// K-quants are used, not their fallbacks.
ModelSpec WideTiny() {
  ModelSpec spec = *PresetSpec("tiny-gemma3");
  spec.model_dim = 256;
  spec.embed_scale = EmbedScaleFor(256);
  for (LayerSpec &l : spec.layers) {
    l.head_dim = 64;
    l.ff_hidden = 256;
    l.query_scale = 0.125f;
  }
  return spec;
}

struct Quantized {
  StoredType type;
  // The stored type of a [256-wide] matrix and of the embedding.
  StoredType matrix, embedding;
  // Relative RMS error of the worst tensor; of the logits, relative to
  // their largest magnitude.
  double tensor_tolerance, tolerance;
};

class ConvertGgufQuantized : public ::testing::TestWithParam<Quantized> {};

TEST_P(ConvertGgufQuantized, StaysWithinTheTypesError) {
  const std::string source = testing::TempPath("wide.sbs");
  ASSERT_TRUE(SynthesizeSbs(WideTiny(), StoredType::kF32, 3, source).ok());
  const LoadedModel sbs = Load(source);
  const Quantized q = GetParam();
  const std::string path =
      testing::TempPath(std::string(StoredTypeName(q.type)) + ".gguf");
  absl::Status written = ConvertToGguf(sbs.model, sbs.weights, q.type, path);
  ASSERT_TRUE(written.ok()) << written;
  const LoadedModel converted = Load(path);
  EXPECT_EQ(converted.model.Find("blk.0.attn_q.weight")->type, q.matrix);
  EXPECT_EQ(converted.model.Find("blk.0.ffn_down.weight")->type, q.matrix);
  EXPECT_EQ(converted.model.Find("token_embd.weight")->type, q.embedding);
  EXPECT_EQ(converted.model.Find("blk.0.attn_norm.weight")->type,
            StoredType::kF32);
  // Every tensor against the f32 oracle's: the names, shapes and layouts.
  const std::vector<uint8_t> oracle = testing::AsGguf(sbs.model, sbs.weights);
  absl::StatusOr<ModelFile> want = LoadModelFileFromBytes(oracle, "f32.gguf");
  ASSERT_TRUE(want.ok());
  double worst = 0;
  for (const auto &[name, w] : want->tensors) {
    const WeightTensor *g = converted.model.Find(name);
    ASSERT_NE(g, nullptr) << name;
    ASSERT_EQ(g->rows * g->cols, w.rows * w.cols) << name;
    std::vector<float> a(w.rows * w.cols), b(a.size());
    DecodeRange(w.type, w.bytes.data(), 0, a.size(), a.data());
    DecodeRange(g->type, g->bytes.data(), 0, b.size(), b.data());
    double error = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      error += double(a[i] - b[i]) * (a[i] - b[i]);
      norm += double(a[i]) * a[i];
    }
    worst = std::max(worst, std::sqrt(error / norm));
  }
  EXPECT_LE(worst, q.tensor_tolerance);
  const double diff = RelativeLogitDiff(sbs, converted);
  EXPECT_LE(diff, q.tolerance);
  EXPECT_GT(diff, 0.0);
}

// Tolerances: about 1.5x what each type reached when they were set. The
// logits of a random-weight model amplify weight error several times; a
// misplaced block or nibble shows in the tensor errors (of order 1).
INSTANTIATE_TEST_SUITE_P(
    Types, ConvertGgufQuantized,
    ::testing::Values(Quantized{StoredType::kBF16, StoredType::kBF16,
                                StoredType::kBF16, 2.5e-3, 1.5e-2},
                      Quantized{StoredType::kF16, StoredType::kF16,
                                StoredType::kF16, 3e-4, 2e-3},
                      Quantized{StoredType::kQ8_0, StoredType::kQ8_0,
                                StoredType::kQ8_0, 5e-3, 3e-2},
                      Quantized{StoredType::kQ6_K, StoredType::kQ6_K,
                                StoredType::kQ6_K, 2e-2, 0.12},
                      Quantized{StoredType::kQ5_0, StoredType::kQ5_0,
                                StoredType::kQ5_0, 4.5e-2, 0.33},
                      Quantized{StoredType::kQ4_K, StoredType::kQ4_K,
                                StoredType::kQ6_K, 8.5e-2, 0.4}),
    [](const auto &info) {
      return std::string(StoredTypeName(info.param.type));
    });

TEST(ConvertGguf, NarrowRowsFallBackAsLlamaCppDoes) {
  // tiny-gemma3's rows are 64 and 128 values: not whole K blocks.
  const LoadedModel sbs =
      testing::SynthesizeTiny("tiny-gemma3", StoredType::kF32);
  const std::string path = testing::TempPath("narrow.gguf");
  ASSERT_TRUE(
      ConvertToGguf(sbs.model, sbs.weights, StoredType::kQ4_K, path).ok());
  const LoadedModel converted = Load(path);
  EXPECT_EQ(converted.model.Find("blk.0.attn_q.weight")->type,
            StoredType::kQ5_0);
  EXPECT_EQ(converted.model.Find("token_embd.weight")->type, StoredType::kQ8_0);
}

std::string ConvertError(const LoadedModel &m, StoredType type) {
  absl::Status s = ConvertToGguf(m.model, m.weights, type,
                                 testing::TempPath("refused.gguf"));
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(ConvertGguf, RefusesWhatLlamaCppWouldComputeDifferently) {
  // Gemma 4 whose shared layers read other caches than llama.cpp's runtime
  // gives them (the last computing sliding and global layers).
  LoadedModel g4 = Load(HfFixture("gemma4-kvshare"));
  g4.model.spec.layers[4].kv_source_layer = 0;
  EXPECT_EQ(ConvertError(g4, StoredType::kF32),
            "cannot write this model as GGUF: layer 4 reads the cache of layer "
            "0, where llama.cpp reads that of the last computing sliding layer "
            "it expects at 2");
  LoadedModel partial = Load(HfFixture("gemma4-dense"));
  partial.model.spec.layers[0].rope.fraction = 0.5;
  EXPECT_EQ(ConvertError(partial, StoredType::kF32),
            "cannot write this model as GGUF: layer 1 differs from the other "
            "sliding layers in its head dimension, window or RoPE");
  // tiny-gemma2's query scale 1/sqrt(16) is llama.cpp's; another is not.
  LoadedModel g2 = testing::SynthesizeTiny("tiny-gemma2", StoredType::kF32);
  for (LayerSpec &l : g2.model.spec.layers)
    l.query_scale = 0.2f;
  EXPECT_NE(ConvertError(g2, StoredType::kF32).find("query scale 0.2"),
            std::string::npos)
      << ConvertError(g2, StoredType::kF32);
  LoadedModel uneven = testing::SynthesizeTiny("tiny-gemma3", StoredType::kF32);
  uneven.model.spec.layers[2].window = 4;
  EXPECT_NE(ConvertError(uneven, StoredType::kF32)
                .find("layer 2 has its own "
                      "window size"),
            std::string::npos);
  EXPECT_NE(ConvertError(uneven, StoredType::kQ2_K).find("q2_k"),
            std::string::npos);
  EXPECT_NE(ConvertError(uneven, StoredType::kSFP).find("sfp"),
            std::string::npos);
}

// Gemma 4: the tiny checkpoints of test/fixtures/hf written as GGUF against
// what llama.cpp's converter wrote from them (test/fixtures/gguf-gemma4).
class ConvertGemma4 : public ::testing::TestWithParam<std::string> {};

// f32: every tensor byte for byte and every architecture key as llama.cpp's
// converter wrote them (the checkpoints have no tokenizer, so the
// tokenizer keys are left out; general.* name the file).
TEST_P(ConvertGemma4, F32IsWhatLlamaCppsConverterWrote) {
  const LoadedModel source = Load(HfFixture(GetParam()));
  const std::string path = testing::TempPath(GetParam() + ".f32.gguf");
  absl::Status written =
      ConvertToGguf(source.model, source.weights, StoredType::kF32, path);
  ASSERT_TRUE(written.ok()) << written;
  absl::StatusOr<gguf::GgufFile> got = gguf::GgufFile::Open(path);
  absl::StatusOr<gguf::GgufFile> want = gguf::GgufFile::Open(
      std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/gguf-gemma4/" +
      GetParam() + ".f32.gguf");
  ASSERT_TRUE(got.ok() && want.ok()) << got.status() << want.status();
  ASSERT_NO_FATAL_FAILURE(ExpectSameTensors(*got, *want));
  size_t keys = 0;
  for (const auto &[key, w] : want->metadata()) {
    if (!key.starts_with("gemma4."))
      continue;
    ++keys;
    const gguf::Value *g = got->Find(key);
    ASSERT_NE(g, nullptr) << key;
    EXPECT_EQ(g->TypeName(), w.TypeName()) << key;
    EXPECT_EQ(g->u, w.u) << key;
    EXPECT_EQ(g->f, w.f) << key;
    EXPECT_TRUE(
        std::equal(g->raw.begin(), g->raw.end(), w.raw.begin(), w.raw.end()))
        << key;
  }
  for (const auto &[key, g] : got->metadata()) {
    if (key.starts_with("gemma4.")) {
      EXPECT_NE(want->Find(key), nullptr) << key << " is not llama.cpp's";
    }
  }
  EXPECT_GE(keys, 20u);
  const LoadedModel converted = Load(path);
  EXPECT_EQ(RelativeLogitDiff(source, converted), 0.0);
}

// Relative RMS error of tensor `name` of `q` against that of `f32`.
double TensorError(const ModelFile &q, const ModelFile &f32,
                   const std::string &name) {
  const WeightTensor *a = f32.Find(name), *b = q.Find(name);
  EXPECT_TRUE(a && b) << name;
  if (!a || !b || a->rows * a->cols != b->rows * b->cols)
    return 1e9;
  std::vector<float> x(a->rows * a->cols), y(x.size());
  DecodeRange(a->type, a->bytes.data(), 0, x.size(), x.data());
  DecodeRange(b->type, b->bytes.data(), 0, y.size(), y.data());
  double error = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    error += double(x[i] - y[i]) * (x[i] - y[i]);
    norm += double(x[i]) * x[i];
  }
  return std::sqrt(error / norm);
}

// q8_0: the types llama.cpp's converter picks (narrow rows in f16, the
// router in f32), and no tensor further from f32 than llama.cpp's own
// q8_0 of it (ours round a little closer: 0.93-1.0 of its error).
TEST_P(ConvertGemma4, Q8_0IsAsCloseAsLlamaCpps) {
  const LoadedModel source = Load(HfFixture(GetParam()));
  const std::string path = testing::TempPath(GetParam() + ".q8_0.gguf");
  absl::Status written =
      ConvertToGguf(source.model, source.weights, StoredType::kQ8_0, path);
  ASSERT_TRUE(written.ok()) << written;
  const LoadedModel converted = Load(path);
  const std::string fixtures = std::string(GEMMA_SOURCE_DIR) +
                               "/test/fixtures/gguf-gemma4/" + GetParam();
  absl::StatusOr<ModelFile> llama = LoadModelFile(fixtures + ".q8_0.gguf");
  absl::StatusOr<ModelFile> f32 = LoadModelFile(fixtures + ".f32.gguf");
  ASSERT_TRUE(llama.ok() && f32.ok()) << llama.status() << f32.status();
  ASSERT_EQ(converted.model.tensors.size(), llama->tensors.size());
  for (const auto &[name, w] : llama->tensors) {
    const WeightTensor *g = converted.model.Find(name);
    ASSERT_NE(g, nullptr) << name;
    EXPECT_EQ(g->type, w.type) << name;
    EXPECT_LE(TensorError(converted.model, *f32, name),
              1.001 * TensorError(*llama, *f32, name))
        << name;
  }
  // A misplaced block would move the logits by their whole range; these
  // one-block rows amplify q8_0's rounding through six random layers to
  // 7-30% of it (llama.cpp's files alike).
  const double diff = RelativeLogitDiff(source, converted);
  EXPECT_LE(diff, 0.45);
  EXPECT_GT(diff, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Variants, ConvertGemma4,
                         ::testing::Values("gemma4-dense", "gemma4-keqv",
                                           "gemma4-kvshare",
                                           "gemma4-ple-kvshare", "gemma4-moe"),
                         [](const auto &info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The .sbs converter reads gemma.cpp's head-major att_ein as the [d, H * hd]
// projection it is (a .sbs source once came out with its heads scrambled).
TEST(ConvertSbs, AnSbsSourceConvertsToTheSameModel) {
  const LoadedModel sbs =
      testing::SynthesizeTiny("tiny-gemma3", StoredType::kF32);
  const std::string path = testing::TempPath("again.sbs");
  ASSERT_TRUE(
      ConvertToSbs(sbs.model, sbs.weights, StoredType::kF32, path).ok());
  EXPECT_LE(RelativeLogitDiff(sbs, Load(path)), 1e-6);
}

} // namespace
} // namespace gemma
