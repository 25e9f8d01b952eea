//===- ConvertGguf.cpp - Any loaded model as a llama.cpp GGUF -------------===//

#include "runtime/formats/gguf/ConvertGguf.h"

#include "runtime/formats/gguf/ConvertGemma4Gguf.h"
#include "runtime/formats/gguf/GgufTensorWriting.h"

#include "runtime/formats/RoleMatrix.h"
#include "runtime/formats/synth/SentencePieceModel.h"
#include "runtime/weights/codecs/Encode.h"
#include "runtime/weights/codecs/GgmlEncode.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

namespace gemma {

namespace gguf_out {

absl::Status Refuse(std::string what) {
  return absl::UnimplementedError(
      fmt::format("cannot write this model as GGUF: {}", what));
}

using gguf::GgufWriter;

uint32_t FileType(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return 0;
  case StoredType::kF16:
    return 1;
  case StoredType::kQ8_0:
    return 7;
  case StoredType::kQ5_0:
    return 8;
  case StoredType::kQ4_K:
    return 14; // Q4_K_S: every matrix Q4_K
  case StoredType::kQ6_K:
    return 18;
  default:
    return 32; // BF16
  }
}

StoredType FitRows(StoredType type, uint64_t cols) {
  if (type == StoredType::kQ4_K && cols % 256 != 0)
    type = StoredType::kQ5_0;
  if (type == StoredType::kQ6_K && cols % 256 != 0)
    type = StoredType::kQ8_0;
  if (cols % BlockElements(type) != 0)
    type = StoredType::kF16;
  return type;
}

namespace {
absl::Status EncodeRow(StoredType type, std::span<const float> values,
                       std::span<uint8_t> out) {
  if (type == StoredType::kF32 || type == StoredType::kBF16)
    return EncodeTensor(type, values, out);
  return EncodeGgmlBlocks(type, values.data(),
                          values.size() / BlockElements(type), out.data());
}
} // namespace

absl::Status AddMatrix(GgufWriter &writer, std::string name,
                       std::shared_ptr<RoleMatrix> m, uint64_t rows,
                       uint64_t cols, StoredType type,
                       std::vector<uint64_t> ne) {
  if (!m->present() || uint64_t(m->rows()) != rows ||
      uint64_t(m->cols()) != cols)
    return absl::InternalError(
        fmt::format("tensor '{}' should be {} x {}, the model holds {} x {}",
                    name, rows, cols, m->rows(), m->cols()));
  type = FitRows(type, cols);
  if (ne.empty())
    ne = {cols, rows};
  writer.Tensor(std::move(name), std::move(ne), type,
                [m, type, cols](uint64_t row, std::span<uint8_t> out) {
                  std::vector<float> values(static_cast<size_t>(cols));
                  m->Row(int64_t(row), values);
                  return EncodeRow(type, values, out);
                });
  return absl::OkStatus();
}

absl::Status AddNorm(GgufWriter &writer, std::string name,
                     const ModelFile &model, const std::string &tensor,
                     uint64_t width) {
  auto m = std::make_shared<RoleMatrix>(model, tensor);
  if (!m->present() || uint64_t(m->rows() * m->cols()) != width)
    return absl::InternalError(
        fmt::format("norm '{}' should hold {} values", name, width));
  const bool plus_one = model.spec.norm_scale == NormScale::kPlusOne;
  writer.Tensor(std::move(name), {width}, StoredType::kF32,
                [m, plus_one, width](uint64_t, std::span<uint8_t> out) {
                  std::vector<float> values(static_cast<size_t>(width));
                  for (int64_t r = 0; r < m->rows(); ++r)
                    m->Row(r, std::span(values).subspan(size_t(r * m->cols()),
                                                        size_t(m->cols())));
                  if (plus_one)
                    for (float &v : values)
                      v += 1.0f;
                  return EncodeTensor(StoredType::kF32, values, out);
                });
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SentencePieceModel>>
TokenizerToWrite(GgufWriter &writer, const ModelFile &model,
                 std::string_view flavour) {
  const ModelSpec &spec = model.spec;
  if (!model.tokenizer) {
    // llama.cpp loads a vocabulary-less model from token ids, given this.
    writer.String("tokenizer.ggml.model", "none");
    writer.U32("tokenizer.ggml.bos_token_id", uint32_t(spec.bos_id));
    writer.U32("tokenizer.ggml.eos_token_id", uint32_t(spec.eos_ids[0]));
    return std::nullopt;
  }
  absl::StatusOr<SentencePieceModel> sp = ParseSentencePieceModel(
      std::string_view(reinterpret_cast<const char *>(model.tokenizer->data()),
                       model.tokenizer->size()));
  if (!sp.ok())
    return sp.status();
  if (ReadNormalizerOptions(*sp).remove_extra_whitespaces)
    return Refuse(fmt::format("the tokenizer collapses runs of spaces, which "
                              "llama.cpp's {} tokenizer does not",
                              flavour));
  return *std::move(sp);
}

void AddSpecialTokens(GgufWriter &writer, const ModelSpec &spec, int64_t unk,
                      int64_t pad, bool add_space_prefix) {
  writer.U32("tokenizer.ggml.bos_token_id", uint32_t(spec.bos_id));
  writer.U32("tokenizer.ggml.eos_token_id", uint32_t(spec.eos_ids[0]));
  if (unk >= 0)
    writer.U32("tokenizer.ggml.unknown_token_id", uint32_t(unk));
  if (pad >= 0)
    writer.U32("tokenizer.ggml.padding_token_id", uint32_t(pad));
  writer.Bool("tokenizer.ggml.add_bos_token", true);
  writer.Bool("tokenizer.ggml.add_eos_token", false);
  writer.Bool("tokenizer.ggml.add_space_prefix", add_space_prefix);
}

} // namespace gguf_out

namespace {

using gguf::GgufWriter;
using gguf_out::AddMatrix;
using gguf_out::AddNorm;
using gguf_out::FileType;
using gguf_out::Refuse;

bool Near(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

// llama.cpp's query scale for Gemma (see GgufModel.cpp's reader).
double LlamaCppQueryScale(const ModelSpec &spec) {
  const LayerSpec &l = spec.layers[0];
  const bool is_27b =
      (spec.generation == Generation::kGemma2 && spec.num_layers() == 46) ||
      (spec.generation == Generation::kGemma3 && spec.num_layers() == 62);
  if (is_27b)
    return 1.0 / std::sqrt(double(spec.model_dim) / double(l.heads));
  return 1.0 / std::sqrt(double(l.head_dim));
}

// What llama.cpp's gemma, gemma2 and gemma3 keys can say about `spec`.
absl::Status CheckRepresentable(const ModelSpec &spec) {
  const LayerSpec &first = spec.layers[0];
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec &l = spec.layers[i];
    if (l.heads != first.heads || l.kv_heads != first.kv_heads ||
        l.head_dim != first.head_dim || l.ff_hidden != first.ff_hidden ||
        l.post_norms != first.post_norms || l.qk_norm != first.qk_norm ||
        l.query_scale != first.query_scale)
      return Refuse(fmt::format(
          "layer {} differs from layer 0 in its heads, head dimension, "
          "feed-forward width, norms or query scale (llama.cpp's gemma keys "
          "hold one value for every layer)",
          i));
    if (l.rope.fraction != 1.0)
      return Refuse(fmt::format("layer {} rotates a fraction of its head "
                                "dimension (proportional RoPE)",
                                i));
    if (l.value_norm || l.k_eq_v || l.kv_source_layer >= 0 ||
        l.num_experts != 0)
      return Refuse(fmt::format("layer {} uses a Gemma 4 feature", i));
  }
  if (!Near(first.query_scale, LlamaCppQueryScale(spec)))
    return Refuse(fmt::format(
        "the query scale {:.8g} is not the {:.8g} llama.cpp derives for this "
        "model "
        "(1/sqrt(head_dim), or 1/sqrt(d/heads) for the 27B layer counts)",
        first.query_scale, LlamaCppQueryScale(spec)));
  if (spec.generation == Generation::kGemma3 && spec.attn_softcap != 0)
    return Refuse("an attention soft-cap on Gemma 3");
  if (spec.generation == Generation::kGemma1 &&
      (spec.attn_softcap != 0 || spec.final_softcap != 0))
    return Refuse("soft-caps on Gemma 1");
  // One base (and scaling) for global layers, one for sliding ones; only
  // Gemma 3 keeps them apart.
  const LayerSpec *global = nullptr, *local = nullptr;
  uint32_t window = 0;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec &l = spec.layers[i];
    const LayerSpec *&same = l.is_global() ? global : local;
    if (!same)
      same = &l;
    if (l.rope.base != same->rope.base ||
        l.rope.linear_scale != same->rope.linear_scale)
      return Refuse(
          fmt::format("layer {} has its own RoPE base or scaling", i));
    if (!l.is_global()) {
      if (window != 0 && l.window != window)
        return Refuse(fmt::format("layer {} has its own window size", i));
      window = l.window;
      if (spec.generation == Generation::kGemma1)
        return Refuse("a sliding window on Gemma 1");
      if (spec.generation == Generation::kGemma2 && i % 2 != 0)
        return Refuse("a Gemma 2 whose sliding layers are not the even ones "
                      "(llama.cpp fixes that pattern)");
    } else if (spec.generation == Generation::kGemma2 && i % 2 == 0) {
      return Refuse("a Gemma 2 whose sliding layers are not the even ones "
                    "(llama.cpp fixes that pattern)");
    }
  }
  if (local && local->rope.linear_scale != 1.0)
    return Refuse("RoPE scaling on sliding layers");
  if (global && local && spec.generation != Generation::kGemma3 &&
      global->rope.base != local->rope.base)
    return Refuse("different RoPE bases for global and sliding layers "
                  "before Gemma 3");
  if (global && spec.generation != Generation::kGemma3 &&
      global->rope.linear_scale != 1.0)
    return Refuse("RoPE scaling before Gemma 3");
  return absl::OkStatus();
}

// Gemma's turn markup for llama.cpp's chat (the system prompt folds into
// the first user turn, as Gemma 1-3's own templates do).
constexpr const char *kGemmaChatTemplate =
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{% set prefix = messages[0]['content'] | trim + '\\n\\n' %}"
    "{% set turns = messages[1:] %}{% else %}{% set prefix = '' %}"
    "{% set turns = messages %}{% endif %}{% for message in turns %}"
    "{% set role = 'model' if message['role'] == 'assistant' else "
    "message['role'] %}{{ '<start_of_turn>' + role + '\\n' + "
    "(prefix if loop.first else '') + message['content'] | trim + "
    "'<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<start_of_turn>model\\n' }}{% endif %}";

absl::Status AddTokenizer(GgufWriter &writer, const ModelFile &model) {
  const ModelSpec &spec = model.spec;
  absl::StatusOr<std::optional<SentencePieceModel>> sp =
      gguf_out::TokenizerToWrite(writer, model, "SentencePiece");
  if (!sp.ok() || !sp->has_value())
    return sp.status();
  const NormalizerOptions normalizer = ReadNormalizerOptions(**sp);
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  int64_t unk = -1, pad = -1;
  for (uint32_t id = 0; id < spec.vocab_size; ++id) {
    if (id >= (*sp)->pieces.size()) {
      // Rows past the tokenizer's pieces, as llama.cpp's converter pads.
      tokens.push_back(fmt::format("[PAD{}]", id));
      scores.push_back(0.0f);
      types.push_back(int32_t(PieceType::kUnused));
      continue;
    }
    const SentencePieceEntry &e = (*sp)->pieces[id];
    tokens.push_back(e.piece);
    scores.push_back(e.score);
    types.push_back(int32_t(e.type));
    if (e.type == PieceType::kUnknown)
      unk = id;
    if (e.piece == "<unk>" && unk < 0)
      unk = id;
    if (e.piece == "<pad>" && pad < 0)
      pad = id;
  }
  // A converted Hugging Face vocabulary keeps SentencePiece's own unknown
  // piece past the embedding rows; <unk> stands in for it.
  if (unk >= 0)
    types[size_t(unk)] = int32_t(PieceType::kUnknown);
  writer.String("tokenizer.ggml.model", "llama");
  writer.StringArray("tokenizer.ggml.tokens", tokens);
  writer.F32Array("tokenizer.ggml.scores", scores);
  writer.I32Array("tokenizer.ggml.token_type", types);
  gguf_out::AddSpecialTokens(writer, spec, unk, pad,
                             normalizer.add_dummy_prefix);
  if (spec.chat == ChatFormat::kGemma)
    writer.String("tokenizer.chat_template", kGemmaChatTemplate);
  return absl::OkStatus();
}

void AddHyperparameters(GgufWriter &writer, const ModelSpec &spec,
                        StoredType weight) {
  const std::string arch = spec.generation == Generation::kGemma1   ? "gemma"
                           : spec.generation == Generation::kGemma2 ? "gemma2"
                                                                    : "gemma3";
  const std::string p = arch + ".";
  const LayerSpec &l0 = spec.layers[0];
  writer.String("general.architecture", arch);
  writer.String("general.name", spec.name);
  writer.U32("general.file_type", FileType(weight));
  if (IsGgmlType(weight) && weight != StoredType::kF16)
    writer.U32("general.quantization_version", 2);
  writer.U32(p + "context_length", spec.max_context);
  writer.U32(p + "embedding_length", spec.model_dim);
  writer.U32(p + "block_count", spec.num_layers());
  writer.U32(p + "vocab_size", spec.vocab_size);
  writer.U32(p + "feed_forward_length", l0.ff_hidden);
  writer.U32(p + "attention.head_count", l0.heads);
  writer.U32(p + "attention.head_count_kv", l0.kv_heads);
  writer.U32(p + "attention.key_length", l0.head_dim);
  writer.U32(p + "attention.value_length", l0.head_dim);
  writer.F32(p + "attention.layer_norm_rms_epsilon", spec.norm_epsilon);
  const LayerSpec *global = nullptr, *local = nullptr;
  for (const LayerSpec &l : spec.layers) {
    const LayerSpec *&first = l.is_global() ? global : local;
    if (!first)
      first = &l;
  }
  writer.F32(p + "rope.freq_base", float((global ? global : local)->rope.base));
  if (local)
    writer.U32(p + "attention.sliding_window", local->window);
  if (spec.generation == Generation::kGemma2) {
    writer.F32(p + "attn_logit_softcapping", spec.attn_softcap);
    writer.F32(p + "final_logit_softcapping", spec.final_softcap);
    return;
  }
  if (spec.generation != Generation::kGemma3)
    return;
  if (local)
    writer.F32(p + "rope.freq_base_swa", float(local->rope.base));
  if (global && global->rope.linear_scale != 1.0) {
    writer.String(p + "rope.scaling.type", "linear");
    writer.F32(p + "rope.scaling.factor", float(global->rope.linear_scale));
  }
  if (spec.final_softcap != 0)
    writer.F32(p + "final_logit_softcapping", spec.final_softcap);
  // llama.cpp assumes five sliding layers per global one; say otherwise
  // when the model differs (as a period if it has one, else per layer).
  const size_t n = spec.layers.size();
  std::vector<bool> sliding(n);
  for (size_t i = 0; i < n; ++i)
    sliding[i] = !spec.layers[i].is_global();
  auto periodic = [&](size_t period) {
    for (size_t i = 0; i < n; ++i)
      if (sliding[i] != (i % period < period - 1))
        return false;
    return true;
  };
  if (!local || periodic(6))
    return;
  for (size_t period = 1; period <= n + 1; ++period)
    if (periodic(period)) {
      writer.U32(p + "attention.sliding_window_pattern", uint32_t(period));
      return;
    }
  writer.BoolArray(p + "attention.sliding_window_pattern", sliding);
}

} // namespace

