//===- GemmaDialect.h - The gemma dialect, its types and enums -------===//

#ifndef DIALECTS_GEMMA_GEMMADIALECT_H
#define DIALECTS_GEMMA_GEMMADIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/gemma/GemmaDialect.h.inc"
#include "dialects/gemma/GemmaEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/gemma/GemmaTypes.h.inc"

namespace gemma::ir {
// Values per block along a row of `storage` (1 for element-wise types).
int64_t BlockElementsOf(StorageType storage);
} // namespace gemma::ir

#endif // DIALECTS_GEMMA_GEMMADIALECT_H
