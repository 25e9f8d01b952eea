//===- StoredWeights.h - Weight rows decoded from a weight file -*- C++ -*-===//
//
// The interpreter's weight provider for tensors kept in their stored type:
// each row is decoded through the codecs when a kernel asks for it, and the
// per-tensor scale applied (docs/formats/sbs.md 5.7). No f32 copy of a matrix
// is made.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_STOREDWEIGHTS_H
#define COMPILER_REFERENCE_STOREDWEIGHTS_H

#include "compiler/reference/Interpreter.h"
#include "runtime/formats/SbsModel.h"

namespace gemma::reference {

// Rows of the tensor `symbol` of `model`; `model` must outlive the provider.
WeightProvider StoredWeightProvider(const ModelFile &model);

// One stored tensor as kernel rows.
WeightRows StoredRows(const WeightTensor &tensor);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_STOREDWEIGHTS_H
