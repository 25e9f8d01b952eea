//===- FuseNormMatmul.cpp - RMSNorm -> projections ------------------------===//

#include "passes/Passes.h"
#include "passes/PatternUtils.h"

namespace gemma {

#define GEN_PASS_DEF_FUSENORMMATMUL
#include "passes/Passes.h.inc"

namespace {

struct NormMatmulPattern : mlir::OpRewritePattern<ir::RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(ir::RmsNormOp norm,
                  mlir::PatternRewriter &rewriter) const override {
    if (norm->use_empty())
      return rewriter.notifyMatchFailure(norm, "unused");
    llvm::SmallVector<ir::MatmulOp> matmuls;
    for (mlir::Operation *user : norm->getUsers()) {
      auto matmul = mlir::dyn_cast<ir::MatmulOp>(user);
      if (!matmul || matmul.getHeads())
        return rewriter.notifyMatchFailure(norm, "a user is not a projection");
      matmuls.push_back(matmul);
    }
    for (ir::MatmulOp matmul : matmuls) {
      rewriter.setInsertionPoint(matmul);
      rewriter.replaceOpWithNewOp<ir::FusedNormMatmulOp>(
          matmul, matmul.getType(), norm.getInput(), norm.getWeightAttr(),
          norm.getWeightScaleAttr(), norm.getEpsilonAttr(),
          matmul.getWeightAttr(), matmul.getWeightRowsAttr());
    }
    rewriter.eraseOp(norm);
    return mlir::success();
  }
};

struct FuseNormMatmulPass : impl::FuseNormMatmulBase<FuseNormMatmulPass> {
  void runOnOperation() override {
    if (failed(ApplyPattern<NormMatmulPattern>(getOperation())))
      signalPassFailure();
  }
};

} // namespace
} // namespace gemma
