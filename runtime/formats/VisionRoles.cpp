//===- VisionRoles.cpp - A vision tower's tensors by role -----------------===//

#include "runtime/formats/VisionRoles.h"

#include <fmt/format.h>

#include <set>

namespace gemma {
namespace {

absl::Status Fail(const std::string &where, const std::string &what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", where, what));
}

struct Role {
  std::string *slot;
  std::string name;
  int64_t rows, cols;
};

// A layer's tensors: the member, Hugging Face's and llama.cpp's suffixes,
// and the shape in units of the width ('d'), the MLP width ('f') or one
// ('1').
struct LayerRole {
  std::string VisionLayerWeights::*member;
  const char *hf, *mmproj;
  char rows, cols; // 'd', 'f' or '1'
};

constexpr LayerRole kLayerRoles[] = {
    {&VisionLayerWeights::norm1_weight, "layer_norm1.weight", "ln1.weight", '1',
     'd'},
    {&VisionLayerWeights::norm1_bias, "layer_norm1.bias", "ln1.bias", '1', 'd'},
    {&VisionLayerWeights::norm2_weight, "layer_norm2.weight", "ln2.weight", '1',
     'd'},
    {&VisionLayerWeights::norm2_bias, "layer_norm2.bias", "ln2.bias", '1', 'd'},
    {&VisionLayerWeights::q, "self_attn.q_proj.weight", "attn_q.weight", 'd',
     'd'},
    {&VisionLayerWeights::q_bias, "self_attn.q_proj.bias", "attn_q.bias", '1',
     'd'},
    {&VisionLayerWeights::k, "self_attn.k_proj.weight", "attn_k.weight", 'd',
     'd'},
    {&VisionLayerWeights::k_bias, "self_attn.k_proj.bias", "attn_k.bias", '1',
     'd'},
    {&VisionLayerWeights::v, "self_attn.v_proj.weight", "attn_v.weight", 'd',
     'd'},
    {&VisionLayerWeights::v_bias, "self_attn.v_proj.bias", "attn_v.bias", '1',
     'd'},
    {&VisionLayerWeights::out, "self_attn.out_proj.weight", "attn_out.weight",
     'd', 'd'},
    {&VisionLayerWeights::out_bias, "self_attn.out_proj.bias", "attn_out.bias",
     '1', 'd'},
    {&VisionLayerWeights::fc1, "mlp.fc1.weight", "ffn_up.weight", 'f', 'd'},
    {&VisionLayerWeights::fc1_bias, "mlp.fc1.bias", "ffn_up.bias", '1', 'f'},
    {&VisionLayerWeights::fc2, "mlp.fc2.weight", "ffn_down.weight", 'd', 'f'},
    {&VisionLayerWeights::fc2_bias, "mlp.fc2.bias", "ffn_down.bias", '1', 'd'}};

} // namespace

absl::StatusOr<VisionWeights> MapVisionRoles(const ModelFile &model,
                                             const VisionNames &names) {
  if (!model.vision)
    return Fail(model.source, "has no vision tower");
  const VisionSpec &spec = *model.vision;
  const int64_t d = spec.width, f = spec.mlp;
  VisionWeights weights;
  weights.tensors = TensorInfos(model);
  std::vector<Role> roles = {
      {&weights.patch, names.patch, d, spec.PatchValues()},
      {&weights.patch_bias, names.patch_bias, 1, d},
      {&weights.position, names.position, spec.Patches(), d},
      {&weights.post_norm_weight, names.post_norm_weight, 1, d},
      {&weights.post_norm_bias, names.post_norm_bias, 1, d},
      {&weights.soft_norm, names.soft_norm, 1, d},
      {&weights.projection, names.projection, spec.text_width, d}};
  auto size = [&](char unit) { return unit == 'd' ? d : unit == 'f' ? f : 1; };
  const bool hf = names.spelling == VisionNames::Spelling::kHf;
  weights.layers.resize(size_t(spec.layers));
  for (int64_t l = 0; l < spec.layers; ++l) {
    const std::string prefix = fmt::format(fmt::runtime(names.layer_prefix), l);
    for (const LayerRole &r : kLayerRoles)
      roles.push_back({&(weights.layers[size_t(l)].*r.member),
                       prefix + (hf ? r.hf : r.mmproj), size(r.rows),
                       size(r.cols)});
  }
  std::set<std::string> read(names.also_read.begin(), names.also_read.end());
  for (const Role &role : roles) {
    const WeightTensor *t = model.Find(role.name);
    if (!t)
      return Fail(model.source, fmt::format("tensor '{}' is required but not "
                                            "in the file",
                                            role.name));
    if (int64_t(t->rows) != role.rows || int64_t(t->cols) != role.cols)
      return Fail(model.source,
                  fmt::format("tensor '{}' is {} x {}, the vision config "
                              "implies {} x {}",
                              role.name, t->rows, t->cols, role.rows,
                              role.cols));
    *role.slot = role.name;
    read.insert(role.name);
  }
  // A tower tensor nothing reads belongs to a feature this importer does
  // not build (a pooling head, more layers than the config says).
  for (const auto &[name, tensor] : model.tensors)
    for (const std::string &owned : names.owned)
      if (name.starts_with(owned) && !read.contains(name))
        return Fail(model.source,
                    fmt::format("tensor '{}' is not used by the vision "
                                "importer (a feature it does not support?)",
                                name));
  return weights;
}

} // namespace gemma
