//===- HfConfigTest.cpp - config.json as Google publishes it --------------===//
//
// The config.json files of released checkpoints, in the spellings of the
// transformers versions they were written with (the fixtures in
// test/fixtures/hf/ use the newest ones), must give the released models'
// specs: window pattern, RoPE per layer type, query scale, soft-caps, ids.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/hf/HfConfig.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gemma::hf {
namespace {

// google/gemma-3-1b-it (transformers 4.50): rope_theta, rope_local_base_freq,
// sliding_window_pattern, query_pre_attn_scalar.
constexpr const char *kGemma3_1b = R"({
  "architectures": ["Gemma3ForCausalLM"], "attention_bias": false,
  "attention_dropout": 0.0, "attn_logit_softcapping": null,
  "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": [1, 106],
  "final_logit_softcapping": null, "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152,
  "initializer_range": 0.02, "intermediate_size": 6912,
  "max_position_embeddings": 32768, "model_type": "gemma3_text",
  "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
  "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
  "rope_local_base_freq": 10000, "rope_scaling": null, "rope_theta": 1000000,
  "sliding_window": 512, "sliding_window_pattern": 6, "torch_dtype": "bfloat16",
  "transformers_version": "4.50.0.dev0", "use_cache": true, "vocab_size": 262144
})";

// google/gemma-3-4b-it: the multimodal wrapper, linear-scaled global RoPE.
constexpr const char *kGemma3_4b = R"({
  "architectures": ["Gemma3ForConditionalGeneration"], "boi_token_index": 255999,
  "eoi_token_index": 256000, "eos_token_id": [1, 106],
  "image_token_index": 262144, "initializer_range": 0.02,
  "mm_tokens_per_image": 256, "model_type": "gemma3",
  "text_config": {"hidden_size": 2560, "intermediate_size": 10240,
    "model_type": "gemma3_text", "num_hidden_layers": 34,
    "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
    "sliding_window": 1024, "num_attention_heads": 8, "num_key_value_heads": 4,
    "head_dim": 256, "query_pre_attn_scalar": 256, "vocab_size": 262208,
    "max_position_embeddings": 131072},
  "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0",
  "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model"}
})";

// google/gemma-2-2b-it.
constexpr const char *kGemma2_2b = R"({
  "architectures": ["Gemma2ForCausalLM"], "attention_bias": false,
  "attention_dropout": 0.0, "attn_logit_softcapping": 50.0, "bos_token_id": 2,
  "cache_implementation": "hybrid", "eos_token_id": [1, 107],
  "final_logit_softcapping": 30.0, "head_dim": 256,
  "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 2304, "initializer_range": 0.02, "intermediate_size": 9216,
  "max_position_embeddings": 8192, "model_type": "gemma2",
  "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4,
  "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
  "rope_theta": 10000.0, "sliding_window": 4096, "torch_dtype": "float32",
  "transformers_version": "4.42.4", "use_cache": true, "vocab_size": 256000
})";

TEST(HfConfig, Gemma3TextConfigOfTransformers450) {
  absl::StatusOr<ModelSpec> spec = ParseHfConfig(kGemma3_1b, "config.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->generation, Generation::kGemma3);
  EXPECT_EQ(spec->num_layers(), 26u);
  EXPECT_EQ(spec->vocab_size, 262144u);
  EXPECT_EQ(spec->eos_ids, (std::vector<int32_t>{1, 106}));
  for (uint32_t l = 0; l < 26; ++l) {
    const LayerSpec &layer = spec->layers[l];
    const bool global = (l + 1) % 6 == 0;
    EXPECT_EQ(layer.window, global ? 0u : 512u) << l;
    EXPECT_EQ(layer.rope.base, global ? 1e6 : 1e4) << l;
    EXPECT_EQ(layer.rope.linear_scale, 1.0) << l;
    EXPECT_FLOAT_EQ(layer.query_scale, 1.0f / 16.0f);
    EXPECT_TRUE(layer.qk_norm && layer.post_norms);
    EXPECT_EQ(layer.kv_heads, 1u);
  }
}

TEST(HfConfig, Gemma3MultimodalWrapperScalesOnlyGlobalRope) {
  absl::StatusOr<ModelSpec> spec = ParseHfConfig(kGemma3_4b, "config.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->num_layers(), 34u);
  EXPECT_EQ(spec->vocab_size, 262208u);
  EXPECT_EQ(spec->eos_ids, (std::vector<int32_t>{1, 106}));
  EXPECT_EQ(spec->layers[5].rope.linear_scale, 8.0);
  EXPECT_EQ(spec->layers[5].window, 0u);
  EXPECT_EQ(spec->layers[0].rope.linear_scale, 1.0);
  EXPECT_EQ(spec->layers[0].window, 1024u);
}

TEST(HfConfig, Gemma2AlternatesWindowsWithSoftcaps) {
  absl::StatusOr<ModelSpec> spec = ParseHfConfig(kGemma2_2b, "config.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->generation, Generation::kGemma2);
  EXPECT_EQ(spec->attn_softcap, 50.0f);
  EXPECT_EQ(spec->final_softcap, 30.0f);
  EXPECT_EQ(spec->layers[0].window, 4096u);
  EXPECT_EQ(spec->layers[1].window, 0u);
  EXPECT_FLOAT_EQ(spec->layers[0].query_scale, 1.0f / 16.0f);
  EXPECT_FALSE(spec->layers[0].qk_norm);
}

TEST(HfConfig, UnknownAndImpossibleFieldsAreRefusedByName) {
  std::string config = kGemma2_2b;
  config.insert(1, R"("rope_yarn_mix": 0.5, )");
  absl::StatusOr<ModelSpec> spec = ParseHfConfig(config, "c.json");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "c.json: 'rope_yarn_mix' is not a field this importer knows; it "
            "may change the model's math, so the checkpoint is refused");
  config = kGemma2_2b;
  config.insert(1, R"("tie_word_embeddings": false, )");
  EXPECT_FALSE(ParseHfConfig(config, "c.json").ok());
  EXPECT_FALSE(ParseHfConfig("[1, 2]", "c.json").ok());
  EXPECT_FALSE(ParseHfConfig(R"({"model_type": "gemma3n"})", "c.json").ok());
}

// A number no double holds is an error, not an exception out of the parser
// (safetensors-fuzz-smoke found it).
TEST(HfConfig, ANumberPastDoubleIsAnError) {
  absl::StatusOr<ModelSpec> spec = ParseHfConfig(
      R"({"model_type": "gemma3_text", "rms_norm_eps": 1e999})", "c.json");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "c.json: not valid JSON: number overflow parsing '1e999'");
}

} // namespace
} // namespace gemma::hf
