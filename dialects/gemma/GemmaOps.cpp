//===- GemmaOps.cpp - Verifiers of the gemma ops --------------------------===//
//
// Every rule here rejects IR that no Gemma config can produce, with a message
// that names the operand or attribute and what was expected.
//
//===----------------------------------------------------------------------===//

#include "dialects/gemma/GemmaOps.h"
#include "dialects/gemma/VerifyUtils.h"

#include "llvm/ADT/bit.h"

#include <cmath>
#include <cstdio>
#include <string>

using namespace mlir;
using namespace gemma::ir;
using namespace gemma::ir::detail;

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (std::optional<APFloat> scale = getScale())
    return expectPositiveFinite(*this, "scale", scale->convertToFloat());
  return success();
}

//===----------------------------------------------------------------------===//
// EmbedOp
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  float scale = getScale().convertToFloat();
  if (failed(expectPositiveFinite(*this, "scale", scale)))
    return failure();
  if (failed(expectRank(*this, "result", getResult(), 2, "[N, d]")))
    return failure();
  // bf16 keeps the upper 16 bits of an f32. JAX and gemma.cpp multiply by
  // bf16(sqrt(d)); llama.cpp and Hugging Face (f32) by sqrtf(d) itself.
  const int64_t d = shapeOf(getResult())[1];
  if ((llvm::bit_cast<uint32_t>(scale) & 0xFFFFu) != 0 &&
      scale != std::sqrt(float(d)))
    return emitOpError() << "expects scale to be rounded to bfloat16 (Gemma "
                            "multiplies by bf16(sqrt(d))) or to be sqrtf(d) = "
                         << formatNumber(std::sqrt(float(d))) << ", got "
                         << formatNumber(scale);
  if (shapeOf(getResult())[0] != shapeOf(getIds())[0])
    return emitOpError() << "expects one result row per id ("
                         << shapeOf(getIds())[0] << "), got "
                         << shapeOf(getResult())[0];
  if (std::optional<ArrayRef<int64_t>> cols = getCols()) {
    if (cols->size() != 2 || (*cols)[0] < 0 || (*cols)[1] <= (*cols)[0])
      return emitOpError() << "expects cols [begin, end) with 0 <= begin < "
                              "end";
    if ((*cols)[1] - (*cols)[0] != d)
      return emitOpError() << "expects the result width " << d
                           << " to equal the column range's "
                           << (*cols)[1] - (*cols)[0];
  }
  return success();
}

LogicalResult EmbedOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<ParamOp> table = lookupParam(*this, getTableAttr(), tables);
  if (failed(table))
    return failure();
  ArrayRef<int64_t> shape = table->getWeightType().getShape();
  if (shape.size() != 2)
    return emitOpError() << "expects a [V, d] embedding table, got rank "
                         << shape.size();
  int64_t width = shapeOf(getResult())[1];
  if (std::optional<ArrayRef<int64_t>> cols = getCols()) {
    if ((*cols)[1] > shape[1])
      return emitOpError() << "reads columns up to " << (*cols)[1]
                           << " of a table " << shape[1] << " wide";
    return success();
  }
  if (shape[1] != width)
    return emitOpError() << "embedding table width " << shape[1]
                         << " does not match the result width " << width;
  return success();
}

//===----------------------------------------------------------------------===//
// MoeExpertsOp
//===----------------------------------------------------------------------===//

LogicalResult MoeExpertsOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 2, "[N, d]")) ||
      failed(expectRank(*this, "logits", getLogits(), 2, "[N, E]")) ||
      failed(expectRank(*this, "result", getResult(), 2, "[N, d]")))
    return failure();
  if (shapeOf(getInput()) != shapeOf(getResult()))
    return emitOpError() << "expects the result shaped like the input";
  if (shapeOf(getLogits())[0] != shapeOf(getInput())[0])
    return emitOpError() << "expects one row of router logits per input row";
  const int64_t experts = shapeOf(getLogits())[1];
  const int64_t top_k = int64_t(getTopK());
  if (top_k < 1 || top_k > experts)
    return emitOpError() << "expects top_k in 1.." << experts << ", got "
                         << top_k;
  return success();
}

