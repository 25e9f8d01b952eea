//===- ConvertGemma4Gguf.cpp - Gemma 4 as llama.cpp's gemma4 GGUF ---------===//

#include "runtime/formats/gguf/ConvertGemma4Gguf.h"

#include "runtime/formats/gguf/GgufTensorWriting.h"
#include "runtime/formats/synth/SentencePieceModel.h"
#include "runtime/weights/codecs/Encode.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace gemma {
namespace {

using gguf::GgufWriter;
using gguf_out::AddMatrix;
using gguf_out::AddNorm;
using gguf_out::Refuse;

// The layers of each kind share one geometry in llama.cpp's keys.
struct Kinds {
  const LayerSpec *global = nullptr, *local = nullptr;
};

// What the gemma4 keys can say about `spec`: one head count, one geometry
// and RoPE per layer kind, whole-head rotation on sliding layers, and KV
// sharing as llama.cpp's runtime resolves it (from the last computing
// layer of each kind).
absl::StatusOr<Kinds> CheckRepresentable(const ModelSpec &spec) {
  Kinds kinds;
  const LayerSpec &first = spec.layers[0];
  size_t first_shared = spec.layers.size();
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec &l = spec.layers[i];
    const LayerSpec *&same = l.is_global() ? kinds.global : kinds.local;
    if (!same)
      same = &l;
    if (l.heads != first.heads || l.query_scale != first.query_scale ||
        l.num_experts != first.num_experts ||
        l.experts_per_token != first.experts_per_token ||
        l.expert_ff_hidden != first.expert_ff_hidden)
      return Refuse(fmt::format("layer {} differs from layer 0 in its query "
                                "heads, query scale or experts (one gemma4 "
                                "key for every layer)",
                                i));
    if (l.head_dim != same->head_dim || l.window != same->window ||
        l.rope.base != same->rope.base ||
        l.rope.fraction != same->rope.fraction)
      return Refuse(fmt::format("layer {} differs from the other {} layers in "
                                "its head dimension, window or RoPE",
                                i, l.is_global() ? "global" : "sliding"));
    if (l.rope.linear_scale != 1.0)
      return Refuse(fmt::format("layer {} scales its RoPE linearly", i));
    if (!l.post_norms || !l.qk_norm || !l.value_norm)
      return Refuse(fmt::format("layer {} lacks a Gemma 4 norm", i));
    if (l.kv_source_layer >= 0 && first_shared == spec.layers.size())
      first_shared = i;
    if (first_shared < i && l.kv_source_layer < 0)
      return Refuse(fmt::format("layer {} computes a cache after a layer "
                                "that shares one (llama.cpp shares only the "
                                "last layers)",
                                i));
  }
  if (first.query_scale != 1.0f)
    return Refuse(fmt::format("a query scale of {} (llama.cpp's gemma4 uses 1)",
                              first.query_scale));
  if (kinds.local && kinds.local->rope.fraction != 1.0)
    return Refuse("sliding layers rotate part of their head");
  // llama.cpp's runtime: shared sliding layers read the second-to-last
  // computing layer, global ones the last.
  for (size_t i = first_shared; i < spec.layers.size(); ++i) {
    const LayerSpec &l = spec.layers[i];
    const size_t want = l.is_global() ? first_shared - 1 : first_shared - 2;
    if (first_shared < 2 || size_t(l.kv_source_layer) != want ||
        spec.layers[want].is_global() != l.is_global())
      return Refuse(fmt::format("layer {} reads the cache of layer {}, where "
                                "llama.cpp reads that of the last computing "
                                "{} layer it expects at {}",
                                i, l.kv_source_layer,
                                l.is_global() ? "global" : "sliding", want));
  }
  return kinds;
}

// A per-layer value: one u32 when every layer agrees, else an i32 array,
// as llama.cpp's converter writes feed_forward_length and head_count_kv.
void PerLayer(GgufWriter &writer, const std::string &key,
              const std::vector<int32_t> &values) {
  if (std::all_of(values.begin(), values.end(),
                  [&](int32_t v) { return v == values[0]; }))
    writer.U32(key, uint32_t(values[0]));
  else
    writer.I32Array(key, values);
}

