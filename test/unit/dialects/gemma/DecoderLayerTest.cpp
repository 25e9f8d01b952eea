//===- DecoderLayerTest.cpp - Build decoder layers through the C++ API ----===//
//
// Builds whole Gemma decoder layers with OpBuilder (a Gemma 3 sliding layer
// with QK-norm and a Gemma 4 global layer with K=V and proportional RoPE) and
// checks that they verify, and that a wrong geometry is rejected.
//
//===----------------------------------------------------------------------===//

#include "dialects/gemma/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

using namespace mlir;
using namespace gemma::ir;

// The geometry of one decoder layer, as a model config would give it.
struct LayerGeometry {
  int64_t width = 64;     // d
  int64_t queryHeads = 4; // H
  int64_t kvHeads = 2;    // K
  int64_t headDim = 16;   // D
  int64_t hidden = 128;   // ff
  int64_t rows = 8;       // N, tokens of the prefill chunk
  int64_t slots = 32;     // S, KV cache slots
  std::optional<int64_t> window = 6;
  NormScale norm = NormScale::PlusOne;
  bool kEqV = false;
  double ropeBase = 1e4;
  double ropeFraction = 1.0;
  float queryScale = 0.25f;
};

class DecoderLayerTest : public ::testing::Test {
protected:
  DecoderLayerTest() : builder(&context) {
    context.loadDialect<GemmaDialect, func::FuncDialect>();
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }

  FlatSymbolRefAttr param(ModuleOp module, StringRef name,
                          ArrayRef<int64_t> shape, StorageType storage) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    ParamOp::create(builder, loc(), name,
                    WeightType::get(&context, shape, storage),
                    /*scale=*/nullptr);
    return FlatSymbolRefAttr::get(&context, name);
  }

  Value rmsNorm(Value x, FlatSymbolRefAttr weight, NormScale scale) {
    return RmsNormOp::create(builder, loc(), x.getType(), x, weight,
                             NormScaleAttr::get(&context, scale),
                             builder.getF32FloatAttr(1e-6f));
  }

  Value matmul(Value x, FlatSymbolRefAttr weight, ArrayRef<int64_t> shape) {
    return MatmulOp::create(builder, loc(), f32(shape), x, weight,
                            /*weight_rows=*/nullptr, /*heads=*/nullptr);
  }

  Value rope(Value x, Value positions, const LayerGeometry &g) {
    return RopeOp::create(builder, loc(), x.getType(), x, positions,
                          builder.getF64FloatAttr(g.ropeBase),
                          builder.getF64FloatAttr(1.0),
                          builder.getF64FloatAttr(g.ropeFraction));
  }

  // Emits one pre-norm + sandwich-norm decoder layer returning the residual
  // stream and both updated caches.
  ModuleOp buildLayer(const LayerGeometry &g) {
    ModuleOp module = ModuleOp::create(loc());
    StorageType sfp = StorageType::SFP;
    auto preAtt = param(module, "pre_att_ns", {g.width}, StorageType::BF16);
    auto postAtt = param(module, "post_att_ns", {g.width}, StorageType::BF16);
    auto preFfw = param(module, "pre_ff_ns", {g.width}, StorageType::BF16);
    auto postFfw = param(module, "post_ff_ns", {g.width}, StorageType::BF16);
    auto qNorm = param(module, "query_norm", {g.headDim}, StorageType::BF16);
    auto kNorm = param(module, "key_norm", {g.headDim}, StorageType::BF16);
    auto wq = param(module, "q", {g.queryHeads * g.headDim, g.width}, sfp);
    auto wk = param(module, "k", {g.kvHeads * g.headDim, g.width}, sfp);
    FlatSymbolRefAttr wv;
    if (!g.kEqV)
      wv = param(module, "v", {g.kvHeads * g.headDim, g.width}, sfp);
    auto wo = param(module, "o", {g.width, g.queryHeads * g.headDim}, sfp);
    auto gate = param(module, "gating", {2 * g.hidden, g.width}, sfp);
    auto down = param(module, "linear", {g.width, g.hidden}, sfp);

    auto x = f32({g.rows, g.width});
    auto ids = RankedTensorType::get({g.rows}, builder.getI32Type());
    auto cache = f32({1, g.slots, g.kvHeads, g.headDim});
    builder.setInsertionPointToEnd(module.getBody());
    auto func = func::FuncOp::create(
        builder, loc(), "layer",
        builder.getFunctionType({x, ids, cache, cache}, {x, cache, cache}));
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToStart(body);
    Value stream = body->getArgument(0);
    Value positions = body->getArgument(1);

    Value normed = rmsNorm(stream, preAtt, g.norm);
    auto qShape = SmallVector<int64_t>{g.rows, g.queryHeads, g.headDim};
    auto kvShape = SmallVector<int64_t>{g.rows, g.kvHeads, g.headDim};
    Value q =
        rope(rmsNorm(matmul(normed, wq, qShape), qNorm, g.norm), positions, g);
    Value raw = matmul(normed, wk, kvShape);
    Value k = rope(rmsNorm(raw, kNorm, g.norm), positions, g);
    // K=V: the raw key projection, normalized without a weight, is the value.
    Value v =
        g.kEqV ? RmsNormOp::create(builder, loc(), raw.getType(), raw, nullptr,
                                   nullptr, builder.getF32FloatAttr(1e-6f))
                     .getResult()
               : matmul(normed, wv, kvShape);
    Value keys = KvWriteOp::create(builder, loc(), cache, k,
                                   body->getArgument(2), positions);
    Value values = KvWriteOp::create(builder, loc(), cache, v,
                                     body->getArgument(3), positions);
    auto scoresType = f32({g.rows, g.queryHeads, g.slots});
    Value scores = AttnScoresOp::create(builder, loc(), scoresType, q, keys,
                                        builder.getF32FloatAttr(g.queryScale));
    IntegerAttr window =
        g.window ? builder.getI64IntegerAttr(*g.window) : IntegerAttr();
    Value masked = WindowMaskOp::create(builder, loc(), scoresType, scores,
                                        positions, window);
    Value probs = SoftmaxOp::create(builder, loc(), masked);
    Value heads =
        AttnValuesOp::create(builder, loc(), f32(qShape), probs, values);
    Value attn = rmsNorm(matmul(heads, wo, {g.rows, g.width}), postAtt, g.norm);
    stream = AddOp::create(builder, loc(), stream, attn);

    Value ffwIn = rmsNorm(stream, preFfw, g.norm);
    auto hiddenType = f32({g.rows, g.hidden});
    auto gateRows = builder.getDenseI64ArrayAttr({0, g.hidden});
    auto upRows = builder.getDenseI64ArrayAttr({g.hidden, 2 * g.hidden});
    Value gated = GeluTanhOp::create(
        builder, loc(),
        MatmulOp::create(builder, loc(), hiddenType, ffwIn, gate, gateRows,
                         /*heads=*/nullptr));
    Value up = MatmulOp::create(builder, loc(), hiddenType, ffwIn, gate, upRows,
                                /*heads=*/nullptr);
    Value product = MulOp::create(builder, loc(), gated, up);
    Value ffw =
        rmsNorm(matmul(product, down, {g.rows, g.width}), postFfw, g.norm);
    stream = AddOp::create(builder, loc(), stream, ffw);
    func::ReturnOp::create(builder, loc(), ValueRange{stream, keys, values});
    return module;
  }

  // Verifies `module`, returning the first diagnostic ("" when it verifies).
  std::string verifyMessage(ModuleOp module) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return success();
    });
    if (succeeded(verify(module)))
      return "";
    return message.empty() ? "failed without a diagnostic" : message;
  }

  Location loc() { return builder.getUnknownLoc(); }

  MLIRContext context;
  OpBuilder builder;
};

