//===- GemmaFusedOps.cpp - Verifiers of the fused gemma ops ---------------===//
//
// A fused op accepts exactly what its group of unfused ops accepts, with the
// same messages (VerifyUtils.h).
//
//===----------------------------------------------------------------------===//

#include "dialects/gemma/GemmaOps.h"
#include "dialects/gemma/VerifyUtils.h"

#include <cmath>

using namespace mlir;
using namespace gemma::ir;
using namespace gemma::ir::detail;

LogicalResult FusedGegluOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> out = shapeOf(getResult());
  if (failed(verifyMatmulShapes(*this, in, out, getGateRows())) ||
      failed(verifyMatmulShapes(*this, in, out, getUpRows())))
    return failure();
  return success();
}

LogicalResult FusedGegluOp::verifySymbolUses(SymbolTableCollection &tables) {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> out = shapeOf(getResult());
  if (failed(verifyMatmulWeight(*this, getGateWeightAttr(), getGateRows(),
                                std::nullopt, in, out, tables)) ||
      failed(verifyMatmulWeight(*this, getUpWeightAttr(), getUpRows(),
                                std::nullopt, in, out, tables)))
    return failure();
  return success();
}

LogicalResult FusedResidualNormOp::verify() {
  return verifyNorm(*this, getWeight().has_value(),
                    getWeightScale().has_value(), getLhs(),
                    getEpsilon().convertToFloat());
}

LogicalResult
FusedResidualNormOp::verifySymbolUses(SymbolTableCollection &tables) {
  return verifyNormWeight(*this, getWeightAttr(), getLhs(), tables);
}

LogicalResult FusedAttentionOp::verify() {
  if (failed(verifyAttention(*this, getQuery(), getKeys(), getValues(),
                             getResult())) ||
      failed(expectPositions(*this, getPositions(), shapeOf(getQuery())[0])) ||
      failed(expectPositiveFinite(*this, "scale", getScale().convertToFloat())))
    return failure();
  if (std::optional<APFloat> cap = getCap())
    if (failed(expectPositiveFinite(*this, "cap", cap->convertToFloat())))
      return failure();
  return expectWindow(*this, getWindow());
}

LogicalResult FusedLogitsOp::verify() {
  if (std::optional<APFloat> cap = getCap())
    if (failed(expectPositiveFinite(*this, "cap", cap->convertToFloat())))
      return failure();
  return verifyLogitsShapes(*this, getInput(), getResult());
}

LogicalResult FusedLogitsOp::verifySymbolUses(SymbolTableCollection &tables) {
  return verifyLogitsTable(*this, getTableAttr(), getInput(), getResult(),
                           tables);
}

LogicalResult FusedNormMatmulOp::verify() {
  if (failed(verifyNorm(*this, getNormWeight().has_value(),
                        getNormScale().has_value(), getInput(),
                        getEpsilon().convertToFloat())))
    return failure();
  return verifyMatmulShapes(*this, shapeOf(getInput()), shapeOf(getResult()),
                            getWeightRows());
}

LogicalResult
FusedNormMatmulOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(verifyNormWeight(*this, getNormWeightAttr(), getInput(), tables)))
    return failure();
  return verifyMatmulWeight(*this, getWeightAttr(), getWeightRows(),
                            std::nullopt, shapeOf(getInput()),
                            shapeOf(getResult()), tables);
}

LogicalResult FusedQkvRopeOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 2, "[N, d]")) ||
      failed(expectRank(*this, "query", getQuery(), 3, "[N, H, D]")) ||
      failed(expectRank(*this, "k_cache", getKCache(), 4, "[B, S, K, D]")) ||
      failed(expectRank(*this, "v_cache", getVCache(), 4, "[B, S, K, D]")))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), q = shapeOf(getQuery());
  ArrayRef<int64_t> kc = shapeOf(getKCache()), vc = shapeOf(getVCache());
  const int64_t rows = in[0];
  SmallVector<int64_t> kShape = {rows, kc[2], kc[3]};
  SmallVector<int64_t> vShape = {rows, vc[2], vc[3]};
  if (failed(verifyMatmulShapes(*this, in, q, getQRows())) ||
      failed(verifyMatmulShapes(*this, in, kShape, getKRows())))
    return failure();
  if (getVWeight()) {
    if (failed(verifyMatmulShapes(*this, in, vShape, getVRows())))
      return failure();
  } else if (getVRows() || kc[2] != vc[2] || kc[3] != vc[3]) {
    return emitOpError("without a value projection (K=V) expects no value "
                       "rows and a value cache of the keys' heads");
  }
  if (q[2] != kc[3])
    return emitOpError() << "query head dimension " << q[2]
                         << " does not match the keys' " << kc[3];
  if (failed(expectHeadGroups(*this, q[1], kc[2])) ||
      failed(expectCacheSequences(*this, "k_cache", kc[0], rows)) ||
      failed(expectCacheSequences(*this, "v_cache", vc[0], rows)) ||
      failed(expectPositions(*this, getPositions(), rows)))
    return failure();
  const bool anyNorm = getQueryNorm() || getKeyNorm() || getQkScale();
  if (anyNorm && !(getQueryNorm() && getKeyNorm() && getQkScale()))
    return emitOpError("expects the query norm, key norm and their "
                       "convention together");
  if (failed(expectPositiveFinite(*this, "epsilon",
                                  getEpsilon().convertToFloat())) ||
      failed(
          expectPositiveFinite(*this, "base", getBase().convertToDouble())) ||
      failed(
          expectPositiveFinite(*this, "scale", getScale().convertToDouble())))
    return failure();
  if (q[2] % 2 != 0)
    return emitOpError() << "expects an even head dimension, got " << q[2];
  double fraction = getFraction().convertToDouble();
  if (!(fraction > 0.0 && fraction <= 1.0))
    return emitOpError() << "expects the rotated fraction in (0, 1], got "
                         << formatNumber(fraction);
  if (static_cast<int64_t>(std::floor(fraction * q[2] / 2.0)) < 1)
    return emitOpError() << "rotated fraction " << formatNumber(fraction)
                         << " of head dimension " << q[2] << " rotates no pair";
  return success();
}

LogicalResult FusedQkvRopeOp::verifySymbolUses(SymbolTableCollection &tables) {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> kc = shapeOf(getKCache()), vc = shapeOf(getVCache());
  SmallVector<int64_t> kShape = {in[0], kc[2], kc[3]};
  SmallVector<int64_t> vShape = {in[0], vc[2], vc[3]};
  if (failed(verifyMatmulWeight(*this, getQWeightAttr(), getQRows(),
                                std::nullopt, in, shapeOf(getQuery()),
                                tables)) ||
      failed(verifyMatmulWeight(*this, getKWeightAttr(), getKRows(),
                                std::nullopt, in, kShape, tables)))
    return failure();
  if (getVWeightAttr() &&
      failed(verifyMatmulWeight(*this, getVWeightAttr(), getVRows(),
                                std::nullopt, in, vShape, tables)))
    return failure();
  if (failed(verifyNormWeight(*this, getQueryNormAttr(), getQuery(), tables)))
    return failure();
  // The key norm is as wide as a key head: check it against the cache.
  return verifyNormWeight(*this, getKeyNormAttr(), getKCache(), tables);
}
