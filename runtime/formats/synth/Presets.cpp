//===- Presets.cpp - Model shapes of released and tiny Gemmas -------------===//
//
// Numbers from docs/gemma-math.md section 1 (tables 1.1-1.4) and section 3.2.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/synth/Presets.h"

#include <cmath>
#include <functional>

namespace gemma {
namespace {

struct Dense {
  uint32_t dim, layers, heads, kv_heads, head_dim, ff, vocab, context;
};

ModelSpec Base(std::string name, Generation generation, const Dense &d) {
  ModelSpec spec;
  spec.name = std::move(name);
  spec.generation = generation;
  spec.model_dim = d.dim;
  spec.vocab_size = d.vocab;
  spec.max_context = d.context;
  spec.embed_scale = EmbedScaleFor(d.dim);
  LayerSpec layer;
  layer.heads = d.heads;
  layer.kv_heads = d.kv_heads;
  layer.head_dim = d.head_dim;
  layer.ff_hidden = d.ff;
  layer.query_scale = 1.0f / std::sqrt(static_cast<float>(d.head_dim));
  spec.layers.assign(d.layers, layer);
  return spec;
}

// Gemma 1: pre-norms only, every layer global, RoPE 1e4
// (docs/gemma-math.md 1.1).
ModelSpec Gemma1(std::string name, const Dense &d) {
  ModelSpec spec = Base(std::move(name), Generation::kGemma1, d);
  spec.eos_ids = {1, 107};
  return spec;
}

// Gemma 2: sandwich norms, local/global alternating (layer 0 local), soft-caps
// 50/30, `query_pre_attn_scalar` (docs/gemma-math.md 1.2).
ModelSpec Gemma2(std::string name, const Dense &d, uint32_t window,
                 float query_pre_attn_scalar) {
  ModelSpec spec = Base(std::move(name), Generation::kGemma2, d);
  spec.attn_softcap = 50.0f;
  spec.final_softcap = 30.0f;
  spec.eos_ids = {1, 107};
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    LayerSpec &layer = spec.layers[i];
    layer.window = (i + 1) % 2 != 0 ? window : 0;
    layer.post_norms = true;
    layer.query_scale = 1.0f / std::sqrt(query_pre_attn_scalar);
  }
  return spec;
}

// Gemma 3: QK-norm, 5 local : 1 global, local base 1e4, global base 1e6 with
// an optional linear scaling (docs/gemma-math.md 1.3, 3.2).
ModelSpec Gemma3(std::string name, const Dense &d, uint32_t window,
                 float query_pre_attn_scalar, double global_linear_scale) {
  ModelSpec spec = Base(std::move(name), Generation::kGemma3, d);
  spec.eos_ids = {1, 106};
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    LayerSpec &layer = spec.layers[i];
    bool global = (i + 1) % 6 == 0;
    layer.window = global ? 0 : window;
    layer.post_norms = true;
    layer.qk_norm = true;
    layer.query_scale = 1.0f / std::sqrt(query_pre_attn_scalar);
    if (global)
      layer.rope = {1e6, global_linear_scale, 1.0};
  }
  return spec;
}

struct Gemma4Shape {
  uint32_t dim, layers, heads;
  uint32_t local_kv_heads, global_kv_heads;
  uint32_t ff, vocab, context, window;
  uint32_t global_period; // a layer i is global iff i % period == period - 1
  bool k_eq_v;
  uint32_t ple_dim;
  uint32_t kv_shared_layers;
  uint32_t shared_ff; // ff of KV-shared layers (E2B's double-wide MLP), or 0
  uint32_t experts, experts_per_token, expert_ff;
};

// Gemma 4 (docs/gemma-math.md 1.4 and 4): two attention geometries (256-wide
// sliding, 512-wide global with proportional RoPE 0.25), plain-weight norms,
// value norm, query scale 1, layer scalar, final soft-cap 30.
ModelSpec Gemma4(std::string name, const Gemma4Shape &s) {
  ModelSpec spec = Base(std::move(name), Generation::kGemma4,
                        {s.dim, s.layers, s.heads, s.local_kv_heads, 256, s.ff,
                         s.vocab, s.context});
  spec.norm_scale = NormScale::kPlain;
  spec.final_softcap = 30.0f;
  spec.layer_scalar = true;
  spec.ple_dim = s.ple_dim;
  spec.eos_ids = {1, 106};
  spec.chat = ChatFormat::kGemma4;
  uint32_t first_shared = s.layers - s.kv_shared_layers;
  for (uint32_t i = 0; i < s.layers; ++i) {
    LayerSpec &layer = spec.layers[i];
    bool global = i % s.global_period == s.global_period - 1;
    layer.window = global ? 0 : s.window;
    layer.post_norms = true;
    layer.qk_norm = true;
    layer.value_norm = true;
    layer.query_scale = 1.0f;
    if (global) {
      layer.kv_heads = s.global_kv_heads;
      layer.head_dim = 512;
      layer.rope = {1e6, 1.0, 0.25};
      layer.k_eq_v = s.k_eq_v;
    }
    layer.num_experts = s.experts;
    layer.experts_per_token = s.experts_per_token;
    layer.expert_ff_hidden = s.expert_ff;
    if (i >= first_shared) {
      // The last earlier layer of the same attention type
      // (docs/gemma-math.md 4.5).
      for (int32_t j = static_cast<int32_t>(first_shared) - 1; j >= 0; --j)
        if ((static_cast<uint32_t>(j) % s.global_period ==
             s.global_period - 1) == global) {
          layer.kv_source_layer = j;
          break;
        }
      if (s.shared_ff != 0)
        layer.ff_hidden = s.shared_ff;
    }
  }
  return spec;
}

