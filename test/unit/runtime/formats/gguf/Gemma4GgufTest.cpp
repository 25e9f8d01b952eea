//===- Gemma4GgufTest.cpp - llama.cpp's gemma4 GGUF files -----------------===//
//
// The GGUFs llama.cpp's converter wrote from the tiny Gemma 4 checkpoints
// (test/fixtures/gguf-gemma4, make_fixtures.py there): the spec each maps
// to, the tokenizer (ids equal to transformers' and llama.cpp's, recorded
// when the fixtures were made), and refusals of files edited in place to
// hold what the importer cannot place. Their logits are checked against
// transformers and llama.cpp in test/parity/HfCheckpointTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/LoadModel.h"
#include "runtime/formats/gguf/GgufModel.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace gemma {
namespace {

std::vector<uint8_t> FixtureBytes(const std::string &file) {
  std::ifstream in(std::string(GEMMA_SOURCE_DIR) +
                       "/test/fixtures/gguf-gemma4/" + file,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << file;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ModelFile Load(const std::vector<uint8_t> &bytes) {
  absl::StatusOr<ModelFile> model = LoadGgufModelFromBytes(bytes, "m.gguf");
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *std::move(model) : ModelFile{};
}

// The first error of loading `bytes` and mapping its weights, or "ok".
std::string Error(const std::vector<uint8_t> &bytes) {
  absl::StatusOr<ModelFile> model = LoadGgufModelFromBytes(bytes, "m.gguf");
  if (!model.ok())
    return std::string(model.status().message());
  absl::StatusOr<ModelWeights> weights = GgufModelWeights(*model);
  return weights.ok() ? "ok" : std::string(weights.status().message());
}

// `bytes` with the only occurrence of `from` replaced by `to` (same size).
std::vector<uint8_t> Edit(std::vector<uint8_t> bytes, std::string_view from,
                          std::string_view to) {
  EXPECT_EQ(from.size(), to.size());
  // (char may be signed: compare bytes.)
  const auto same = [](uint8_t a, char b) { return a == uint8_t(b); };
  auto at =
      std::search(bytes.begin(), bytes.end(), from.begin(), from.end(), same);
  EXPECT_NE(at, bytes.end()) << from;
  EXPECT_EQ(std::search(at + 1, bytes.end(), from.begin(), from.end(), same),
            bytes.end())
      << from << " occurs twice";
  if (at != bytes.end())
    std::copy(to.begin(), to.end(), at);
  return bytes;
}

std::string_view AsText(const void *p, size_t n) {
  return {static_cast<const char *>(p), n};
}

// A u32 metadata value: the key's bytes, its type (4: u32) and the value.
std::string U32Entry(std::string_view key, uint32_t value) {
  std::string s(key);
  const uint32_t type = 4;
  s.append(AsText(&type, 4));
  s.append(AsText(&value, 4));
  return s;
}

TEST(Gemma4Gguf, DenseWithBothGeometriesAndKeqV) {
  const ModelFile m = Load(FixtureBytes("gemma4-keqv.f32.gguf"));
  const ModelSpec &s = m.spec;
  EXPECT_EQ(s.generation, Generation::kGemma4);
  EXPECT_EQ(s.model_dim, 32u);
  EXPECT_EQ(s.vocab_size, 512u);
  EXPECT_EQ(s.norm_scale, NormScale::kPlain);
  EXPECT_TRUE(s.layer_scalar);
  EXPECT_EQ(s.final_softcap, 8.0f);
  EXPECT_EQ(s.chat, ChatFormat::kGemma4);
  EXPECT_EQ(s.eos_ids, (std::vector<int32_t>{1, 6})); // <eos>, <turn|>
  ASSERT_EQ(s.num_layers(), 6u);
  for (uint32_t i = 0; i < 5; ++i) {
    const LayerSpec &l = s.layers[i];
    EXPECT_EQ(l.window, 4u) << i;
    EXPECT_EQ(l.head_dim, 8u) << i;
    EXPECT_EQ(l.kv_heads, 2u) << i;
    EXPECT_EQ(l.rope.base, 10000.0) << i;
    EXPECT_EQ(l.rope.fraction, 1.0) << i;
    EXPECT_FALSE(l.k_eq_v) << i;
  }
  const LayerSpec &g = s.layers[5];
  EXPECT_TRUE(g.is_global());
  EXPECT_EQ(g.head_dim, 16u);
  EXPECT_EQ(g.kv_heads, 1u);
  EXPECT_EQ(g.rope.base, 1e6);
  EXPECT_EQ(g.rope.fraction, 0.25); // rope_freqs: 2 of 8 pairs rotate
  EXPECT_TRUE(g.k_eq_v);
  EXPECT_EQ(g.query_scale, 1.0f);
  EXPECT_TRUE(g.qk_norm && g.value_norm && g.post_norms);
  absl::StatusOr<ModelWeights> w = GgufModelWeights(m);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->layers[5].v.tensor.empty());
  EXPECT_EQ(w->layers[5].layer_scalar, "blk.5.layer_output_scale.weight");
}

TEST(Gemma4Gguf, PerLayerEmbeddingsAndKvSharing) {
  const ModelFile m = Load(FixtureBytes("gemma4-ple-kvshare.q8_0.gguf"));
  const ModelSpec &s = m.spec;
  EXPECT_EQ(s.ple_dim, 8u);
  ASSERT_EQ(s.num_layers(), 6u);
  // Layers 4 (sliding) and 5 (global) read the caches of 2 and 3, with
  // the double-wide MLP written per layer.
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.layers[i].kv_source_layer, i < 4 ? -1 : int32_t(i) - 2) << i;
    EXPECT_EQ(s.layers[i].ff_hidden, i < 4 ? 64u : 128u) << i;
  }
  absl::StatusOr<ModelWeights> w = GgufModelWeights(m);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->ple_table, "per_layer_token_embd.weight");
  EXPECT_EQ(w->layers[4].ple_gate, "blk.4.inp_gate.weight");
  EXPECT_TRUE(w->layers[4].k.tensor.empty() && w->layers[4].v.tensor.empty());
}