LogicalResult MoeExpertsOp::verifySymbolUses(SymbolTableCollection &tables) {
  const int64_t d = shapeOf(getInput())[1];
  const int64_t experts = shapeOf(getLogits())[1];
  FailureOr<ParamOp> scale = lookupParam(*this, getExpertScaleAttr(), tables);
  FailureOr<ParamOp> gate_up = lookupParam(*this, getGateUpAttr(), tables);
  FailureOr<ParamOp> down = lookupParam(*this, getDownAttr(), tables);
  if (failed(scale) || failed(gate_up) || failed(down))
    return failure();
  ArrayRef<int64_t> s = scale->getWeightType().getShape();
  ArrayRef<int64_t> gu = gate_up->getWeightType().getShape();
  ArrayRef<int64_t> dn = down->getWeightType().getShape();
  int64_t scale_count = 1;
  for (int64_t v : s)
    scale_count *= v;
  if (scale_count != experts)
    return emitOpError() << "expects " << experts << " per-expert scales, got "
                         << scale_count;
  if (gu.size() != 2 || gu[1] != d || gu[0] % (2 * experts) != 0)
    return emitOpError() << "expects gate_up as [E * 2F, " << d
                         << "] with E = " << experts;
  const int64_t ff = gu[0] / (2 * experts);
  if (dn.size() != 2 || dn[0] != experts * d || dn[1] != ff)
    return emitOpError() << "expects down as [" << experts * d << ", " << ff
                         << "] (E * d rows of the expert width)";
  return success();
}

//===----------------------------------------------------------------------===//
// LogitsOp
//===----------------------------------------------------------------------===//

LogicalResult LogitsOp::verify() {
  return verifyLogitsShapes(*this, getInput(), getResult());
}

LogicalResult LogitsOp::verifySymbolUses(SymbolTableCollection &tables) {
  return verifyLogitsTable(*this, getTableAttr(), getInput(), getResult(),
                           tables);
}

//===----------------------------------------------------------------------===//
// ArgmaxOp
//===----------------------------------------------------------------------===//

LogicalResult ArgmaxOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 2, "[N, V]")))
    return failure();
  if (shapeOf(getInput())[0] != shapeOf(getResult())[0])
    return emitOpError() << "expects one id per input row ("
                         << shapeOf(getInput())[0] << "), got "
                         << shapeOf(getResult())[0];
  return success();
}

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  return verifyNorm(*this, getWeight().has_value(),
                    getWeightScale().has_value(), getInput(),
                    getEpsilon().convertToFloat());
}

LogicalResult RmsNormOp::verifySymbolUses(SymbolTableCollection &tables) {
  return verifyNormWeight(*this, getWeightAttr(), getInput(), tables);
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> out = shapeOf(getResult());
  if (failed(verifyMatmulShapes(*this, in, out, getWeightRows())))
    return failure();
  if (std::optional<int64_t> heads = getHeads()) {
    if (getWeightRows())
      return emitOpError("expects either rows or heads, not both");
    if (in.size() != 3 || in[1] != *heads || *heads < 1)
      return emitOpError() << "heads(" << *heads << ") expects an input [N, "
                           << *heads << ", in], got " << getInput().getType();
  }
  return success();
}

LogicalResult MatmulOp::verifySymbolUses(SymbolTableCollection &tables) {
  return verifyMatmulWeight(*this, getWeightAttr(), getWeightRows(), getHeads(),
                            shapeOf(getInput()), shapeOf(getResult()), tables);
}

//===----------------------------------------------------------------------===//
// ScaleOp
//===----------------------------------------------------------------------===//

LogicalResult ScaleOp::verify() {
  bool hasWeight = getWeightAttr() != nullptr;
  bool hasFactor = getFactor().has_value();
  if (hasWeight == hasFactor)
    return emitOpError("expects exactly one of a weight and a factor");
  if (hasFactor && !std::isfinite(getFactor()->convertToFloat()))
    return emitOpError() << "expects a finite factor, got "
                         << formatNumber(getFactor()->convertToFloat());
  return success();
}

LogicalResult ScaleOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (!getWeightAttr())
    return success();
  FailureOr<ParamOp> weight = lookupParam(*this, getWeightAttr(), tables);
  if (failed(weight))
    return failure();
  if (weight->getWeightType().getNumElements() != 1)
    return emitOpError() << "expects a one-element scalar weight, got "
                         << weight->getWeightType();
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

int64_t RopeOp::getNumRotatedPairs() {
  int64_t dim = shapeOf(getInput()).back();
  return static_cast<int64_t>(std::floor(getFraction().convertToDouble() *
                                         static_cast<double>(dim) / 2.0));
}

