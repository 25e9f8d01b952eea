//===- FuseQkvRope.cpp - QKV projections + QK-norm + RoPE + KV writes -----===//
//
// Anchored on the key cache write, whose input is the only rotated tensor
// that goes into a cache. From there: the key projection (through the
// optional key norm), the value write of the same positions (its input is a
// projection of the same activations, or on K=V layers the raw key itself,
// each through the optional weightless value norm), and the query rope of
// the same positions and RoPE parameters (through the optional query norm).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/PatternUtils.h"

namespace gemma {

#define GEN_PASS_DEF_FUSEQKVROPE
#include "passes/Passes.h.inc"

namespace {

// A plain projection (no head-major weight) of `input`.
bool IsProjectionOf(ir::MatmulOp matmul, mlir::Value input) {
  return matmul && !matmul.getHeads() && matmul.getInput() == input;
}

bool SameRope(ir::RopeOp a, ir::RopeOp b) {
  return a.getPositions() == b.getPositions() && a.getBase() == b.getBase() &&
         a.getScale() == b.getScale() && a.getFraction() == b.getFraction();
}

struct QkvRopePattern : mlir::OpRewritePattern<ir::KvWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(ir::KvWriteOp keyWrite,
                  mlir::PatternRewriter &rewriter) const override {
    auto fail = [&](const char *why) {
      return rewriter.notifyMatchFailure(keyWrite, why);
    };
    // Keys: kv_write(rope([rms_norm(w)](matmul(x, k)))).
    auto keyRope = SoleDef<ir::RopeOp>(keyWrite.getInput());
    if (!keyRope)
      return fail("not a key write");
    mlir::Value positions = keyWrite.getPositions();
    if (keyRope.getPositions() != positions)
      return fail("rope and write at different positions");
    mlir::Value keyIn = keyRope.getInput();
    auto keyNorm = SoleDef<ir::RmsNormOp>(keyIn);
    if (keyNorm && !keyNorm.getWeightAttr())
      return fail("a key norm without a weight");
    mlir::Value rawKey = keyNorm ? keyNorm.getInput() : keyIn;
    auto keyProj = rawKey.getDefiningOp<ir::MatmulOp>();
    if (!keyProj || keyProj.getHeads())
      return fail("keys are not a projection");
    mlir::Value x = keyProj.getInput();

    // Values: the other kv_write at these positions, of a projection of x
    // or (K=V) of the raw key, through an optional weightless norm.
    ir::KvWriteOp valueWrite;
    ir::RmsNormOp valueNorm;
    ir::MatmulOp valueProj;
    for (mlir::Operation &op : *keyWrite->getBlock()) {
      auto write = mlir::dyn_cast<ir::KvWriteOp>(&op);
      if (!write || write == keyWrite || write.getPositions() != positions)
        continue;
      mlir::Value v = write.getInput();
      auto norm = v.getDefiningOp<ir::RmsNormOp>();
      if (norm && !norm.getWeightAttr())
        v = norm.getInput();
      else
        norm = nullptr;
      auto proj = v.getDefiningOp<ir::MatmulOp>();
      if (v != rawKey && !IsProjectionOf(proj, x))
        continue;
      if (norm && !norm->hasOneUse())
        continue;
      valueWrite = write;
      valueNorm = norm;
      valueProj = v == rawKey ? nullptr : proj;
      break;
    }
    if (!valueWrite)
      return fail("no value write of the same activations");
    if (valueProj && !valueProj->hasOneUse())
      return fail("the value projection has other users");
    // The raw key feeds only the key path (and the value path on K=V).
    const unsigned rawUses = valueProj ? 1 : 2;
    if (!llvm::hasNItems(rawKey.getUses(), rawUses))
      return fail("the raw key projection has other users");

    // Queries: rope([rms_norm(w)](matmul(x, q))) with the same RoPE.
    ir::RopeOp queryRope;
    ir::RmsNormOp queryNorm;
    ir::MatmulOp queryProj;
    for (mlir::Operation *user : x.getUsers()) {
      auto proj = mlir::dyn_cast<ir::MatmulOp>(user);
      if (!proj || proj == keyProj || proj == valueProj || proj.getHeads() ||
          !proj->hasOneUse())
        continue;
      mlir::Operation *next = *proj->getUsers().begin();
      auto norm = mlir::dyn_cast<ir::RmsNormOp>(next);
      if (norm) {
        if (!norm->hasOneUse() || !norm.getWeightAttr())
          continue;
        next = *norm->getUsers().begin();
      }
      auto rope = mlir::dyn_cast<ir::RopeOp>(next);
      if (!rope || !SameRope(rope, keyRope) || (bool(norm) != bool(keyNorm)))
        continue;
      if (norm && (norm.getWeightScaleAttr() != keyNorm.getWeightScaleAttr() ||
                   norm.getEpsilonAttr() != keyNorm.getEpsilonAttr()))
        continue;
      queryRope = rope;
      queryNorm = norm;
      queryProj = proj;
      break;
    }
    if (!queryRope)
      return fail("no query projection with the same RoPE");

    // Norm epsilons must agree to be one attribute.
    mlir::FloatAttr epsilon =
        keyNorm ? keyNorm.getEpsilonAttr()
                : (valueNorm ? valueNorm.getEpsilonAttr() : mlir::FloatAttr());
    if (valueNorm && epsilon && valueNorm.getEpsilonAttr() != epsilon)
      return fail("different norm epsilons");
    if (!epsilon)
      epsilon = rewriter.getF32FloatAttr(1e-6f); // unused without norms

    // Before the first of the replaced results; every operand is defined
    // before that point.
    mlir::Operation *at = queryRope;
    for (mlir::Operation *op :
         {keyWrite.getOperation(), valueWrite.getOperation()})
      if (op->isBeforeInBlock(at))
        at = op;
    for (mlir::Value operand : {x, positions, mlir::Value(keyWrite.getCache()),
                                mlir::Value(valueWrite.getCache())})
      if (mlir::Operation *def = operand.getDefiningOp())
        if (def->getBlock() == at->getBlock() && !def->isBeforeInBlock(at))
          return fail("an operand is defined too late");

    rewriter.setInsertionPoint(at);
    auto fused = ir::FusedQkvRopeOp::create(
        rewriter, keyWrite.getLoc(), queryRope.getType(), keyWrite.getType(),
        valueWrite.getType(), x, positions, keyWrite.getCache(),
        valueWrite.getCache(), queryProj.getWeightAttr(),
        queryProj.getWeightRowsAttr(), keyProj.getWeightAttr(),
        keyProj.getWeightRowsAttr(),
        valueProj ? valueProj.getWeightAttr() : mlir::FlatSymbolRefAttr(),
        valueProj ? valueProj.getWeightRowsAttr() : mlir::DenseI64ArrayAttr(),
        queryNorm ? queryNorm.getWeightAttr() : mlir::FlatSymbolRefAttr(),
        keyNorm ? keyNorm.getWeightAttr() : mlir::FlatSymbolRefAttr(),
        keyNorm ? keyNorm.getWeightScaleAttr() : ir::NormScaleAttr(),
        valueNorm ? rewriter.getUnitAttr() : mlir::UnitAttr(), epsilon,
        keyRope.getBaseAttr(), keyRope.getScaleAttr(),
        keyRope.getFractionAttr());
    rewriter.replaceOp(queryRope, fused.getQuery());
    rewriter.replaceOp(keyWrite, fused.getKeys());
    rewriter.replaceOp(valueWrite, fused.getValues());
    for (mlir::Operation *dead :
         {queryNorm.getOperation(), queryProj.getOperation(),
          keyRope.getOperation(), keyNorm.getOperation(),
          valueNorm.getOperation(), valueProj.getOperation(),
          keyProj.getOperation()})
      if (dead)
        rewriter.eraseOp(dead);
    return mlir::success();
  }
};

struct FuseQkvRopePass : impl::FuseQkvRopeBase<FuseQkvRopePass> {
  void runOnOperation() override {
    if (failed(ApplyPattern<QkvRopePattern>(getOperation())))
      signalPassFailure();
  }
};

} // namespace
} // namespace gemma
