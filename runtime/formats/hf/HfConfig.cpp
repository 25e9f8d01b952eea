//===- HfConfig.cpp - config.json of a Hugging Face checkpoint ------------===//

#include "runtime/formats/hf/HfConfig.h"

#include "runtime/formats/AssignOr.h"

#include "absl/status/status.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <optional>
#include <set>
#include <tuple>

namespace gemma::hf {
namespace {

using nlohmann::json;

// Keys of any transformers config that say nothing about the math of
// inference in float32 (bookkeeping, training-only settings, generation
// defaults that the runtime's own flags replace).
const std::set<std::string> kBookkeeping = {"_name_or_path",
                                            "architectures",
                                            "model_type",
                                            "torch_dtype",
                                            "dtype",
                                            "transformers_version",
                                            "use_cache",
                                            "initializer_range",
                                            "attention_dropout",
                                            "pad_token_id",
                                            "cache_implementation",
                                            "output_attentions",
                                            "output_hidden_states",
                                            "return_dict",
                                            "id2label",
                                            "label2id",
                                            "torchscript",
                                            "use_return_dict",
                                            "tokenizer_class",
                                            "problem_type",
                                            "is_encoder_decoder",
                                            "chunk_size_feed_forward",
                                            "tf_legacy_loss",
                                            "pruned_heads",
                                            "finetuning_task",
                                            "prefix",
                                            "task_specific_params",
                                            "bad_words_ids",
                                            "begin_suppress_tokens",
                                            "max_length",
                                            "min_length",
                                            "do_sample",
                                            "early_stopping",
                                            "num_beams",
                                            "temperature",
                                            "top_k",
                                            "top_p",
                                            "typical_p",
                                            "repetition_penalty",
                                            "length_penalty",
                                            "no_repeat_ngram_size",
                                            "num_return_sequences",
                                            "output_scores",
                                            "return_dict_in_generate",
                                            "forced_bos_token_id",
                                            "forced_eos_token_id",
                                            "remove_invalid_values",
                                            "sep_token_id",
                                            "decoder_start_token_id",
                                            "suppress_tokens",
                                            "exponential_decay_length_penalty",
                                            "diversity_penalty",
                                            "num_beam_groups",
                                            "encoder_no_repeat_ngram_size",
                                            "cross_attention_hidden_size",
                                            "add_cross_attention",
                                            "is_decoder",
                                            "tie_encoder_decoder",
                                            "_attn_implementation_autoset",
                                            "_attn_implementation",
                                            "attn_implementation",
                                            "quantization_config"};

// A JSON object whose every key must be read (or listed as harmless) before
// the config is accepted.
class Fields {
public:
  Fields(const json &object, std::string where)
      : object_(object), where_(std::move(where)) {}

  bool Has(const std::string &key) const {
    return object_.contains(key) && !object_[key].is_null();
  }
  const json *Get(const std::string &key) {
    used_.insert(key);
    return Has(key) ? &object_[key] : nullptr;
  }
  void Harmless(std::initializer_list<const char *> keys) {
    for (const char *k : keys)
      used_.insert(k);
  }

  absl::StatusOr<uint64_t> Uint(const std::string &key,
                                std::optional<uint64_t> fallback = {}) {
    const json *v = Get(key);
    if (!v) {
      if (fallback)
        return *fallback;
      return Error(fmt::format("'{}' is missing", key));
    }
    if (!v->is_number_unsigned())
      return Error(fmt::format("'{}' must be a non-negative integer", key));
    return v->get<uint64_t>();
  }
  absl::StatusOr<double> Number(const std::string &key,
                                std::optional<double> fallback = {}) {
    const json *v = Get(key);
    if (!v) {
      if (fallback)
        return *fallback;
      return Error(fmt::format("'{}' is missing", key));
    }
    if (!v->is_number())
      return Error(fmt::format("'{}' must be a number", key));
    return v->get<double>();
  }
  absl::StatusOr<std::string> String(const std::string &key,
                                     const std::string &fallback) {
    const json *v = Get(key);
    if (!v)
      return fallback;
    if (!v->is_string())
      return Error(fmt::format("'{}' must be a string", key));
    return v->get<std::string>();
  }
  absl::StatusOr<bool> Bool(const std::string &key, bool fallback) {
    const json *v = Get(key);
    if (!v)
      return fallback;
    if (!v->is_boolean())
      return Error(fmt::format("'{}' must be true or false", key));
    return v->get<bool>();
  }

