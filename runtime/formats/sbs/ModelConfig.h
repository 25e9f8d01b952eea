//===- ModelConfig.h - gemma.cpp's serialized model config -----*- C++ -*-===//
//
// The `config` blob: ModelConfig, LayerConfig and VitConfig with the field
// lists of docs/formats/sbs.md section 4 (gemma.cpp 2025-10), the fields
// gemma.cpp appended in 2026 for Gemma 4 (read from its configs.h), and this
// project's own fields after the last of those (`gc_*`), which describe what
// neither gemma.cpp config says (generation, norm convention, K=V, layer
// scalar, linear RoPE scaling, expert width). Appending keeps old readers
// working: gemma.cpp skips unknown top-level words with a warning.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBS_MODELCONFIG_H
#define RUNTIME_FORMATS_SBS_MODELCONFIG_H

#include "runtime/formats/sbs/Fields.h"
#include "runtime/weights/StoredType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {
// Found by FieldReader through argument-dependent lookup in StoredType's
// namespace.
bool EnumValid(StoredType type);
} // namespace gemma

namespace gemma::sbs {

// Serialized enums: values are gemma.cpp's and never change.
enum class Model : uint32_t {
  kUnknown = 0,
  kGemma2_9B = 3,
  kGemma2_27B = 4,
  kGemma2_2B = 7,
  kPaliGemma2_3B_224 = 10,
  kPaliGemma2_3B_448 = 11,
  kPaliGemma2_10B_224 = 12,
  kPaliGemma2_10B_448 = 13,
  kGemma3_4B = 14,
  kGemma3_1B = 15,
  kGemma3_12B = 16,
  kGemma3_27B = 17,
  kGemma3_270M = 18,
  kCustom = 19, // 2026: a config that names no released model
  kGemma3_4B_LM = 20,
  kGemma3_12B_LM = 21,
  kGemma3_27B_LM = 22,
  kGemma4_26B_MoE = 23,
  kGemma4_E2B = 24,
  kDeepSeek4Flash = 25,
  kT5Gemma_S_S = 26,
  kQwen3_600M = 27,
  kQwen3_2B = 28,
  kQwen3_4B = 29,
  kGemma4_E2B_LM = 30,
  kGemma4_E4B = 31,
  kGemma4_E4B_LM = 32,
};
bool EnumValid(Model model); // 1, 2, 5, 6, 8, 9 are retired; >= 33 unknown
std::string_view ModelName(Model model);

enum class PromptWrapping : uint32_t {
  kGemmaIT = 0,
  kGemmaPT = 1,
  kGemmaVLM = 2,
  kPaliGemma = 3
};
bool EnumValid(PromptWrapping wrapping);

enum class PostNormType : uint32_t { kNone = 0, kScale = 1 };
bool EnumValid(PostNormType type);

enum class LayerAttentionType : uint32_t {
  kGemma = 0,
  kVit = 1,
  kDeepSeekMLA = 2, // before 2025-09 this value meant kVit
  kVitGemma4 = 3,
};
bool EnumValid(LayerAttentionType type);

enum class ActivationType : uint32_t { kGelu = 0, kSilu = 1 };
bool EnumValid(ActivationType type);

enum class PostQKType : uint32_t {
  kRope = 0,
  kHalfRope = 1,
  kNormLocalRope = 8
};
bool EnumValid(PostQKType type);

enum class QueryScaleType : uint32_t {
  kSqrtKeySize = 0,             // q * 1/sqrt(qkv_dim)
  kSqrtModelDimDivNumHeads = 1, // q * 1/sqrt(model_dim / heads)
  kOne = 2,                     // Gemma 4
};
bool EnumValid(QueryScaleType type);

enum class AttentionVariant : uint32_t { kDense = 0, kCSA = 1, kHCA = 2 };
bool EnumValid(AttentionVariant variant);

enum class RouterScoreFunc : uint32_t {
  kSigmoidGatingCompat = 0,
  kSoftmax = 1,
  kSigmoid = 2,
  kSqrtSoftplus = 3
};
bool EnumValid(RouterScoreFunc func);

enum class TokenizerKind : uint32_t { kSentencePiece = 0, kHfBpe = 1 };
bool EnumValid(TokenizerKind kind);

struct LayerConfig {
  static constexpr const char *kName = "LayerConfig";
  // The 15 fields a 2025 gemma.cpp reads; records written for it (Gemma 2
  // and 3 files) must hold no more.
  static constexpr size_t kFields2025 = 15;

