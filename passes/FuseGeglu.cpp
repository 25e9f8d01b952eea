//===- FuseGeglu.cpp - gate/up matmuls + gelu_tanh + mul ------------------===//

#include "passes/Passes.h"
#include "passes/PatternUtils.h"

namespace gemma {

#define GEN_PASS_DEF_FUSEGEGLU
#include "passes/Passes.h.inc"

namespace {

// A plain projection (no head-major weight) with no other user.
ir::MatmulOp SoleProjection(mlir::Value value) {
  auto matmul = value.getDefiningOp<ir::MatmulOp>();
  if (!matmul || matmul.getHeads() || !matmul->hasOneUse())
    return nullptr;
  return matmul;
}

struct GegluPattern : mlir::OpRewritePattern<ir::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(ir::MulOp mul,
                  mlir::PatternRewriter &rewriter) const override {
    // gelu(gate) * up, or up * gelu(gate).
    for (auto [gated, other] : {std::pair(mul.getLhs(), mul.getRhs()),
                                std::pair(mul.getRhs(), mul.getLhs())}) {
      auto gelu = gated.getDefiningOp<ir::GeluTanhOp>();
      if (!gelu || !gelu->hasOneUse())
        continue;
      ir::MatmulOp gate = SoleProjection(gelu.getInput());
      ir::MatmulOp up = SoleProjection(other);
      if (!gate || !up || gate.getInput() != up.getInput() ||
          gate.getType() != up.getType())
        continue;
      rewriter.replaceOpWithNewOp<ir::FusedGegluOp>(
          mul, mul.getType(), gate.getInput(), gate.getWeightAttr(),
          gate.getWeightRowsAttr(), up.getWeightAttr(), up.getWeightRowsAttr());
      rewriter.eraseOp(gelu);
      rewriter.eraseOp(gate);
      rewriter.eraseOp(up);
      return mlir::success();
    }
    return rewriter.notifyMatchFailure(mul, "not a GeGLU product");
  }
};

struct FuseGegluPass : impl::FuseGegluBase<FuseGegluPass> {
  void runOnOperation() override {
    if (failed(ApplyPattern<GegluPattern>(getOperation())))
      signalPassFailure();
  }
};

} // namespace
} // namespace gemma
