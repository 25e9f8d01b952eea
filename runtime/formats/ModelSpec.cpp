//===- ModelSpec.cpp - Our description of a Gemma text decoder ------------===//

#include "runtime/formats/ModelSpec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>

namespace gemma {

float EmbedScaleFor(uint32_t model_dim) {
  // Round to nearest even on the upper 16 bits, as a bf16 conversion does.
  float value = std::sqrt(static_cast<float>(model_dim));
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&value, &bits, sizeof(bits));
  return value;
}

std::string FormatModelSpec(const ModelSpec &spec) {
  std::string out = fmt::format(
      "{}: {}, d={} vocab={} context={} layers={} norm={} epsilon={} "
      "embed_scale={} attn_softcap={} final_softcap={} layer_scalar={} "
      "ple_dim={} bos={} eos=[{}] chat={}\n",
      spec.name, GenerationName(spec.generation), spec.model_dim,
      spec.vocab_size, spec.max_context, spec.num_layers(),
      spec.norm_scale == NormScale::kPlain ? "w" : "1+w", spec.norm_epsilon,
      spec.embed_scale, spec.attn_softcap, spec.final_softcap,
      spec.layer_scalar ? "yes" : "no", spec.ple_dim, spec.bos_id,
      fmt::join(spec.eos_ids, ","),
      spec.chat == ChatFormat::kNone    ? "none"
      : spec.chat == ChatFormat::kGemma ? "gemma"
                                        : "gemma4");
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec &l = spec.layers[i];
    out += fmt::format(
        "  layer {}: {} heads={}/{}x{} ff={} rope(base={} scale={} "
        "fraction={}) query_scale={:.6g}{}{}{}{}",
        i,
        l.is_global() ? std::string("global")
                      : fmt::format("sliding(W={})", l.window),
        l.heads, l.kv_heads, l.head_dim, l.ff_hidden, l.rope.base,
        l.rope.linear_scale, l.rope.fraction, l.query_scale,
        l.post_norms ? " post-norms" : "", l.qk_norm ? " qk-norm" : "",
        l.value_norm ? " value-norm" : "", l.k_eq_v ? " k=v" : "");
    if (l.kv_source_layer >= 0)
      out += fmt::format(" kv-from={}", l.kv_source_layer);
    if (l.num_experts)
      out += fmt::format(" moe={}x{}/top{}", l.num_experts, l.expert_ff_hidden,
                         l.experts_per_token);
    out += "\n";
  }
  return out;
}

namespace {

absl::Status LayerError(size_t layer, std::string_view message) {
  return absl::InvalidArgumentError(
      fmt::format("layer {}: {}", layer, message));
}

absl::Status ValidateLayer(const ModelSpec &spec, size_t i) {
  const LayerSpec &layer = spec.layers[i];
  if (layer.heads == 0 || layer.kv_heads == 0 || layer.head_dim == 0)
    return LayerError(i,
                      fmt::format("heads {}, kv_heads {} and head_dim {} "
                                  "must be positive",
                                  layer.heads, layer.kv_heads, layer.head_dim));
  if (layer.heads % layer.kv_heads != 0)
    return LayerError(i,
                      fmt::format("heads {} is not a multiple of kv_heads {}",
                                  layer.heads, layer.kv_heads));
  if (layer.head_dim % 2 != 0)
    return LayerError(i, fmt::format("head_dim {} must be even (RoPE pairs)",
                                     layer.head_dim));
  if (layer.ff_hidden == 0 && layer.num_experts == 0)
    return LayerError(i, "ff_hidden must be positive");
  if (!(layer.rope.base > 0) || !(layer.rope.linear_scale > 0) ||
      !(layer.rope.fraction > 0 && layer.rope.fraction <= 1))
    return LayerError(i, fmt::format("RoPE base {} and scale {} must be "
                                     "positive and fraction {} in (0, 1]",
                                     layer.rope.base, layer.rope.linear_scale,
                                     layer.rope.fraction));
  if (std::floor(layer.rope.fraction * layer.head_dim / 2) < 1)
    return LayerError(i, fmt::format("RoPE fraction {} of head_dim {} rotates "
                                     "no pair",
                                     layer.rope.fraction, layer.head_dim));
  if (!(layer.query_scale > 0) || !std::isfinite(layer.query_scale))
    return LayerError(i, fmt::format("query_scale {} must be finite and "
                                     "positive",
                                     layer.query_scale));
  if (layer.num_experts != 0 && (layer.experts_per_token == 0 ||
                                 layer.experts_per_token > layer.num_experts ||
                                 layer.expert_ff_hidden == 0))
    return LayerError(i, fmt::format("MoE with {} experts needs 1..{} experts "
                                     "per token (got {}) and an expert width",
                                     layer.num_experts, layer.num_experts,
                                     layer.experts_per_token));
  if (layer.kv_source_layer >= 0) {
    size_t source = static_cast<size_t>(layer.kv_source_layer);
    if (source >= i)
      return LayerError(i, fmt::format("shares the KV cache of layer {}, which "
                                       "is not an earlier layer",
                                       source));
    const LayerSpec &other = spec.layers[source];
    if (other.kv_source_layer >= 0 || other.kv_heads != layer.kv_heads ||
        other.head_dim != layer.head_dim ||
        other.is_global() != layer.is_global())
      return LayerError(i, fmt::format("shares the KV cache of layer {}, which "
                                       "has another geometry or shares itself",
                                       source));
  }
  return absl::OkStatus();
}

} // namespace

absl::Status ValidateModelSpec(const ModelSpec &spec) {
  if (spec.model_dim == 0 || spec.vocab_size == 0 || spec.max_context == 0)
    return absl::InvalidArgumentError(
        fmt::format("model_dim {}, vocab_size {} and max_context {} must be "
                    "positive",
                    spec.model_dim, spec.vocab_size, spec.max_context));
  if (spec.layers.empty())
    return absl::InvalidArgumentError("the model has no layers");
  if (!(spec.norm_epsilon > 0))
    return absl::InvalidArgumentError(
        fmt::format("norm_epsilon {} must be positive", spec.norm_epsilon));
  // JAX and gemma.cpp multiply by bf16(sqrt(d)); llama.cpp and Hugging
  // Face in f32 by sqrtf(d). Importers keep their format's convention.
  if (spec.embed_scale != EmbedScaleFor(spec.model_dim) &&
      spec.embed_scale != std::sqrt(float(spec.model_dim)))
    return absl::InvalidArgumentError(fmt::format(
        "embed_scale {} is neither bf16(sqrt({})) = {} nor sqrtf({})",
        spec.embed_scale, spec.model_dim, EmbedScaleFor(spec.model_dim),
        spec.model_dim));
  if (spec.attn_softcap < 0 || spec.final_softcap < 0)
    return absl::InvalidArgumentError("soft-caps must be 0 (none) or positive");
  if (spec.bos_id < 0 || static_cast<uint32_t>(spec.bos_id) >= spec.vocab_size)
    return absl::InvalidArgumentError(
        fmt::format("bos_id {} is outside the vocabulary of {}", spec.bos_id,
                    spec.vocab_size));
  for (int32_t eos : spec.eos_ids)
    if (eos < 0 || static_cast<uint32_t>(eos) >= spec.vocab_size)
      return absl::InvalidArgumentError(fmt::format(
          "eos id {} is outside the vocabulary of {}", eos, spec.vocab_size));
  for (size_t i = 0; i < spec.layers.size(); ++i)
    if (absl::Status status = ValidateLayer(spec, i); !status.ok())
      return status;
  return absl::OkStatus();
}

} // namespace gemma
