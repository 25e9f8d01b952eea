//===- PlaceBuffers.cpp - Liveness-based arena offsets --------------------===//
//
// A buffer is live from the first call that touches it (the one that writes
// it, or a fused kernel's scratch) to the last one; walking the calls in
// order, it is placed at its first call (compiler/plan/ArenaPlanner: first
// fit, 64-byte aligned) and freed after its last, so two buffers of one call
// never overlap and later buffers reuse freed space.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/ArenaPlanner.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace gemma {

#define GEN_PASS_DEF_PLACEBUFFERS
#include "passes/Passes.h.inc"

namespace {

// In 4-byte elements: 16 of them are 64 bytes.
constexpr int64_t kAlignment = 16;

void Place(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Value, int64_t> last_use, offset;
  llvm::SmallVector<mlir::Operation *> users;
  for (mlir::Operation &op : func.getBody().front()) {
    for (mlir::Value operand : op.getOperands())
      if (operand.getDefiningOp<plan::ir::AllocOp>())
        last_use[operand] = int64_t(users.size());
    users.push_back(&op);
  }
  ArenaPlanner planner(kAlignment);
  auto elements = [](mlir::Value v) {
    return mlir::cast<plan::ir::BufferType>(v.getType()).getElements();
  };
  for (auto [index, op] : llvm::enumerate(users)) {
    llvm::SetVector<mlir::Value> allocs;
    for (mlir::Value operand : op->getOperands())
      if (operand.getDefiningOp<plan::ir::AllocOp>())
        allocs.insert(operand);
    for (mlir::Value v : allocs)
      if (!offset.count(v))
        offset[v] = planner.Allocate(elements(v));
    for (mlir::Value v : allocs)
      if (last_use[v] == int64_t(index))
        planner.Release(offset[v], elements(v));
  }
  for (auto alloc : llvm::make_early_inc_range(
           func.getBody().front().getOps<plan::ir::AllocOp>())) {
    if (alloc->use_empty()) {
      alloc.erase();
      continue;
    }
    mlir::OpBuilder builder(alloc);
    auto view =
        plan::ir::ViewOp::create(builder, alloc.getLoc(), alloc.getType(),
                                 offset.lookup(alloc.getResult()));
    alloc.replaceAllUsesWith(view.getResult());
    alloc.erase();
  }
  func->setAttr(
      plan::ir::PlanDialect::kArenaSizeAttr,
      mlir::IntegerAttr::get(mlir::IntegerType::get(func.getContext(), 64),
                             planner.size()));
}

bool IsPlanFunction(mlir::func::FuncOp func) {
  if (func.isExternal() || func->hasAttr(plan::ir::PlanDialect::kArenaSizeAttr))
    return false;
  return llvm::any_of(
             func.getArgumentTypes(),
             [](mlir::Type t) { return mlir::isa<plan::ir::BufferType>(t); }) ||
         !func.getBody().front().getOps<plan::ir::CallOp>().empty();
}

} // namespace

struct PlaceBuffersPass : impl::PlaceBuffersBase<PlaceBuffersPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<mlir::func::FuncOp>())
      if (IsPlanFunction(func))
        Place(func);
  }
};

} // namespace gemma
