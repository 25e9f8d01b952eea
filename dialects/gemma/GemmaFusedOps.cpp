//===- GemmaFusedOps.cpp - Verifiers of the fused gemma ops ---------------===//
//
// A fused op accepts exactly what its group of unfused ops accepts, with the
// same messages (VerifyUtils.h).
//
//===----------------------------------------------------------------------===//

#include "dialects/gemma/GemmaOps.h"
#include "dialects/gemma/VerifyUtils.h"

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
  if (std::optional<uint64_t> window = getWindow())
    if (static_cast<int64_t>(*window) <= 0)
      return emitOpError() << "expects a positive window, got "
                           << static_cast<int64_t>(*window);
  return success();
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
