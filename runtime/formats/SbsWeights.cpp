//===- SbsWeights.cpp - Roles of gemma.cpp's tensors ----------------------===//

#include "runtime/formats/SbsWeights.h"

#include "runtime/formats/SbsTensors.h"

#include <fmt/format.h>

namespace gemma {

absl::StatusOr<ModelWeights> SbsModelWeights(const ModelFile &model) {
  if (model.spec.ple_dim != 0)
    return absl::UnimplementedError(fmt::format(
        "{}: not supported yet: per-layer embeddings from .sbs files (from "
        "Hugging Face checkpoints they are)",
        model.source));
  for (const LayerSpec &layer : model.spec.layers)
    if (layer.num_experts != 0)
      return absl::UnimplementedError(fmt::format(
          "{}: not supported yet: mixture-of-experts layers from .sbs files "
          "(from Hugging Face checkpoints they are)",
          model.source));
  const ModelSpec &spec = model.spec;
  ModelWeights weights;
  weights.tensors = TensorInfos(model);
  auto has = [&](const std::string &name) {
    return model.Find(name) != nullptr;
  };
  auto require = [&](const std::string &name) -> absl::Status {
    if (!has(name))
      return absl::InvalidArgumentError(fmt::format(
          "{}: tensor '{}' is required but not in the file",
          model.file ? model.file->container().name() : spec.name, name));
    return absl::OkStatus();
  };

  weights.embedding = "c_embedding";
  weights.final_norm = "c_final_norm";
  if (absl::Status s = require(weights.embedding); !s.ok())
    return s;
  if (absl::Status s = require(weights.final_norm); !s.ok())
    return s;

  for (uint32_t l = 0; l < spec.num_layers(); ++l) {
    const LayerSpec &layer = spec.layers[l];
    const int64_t q_dim = layer.head_dim;
    const int64_t q_rows = int64_t{layer.heads} * q_dim;
    LayerWeights w;
    auto name = [&](std::string_view base) { return LayerTensorName(base, l); };

    // Q, then per KV head K_k and V_k, in one matrix or split in two.
    std::string qkv = name("qkv_ein");
    int64_t kv_begin = q_rows;
    if (has(qkv)) {
      w.q = {qkv, {{0, q_rows}}, false};
    } else {
      if (absl::Status s = require(name("qkv1_w")); !s.ok())
        return s;
      w.q = {name("qkv1_w"), {}, false};
      qkv = name("qkv2_w");
      kv_begin = 0;
      if (absl::Status s = require(qkv); !s.ok())
        return s;
    }
    w.k.tensor = qkv;
    if (!layer.k_eq_v)
      w.v.tensor = qkv;
    for (int64_t k = 0; k < layer.kv_heads; ++k) {
      const int64_t base = kv_begin + 2 * k * q_dim;
      w.k.rows.emplace_back(base, base + q_dim);
      if (!layer.k_eq_v)
        w.v.rows.emplace_back(base + q_dim, base + 2 * q_dim);
    }

    if (has(name("att_ein"))) {
      w.out = {name("att_ein"), {}, true};
    } else {
      if (absl::Status s = require(name("att_w")); !s.ok())
        return s;
      w.out = {name("att_w"), {}, false};
    }

    const int64_t ff = layer.ff_hidden;
    if (has(name("gating_ein"))) {
      w.gate = {name("gating_ein"), {{0, ff}}, false};
      w.up = {name("gating_ein"), {{ff, 2 * ff}}, false};
    } else {
      for (const char *base : {"gating1_w", "gating2_w"})
        if (absl::Status s = require(name(base)); !s.ok())
          return s;
      w.gate = {name("gating1_w"), {}, false};
      w.up = {name("gating2_w"), {}, false};
    }
    if (absl::Status s = require(name("linear_w")); !s.ok())
      return s;
    w.down = {name("linear_w"), {}, false};

    w.pre_attn_norm = name("pre_att_ns");
    w.pre_ffw_norm = name("pre_ff_ns");
    for (const std::string &norm : {w.pre_attn_norm, w.pre_ffw_norm})
      if (absl::Status s = require(norm); !s.ok())
        return s;
    if (layer.post_norms) {
      w.post_attn_norm = name("post_att_ns");
      w.post_ffw_norm = name("post_ff_ns");
      for (const std::string &norm : {w.post_attn_norm, w.post_ffw_norm})
        if (absl::Status s = require(norm); !s.ok())
          return s;
    }
    if (layer.qk_norm) {
      w.query_norm = name("query_norm");
      w.key_norm = name("key_norm");
      for (const std::string &norm : {w.query_norm, w.key_norm})
        if (absl::Status s = require(norm); !s.ok())
          return s;
    }
    if (spec.layer_scalar) {
      w.layer_scalar = name("skip_scale");
      if (absl::Status s = require(w.layer_scalar); !s.ok())
        return s;
    }
    weights.layers.push_back(std::move(w));
  }
  return weights;
}

} // namespace gemma
