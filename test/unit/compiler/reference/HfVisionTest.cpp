//===- HfVisionTest.cpp - Gemma 3's image encoder against transformers ----===//
//
// test/fixtures/hf/gemma3-vision: a random tiny Gemma3ForConditionalGeneration
// checkpoint, two images and what transformers computes from them
// (make_vision_fixtures.py beside it). The importer reads the tower, the
// image path reproduces the processor's pixel values bit for bit, and the
// builder's encoder run by the reference evaluator gives the projector's soft
// tokens within 1e-5 of their range.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/hf/HfVision.h"
#include "compiler/builder/VisionBuilder.h"
#include "compiler/reference/ImagePrompt.h"
#include "compiler/reference/Interpreter.h"
#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/gguf/GgufVision.h"
#include "runtime/formats/hf/HfCheckpoint.h"
#include "runtime/image/ImageDecode.h"
#include "runtime/image/Patches.h"
#include "runtime/image/PixelValues.h"

#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace gemma::reference {
namespace {

std::string FixtureDir() {
  return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/hf/gemma3-vision/";
}

std::vector<float> ReadF32(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                          std::istreambuf_iterator<char>()};
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

TEST(HfVision, TheImporterReadsTheTowerAndItsPreprocessing) {
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE(model->vision.has_value());
  const VisionSpec &v = *model->vision;
  EXPECT_EQ(v.image_size, 42);
  EXPECT_EQ(v.patch_size, 7);
  EXPECT_EQ(v.width, 48);
  EXPECT_EQ(v.mlp, 96);
  EXPECT_EQ(v.heads, 4);
  EXPECT_EQ(v.layers, 2);
  EXPECT_EQ(v.soft_tokens, 9);
  EXPECT_EQ(v.PoolKernel(), 2);
  EXPECT_EQ(v.text_width, 32);
  EXPECT_EQ(v.begin_image, 255);
  EXPECT_EQ(v.end_image, 256);
  EXPECT_EQ(v.image_token, 257);
  EXPECT_EQ(v.resample, 2);
  absl::StatusOr<VisionWeights> weights = hf::HfVisionWeights(*model);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->layers.size(), 2u);
  // The convolution kernel is read as [width, 3 * 7 * 7], the projector
  // transposed to [text width, width].
  EXPECT_EQ(weights->tensors.at(weights->patch).cols, 147u);
  EXPECT_EQ(weights->tensors.at(weights->projection).rows, 32u);
}

// A tower tensor no role reads (here a pooling head's) is a feature the
// importer does not build: refused by name, in both spellings.
TEST(HfVision, AnUnreadTowerTensorIsRefusedByName) {
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(model.ok()) << model.status();
  WeightTensor head = model->tensors.begin()->second;
  head.name = "vision_tower.vision_model.head.probe.weight";
  model->tensors.emplace(head.name, head);
  absl::StatusOr<VisionWeights> weights = hf::HfVisionWeights(*model);
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.status().message().find(
                "tensor 'vision_tower.vision_model.head.probe.weight' is not "
                "used by the vision importer"),
            std::string::npos)
      << weights.status();
  ASSERT_TRUE(AddMmproj(FixtureDir() + "mmproj-f32.gguf", *model).ok());
  head.name = "v.head.weight";
  model->tensors.emplace(head.name, head);
  weights = MmprojVisionWeights(*model);
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.status().message().find("tensor 'v.head.weight' is not "
                                            "used"),
            std::string::npos)
      << weights.status();
}

TEST(HfVision, ImagesBecomeTheProcessorsPixelValues) {
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<float> want = ReadF32(FixtureDir() + "pixels.bin");
  const std::vector<std::string> files = {"image0.png", "image1.jpg"};
  ASSERT_EQ(want.size(), files.size() * 3 * 42 * 42);
  for (size_t i = 0; i < files.size(); ++i) {
    absl::StatusOr<image::RgbImage> decoded =
        image::ReadImageFile(FixtureDir() + files[i]);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    const std::vector<float> got =
        image::PixelValues(*decoded, ImageProcessingOf(*model->vision));
    ASSERT_EQ(got.size(), 3u * 42 * 42);
    EXPECT_EQ(std::memcmp(got.data(), want.data() + i * got.size(),
                          got.size() * sizeof(float)),
              0)
        << files[i];
  }
}

