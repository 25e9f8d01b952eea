//===- FuseLogits.cpp - tied logits + final soft-cap ----------------------===//

#include "passes/Passes.h"
#include "passes/PatternUtils.h"

namespace gemma {

#define GEN_PASS_DEF_FUSELOGITS
#include "passes/Passes.h.inc"

namespace {

struct LogitsPattern : mlir::OpRewritePattern<ir::SoftcapOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(ir::SoftcapOp cap,
                  mlir::PatternRewriter &rewriter) const override {
    auto logits = cap.getInput().getDefiningOp<ir::LogitsOp>();
    if (!logits || !logits->hasOneUse())
      return rewriter.notifyMatchFailure(cap, "not a capped logits row");
    rewriter.replaceOpWithNewOp<ir::FusedLogitsOp>(
        cap, cap.getType(), logits.getInput(), logits.getTableAttr(),
        cap.getCapAttr());
    rewriter.eraseOp(logits);
    return mlir::success();
  }
};

struct FuseLogitsPass : impl::FuseLogitsBase<FuseLogitsPass> {
  void runOnOperation() override {
    if (failed(ApplyPattern<LogitsPattern>(getOperation())))
      signalPassFailure();
  }
};

} // namespace
} // namespace gemma
