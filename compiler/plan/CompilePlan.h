//===- CompilePlan.h - A weight file to a .plan -----------------*- C++ -*-===//
//
// The whole compile pipeline: cache layout, builder, fusion passes, lowering
// of every bucket function, and the plan's metadata (weights by reference:
// the path relative to the plan, size and fingerprint).
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_PLAN_COMPILEPLAN_H
#define COMPILER_PLAN_COMPILEPLAN_H

#include "compiler/builder/CacheLayout.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/SbsModel.h"
#include "runtime/plan/PlanFile.h"

namespace gemma::plan {

struct CompileOptions {
  BuildOptions build; // @decode_1 is always added
  std::vector<std::string> fusions;
  std::string backend = "cpu";
};

// The backends a plan can be compiled for. The compiler does not link the
// backends: this list is the runtime registry's plan targets
// (runtime/exec/Backends.h PlanTargets()), which a test keeps equal.
const std::vector<std::string> &CompileTargets();

// `model` was read from `sbs_path`; the plan will be written at
// `plan_path`.
absl::StatusOr<PlanFile> CompilePlan(const ModelFile &model,
                                     const ModelWeights &weights,
                                     CompileOptions options,
                                     const std::string &sbs_path,
                                     const std::string &plan_path);

// The bucket programs of `spec` under `layout`: built, fused and lowered
// (in an MLIR context of their own), in module order.
absl::StatusOr<std::vector<Program>>
CompilePrograms(const ModelSpec &spec, const ModelWeights &weights,
                const CacheLayout &layout,
                const std::vector<std::string> &fusions);

// The compiler's version, recorded in plans.
const char *CompilerVersion();

} // namespace gemma::plan

#endif // COMPILER_PLAN_COMPILEPLAN_H
