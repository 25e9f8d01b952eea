//===- GgufModel.cpp - GGUF files as models -------------------------------===//

#include "runtime/formats/gguf/GgufModel.h"

#include "runtime/formats/AssignOr.h"
#include "runtime/formats/gguf/Gemma4Gguf.h"

#include "runtime/formats/synth/SentencePieceModel.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

namespace gemma {
namespace {

using gguf::GgufFile;
using gguf::Value;
using gguf::ValueType;

// What the loaded model keeps alive: the mapping (through the file) and
// the tokenizer we built.
struct GgufStorage {
  GgufFile file;
  std::string tokenizer;
};

absl::Status Fail(const GgufFile &file, std::string what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", file.name(), what));
}

std::string ModelName(const GgufFile &file, std::string_view arch) {
  std::string name(arch);
  if (file.Find("general.name") && file.GetString("general.name").ok())
    name = std::string(*file.GetString("general.name"));
  for (char &c : name)
    c = c == ' ' ? '-' : char(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

absl::StatusOr<ModelSpec> SpecOf(const GgufFile &file) {
  std::string_view arch;
  GEMMA_ASSIGN(arch, file.GetString("general.architecture"));
  ModelSpec spec;
  if (arch == "gemma")
    spec.generation = Generation::kGemma1;
  else if (arch == "gemma2")
    spec.generation = Generation::kGemma2;
  else if (arch == "gemma3")
    spec.generation = Generation::kGemma3;
  else if (arch == "gemma4") {
    GEMMA_ASSIGN(spec, Gemma4GgufSpec(file));
    spec.name = ModelName(file, arch);
    return spec;
  } else if (arch == "gemma3n")
    return Fail(file, "not supported yet: the 'gemma3n' architecture (its "
                      "AltUp and Laurel blocks are not in the builder)");
  else
    return Fail(file, fmt::format("architecture '{}' is not a Gemma text "
                                  "model (gemma, gemma2, gemma3, gemma4)",
                                  arch));
  const std::string p = std::string(arch) + ".";
  spec.name = ModelName(file, arch);
  uint64_t dim = 0, layers = 0, heads = 0, ff = 0, context = 0;
  GEMMA_ASSIGN(dim, file.GetUnsigned(p + "embedding_length"));
  GEMMA_ASSIGN(layers, file.GetUnsigned(p + "block_count"));
  GEMMA_ASSIGN(heads, file.GetUnsigned(p + "attention.head_count"));
  GEMMA_ASSIGN(context, file.GetUnsigned(p + "context_length"));
  if (const Value *v = file.Find(p + "feed_forward_length");
      v && v->type == ValueType::kArray)
    return Fail(file, fmt::format("not supported yet: per-layer '{}'",
                                  p + "feed_forward_length"));
  GEMMA_ASSIGN(ff, file.GetUnsigned(p + "feed_forward_length"));
  if (dim == 0 || layers == 0 || heads == 0 || ff == 0 || dim > 65536 ||
      layers > 1024 || heads > 1024 || ff > (1u << 20) || context > (1u << 24))
    return Fail(file, fmt::format("impossible hyperparameters: embedding {}, "
                                  "{} blocks, {} heads, feed-forward {}, "
                                  "context {}",
                                  dim, layers, heads, ff, context));
  uint64_t kv_heads = 0, head_dim = 0, value_dim = 0;
  GEMMA_ASSIGN(kv_heads,
               file.GetUnsignedOr(p + "attention.head_count_kv", heads));
  GEMMA_ASSIGN(head_dim,
               file.GetUnsignedOr(p + "attention.key_length", dim / heads));
  GEMMA_ASSIGN(value_dim,
               file.GetUnsignedOr(p + "attention.value_length", head_dim));
  if (value_dim != head_dim)
    return Fail(file, fmt::format("key length {} and value length {} differ",
                                  head_dim, value_dim));
  double epsilon = 0, base = 0;
  GEMMA_ASSIGN(epsilon, file.GetFloat(p + "attention.layer_norm_rms_epsilon"));
  GEMMA_ASSIGN(base, file.GetFloatOr(p + "rope.freq_base", 10000.0));

  spec.model_dim = uint32_t(dim);
  spec.max_context = uint32_t(context);
  spec.norm_epsilon = float(epsilon);
  // llama.cpp's converter stores norm weights as 1 + w (docs/gemma-math.md 6).
  spec.norm_scale = NormScale::kPlain;
  spec.embed_scale = std::sqrt(float(dim));
  // llama.cpp's LLM_TYPE_27B (Gemma 2 46 blocks, Gemma 3 62): the query
  // scale is 1/sqrt(d / heads) there, 1/sqrt(head_dim) elsewhere.
  const bool is_27b =
      (spec.generation == Generation::kGemma2 && layers == 46) ||
      (spec.generation == Generation::kGemma3 && layers == 62);
  double query_scale = 1.0 / std::sqrt(double(head_dim));
  if (is_27b)
    query_scale = 1.0 / std::sqrt(double(dim) / double(heads));
  if (file.Find(p + "attention.scale"))
    GEMMA_ASSIGN(query_scale, file.GetFloat(p + "attention.scale"));

  LayerSpec layer;
  layer.heads = uint32_t(heads);
  layer.kv_heads = uint32_t(kv_heads);
  layer.head_dim = uint32_t(head_dim);
  layer.ff_hidden = uint32_t(ff);
  layer.query_scale = float(query_scale);
  layer.rope.base = base;
  spec.layers.assign(size_t(layers), layer);
  if (spec.generation == Generation::kGemma1)
    return spec;

  // Gemma 2 and 3: sandwich norms and sliding layers.
  uint64_t window = 0, period = 0;
  const bool g2 = spec.generation == Generation::kGemma2;
  GEMMA_ASSIGN(window, file.GetUnsignedOr(p + "attention.sliding_window",
                                          g2 ? 4096 : 0));
  std::vector<bool> sliding(size_t(layers), false);
  const Value *pattern = file.Find(p + "attention.sliding_window_pattern");
  if (pattern && pattern->type == ValueType::kArray) {
    absl::StatusOr<const Value *> flags = file.GetArray(
        p + "attention.sliding_window_pattern", ValueType::kBool, layers);
    if (!flags.ok())
      return flags.status();
    for (uint64_t i = 0; i < layers; ++i)
      sliding[i] = gguf::ArrayInt(**flags, i) != 0;
  } else {
    GEMMA_ASSIGN(
        period,
        file.GetUnsignedOr(p + "attention.sliding_window_pattern", g2 ? 2 : 6));
    if (period == 0)
      return Fail(file, "metadata 'attention.sliding_window_pattern' is 0");
    // llama.cpp: layer i slides iff i % period < period - 1.
    for (uint64_t i = 0; i < layers; ++i)
      sliding[i] = i % period < period - 1;
  }
  if (window == 0)
    sliding.assign(size_t(layers), false);
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    spec.layers[i].post_norms = true;
    spec.layers[i].window = sliding[i] ? uint32_t(window) : 0;
  }
  if (g2) {
    double attn_cap = 0, final_cap = 0;
    GEMMA_ASSIGN(attn_cap, file.GetFloatOr(p + "attn_logit_softcapping", 50.0));
    GEMMA_ASSIGN(final_cap,
                 file.GetFloatOr(p + "final_logit_softcapping", 30.0));
    spec.attn_softcap = float(attn_cap);
    spec.final_softcap = float(final_cap);
    return spec;
  }
  // Gemma 3: QK-norm; sliding layers rotate with their own base, global
  // ones with rope.freq_base and an optional linear scaling.
  double local_base = 0, final_cap = 0, factor = 1.0;
  GEMMA_ASSIGN(local_base, file.GetFloatOr(p + "rope.freq_base_swa", 10000.0));
  GEMMA_ASSIGN(final_cap, file.GetFloatOr(p + "final_logit_softcapping", 0.0));
  spec.final_softcap = float(final_cap);
  if (file.Find(p + "rope.scaling.type")) {
    std::string_view type;
    GEMMA_ASSIGN(type, file.GetString(p + "rope.scaling.type"));
    if (type == "linear") {
      GEMMA_ASSIGN(factor, file.GetFloat(p + "rope.scaling.factor"));
    } else if (type != "none") {
      return Fail(file,
                  fmt::format("not supported yet: RoPE scaling '{}'", type));
    }
  }
  for (LayerSpec &l : spec.layers) {
    l.qk_norm = true;
    if (l.is_global())
      l.rope.linear_scale = factor;
    else
      l.rope.base = local_base;
  }
  return spec;
}

// Token ids from the metadata, with llama.cpp's end-of-turn as a stop id.
absl::Status SetSpecialIds(const GgufFile &file, ModelSpec &spec) {
  uint64_t bos = 2, eos = 1;
  GEMMA_ASSIGN(bos, file.GetUnsignedOr("tokenizer.ggml.bos_token_id", 2));
  GEMMA_ASSIGN(eos, file.GetUnsignedOr("tokenizer.ggml.eos_token_id", 1));
  if (bos >= spec.vocab_size || eos >= spec.vocab_size)
    return Fail(file, fmt::format("special token ids {} and {} lie outside "
                                  "the vocabulary of {}",
                                  bos, eos, spec.vocab_size));
  spec.bos_id = int32_t(bos);
  spec.eos_ids = {int32_t(eos)};
  spec.chat = ChatFormat::kNone;
  if (const Value *tokens = file.Find("tokenizer.ggml.tokens");
      tokens && tokens->element == ValueType::kString) {
    for (size_t id = 0; id < tokens->strings.size(); ++id) {
      // Gemma 1-3 end a turn with <end_of_turn>, Gemma 4 with <turn|>.
      const std::string_view piece = tokens->strings[id];
      if ((piece == "<end_of_turn>" || piece == "<turn|>") &&
          int32_t(id) != spec.eos_ids[0])
        spec.eos_ids.push_back(int32_t(id));
    }
  }
  // Pretrained checkpoints ship no chat template: their prompts are BOS +
  // text, as llama.cpp and Hugging Face give them.
  if (const Value *chat = file.Find("tokenizer.chat_template");
      chat && chat->type == ValueType::kString) {
    if (chat->s.find("<start_of_turn>") != std::string_view::npos)
      spec.chat = ChatFormat::kGemma;
    else if (chat->s.find("<|turn>") != std::string_view::npos)
      spec.chat = ChatFormat::kGemma4;
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelFile> ModelOf(absl::StatusOr<GgufFile> opened) {
  if (!opened.ok())
    return opened.status();
  auto storage =
      std::make_shared<GgufStorage>(GgufStorage{*std::move(opened), {}});
  const GgufFile &file = storage->file;

  ModelFile model;
  GEMMA_ASSIGN(model.spec, SpecOf(file));
  model.format = "gguf";
  model.source = file.name();
  model.file_bytes = file.bytes().size();
  model.fingerprint = Fingerprint(file.bytes().first(file.data_offset()));
  for (const gguf::Tensor &t : file.tensors()) {
    std::optional<StoredType> type = FromGgmlType(t.ggml_type);
    if (!type) {
      const GgmlTypeInfo *info = GgmlTypeOf(t.ggml_type);
      return Fail(
          file, fmt::format("tensor '{}' is stored as {}, which is not "
                            "supported yet (F32, F16, BF16, Q4_0, Q4_1, Q5_0, "
                            "Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K are)",
                            t.name, info ? info->name : "an unknown type"));
    }
    WeightTensor w;
    w.name = t.name;
    w.type = *type;
    w.cols = t.ne[0];
    w.rows = t.elements() / t.ne[0];
    w.bytes = t.bytes;
    model.tensors[t.name] = w;
  }
  const WeightTensor *embedding = model.Find("token_embd.weight");
  if (!embedding)
    return Fail(file, "tensor 'token_embd.weight' is required but not in the "
                      "file");
  if (embedding->cols != model.spec.model_dim)
    return Fail(file, fmt::format("tensor 'token_embd.weight' rows hold {} "
                                  "values, the embedding length is {}",
                                  embedding->cols, model.spec.model_dim));
  if (model.Find("output.weight"))
    return Fail(file, "not supported yet: a separate 'output.weight' (Gemma "
                      "ties its logits to the embedding)");
  model.spec.vocab_size = uint32_t(embedding->rows);
  if (absl::Status s = SetSpecialIds(file, model.spec); !s.ok())
    return s;
  if (absl::Status s = ValidateModelSpec(model.spec); !s.ok())
    return Fail(file, std::string(s.message()));
  if (file.Find("tokenizer.ggml.tokens")) {
    GEMMA_ASSIGN(storage->tokenizer, GgufTokenizerProto(file));
    model.tokenizer =
        std::span(reinterpret_cast<const uint8_t *>(storage->tokenizer.data()),
                  storage->tokenizer.size());
  }
  model.storage = storage;
  return model;
}

} // namespace

absl::StatusOr<std::string> GgufTokenizerProto(const GgufFile &file) {
  std::string_view kind;
  GEMMA_ASSIGN(kind, file.GetString("tokenizer.ggml.model"));
  if (kind == "gemma4")
    return Gemma4GgufTokenizerProto(file);
  if (kind != "llama")
    return Fail(file, fmt::format("tokenizer model '{}' is not supported "
                                  "(Gemma files use 'llama', SentencePiece, "
                                  "or 'gemma4', BPE with merges)",
                                  kind));
  GgufVocabulary vocab;
  GEMMA_ASSIGN(vocab, ReadGgufVocabulary(file, /*unknown_in_vocab=*/true));
  const Value *scores = nullptr;
  GEMMA_ASSIGN(scores, file.GetArray("tokenizer.ggml.scores", ValueType::kF32,
                                     vocab.pieces.size()));
  for (size_t id = 0; id < vocab.pieces.size(); ++id)
    vocab.pieces[id].score = float(gguf::ArrayFloat(*scores, id));
  SentencePieceModel model;
  model.pieces = std::move(vocab.pieces);
  return SerializeBpeModel(std::move(model), vocab.options);
}

absl::StatusOr<GgufVocabulary> ReadGgufVocabulary(const GgufFile &file,
                                                  bool unknown_in_vocab) {
  const Value *tokens = file.Find("tokenizer.ggml.tokens");
  if (!tokens || tokens->type != ValueType::kArray ||
      tokens->element != ValueType::kString)
    return Fail(file, "metadata 'tokenizer.ggml.tokens' must be an array of "
                      "strings");
  const uint64_t n = tokens->count;
  const Value *types = nullptr;
  GEMMA_ASSIGN(types,
               file.GetArray("tokenizer.ggml.token_type", ValueType::kI32, n));
  GgufVocabulary vocab;
  BpeModelOptions &o = vocab.options;
  GEMMA_ASSIGN(o.bos_id, file.GetUnsignedOr("tokenizer.ggml.bos_token_id", 2));
  GEMMA_ASSIGN(o.eos_id, file.GetUnsignedOr("tokenizer.ggml.eos_token_id", 1));
  GEMMA_ASSIGN(o.pad_id,
               file.GetUnsignedOr("tokenizer.ggml.padding_token_id", 0));
  if (unknown_in_vocab) {
    GEMMA_ASSIGN(o.unk_id,
                 file.GetUnsignedOr("tokenizer.ggml.unknown_token_id", 3));
    if (o.unk_id >= n || o.bos_id >= n || o.eos_id >= n || o.pad_id >= n)
      return Fail(file, fmt::format("special token ids (unk {}, bos {}, eos "
                                    "{}, pad {}) must lie in the vocabulary "
                                    "of {}",
                                    o.unk_id, o.bos_id, o.eos_id, o.pad_id, n));
  } else if (o.bos_id >= n || o.eos_id >= n || o.pad_id >= n) {
    return Fail(file, fmt::format("special token ids (bos {}, eos {}, pad {}) "
                                  "must lie in the vocabulary of {}",
                                  o.bos_id, o.eos_id, o.pad_id, n));
  }
  if (file.Find("tokenizer.ggml.add_space_prefix"))
    GEMMA_ASSIGN(o.add_dummy_prefix,
                 file.GetBool("tokenizer.ggml.add_space_prefix"));
  vocab.pieces.resize(static_cast<size_t>(n));
  for (uint64_t id = 0; id < n; ++id) {
    SentencePieceEntry &e = vocab.pieces[id];
    e.piece = std::string(tokens->strings[id]);
    const int64_t type = gguf::ArrayInt(*types, id);
    if (type < 1 || type > 6)
      return Fail(file, fmt::format("token {} has type {} (1 to 6 expected)",
                                    id, type));
    e.type = static_cast<PieceType>(type);
    // SentencePiece needs exactly one unknown piece; converters often mark
    // it as a control token.
    if (unknown_in_vocab && id == o.unk_id)
      e.type = PieceType::kUnknown;
    else if (e.type == PieceType::kUnknown)
      e.type = PieceType::kControl;
    // llama.cpp and Hugging Face match special tokens (<start_of_turn>, ...)
    // in the text; SentencePiece matches only user-defined pieces, never
    // control ones. Only the sequence markers stay control pieces.
    if (e.type == PieceType::kControl && id != o.bos_id && id != o.eos_id &&
        id != o.pad_id)
      e.type = PieceType::kUserDefined;
  }
  return vocab;
}

absl::StatusOr<ModelFile> LoadGgufModel(const std::string &path) {
  return ModelOf(GgufFile::Open(path));
}

absl::StatusOr<ModelFile> LoadGgufModelFromBytes(std::span<const uint8_t> bytes,
                                                 const std::string &name) {
  return ModelOf(GgufFile::FromBytes(bytes, name));
}

absl::Status RequireGgufTensor(const ModelFile &model, const std::string &name,
                               uint64_t rows, uint64_t cols) {
  const WeightTensor *t = model.Find(name);
  if (!t)
    return absl::InvalidArgumentError(fmt::format(
        "{}: tensor '{}' is required but not in the file", model.source, name));
  if (t->rows != rows || t->cols != cols)
    return absl::InvalidArgumentError(fmt::format(
        "{}: tensor '{}' is {} x {}, the hyperparameters imply {} x {}",
        model.source, name, t->rows, t->cols, rows, cols));
  return absl::OkStatus();
}

absl::StatusOr<ModelWeights> GgufModelWeights(const ModelFile &model) {
  const ModelSpec &spec = model.spec;
  if (spec.generation == Generation::kGemma4)
    return Gemma4GgufWeights(model);
  ModelWeights weights;
  weights.tensors = TensorInfos(model);
  auto require = [&](const std::string &name, uint64_t rows, uint64_t cols) {
    return RequireGgufTensor(model, name, rows, cols);
  };
  const uint64_t d = spec.model_dim;
  weights.embedding = "token_embd.weight";
  weights.final_norm = "output_norm.weight";
  if (absl::Status s = require(weights.final_norm, 1, d); !s.ok())
    return s;
  for (uint32_t l = 0; l < spec.num_layers(); ++l) {
    const LayerSpec &layer = spec.layers[l];
    auto name = [&](std::string_view base) {
      return fmt::format("blk.{}.{}.weight", l, base);
    };
    const uint64_t q = uint64_t(layer.heads) * layer.head_dim,
                   kv = uint64_t(layer.kv_heads) * layer.head_dim;
    LayerWeights w;
    const std::tuple<WeightRef *, const char *, uint64_t, uint64_t> matrices[] =
        {{&w.q, "attn_q", q, d},
         {&w.k, "attn_k", kv, d},
         {&w.v, "attn_v", kv, d},
         {&w.out, "attn_output", d, q},
         {&w.gate, "ffn_gate", layer.ff_hidden, d},
         {&w.up, "ffn_up", layer.ff_hidden, d},
         {&w.down, "ffn_down", d, layer.ff_hidden}};
    for (const auto &[ref, base, rows, cols] : matrices) {
      ref->tensor = name(base);
      if (absl::Status s = require(ref->tensor, rows, cols); !s.ok())
        return s;
    }
    std::vector<std::tuple<std::string *, const char *, uint64_t>> norms = {
        {&w.pre_attn_norm, "attn_norm", d}, {&w.pre_ffw_norm, "ffn_norm", d}};
    if (layer.post_norms) {
      norms.emplace_back(&w.post_attn_norm, "post_attention_norm", d);
      norms.emplace_back(&w.post_ffw_norm, "post_ffw_norm", d);
    }
    if (layer.qk_norm) {
      norms.emplace_back(&w.query_norm, "attn_q_norm", layer.head_dim);
      norms.emplace_back(&w.key_norm, "attn_k_norm", layer.head_dim);
    }
    for (const auto &[slot, base, width] : norms) {
      *slot = name(base);
      if (absl::Status s = require(*slot, 1, width); !s.ok())
        return s;
    }
    weights.layers.push_back(std::move(w));
  }
  return weights;
}

} // namespace gemma
