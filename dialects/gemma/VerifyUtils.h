//===- VerifyUtils.h - Checks shared by the gemma op verifiers --*- C++ -*-===//
//
// Internal to dialects/gemma: the unfused and fused ops check the same
// shapes and attributes with the same messages.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECTS_GEMMA_VERIFYUTILS_H
#define DIALECTS_GEMMA_VERIFYUTILS_H

#include "dialects/gemma/GemmaOps.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

namespace gemma::ir::detail {

using namespace mlir;

// Numbers in diagnostics as a person writes them: 25.2982, -50, inf.
inline std::string formatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

inline ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

// Product of dimensions [from, rank): the width of a row when a tensor is
// viewed as [dim0, rest].
inline int64_t rowWidth(ArrayRef<int64_t> shape, size_t from = 1) {
  int64_t width = 1;
  for (size_t i = from; i < shape.size(); ++i)
    width *= shape[i];
  return width;
}

inline LogicalResult expectRank(Operation *op, StringRef name, Value value,
                                int64_t rank, StringRef layout) {
  int64_t actual = shapeOf(value).size();
  if (actual == rank)
    return success();
  return op->emitOpError() << "expects " << name << " of rank " << rank << " ("
                           << layout << "), got rank " << actual;
}

inline LogicalResult expectPositiveFinite(Operation *op, StringRef name,
                                          double value) {
  if (std::isfinite(value) && value > 0)
    return success();
  return op->emitOpError() << "expects " << name
                           << " to be finite and positive, got "
                           << formatNumber(value);
}

// The row count N of a [N] positions operand must match the op's rows.
inline LogicalResult expectPositions(Operation *op, Value positions,
                                     int64_t rows) {
  int64_t n = shapeOf(positions)[0];
  if (n == rows)
    return success();
  return op->emitOpError() << "expects one position per row (" << rows
                           << "), got " << n;
}

// A KV cache holds either one sequence (prefill: every row belongs to it) or
// one sequence per row (batched decode).
inline LogicalResult expectCacheSequences(Operation *op, StringRef name,
                                          int64_t sequences, int64_t rows) {
  if (sequences == 1 || sequences == rows)
    return success();
  return op->emitOpError() << "expects " << name
                           << " to hold 1 sequence or one per row (" << rows
                           << "), got " << sequences;
}

// An optional sliding window is positive.
inline LogicalResult expectWindow(Operation *op,
                                  std::optional<uint64_t> window) {
  if (!window || static_cast<int64_t>(*window) > 0)
    return success();
  return op->emitOpError() << "expects a positive window, got "
                           << static_cast<int64_t>(*window);
}

inline LogicalResult expectHeadGroups(Operation *op, int64_t queryHeads,
                                      int64_t kvHeads) {
  if (queryHeads % kvHeads == 0)
    return success();
  return op->emitOpError() << "query head count " << queryHeads
                           << " is not a multiple of the KV head count "
                           << kvHeads;
}

inline LogicalResult expectShape(Operation *op, StringRef name, Value value,
                                 ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> actual = shapeOf(value);
  if (actual == expected)
    return success();
  InFlightDiagnostic diag = op->emitOpError()
                            << "expects " << name << " of shape [";
  llvm::interleaveComma(expected, diag);
  diag << "], got [";
  llvm::interleaveComma(actual, diag);
  return diag << "]";
}

// Resolves the gemma.param a weight-reading op names.
inline FailureOr<ParamOp> lookupParam(Operation *op, FlatSymbolRefAttr symbol,
                                      SymbolTableCollection &tables) {
  auto param = tables.lookupNearestSymbolFrom<ParamOp>(op, symbol.getAttr());
  if (!param)
    return op->emitOpError()
           << "weight " << symbol << " does not name a gemma.param";
  return param;
}

// [N, d] -> [N, V] logits.
inline LogicalResult verifyLogitsShapes(Operation *op, Value input,
                                        Value result) {
  if (failed(expectRank(op, "input", input, 2, "[N, d]")) ||
      failed(expectRank(op, "result", result, 2, "[N, V]")))
    return failure();
  if (shapeOf(input)[0] != shapeOf(result)[0])
    return op->emitOpError()
           << "expects one result row per input row (" << shapeOf(input)[0]
           << "), got " << shapeOf(result)[0];
  return success();
}

// The [V, d] embedding table logits are computed against.
inline LogicalResult verifyLogitsTable(Operation *op, FlatSymbolRefAttr symbol,
                                       Value input, Value result,
                                       SymbolTableCollection &tables) {
  FailureOr<ParamOp> table = lookupParam(op, symbol, tables);
  if (failed(table))
    return failure();
  ArrayRef<int64_t> shape = table->getWeightType().getShape();
  if (shape.size() != 2)
    return op->emitOpError()
           << "expects a [V, d] embedding table, got rank " << shape.size();
  if (shape[1] != shapeOf(input)[1])
    return op->emitOpError()
           << "embedding table width " << shape[1]
           << " does not match the input width " << shapeOf(input)[1];
  int64_t vocab = shapeOf(result)[1];
  if (vocab > shape[0])
    return op->emitOpError() << "result vocabulary " << vocab
                             << " exceeds the table's " << shape[0] << " rows";
  return success();
}

// An RMSNorm's attributes: a weight comes with its convention.
inline LogicalResult verifyNorm(Operation *op, bool hasWeight, bool hasScale,
                                Value input, float epsilon) {
  if (hasWeight != hasScale)
    return op->emitOpError("expects a weight and its convention together");
  if (shapeOf(input).empty())
    return op->emitOpError("expects an input of rank >= 1");
  return expectPositiveFinite(op, "epsilon", epsilon);
}

// An RMSNorm weight: a vector as wide as the input's last dimension.
inline LogicalResult verifyNormWeight(Operation *op, FlatSymbolRefAttr symbol,
                                      Value input,
                                      SymbolTableCollection &tables) {
  if (!symbol)
    return success();
  FailureOr<ParamOp> weight = lookupParam(op, symbol, tables);
  if (failed(weight))
    return failure();
  ArrayRef<int64_t> shape = weight->getWeightType().getShape();
  int64_t width = shapeOf(input).back();
  bool vector = shape.size() == 1 || (shape.size() == 2 && shape[0] == 1);
  if (!vector || shape.back() != width)
    return op->emitOpError()
           << "expects a norm weight of " << width << " elements ([" << width
           << "] or [1, " << width << "]), got " << weight->getWeightType();
  return success();
}

// The shapes of a matmul-like op: [N, ...] -> [N, ...], and its optional
// row ranges ([begin, end] pairs) giving exactly the result row's outputs.
inline LogicalResult verifyMatmulShapes(Operation *op, ArrayRef<int64_t> in,
                                        ArrayRef<int64_t> out,
                                        std::optional<ArrayRef<int64_t>> rows) {
  if (in.size() < 2 || out.size() < 2)
    return op->emitOpError("expects input and result of rank >= 2 ([N, ...])");
  if (in[0] != out[0])
    return op->emitOpError() << "expects as many result rows as input rows ("
                             << in[0] << "), got " << out[0];
  if (!rows)
    return success();
  if (rows->empty() || rows->size() % 2 != 0)
    return op->emitOpError(
        "expects rows as [begin, end] pairs with 0 <= begin < end");
  int64_t total = 0;
  for (size_t i = 0; i < rows->size(); i += 2) {
    if ((*rows)[i] < 0 || (*rows)[i] >= (*rows)[i + 1])
      return op->emitOpError(
          "expects rows as [begin, end] pairs with 0 <= begin < end");
    total += (*rows)[i + 1] - (*rows)[i];
  }
  if (total != rowWidth(out))
    return op->emitOpError()
           << "weight rows give " << total
           << " outputs, but the result row has " << rowWidth(out);
  return success();
}

// The stored [out, in] matrix a matmul-like op reads: its columns match the
// input row (or head, with `heads`), its rows the outputs (or the ranges).
inline LogicalResult verifyMatmulWeight(Operation *op, FlatSymbolRefAttr symbol,
                                        std::optional<ArrayRef<int64_t>> rows,
                                        std::optional<int64_t> heads,
                                        ArrayRef<int64_t> inShape,
                                        ArrayRef<int64_t> outShape,
                                        SymbolTableCollection &tables) {
  FailureOr<ParamOp> weight = lookupParam(op, symbol, tables);
  if (failed(weight))
    return failure();
  ArrayRef<int64_t> shape = weight->getWeightType().getShape();
  if (shape.size() != 2)
    return op->emitOpError() << "expects an [out, in] weight matrix, got "
                             << weight->getWeightType();
  const int64_t in = heads ? inShape.back() : rowWidth(inShape);
  if (shape[1] != in)
    return op->emitOpError() << "weight " << symbol << " has " << shape[1]
                             << " columns, but the input "
                             << (heads ? "head" : "row") << " has " << in;
  if (rows) {
    for (size_t i = 1; i < rows->size(); i += 2)
      if ((*rows)[i] > shape[0])
        return op->emitOpError()
               << "weight rows end " << (*rows)[i] << " exceeds the "
               << shape[0] << " rows of " << symbol;
    return success();
  }
  const int64_t out = heads.value_or(1) * rowWidth(outShape);
  if (shape[0] != out)
    return op->emitOpError()
           << "weight " << symbol << " has " << shape[0] << " rows, but "
           << (heads ? "heads x " : "") << "the result row has " << out;
  return success();
}

// The attention geometry: q [N, H, D], keys [B, S, K, D], values
// [B, S, K, Dv] -> [N, H, Dv].
inline LogicalResult verifyAttention(Operation *op, Value query, Value keys,
                                     Value values, Value result) {
  if (failed(expectRank(op, "query", query, 3, "[N, H, D]")) ||
      failed(expectRank(op, "keys", keys, 4, "[B, S, K, D]")) ||
      failed(expectRank(op, "values", values, 4, "[B, S, K, D]")))
    return failure();
  ArrayRef<int64_t> q = shapeOf(query), k = shapeOf(keys), v = shapeOf(values);
  if (q[2] != k[3])
    return op->emitOpError() << "query head dimension " << q[2]
                             << " does not match the keys' " << k[3];
  if (k[0] != v[0] || k[1] != v[1] || k[2] != v[2])
    return op->emitOpError("expects keys and values with the same sequences, "
                           "slots and KV heads");
  if (failed(expectHeadGroups(op, q[1], k[2])) ||
      failed(expectCacheSequences(op, "keys", k[0], q[0])))
    return failure();
  return expectShape(op, "result", result, {q[0], q[1], v[3]});
}

} // namespace gemma::ir::detail

#endif // DIALECTS_GEMMA_VERIFYUTILS_H
