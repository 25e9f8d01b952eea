//===- PresetsTest.cpp - Shapes of the synthetic presets ------------------===//

#include "runtime/formats/synth/Presets.h"

#include <gtest/gtest.h>

#include <vector>

namespace gemma {
namespace {

std::vector<uint32_t> GlobalLayers(const ModelSpec &spec) {
  std::vector<uint32_t> globals;
  for (uint32_t i = 0; i < spec.num_layers(); ++i)
    if (spec.layers[i].is_global())
      globals.push_back(i);
  return globals;
}

TEST(Presets, EveryPresetIsValid) {
  for (const std::string &name : PresetNames()) {
    std::optional<ModelSpec> spec = PresetSpec(name);
    ASSERT_TRUE(spec.has_value()) << name;
    EXPECT_EQ(spec->name, name);
    EXPECT_TRUE(ValidateModelSpec(*spec).ok())
        << name << ": " << ValidateModelSpec(*spec);
  }
  EXPECT_FALSE(PresetSpec("gemma5-1t").has_value());
}

TEST(Presets, EmbeddingScaleIsBf16RoundedSqrtD) {
  // docs/gemma-math.md 2.1's table.
  EXPECT_EQ(EmbedScaleFor(640), 25.25f);
  EXPECT_EQ(EmbedScaleFor(1152), 34.0f);
  EXPECT_EQ(EmbedScaleFor(1536), 39.25f);
  EXPECT_EQ(EmbedScaleFor(2304), 48.0f);
  EXPECT_EQ(EmbedScaleFor(3584), 59.75f);
  EXPECT_EQ(EmbedScaleFor(5376), 73.5f);
  EXPECT_EQ(EmbedScaleFor(256), 16.0f);
}

TEST(Presets, Gemma3LayerPatternAndRope) {
  ModelSpec spec = *PresetSpec("gemma3-270m");
  EXPECT_EQ(GlobalLayers(spec), (std::vector<uint32_t>{5, 11, 17}));
  EXPECT_EQ(spec.layers[0].window, 512u);
  EXPECT_EQ(spec.layers[0].rope.base, 1e4);
  EXPECT_EQ(spec.layers[5].rope.base, 1e6);
  EXPECT_EQ(spec.layers[5].rope.linear_scale, 1.0);
  EXPECT_EQ(spec.layers[0].query_scale, 1.0f / 16);

  ModelSpec big = *PresetSpec("gemma3-27b");
  EXPECT_EQ(big.layers[5].rope.linear_scale, 8.0);
  EXPECT_EQ(big.layers[4].rope.linear_scale, 1.0);
  EXPECT_FLOAT_EQ(big.layers[0].query_scale, 1.0f / std::sqrt(168.0f));
  EXPECT_EQ(big.layers.back().window, 1024u); // the last layer is local
}

TEST(Presets, Gemma2AlternatesStartingLocal) {
  ModelSpec spec = *PresetSpec("gemma2-9b");
  EXPECT_EQ(spec.layers[0].window, 4096u);
  EXPECT_TRUE(spec.layers[1].is_global());
  EXPECT_EQ(spec.attn_softcap, 50.0f);
  EXPECT_EQ(spec.final_softcap, 30.0f);
  EXPECT_FLOAT_EQ(PresetSpec("gemma2-27b")->layers[0].query_scale,
                  1.0f / 12.0f);
}

TEST(Presets, Gemma4KvSharingAndGeometries) {
  ModelSpec e2b = *PresetSpec("gemma4-e2b");
  EXPECT_EQ(GlobalLayers(e2b),
            (std::vector<uint32_t>{4, 9, 14, 19, 24, 29, 34}));
  for (uint32_t i = 0; i < 15; ++i) {
    EXPECT_EQ(e2b.layers[i].kv_source_layer, -1) << i;
    EXPECT_EQ(e2b.layers[i].ff_hidden, 6144u) << i;
  }
  for (uint32_t i = 15; i < 35; ++i) {
    EXPECT_EQ(e2b.layers[i].kv_source_layer,
              e2b.layers[i].is_global() ? 14 : 13)
        << i;
    EXPECT_EQ(e2b.layers[i].ff_hidden, 12288u) << i;
  }
  EXPECT_EQ(e2b.ple_dim, 256u);

  ModelSpec e4b = *PresetSpec("gemma4-e4b");
  EXPECT_EQ(e4b.layers[24].kv_source_layer, 22);
  EXPECT_EQ(e4b.layers[41].kv_source_layer, 23);

  ModelSpec moe = *PresetSpec("gemma4-26b-a4b");
  EXPECT_EQ(moe.layers[5].head_dim, 512u);
  EXPECT_EQ(moe.layers[5].kv_heads, 2u);
  EXPECT_TRUE(moe.layers[5].k_eq_v);
  EXPECT_FALSE(moe.layers[4].k_eq_v);
  EXPECT_EQ(moe.layers[4].kv_heads, 8u);
  EXPECT_EQ(moe.layers[0].num_experts, 128u);
  EXPECT_EQ(moe.layers[0].experts_per_token, 8u);
  EXPECT_EQ(moe.layers[0].expert_ff_hidden, 704u);
  EXPECT_EQ(moe.layers[5].rope.fraction, 0.25);
  EXPECT_EQ(moe.layers[5].rope.base, 1e6);
  EXPECT_EQ(moe.layers[0].query_scale, 1.0f);
  EXPECT_EQ(moe.norm_scale, NormScale::kPlain);
  EXPECT_TRUE(moe.layers.back().is_global());
}

TEST(Presets, TinyPresetsExerciseWhatTestsNeed) {
  for (std::string name :
       {"tiny-gemma1", "tiny-gemma2", "tiny-gemma3", "tiny-gemma4"}) {
    ModelSpec spec = *PresetSpec(name);
    EXPECT_LE(spec.model_dim, 128u) << name;
    for (const LayerSpec &layer : spec.layers)
      EXPECT_TRUE(layer.window == 0 || layer.window < 16) << name;
  }
  ModelSpec g4 = *PresetSpec("tiny-gemma4");
  EXPECT_EQ(g4.layers[0].head_dim, 16u);
  EXPECT_EQ(g4.layers[5].head_dim, 32u);
  EXPECT_TRUE(g4.layers[5].k_eq_v);
  EXPECT_EQ(g4.layers[5].kv_heads, 1u);
  EXPECT_EQ(g4.layers[0].kv_heads, 2u);
}

TEST(ModelSpec, ValidationNamesTheLayerAndField) {
  ModelSpec spec = *PresetSpec("tiny-gemma3");
  spec.layers[2].heads = 3;
  EXPECT_EQ(ValidateModelSpec(spec).message(),
            "layer 2: heads 3 is not a multiple of kv_heads 2");
  spec = *PresetSpec("tiny-gemma4");
  spec.layers[1].kv_source_layer = 5;
  EXPECT_EQ(ValidateModelSpec(spec).message(),
            "layer 1: shares the KV cache of layer 5, which is not an earlier "
            "layer");
}

} // namespace
} // namespace gemma