void AddHyperparameters(GgufWriter &writer, const ModelSpec &spec,
                        const Kinds &kinds, StoredType weight) {
  const std::string p = "gemma4.";
  const LayerSpec &global = kinds.global ? *kinds.global : *kinds.local;
  const LayerSpec &local = kinds.local ? *kinds.local : *kinds.global;
  writer.String("general.architecture", "gemma4");
  writer.String("general.name", spec.name);
  writer.U32("general.file_type", gguf_out::FileType(weight));
  if (IsGgmlType(weight) && weight != StoredType::kF16)
    writer.U32("general.quantization_version", 2);
  writer.U32(p + "context_length", spec.max_context);
  writer.U32(p + "embedding_length", spec.model_dim);
  writer.U32(p + "block_count", spec.num_layers());
  std::vector<int32_t> ff, kv_heads;
  std::vector<bool> sliding;
  uint32_t shared = 0;
  for (const LayerSpec &l : spec.layers) {
    ff.push_back(int32_t(l.ff_hidden));
    kv_heads.push_back(int32_t(l.kv_heads));
    sliding.push_back(!l.is_global());
    shared += l.kv_source_layer >= 0;
  }
  PerLayer(writer, p + "feed_forward_length", ff);
  writer.U32(p + "attention.head_count", spec.layers[0].heads);
  PerLayer(writer, p + "attention.head_count_kv", kv_heads);
  writer.F32(p + "rope.freq_base", float(global.rope.base));
  writer.F32(p + "rope.freq_base_swa", float(local.rope.base));
  writer.F32(p + "attention.layer_norm_rms_epsilon", spec.norm_epsilon);
  writer.U32(p + "attention.key_length", global.head_dim);
  writer.U32(p + "attention.value_length", global.head_dim);
  writer.U32(p + "attention.key_length_swa", local.head_dim);
  writer.U32(p + "attention.value_length_swa", local.head_dim);
  writer.U32(p + "rope.dimension_count", global.head_dim);
  writer.U32(p + "rope.dimension_count_swa", local.head_dim);
  writer.F32(p + "final_logit_softcapping", spec.final_softcap);
  writer.U32(p + "attention.sliding_window", local.window);
  writer.U32(p + "attention.shared_kv_layers", shared);
  writer.U32(p + "embedding_length_per_layer_input", spec.ple_dim);
  writer.BoolArray(p + "attention.sliding_window_pattern", sliding);
  const LayerSpec &l0 = spec.layers[0];
  if (l0.num_experts) {
    writer.U32(p + "expert_count", l0.num_experts);
    writer.U32(p + "expert_used_count", l0.experts_per_token);
    writer.U32(p + "expert_feed_forward_length", l0.expert_ff_hidden);
  }
}

// Gemma 4's turn markup for llama.cpp's chat: a system turn of its own.
constexpr const char *kGemma4ChatTemplate =
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else "
    "message['role'] %}{{ '<|turn>' + role + '\\n' + message['content'] | "
    "trim + '<turn|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|turn>model\\n' }}{% endif %}";