TEST(HfVision, TheEncoderGivesTransformersSoftTokens) {
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(model.ok()) << model.status();
  const VisionSpec &spec = *model->vision;
  absl::StatusOr<VisionWeights> weights = hf::HfVisionWeights(*model);
  ASSERT_TRUE(weights.ok()) << weights.status();
  mlir::MLIRContext context;
  auto module = BuildVisionEncoder(context, spec, *weights);
  ASSERT_TRUE(module.ok()) << module.status();
  const WeightProvider provider = StoredWeightProvider(*model);

  const std::vector<float> pixels = ReadF32(FixtureDir() + "pixels.bin");
  const std::vector<float> features = ReadF32(FixtureDir() + "features.bin");
  const int64_t values = 3 * spec.image_size * spec.image_size;
  const int64_t tokens = spec.soft_tokens * spec.text_width;
  ASSERT_EQ(features.size(), size_t(2 * tokens));
  for (int64_t i = 0; i < 2; ++i) {
    Tensor patches;
    patches.shape = {spec.Patches(), spec.PatchValues()};
    patches.data = image::UnfoldPatches(
        std::span(pixels).subspan(size_t(i * values), size_t(values)), 3,
        spec.image_size, spec.image_size, spec.patch_size);
    absl::StatusOr<std::vector<Value>> out =
        RunFunction(**module, VisionFunctionName(), {patches}, provider);
    ASSERT_TRUE(out.ok()) << out.status();
    const Tensor &got = std::get<Tensor>((*out)[0]);
    ASSERT_EQ(got.data.size(), size_t(tokens));
    const float *want = features.data() + i * tokens;
    const auto [lo, hi] = std::minmax_element(want, want + tokens);
    double worst = 0.0;
    for (int64_t k = 0; k < tokens; ++k)
      worst = std::max(worst, std::abs(double(got.data[k]) - want[k]));
    EXPECT_LE(worst, 1e-5 * (*hi - *lo)) << "image " << i;
    RecordProperty("max_diff_image_" + std::to_string(i),
                   std::to_string(worst));
  }
}

std::vector<int32_t> PromptIds() {
  std::vector<int32_t> ids;
  std::ifstream prompt(FixtureDir() + "prompt.ids");
  for (std::string id; std::getline(prompt, id, ',');)
    ids.push_back(std::stoi(id));
  return ids;
}

// The prompt has two images of 9 tokens against a sliding window of 4: each
// image token sees the rest of its image ahead, past the window, but only
// the window behind. Run whole, and after a text-only first chunk whose
// bucket makes the sliding layers' ring (4 + 28 - 1 slots) shorter than the
// prompt, the logits at every position are within 1e-4 of their range of
// transformers' and the greedy choices equal.
TEST(HfVision, AnImagePromptGivesTransformersLogits) {
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<ModelWeights> text = HfModelWeights(*model);
  ASSERT_TRUE(text.ok()) << text.status();
  const VisionSpec &spec = *model->vision;
  const std::vector<int32_t> ids = PromptIds();
  const std::vector<float> want = ReadF32(FixtureDir() + "logits.bin");
  const int64_t vocab = model->spec.vocab_size, d = model->spec.model_dim;
  ASSERT_EQ(want.size(), ids.size() * size_t(vocab));
  const auto [lo, hi] = std::minmax_element(want.begin(), want.end());
  const double range = *hi - *lo;

  // The soft tokens at the image tokens' rows, from the image files.
  absl::StatusOr<Tensor> soft = SoftTokensAtRows(
      *model, ids, {FixtureDir() + "image0.png", FixtureDir() + "image1.jpg"});
  ASSERT_TRUE(soft.ok()) << soft.status();

  for (const int32_t first : {0, 4}) {
    const int64_t rest = int64_t(ids.size()) - first;
    BuildOptions options = BuildOptionsFor(64, {rest}, {1});
    if (first)
      options.prefill_buckets.push_back(first);
    options.image_token = spec.image_token;
    absl::StatusOr<std::unique_ptr<ModelRunner>> runner = ModelRunner::Create(
        model->spec, *text, StoredWeightProvider(*model), options);
    ASSERT_TRUE(runner.ok()) << runner.status();
    KvCaches caches = (*runner)->EmptyCaches(1);
    if (first) {
      ASSERT_TRUE((*runner)
                      ->Prefill(std::span(ids).first(size_t(first)), 0, caches)
                      .ok());
    }
    Tensor chunk_soft = Tensor::Zeros({rest, d});
    std::copy(soft->Row(first), soft->Row(first) + rest * d,
              chunk_soft.data.begin());
    absl::StatusOr<Tensor> logits = (*runner)->PrefillImages(
        std::span(ids).subspan(size_t(first)), first, chunk_soft, caches);
    ASSERT_TRUE(logits.ok()) << logits.status();
    double worst = 0.0;
    for (int64_t r = 0; r < rest; ++r) {
      const float *got = logits->Row(r);
      const float *expected = want.data() + (first + r) * vocab;
      for (int64_t v = 0; v < vocab; ++v)
        worst = std::max(worst, std::abs(double(got[v]) - expected[v]));
      EXPECT_EQ(std::max_element(got, got + vocab) - got,
                std::max_element(expected, expected + vocab) - expected)
          << "position " << first + r;
    }
    EXPECT_LE(worst, 1e-4 * range) << "first chunk " << first;
    RecordProperty("max_diff_first_" + std::to_string(first),
                   std::to_string(worst));
  }
}

