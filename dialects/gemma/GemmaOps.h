//===- GemmaOps.h - Ops of the gemma dialect ------------------------------===//

#ifndef DIALECTS_GEMMA_GEMMAOPS_H
#define DIALECTS_GEMMA_GEMMAOPS_H

#include "dialects/gemma/GemmaDialect.h"
#include "kernels/common/ElementwiseFunctions.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/gemma/GemmaInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/gemma/GemmaOps.h.inc"

#endif // DIALECTS_GEMMA_GEMMAOPS_H
