//===- HfCheckpoint.cpp - A Hugging Face checkpoint directory -------------===//

#include "runtime/formats/hf/HfCheckpoint.h"
#include "runtime/formats/hf/HfVision.h"

#include "runtime/formats/MappedFile.h"
#include "runtime/formats/hf/HfConfig.h"
#include "runtime/formats/hf/HfTokenizer.h"
#include "runtime/formats/hf/SafetensorsFile.h"

#include "absl/status/status.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

namespace gemma {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What a loaded checkpoint keeps alive: the mapped shards (the tensors view
// them) and the converted tokenizer.
struct HfStorage {
  std::vector<hf::SafetensorsFile> shards;
  std::string tokenizer;
  // Tensors the loader lays out anew (the projector's transpose).
  std::vector<std::vector<uint8_t>> made;
};

// Where the language model's tensors live: text-only checkpoints use
// "model.", multimodal ones nest it (the spelling changed across
// transformers versions).
constexpr const char *kPrefixes[] = {"model.language_model.",
                                     "language_model.model.", "model."};

absl::Status Fail(const std::string &where, const std::string &what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", where, what));
}

absl::StatusOr<std::string> ReadText(const fs::path &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> file =
      MappedFile::Open(path.string());
  if (!file.ok())
    return file.status();
  std::span<const uint8_t> bytes = (*file)->bytes();
  return std::string(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size());
}

// The shard files: model.safetensors, or those the index lists (each
// tensor's shard recorded, to check the shards agree with it).
absl::StatusOr<std::vector<std::string>>
ShardNames(const fs::path &dir, std::map<std::string, std::string> *owner) {
  const fs::path index = dir / "model.safetensors.index.json";
  if (!fs::exists(index)) {
    if (!fs::exists(dir / "model.safetensors"))
      return Fail(dir.string(), "no model.safetensors and no "
                                "model.safetensors.index.json");
    return std::vector<std::string>{"model.safetensors"};
  }
  std::string text;
  {
    absl::StatusOr<std::string> read = ReadText(index);
    if (!read.ok())
      return read.status();
    text = *std::move(read);
  }
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object() ||
      !root.contains("weight_map") || !root["weight_map"].is_object())
    return Fail(index.string(), "needs a 'weight_map' object");
  std::set<std::string> files;
  for (const auto &[tensor, file] : root["weight_map"].items()) {
    if (!file.is_string())
      return Fail(index.string(),
                  fmt::format("the shard of '{}' is not a file name", tensor));
    const std::string name = file.get<std::string>();
    // Shards sit beside the index: no paths.
    if (name.empty() || name.find('/') != std::string::npos || name == "." ||
        name == "..")
      return Fail(index.string(),
                  fmt::format("shard '{}' is not a file name in the "
                              "checkpoint directory",
                              name));
    files.insert(name);
    (*owner)[tensor] = name;
  }
  if (files.empty())
    return Fail(index.string(), "the weight map is empty");
  return std::vector<std::string>(files.begin(), files.end());
}

// The chat format the checkpoint's template uses, if it ships one.
ChatFormat ChatFormatOf(const fs::path &dir) {
  for (const char *file : {"chat_template.jinja", "tokenizer_config.json"}) {
    absl::StatusOr<std::string> text = ReadText(dir / file);
    if (!text.ok())
      continue;
    if (text->find("<|turn>") != std::string::npos)
      return ChatFormat::kGemma4;
    if (text->find("<start_of_turn>") != std::string::npos)
      return ChatFormat::kGemma;
  }
  return ChatFormat::kNone;
}

// generation_config.json's eos ids (an -it model's end-of-turn) join the
// config's.
void AddGenerationEos(const fs::path &dir, ModelSpec &spec) {
  absl::StatusOr<std::string> text = ReadText(dir / "generation_config.json");
  if (!text.ok())
    return;
  json root = json::parse(*text, nullptr, false);
  if (root.is_discarded() || !root.is_object() ||
      !root.contains("eos_token_id"))
    return;
  const json &eos = root["eos_token_id"];
  for (const json &id : eos.is_array() ? eos : json::array({eos}))
    if (id.is_number_unsigned() && id.get<uint64_t>() < spec.vocab_size &&
        std::find(spec.eos_ids.begin(), spec.eos_ids.end(),
                  int32_t(id.get<uint64_t>())) == spec.eos_ids.end())
      spec.eos_ids.push_back(int32_t(id.get<uint64_t>()));
}

std::string ModelName(const fs::path &dir) {
  std::string name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty())
    name = "checkpoint";
  for (char &c : name)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string LanguageModelPrefix(const ModelFile &model) {
  for (const char *prefix : kPrefixes)
    if (model.Find(std::string(prefix) + "embed_tokens.weight"))
      return prefix;
  return "";
}

// The vision tower's spec, and the transposed copy of the projector's
// matrix its builder reads.
absl::Status AddVision(const fs::path &dir, const std::string &config_text,
                       ModelFile &model, HfStorage &storage) {
  std::string preprocessor;
  if (fs::exists(dir / "preprocessor_config.json")) {
    absl::StatusOr<std::string> read =
        ReadText(dir / "preprocessor_config.json");
    if (!read.ok())
      return read.status();
    preprocessor = *std::move(read);
  }
  // A tower this importer does not read (Gemma 4's) or refuses does not
  // stop the text model: images are refused with the reason.
  absl::StatusOr<std::optional<VisionSpec>> vision =
      hf::ParseHfVision(config_text, preprocessor, model.spec.model_dim,
                        (dir / "config.json").string(), &model.vision_error);
  if (!vision.ok()) {
    model.vision_error = std::string(vision.status().message());
    return absl::OkStatus();
  }
  model.vision = *std::move(vision);
  if (!model.vision)
    return absl::OkStatus();
  model.vision_format = "hf";
  for (const char *prefix :
       {"multi_modal_projector.", "model.multi_modal_projector."}) {
    const WeightTensor *t =
        model.Find(std::string(prefix) + "mm_input_projection_weight");
    if (!t)
      continue;
    absl::StatusOr<std::vector<uint8_t>> transposed_bytes = TransposedBytes(*t);
    if (!transposed_bytes.ok())
      return Fail(model.source,
                  std::string(transposed_bytes.status().message()));
    std::vector<uint8_t> &bytes =
        storage.made.emplace_back(*std::move(transposed_bytes));
    WeightTensor transposed = *t;
    transposed.name = TransposedProjectionName(t->name);
    transposed.rows = t->cols;
    transposed.cols = t->rows;
    transposed.bytes = bytes;
    model.tensors.emplace(transposed.name, transposed);
    break;
  }
  return absl::OkStatus();
}

} // namespace

