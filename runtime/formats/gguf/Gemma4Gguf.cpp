//===- Gemma4Gguf.cpp - llama.cpp's gemma4 GGUF files ---------------------===//

#include "runtime/formats/gguf/Gemma4Gguf.h"

#include "runtime/formats/AssignOr.h"
#include "runtime/formats/gguf/GgufModel.h"
#include "runtime/formats/synth/SentencePieceModel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <tuple>

namespace gemma {
namespace {

using gguf::GgufFile;
using gguf::Value;
using gguf::ValueType;

constexpr std::string_view kPrefix = "gemma4.";

absl::Status Fail(const std::string &source, std::string what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", source, what));
}

std::string Key(std::string_view name) {
  return std::string(kPrefix) + std::string(name);
}

// A hyperparameter llama.cpp writes either once or once per layer
// (feed_forward_length with a double-wide MLP, head_count_kv with K=V).
absl::StatusOr<std::vector<uint64_t>> PerLayer(const GgufFile &file,
                                               const std::string &key,
                                               uint64_t layers,
                                               std::optional<uint64_t> none) {
  const Value *v = file.Find(key);
  if (!v) {
    if (!none)
      return Fail(
          file.name(),
          fmt::format("metadata '{}' is required but not in the file", key));
    return std::vector<uint64_t>(layers, *none);
  }
  if (v->type != ValueType::kArray) {
    uint64_t value = 0;
    GEMMA_ASSIGN(value, file.GetUnsigned(key));
    return std::vector<uint64_t>(layers, value);
  }
  const Value *array = nullptr;
  GEMMA_ASSIGN(array, file.GetArray(key, ValueType::kU32, layers));
  std::vector<uint64_t> values(layers);
  for (uint64_t i = 0; i < layers; ++i) {
    const int64_t x = gguf::ArrayInt(*array, i);
    if (x < 0)
      return Fail(file.name(),
                  fmt::format("'{}' of layer {} is {}", key, i, x));
    values[i] = uint64_t(x);
  }
  return values;
}

// The global layers' share of rotated pairs from `rope_freqs.weight`:
// llama.cpp's converter writes Gemma 4's proportional RoPE as frequency
// factors over head_dim / 2 pairs, 1 for the pairs that rotate (the first
// ones) and 1e30 for the rest (angles divided to nothing).
absl::StatusOr<double> RotatedFraction(const GgufFile &file,
                                       uint64_t head_dim) {
  const gguf::Tensor *t = file.FindTensor("rope_freqs.weight");
  if (!t)
    return 1.0;
  const uint64_t pairs = head_dim / 2;
  if (t->ggml_type != 0 || t->ne.size() != 1 || t->ne[0] != pairs)
    return Fail(file.name(),
                fmt::format("tensor 'rope_freqs.weight' must be {} f32 "
                            "values (the global head dimension's pairs)",
                            pairs));
  uint64_t rotated = 0;
  for (uint64_t i = 0; i < pairs; ++i) {
    float factor = 0;
    std::memcpy(&factor, t->bytes.data() + 4 * i, 4);
    const bool rotates = factor == 1.0f, still = factor >= 1e29f;
    if (!(rotates && rotated == i) && !still)
      return Fail(file.name(),
                  fmt::format("tensor 'rope_freqs.weight': factor {} of pair "
                              "{} is not Gemma 4's proportional RoPE (1 for "
                              "the first pairs, 1e30 after)",
                              factor, i));
    rotated += rotates;
  }
  return double(rotated) / double(pairs);
}

// Head geometry, windows, RoPE and the layer flags every Gemma 4 layer has.
absl::Status SetLayers(const GgufFile &file, uint64_t layers, ModelSpec &spec) {
  uint64_t heads = 0, window = 0, head_global = 0, head_local = 0;
  GEMMA_ASSIGN(heads, file.GetUnsigned(Key("attention.head_count")));
  GEMMA_ASSIGN(window, file.GetUnsigned(Key("attention.sliding_window")));
  GEMMA_ASSIGN(head_global, file.GetUnsigned(Key("attention.key_length")));
  GEMMA_ASSIGN(head_local, file.GetUnsignedOr(Key("attention.key_length_swa"),
                                              head_global));
  std::vector<uint64_t> ff, kv_heads;
  GEMMA_ASSIGN(ff, PerLayer(file, Key("feed_forward_length"), layers, {}));
  GEMMA_ASSIGN(kv_heads,
               PerLayer(file, Key("attention.head_count_kv"), layers, heads));
  // Values equal keys in Gemma 4; RoPE covers the whole head (proportional
  // rotation comes from rope_freqs on global layers).
  for (const auto &[value, key, what] :
       {std::tuple{head_global, "attention.value_length",
                   "attention.key_length"},
        std::tuple{head_local, "attention.value_length_swa",
                   "attention.key_length_swa"},
        std::tuple{head_global, "rope.dimension_count", "attention.key_length"},
        std::tuple{head_local, "rope.dimension_count_swa",
                   "attention.key_length_swa"}}) {
    uint64_t got = 0;
    GEMMA_ASSIGN(got, file.GetUnsignedOr(Key(key), value));
    if (got != value)
      return Fail(file.name(),
                  fmt::format("'{}{}' is {}, '{}{}' {}: not supported (Gemma "
                              "4 has them equal)",
                              kPrefix, key, got, kPrefix, what, value));
  }
  const Value *pattern = nullptr;
  GEMMA_ASSIGN(pattern, file.GetArray(Key("attention.sliding_window_pattern"),
                                      ValueType::kBool, layers));
  double base_global = 0, base_local = 0, fraction = 1.0;
  GEMMA_ASSIGN(base_global, file.GetFloatOr(Key("rope.freq_base"), 1e6));
  GEMMA_ASSIGN(base_local, file.GetFloatOr(Key("rope.freq_base_swa"), 1e4));
  GEMMA_ASSIGN(fraction, RotatedFraction(file, head_global));
  double query_scale = 1.0;
  GEMMA_ASSIGN(query_scale, file.GetFloatOr(Key("attention.scale"), 1.0));
  spec.layers.resize(layers);
  for (uint64_t i = 0; i < layers; ++i) {
    LayerSpec &l = spec.layers[i];
    const bool sliding = gguf::ArrayInt(*pattern, i) != 0;
    l.window = sliding ? uint32_t(window) : 0;
    l.heads = uint32_t(heads);
    l.kv_heads = uint32_t(kv_heads[i]);
    l.head_dim = uint32_t(sliding ? head_local : head_global);
    l.ff_hidden = uint32_t(ff[i]);
    l.query_scale = float(query_scale);
    l.post_norms = l.qk_norm = l.value_norm = true;
    l.rope.base = sliding ? base_local : base_global;
    l.rope.fraction = sliding ? 1.0 : fraction;
    // A layer computing its own cache without a value projection uses the
    // raw key as the value (K=V).
    l.k_eq_v = file.FindTensor(fmt::format("blk.{}.attn_k.weight", i)) &&
               !file.FindTensor(fmt::format("blk.{}.attn_v.weight", i));
  }
  return absl::OkStatus();
}

// The last `shared` layers read the cache of the last earlier layer of
// their kind that computes one (Hugging Face's rule; llama.cpp's runtime
// takes the same layers where the last computing layer is a global one).
absl::Status SetKvSharing(const GgufFile &file, ModelSpec &spec) {
  uint64_t shared = 0;
  GEMMA_ASSIGN(shared,
               file.GetUnsignedOr(Key("attention.shared_kv_layers"), 0));
  const size_t layers = spec.layers.size();
  if (shared >= layers)
    return Fail(file.name(),
                fmt::format("'{}attention.shared_kv_layers' {} leaves no "
                            "layer to compute a cache",
                            kPrefix, shared));
  const size_t first = layers - size_t(shared);
  for (size_t i = first; i < layers; ++i) {
    for (size_t j = 0; j < first; ++j)
      if (spec.layers[j].is_global() == spec.layers[i].is_global())
        spec.layers[i].kv_source_layer = int32_t(j);
    if (spec.layers[i].kv_source_layer < 0)
      return Fail(
          file.name(),
          fmt::format("layer {} shares the cache of an earlier {} "
                      "layer, and there is none",
                      i, spec.layers[i].is_global() ? "global" : "sliding"));
    spec.layers[i].k_eq_v = false;
  }
  return absl::OkStatus();
}

absl::Status SetExperts(const GgufFile &file, ModelSpec &spec) {
  uint64_t experts = 0, used = 0, width = 0;
  GEMMA_ASSIGN(experts, file.GetUnsignedOr(Key("expert_count"), 0));
  if (experts == 0)
    return absl::OkStatus();
  GEMMA_ASSIGN(used, file.GetUnsigned(Key("expert_used_count")));
  GEMMA_ASSIGN(width, file.GetUnsigned(Key("expert_feed_forward_length")));
  if (experts > 4096 || used == 0 || used > experts || width == 0 ||
      width > (1u << 20))
    return Fail(file.name(),
                fmt::format("impossible mixture of experts: {} experts, {} "
                            "used, width {}",
                            experts, used, width));
  for (LayerSpec &l : spec.layers) {
    l.num_experts = uint32_t(experts);
    l.experts_per_token = uint32_t(used);
    l.expert_ff_hidden = uint32_t(width);
  }
  return absl::OkStatus();
}

// Every gemma4 key must be one whose meaning the spec carries: a key
// llama.cpp's converter writes for a feature we do not build (or one from a
// newer converter) refuses the file by name.
absl::Status CheckKeys(const GgufFile &file) {
  static const std::set<std::string_view> kKnown = {
      "context_length",
      "embedding_length",
      "block_count",
      "vocab_size",
      "feed_forward_length",
      "attention.head_count",
      "attention.head_count_kv",
      "attention.key_length",
      "attention.value_length",
      "attention.key_length_swa",
      "attention.value_length_swa",
      "attention.layer_norm_rms_epsilon",
      "attention.sliding_window",
      "attention.sliding_window_pattern",
      "attention.shared_kv_layers",
      "attention.scale",
      "attention.causal",
      "rope.dimension_count",
      "rope.dimension_count_swa",
      "rope.freq_base",
      "rope.freq_base_swa",
      "embedding_length_per_layer_input",
      "expert_count",
      "expert_used_count",
      "expert_feed_forward_length",
      "final_logit_softcapping"};
  for (const auto &[key, value] : file.metadata())
    if (key.starts_with(kPrefix) &&
        !kKnown.contains(std::string_view(key).substr(kPrefix.size())))
      return Fail(file.name(),
                  fmt::format("metadata '{}' is not one the gemma4 importer "
                              "knows (a feature it does not support?)",
                              key));
  if (file.Find(Key("attention.causal"))) {
    bool causal = true;
    GEMMA_ASSIGN(causal, file.GetBool(Key("attention.causal")));
    if (!causal)
      return Fail(file.name(), "not supported: bidirectional attention "
                               "('gemma4.attention.causal' is false)");
  }
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<ModelSpec> Gemma4GgufSpec(const GgufFile &file) {
  if (absl::Status s = CheckKeys(file); !s.ok())
    return s;
  ModelSpec spec;
  spec.generation = Generation::kGemma4;
  uint64_t dim = 0, layers = 0, context = 0, ple = 0;
  GEMMA_ASSIGN(dim, file.GetUnsigned(Key("embedding_length")));
  GEMMA_ASSIGN(layers, file.GetUnsigned(Key("block_count")));
  GEMMA_ASSIGN(context, file.GetUnsigned(Key("context_length")));
  GEMMA_ASSIGN(ple,
               file.GetUnsignedOr(Key("embedding_length_per_layer_input"), 0));
  if (dim == 0 || dim > 65536 || layers == 0 || layers > 1024 ||
      context > (1u << 24) || ple > 4096)
    return Fail(file.name(),
                fmt::format("impossible hyperparameters: embedding {}, {} "
                            "blocks, context {}, per-layer input {}",
                            dim, layers, context, ple));
  spec.model_dim = uint32_t(dim);
  spec.max_context = uint32_t(context);
  spec.ple_dim = uint32_t(ple);
  double epsilon = 0, final_cap = 0;
  GEMMA_ASSIGN(epsilon, file.GetFloat(Key("attention.layer_norm_rms_epsilon")));
  // llama.cpp applies a cap of 30 when the key is absent.
  GEMMA_ASSIGN(final_cap,
               file.GetFloatOr(Key("final_logit_softcapping"), 30.0));
  spec.norm_epsilon = float(epsilon);
  spec.final_softcap = float(final_cap);
  spec.norm_scale = NormScale::kPlain;
  spec.embed_scale = std::sqrt(float(dim));
  spec.layer_scalar = true;
  if (absl::Status s = SetLayers(file, layers, spec); !s.ok())
    return s;
  if (absl::Status s = SetKvSharing(file, spec); !s.ok())
    return s;
  if (absl::Status s = SetExperts(file, spec); !s.ok())
    return s;
  return spec;
}

absl::StatusOr<ModelWeights> Gemma4GgufWeights(const ModelFile &model) {
  const ModelSpec &spec = model.spec;
  ModelWeights weights;
  weights.tensors = TensorInfos(model);
  std::set<std::string> used = {"rope_freqs.weight"};
  auto require = [&](const std::string &name, uint64_t rows,
                     uint64_t cols) -> absl::Status {
    used.insert(name);
    return RequireGgufTensor(model, name, rows, cols);
  };
  using Slot = std::tuple<std::string *, std::string, uint64_t, uint64_t>;
  auto place = [&](std::initializer_list<Slot> slots) -> absl::Status {
    for (const auto &[slot, name, rows, cols] : slots) {
      *slot = name;
      if (absl::Status s = require(name, rows, cols); !s.ok())
        return s;
    }
    return absl::OkStatus();
  };
  const uint64_t d = spec.model_dim, p = spec.ple_dim,
                 layers = spec.num_layers();
  if (absl::Status s =
          place({{&weights.embedding, "token_embd.weight", spec.vocab_size, d},
                 {&weights.final_norm, "output_norm.weight", 1, d}});
      !s.ok())
    return s;
  if (p)
    if (absl::Status s =
            place({{&weights.ple_table, "per_layer_token_embd.weight",
                    spec.vocab_size, layers * p},
                   {&weights.ple_projection, "per_layer_model_proj.weight",
                    layers * p, d},
                   {&weights.ple_projection_norm, "per_layer_proj_norm.weight",
                    1, p}});
        !s.ok())
      return s;
  for (uint32_t l = 0; l < layers; ++l) {
    const LayerSpec &layer = spec.layers[l];
    auto name = [&](std::string_view base) {
      return fmt::format("blk.{}.{}", l, base);
    };
    const uint64_t q = uint64_t(layer.heads) * layer.head_dim,
                   kv = uint64_t(layer.kv_heads) * layer.head_dim,
                   ff = layer.ff_hidden, hd = layer.head_dim;
    LayerWeights w;
    absl::Status s =
        place({{&w.q.tensor, name("attn_q.weight"), q, d},
               {&w.out.tensor, name("attn_output.weight"), d, q},
               {&w.gate.tensor, name("ffn_gate.weight"), ff, d},
               {&w.up.tensor, name("ffn_up.weight"), ff, d},
               {&w.down.tensor, name("ffn_down.weight"), d, ff},
               {&w.pre_attn_norm, name("attn_norm.weight"), 1, d},
               {&w.pre_ffw_norm, name("ffn_norm.weight"), 1, d},
               {&w.post_attn_norm, name("post_attention_norm.weight"), 1, d},
               {&w.post_ffw_norm, name("post_ffw_norm.weight"), 1, d},
               {&w.query_norm, name("attn_q_norm.weight"), 1, hd},
               {&w.layer_scalar, name("layer_output_scale.weight"), 1, 1}});
    // Layers reading an earlier cache have no key or value projections.
    if (s.ok() && layer.kv_source_layer < 0)
      s = place({{&w.k.tensor, name("attn_k.weight"), kv, d},
                 {&w.key_norm, name("attn_k_norm.weight"), 1, hd}});
    if (s.ok() && layer.kv_source_layer < 0 && !layer.k_eq_v)
      s = place({{&w.v.tensor, name("attn_v.weight"), kv, d}});
    const uint64_t e = layer.num_experts, f = layer.expert_ff_hidden;
    if (s.ok() && e)
      s = place(
          {{&w.moe_router, name("ffn_gate_inp.weight"), e, d},
           {&w.moe_router_scale, name("ffn_gate_inp.scale"), 1, d},
           {&w.moe_expert_scale, name("ffn_down_exps.scale"), 1, e},
           {&w.moe_gate_up, name("ffn_gate_up_exps.weight"), e * 2 * f, d},
           {&w.moe_down, name("ffn_down_exps.weight"), e * d, f},
           {&w.pre_moe_norm, name("pre_ffw_norm_2.weight"), 1, d},
           {&w.post_dense_norm, name("post_ffw_norm_1.weight"), 1, d},
           {&w.post_moe_norm, name("post_ffw_norm_2.weight"), 1, d}});
    if (s.ok() && p)
      s = place({{&w.ple_gate, name("inp_gate.weight"), p, d},
                 {&w.ple_proj, name("proj.weight"), d, p},
                 {&w.ple_norm, name("post_norm.weight"), 1, d}});
    if (!s.ok())
      return s;
    weights.layers.push_back(std::move(w));
  }
  // A tensor nothing reads belongs to a feature this importer does not
  // build (a separate output projection, split expert tensors, ...).
  for (const auto &[name, tensor] : model.tensors)
    if (!used.contains(name))
      return Fail(model.source,
                  fmt::format("tensor '{}' is not used by the gemma4 importer "
                              "(a feature it does not support?)",
                              name));
  return weights;
}

absl::StatusOr<std::string> Gemma4GgufTokenizerProto(const GgufFile &file) {
  GgufVocabulary vocab;
  GEMMA_ASSIGN(vocab, ReadGgufVocabulary(file, /*unknown_in_vocab=*/false));
  const Value *merges = file.Find("tokenizer.ggml.merges");
  if (!merges || merges->type != ValueType::kArray ||
      merges->element != ValueType::kString)
    return Fail(file.name(), "metadata 'tokenizer.ggml.merges' must be an "
                             "array of strings (the gemma4 tokenizer is "
                             "BPE)");
  std::vector<SentencePieceEntry> &pieces = vocab.pieces;
  BpeModelOptions &options = vocab.options;
  const auto byte_pieces = std::count_if(
      pieces.begin(), pieces.end(),
      [](const SentencePieceEntry &e) { return e.type == PieceType::kByte; });
  if (byte_pieces != 256)
    return Fail(file.name(),
                fmt::format("the gemma4 tokenizer needs all 256 byte pieces "
                            "for its byte fallback (the file has {})",
                            byte_pieces));
  std::vector<std::string> merged;
  merged.reserve(merges->count);
  for (std::string_view merge : merges->strings) {
    const size_t space = merge.find(' ');
    if (space == std::string_view::npos ||
        merge.find(' ', space + 1) != std::string_view::npos)
      return Fail(file.name(),
                  fmt::format("merge {} ('{}') is not two pieces and a space",
                              merged.size(), merge));
    merged.push_back(std::string(merge.substr(0, space)) +
                     std::string(merge.substr(space + 1)));
  }
  ScoreByMergeRank(pieces, merged);
  // With byte fallback SentencePiece never produces its unknown piece, and
  // needs exactly one: it gets an id past the vocabulary, as Hugging Face's
  // tokenizer.json import does (runtime/formats/hf/HfTokenizer.cpp).
  options.unk_id = pieces.size();
  pieces.push_back({.piece = "<unk:sentencepiece>",
                    .score = 0.0f,
                    .type = PieceType::kUnknown});
  SentencePieceModel sp;
  sp.pieces = std::move(pieces);
  return SerializeBpeModel(std::move(sp), options);
}

} // namespace gemma
