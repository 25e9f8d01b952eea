//===- LegacySbsTest.cpp - Pre-2025 multi-file weight files ---------------===//
//
// A legacy file is built from a synthesized one: the same tensors under
// type-prefixed keys in a V1 container, with no config or toc, and the
// scales of the fused matrices in an `Fscales` blob (docs/formats/sbs.md 2.2).
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/SbsModel.h"
#include "runtime/formats/SbsTensors.h"
#include "runtime/formats/sbs/BlobStore.h"
#include "runtime/formats/synth/Presets.h"
#include "runtime/formats/synth/Synthesize.h"

#include "test/unit/TempPath.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

namespace gemma {
namespace {

using Blobs = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

char Prefix(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return 'F';
  case StoredType::kBF16:
    return 'B';
  case StoredType::kSFP:
    return '$';
  case StoredType::kNUQ:
    return '2';
  default:
    return 'I';
  }
}

bool Scaled(const std::string &name) {
  const std::string base = name.substr(0, name.rfind('_'));
  return base == "att_ein" || base == "qkv_ein" || base == "gating_ein" ||
         base == "linear_w";
}

float ScaleOf(size_t index) { return 1.0f + 0.125f * float(index % 7); }

struct LegacyFixture : ::testing::Test {
  void SetUp() override {
    spec = *PresetSpec("tiny-gemma3");
    const std::string synth = testing::TempPath("synth.sbs");
    ASSERT_TRUE(SynthesizeSbs(spec, StoredType::kSFP, 5, synth).ok());
    absl::StatusOr<ModelFile> model = LoadSbsModel(synth);
    ASSERT_TRUE(model.ok()) << model.status();
    original = *std::move(model);
  }

  // The legacy image of `original`, with `scales` Fscales entries (all the
  // scaled tensors when negative).
  std::string WriteLegacy(int scales = -1) {
    Blobs blobs;
    std::vector<float> fscales;
    for (const sbs::TensorRecord &record : original.file->tensors()) {
      std::span<const uint8_t> bytes = original.file->TensorBytes(record);
      blobs.emplace_back(Prefix(record.type) + record.name,
                         std::vector<uint8_t>(bytes.begin(), bytes.end()));
      if (Scaled(record.name))
        fscales.push_back(ScaleOf(fscales.size()));
    }
    if (scales >= 0)
      fscales.resize(size_t(scales));
    std::vector<uint8_t> packed(fscales.size() * sizeof(float));
    if (!fscales.empty())
      std::memcpy(packed.data(), fscales.data(), packed.size());
    blobs.emplace_back("Fscales", packed);
    const std::string path =
        testing::TempPath("legacy" + std::to_string(scales) + ".sbs");
    std::vector<uint8_t> image = sbs::BuildV1Image(blobs, /*pad_end=*/false);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(image.data()),
               std::streamsize(image.size()));
    return path;
  }

  // What gemma.cpp's DeduceModel does for real sizes, for the tiny preset.
  sbs::LegacyResolver TinyResolver() {
    return [this](uint32_t layers, bool has_qk_norm,
                  StoredType weight) -> absl::StatusOr<sbs::LegacyModel> {
      EXPECT_EQ(layers, spec.num_layers());
      EXPECT_TRUE(has_qk_norm);
      EXPECT_EQ(weight, StoredType::kSFP);
      sbs::LegacyModel model;
      model.config = original.file->config();
      for (const TensorSlot &slot : SbsTensorTable(spec, weight))
        model.shapes[slot.name] = {uint32_t(slot.rows), uint32_t(slot.cols)};
      return model;
    };
  }

  ModelSpec spec;
  ModelFile original;
};

TEST_F(LegacyFixture, ReadsTensorsAndHandsOutFscalesInOrder) {
  const std::string path = WriteLegacy();
  absl::StatusOr<sbs::SbsFile> file = sbs::SbsFile::Open(path, TinyResolver());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->legacy());
  EXPECT_EQ(file->container().layout(), sbs::BlobLayout::kV1);
  EXPECT_FALSE(file->tokenizer().has_value());
  ASSERT_EQ(file->tensors().size(), original.file->tensors().size());
  size_t scaled = 0;
  for (const sbs::TensorRecord &record : file->tensors()) {
    SCOPED_TRACE(record.name);
    const WeightTensor *want = original.Find(record.name);
    ASSERT_NE(want, nullptr);
    EXPECT_EQ(record.type, want->type);
    EXPECT_EQ(record.rows, want->rows);
    EXPECT_EQ(record.cols, want->cols);
    EXPECT_EQ(file->BlobKey(record),
              std::string(1, Prefix(record.type)) + record.name);
    std::span<const uint8_t> bytes = file->TensorBytes(record);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), want->bytes.begin(),
                           want->bytes.end()));
    EXPECT_EQ(record.scale, Scaled(record.name) ? ScaleOf(scaled++) : 1.0f);
  }
  EXPECT_EQ(scaled, 4 * spec.num_layers());
}

TEST_F(LegacyFixture, WithoutAResolverTheFileIsRefusedWithWhatToDo) {
  absl::StatusOr<sbs::SbsFile> file = sbs::SbsFile::Open(WriteLegacy());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("convert it once with a current "
                                         "gemma.cpp"),
            std::string_view::npos)
      << file.status();
}

TEST_F(LegacyFixture, EveryScaleMustBeUsed) {
  const std::string path = WriteLegacy(3);
  absl::StatusOr<sbs::SbsFile> file = sbs::SbsFile::Open(path, TinyResolver());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(),
            path + ": Fscales holds 3 scales for 24 scaled tensors");
}

TEST_F(LegacyFixture, UnknownLayerCountsNameTheFileAndTheCount) {
  const std::string path = WriteLegacy();
  absl::StatusOr<ModelFile> model = LoadSbsModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            path + ": a pre-2025 gemma.cpp weight file with 6 layers: no "
                   "Gemma model has this many layers (gemma.cpp knows 18, "
                   "26, 34, 42, 46, 48 and 62)");
}

TEST(LegacyResolve, FollowsGemmaCppLayerTable) {
  absl::StatusOr<sbs::LegacyModel> m270 =
      ResolveLegacyModel(18, true, StoredType::kSFP);
  ASSERT_TRUE(m270.ok()) << m270.status();
  absl::StatusOr<ModelSpec> spec = SpecFromSbsConfig(m270->config);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "gemma3-270m");
  EXPECT_EQ(m270->config.weight, StoredType::kSFP);
  // Fused and split forms both have shapes: q 4 heads + k, v 1 head of 256.
  EXPECT_EQ(m270->shapes.at("qkv_ein_0"), std::make_pair(1536u, 640u));
  EXPECT_EQ(m270->shapes.at("qkv1_w_17"), std::make_pair(1024u, 640u));
  EXPECT_EQ(m270->shapes.at("c_embedding"), std::make_pair(262144u, 640u));

  auto name = [](uint32_t layers, bool qk) {
    absl::StatusOr<sbs::LegacyModel> m =
        ResolveLegacyModel(layers, qk, StoredType::kBF16);
    return m.ok() ? SpecFromSbsConfig(m->config)->name
                  : std::string(m.status().message());
  };
  EXPECT_EQ(name(26, true), "gemma3-1b");
  EXPECT_EQ(name(26, false), "gemma2-2b");
  EXPECT_EQ(name(46, false), "gemma2-27b");
  EXPECT_EQ(name(62, true), "gemma3-27b");
  EXPECT_EQ(name(7, true), "no Gemma model has this many layers (gemma.cpp "
                           "knows 18, 26, 34, 42, 46, 48 and 62)");
}

} // namespace
} // namespace gemma
