//===- LowerToPlan.h - gemma modules to plan programs -----------*- C++ -*-===//
//
// The compiler's last steps: `gemma-lower-to-plan` and `plan-place-buffers`
// turn every function of a (fused or unfused) gemma module into a placed
// plan function, and ExportProgram reads such a function as the plain
// records the runtime executes and the `.plan` file stores.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_PLAN_LOWERTOPLAN_H
#define COMPILER_PLAN_LOWERTOPLAN_H

#include "runtime/plan/PlanProgram.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "absl/status/statusor.h"

#include <vector>

namespace gemma::plan {

// Lowers and places every gemma function of `module` in place. Fails with
// the first error (an op no kernel runs, a cache read after it is written),
// prefixed by the function's name.
absl::Status LowerToPlan(mlir::ModuleOp module);

// A placed plan function as validated records.
absl::StatusOr<Program> ExportProgram(mlir::func::FuncOp func);

// Both, for every function of `module`, in module order.
absl::StatusOr<std::vector<Program>> LowerToPrograms(mlir::ModuleOp module);

} // namespace gemma::plan

#endif // COMPILER_PLAN_LOWERTOPLAN_H
