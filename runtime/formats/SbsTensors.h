//===- SbsTensors.h - The tensor table of a model in gemma.cpp naming -*- C++
//-*-===//
//
// Which tensors a gemma.cpp `.sbs` of a model holds: names, 2-D shapes and
// stored types (docs/formats/sbs.md section 6 for Gemma 2/3; gemma.cpp's 2026
// names for Gemma 4's layer scalar, per-layer embeddings and experts). The
// synthesizer writes exactly this table; the importer checks files against it.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBSTENSORS_H
#define RUNTIME_FORMATS_SBSTENSORS_H

#include "runtime/formats/ModelSpec.h"
#include "runtime/weights/StoredType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

// What a tensor holds, which decides how synthetic values are drawn.
enum class TensorRole {
  kEmbedding,    // token rows, scaled by bf16(sqrt(d)) on lookup
  kMatrix,       // [out, in] projection
  kNorm,         // RMSNorm weight, in the model's convention
  kScalar,       // multipliers around 1 (layer scalar, expert scales)
  kPleEmbedding, // per-layer embedding rows, scaled by 16 on lookup
  kPostNorm,     // RMSNorm weight of a block's output (sandwich norms)
  // A block's last projection, when no post-norm follows it (Gemma 1).
  kStreamMatrix,
};

struct TensorSlot {
  std::string name;
  uint64_t rows = 0;
  uint64_t cols = 0;
  StoredType type = StoredType::kUnknown;
  TensorRole role = TensorRole::kMatrix;
  // Gemma 4 K=V layers store V rows equal to the K rows, so gemma.cpp (which
  // has no K=V switch) computes the same thing: the tensor's per-KV-head
  // blocks [K_k, V_k] repeat K_k. Set on such `qkv_ein` tensors.
  bool duplicate_kv = false;
  uint32_t kv_heads = 0; // for duplicate_kv: K and the head dim Q
  uint32_t head_dim = 0;
};

// The tensors of `spec` with matrices stored as `weight_type`. Embeddings,
// norms and scalars are never stored below bf16 (gemma.cpp's exporter
// policy). NUQ and I8 files use the split forms (qkv1_w/qkv2_w, att_w,
// gating1_w/gating2_w) that gemma.cpp requires for them; the others use the
// fused forms of the Kaggle files (qkv_ein, att_ein, gating_ein).
std::vector<TensorSlot> SbsTensorTable(const ModelSpec &spec,
                                       StoredType weight_type);

// The suffix gemma.cpp gives per-layer tensors: "_<layer>".
std::string LayerTensorName(std::string_view base, uint32_t layer);

} // namespace gemma

#endif // RUNTIME_FORMATS_SBSTENSORS_H
