//===- LowerToPlan.h - A gemma function as a plan program -------*- C++ -*-===//
//
// Walks a (fused or unfused) bucket function once: each op becomes one
// kernel call with its static parameters, and each f32 intermediate gets an
// arena range by liveness (ArenaPlanner; fused kernels' scratch too). KV
// caches are updated in place: a kv_write result takes its cache
// argument's storage, which needs the cache to have no other reader.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_PLAN_LOWERTOPLAN_H
#define COMPILER_PLAN_LOWERTOPLAN_H

#include "compiler/plan/PlanProgram.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "absl/status/statusor.h"

namespace gemma::plan {

// Fails with one line naming an op no kernel implements, or a cache read
// after it is written.
absl::StatusOr<Program> LowerToPlan(mlir::func::FuncOp func);

} // namespace gemma::plan

#endif // COMPILER_PLAN_LOWERTOPLAN_H
