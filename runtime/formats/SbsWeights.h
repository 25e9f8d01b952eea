//===- SbsWeights.h - Roles of gemma.cpp's tensors --------------*- C++ -*-===//
//
// gemma.cpp's names and packings (docs/formats/sbs.md section 6,
// docs/gemma-math.md 6.2) mapped to roles: qkv_ein holds Q for all heads, then
// K_k and V_k interleaved per KV head; att_ein is head-major; gating_ein holds
// gate then up. The split forms (qkv1_w/qkv2_w, att_w, gating1_w/gating2_w) map
// the same way.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBSWEIGHTS_H
#define RUNTIME_FORMATS_SBSWEIGHTS_H

#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/SbsModel.h"

namespace gemma {

// Fails (one line naming the file's tensor) when a role's tensor is missing.
absl::StatusOr<ModelWeights> SbsModelWeights(const ModelFile &model);

} // namespace gemma

#endif // RUNTIME_FORMATS_SBSWEIGHTS_H
