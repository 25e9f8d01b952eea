//===- FuseAttention.cpp - scores .. values as one flash-style op ---------===//

#include "passes/Passes.h"
#include "passes/PatternUtils.h"

namespace gemma {

#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"

namespace {

struct AttentionPattern : mlir::OpRewritePattern<ir::AttnValuesOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(ir::AttnValuesOp values,
                  mlir::PatternRewriter &rewriter) const override {
    auto softmax = SoleDef<ir::SoftmaxOp>(values.getProbs());
    auto mask =
        softmax ? SoleDef<ir::WindowMaskOp>(softmax.getInput()) : nullptr;
    if (!mask)
      return rewriter.notifyMatchFailure(values, "no masked softmax");
    mlir::Value scores = mask.getScores();
    auto cap = SoleDef<ir::SoftcapOp>(scores);
    if (cap)
      scores = cap.getInput();
    auto dot = SoleDef<ir::AttnScoresOp>(scores);
    if (!dot)
      return rewriter.notifyMatchFailure(values, "no attention scores");
    rewriter.replaceOpWithNewOp<ir::FusedAttentionOp>(
        values, values.getType(), dot.getQuery(), dot.getKeys(),
        values.getValues(), mask.getPositions(), dot.getScaleAttr(),
        cap ? cap.getCapAttr() : mlir::FloatAttr(), mask.getWindowAttr());
    rewriter.eraseOp(softmax);
    rewriter.eraseOp(mask);
    if (cap)
      rewriter.eraseOp(cap);
    rewriter.eraseOp(dot);
    return mlir::success();
  }
};

struct FuseAttentionPass : impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    if (failed(ApplyPattern<AttentionPattern>(getOperation())))
      signalPassFailure();
  }
};

} // namespace
} // namespace gemma
