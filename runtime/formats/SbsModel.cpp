//===- SbsModel.cpp - gemma.cpp configs to and from ModelSpec -------------===//

#include "runtime/formats/SbsModel.h"

#include "runtime/formats/synth/Presets.h"

#include <fmt/format.h>

#include <cmath>

namespace gemma {
namespace {

using sbs::Model;

std::optional<Generation> GenerationOfModel(Model model) {
  switch (model) {
  case Model::kGemma2_2B:
  case Model::kGemma2_9B:
  case Model::kGemma2_27B:
  case Model::kPaliGemma2_3B_224:
  case Model::kPaliGemma2_3B_448:
  case Model::kPaliGemma2_10B_224:
  case Model::kPaliGemma2_10B_448:
    return Generation::kGemma2;
  case Model::kGemma3_270M:
  case Model::kGemma3_1B:
  case Model::kGemma3_4B:
  case Model::kGemma3_12B:
  case Model::kGemma3_27B:
  case Model::kGemma3_4B_LM:
  case Model::kGemma3_12B_LM:
  case Model::kGemma3_27B_LM:
    return Generation::kGemma3;
  case Model::kGemma4_26B_MoE:
  case Model::kGemma4_E2B:
  case Model::kGemma4_E2B_LM:
  case Model::kGemma4_E4B:
  case Model::kGemma4_E4B_LM:
    return Generation::kGemma4;
  default:
    return std::nullopt;
  }
}

// Gemma 3 4B, 12B and 27B scale global RoPE angles by 1/8
// (docs/gemma-math.md 3.2).
bool HasLinearGlobalRope(Model model) {
  return model == Model::kGemma3_4B || model == Model::kGemma3_12B ||
         model == Model::kGemma3_27B || model == Model::kGemma3_4B_LM ||
         model == Model::kGemma3_12B_LM || model == Model::kGemma3_27B_LM;
}

// The model enum a file of `spec` names: released shapes get their own,
// everything else CUSTOM (or the closest enum a 2025 gemma.cpp accepts for
// Gemma 2/3 shapes, since its loader trusts the config's dimensions).
Model ModelForSpec(const ModelSpec &spec) {
  static const std::map<std::string, Model> kReleased = {
      {"gemma2-2b", Model::kGemma2_2B},
      {"gemma2-9b", Model::kGemma2_9B},
      {"gemma2-27b", Model::kGemma2_27B},
      {"gemma3-270m", Model::kGemma3_270M},
      {"gemma3-1b", Model::kGemma3_1B},
      {"gemma3-4b", Model::kGemma3_4B},
      {"gemma3-12b", Model::kGemma3_12B},
      {"gemma3-27b", Model::kGemma3_27B},
      {"gemma4-e2b", Model::kGemma4_E2B_LM},
      {"gemma4-e4b", Model::kGemma4_E4B_LM},
      {"gemma4-26b-a4b", Model::kGemma4_26B_MoE}};
  if (auto it = kReleased.find(spec.name); it != kReleased.end())
    return it->second;
  switch (spec.generation) {
  case Generation::kGemma2:
    return Model::kGemma2_2B;
  case Generation::kGemma3:
    return Model::kGemma3_1B;
  default:
    return Model::kCustom;
  }
}

absl::Status NotRepresentable(const ModelSpec &spec, std::string what) {
  return absl::InvalidArgumentError(
      fmt::format("{}: a gemma.cpp config cannot describe this model: {}",
                  spec.name, what));
}

} // namespace

absl::StatusOr<ModelSpec> SpecFromSbsConfig(const sbs::ModelConfig &config) {
  const bool ours = config.gc_generation != 0;
  std::optional<Generation> generation =
      ours ? std::optional(static_cast<Generation>(config.gc_generation))
           : GenerationOfModel(config.model);
  if (!generation && config.model == Model::kCustom &&
      config.model_family_version == 4)
    generation = Generation::kGemma4;
  if (!generation)
    return absl::InvalidArgumentError(fmt::format(
        "config: model {} ({}) is not a Gemma text decoder this compiler "
        "supports",
        static_cast<uint32_t>(config.model), sbs::ModelName(config.model)));

  ModelSpec spec;
  spec.name = config.display_name.empty()
                  ? std::string(sbs::ModelName(config.model))
                  : config.display_name;
  spec.generation = *generation;
  spec.model_dim = config.model_dim;
  spec.vocab_size = config.vocab_size;
  spec.max_context = config.max_seq_len;
  spec.embed_scale = EmbedScaleFor(config.model_dim);
  const bool gemma4 = *generation == Generation::kGemma4;
  spec.norm_scale = (ours ? config.gc_norm_plain != 0 : gemma4)
                        ? NormScale::kPlain
                        : NormScale::kPlusOne;
  spec.attn_softcap = config.att_cap;
  // gemma.cpp's 2026 Gemma 4 configs say 0; the reference caps at 30.
  spec.final_softcap = ours || !gemma4 ? config.final_cap : 30.0f;
  spec.layer_scalar = ours ? config.gc_layer_scalar : gemma4;
  spec.ple_dim = config.ple_dim;
  spec.eos_ids = {config.eos_id};
  if (config.secondary_eos_id != config.eos_id)
    spec.eos_ids.push_back(config.secondary_eos_id);
  spec.chat = config.wrapping == sbs::PromptWrapping::kGemmaPT
                  ? ChatFormat::kNone
              : gemma4 ? ChatFormat::kGemma4
                       : ChatFormat::kGemma;

  // RoPE: the file's bases when we wrote it, else the reference values.
  RopeSpec local{ours ? config.rope_theta : 10000.0, 1.0, 1.0};
  RopeSpec global = local;
  if (ours) {
    global = {config.global_rope_theta, config.gc_global_rope_linear_scale,
              config.partial_rotary_factor};
  } else if (*generation != Generation::kGemma2) {
    global.base = 1e6;
    global.linear_scale = HasLinearGlobalRope(config.model) ? 8.0 : 1.0;
    global.fraction = gemma4 ? config.partial_rotary_factor : 1.0;
  }

  for (size_t i = 0; i < config.layer_configs.size(); ++i) {
    const sbs::LayerConfig &in = config.layer_configs[i];
    LayerSpec layer;
    bool is_global = config.attention_window_sizes[i] >= config.max_seq_len;
    layer.window = is_global ? 0 : config.attention_window_sizes[i];
    layer.heads = in.heads;
    layer.kv_heads = in.kv_heads;
    layer.head_dim = in.qkv_dim;
    layer.ff_hidden = in.ff_hidden_dim;
    layer.rope = is_global ? global : local;
    switch (config.query_scale) {
    case sbs::QueryScaleType::kSqrtKeySize:
      // The reference scales Gemma 3 27B by (d/H)^-1/2 = 168^-1/2; gemma.cpp's
      // canonical config says 1/sqrt(qkv_dim) (docs/formats/sbs.md 4.4).
      if (!ours && (config.model == Model::kGemma3_27B ||
                    config.model == Model::kGemma3_27B_LM))
        layer.query_scale =
            1.0f / std::sqrt(static_cast<float>(config.model_dim / in.heads));
      else
        layer.query_scale = 1.0f / std::sqrt(static_cast<float>(in.qkv_dim));
      break;
    case sbs::QueryScaleType::kSqrtModelDimDivNumHeads:
      layer.query_scale =
          1.0f / std::sqrt(static_cast<float>(config.model_dim / in.heads));
      break;
    case sbs::QueryScaleType::kOne:
      layer.query_scale = 1.0f;
      break;
    }
    layer.post_norms = in.post_norm == sbs::PostNormType::kScale;
    layer.qk_norm = in.use_qk_norm;
    layer.value_norm = in.norm_v || (!ours && gemma4);
    layer.k_eq_v = is_global && ours && config.gc_global_k_eq_v;
    layer.kv_source_layer = in.kv_share_layer_idx;
    layer.num_experts = in.num_experts;
    layer.experts_per_token = in.num_experts_per_datapoint;
    if (in.num_experts != 0)
      layer.expert_ff_hidden = ours ? config.gc_expert_ff_hidden
                               : config.model == Model::kGemma4_26B_MoE
                                   ? 704
                                   : in.ff_hidden_dim;
    spec.layers.push_back(layer);
  }
  if (absl::Status status = ValidateModelSpec(spec); !status.ok())
    return absl::InvalidArgumentError(
        fmt::format("config: {}", std::string(status.message())));
  return spec;
}

absl::StatusOr<sbs::ModelConfig> SbsConfigFromSpec(const ModelSpec &spec,
                                                   StoredType weight) {
  if (absl::Status status = ValidateModelSpec(spec); !status.ok())
    return status;
  sbs::ModelConfig config;
  const bool gemma4 = spec.generation == Generation::kGemma4;
  config.model_family_version = gemma4 ? 4 : 1;
  config.display_name = spec.name;
  config.model = ModelForSpec(spec);
  config.wrapping = spec.chat == ChatFormat::kNone
                        ? sbs::PromptWrapping::kGemmaPT
                        : sbs::PromptWrapping::kGemmaIT;
  config.weight = weight;
  config.num_layers = spec.num_layers();
  config.model_dim = spec.model_dim;
  config.vocab_size = spec.vocab_size;
  config.max_seq_len = spec.max_context;
  config.att_cap = spec.attn_softcap;
  config.final_cap = spec.final_softcap;
  config.eos_id = spec.eos_ids.empty() ? 1 : spec.eos_ids[0];
  config.secondary_eos_id =
      spec.eos_ids.size() > 1 ? spec.eos_ids[1] : config.eos_id;
  if (spec.eos_ids.size() > 2)
    return NotRepresentable(spec, "more than two stop ids");
  config.scale_base_names = {"att_ein",    "qkv_ein",      "gr_lin_x_w",
                             "gr_lin_y_w", "gr_lin_out_w", "gr_gate_w",
                             "gating_ein", "linear_w"};
  config.ple_dim = spec.ple_dim;

  // One RoPE per attention type, one query-scale rule for all layers.
  const LayerSpec *first_local = nullptr, *first_global = nullptr;
  bool k_eq_v = false;
  for (const LayerSpec &layer : spec.layers) {
    const LayerSpec *&first = layer.is_global() ? first_global : first_local;
    if (!first)
      first = &layer;
    if (layer.rope.base != first->rope.base ||
        layer.rope.linear_scale != first->rope.linear_scale ||
        layer.rope.fraction != first->rope.fraction)
      return NotRepresentable(spec, "RoPE differs among layers of one type");
    if (!layer.is_global() &&
        (layer.rope.linear_scale != 1.0 || layer.rope.fraction != 1.0))
      return NotRepresentable(spec, "sliding layers with scaled RoPE");
    if (layer.k_eq_v && !layer.is_global())
      return NotRepresentable(spec, "K=V on a sliding layer");
    k_eq_v |= layer.k_eq_v;
  }
  for (const LayerSpec &layer : spec.layers)
    if (layer.is_global() && layer.k_eq_v != k_eq_v)
      return NotRepresentable(spec, "K=V on some global layers only");
  const RopeSpec local = first_local ? first_local->rope : first_global->rope;
  const RopeSpec global = first_global ? first_global->rope : local;
  config.rope_theta = static_cast<float>(local.base);
  config.global_rope_theta = static_cast<float>(global.base);
  config.use_global_timescale = global.base != local.base;
  config.partial_rotary_factor = static_cast<float>(global.fraction);

  const LayerSpec &layer0 = spec.layers[0];
  auto rule_gives = [&](sbs::QueryScaleType rule, const LayerSpec &layer) {
    switch (rule) {
    case sbs::QueryScaleType::kSqrtKeySize:
      return 1.0f / std::sqrt(static_cast<float>(layer.head_dim));
    case sbs::QueryScaleType::kSqrtModelDimDivNumHeads:
      return 1.0f / std::sqrt(static_cast<float>(spec.model_dim / layer.heads));
    case sbs::QueryScaleType::kOne:
      break;
    }
    return 1.0f;
  };
  std::optional<sbs::QueryScaleType> rule;
  for (auto candidate : {sbs::QueryScaleType::kSqrtKeySize,
                         sbs::QueryScaleType::kSqrtModelDimDivNumHeads,
                         sbs::QueryScaleType::kOne}) {
    bool fits = true;
    for (const LayerSpec &layer : spec.layers)
      fits &= rule_gives(candidate, layer) == layer.query_scale;
    if (fits && !rule)
      rule = candidate;
  }
  if (!rule)
    return NotRepresentable(
        spec, fmt::format("query scale {} is none of gemma.cpp's rules",
                          layer0.query_scale));
  config.query_scale = *rule;

  const bool gemma_cpp_2025 = spec.generation == Generation::kGemma2 ||
                              spec.generation == Generation::kGemma3;
  for (const LayerSpec &layer : spec.layers) {
    sbs::LayerConfig out;
    out.model_dim = spec.model_dim;
    out.ff_hidden_dim = layer.ff_hidden;
    out.heads = layer.heads;
    out.kv_heads = layer.kv_heads;
    out.qkv_dim = layer.head_dim;
    out.optimized_gating = spec.generation != Generation::kGemma2;
    out.post_norm =
        layer.post_norms ? sbs::PostNormType::kScale : sbs::PostNormType::kNone;
    out.use_qk_norm = layer.qk_norm;
    out.post_qk =
        gemma4 ? sbs::PostQKType::kNormLocalRope : sbs::PostQKType::kRope;
    out.norm_v = layer.value_norm;
    out.num_experts = layer.num_experts;
    out.num_experts_per_datapoint = layer.experts_per_token;
    out.ple_dim = spec.ple_dim;
    out.kv_share_layer_idx = layer.kv_source_layer;
    if (gemma_cpp_2025) {
      if (layer.value_norm || layer.num_experts || spec.ple_dim ||
          layer.kv_source_layer >= 0)
        return NotRepresentable(spec, "Gemma 4 features in a Gemma 2/3 model");
      out.write_fields = sbs::LayerConfig::kFields2025;
    }
    config.layer_configs.push_back(out);
    config.attention_window_sizes.push_back(layer.is_global() ? spec.max_context
                                                              : layer.window);
    if (!layer.is_global() && layer.window >= spec.max_context)
      return NotRepresentable(spec, "a sliding window as long as the context");
  }

  config.gc_generation = static_cast<uint32_t>(spec.generation);
  config.gc_norm_plain = spec.norm_scale == NormScale::kPlain ? 1 : 0;
  config.gc_global_rope_linear_scale = static_cast<float>(global.linear_scale);
  config.gc_global_k_eq_v = k_eq_v;
  config.gc_layer_scalar = spec.layer_scalar;
  for (const LayerSpec &layer : spec.layers)
    if (layer.num_experts)
      config.gc_expert_ff_hidden = layer.expert_ff_hidden;
  if (absl::Status status = sbs::ValidateModelConfig(config); !status.ok())
    return status;
  return config;
}

absl::StatusOr<sbs::LegacyModel>
ResolveLegacyModel(uint32_t layers, bool has_qk_norm, StoredType weight) {
  // gemma.cpp's DeduceModel table for the Gemma text models.
  const char *preset = nullptr;
  switch (layers) {
  case 18:
    preset = "gemma3-270m";
    break;
  case 26:
    preset = has_qk_norm ? "gemma3-1b" : "gemma2-2b";
    break;
  case 34:
    preset = "gemma3-4b";
    break;
  case 42:
    preset = "gemma2-9b";
    break;
  case 46:
    preset = "gemma2-27b";
    break;
  case 48:
    preset = "gemma3-12b";
    break;
  case 62:
    preset = "gemma3-27b";
    break;
  default:
    return absl::InvalidArgumentError(
        "no Gemma model has this many layers (gemma.cpp knows 18, 26, 34, "
        "42, 46, 48 and 62)");
  }
  std::optional<ModelSpec> spec = PresetSpec(preset);
  absl::StatusOr<sbs::ModelConfig> config = SbsConfigFromSpec(*spec, weight);
  if (!config.ok())
    return config.status();
  sbs::LegacyModel model;
  model.config = *std::move(config);
  // Either form of the projections: the fused one of the Kaggle files and
  // the split one gemma.cpp needs for NUQ.
  for (StoredType form : {StoredType::kSFP, StoredType::kNUQ})
    for (const TensorSlot &slot : SbsTensorTable(*spec, form))
      model.shapes[slot.name] = {static_cast<uint32_t>(slot.rows),
                                 static_cast<uint32_t>(slot.cols)};
  return model;
}

namespace {

// Blob directory, config and tensor table: what says which model the file
// holds and how its tensors are laid out.
std::string SbsFingerprint(const sbs::SbsFile &file) {
  const sbs::BlobReader &container = file.container();
  std::string identity;
  for (const sbs::BlobEntry &entry : container.entries())
    identity += fmt::format("{}:{};", entry.key, entry.size);
  for (const char *blob : {"config", "toc"})
    if (std::optional<std::span<const uint8_t>> bytes = container.Find(blob))
      identity.append(reinterpret_cast<const char *>(bytes->data()),
                      bytes->size());
  return Fingerprint(std::span(
      reinterpret_cast<const uint8_t *>(identity.data()), identity.size()));
}

absl::StatusOr<ModelFile> ModelOf(absl::StatusOr<sbs::SbsFile> opened,
                                  const std::string &path);

} // namespace

absl::StatusOr<ModelFile> LoadSbsModel(const std::string &path) {
  return ModelOf(sbs::SbsFile::Open(path, ResolveLegacyModel), path);
}

absl::StatusOr<ModelFile> LoadSbsModelFromBytes(std::span<const uint8_t> bytes,
                                                const std::string &name) {
  return ModelOf(sbs::SbsFile::FromBytes(bytes, name, ResolveLegacyModel),
                 name);
}

namespace {

absl::StatusOr<ModelFile> ModelOf(absl::StatusOr<sbs::SbsFile> opened,
                                  const std::string &path) {
  if (!opened.ok())
    return opened.status();
  auto file = std::make_shared<const sbs::SbsFile>(*std::move(opened));
  absl::StatusOr<ModelSpec> spec = SpecFromSbsConfig(file->config());
  if (!spec.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", path, std::string(spec.status().message())));

  ModelFile model;
  model.spec = *std::move(spec);
  model.file = file;
  model.storage = file;
  model.format = "sbs";
  model.source = path;
  model.file_bytes = file->container().file_bytes();
  model.fingerprint = SbsFingerprint(*file);
  model.tokenizer = file->tokenizer();
  for (const sbs::TensorRecord &record : file->tensors())
    model.tensors[record.name] = {record.name,  record.type,
                                  record.rows,  record.cols,
                                  record.scale, file->TensorBytes(record)};

  // The tensors the spec needs, with their shapes. A fused projection may
  // be stored split (and att_ein as att_w) with the same total shape.
  auto fail = [&](std::string message) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, message));
  };
  auto check = [&](const std::string &name, uint64_t rows,
                   uint64_t cols) -> absl::Status {
    const WeightTensor *t = model.Find(name);
    if (!t)
      return fail(
          fmt::format("tensor '{}' is required but not in the file", name));
    if (t->rows != rows || t->cols != cols)
      return fail(fmt::format("tensor '{}' is {} x {}, the config implies "
                              "{} x {}",
                              name, t->rows, t->cols, rows, cols));
    return absl::OkStatus();
  };
  auto has = [&](const std::string &name) {
    return model.Find(name) != nullptr;
  };
  for (const TensorSlot &slot :
       SbsTensorTable(model.spec, file->config().weight)) {
    const size_t underscore = slot.name.rfind('_');
    const std::string base = slot.name.substr(0, underscore);
    const std::string suffix = slot.name.substr(underscore);
    absl::Status status = absl::OkStatus();
    if (base == "qkv_ein" || base == "qkv1_w" || base == "qkv2_w") {
      if (base == "qkv2_w")
        continue; // checked with qkv1_w
      const LayerSpec &l = model.spec.layers[std::stoul(suffix.substr(1))];
      const uint64_t q = l.head_dim, d = model.spec.model_dim;
      if (has("qkv_ein" + suffix)) {
        status =
            check("qkv_ein" + suffix, (l.heads + 2ull * l.kv_heads) * q, d);
      } else {
        status = check("qkv1_w" + suffix, l.heads * q, d);
        if (status.ok())
          status = check("qkv2_w" + suffix, 2ull * l.kv_heads * q, d);
      }
    } else if (base == "att_ein" || base == "att_w") {
      const LayerSpec &l = model.spec.layers[std::stoul(suffix.substr(1))];
      const uint64_t d = model.spec.model_dim;
      status = has("att_ein" + suffix)
                   ? check("att_ein" + suffix, l.heads * d, l.head_dim)
                   : check("att_w" + suffix, d, uint64_t{l.heads} * l.head_dim);
    } else if (base == "gating_ein" || base == "gating1_w" ||
               base == "gating2_w") {
      if (base == "gating2_w")
        continue; // checked with gating1_w
      const LayerSpec &l = model.spec.layers[std::stoul(suffix.substr(1))];
      const uint64_t d = model.spec.model_dim;
      if (has("gating_ein" + suffix)) {
        status = check("gating_ein" + suffix, 2ull * l.ff_hidden, d);
      } else {
        status = check("gating1_w" + suffix, l.ff_hidden, d);
        if (status.ok())
          status = check("gating2_w" + suffix, l.ff_hidden, d);
      }
    } else {
      status = check(slot.name, slot.rows, slot.cols);
    }
    if (!status.ok())
      return status;
  }
  return model;
}

} // namespace

} // namespace gemma
