//===- ModelBuilder.h - A Gemma model as a gemma module ---------*- C++ -*-===//
//
// Emits the unfused `gemma` ops of docs/gemma-math.md section 8 for a
// ModelSpec: one
// `@prefill_T` per prefill bucket and one `@decode_B` per decode bucket.
// Every number comes from the spec; the control flow only reads it.
//
//   @prefill_T(%ids: [T] i32, %pos: [T] i32, %k_0, %v_0, ..., %k_L-1, %v_L-1)
//       -> (%k_0', %v_0', ...)                      caches [1, S_l, K_l, D_l]
//   @decode_B(%ids: [B] i32, %pos: [B] i32, caches [B, S_l, K_l, D_l] ...)
//       -> (%logits: [B, vocab], caches ...)
//
// Prefill fills the caches (the last prompt token is the first decode input,
// docs/gemma-math.md 5.2); decode returns the logits after the final soft-cap.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_BUILDER_MODELBUILDER_H
#define COMPILER_BUILDER_MODELBUILDER_H

#include "compiler/builder/CacheLayout.h"
#include "runtime/formats/ModelSpec.h"
#include "runtime/formats/ModelWeights.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "absl/status/statusor.h"

#include <string>

namespace gemma {

// Fails with "not supported yet: <feature>" for what the builder does not
// emit (Gemma 4 per-layer embeddings, KV sharing, mixture of experts).
absl::Status CheckBuildable(const ModelSpec &spec);

// Loads the dialects the module needs into `context`.
void LoadBuilderDialects(mlir::MLIRContext &context);

// Builds and verifies the module; the weight symbols are the tensor names
// of `weights`.
absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>>
BuildModel(mlir::MLIRContext &context, const ModelSpec &spec,
           const ModelWeights &weights, const CacheLayout &layout);

std::string PrefillFunctionName(int64_t tokens);
std::string DecodeFunctionName(int64_t sequences);
// @prefill_image_T (docs/vision.md): ids, positions, the caches, then the
// soft tokens at their rows [T, d] and each row's horizon [T] (the last
// position it sees: its image's last for an image token, its own else);
// returns every row's logits, then the caches.
std::string PrefillImageFunctionName(int64_t tokens);

} // namespace gemma

#endif // COMPILER_BUILDER_MODELBUILDER_H
