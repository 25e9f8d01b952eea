//===- PlanMemory.cpp - Liveness-based arena offsets ----------------------===//
//
// Places every f32 intermediate of each function at a byte offset of one
// arena (compiler/plan/ArenaPlanner: first fit, 64-byte aligned): results
// are placed when defined, and a buffer returns to the free list after its
// last reader, so later buffers reuse it. Results that update a KV cache in
// place (kv_write, fused_qkv_rope's keys and values) take their cache's
// storage and get -1. The placement is recorded as attributes for the
// lowering: `gemma.arena_offsets` on each op with results, and
// `gemma.arena_bytes` on the function.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/ArenaPlanner.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"

namespace gemma {

#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"

namespace {

constexpr int64_t kAlignment = 64;

int64_t Bytes(mlir::Value value) {
  auto type = mlir::cast<mlir::RankedTensorType>(value.getType());
  return type.getNumElements() * int64_t(type.getElementTypeBitWidth() / 8);
}

// The cache operand a result updates in place, if any.
mlir::Value CacheOf(mlir::OpResult result) {
  mlir::Operation *op = result.getOwner();
  if (auto write = mlir::dyn_cast<ir::KvWriteOp>(op))
    return write.getCache();
  if (auto qkv = mlir::dyn_cast<ir::FusedQkvRopeOp>(op)) {
    if (result == qkv.getKeys())
      return qkv.getKCache();
    if (result == qkv.getValues())
      return qkv.getVCache();
  }
  return nullptr;
}

void PlanFunction(mlir::func::FuncOp func) {
  mlir::Block &body = func.getBody().front();
  llvm::DenseMap<mlir::Value, mlir::Operation *> last_reader;
  for (mlir::Operation &op : body)
    for (mlir::Value operand : op.getOperands())
      last_reader[operand] = &op;

  ArenaPlanner planner(kAlignment);
  llvm::DenseMap<mlir::Value, int64_t> offsets;
  mlir::Builder builder(func.getContext());
  for (mlir::Operation &op : body) {
    if (op.getNumResults() > 0) {
      llvm::SmallVector<int64_t> placed;
      for (mlir::OpResult result : op.getResults()) {
        if (CacheOf(result)) {
          placed.push_back(-1);
          continue;
        }
        const int64_t offset = planner.Allocate(Bytes(result));
        offsets[result] = offset;
        placed.push_back(offset);
      }
      op.setAttr("gemma.arena_offsets", builder.getDenseI64ArrayAttr(placed));
    }
    // What this op read for the last time is free for the next ones.
    for (mlir::Value operand : op.getOperands()) {
      auto it = offsets.find(operand);
      if (it != offsets.end() && last_reader[operand] == &op) {
        planner.Release(it->second, Bytes(operand));
        offsets.erase(it);
      }
    }
  }
  func->setAttr("gemma.arena_bytes", builder.getI64IntegerAttr(planner.size()));
}

struct PlanMemoryPass : impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    for (mlir::func::FuncOp func : getOperation().getOps<mlir::func::FuncOp>())
      PlanFunction(func);
  }
};

} // namespace
} // namespace gemma