  // The first key nobody read, refused by name.
  absl::Status CheckAllRead() const {
    for (const auto &[key, value] : object_.items())
      if (!used_.contains(key) && !kBookkeeping.contains(key))
        return Error(fmt::format("'{}' is not a field this importer knows; "
                                 "it may change the model's math, so the "
                                 "checkpoint is refused",
                                 key));
    return absl::OkStatus();
  }

  absl::Status Error(const std::string &what) const {
    return absl::InvalidArgumentError(fmt::format("{}: {}", where_, what));
  }

private:
  const json &object_;
  std::string where_;
  std::set<std::string> used_;
};

// RoPE of one attention type: base, linear scaling factor.
struct Rope {
  double base = 10000.0;
  double factor = 1.0;
  double fraction = 1.0; // Gemma 4 "proportional": rotated share of pairs
};

// One `rope_parameters` / `rope_scaling` dictionary.
absl::StatusOr<Rope> ParseRope(const json &dict, Rope rope,
                               const Fields &context, const std::string &what) {
  if (!dict.is_object())
    return context.Error(fmt::format("'{}' must be an object", what));
  Fields f(dict, what);
  std::string type;
  GEMMA_ASSIGN(type, f.String("rope_type", ""));
  if (type.empty())
    GEMMA_ASSIGN(type, f.String("type", "default"));
  GEMMA_ASSIGN(rope.base, f.Number("rope_theta", rope.base));
  if (type == "linear") {
    GEMMA_ASSIGN(rope.factor, f.Number("factor"));
  } else if (type == "proportional") {
    GEMMA_ASSIGN(rope.fraction, f.Number("partial_rotary_factor", 1.0));
    GEMMA_ASSIGN(rope.factor, f.Number("factor", 1.0));
  } else if (type != "default") {
    return context.Error(
        fmt::format("{}: RoPE type '{}' is not supported (default, linear, "
                    "proportional)",
                    what, type));
  }
  GEMMA_ASSIGN(rope.fraction, f.Number("partial_rotary_factor", rope.fraction));
  if (absl::Status s = f.CheckAllRead(); !s.ok())
    return context.Error(std::string(s.message()));
  return rope;
}

absl::StatusOr<std::vector<int32_t>> EosIds(Fields &f) {
  const json *eos = f.Get("eos_token_id");
  if (!eos)
    return std::vector<int32_t>{1};
  std::vector<int32_t> ids;
  for (const json &id : eos->is_array() ? *eos : json::array({*eos})) {
    if (!id.is_number_unsigned())
      return f.Error("'eos_token_id' must be an id or a list of ids");
    ids.push_back(int32_t(id.get<uint64_t>()));
  }
  return ids;
}

// The Gemma 1-3 text config (the fields those generations share, then each
// one's own).
absl::StatusOr<ModelSpec> TextSpec(Fields &f, Generation generation) {
  ModelSpec spec;
  spec.generation = generation;
  uint64_t dim = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ff = 0,
           vocab = 0, context = 0, bos = 2;
  GEMMA_ASSIGN(dim, f.Uint("hidden_size"));
  GEMMA_ASSIGN(layers, f.Uint("num_hidden_layers"));
  GEMMA_ASSIGN(heads, f.Uint("num_attention_heads"));
  GEMMA_ASSIGN(kv_heads, f.Uint("num_key_value_heads", heads));
  GEMMA_ASSIGN(head_dim, f.Uint("head_dim", heads ? dim / heads : 0));
  GEMMA_ASSIGN(ff, f.Uint("intermediate_size"));
  GEMMA_ASSIGN(vocab, f.Uint("vocab_size"));
  GEMMA_ASSIGN(context, f.Uint("max_position_embeddings"));
  GEMMA_ASSIGN(bos, f.Uint("bos_token_id", 2));
  GEMMA_ASSIGN(spec.eos_ids, EosIds(f));
  double epsilon = 1e-6;
  GEMMA_ASSIGN(epsilon, f.Number("rms_norm_eps", 1e-6));
  if (dim == 0 || layers == 0 || heads == 0 || kv_heads == 0 || head_dim == 0 ||
      ff == 0 || vocab == 0 || dim > 65536 || layers > 1024 || heads > 1024 ||
      head_dim > 4096 || ff > (1u << 20) || vocab > (1u << 24) ||
      context > (1u << 24))
    return f.Error(fmt::format("impossible sizes: hidden {}, {} layers, "
                               "{}/{} heads of {}, intermediate {}, vocab {}, "
                               "context {}",
                               dim, layers, heads, kv_heads, head_dim, ff,
                               vocab, context));
  // Gemma's MLP is GeGLU with tanh-approximated GELU whatever the older
  // `hidden_act` says (transformers forces it for Gemma 1).
  std::string act;
  GEMMA_ASSIGN(act, f.String("hidden_activation", "gelu_pytorch_tanh"));
  if (act != "gelu_pytorch_tanh")
    return f.Error(fmt::format("hidden_activation '{}' is not supported "
                               "(gelu_pytorch_tanh)",
                               act));
  GEMMA_ASSIGN(act, f.String("hidden_act", "gelu_pytorch_tanh"));
  if (act != "gelu_pytorch_tanh" && act != "gelu")
    return f.Error(fmt::format("hidden_act '{}' is not supported", act));
  bool flag = false;
  GEMMA_ASSIGN(flag, f.Bool("attention_bias", false));
  if (flag)
    return f.Error("attention_bias true is not supported (Gemma has none)");
  GEMMA_ASSIGN(flag, f.Bool("tie_word_embeddings", true));
  if (!flag)
    return f.Error("tie_word_embeddings false is not supported (Gemma ties "
                   "the output projection to the embedding)");
  GEMMA_ASSIGN(flag, f.Bool("use_bidirectional_attention", false));
  if (flag)
    return f.Error("use_bidirectional_attention true is not supported");

  spec.model_dim = uint32_t(dim);
  spec.vocab_size = uint32_t(vocab);
  spec.max_context = uint32_t(context);
  spec.bos_id = int32_t(bos);
  spec.norm_epsilon = float(epsilon);
  spec.norm_scale = NormScale::kPlusOne;
  // transformers multiplies by hidden_size ** 0.5 in the model's dtype
  // (float32 here), not bf16-rounded as JAX does.
  spec.embed_scale = std::sqrt(float(dim));
  LayerSpec layer;
  layer.heads = uint32_t(heads);
  layer.kv_heads = uint32_t(kv_heads);
  layer.head_dim = uint32_t(head_dim);
  layer.ff_hidden = uint32_t(ff);
  layer.query_scale = float(1.0 / std::sqrt(double(head_dim)));
  spec.layers.assign(size_t(layers), layer);
  return spec;
}

// Which layers slide: `layer_types`, else the generation's pattern.
absl::StatusOr<std::vector<bool>> SlidingLayers(Fields &f, size_t layers,
                                                uint64_t default_period) {
  std::vector<bool> sliding(layers, false);
  if (const json *types = f.Get("layer_types")) {
    if (!types->is_array() || types->size() != layers)
      return f.Error(fmt::format("'layer_types' must list {} layers", layers));
    for (size_t i = 0; i < layers; ++i) {
      const json &t = (*types)[i];
      if (t == "sliding_attention")
        sliding[i] = true;
      else if (t != "full_attention")
        return f.Error(fmt::format("layer {}: type {} is not supported "
                                   "(sliding_attention, full_attention)",
                                   i, t.dump()));
    }
    f.Harmless({"sliding_window_pattern", "_sliding_window_pattern"});
    return sliding;
  }
  uint64_t period = default_period;
  GEMMA_ASSIGN(period, f.Uint("sliding_window_pattern", default_period));
  // transformers 5 writes the same number under a private name.
  GEMMA_ASSIGN(period, f.Uint("_sliding_window_pattern", period));
  if (period == 0)
    return f.Error("'sliding_window_pattern' is 0");
  // transformers: layer i is global iff (i + 1) % period == 0.
  for (size_t i = 0; i < layers; ++i)
    sliding[i] = (i + 1) % period != 0;
  return sliding;
}

// RoPE per layer type from `rope_parameters` (Gemma 4 always has it).
absl::StatusOr<std::pair<Rope, Rope>> RopePerType(Fields &f, Rope global,
                                                  Rope local) {
  const json *params = f.Get("rope_parameters");
  if (!params)
    return std::pair{global, local};
  if (!params->is_object())
    return f.Error("'rope_parameters' must be an object");
  for (const auto &[key, value] : params->items()) {
    if (key == "full_attention") {
      GEMMA_ASSIGN(global, ParseRope(value, global, f,
                                     "rope_parameters.full_attention"));
    } else if (key == "sliding_attention") {
      GEMMA_ASSIGN(local, ParseRope(value, local, f,
                                    "rope_parameters.sliding_attention"));
    } else {
      return f.Error(fmt::format("rope_parameters.{} is not a layer type "
                                 "this importer knows",
                                 key));
    }
  }
  return std::pair{global, local};
}

absl::StatusOr<ModelSpec> Gemma123(Fields &f, Generation generation) {
  ModelSpec spec;
  GEMMA_ASSIGN(spec, TextSpec(f, generation));
  const size_t layers = spec.layers.size();
  // RoPE: `rope_parameters` (per layer type, or one for all), else the
  // older rope_theta / rope_local_base_freq / rope_scaling.
  Rope global, local;
  if (f.Has("rope_parameters")) {
    f.Harmless({"rope_theta", "rope_local_base_freq", "rope_scaling"});
    const json &params = *f.Get("rope_parameters");
    if (params.is_object() && (params.contains("full_attention") ||
                               params.contains("sliding_attention"))) {
      // Each entry stands alone: a sliding entry inherits no scaling.
      std::pair<Rope, Rope> ropes;
      GEMMA_ASSIGN(ropes, RopePerType(f, Rope{}, Rope{}));
      std::tie(global, local) = ropes;
      if (!params.contains("sliding_attention"))
        local = global;
    } else {
      GEMMA_ASSIGN(global, ParseRope(params, global, f, "rope_parameters"));
      local = global;
    }
  } else {
    const double default_base =
        generation == Generation::kGemma3 ? 1000000.0 : 10000.0;
    GEMMA_ASSIGN(global.base, f.Number("rope_theta", default_base));
    GEMMA_ASSIGN(
        local.base,
        f.Number("rope_local_base_freq",
                 generation == Generation::kGemma3 ? 10000.0 : global.base));
    if (const json *scaling = f.Get("rope_scaling"))
      GEMMA_ASSIGN(global, ParseRope(*scaling, global, f, "rope_scaling"));
  }
  if (local.factor != 1.0 || local.fraction != 1.0 || global.fraction != 1.0)
    return f.Error("RoPE scaling of sliding layers, or partial rotation, is "
                   "not a Gemma 1-3 configuration");
  for (LayerSpec &l : spec.layers) {
    l.rope.base = global.base;
    l.rope.linear_scale = global.factor;
  }
  if (generation == Generation::kGemma1) {
    f.Harmless({"sliding_window", "layer_types"});
    return spec;
  }

  uint64_t window = 4096;
  GEMMA_ASSIGN(window, f.Uint("sliding_window", 4096));
  double scalar = 0;
  GEMMA_ASSIGN(scalar,
               f.Number("query_pre_attn_scalar",
                        generation == Generation::kGemma2 ? 224.0 : 256.0));
  if (!(scalar > 0))
    return f.Error("'query_pre_attn_scalar' must be positive");
  double attn_cap = 0, final_cap = 0;
  const bool g2 = generation == Generation::kGemma2;
  GEMMA_ASSIGN(attn_cap, f.Number("attn_logit_softcapping", g2 ? 50.0 : 0.0));
  GEMMA_ASSIGN(final_cap, f.Number("final_logit_softcapping", g2 ? 30.0 : 0.0));
  spec.attn_softcap = float(attn_cap);
  spec.final_softcap = float(final_cap);
  std::vector<bool> sliding;
  GEMMA_ASSIGN(sliding, SlidingLayers(f, layers, g2 ? 2 : 6));
  for (size_t i = 0; i < layers; ++i) {
    LayerSpec &l = spec.layers[i];
    l.post_norms = true;
    l.qk_norm = generation == Generation::kGemma3;
    l.query_scale = float(1.0 / std::sqrt(scalar));
    l.window = sliding[i] ? uint32_t(window) : 0;
    if (sliding[i]) {
      l.rope.base = local.base;
      l.rope.linear_scale = 1.0;
    }
  }
  return spec;
}

// Gemma 4 text: plain-weight norms, layer scalars, QK and value norms, a
// query scale of 1, and per-layer geometry for the global layers
// (`per_layer_config`: their own head_dim and, with K=V, KV head count).
absl::StatusOr<ModelSpec> Gemma4(Fields &f) {
  ModelSpec spec;
  GEMMA_ASSIGN(spec, TextSpec(f, Generation::kGemma4));
  const size_t layers = spec.layers.size();
  uint64_t ple = 0, shared = 0;
  GEMMA_ASSIGN(ple, f.Uint("hidden_size_per_layer_input", 0));
  uint64_t ple_vocab = spec.vocab_size;
  GEMMA_ASSIGN(ple_vocab, f.Uint("vocab_size_per_layer_input", ple_vocab));
  if (ple > 4096)
    return f.Error(fmt::format("hidden_size_per_layer_input {} is not a "
                               "plausible width",
                               ple));
  // A smaller per-layer vocabulary would need ids past it handled apart.
  if (ple != 0 && ple_vocab != spec.vocab_size)
    return f.Error(fmt::format("vocab_size_per_layer_input {} differs from "
                               "vocab_size {}: not supported",
                               ple_vocab, spec.vocab_size));
  spec.ple_dim = uint32_t(ple);
  GEMMA_ASSIGN(shared, f.Uint("num_kv_shared_layers", 0));
  if (shared >= layers)
    return f.Error(fmt::format("num_kv_shared_layers {} leaves no layer to "
                               "compute a cache",
                               shared));
  bool moe = false, k_eq_v = false, double_wide = false;
  GEMMA_ASSIGN(double_wide, f.Bool("use_double_wide_mlp", false));
  GEMMA_ASSIGN(moe, f.Bool("enable_moe_block", false));
  uint64_t experts = 0, top_k = 0, expert_ff = 0;
  if (moe) {
    GEMMA_ASSIGN(experts, f.Uint("num_experts"));
    GEMMA_ASSIGN(top_k, f.Uint("top_k_experts"));
    GEMMA_ASSIGN(expert_ff, f.Uint("moe_intermediate_size"));
    if (experts == 0 || experts > 4096 || top_k == 0 || top_k > experts ||
        expert_ff == 0 || expert_ff > (1u << 20))
      return f.Error(fmt::format("impossible mixture of experts: {} experts, "
                                 "top {}, width {}",
                                 experts, top_k, expert_ff));
  } else {
    for (const char *key :
         {"num_experts", "top_k_experts", "moe_intermediate_size"})
      if (f.Get(key))
        return f.Error(
            fmt::format("'{}' is set but enable_moe_block is not", key));
  }
  GEMMA_ASSIGN(k_eq_v, f.Bool("attention_k_eq_v", false));
  double final_cap = 0;
  GEMMA_ASSIGN(final_cap, f.Number("final_logit_softcapping", 0.0));
  spec.final_softcap = float(final_cap);
  uint64_t window = 512;
  GEMMA_ASSIGN(window, f.Uint("sliding_window", 512));
  std::vector<bool> sliding;
  GEMMA_ASSIGN(sliding, SlidingLayers(f, layers, 6));
  Rope global{.base = 1000000.0}, local{.base = 10000.0};
  std::pair<Rope, Rope> ropes;
  GEMMA_ASSIGN(ropes, RopePerType(f, global, local));
  std::tie(global, local) = ropes;
  if (local.factor != 1.0 || global.factor != 1.0)
    return f.Error("RoPE linear scaling is not a Gemma 4 configuration");

  spec.norm_scale = NormScale::kPlain;
  spec.layer_scalar = true;
  for (size_t i = 0; i < layers; ++i) {
    LayerSpec &l = spec.layers[i];
    l.post_norms = true;
    l.qk_norm = true;
    l.value_norm = true;
    l.query_scale = 1.0f;
    l.window = sliding[i] ? uint32_t(window) : 0;
    const Rope &rope = sliding[i] ? local : global;
    l.rope.base = rope.base;
    l.rope.fraction = rope.fraction;
    l.k_eq_v = k_eq_v && !sliding[i];
    // Every layer of a MoE model has the routed branch beside its MLP.
    l.num_experts = uint32_t(experts);
    l.experts_per_token = uint32_t(top_k);
    l.expert_ff_hidden = uint32_t(expert_ff);
  }
  // KV sharing (transformers' kv_sharing_modes): the last `shared` layers
  // read the cache of the last earlier non-shared layer of their type, and
  // with use_double_wide_mlp have twice the MLP width.
  const size_t first_shared = layers - size_t(shared);
  for (size_t i = first_shared; i < layers; ++i) {
    int32_t source = -1;
    for (size_t j = 0; j < first_shared; ++j)
      if (sliding[j] == sliding[i])
        source = int32_t(j);
    if (source < 0)
      return f.Error(fmt::format("layer {} shares the cache of an earlier "
                                 "{} layer, and there is none",
                                 i, sliding[i] ? "sliding" : "full"));
    spec.layers[i].kv_source_layer = source;
    if (double_wide)
      spec.layers[i].ff_hidden *= 2;
  }
  if (const json *per_layer = f.Get("per_layer_config")) {
    if (!per_layer->is_object())
      return f.Error("'per_layer_config' must be an object");
    for (const auto &[key, value] : per_layer->items()) {
      size_t index = layers;
      try {
        index = std::stoul(key);
      } catch (...) {
      }
      if (index >= layers || !value.is_object())
        return f.Error(fmt::format("per_layer_config: '{}' is not a layer "
                                   "of {}",
                                   key, layers));
      Fields layer(value, fmt::format("per_layer_config.{}", key));
      LayerSpec &l = spec.layers[index];
      uint64_t head_dim = 0, kv_heads = 0;
      GEMMA_ASSIGN(head_dim, layer.Uint("head_dim", l.head_dim));
      GEMMA_ASSIGN(kv_heads, layer.Uint("num_key_value_heads", l.kv_heads));
      if (head_dim == 0 || head_dim > 4096 || kv_heads == 0 ||
          kv_heads > l.heads)
        return f.Error(fmt::format("per_layer_config.{}: impossible head_dim "
                                   "{} or num_key_value_heads {}",
                                   key, head_dim, kv_heads));
      l.head_dim = uint32_t(head_dim);
      l.kv_heads = uint32_t(kv_heads);
      if (absl::Status s = layer.CheckAllRead(); !s.ok())
        return f.Error(std::string(s.message()));
    }
  }
  return spec;
}

} // namespace

absl::StatusOr<ModelSpec> ParseHfConfig(std::string_view text,
                                        const std::string &name) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception &e) {
    // A parse error, or a number no double holds (out_of_range, found by
    // safetensors-fuzz-smoke: "1e999" crashed the importer).
    // The parser's own words (where and what), without its error-code tag.
    std::string what = e.what();
    if (const size_t tag = what.find("] "); tag != std::string::npos)
      what = what.substr(tag + 2);
    return absl::InvalidArgumentError(
        fmt::format("{}: not valid JSON: {}", name, what));
  }
  if (!root.is_object())
    return absl::InvalidArgumentError(fmt::format(
        "{}: is a JSON {}, expected an object of the model's fields", name,
        root.type_name()));
  try {
    Fields top(root, name);
    std::string type;
    GEMMA_ASSIGN(type, top.String("model_type", ""));
    // Multimodal checkpoints: the text model is `text_config`; the vision
    // tower and its projector are not run.
    const bool multimodal = type == "gemma3" || type == "gemma4";
    const bool gemma4 = type == "gemma4" || type == "gemma4_text";
    Generation generation;
    if (type == "gemma")
      generation = Generation::kGemma1;
    else if (type == "gemma2")
      generation = Generation::kGemma2;
    else if (type == "gemma3" || type == "gemma3_text")
      generation = Generation::kGemma3;
    else if (gemma4)
      generation = Generation::kGemma4;
    else if (type == "gemma3n" || type == "gemma3n_text")
      return top.Error("model_type 'gemma3n' is not supported (Gemma 3n's "
                       "AltUp and Laurel blocks are not in the builder)");
    else
      return top.Error(fmt::format("model_type '{}' is not a Gemma text "
                                   "model (gemma, gemma2, gemma3, "
                                   "gemma3_text, gemma4, gemma4_text)",
                                   type));
    const json *text_config = &root;
    std::string where = name;
    if (multimodal) {
      text_config = top.Get("text_config");
      if (!text_config || !text_config->is_object())
        return top.Error("a multimodal config needs a 'text_config' object");
      top.Harmless({"vision_config", "boi_token_index", "eoi_token_index",
                    "image_token_index", "mm_tokens_per_image",
                    "vision_soft_tokens_per_image", "audio_config",
                    "audio_token_id", "image_token_id", "boi_token_id",
                    "eoi_token_id", "boa_token_id", "eoa_token_id",
                    "bos_token_id", "eos_token_id", "tie_word_embeddings",
                    "vocab_size", "initializer_range"});
      if (absl::Status s = top.CheckAllRead(); !s.ok())
        return s;
      where = name + ": text_config";
    }
    Fields text(*text_config, where);
    Fields &f = multimodal ? text : top;
    f.Harmless({"model_type"});
    ModelSpec spec;
    if (gemma4) {
      GEMMA_ASSIGN(spec, Gemma4(f));
    } else {
      GEMMA_ASSIGN(spec, Gemma123(f, generation));
    }
    if (multimodal && top.Has("eos_token_id") && !f.Has("eos_token_id"))
      GEMMA_ASSIGN(spec.eos_ids, EosIds(top));
    if (absl::Status s = f.CheckAllRead(); !s.ok())
      return s;
    if (absl::Status s = ValidateModelSpec(spec); !s.ok())
      return absl::InvalidArgumentError(
          fmt::format("{}: {}", name, std::string(s.message())));
    return spec;
  } catch (const json::exception &e) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", name, e.what()));
  }
}

} // namespace gemma::hf