bool IsGgufWeightType(StoredType type) {
  return type == StoredType::kF32 || type == StoredType::kBF16 ||
         CanEncodeGgml(type);
}

absl::Status ConvertToGguf(const ModelFile &model, const ModelWeights &weights,
                           StoredType weight, const std::string &path,
                           const gguf::GgufWriter::Progress &progress) {
  if (!IsGgufWeightType(weight))
    return absl::InvalidArgumentError(fmt::format(
        "GGUF weights cannot be stored as {} (f32, bf16, f16, q8_0, q5_0, "
        "q4_k or q6_k)",
        StoredTypeName(weight)));
  const ModelSpec &spec = model.spec;
  if (spec.generation == Generation::kGemma4) {
    GgufWriter writer;
    if (absl::Status s = AddGemma4(writer, model, weights, weight); !s.ok())
      return s;
    return writer.Write(path, progress);
  }
  if (absl::Status s = CheckRepresentable(spec); !s.ok())
    return s;
  GgufWriter writer;
  AddHyperparameters(writer, spec, weight);
  if (absl::Status s = AddTokenizer(writer, model); !s.ok())
    return s;

  const uint64_t d = spec.model_dim;
  const StoredType embedding_type =
      weight == StoredType::kQ4_K ? StoredType::kQ6_K : weight;
  if (absl::Status s =
          AddMatrix(writer, "token_embd.weight",
                    std::make_shared<RoleMatrix>(model, weights.embedding),
                    spec.vocab_size, d, embedding_type);
      !s.ok())
    return s;
  if (absl::Status s =
          AddNorm(writer, "output_norm.weight", model, weights.final_norm, d);
      !s.ok())
    return s;
  for (uint32_t i = 0; i < spec.num_layers(); ++i) {
    const LayerSpec &l = spec.layers[i];
    const LayerWeights &w = weights.layers[i];
    auto name = [&](std::string_view base) {
      return fmt::format("blk.{}.{}.weight", i, base);
    };
    const uint64_t q = uint64_t(l.heads) * l.head_dim,
                   kv = uint64_t(l.kv_heads) * l.head_dim, f = l.ff_hidden;
    const std::tuple<const WeightRef *, const char *, uint64_t, uint64_t>
        matrices[] = {
            {&w.q, "attn_q", q, d},      {&w.k, "attn_k", kv, d},
            {&w.v, "attn_v", kv, d},     {&w.out, "attn_output", d, q},
            {&w.gate, "ffn_gate", f, d}, {&w.up, "ffn_up", f, d},
            {&w.down, "ffn_down", d, f}};
    for (const auto &[ref, base, rows, cols] : matrices)
      if (absl::Status s =
              AddMatrix(writer, name(base),
                        std::make_shared<RoleMatrix>(model, *ref, l.heads),
                        rows, cols, weight);
          !s.ok())
        return s;
    const std::tuple<const std::string *, const char *, uint64_t> norms[] = {
        {&w.pre_attn_norm, "attn_norm", d},
        {&w.post_attn_norm, "post_attention_norm", d},
        {&w.pre_ffw_norm, "ffn_norm", d},
        {&w.post_ffw_norm, "post_ffw_norm", d},
        {&w.query_norm, "attn_q_norm", l.head_dim},
        {&w.key_norm, "attn_k_norm", l.head_dim}};
    for (const auto &[tensor, base, width] : norms)
      if (!tensor->empty())
        if (absl::Status s = AddNorm(writer, name(base), model, *tensor, width);
            !s.ok())
          return s;
  }
  return writer.Write(path, progress);
}

} // namespace gemma