TEST_F(DecoderLayerTest, Gemma3SlidingLayerVerifies) {
  LayerGeometry g;
  OwningOpRef<ModuleOp> module = buildLayer(g);
  EXPECT_EQ(verifyMessage(*module), "");

  int64_t norms = 0, matmuls = 0;
  module->walk([&](RmsNormOp) { ++norms; });
  module->walk([&](MatmulOp) { ++matmuls; });
  EXPECT_EQ(norms, 6);   // pre/post attention, pre/post FFW, QK-norm
  EXPECT_EQ(matmuls, 7); // q, k, v, o, gate, up, down
}

TEST_F(DecoderLayerTest, Gemma4GlobalKEqVLayerVerifies) {
  LayerGeometry g;
  g.kvHeads = 1;
  g.headDim = 32;
  g.window.reset();
  g.norm = NormScale::Plain;
  g.kEqV = true;
  g.ropeBase = 1e6;
  g.ropeFraction = 0.25;
  g.queryScale = 1.0f;
  OwningOpRef<ModuleOp> module = buildLayer(g);
  EXPECT_EQ(verifyMessage(*module), "");

  int64_t matmuls = 0, unweightedNorms = 0;
  module->walk([&](MatmulOp) { ++matmuls; });
  module->walk([&](RmsNormOp op) { unweightedNorms += !op.getWeight(); });
  EXPECT_EQ(matmuls, 6);         // no value projection
  EXPECT_EQ(unweightedNorms, 1); // the value norm

  RopeOp rope;
  module->walk([&](RopeOp op) { rope = op; });
  ASSERT_TRUE(rope);
  // floor(0.25 * 32 / 2) = 4 pairs rotate: dims 0..3 and 16..19.
  EXPECT_EQ(rope.getNumRotatedPairs(), 4);
}

TEST_F(DecoderLayerTest, HeadCountNotDividingIsRejected) {
  LayerGeometry g;
  g.queryHeads = 3;
  OwningOpRef<ModuleOp> module = buildLayer(g);
  EXPECT_EQ(verifyMessage(*module),
            "'gemma.attn_scores' op query head count 3 is not a multiple of "
            "the KV head count 2");
}

TEST_F(DecoderLayerTest, EmptyWindowIsRejected) {
  LayerGeometry g;
  g.window = 0;
  OwningOpRef<ModuleOp> module = buildLayer(g);
  EXPECT_EQ(verifyMessage(*module),
            "'gemma.window_mask' op expects a positive window, got 0");
}

TEST_F(DecoderLayerTest, WeightOfWrongWidthIsRejected) {
  LayerGeometry g;
  OwningOpRef<ModuleOp> module = buildLayer(g);
  // Re-declare the output projection one column short.
  module->walk([&](ParamOp op) {
    if (op.getSymName() == "o")
      op.setType(WeightType::get(
          &context, {g.width, g.queryHeads * g.headDim - 1}, StorageType::SFP));
  });
  EXPECT_EQ(verifyMessage(*module),
            "'gemma.matmul' op weight @o has 63 columns, but the input row "
            "has 64");
}

} // namespace
