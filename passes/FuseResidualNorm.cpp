//===- FuseResidualNorm.cpp - residual add + RMSNorm ----------------------===//

#include "passes/Passes.h"
#include "passes/PatternUtils.h"

namespace gemma {

#define GEN_PASS_DEF_FUSERESIDUALNORM
#include "passes/Passes.h.inc"

namespace {

struct ResidualNormPattern : mlir::OpRewritePattern<ir::RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(ir::RmsNormOp norm,
                  mlir::PatternRewriter &rewriter) const override {
    auto add = norm.getInput().getDefiningOp<ir::AddOp>();
    if (!add || add->getBlock() != norm->getBlock())
      return rewriter.notifyMatchFailure(norm, "input is not a residual add");
    // At the add, so the sum is there for every user of the add.
    rewriter.setInsertionPoint(add);
    auto fused = ir::FusedResidualNormOp::create(
        rewriter, norm.getLoc(), add.getType(), add.getType(), add.getLhs(),
        add.getRhs(), norm.getWeightAttr(), norm.getWeightScaleAttr(),
        norm.getEpsilonAttr());
    rewriter.replaceOp(norm, fused.getNormed());
    rewriter.replaceOp(add, fused.getSum());
    return mlir::success();
  }
};

struct FuseResidualNormPass : impl::FuseResidualNormBase<FuseResidualNormPass> {
  void runOnOperation() override {
    if (failed(ApplyPattern<ResidualNormPattern>(getOperation())))
      signalPassFailure();
  }
};

} // namespace
} // namespace gemma