  uint32_t model_dim = 0;
  uint32_t unused_griffin_dim = 0;
  uint32_t ff_hidden_dim = 0;
  uint32_t heads = 0;
  uint32_t kv_heads = 0;
  uint32_t qkv_dim = 0;
  uint32_t unused_conv1d_width = 0;
  bool ff_biases = false;
  bool unused_softmax_attn_output_biases = false;
  bool optimized_gating = true;
  PostNormType post_norm = PostNormType::kNone;
  LayerAttentionType type = LayerAttentionType::kGemma;
  ActivationType activation = ActivationType::kGelu;
  PostQKType post_qk = PostQKType::kRope;
  bool use_qk_norm = false;
  // Appended by gemma.cpp in 2026.
  bool norm_v = false;
  uint32_t num_experts = 0;
  uint32_t num_experts_per_datapoint = 0;
  uint32_t ple_dim = 0;
  int32_t kv_share_layer_idx = -1;
  uint32_t kv_lora_rank = 0;
  uint32_t q_lora_rank = 0;
  uint32_t rope_head_dim = 0;
  uint32_t v_head_dim = 0;
  AttentionVariant attention_variant = AttentionVariant::kDense;
  uint32_t kv_compression_rate = 1;
  uint32_t indexer_heads = 0;
  uint32_t indexer_head_dim = 0;
  uint32_t indexer_top_k = 0;
  uint32_t num_shared_experts = 0;
  bool sigmoid_gating = false;
  bool use_routing_bias = false;
  uint32_t o_lora_rank = 0;
  uint32_t o_groups = 1;
  float swiglu_limit = 0.0f;
  float route_scale = 1.0f;
  RouterScoreFunc router_score = RouterScoreFunc::kSigmoidGatingCompat;
  bool hash_routing = false;

  // Limits the fields written (kFields2025 for files a 2025 gemma.cpp must
  // read); not serialized.
  size_t write_fields = SIZE_MAX;

  template <class V> void VisitFields(V &v) {
    size_t n = 0;
    auto f = [&](const char *name, auto &field) {
      if (n++ < write_fields)
        v(name, field);
    };
    f("model_dim", model_dim);
    f("unused_griffin_dim", unused_griffin_dim);
    f("ff_hidden_dim", ff_hidden_dim);
    f("heads", heads);
    f("kv_heads", kv_heads);
    f("qkv_dim", qkv_dim);
    f("unused_conv1d_width", unused_conv1d_width);
    f("ff_biases", ff_biases);
    f("unused_softmax_attn_output_biases", unused_softmax_attn_output_biases);
    f("optimized_gating", optimized_gating);
    f("post_norm", post_norm);
    f("type", type);
    f("activation", activation);
    f("post_qk", post_qk);
    f("use_qk_norm", use_qk_norm);
    f("norm_v", norm_v);
    f("num_experts", num_experts);
    f("num_experts_per_datapoint", num_experts_per_datapoint);
    f("ple_dim", ple_dim);
    f("kv_share_layer_idx", kv_share_layer_idx);
    f("kv_lora_rank", kv_lora_rank);
    f("q_lora_rank", q_lora_rank);
    f("rope_head_dim", rope_head_dim);
    f("v_head_dim", v_head_dim);
    f("attention_variant", attention_variant);
    f("kv_compression_rate", kv_compression_rate);
    f("indexer_heads", indexer_heads);
    f("indexer_head_dim", indexer_head_dim);
    f("indexer_top_k", indexer_top_k);
    f("num_shared_experts", num_shared_experts);
    f("sigmoid_gating", sigmoid_gating);
    f("use_routing_bias", use_routing_bias);
    f("o_lora_rank", o_lora_rank);
    f("o_groups", o_groups);
    f("swiglu_limit", swiglu_limit);
    f("route_scale", route_scale);
    f("router_score", router_score);
    f("hash_routing", hash_routing);
  }
};

struct VitConfig {
  static constexpr const char *kName = "VitConfig";
  uint32_t model_dim = 0;
  uint32_t seq_len = 0;
  uint32_t num_scales = 0;
  uint32_t patch_width = 14;
  uint32_t image_size = 224;
  std::vector<LayerConfig> layer_configs;
  uint32_t pool_dim = 1;

  template <class V> void VisitFields(V &v) {
    v("model_dim", model_dim);
    v("seq_len", seq_len);
    v("num_scales", num_scales);
    v("patch_width", patch_width);
    v("image_size", image_size);
    v("layer_configs", layer_configs);
    v("pool_dim", pool_dim);
  }
};

struct ModelConfig {
  static constexpr const char *kName = "ModelConfig";

