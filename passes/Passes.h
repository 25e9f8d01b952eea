//===- Passes.h - Passes over the gemma dialect -----------------*- C++ -*-===//

#ifndef PASSES_PASSES_H
#define PASSES_PASSES_H

#include "dialects/gemma/GemmaOps.h"
#include "dialects/plan/PlanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Pass/Pass.h"

#include <memory>

namespace gemma {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace gemma

#endif // PASSES_PASSES_H
