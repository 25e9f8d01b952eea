//===- BuilderTest.cpp - Cache layout, refusals, module structure ---------===//

#include "compiler/builder/ModelBuilder.h"
#include "runtime/formats/SbsTensors.h"
#include "runtime/formats/synth/Presets.h"

#include "dialects/gemma/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

namespace gemma {
namespace {

TEST(CacheLayout, SlidingRingHoldsWindowPlusLongestChunk) {
  ModelSpec spec = *PresetSpec("gemma3-270m");
  absl::StatusOr<CacheLayout> layout =
      MakeCacheLayout(spec, BuildOptionsFor(4096, {128, 32, 128}, {4, 1}));
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->prefill_buckets, (std::vector<int64_t>{32, 128}));
  EXPECT_EQ(layout->decode_buckets, (std::vector<int64_t>{1, 4}));
  // Window 512: 512 + 128 - 1 slots; global layers (every 6th) 4096.
  EXPECT_EQ(layout->layers[0].slots, 639);
  EXPECT_EQ(layout->layers[5].slots, 4096);
  EXPECT_EQ(layout->layers[5].kv_heads, 1);
  EXPECT_EQ(layout->layers[5].head_dim, 256);
  // A context shorter than the ring caps it.
  layout = MakeCacheLayout(spec, BuildOptionsFor(300, {64}, {}));
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->layers[0].slots, 300);
}

TEST(CacheLayout, RefusesImpossibleOptions) {
  ModelSpec spec = *PresetSpec("tiny-gemma3");
  auto message = [&](BuildOptions options) {
    absl::StatusOr<CacheLayout> layout = MakeCacheLayout(spec, options);
    return layout.ok() ? "ok" : std::string(layout.status().message());
  };
  EXPECT_EQ(message(BuildOptionsFor(100000, {}, {1})),
            "context 100000 exceeds the model's maximum of 256 positions");
  EXPECT_EQ(message(BuildOptionsFor(64, {65}, {})),
            "prefill bucket 65 is outside 1..64");
  EXPECT_EQ(message(BuildOptionsFor(0, {}, {0})),
            "decode bucket 0 is outside 1..4096");
  EXPECT_EQ(message(BuildOptionsFor(0, {}, {})), "no prefill or decode bucket");
}

// Per-layer embeddings, KV sharing and mixture of experts are built (their
// numerics are checked against transformers in test/parity/
// HfCheckpointTest.cpp); every released preset's spec is buildable.
TEST(Builder, EveryReleasedPresetIsBuildable) {
  for (const char *preset : {"gemma4-e2b", "gemma4-e4b", "gemma4-26b-a4b",
                             "gemma4-31b", "gemma3-27b", "gemma2-27b"})
    EXPECT_TRUE(CheckBuildable(*PresetSpec(preset)).ok()) << preset;
}

// The weight table of a spec as the builder sees it (no file needed).
ModelWeights WeightsOf(const ModelSpec &spec, StoredType type) {
  ModelWeights weights;
  for (const TensorSlot &slot : SbsTensorTable(spec, type))
    weights.tensors[slot.name] = {slot.type, slot.rows, slot.cols, 1.0f};
  weights.embedding = "c_embedding";
  weights.final_norm = "c_final_norm";
  for (uint32_t l = 0; l < spec.num_layers(); ++l) {
    const LayerSpec &layer = spec.layers[l];
    auto name = [&](const char *base) { return LayerTensorName(base, l); };
    const int64_t q = layer.head_dim, h = int64_t{layer.heads} * q;
    LayerWeights w;
    w.q = {name("qkv_ein"), {{0, h}}, false};
    w.k.tensor = name("qkv_ein");
    if (!layer.k_eq_v)
      w.v.tensor = name("qkv_ein");
    for (int64_t k = 0; k < layer.kv_heads; ++k) {
      w.k.rows.emplace_back(h + 2 * k * q, h + 2 * k * q + q);
      if (!layer.k_eq_v)
        w.v.rows.emplace_back(h + 2 * k * q + q, h + 2 * k * q + 2 * q);
    }
    w.out = {name("att_ein"), {}, true};
    w.gate = {name("gating_ein"), {{0, layer.ff_hidden}}, false};
    w.up = {
        name("gating_ein"), {{layer.ff_hidden, 2 * layer.ff_hidden}}, false};
    w.down = {name("linear_w"), {}, false};
    w.pre_attn_norm = name("pre_att_ns");
    w.pre_ffw_norm = name("pre_ff_ns");
    if (layer.post_norms) {
      w.post_attn_norm = name("post_att_ns");
      w.post_ffw_norm = name("post_ff_ns");
    }
    if (layer.qk_norm) {
      w.query_norm = name("query_norm");
      w.key_norm = name("key_norm");
    }
    if (spec.layer_scalar)
      w.layer_scalar = name("skip_scale");
    weights.layers.push_back(w);
  }
  return weights;
}

TEST(Builder, Gemma4GlobalLayerUsesTheRawKeyAsValue) {
  ModelSpec spec = *PresetSpec("tiny-gemma4");
  mlir::MLIRContext context;
  absl::StatusOr<CacheLayout> layout =
      MakeCacheLayout(spec, BuildOptionsFor(64, {}, {1}));
  ASSERT_TRUE(layout.ok());
  absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      BuildModel(context, spec, WeightsOf(spec, StoredType::kSFP), *layout);
  ASSERT_TRUE(module.ok()) << module.status();
  // Layer 5 (global, K=V): one matmul of qkv_ein_5 for K, none for V; the
  // value is the weightless norm of the raw key projection.
  int kv_matmuls = 0, weightless_norms = 0;
  (*module)->walk([&](ir::MatmulOp m) {
    if (m.getWeight() == "qkv_ein_5" && m.getWeightRows() &&
        (*m.getWeightRows())[0] != 0)
      ++kv_matmuls;
  });
  (*module)->walk([&](ir::RmsNormOp n) {
    if (!n.getWeightAttr())
      ++weightless_norms;
  });
  EXPECT_EQ(kv_matmuls, 1);
  EXPECT_EQ(weightless_norms, 6); // the value norm of every layer
}

TEST(Builder, AWrongWeightShapeIsReportedWithTheVerifierMessage) {
  ModelSpec spec = *PresetSpec("tiny-gemma3");
  ModelWeights weights = WeightsOf(spec, StoredType::kSFP);
  weights.tensors["linear_w_2"].cols = 100;
  mlir::MLIRContext context;
  absl::StatusOr<CacheLayout> layout =
      MakeCacheLayout(spec, BuildOptionsFor(0, {}, {1}));
  absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      BuildModel(context, spec, weights, *layout);
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().message(),
            "tiny-gemma3: the weights do not fit the model: 'gemma.matmul' "
            "op weight @linear_w_2 has 100 columns, but the input row has "
            "128");
  weights = WeightsOf(spec, StoredType::kSFP);
  weights.layers[1].key_norm.clear();
  module = BuildModel(context, spec, weights, *layout);
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().message(),
            "tiny-gemma3: no tensor for the key norm of layer 1");
}

} // namespace
} // namespace gemma