// llama.cpp's gemma4 tokenizer is BPE over Hugging Face's pieces: the
// merges that make each normal piece from two others, ordered by the
// piece's SentencePiece score (best first), give its choices.
absl::Status AddTokenizer(GgufWriter &writer, const ModelFile &model) {
  const ModelSpec &spec = model.spec;
  absl::StatusOr<std::optional<SentencePieceModel>> sp =
      gguf_out::TokenizerToWrite(writer, model, "gemma4");
  if (!sp.ok() || !sp->has_value())
    return sp.status();
  const std::vector<SentencePieceEntry> &pieces = (*sp)->pieces;
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  std::unordered_map<std::string, uint32_t> normal; // piece -> id
  for (uint32_t id = 0; id < spec.vocab_size; ++id) {
    if (id >= pieces.size())
      return Refuse(fmt::format("the tokenizer has {} pieces for {} "
                                "embedding rows",
                                pieces.size(), spec.vocab_size));
    const SentencePieceEntry &e = pieces[id];
    tokens.push_back(e.piece);
    scores.push_back(-1000.0f); // as llama.cpp's converter writes them
    PieceType type = e.type;
    if (type == PieceType::kUserDefined || type == PieceType::kUnknown)
      type = PieceType::kControl; // matched in the text, as special tokens
    types.push_back(int32_t(type));
    if (e.type == PieceType::kNormal)
      normal.emplace(e.piece, id);
  }
  // Ordered as Hugging Face's extraction orders them: by the merged
  // piece's score, then its id, then the ids of its two parts.
  std::vector<std::tuple<float, uint32_t, uint32_t, uint32_t, std::string>>
      merges;
  for (uint32_t id = 0; id < spec.vocab_size; ++id) {
    const SentencePieceEntry &e = pieces[id];
    if (e.type != PieceType::kNormal)
      continue;
    for (size_t cut = 1; cut < e.piece.size(); ++cut) {
      const auto a = normal.find(e.piece.substr(0, cut)),
                 b = normal.find(e.piece.substr(cut));
      if (a != normal.end() && b != normal.end())
        merges.emplace_back(-e.score, id, a->second, b->second,
                            a->first + " " + b->first);
    }
  }
  std::sort(merges.begin(), merges.end());
  std::vector<std::string> merge_text;
  for (auto &merge : merges)
    merge_text.push_back(std::move(std::get<4>(merge)));
  auto id_of = [&](std::string_view piece) -> int64_t {
    for (size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] == piece)
        return int64_t(i);
    return -1;
  };
  writer.String("tokenizer.ggml.model", "gemma4");
  writer.StringArray("tokenizer.ggml.tokens", tokens);
  writer.F32Array("tokenizer.ggml.scores", scores);
  writer.I32Array("tokenizer.ggml.token_type", types);
  writer.StringArray("tokenizer.ggml.merges", merge_text);
  gguf_out::AddSpecialTokens(writer, spec, id_of("<unk>"), id_of("<pad>"),
                             false);
  if (spec.chat == ChatFormat::kGemma4)
    writer.String("tokenizer.chat_template", kGemma4ChatTemplate);
  return absl::OkStatus();
}

// `global`'s proportional RoPE as llama.cpp's frequency factors: 1 for the
// rotated pairs, 1e30 (no rotation) for the rest.
void AddRopeFreqs(GgufWriter &writer, const LayerSpec &global) {
  const uint64_t pairs = global.head_dim / 2;
  const uint64_t rotated = uint64_t(global.rope.fraction * double(pairs) + 0.5);
  writer.Tensor("rope_freqs.weight", {pairs}, StoredType::kF32,
                [pairs, rotated](uint64_t, std::span<uint8_t> out) {
                  std::vector<float> f(pairs, 1e30f);
                  std::fill(f.begin(), f.begin() + int64_t(rotated), 1.0f);
                  return EncodeTensor(StoredType::kF32, f, out);
                });
}

} // namespace

