//===- ModelConfig.cpp - gemma.cpp's serialized model config --------------===//

#include "runtime/formats/sbs/ModelConfig.h"

namespace gemma {
bool EnumValid(StoredType type) {
  return IsValidStoredType(static_cast<uint32_t>(type));
}
} // namespace gemma

namespace gemma::sbs {

bool EnumValid(Model model) {
  auto v = static_cast<uint32_t>(model);
  if (v == 0)
    return true; // valid on the wire; refused by ValidateModelConfig
  return v >= 3 && v <= 32 && v != 5 && v != 6 && v != 8 && v != 9;
}

std::string_view ModelName(Model model) {
  switch (model) {
  case Model::kGemma2_9B:
    return "gemma2-9b";
  case Model::kGemma2_27B:
    return "gemma2-27b";
  case Model::kGemma2_2B:
    return "gemma2-2b";
  case Model::kPaliGemma2_3B_224:
    return "paligemma2-3b-224";
  case Model::kPaliGemma2_3B_448:
    return "paligemma2-3b-448";
  case Model::kPaliGemma2_10B_224:
    return "paligemma2-10b-224";
  case Model::kPaliGemma2_10B_448:
    return "paligemma2-10b-448";
  case Model::kGemma3_4B:
  case Model::kGemma3_4B_LM:
    return "gemma3-4b";
  case Model::kGemma3_1B:
    return "gemma3-1b";
  case Model::kGemma3_12B:
  case Model::kGemma3_12B_LM:
    return "gemma3-12b";
  case Model::kGemma3_27B:
  case Model::kGemma3_27B_LM:
    return "gemma3-27b";
  case Model::kGemma3_270M:
    return "gemma3-270m";
  case Model::kCustom:
    return "custom";
  case Model::kGemma4_26B_MoE:
    return "gemma4-26b-a4b";
  case Model::kGemma4_E2B:
  case Model::kGemma4_E2B_LM:
    return "gemma4-e2b";
  case Model::kGemma4_E4B:
  case Model::kGemma4_E4B_LM:
    return "gemma4-e4b";
  case Model::kDeepSeek4Flash:
    return "deepseek4-flash";
  case Model::kT5Gemma_S_S:
    return "t5gemma-s-s";
  case Model::kQwen3_600M:
    return "qwen3-0.6b";
  case Model::kQwen3_2B:
    return "qwen3-1.7b";
  case Model::kQwen3_4B:
    return "qwen3-4b";
  case Model::kUnknown:
    break;
  }
  return "unknown";
}

bool EnumValid(PromptWrapping wrapping) {
  return static_cast<uint32_t>(wrapping) < 4;
}
bool EnumValid(PostNormType type) { return static_cast<uint32_t>(type) < 2; }
bool EnumValid(LayerAttentionType type) {
  return static_cast<uint32_t>(type) < 4;
}
bool EnumValid(ActivationType type) { return static_cast<uint32_t>(type) < 2; }
bool EnumValid(PostQKType type) {
  return type == PostQKType::kRope || type == PostQKType::kHalfRope ||
         type == PostQKType::kNormLocalRope;
}
bool EnumValid(QueryScaleType type) { return static_cast<uint32_t>(type) < 3; }
bool EnumValid(AttentionVariant variant) {
  return static_cast<uint32_t>(variant) < 3;
}
bool EnumValid(RouterScoreFunc func) { return static_cast<uint32_t>(func) < 4; }
bool EnumValid(TokenizerKind kind) { return static_cast<uint32_t>(kind) < 2; }

absl::StatusOr<ModelConfig> ReadModelConfig(std::span<const uint8_t> blob,
                                            FieldsReport *report) {
  absl::StatusOr<std::vector<uint32_t>> words = BlobWords(blob, "config");
  if (!words.ok())
    return words.status();
  ModelConfig config;
  FieldReader reader(*words, "config");
  size_t pos = 0;
  FieldsReport local;
  if (absl::Status status = reader.ReadRecord(config, pos, &local);
      !status.ok())
    return status;
  if (config.is_encoder_decoder)
    return absl::InvalidArgumentError(
        "config: is_encoder_decoder is set; encoder-decoder models (T5Gemma) "
        "are not supported");
  if (report)
    *report = local;
  return config;
}

std::vector<uint8_t> WriteModelConfig(const ModelConfig &config) {
  return WordsToBytes(FieldWriter::Record(config));
}

namespace {

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError("config: " + message);
}

} // namespace

