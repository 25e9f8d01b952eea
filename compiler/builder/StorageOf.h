//===- StorageOf.h - A stored type as the dialect's storage -----*- C++ -*-===//

#ifndef COMPILER_BUILDER_STORAGEOF_H
#define COMPILER_BUILDER_STORAGEOF_H

#include "dialects/gemma/GemmaOps.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/weights/StoredType.h"

#include "mlir/IR/Builders.h"

#include <string>

namespace gemma {

// The storage a gemma.param declares for a tensor stored as `type` (I8 for
// the stored types the dialect does not name).
ir::StorageType StorageOf(StoredType type);

// A gemma.param @name for the stored tensor `t`, created at the builder's
// insertion point.
ir::ParamOp CreateParam(mlir::OpBuilder &builder, mlir::Location loc,
                        const std::string &name, const TensorInfo &t);

} // namespace gemma

#endif // COMPILER_BUILDER_STORAGEOF_H