bool IsHfCheckpointPath(const std::string &path) {
  std::error_code error;
  return fs::is_directory(path, error) ||
         fs::path(path).filename() == "config.json";
}

absl::StatusOr<ModelFile> LoadHfCheckpoint(const std::string &path) {
  const fs::path dir =
      fs::is_directory(path) ? fs::path(path) : fs::path(path).parent_path();
  const fs::path config_path = dir / "config.json";
  if (!fs::exists(config_path))
    return Fail(dir.string(), "no config.json: not a Hugging Face checkpoint "
                              "directory");
  std::string config_text;
  {
    absl::StatusOr<std::string> read = ReadText(config_path);
    if (!read.ok())
      return read.status();
    config_text = *std::move(read);
  }
  absl::StatusOr<ModelSpec> spec =
      hf::ParseHfConfig(config_text, config_path.string());
  if (!spec.ok())
    return spec.status();

  ModelFile model;
  model.spec = *std::move(spec);
  model.spec.name = ModelName(dir);
  model.format = "hf";
  model.source = dir.string();
  auto storage = std::make_shared<HfStorage>();
  std::map<std::string, std::string> owner;
  absl::StatusOr<std::vector<std::string>> shards = ShardNames(dir, &owner);
  if (!shards.ok())
    return shards.status();
  // The fingerprint covers the config and every tensor's name, type, shape
  // and place (not every weight value, as for the other formats).
  std::string identity = config_text;
  model.file_bytes = config_text.size();
  for (const std::string &shard : *shards) {
    absl::StatusOr<hf::SafetensorsFile> file =
        hf::SafetensorsFile::Open((dir / shard).string());
    if (!file.ok())
      return file.status();
    model.file_bytes += file->size();
    for (const auto &[name, tensor] : file->tensors()) {
      if (!owner.empty() && owner[name] != shard)
        return Fail(file->name(),
                    fmt::format("tensor '{}' is here but the index puts it "
                                "in '{}'",
                                name, owner[name]));
      if (model.tensors.contains(name))
        return Fail(file->name(),
                    fmt::format("tensor '{}' is in two shards", name));
      WeightTensor w;
      w.name = name;
      w.type = tensor.type;
      w.cols = tensor.shape.empty() ? 1 : tensor.shape.back();
      // A convolution kernel [out, channels, kh, kw] is the [out, channels
      // * kh * kw] matrix a matmul over unfolded patches reads.
      if (tensor.shape.size() == 4)
        w.cols = tensor.shape[1] * tensor.shape[2] * tensor.shape[3];
      w.rows = w.cols ? tensor.elements() / w.cols : 0;
      w.bytes = tensor.bytes;
      model.tensors.emplace(name, w);
      identity += fmt::format("\n{} {} {}x{} {}", name, int(w.type), w.rows,
                              w.cols, tensor.offset);
    }
    storage->shards.push_back(*std::move(file));
  }
  for (const auto &[name, shard] : owner)
    if (!model.tensors.contains(name))
      return Fail(dir.string(), fmt::format("the index lists '{}' in '{}', "
                                            "which does not hold it",
                                            name, shard));
  model.fingerprint = Fingerprint(std::span(
      reinterpret_cast<const uint8_t *>(identity.data()), identity.size()));

  const std::string prefix = LanguageModelPrefix(model);
  if (prefix.empty())
    return Fail(dir.string(), "no embed_tokens.weight under model., "
                              "model.language_model. or "
                              "language_model.model.");
  const WeightTensor *embedding = model.Find(prefix + "embed_tokens.weight");
  if (embedding->rows != model.spec.vocab_size ||
      embedding->cols != model.spec.model_dim)
    return Fail(dir.string(),
                fmt::format("embed_tokens is {} x {}, config.json implies "
                            "{} x {}",
                            embedding->rows, embedding->cols,
                            model.spec.vocab_size, model.spec.model_dim));

  if (fs::exists(dir / "tokenizer.json")) {
    absl::StatusOr<std::string> proto =
        HfTokenizerFileToSentencePiece((dir / "tokenizer.json").string());
    if (!proto.ok())
      return proto.status();
    storage->tokenizer = *std::move(proto);
    model.tokenizer =
        std::span(reinterpret_cast<const uint8_t *>(storage->tokenizer.data()),
                  storage->tokenizer.size());
  }
  model.spec.chat = ChatFormatOf(dir);
  AddGenerationEos(dir, model.spec);
  if (absl::Status s = AddVision(dir, config_text, model, *storage); !s.ok())
    return s;
  model.storage = storage;
  return model;
}