  uint32_t model_family_version = 1;
  std::string display_name;
  Model model = Model::kUnknown;
  PromptWrapping wrapping = PromptWrapping::kGemmaPT;
  StoredType weight = StoredType::kUnknown;
  uint32_t num_layers = 0;
  uint32_t model_dim = 0;
  uint32_t vocab_size = 0;
  uint32_t max_seq_len = 0;
  uint32_t unused_num_tensor_scales = 0;
  float att_cap = 0.0f;
  float final_cap = 0.0f;
  bool absolute_pe = false;
  bool unused_use_local_attention = false;
  QueryScaleType query_scale = QueryScaleType::kSqrtKeySize;
  std::vector<LayerConfig> layer_configs;
  std::vector<uint32_t> attention_window_sizes;
  uint32_t norm_num_groups = 1;
  VitConfig vit_config;
  uint32_t pool_dim = 1;
  int32_t eos_id = 1;
  int32_t secondary_eos_id = 1;
  std::vector<std::string> scale_base_names;
  // Appended by gemma.cpp in 2026.
  bool use_global_timescale = false;
  float partial_rotary_factor = 1.0f;
  uint32_t ple_dim = 0;
  uint32_t hc_mult = 0;
  float rope_theta = 10000.0f;
  float compress_rope_theta = 0.0f;
  uint32_t yarn_orig_seq_len = 0;
  float yarn_factor = 1.0f;
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
  uint32_t hc_sinkhorn_iters = 20;
  float hc_eps = 1e-6f;
  uint32_t num_mtp_layers = 0;
  TokenizerKind tokenizer_kind = TokenizerKind::kSentencePiece;
  // gemma.cpp serializes encoder/decoder stacks after this flag when it is
  // set; such (T5Gemma) configs are refused when read.
  bool is_encoder_decoder = false;
  float global_rope_theta = 1000000.0f;
  // This project's fields, after the last gemma.cpp field. gc_generation 0
  // means "absent": the file was written by gemma.cpp.
  uint32_t gc_generation = 0;
  uint32_t gc_norm_plain = 0; // 1: norms apply w, not (1 + w)
  float gc_global_rope_linear_scale = 1.0f;
  bool gc_global_k_eq_v = false;
  bool gc_layer_scalar = false;
  uint32_t gc_expert_ff_hidden = 0;

  template <class V> void VisitFields(V &v) {
    v("model_family_version", model_family_version);
    v("display_name", display_name);
    v("model", model);
    v("wrapping", wrapping);
    v("weight", weight);
    v("num_layers", num_layers);
    v("model_dim", model_dim);
    v("vocab_size", vocab_size);
    v("max_seq_len", max_seq_len);
    v("unused_num_tensor_scales", unused_num_tensor_scales);
    v("att_cap", att_cap);
    v("final_cap", final_cap);
    v("absolute_pe", absolute_pe);
    v("unused_use_local_attention", unused_use_local_attention);
    v("query_scale", query_scale);
    v("layer_configs", layer_configs);
    v("attention_window_sizes", attention_window_sizes);
    v("norm_num_groups", norm_num_groups);
    v("vit_config", vit_config);
    v("pool_dim", pool_dim);
    v("eos_id", eos_id);
    v("secondary_eos_id", secondary_eos_id);
    v("scale_base_names", scale_base_names);
    v("use_global_timescale", use_global_timescale);
    v("partial_rotary_factor", partial_rotary_factor);
    v("ple_dim", ple_dim);
    v("hc_mult", hc_mult);
    v("rope_theta", rope_theta);
    v("compress_rope_theta", compress_rope_theta);
    v("yarn_orig_seq_len", yarn_orig_seq_len);
    v("yarn_factor", yarn_factor);
    v("yarn_beta_fast", yarn_beta_fast);
    v("yarn_beta_slow", yarn_beta_slow);
    v("hc_sinkhorn_iters", hc_sinkhorn_iters);
    v("hc_eps", hc_eps);
    v("num_mtp_layers", num_mtp_layers);
    v("tokenizer_kind", tokenizer_kind);
    v("is_encoder_decoder", is_encoder_decoder);
    if (is_encoder_decoder)
      return; // refused by ReadModelConfig before the next fields matter
    v("global_rope_theta", global_rope_theta);
    v("gc_generation", gc_generation);
    v("gc_norm_plain", gc_norm_plain);
    v("gc_global_rope_linear_scale", gc_global_rope_linear_scale);
    v("gc_global_k_eq_v", gc_global_k_eq_v);
    v("gc_layer_scalar", gc_layer_scalar);
    v("gc_expert_ff_hidden", gc_expert_ff_hidden);
  }
};

// Reads the `config` blob. `report` (optional) receives the extra and
// missing field counts of the top-level record.
absl::StatusOr<ModelConfig> ReadModelConfig(std::span<const uint8_t> blob,
                                            FieldsReport *report);

std::vector<uint8_t> WriteModelConfig(const ModelConfig &config);

// The checks a loader relies on: one line naming the field.
absl::Status ValidateModelConfig(const ModelConfig &config);

// gemma.cpp's file-name convention, e.g. "gemma3-270m-bf16-it".
std::string Specifier(const ModelConfig &config);

} // namespace gemma::sbs

#endif // RUNTIME_FORMATS_SBS_MODELCONFIG_H
