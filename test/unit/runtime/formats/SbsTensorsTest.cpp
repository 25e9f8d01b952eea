//===- SbsTensorsTest.cpp - Tensor tables against the .sbs format ---------===//
//
// The tables of docs/formats/sbs.md section 6.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/SbsTensors.h"

#include "runtime/formats/synth/Presets.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace gemma {
namespace {

using Shape = std::pair<uint64_t, uint64_t>;

std::map<std::string, TensorSlot> ByName(const std::vector<TensorSlot> &table) {
  std::map<std::string, TensorSlot> slots;
  for (const TensorSlot &slot : table)
    EXPECT_TRUE(slots.emplace(slot.name, slot).second) << slot.name;
  return slots;
}

Shape ShapeOf(const std::map<std::string, TensorSlot> &slots,
              const std::string &name) {
  auto it = slots.find(name);
  EXPECT_NE(it, slots.end()) << name;
  return it == slots.end() ? Shape{0, 0}
                           : Shape{it->second.rows, it->second.cols};
}

struct Row {
  const char *preset;
  Shape qkv, att, gating, linear, norm, qk_norm, embedding;
};

// docs/formats/sbs.md section 6.4, "Concrete shapes (rows x cols)".
const Row kSbsTable[] = {
    {"gemma2-2b",
     {4096, 2304},
     {18432, 256},
     {18432, 2304},
     {2304, 9216},
     {1, 2304},
     {0, 0},
     {256000, 2304}},
    {"gemma2-9b",
     {8192, 3584},
     {57344, 256},
     {28672, 3584},
     {3584, 14336},
     {1, 3584},
     {0, 0},
     {256000, 3584}},
    {"gemma2-27b",
     {8192, 4608},
     {147456, 128},
     {73728, 4608},
     {4608, 36864},
     {1, 4608},
     {0, 0},
     {256000, 4608}},
    {"gemma3-270m",
     {1536, 640},
     {2560, 256},
     {4096, 640},
     {640, 2048},
     {1, 640},
     {1, 256},
     {262144, 640}},
    {"gemma3-1b",
     {1536, 1152},
     {4608, 256},
     {13824, 1152},
     {1152, 6912},
     {1, 1152},
     {1, 256},
     {262144, 1152}},
    {"gemma3-4b",
     {4096, 2560},
     {20480, 256},
     {20480, 2560},
     {2560, 10240},
     {1, 2560},
     {1, 256},
     {262144, 2560}},
    {"gemma3-12b",
     {8192, 3840},
     {61440, 256},
     {30720, 3840},
     {3840, 15360},
     {1, 3840},
     {1, 256},
     {262144, 3840}},
    {"gemma3-27b",
     {8192, 5376},
     {172032, 128},
     {43008, 5376},
     {5376, 21504},
     {1, 5376},
     {1, 128},
     {262144, 5376}},
};

TEST(SbsTensors, MatchSbsSection6Shapes) {
  for (const Row &row : kSbsTable) {
    SCOPED_TRACE(row.preset);
    ModelSpec spec = *PresetSpec(row.preset);
    auto slots = ByName(SbsTensorTable(spec, StoredType::kSFP));
    uint32_t last = spec.num_layers() - 1;
    EXPECT_EQ(ShapeOf(slots, LayerTensorName("qkv_ein", last)), row.qkv);
    EXPECT_EQ(ShapeOf(slots, LayerTensorName("att_ein", 0)), row.att);
    EXPECT_EQ(ShapeOf(slots, LayerTensorName("gating_ein", 0)), row.gating);
    EXPECT_EQ(ShapeOf(slots, LayerTensorName("linear_w", 0)), row.linear);
    EXPECT_EQ(ShapeOf(slots, LayerTensorName("pre_att_ns", 0)), row.norm);
    EXPECT_EQ(ShapeOf(slots, LayerTensorName("post_ff_ns", last)), row.norm);
    EXPECT_EQ(ShapeOf(slots, "c_final_norm"), row.norm);
    EXPECT_EQ(ShapeOf(slots, "c_embedding"), row.embedding);
    if (row.qk_norm.first != 0)
      EXPECT_EQ(ShapeOf(slots, LayerTensorName("key_norm", 0)), row.qk_norm);
    else
      EXPECT_EQ(slots.count(LayerTensorName("key_norm", 0)), 0u);
    // Gemma 2 has 4 norms per layer, Gemma 3 six: 2 + 8L or 2 + 10L blobs.
    size_t per_layer = spec.generation == Generation::kGemma3 ? 10 : 8;
    EXPECT_EQ(slots.size(), 2 + per_layer * spec.num_layers());
  }
}

TEST(SbsTensors, TypePolicyKeepsEmbeddingAndNormsAtLeastBf16) {
  ModelSpec spec = *PresetSpec("tiny-gemma3");
  for (StoredType weight : {StoredType::kSFP, StoredType::kNUQ, StoredType::kI8,
                            StoredType::kBF16}) {
    for (const TensorSlot &slot : SbsTensorTable(spec, weight)) {
      if (slot.role == TensorRole::kMatrix)
        EXPECT_EQ(slot.type, weight) << slot.name;
      else
        EXPECT_EQ(slot.type, StoredType::kBF16) << slot.name;
    }
  }
  for (const TensorSlot &slot : SbsTensorTable(spec, StoredType::kF32))
    EXPECT_EQ(slot.type, StoredType::kF32) << slot.name;
}

TEST(SbsTensors, NuqAndI8UseTheSplitForms) {
  ModelSpec spec = *PresetSpec("gemma3-270m");
  auto slots = ByName(SbsTensorTable(spec, StoredType::kNUQ));
  EXPECT_EQ(ShapeOf(slots, "qkv1_w_0"), (Shape{1024, 640}));
  EXPECT_EQ(ShapeOf(slots, "qkv2_w_0"), (Shape{512, 640}));
  EXPECT_EQ(ShapeOf(slots, "att_w_0"), (Shape{640, 1024}));
  EXPECT_EQ(ShapeOf(slots, "gating1_w_0"), (Shape{2048, 640}));
  EXPECT_EQ(ShapeOf(slots, "gating2_w_0"), (Shape{2048, 640}));
  EXPECT_EQ(slots.count("qkv_ein_0"), 0u);
}

TEST(SbsTensors, Gemma4TensorsFollowGemmaCppNames) {
  auto e2b =
      ByName(SbsTensorTable(*PresetSpec("gemma4-e2b"), StoredType::kSFP));
  EXPECT_EQ(ShapeOf(e2b, "ple_embeddings"), (Shape{262144, 35 * 256}));
  EXPECT_EQ(ShapeOf(e2b, "ple_model_proj"), (Shape{35 * 256, 1536}));
  EXPECT_EQ(ShapeOf(e2b, "ple_gate_3"), (Shape{256, 1536}));
  EXPECT_EQ(ShapeOf(e2b, "ple_proj_3"), (Shape{1536, 256}));
  EXPECT_EQ(ShapeOf(e2b, "skip_scale_34"), (Shape{1, 1}));
  EXPECT_EQ(ShapeOf(e2b, "qkv_ein_4"), (Shape{(8 + 2) * 512, 1536}));
  EXPECT_EQ(ShapeOf(e2b, "query_norm_4"), (Shape{1, 512}));
  EXPECT_EQ(ShapeOf(e2b, "gating_ein_20"), (Shape{2 * 12288, 1536}));

  auto moe =
      ByName(SbsTensorTable(*PresetSpec("gemma4-26b-a4b"), StoredType::kSFP));
  EXPECT_EQ(ShapeOf(moe, "moe_gate_ein_0"), (Shape{128 * 2 * 704, 2816}));
  EXPECT_EQ(ShapeOf(moe, "moe_linear_w_0"), (Shape{128 * 2816, 704}));
  EXPECT_EQ(ShapeOf(moe, "moe_router_0"), (Shape{128, 2816}));
  EXPECT_EQ(ShapeOf(moe, "gating_ein_0"), (Shape{2 * 2112, 2816}));
  const TensorSlot &global = moe.at("qkv_ein_5");
  EXPECT_EQ(global.rows, (16u + 2 * 2) * 512);
  EXPECT_TRUE(global.duplicate_kv);
  EXPECT_FALSE(moe.at("qkv_ein_4").duplicate_kv);
}

TEST(SbsTensors, NamesFitTheSixteenByteKeys) {
  for (const std::string &preset : PresetNames())
    for (StoredType weight : {StoredType::kSFP, StoredType::kNUQ})
      for (const TensorSlot &slot : SbsTensorTable(*PresetSpec(preset), weight))
        EXPECT_LE(slot.name.size(), 16u) << preset << " " << slot.name;
}

} // namespace
} // namespace gemma
