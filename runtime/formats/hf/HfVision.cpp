//===- HfVision.cpp - A Gemma 3 checkpoint's vision tower -----------------===//

#include "runtime/formats/hf/HfVision.h"

#include "runtime/formats/VisionRoles.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gemma::hf {
namespace {

using nlohmann::json;

absl::Status Fail(const std::string &where, const std::string &what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", where, what));
}

// The spellings transformers versions and the Hub use for the tower and the
// projector.
constexpr const char *kTowerPrefixes[] = {
    "vision_tower.vision_model.", "model.vision_tower.vision_model.",
    "vision_tower.", "model.vision_tower."};
constexpr const char *kProjectorPrefixes[] = {"multi_modal_projector.",
                                              "model.multi_modal_projector."};

// A positive integer field, or `fallback` when absent.
absl::StatusOr<int64_t> Positive(const json &object, const char *key,
                                 std::optional<int64_t> fallback,
                                 const std::string &where) {
  if (!object.contains(key) || object[key].is_null()) {
    if (fallback)
      return *fallback;
    return Fail(where, fmt::format("'{}' is missing", key));
  }
  if (!object[key].is_number_unsigned() || object[key].get<int64_t>() < 1)
    return Fail(where, fmt::format("'{}' must be a positive integer", key));
  return object[key].get<int64_t>();
}

absl::StatusOr<json> ParseObject(std::string_view text,
                                 const std::string &where) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object())
    return Fail(where, "not a JSON object");
  return root;
}

// preprocessor_config.json: what Gemma3ImageProcessorPil reads. Settings
// that change the pixels in ways the decoder does not reproduce (no
// rescale or normalization, pan-and-scan crops) are refused by name.
absl::Status ReadPreprocessor(std::string_view text, const std::string &where,
                              VisionSpec &spec) {
  if (text.empty())
    return absl::OkStatus();
  absl::StatusOr<json> root = ParseObject(text, where);
  if (!root.ok())
    return root.status();
  for (const char *key :
       {"do_convert_rgb", "do_rescale", "do_normalize", "do_resize"})
    if (root->contains(key) && (*root)[key] != true)
      return Fail(where, fmt::format("'{}' must be true (the only "
                                     "preprocessing this importer runs)",
                                     key));
  if (root->contains("do_pan_and_scan") && (*root)["do_pan_and_scan"] == true)
    return Fail(where, "'do_pan_and_scan' is not supported");
  if (root->contains("size")) {
    const json &size = (*root)["size"];
    if (!size.is_object() || !size.contains("height") ||
        !size.contains("width") || size["height"] != size["width"] ||
        size["height"] != spec.image_size)
      return Fail(where, fmt::format("'size' must be {{\"height\": {0}, "
                                     "\"width\": {0}}} (the tower's "
                                     "image_size)",
                                     spec.image_size));
  }
  if (root->contains("image_seq_length") &&
      (*root)["image_seq_length"] != spec.soft_tokens)
    return Fail(where, fmt::format("'image_seq_length' must be the config's "
                                   "mm_tokens_per_image ({})",
                                   spec.soft_tokens));
  if (root->contains("resample")) {
    if (!(*root)["resample"].is_number_unsigned())
      return Fail(where, "'resample' must be a PIL filter number");
    spec.resample = (*root)["resample"].get<int>();
  }
  if (root->contains("rescale_factor")) {
    if (!(*root)["rescale_factor"].is_number())
      return Fail(where, "'rescale_factor' must be a number");
    spec.rescale = (*root)["rescale_factor"].get<double>();
  }
  for (auto [key, values] : {std::pair{"image_mean", &spec.mean},
                             std::pair{"image_std", &spec.std}}) {
    if (!root->contains(key))
      continue;
    const json &v = (*root)[key];
    if (!v.is_array() || v.size() != 3)
      return Fail(where, fmt::format("'{}' must be 3 numbers", key));
    for (size_t c = 0; c < 3; ++c) {
      if (!v[c].is_number())
        return Fail(where, fmt::format("'{}' must be 3 numbers", key));
      (*values)[c] = v[c].get<float>();
    }
  }
  return absl::OkStatus();
}

std::string FindPrefix(const ModelFile &model,
                       std::span<const char *const> prefixes,
                       const std::string &probe) {
  for (const char *prefix : prefixes)
    if (model.Find(prefix + probe))
      return prefix;
  return "";
}

} // namespace