TEST(Gemma4Gguf, MixtureOfExperts) {
  const ModelFile m = Load(FixtureBytes("gemma4-moe.q8_0.gguf"));
  for (const LayerSpec &l : m.spec.layers) {
    EXPECT_EQ(l.num_experts, 4u);
    EXPECT_EQ(l.experts_per_token, 2u);
    EXPECT_EQ(l.expert_ff_hidden, 16u);
  }
  absl::StatusOr<ModelWeights> w = GgufModelWeights(m);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->layers[0].moe_gate_up, "blk.0.ffn_gate_up_exps.weight");
  EXPECT_EQ(w->layers[0].moe_router_scale, "blk.0.ffn_gate_inp.scale");
  EXPECT_EQ(w->layers[0].moe_expert_scale, "blk.0.ffn_down_exps.scale");
}

// Ids transformers (AutoTokenizer on the tokenizer.json the file was
// converted from) and llama.cpp (tokenize with special tokens) both gave,
// BOS left out.
TEST(Gemma4Gguf, TokenizerGivesTransformersAndLlamaCppIds) {
  const ModelFile m = Load(FixtureBytes("gemma4-dense.f32.gguf"));
  ASSERT_TRUE(m.tokenizer.has_value());
  std::string error;
  auto tokenizer =
      SentencePieceTokenizer::FromSerializedProto(*m.tokenizer, &error);
  ASSERT_TRUE(tokenizer) << error;
  const std::pair<std::string, std::vector<int>> cases[] = {
      {"the theater hat is there",
       {382, 271, 280, 286, 265, 371, 286, 332, 267, 394, 265, 381}},
      {"<|turn>user\nhello world<turn|>",
       {5, 402, 385, 265, 17, 271, 389, 305, 295, 272, 389, 390, 6}},
      {"Zebra 42 \xc3\xa9\xe2\x82\xac!",
       {502, 381, 407, 387, 383, 341, 404, 380, 202, 176, 233, 137, 179, 489}},
      {"  two  spaces\n\nand lines",
       {263, 382, 409, 384, 263, 385, 397, 328, 276, 17, 17, 383, 297, 380, 389,
        268, 276}}};
  for (const auto &[text, ids] : cases)
    EXPECT_EQ(tokenizer->Encode(text), ids) << text;
}

TEST(Gemma4Gguf, RefusesWhatItCannotPlace) {
  const std::vector<uint8_t> keqv = FixtureBytes("gemma4-keqv.f32.gguf");
  // A value projection of another name: layer 0 turns K=V, the tensor is
  // left over.
  EXPECT_EQ(Error(Edit(keqv, "blk.0.attn_v.weight", "blk.0.attn_w.weight")),
            "m.gguf: tensor 'blk.0.attn_w.weight' is not used by the gemma4 "
            "importer (a feature it does not support?)");
  EXPECT_EQ(Error(Edit(keqv, "blk.3.ffn_up.weight", "blk.3.ffn_uq.weight")),
            "m.gguf: tensor 'blk.3.ffn_up.weight' is required but not in the "
            "file");
  EXPECT_EQ(Error(Edit(keqv, U32Entry("gemma4.attention.value_length", 16),
                       U32Entry("gemma4.attention.value_length", 12))),
            "m.gguf: 'gemma4.attention.value_length' is 12, "
            "'gemma4.attention.key_length' 16: not supported (Gemma 4 has "
            "them equal)");
  // rope_freqs: 1 for the two rotated pairs, then 1e30 for six; a rotated
  // pair after a still one is no proportional RoPE.
  const float one = 1.0f, still = 1e30f;
  const std::string edge =
      std::string(AsText(&one, 4)) + std::string(AsText(&still, 4));
  const std::string swapped =
      std::string(AsText(&still, 4)) + std::string(AsText(&one, 4));
  EXPECT_EQ(Error(Edit(keqv, edge, swapped)),
            "m.gguf: tensor 'rope_freqs.weight': factor 1 of pair 2 is not "
            "Gemma 4's proportional RoPE (1 for the first pairs, 1e30 after)");
  EXPECT_EQ(Error(Edit(keqv, U32Entry("gemma4.attention.shared_kv_layers", 0),
                       U32Entry("gemma4.attention.shared_kv_layers", 6))),
            "m.gguf: 'gemma4.attention.shared_kv_layers' 6 leaves no layer to "
            "compute a cache");
  // A key of a feature the importer does not know.
  EXPECT_EQ(Error(Edit(keqv, "gemma4.attention.sliding_window_pattern",
                       "gemma4.attention.sliding_window_patterX")),
            "m.gguf: metadata 'gemma4.attention.sliding_window_patterX' is "
            "not one the gemma4 importer knows (a feature it does not "
            "support?)");
  // Another architecture's name in general.architecture.
  const uint32_t string_type = 8;
  const uint64_t length = 6;
  const std::string arch = "general.architecture" +
                           std::string(AsText(&string_type, 4)) +
                           std::string(AsText(&length, 8));
  EXPECT_EQ(Error(Edit(keqv, arch + "gemma4", arch + "gemmaX")),
            "m.gguf: architecture 'gemmaX' is not a Gemma text model (gemma, "
            "gemma2, gemma3, gemma4)");
}

} // namespace
} // namespace gemma
