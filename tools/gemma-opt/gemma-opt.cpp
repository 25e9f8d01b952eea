//===- gemma-opt.cpp - mlir-opt with the gemma and plan dialects ---------===//
//
// Parses, verifies, transforms and prints `.mlir` files of our dialects; the
// driver of every lit test of ops and passes.
//
//===----------------------------------------------------------------------===//

#include "dialects/gemma/GemmaDialect.h"
#include "dialects/plan/PlanDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  gemma::registerGemmaPasses();

  mlir::DialectRegistry registry;
  registry.insert<gemma::ir::GemmaDialect, gemma::plan::ir::PlanDialect,
                  mlir::func::FuncDialect, mlir::arith::ArithDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Gemma compiler optimizer driver\n", registry));
}