absl::StatusOr<std::optional<VisionSpec>>
ParseHfVision(std::string_view config, std::string_view preprocessor,
              uint32_t text_width, const std::string &name,
              std::string *unread) {
  absl::StatusOr<json> root = ParseObject(config, name);
  if (!root.ok())
    return root.status();
  if (!root->contains("vision_config") || (*root)["vision_config"].is_null())
    return std::nullopt;
  if (const std::string type = root->value("model_type", "");
      type != "gemma3") {
    if (unread)
      *unread = fmt::format("{}: the vision tower of model_type '{}' is not "
                            "supported yet (Gemma 3's is)",
                            name, type);
    return std::nullopt;
  }
  const json &v = (*root)["vision_config"];
  const std::string where = name + ": vision_config";
  if (!v.is_object())
    return Fail(where, "must be an object");
  if (v.value("model_type", "siglip_vision_model") != "siglip_vision_model")
    return Fail(where, "model_type must be 'siglip_vision_model'");
  if (v.value("hidden_act", "gelu_pytorch_tanh") != "gelu_pytorch_tanh")
    return Fail(where, "hidden_act must be 'gelu_pytorch_tanh'");
  if (v.value("vision_use_head", false))
    return Fail(where, "vision_use_head must be false (Gemma 3 reads the "
                       "encoder's last hidden state)");
  VisionSpec spec;
  spec.text_width = text_width;
  struct Field {
    int64_t *out;
    const char *key;
    std::optional<int64_t> fallback;
  };
  for (const Field &field : {Field{&spec.image_size, "image_size", 224},
                             Field{&spec.patch_size, "patch_size", 16},
                             Field{&spec.channels, "num_channels", 3},
                             Field{&spec.width, "hidden_size", 768},
                             Field{&spec.mlp, "intermediate_size", 3072},
                             Field{&spec.heads, "num_attention_heads", 12},
                             Field{&spec.layers, "num_hidden_layers", 12}}) {
    absl::StatusOr<int64_t> value =
        Positive(v, field.key, field.fallback, where);
    if (!value.ok())
      return value.status();
    *field.out = *value;
  }
  if (v.contains("layer_norm_eps")) {
    if (!v["layer_norm_eps"].is_number())
      return Fail(where, "'layer_norm_eps' must be a number");
    spec.epsilon = v["layer_norm_eps"].get<float>();
  }
  struct Top {
    const char *key;
    int64_t fallback;
  };
  std::array<int64_t, 4> top{};
  const std::array<Top, 4> keys = {
      Top{"mm_tokens_per_image", 256}, Top{"boi_token_index", 255999},
      Top{"eoi_token_index", 256000}, Top{"image_token_index", 262144}};
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::StatusOr<int64_t> value =
        Positive(*root, keys[i].key, keys[i].fallback, name);
    if (!value.ok())
      return value.status();
    top[i] = *value;
  }
  spec.soft_tokens = top[0];
  spec.begin_image = int32_t(top[1]);
  spec.end_image = int32_t(top[2]);
  spec.image_token = int32_t(top[3]);
  if (absl::Status s = ReadPreprocessor(
          preprocessor, name + " preprocessor_config.json", spec);
      !s.ok())
    return s;
  if (std::string problem = CheckVisionSpec(spec); !problem.empty())
    return Fail(where, problem);
  return spec;
}

absl::StatusOr<VisionWeights> HfVisionWeights(const ModelFile &model) {
  if (!model.vision)
    return Fail(model.source, "the checkpoint has no vision tower");
  const std::string tower =
      FindPrefix(model, kTowerPrefixes, "embeddings.patch_embedding.weight");
  const std::string projector =
      FindPrefix(model, kProjectorPrefixes, "mm_input_projection_weight");
  if (tower.empty())
    return Fail(model.source, "no vision_tower...embeddings.patch_embedding."
                              "weight: the vision tower's tensors are missing");
  if (projector.empty())
    return Fail(model.source, "no multi_modal_projector.mm_input_projection_"
                              "weight: the projector's tensors are missing");
  VisionNames names;
  names.spelling = VisionNames::Spelling::kHf;
  names.patch = tower + "embeddings.patch_embedding.weight";
  names.patch_bias = tower + "embeddings.patch_embedding.bias";
  names.position = tower + "embeddings.position_embedding.weight";
  names.post_norm_weight = tower + "post_layernorm.weight";
  names.post_norm_bias = tower + "post_layernorm.bias";
  names.soft_norm = projector + "mm_soft_emb_norm.weight";
  const std::string stored = projector + "mm_input_projection_weight";
  names.projection = TransposedProjectionName(stored);
  names.layer_prefix = tower + "encoder.layers.{}.";
  names.owned = {tower, projector};
  names.also_read = {stored};
  return MapVisionRoles(model, names);
}

} // namespace gemma::hf
