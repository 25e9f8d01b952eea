//===- VisionBuilder.h - An image encoder as a gemma function ---*- C++ -*-===//
//
// Gemma 3's SigLIP encoder and projector (docs/vision.md) as one function of
// the gemma dialect: the unfolded patches of one image in, its soft tokens in
// the text model's width out.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_BUILDER_VISIONBUILDER_H
#define COMPILER_BUILDER_VISIONBUILDER_H

#include "runtime/formats/VisionModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "absl/status/statusor.h"

#include <string>

namespace gemma {

// "encode_image": (patches: [patches, channels * p * p] f32) -> [soft
// tokens, text width] f32. Row r of the patches is the patch at grid row
// r / side, column r % side, its values channel-major, then row, then
// column (the order of the patch embedding's convolution kernel).
std::string VisionFunctionName();

// Adds the encoder function, and the params it reads that the module does
// not declare yet, to `module`; verifies the module.
absl::Status AddVisionEncoder(mlir::ModuleOp module, const VisionSpec &spec,
                              const VisionWeights &weights);

// A module holding only the encoder.
absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>>
BuildVisionEncoder(mlir::MLIRContext &context, const VisionSpec &spec,
                   const VisionWeights &weights);

} // namespace gemma

#endif // COMPILER_BUILDER_VISIONBUILDER_H
