//===- SbsTensors.cpp - The tensor table of a model in gemma.cpp naming ---===//

#include "runtime/formats/SbsTensors.h"

#include <fmt/format.h>

namespace gemma {
namespace {

// Tensors that gemma.cpp never stores below bf16 (TensorInfo::min_size).
StoredType AtLeastBf16(StoredType weight_type) {
  return weight_type == StoredType::kF32 ? StoredType::kF32 : StoredType::kBF16;
}

bool UsesSplitForms(StoredType weight_type) {
  return weight_type == StoredType::kNUQ || weight_type == StoredType::kI8;
}

class TableBuilder {
public:
  TableBuilder(const ModelSpec &spec, StoredType weight_type)
      : spec_(spec), weight_(weight_type), wide_(AtLeastBf16(weight_type)) {}

  std::vector<TensorSlot> Build() {
    const uint64_t d = spec_.model_dim;
    Add("c_embedding", spec_.vocab_size, d, wide_, TensorRole::kEmbedding);
    Add("c_final_norm", 1, d, wide_, TensorRole::kNorm);
    if (spec_.ple_dim != 0) {
      uint64_t all = uint64_t{spec_.num_layers()} * spec_.ple_dim;
      Add("ple_embeddings", spec_.vocab_size, all, weight_,
          TensorRole::kPleEmbedding);
      Add("ple_model_proj", all, d, wide_, TensorRole::kMatrix);
      Add("ple_proj_norm", 1, spec_.ple_dim, wide_, TensorRole::kNorm);
    }
    for (uint32_t i = 0; i < spec_.num_layers(); ++i)
      AddLayer(i);
    return std::move(table_);
  }

private:
  TensorSlot &Add(std::string name, uint64_t rows, uint64_t cols,
                  StoredType type, TensorRole role) {
    table_.push_back({std::move(name), rows, cols, type, role});
    return table_.back();
  }

  void AddLayer(uint32_t i) {
    const LayerSpec &layer = spec_.layers[i];
    const uint64_t d = spec_.model_dim, q = layer.head_dim, h = layer.heads,
                   k = layer.kv_heads, f = layer.ff_hidden;
    auto name = [&](std::string_view base) { return LayerTensorName(base, i); };
    auto norm = [&](std::string_view base, uint64_t width) {
      Add(name(base), 1, width, wide_,
          base.starts_with("post_") ? TensorRole::kPostNorm
                                    : TensorRole::kNorm);
    };
    const TensorRole stream =
        layer.post_norms ? TensorRole::kMatrix : TensorRole::kStreamMatrix;

    if (UsesSplitForms(weight_)) {
      Add(name("qkv1_w"), h * q, d, weight_, TensorRole::kMatrix);
      Add(name("qkv2_w"), 2 * k * q, d, weight_, TensorRole::kMatrix);
      Add(name("att_w"), d, h * q, weight_, stream);
    } else {
      TensorSlot &qkv = Add(name("qkv_ein"), (h + 2 * k) * q, d, weight_,
                            TensorRole::kMatrix);
      if (layer.k_eq_v) {
        qkv.duplicate_kv = true;
        qkv.kv_heads = layer.kv_heads;
        qkv.head_dim = layer.head_dim;
      }
      Add(name("att_ein"), h * d, q, weight_, stream);
    }
    if (f != 0) {
      if (UsesSplitForms(weight_)) {
        Add(name("gating1_w"), f, d, weight_, TensorRole::kMatrix);
        Add(name("gating2_w"), f, d, weight_, TensorRole::kMatrix);
      } else {
        Add(name("gating_ein"), 2 * f, d, weight_, TensorRole::kMatrix);
      }
      Add(name("linear_w"), d, f, weight_, stream);
    }
    norm("pre_att_ns", d);
    norm("pre_ff_ns", d);
    if (layer.post_norms) {
      norm("post_att_ns", d);
      norm("post_ff_ns", d);
    }
    if (layer.qk_norm) {
      norm("query_norm", q);
      norm("key_norm", q);
    }
    if (spec_.layer_scalar)
      Add(name("skip_scale"), 1, 1, wide_, TensorRole::kScalar);
    if (spec_.ple_dim != 0) {
      Add(name("ple_gate"), spec_.ple_dim, d, weight_, TensorRole::kMatrix);
      Add(name("ple_proj"), d, spec_.ple_dim, weight_, TensorRole::kMatrix);
      norm("post_ple_ns", d);
    }
    if (layer.num_experts != 0) {
      const uint64_t e = layer.num_experts, ef = layer.expert_ff_hidden;
      Add(name("moe_gate_ein"), e * 2 * ef, d, wide_, TensorRole::kMatrix);
      Add(name("moe_linear_w"), e * d, ef, wide_, TensorRole::kMatrix);
      Add(name("moe_router"), e, d, wide_, TensorRole::kMatrix);
      Add(name("p_expert_sc"), 1, e, wide_, TensorRole::kScalar);
      Add(name("router_scale"), 1, d, wide_, TensorRole::kScalar);
      norm("pre_ffw2_ns", d);
      norm("post_ffw1_ns", d);
      norm("post_ffw2_ns", d);
    }
  }

  const ModelSpec &spec_;
  StoredType weight_;
  StoredType wide_;
  std::vector<TensorSlot> table_;
};

} // namespace

std::string LayerTensorName(std::string_view base, uint32_t layer) {
  return fmt::format("{}_{}", base, layer);
}

std::vector<TensorSlot> SbsTensorTable(const ModelSpec &spec,
                                       StoredType weight_type) {
  return TableBuilder(spec, weight_type).Build();
}

} // namespace gemma
