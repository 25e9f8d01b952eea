//===- PatternUtils.h - What the fusion passes share ------------*- C++ -*-===//

#ifndef PASSES_PATTERNUTILS_H
#define PASSES_PATTERNUTILS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gemma {

// The op defining `value` when it has no other user: an intermediate a
// fusion may absorb.
template <typename Op> Op SoleDef(mlir::Value value) {
  auto op = value.getDefiningOp<Op>();
  return op && op->hasOneUse() ? op : nullptr;
}

// Applies one rewrite pattern to `root` until nothing matches.
template <typename Pattern>
mlir::LogicalResult ApplyPattern(mlir::Operation *root) {
  mlir::RewritePatternSet patterns(root->getContext());
  patterns.add<Pattern>(root->getContext());
  return mlir::applyPatternsGreedily(root, std::move(patterns));
}

} // namespace gemma

#endif // PASSES_PATTERNUTILS_H
