//===- FusionPipeline.h - Which fusions run, by name ------------*- C++ -*-===//
//
// `--fusion=all|none|<comma list>` of gemma-compile. Names are the pass
// flags without `gemma-fuse-`: attention, geglu, logits, norm-matmul,
// qkv-rope, residual-norm.
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_FUSIONPIPELINE_H
#define PASSES_FUSIONPIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "absl/status/statusor.h"

#include <string>
#include <string_view>
#include <vector>

namespace gemma {

// Every fusion, in the order `all` applies them.
const std::vector<std::string> &FusionNames();

// "all", "none" or a comma-separated list of names; fails naming an unknown
// fusion and listing the known ones.
absl::StatusOr<std::vector<std::string>> ParseFusions(std::string_view text);

// Adds the pass of each fusion (in FusionNames() order) to `pm`.
void AddFusionPasses(mlir::OpPassManager &pm,
                     const std::vector<std::string> &fusions);

// Applies `fusions` to `module` (nothing for an empty list).
absl::Status Fuse(mlir::ModuleOp module,
                  const std::vector<std::string> &fusions);

} // namespace gemma

#endif // PASSES_FUSIONPIPELINE_H