// llama.cpp's converter on the same checkpoint: the tower from the mmproj
// file gives the checkpoint's soft tokens up to the f16 rounding of what it
// stores in f16 (the projector always; every matrix in the f16 file).
TEST(HfVision, LlamaCppsMmprojGivesTheCheckpointsSoftTokens) {
  const std::vector<int32_t> ids = PromptIds();
  const std::vector<std::string> images = {FixtureDir() + "image0.png",
                                           FixtureDir() + "image1.jpg"};
  absl::StatusOr<ModelFile> checkpoint = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  absl::StatusOr<Tensor> want = SoftTokensAtRows(*checkpoint, ids, images);
  ASSERT_TRUE(want.ok()) << want.status();
  const auto [lo, hi] =
      std::minmax_element(want->data.begin(), want->data.end());
  for (const auto &[file, tolerance] : {std::pair{"mmproj-f32.gguf", 2e-4},
                                        std::pair{"mmproj-f16.gguf", 3e-4}}) {
    absl::StatusOr<ModelFile> model = LoadHfCheckpoint(FixtureDir());
    ASSERT_TRUE(model.ok()) << model.status();
    ASSERT_TRUE(AddMmproj(FixtureDir() + file, *model).ok()) << file;
    EXPECT_EQ(model->vision_format, "mmproj");
    EXPECT_EQ(model->vision->soft_tokens, 9);
    EXPECT_EQ(model->vision->image_token, 257);
    absl::StatusOr<Tensor> got = SoftTokensAtRows(*model, ids, images);
    ASSERT_TRUE(got.ok()) << got.status();
    double worst = 0.0;
    for (size_t i = 0; i < got->data.size(); ++i)
      worst = std::max(worst, std::abs(double(got->data[i]) - want->data[i]));
    EXPECT_LE(worst, tolerance * (*hi - *lo)) << file;
    EXPECT_GT(worst, 0.0) << file << ": the f16 projector rounds something";
    RecordProperty(std::string("max_diff_") + file, std::to_string(worst));
  }
}

