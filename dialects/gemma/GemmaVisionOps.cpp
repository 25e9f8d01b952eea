//===- GemmaVisionOps.cpp - Verifiers of the image encoders' ops ----------===//

#include "dialects/gemma/GemmaOps.h"
#include "dialects/gemma/VerifyUtils.h"

using namespace mlir;
using namespace gemma::ir;
using namespace gemma::ir::detail;

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, true, true, getInput(),
                    getEpsilon().convertToFloat());
}

LogicalResult LayerNormOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(verifyNormWeight(*this, getWeightAttr(), getInput(), tables)))
    return failure();
  return verifyNormWeight(*this, getBiasAttr(), getInput(), tables);
}

//===----------------------------------------------------------------------===//
// AddWeightOp
//===----------------------------------------------------------------------===//

LogicalResult AddWeightOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<ParamOp> weight = lookupParam(*this, getWeightAttr(), tables);
  if (failed(weight))
    return failure();
  ArrayRef<int64_t> shape = weight->getWeightType().getShape();
  ArrayRef<int64_t> in = shapeOf(getInput());
  const int64_t rows = in.empty() ? 1 : in[0];
  const int64_t width = in.empty() ? 1 : rowWidth(in);
  const int64_t weightRows = shape.size() == 1 ? 1 : shape[0];
  if (shape.empty() || shape.size() > 2 || shape.back() != width ||
      (weightRows != 1 && weightRows != rows))
    return emitOpError() << "expects a weight of [" << width << "], [1, "
                         << width << "] or [" << rows << ", " << width
                         << "] for an input of " << getInput().getType()
                         << ", got " << weight->getWeightType();
  return success();
}

//===----------------------------------------------------------------------===//
// FullAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult FullAttentionOp::verify() {
  if (failed(expectRank(*this, "query", getQuery(), 3, "[N, H, D]")))
    return failure();
  return expectPositiveFinite(*this, "scale", getScale().convertToFloat());
}

//===----------------------------------------------------------------------===//
// AvgPoolOp
//===----------------------------------------------------------------------===//

LogicalResult AvgPoolOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 2, "[R * C, D]")) ||
      failed(expectRank(*this, "result", getResult(), 2, "[T, D]")))
    return failure();
  ArrayRef<int64_t> grid = getGrid();
  const int64_t k = getKernel();
  if (grid.size() != 2 || grid[0] < 1 || grid[1] < 1)
    return emitOpError("expects grid [R, C] of positive sizes");
  if (k < 1 || grid[0] % k != 0 || grid[1] % k != 0)
    return emitOpError() << "expects kernel(" << k << ") to divide the grid ["
                         << grid[0] << ", " << grid[1] << "]";
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in[0] != grid[0] * grid[1])
    return emitOpError() << "expects " << grid[0] * grid[1]
                         << " input rows for grid [" << grid[0] << ", "
                         << grid[1] << "], got " << in[0];
  return expectShape(*this, "result", getResult(),
                     {(grid[0] / k) * (grid[1] / k), in[1]});
}

//===----------------------------------------------------------------------===//
// ReplaceRowsOp
//===----------------------------------------------------------------------===//

LogicalResult ReplaceRowsOp::verify() {
  if (failed(expectRank(*this, "input", getInput(), 2, "[N, D]")))
    return failure();
  return expectPositions(*this, getIds(), shapeOf(getInput())[0]);
}

//===----------------------------------------------------------------------===//
// ImageMaskOp
//===----------------------------------------------------------------------===//

LogicalResult ImageMaskOp::verify() {
  if (failed(expectRank(*this, "scores", getScores(), 3, "[N, H, S]")) ||
      failed(expectPositions(*this, getPositions(), shapeOf(getScores())[0])))
    return failure();
  return expectWindow(*this, getWindow());
}