// A tiny preset's width: big enough for GQA and a 2-pair proportional RoPE,
// small enough that a test runs whole models in milliseconds.
constexpr uint32_t kTinyVocab = 2048;
constexpr uint32_t kTinyContext = 256;
constexpr uint32_t kTinyWindow = 8;

struct Preset {
  const char *name;
  std::function<ModelSpec()> make;
};

const std::vector<Preset> &Presets() {
  static const std::vector<Preset> presets = {
      {"gemma1-2b",
       [] {
         return Gemma1("gemma1-2b", {2048, 18, 8, 1, 256, 16384, 256000, 8192});
       }},
      {"gemma1-7b",
       [] {
         return Gemma1("gemma1-7b",
                       {3072, 28, 16, 16, 256, 24576, 256000, 8192});
       }},
      {"gemma2-2b",
       [] {
         return Gemma2("gemma2-2b", {2304, 26, 8, 4, 256, 9216, 256000, 8192},
                       4096, 256);
       }},
      {"gemma2-9b",
       [] {
         return Gemma2("gemma2-9b", {3584, 42, 16, 8, 256, 14336, 256000, 8192},
                       4096, 256);
       }},
      {"gemma2-27b",
       [] {
         return Gemma2("gemma2-27b",
                       {4608, 46, 32, 16, 128, 36864, 256000, 8192}, 4096, 144);
       }},
      {"gemma3-270m",
       [] {
         return Gemma3("gemma3-270m", {640, 18, 4, 1, 256, 2048, 262144, 32768},
                       512, 256, 1.0);
       }},
      {"gemma3-1b",
       [] {
         return Gemma3("gemma3-1b", {1152, 26, 4, 1, 256, 6912, 262144, 32768},
                       512, 256, 1.0);
       }},
      {"gemma3-4b",
       [] {
         return Gemma3("gemma3-4b",
                       {2560, 34, 8, 4, 256, 10240, 262144, 131072}, 1024, 256,
                       8.0);
       }},
      {"gemma3-12b",
       [] {
         return Gemma3("gemma3-12b",
                       {3840, 48, 16, 8, 256, 15360, 262144, 131072}, 1024, 256,
                       8.0);
       }},
      {"gemma3-27b",
       [] {
         return Gemma3("gemma3-27b",
                       {5376, 62, 32, 16, 128, 21504, 262144, 131072}, 1024,
                       168, 8.0);
       }},
      {"gemma4-e2b",
       [] {
         return Gemma4("gemma4-e2b", {1536, 35, 8, 1, 1, 6144, 262144, 131072,
                                      512, 5, false, 256, 20, 12288, 0, 0, 0});
       }},
      {"gemma4-e4b",
       [] {
         return Gemma4("gemma4-e4b", {2560, 42, 8, 2, 2, 10240, 262144, 131072,
                                      512, 6, false, 256, 18, 0, 0, 0, 0});
       }},
      {"gemma4-26b-a4b",
       [] {
         return Gemma4("gemma4-26b-a4b",
                       {2816, 30, 16, 8, 2, 2112, 262144, 262144, 1024, 6, true,
                        0, 0, 0, 128, 8, 704});
       }},
      {"gemma4-31b",
       [] {
         return Gemma4("gemma4-31b", {5376, 60, 32, 16, 4, 21504, 262144,
                                      262144, 1024, 6, true, 0, 0, 0, 0, 0, 0});
       }},
      {"tiny-gemma1",
       [] {
         return Gemma1("tiny-gemma1",
                       {64, 4, 4, 1, 16, 128, kTinyVocab, kTinyContext});
       }},
      {"tiny-gemma2",
       [] {
         return Gemma2("tiny-gemma2",
                       {64, 4, 4, 2, 16, 128, kTinyVocab, kTinyContext},
                       kTinyWindow, 16);
       }},
      {"tiny-gemma3",
       [] {
         return Gemma3("tiny-gemma3",
                       {64, 6, 4, 2, 16, 128, kTinyVocab, kTinyContext},
                       kTinyWindow, 16, 8.0);
       }},
      {"tiny-gemma4",
       [] {
         ModelSpec spec = Gemma4("tiny-gemma4",
                                 {64, 6, 4, 2, 1, 128, kTinyVocab, kTinyContext,
                                  kTinyWindow, 6, true, 0, 0, 0, 0, 0, 0});
         // Two geometries at tiny scale: 16-wide sliding, 32-wide global
         // heads (4 rotated pairs of 16 at fraction 0.25).
         for (LayerSpec &layer : spec.layers)
           layer.head_dim = layer.is_global() ? 32 : 16;
         return spec;
       }},
  };
  return presets;
}

} // namespace

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const Preset &preset : Presets())
    names.emplace_back(preset.name);
  return names;
}

std::optional<ModelSpec> PresetSpec(std::string_view name) {
  for (const Preset &preset : Presets())
    if (name == preset.name)
      return preset.make();
  return std::nullopt;
}

} // namespace gemma