LogicalResult RopeOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 3, "[N, heads, D]")))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(getInput());
  if (failed(expectPositions(*this, getPositions(), shape[0])))
    return failure();
  if (shape[2] % 2 != 0)
    return emitOpError() << "expects an even head dimension, got " << shape[2];
  if (failed(
          expectPositiveFinite(*this, "base", getBase().convertToDouble())) ||
      failed(
          expectPositiveFinite(*this, "scale", getScale().convertToDouble())))
    return failure();
  double fraction = getFraction().convertToDouble();
  if (!(fraction > 0.0 && fraction <= 1.0))
    return emitOpError() << "expects the rotated fraction in (0, 1], got "
                         << formatNumber(fraction);
  if (getNumRotatedPairs() < 1)
    return emitOpError() << "rotated fraction " << formatNumber(fraction)
                         << " of head dimension " << shape[2]
                         << " rotates no pair";
  return success();
}

//===----------------------------------------------------------------------===//
// KvWriteOp
//===----------------------------------------------------------------------===//

LogicalResult KvWriteOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 3, "[N, K, D]")) ||
      failed(expectRank(*this, "cache", getCache(), 4, "[B, S, K, D]")))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> cache = shapeOf(getCache());
  if (in[1] != cache[2] || in[2] != cache[3])
    return emitOpError() << "input heads [" << in[1] << ", " << in[2]
                         << "] do not match the cache's [" << cache[2] << ", "
                         << cache[3] << "] (KV heads, head dimension)";
  if (failed(expectPositions(*this, getPositions(), in[0])))
    return failure();
  return expectCacheSequences(*this, "cache", cache[0], in[0]);
}

//===----------------------------------------------------------------------===//
// AttnScoresOp
//===----------------------------------------------------------------------===//

LogicalResult AttnScoresOp::verify() {
  if (failed(expectRank(*this, "query", getQuery(), 3, "[N, H, D]")) ||
      failed(expectRank(*this, "keys", getKeys(), 4, "[B, S, K, D]")))
    return failure();
  ArrayRef<int64_t> q = shapeOf(getQuery());
  ArrayRef<int64_t> keys = shapeOf(getKeys());
  if (q[2] != keys[3])
    return emitOpError() << "query head dimension " << q[2]
                         << " does not match the keys' " << keys[3];
  if (failed(expectHeadGroups(*this, q[1], keys[2])) ||
      failed(expectCacheSequences(*this, "keys", keys[0], q[0])) ||
      failed(expectPositiveFinite(*this, "scale", getScale().convertToFloat())))
    return failure();
  return expectShape(*this, "result", getResult(), {q[0], q[1], keys[1]});
}

//===----------------------------------------------------------------------===//
// SoftcapOp
//===----------------------------------------------------------------------===//

LogicalResult SoftcapOp::verify() {
  return expectPositiveFinite(*this, "cap", getCap().convertToFloat());
}

//===----------------------------------------------------------------------===//
// WindowMaskOp
//===----------------------------------------------------------------------===//

LogicalResult WindowMaskOp::verify() {
  if (failed(expectRank(*this, "scores", getScores(), 3, "[N, H, S]")) ||
      failed(expectPositions(*this, getPositions(), shapeOf(getScores())[0])))
    return failure();
  return expectWindow(*this, getWindow());
}

//===----------------------------------------------------------------------===//
// AttnValuesOp
//===----------------------------------------------------------------------===//

LogicalResult AttnValuesOp::verify() {
  if (failed(expectRank(*this, "probs", getProbs(), 3, "[N, H, S]")) ||
      failed(expectRank(*this, "values", getValues(), 4, "[B, S, K, D]")))
    return failure();
  ArrayRef<int64_t> probs = shapeOf(getProbs());
  ArrayRef<int64_t> values = shapeOf(getValues());
  if (probs[2] != values[1])
    return emitOpError() << "probs cover " << probs[2]
                         << " slots, but the values cache has " << values[1];
  if (failed(expectHeadGroups(*this, probs[1], values[2])) ||
      failed(expectCacheSequences(*this, "values", values[0], probs[0])))
    return failure();
  return expectShape(*this, "result", getResult(),
                     {probs[0], probs[1], values[3]});
}

#include "dialects/gemma/GemmaInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/gemma/GemmaOps.cpp.inc"