absl::Status ValidateModelConfig(const ModelConfig &config) {
  if (config.model == Model::kUnknown)
    return Invalid("model is UNKNOWN (0); gemma.cpp refuses such files too");
  if (config.weight == StoredType::kUnknown)
    return Invalid("weight type is unknown (0)");
  if (config.model_dim == 0 || config.vocab_size == 0 ||
      config.max_seq_len == 0)
    return Invalid(fmt::format("model_dim {}, vocab_size {} and max_seq_len "
                               "{} must be positive",
                               config.model_dim, config.vocab_size,
                               config.max_seq_len));
  if (config.num_layers == 0)
    return Invalid("num_layers is 0");
  if (config.layer_configs.size() != config.num_layers)
    return Invalid(fmt::format("num_layers is {} but layer_configs holds {}",
                               config.num_layers, config.layer_configs.size()));
  if (config.attention_window_sizes.size() != config.num_layers)
    return Invalid(
        fmt::format("num_layers is {} but attention_window_sizes holds {}",
                    config.num_layers, config.attention_window_sizes.size()));
  for (size_t i = 0; i < config.layer_configs.size(); ++i) {
    const LayerConfig &layer = config.layer_configs[i];
    auto bad = [&](std::string what) {
      return Invalid(fmt::format("layer_configs[{}]: {}", i, what));
    };
    if (layer.type != LayerAttentionType::kGemma)
      return bad("attention type is not a Gemma decoder layer");
    if (layer.model_dim != config.model_dim)
      return bad(fmt::format("model_dim {} differs from the model's {}",
                             layer.model_dim, config.model_dim));
    if (layer.heads == 0 || layer.kv_heads == 0 || layer.qkv_dim == 0)
      return bad(fmt::format("heads {}, kv_heads {} and qkv_dim {} must be "
                             "positive",
                             layer.heads, layer.kv_heads, layer.qkv_dim));
    if (layer.heads % layer.kv_heads != 0)
      return bad(fmt::format("heads {} is not a multiple of kv_heads {}",
                             layer.heads, layer.kv_heads));
    if (layer.qkv_dim > 1024)
      return bad(fmt::format("qkv_dim {} exceeds gemma.cpp's limit of 1024",
                             layer.qkv_dim));
    if (layer.qkv_dim % 2 != 0)
      return bad(
          fmt::format("qkv_dim {} is odd (RoPE rotates pairs)", layer.qkv_dim));
    if (layer.ff_hidden_dim == 0 && layer.num_experts == 0)
      return bad("ff_hidden_dim is 0");
    if (layer.kv_share_layer_idx >= static_cast<int32_t>(i))
      return bad(fmt::format("kv_share_layer_idx {} is not an earlier layer",
                             layer.kv_share_layer_idx));
    if (layer.kv_lora_rank != 0 || layer.activation != ActivationType::kGelu)
      return bad("not a Gemma layer (latent attention or SiLU)");
    if (config.attention_window_sizes[i] == 0)
      return Invalid(fmt::format("attention_window_sizes[{}] is 0", i));
  }
  if (config.att_cap < 0 || config.final_cap < 0)
    return Invalid("att_cap and final_cap must be 0 (off) or positive");
  if (config.eos_id < 0 ||
      static_cast<uint32_t>(config.eos_id) >= config.vocab_size)
    return Invalid(fmt::format("eos_id {} is outside the vocabulary of {}",
                               config.eos_id, config.vocab_size));
  if (!(config.rope_theta > 0) || !(config.global_rope_theta > 0) ||
      !(config.gc_global_rope_linear_scale > 0))
    return Invalid("RoPE bases and scales must be positive");
  if (!(config.partial_rotary_factor > 0 && config.partial_rotary_factor <= 1))
    return Invalid(fmt::format("partial_rotary_factor {} is outside (0, 1]",
                               config.partial_rotary_factor));
  if (config.gc_generation > 4)
    return Invalid(fmt::format("gc_generation {} is not a Gemma generation",
                               config.gc_generation));
  return absl::OkStatus();
}

std::string Specifier(const ModelConfig &config) {
  std::string out = fmt::format("{}-{}", ModelName(config.model),
                                StoredTypeName(config.weight));
  if (config.wrapping == PromptWrapping::kGemmaIT)
    out += "-it";
  else if (config.wrapping == PromptWrapping::kGemmaPT)
    out += "-pt";
  return out;
}

} // namespace gemma::sbs