absl::StatusOr<ModelWeights> HfModelWeights(const ModelFile &model) {
  const ModelSpec &spec = model.spec;
  ModelWeights weights;
  weights.tensors = TensorInfos(model);
  const std::string prefix = LanguageModelPrefix(model);
  std::set<std::string> used;
  auto require = [&](const std::string &name, uint64_t rows,
                     uint64_t cols) -> absl::Status {
    const WeightTensor *t = model.Find(name);
    if (!t)
      return Fail(model.source,
                  fmt::format("tensor '{}' is required but not in the "
                              "checkpoint",
                              name));
    if (t->rows != rows || t->cols != cols)
      return Fail(model.source,
                  fmt::format("tensor '{}' is {} x {}, config.json implies "
                              "{} x {}",
                              name, t->rows, t->cols, rows, cols));
    used.insert(name);
    return absl::OkStatus();
  };
  const uint64_t d = spec.model_dim;
  weights.embedding = prefix + "embed_tokens.weight";
  weights.final_norm = prefix + "norm.weight";
  if (absl::Status s = require(weights.embedding, spec.vocab_size, d); !s.ok())
    return s;
  if (absl::Status s = require(weights.final_norm, 1, d); !s.ok())
    return s;
  const uint64_t ple = spec.ple_dim, layers = spec.num_layers();
  if (ple) {
    weights.ple_table = prefix + "embed_tokens_per_layer.weight";
    weights.ple_projection = prefix + "per_layer_model_projection.weight";
    weights.ple_projection_norm = prefix + "per_layer_projection_norm.weight";
    for (const auto &[name, rows, cols] :
         {std::tuple{weights.ple_table, uint64_t(spec.vocab_size),
                     layers * ple},
          std::tuple{weights.ple_projection, layers * ple, d},
          std::tuple{weights.ple_projection_norm, uint64_t(1), ple}})
      if (absl::Status s = require(name, rows, cols); !s.ok())
        return s;
  }
  const bool gemma1 = spec.generation == Generation::kGemma1;
  for (uint32_t l = 0; l < spec.num_layers(); ++l) {
    const LayerSpec &layer = spec.layers[l];
    auto name = [&](std::string_view base) {
      return fmt::format("{}layers.{}.{}.weight", prefix, l, base);
    };
    const uint64_t q = uint64_t(layer.heads) * layer.head_dim,
                   kv = uint64_t(layer.kv_heads) * layer.head_dim;
    LayerWeights w;
    const std::tuple<WeightRef *, const char *, uint64_t, uint64_t> matrices[] =
        {{&w.q, "self_attn.q_proj", q, d},
         {&w.k, "self_attn.k_proj", kv, d},
         {&w.v, "self_attn.v_proj", kv, d},
         {&w.out, "self_attn.o_proj", d, q},
         {&w.gate, "mlp.gate_proj", layer.ff_hidden, d},
         {&w.up, "mlp.up_proj", layer.ff_hidden, d},
         {&w.down, "mlp.down_proj", d, layer.ff_hidden}};
    for (const auto &[ref, base, rows, cols] : matrices) {
      // K=V layers have no value projection (the raw key is the value);
      // layers that share a cache have neither.
      const bool shares = layer.kv_source_layer >= 0;
      if ((ref == &w.v && (layer.k_eq_v || shares)) || (ref == &w.k && shares))
        continue;
      ref->tensor = name(base);
      if (absl::Status s = require(ref->tensor, rows, cols); !s.ok())
        return s;
    }
    // Gemma 1 has no sandwich norms: its post_attention_layernorm is the
    // norm before the MLP.
    std::vector<std::tuple<std::string *, const char *, uint64_t>> norms = {
        {&w.pre_attn_norm, "input_layernorm", d}};
    if (gemma1) {
      norms.emplace_back(&w.pre_ffw_norm, "post_attention_layernorm", d);
    } else {
      norms.emplace_back(&w.pre_ffw_norm, "pre_feedforward_layernorm", d);
      norms.emplace_back(&w.post_attn_norm, "post_attention_layernorm", d);
      norms.emplace_back(&w.post_ffw_norm, "post_feedforward_layernorm", d);
    }
    if (layer.qk_norm) {
      norms.emplace_back(&w.query_norm, "self_attn.q_norm", layer.head_dim);
      if (layer.kv_source_layer < 0)
        norms.emplace_back(&w.key_norm, "self_attn.k_norm", layer.head_dim);
    }
    for (const auto &[slot, base, width] : norms) {
      *slot = name(base);
      if (absl::Status s = require(*slot, 1, width); !s.ok())
        return s;
    }
    if (layer.num_experts) {
      const uint64_t e = layer.num_experts, f = layer.expert_ff_hidden;
      // The expert tensors and router scales are saved without ".weight".
      auto bare = [&](std::string_view base) {
        return fmt::format("{}layers.{}.{}", prefix, l, base);
      };
      w.moe_router = name("router.proj");
      w.moe_router_scale = bare("router.scale");
      w.moe_expert_scale = bare("router.per_expert_scale");
      w.moe_gate_up = bare("experts.gate_up_proj");
      w.moe_down = bare("experts.down_proj");
      w.pre_moe_norm = name("pre_feedforward_layernorm_2");
      w.post_dense_norm = name("post_feedforward_layernorm_1");
      w.post_moe_norm = name("post_feedforward_layernorm_2");
      for (const auto &[slot, rows, cols] :
           {std::tuple{&w.moe_router, e, d},
            std::tuple{&w.moe_router_scale, uint64_t(1), d},
            std::tuple{&w.moe_expert_scale, uint64_t(1), e},
            std::tuple{&w.moe_gate_up, e * 2 * f, d},
            std::tuple{&w.moe_down, e * d, f},
            std::tuple{&w.pre_moe_norm, uint64_t(1), d},
            std::tuple{&w.post_dense_norm, uint64_t(1), d},
            std::tuple{&w.post_moe_norm, uint64_t(1), d}})
        if (absl::Status s = require(*slot, rows, cols); !s.ok())
          return s;
    }
    if (ple) {
      w.ple_gate = name("per_layer_input_gate");
      w.ple_proj = name("per_layer_projection");
      w.ple_norm = name("post_per_layer_input_norm");
      for (const auto &[slot, rows, cols] :
           {std::tuple{&w.ple_gate, ple, d}, std::tuple{&w.ple_proj, d, ple},
            std::tuple{&w.ple_norm, uint64_t(1), d}})
        if (absl::Status s = require(*slot, rows, cols); !s.ok())
          return s;
    }
    if (spec.layer_scalar) {
      // A persistent buffer, saved without a ".weight" suffix.
      w.layer_scalar = fmt::format("{}layers.{}.layer_scalar", prefix, l);
      if (absl::Status s = require(w.layer_scalar, 1, 1); !s.ok())
        return s;
    }
    weights.layers.push_back(std::move(w));
  }
  // A language-model tensor nothing reads belongs to a feature this
  // importer does not build: refuse rather than run without it.
  for (const auto &[name, tensor] : model.tensors) {
    const bool language_model = name.starts_with(prefix);
    const bool tied_copy = name == "lm_head.weight";
    if (language_model && !tied_copy && !used.contains(name))
      return Fail(model.source,
                  fmt::format("tensor '{}' is not used by this importer (a "
                              "feature it does not support?)",
                              name));
  }
  return weights;
}

} // namespace gemma