TEST(HfVision, AnMmprojForAnotherModelIsRefused) {
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(
      std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/hf/gemma2");
  ASSERT_TRUE(model.ok()) << model.status();
  model->spec.model_dim = 40;
  absl::Status s = AddMmproj(FixtureDir() + "mmproj-f32.gguf", *model);
  EXPECT_NE(s.message().find("the projector makes soft tokens of width 32, "
                             "but"),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("this mmproj is for another model"),
            std::string::npos)
      << s;
  absl::StatusOr<ModelFile> text = LoadHfCheckpoint(FixtureDir());
  ASSERT_TRUE(text.ok());
  // A text model's GGUF is not an mmproj.
  absl::Status not_mmproj =
      AddMmproj(std::string(GEMMA_SOURCE_DIR) +
                    "/test/fixtures/gguf-gemma4/gemma4-dense.f32.gguf",
                *text);
  EXPECT_NE(not_mmproj.message().find("not an mmproj file"), std::string::npos)
      << not_mmproj;
}

// The fixture's config.json with one field replaced.
std::string ConfigWith(const std::string &from, const std::string &to) {
  std::ifstream in(FixtureDir() + "config.json");
  std::string text{std::istreambuf_iterator<char>(in),
                   std::istreambuf_iterator<char>()};
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(HfVision, ShapesTheEncoderCannotBuildAreRefusedByName) {
  const struct {
    std::string from, to, message;
  } cases[] = {
      {"\"mm_tokens_per_image\": 9", "\"mm_tokens_per_image\": 8",
       "mm_tokens_per_image 8 is not a square"},
      {"\"mm_tokens_per_image\": 9", "\"mm_tokens_per_image\": 16",
       "mm_tokens_per_image 16 is not a square whose side divides the 6 x 6"},
      {"\"patch_size\": 7", "\"patch_size\": 5",
       "image_size 42 is not a multiple of patch_size 5"},
      {"\"vision_use_head\": false", "\"vision_use_head\": true",
       "vision_use_head must be false"},
      {"\"hidden_act\": \"gelu_pytorch_tanh\",\n    \"hidden_size\": 48",
       "\"hidden_act\": \"relu\",\n    \"hidden_size\": 48",
       "hidden_act must be 'gelu_pytorch_tanh'"},
      {"\"num_attention_heads\": 4,\n    \"num_channels\"",
       "\"num_attention_heads\": 5,\n    \"num_channels\"",
       "hidden_size 48 is not a multiple of the 5 heads"},
  };
  for (const auto &c : cases) {
    const std::string config = ConfigWith(c.from, c.to);
    absl::StatusOr<std::optional<VisionSpec>> spec =
        hf::ParseHfVision(config, "", 32, "config.json");
    ASSERT_FALSE(spec.ok()) << c.to;
    EXPECT_NE(spec.status().message().find(c.message), std::string::npos)
        << spec.status();
  }
}

// Gemma 4's tower is not read yet, and its text model must still load: the
// vision config of another generation gives no spec rather than an error.
TEST(HfVision, AnotherGenerationsTowerLeavesTheTextModelAlone) {
  const std::string config =
      ConfigWith("\"model_type\": \"gemma3\"", "\"model_type\": \"gemma4\"");
  absl::StatusOr<std::optional<VisionSpec>> spec =
      hf::ParseHfVision(config, "", 32, "config.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->has_value());
}

// A checkpoint whose tower the importer refuses still loads for text;
// images are then refused with the reason.
TEST(HfVision, ARefusedTowerLeavesTheTextModelUsable) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "gemma-refused-tower";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(FixtureDir(), dir);
  {
    std::ofstream out(dir / "config.json", std::ios::trunc);
    out << ConfigWith("\"vision_use_head\": false",
                      "\"vision_use_head\": true");
  }
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_FALSE(model->vision.has_value());
  EXPECT_TRUE(HfModelWeights(*model).ok());
  absl::StatusOr<Tensor> soft =
      SoftTokensAtRows(*model, PromptIds(), {FixtureDir() + "image0.png"});
  ASSERT_FALSE(soft.ok());
  EXPECT_NE(soft.status().message().find("vision_use_head must be false"),
            std::string::npos)
      << soft.status();
  std::filesystem::remove_all(dir);
}

TEST(HfVision, PreprocessingTheDecoderDoesNotRunIsRefused) {
  const std::string config = ConfigWith("", "");
  for (const auto &[text, message] :
       {std::pair{"{\"do_pan_and_scan\": true}",
                  "'do_pan_and_scan' is not supported"},
        std::pair{"{\"do_normalize\": false}", "'do_normalize' must be true"},
        std::pair{"{\"size\": {\"height\": 40, \"width\": 40}}",
                  "'size' must be {\"height\": 42, \"width\": 42}"},
        std::pair{"{\"image_std\": [0.5, 0, 0.5]}",
                  "image_std has a zero or non-finite entry"},
        std::pair{"[1]", "not a JSON object"}}) {
    absl::StatusOr<std::optional<VisionSpec>> spec =
        hf::ParseHfVision(config, text, 32, "config.json");
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_NE(spec.status().message().find(message), std::string::npos)
        << spec.status();
  }
}

} // namespace
} // namespace gemma::reference
