//===- ModelWeights.h - Which stored tensor plays which role ----*- C++ -*-===//
//
// The builder reads weights by role (the query projection of layer 3, the
// final norm, ...), never by a file format's names. Each importer maps its
// format onto this: a role names a stored tensor and, where a format packs
// several projections into one matrix, the rows that belong to the role.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_MODELWEIGHTS_H
#define RUNTIME_FORMATS_MODELWEIGHTS_H

#include "runtime/weights/StoredType.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gemma {

// A stored tensor as the builder sees it: name, type, 2-D shape, scale.
struct TensorInfo {
  StoredType type = StoredType::kUnknown;
  uint64_t rows = 0;
  uint64_t cols = 0;
  float scale = 1.0f;
};

// A projection read from (part of) a stored [out, in] matrix.
struct WeightRef {
  std::string tensor; // empty: the role is absent
  // Half-open row ranges, concatenated; empty means every row.
  std::vector<std::pair<int64_t, int64_t>> rows;
  // The matrix is [heads * out, in_h], one [out, in_h] block per head
  // (gemma.cpp's att_ein); the input is then [N, heads, in_h].
  bool head_major = false;

  bool present() const { return !tensor.empty(); }
};

struct LayerWeights {
  WeightRef q, k, v; // v is absent on K=V layers (the raw key is the value)
  WeightRef out;     // attention output projection
  WeightRef gate, up, down;
  // Norm and scalar tensors; empty when the layer has none.
  std::string pre_attn_norm, post_attn_norm;
  std::string pre_ffw_norm, post_ffw_norm;
  std::string query_norm, key_norm;
  std::string layer_scalar;
  // Gemma 4 per-layer embeddings (docs/gemma-math.md 4.4): [P, d] gate, [d, P]
  // projection, [d] norm; empty without PLE.
  std::string ple_gate, ple_proj, ple_norm;
  // Gemma 4 mixture of experts (docs/gemma-math.md 4.6), beside the dense MLP
  // above: router [E, d], its input scale [d], per-expert scales [E], experts'
  // gate/up [E * 2F, d] and down [E * d, F], the norms around both
  // branches (Hugging Face's names: pre_feedforward_layernorm_2,
  // post_feedforward_layernorm_1 for the dense branch, _2 for the experts).
  std::string moe_router, moe_router_scale, moe_expert_scale;
  std::string moe_gate_up, moe_down;
  std::string pre_moe_norm, post_dense_norm, post_moe_norm;
};

struct ModelWeights {
  std::map<std::string, TensorInfo> tensors;
  std::string embedding;  // [vocab, d], also the tied output projection
  std::string final_norm; // [d]
  // Gemma 4 per-layer embeddings: the packed table [vocab, layers * P], the
  // projection of the scaled embedding [layers * P, d] and its norm [P].
  std::string ple_table, ple_projection, ple_projection_norm;
  std::vector<LayerWeights> layers;
};

} // namespace gemma

#endif // RUNTIME_FORMATS_MODELWEIGHTS_H