absl::Status AddGemma4(GgufWriter &writer, const ModelFile &model,
                       const ModelWeights &weights, StoredType weight) {
  const ModelSpec &spec = model.spec;
  absl::StatusOr<Kinds> kinds = CheckRepresentable(spec);
  if (!kinds.ok())
    return kinds.status();
  AddHyperparameters(writer, spec, *kinds, weight);
  if (absl::Status s = AddTokenizer(writer, model); !s.ok())
    return s;
  if (kinds->global)
    AddRopeFreqs(writer, *kinds->global);
  const uint64_t d = spec.model_dim, p = spec.ple_dim,
                 layers = spec.num_layers();
  const StoredType embedding_type =
      weight == StoredType::kQ4_K ? StoredType::kQ6_K : weight;
  auto matrix = [&](std::string name, const std::string &tensor, uint64_t rows,
                    uint64_t cols, StoredType type,
                    std::vector<uint64_t> ne = {}) {
    return AddMatrix(writer, std::move(name),
                     std::make_shared<RoleMatrix>(model, tensor), rows, cols,
                     type, std::move(ne));
  };
  auto small = [&](std::string name, const std::string &tensor,
                   uint64_t width) {
    return AddNorm(writer, std::move(name), model, tensor, width);
  };
  absl::Status s = matrix("token_embd.weight", weights.embedding,
                          spec.vocab_size, d, embedding_type);
  if (s.ok())
    s = small("output_norm.weight", weights.final_norm, d);
  if (s.ok() && p)
    s = matrix("per_layer_token_embd.weight", weights.ple_table,
               spec.vocab_size, layers * p, embedding_type);
  if (s.ok() && p)
    s = matrix("per_layer_model_proj.weight", weights.ple_projection,
               layers * p, d, weight);
  if (s.ok() && p)
    s = small("per_layer_proj_norm.weight", weights.ple_projection_norm, p);
  for (uint32_t i = 0; s.ok() && i < layers; ++i) {
    const LayerSpec &l = spec.layers[i];
    const LayerWeights &w = weights.layers[i];
    auto name = [&](std::string_view base) {
      return fmt::format("blk.{}.{}", i, base);
    };
    const uint64_t q = uint64_t(l.heads) * l.head_dim,
                   kv = uint64_t(l.kv_heads) * l.head_dim, f = l.ff_hidden,
                   e = l.num_experts, ef = l.expert_ff_hidden;
    const std::tuple<const WeightRef *, const char *, uint64_t, uint64_t>
        matrices[] = {{&w.q, "attn_q.weight", q, d},
                      {&w.k, "attn_k.weight", kv, d},
                      {&w.v, "attn_v.weight", kv, d},
                      {&w.out, "attn_output.weight", d, q},
                      {&w.gate, "ffn_gate.weight", f, d},
                      {&w.up, "ffn_up.weight", f, d},
                      {&w.down, "ffn_down.weight", d, f}};
    for (const auto &[ref, base, rows, cols] : matrices)
      if (s.ok() && !ref->tensor.empty())
        s = AddMatrix(writer, name(base),
                      std::make_shared<RoleMatrix>(model, *ref, l.heads), rows,
                      cols, weight);
    const std::tuple<const std::string *, const char *, uint64_t> smalls[] = {
        {&w.pre_attn_norm, "attn_norm.weight", d},
        {&w.post_attn_norm, "post_attention_norm.weight", d},
        {&w.pre_ffw_norm, "ffn_norm.weight", d},
        {&w.post_ffw_norm, "post_ffw_norm.weight", d},
        {&w.query_norm, "attn_q_norm.weight", l.head_dim},
        {&w.key_norm, "attn_k_norm.weight", l.head_dim},
        {&w.layer_scalar, "layer_output_scale.weight", 1},
        {&w.ple_norm, "post_norm.weight", d},
        {&w.moe_router_scale, "ffn_gate_inp.scale", d},
        {&w.moe_expert_scale, "ffn_down_exps.scale", e},
        {&w.pre_moe_norm, "pre_ffw_norm_2.weight", d},
        {&w.post_dense_norm, "post_ffw_norm_1.weight", d},
        {&w.post_moe_norm, "post_ffw_norm_2.weight", d}};
    for (const auto &[tensor, base, width] : smalls)
      if (s.ok() && !tensor->empty())
        s = small(name(base), *tensor, width);
    if (s.ok() && p)
      s = matrix(name("inp_gate.weight"), w.ple_gate, p, d, weight);
    if (s.ok() && p)
      s = matrix(name("proj.weight"), w.ple_proj, d, p, weight);
    // The router stays f32, as llama.cpp's converter and quantizer keep it.
    if (s.ok() && e)
      s = matrix(name("ffn_gate_inp.weight"), w.moe_router, e, d,
                 StoredType::kF32);
    if (s.ok() && e)
      s = matrix(name("ffn_gate_up_exps.weight"), w.moe_gate_up, e * 2 * ef, d,
                 weight, {d, 2 * ef, e});
    if (s.ok() && e)
      s = matrix(name("ffn_down_exps.weight"), w.moe_down, e * d, ef, weight,
                 {ef, d, e});
  }
  return s;
}

} // namespace gemma
