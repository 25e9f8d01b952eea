//===- ModelFile.h - gemma.cpp configs to and from ModelSpec ----*- C++ -*-===//
//
// The mapping between gemma.cpp's config and our ModelSpec. Reading follows
// docs/gemma-math.md's policy: where gemma.cpp computes something other than
// the JAX/HF reference from its own config (global RoPE bases, Gemma 3 27B's
// query scale, Gemma 4's final soft-cap), a file written by gemma.cpp is
// imported with the reference value; files this project wrote carry the
// exact values in their `gc_*` fields.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBSMODEL_H
#define RUNTIME_FORMATS_SBSMODEL_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelSpec.h"
#include "runtime/formats/SbsTensors.h"
#include "runtime/formats/sbs/SbsFile.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace gemma {

absl::StatusOr<ModelSpec> SpecFromSbsConfig(const sbs::ModelConfig &config);

// The config a file of `spec` with matrices in `weight` carries. Gemma 2
// and 3 configs stay readable by gemma.cpp of 2025 (15-field LayerConfig
// records); fails when the spec needs something a config cannot say
// (e.g. different RoPE bases among sliding layers).
absl::StatusOr<sbs::ModelConfig> SbsConfigFromSpec(const ModelSpec &spec,
                                                   StoredType weight);

// The config and tensor shapes of a pre-2025 multi-file weight file, from
// its layer count as gemma.cpp deduces them (docs/formats/sbs.md 2.2).
absl::StatusOr<sbs::LegacyModel>
ResolveLegacyModel(uint32_t layers, bool has_qk_norm, StoredType weight);

// Opens `path` (single-file or legacy), maps its config to a spec and checks
// that the tensors the spec needs are present with their shapes (either form of
// the fused or split projections). One line naming the file and tensor on
// failure.
absl::StatusOr<ModelFile> LoadSbsModel(const std::string &path);

// The same for a weight file held in memory (a plan with embedded weights);
// `bytes` must outlive the model.
absl::StatusOr<ModelFile> LoadSbsModelFromBytes(std::span<const uint8_t> bytes,
                                                const std::string &name);

} // namespace gemma

#endif // RUNTIME_FORMATS_SBSMODEL_H
