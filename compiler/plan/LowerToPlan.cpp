//===- LowerToPlan.cpp - gemma modules to plan programs -------------------===//

#include "compiler/plan/LowerToPlan.h"

#include "dialects/plan/PlanOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"

#include <fmt/format.h>

namespace gemma::plan {

absl::Status LowerToPlan(mlir::ModuleOp module) {
  std::string first_error;
  mlir::ScopedDiagnosticHandler handler(
      module.getContext(), [&](mlir::Diagnostic &diagnostic) {
        if (diagnostic.getSeverity() != mlir::DiagnosticSeverity::Error ||
            !first_error.empty())
          return mlir::success();
        first_error = diagnostic.str();
        return mlir::success();
      });
  mlir::PassManager pm(module.getContext());
  pm.addPass(createLowerToPlan());
  pm.addPass(createPlaceBuffers());
  if (failed(pm.run(module)))
    return absl::InvalidArgumentError(
        first_error.empty() ? "lowering to the plan dialect failed"
                            : first_error);
  return absl::OkStatus();
}

absl::StatusOr<Program> ExportProgram(mlir::func::FuncOp func) {
  Program program;
  program.name = func.getName().str();
  auto fail = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        fmt::format("@{}: {}", program.name, what));
  };
  auto arena =
      func->getAttrOfType<mlir::IntegerAttr>(ir::PlanDialect::kArenaSizeAttr);
  if (!arena)
    return fail("not a placed plan function (run plan-place-buffers)");
  program.arena_elements = arena.getInt();
  llvm::DenseMap<mlir::Value, Buffer> buffers;
  auto elements = [](mlir::Value v) -> int64_t {
    auto type = mlir::dyn_cast<ir::BufferType>(v.getType());
    return type ? type.getElements() : -1;
  };
  for (mlir::BlockArgument arg : func.getArguments()) {
    if (elements(arg) < 0)
      return fail("arguments must be plan buffers");
    buffers[arg] = Buffer{int32_t(arg.getArgNumber()), 0, elements(arg)};
    program.arg_elements.push_back(elements(arg));
  }
  for (mlir::Operation &op : func.getBody().front()) {
    if (auto view = mlir::dyn_cast<ir::ViewOp>(op)) {
      buffers[view.getResult()] =
          Buffer{-1, int64_t(view.getOffset()), elements(view.getResult())};
    } else if (auto call = mlir::dyn_cast<ir::CallOp>(op)) {
      Call record;
      record.kernel = static_cast<Kernel>(call.getKernel());
      for (mlir::Value b : call.getBuffers())
        record.buffers.push_back(buffers.lookup(b));
      if (auto weights = call.getWeights())
        for (mlir::Attribute name : *weights)
          record.weights.push_back(mlir::cast<mlir::StringAttr>(name).str());
      if (auto ints = call.getInts())
        record.ints.assign(ints->begin(), ints->end());
      if (auto reals = call.getReals())
        record.reals.assign(reals->begin(), reals->end());
      program.calls.push_back(std::move(record));
    } else if (auto ret = mlir::dyn_cast<mlir::func::ReturnOp>(op)) {
      for (mlir::Value v : ret.getOperands())
        program.outputs.push_back(buffers.lookup(v));
    } else if (mlir::isa<ir::AllocOp>(op)) {
      return fail("a buffer is not placed (run plan-place-buffers)");
    } else {
      return fail(fmt::format("unexpected op '{}' in a plan function",
                              op.getName().getStringRef().str()));
    }
  }
  if (absl::Status s = ValidateProgram(program); !s.ok())
    return s;
  return program;
}

absl::StatusOr<std::vector<Program>> LowerToPrograms(mlir::ModuleOp module) {
  if (absl::Status s = LowerToPlan(module); !s.ok())
    return s;
  std::vector<Program> programs;
  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    absl::StatusOr<Program> program = ExportProgram(func);
    if (!program.ok())
      return program.status();
    programs.push_back(*std::move(program));
  }
  return programs;
}

} // namespace gemma::plan
