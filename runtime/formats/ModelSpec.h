//===- ModelSpec.h - Our description of a Gemma text decoder ---*- C++ -*-===//
//
// Every number and switch of docs/gemma-math.md for Gemma 1-4 text decoders,
// per model and per layer. Importers (gemma.cpp .sbs, GGUF, Hugging Face) fill
// it; the builder reads only this, so a new generation needs a new spec, not
// new code.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_MODELSPEC_H
#define RUNTIME_FORMATS_MODELSPEC_H

#include "runtime/formats/Generation.h"

#include "absl/status/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

// How an RMSNorm applies its stored weight w (docs/gemma-math.md 2.2).
enum class NormScale : uint32_t {
  kPlusOne = 0, // x * r * (1 + w): Gemma 1, 2, 3
  kPlain = 1,   // x * r * w: Gemma 3n, 4
};

// Prompt wrapping of the chat template (docs/gemma-math.md 5.2, 5.3).
enum class ChatFormat : uint32_t {
  kNone = 0,   // pretrained: BOS + text
  kGemma = 1,  // <start_of_turn>user ... <end_of_turn> (Gemma 1-3)
  kGemma4 = 2, // <|turn>user ... <turn|> (Gemma 4)
};

struct RopeSpec {
  double base = 10000.0;
  // Linear scaling: angles are divided by this (8 on Gemma 3 4B+ globals).
  double linear_scale = 1.0;
  // Fraction of the head dimension's pairs that rotate, with the full head
  // dimension as the frequency denominator (Gemma 4 "proportional" RoPE).
  double fraction = 1.0;
};

struct LayerSpec {
  // 0 for global (causal) attention, else the sliding window W: exactly W
  // keys including the query itself.
  uint32_t window = 0;
  uint32_t heads = 0;
  uint32_t kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t ff_hidden = 0;
  RopeSpec rope;
  // Multiplier of q before the dot products (1/sqrt(query_pre_attn_scalar);
  // 1 for Gemma 4).
  float query_scale = 1.0f;
  bool post_norms = false; // sandwich norms (Gemma 2+)
  bool qk_norm = false;    // per-head RMSNorm of q and k (Gemma 3+)
  bool value_norm = false; // weightless RMSNorm of v (Gemma 3n/4)
  // The raw key projection is also the value (Gemma 4 large global layers).
  bool k_eq_v = false;
  // -1: the layer computes its own K/V; else the layer whose cache it reads
  // (Gemma 4 KV sharing).
  int32_t kv_source_layer = -1;
  // Mixture of experts (Gemma 4 26B-A4B); 0 experts for a dense layer.
  uint32_t num_experts = 0;
  uint32_t experts_per_token = 0;
  uint32_t expert_ff_hidden = 0;

  bool is_global() const { return window == 0; }
};

struct ModelSpec {
  std::string name; // e.g. "gemma3-270m"
  Generation generation = Generation::kGemma3;
  uint32_t model_dim = 0;
  // Rows of the embedding table (the tied output projection).
  uint32_t vocab_size = 0;
  uint32_t max_context = 0;
  std::vector<LayerSpec> layers;

  NormScale norm_scale = NormScale::kPlusOne;
  float norm_epsilon = 1e-6f;
  // sqrt(model_dim) rounded to bfloat16 (docs/gemma-math.md 2.1).
  float embed_scale = 0.0f;
  // Soft-caps; 0 means none.
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;
  // Gemma 4: a learned scalar multiplies the stream after each layer.
  bool layer_scalar = false;
  // Gemma 4 E models: per-layer embedding width; 0 for none.
  uint32_t ple_dim = 0;

  int32_t bos_id = 2;
  std::vector<int32_t> eos_ids;
  ChatFormat chat = ChatFormat::kGemma;

  uint32_t num_layers() const { return layers.size(); }
};

// bf16(sqrt(d)) as Gemma computes its embedding multiplier.
float EmbedScaleFor(uint32_t model_dim);

// A stable, human-readable description: one line of model facts, then one
// line per layer (what `gemma-sbs info` and `--print-config` show).
std::string FormatModelSpec(const ModelSpec &spec);

// Checks the invariants every consumer relies on (positive sizes, heads
// dividing, even head dims, windows, KV sources earlier and of the same
// geometry, ...). One line naming the layer and field on failure.
absl::Status ValidateModelSpec(const ModelSpec &spec);

} // namespace gemma

#endif // RUNTIME_FORMATS_MODELSPEC_H
