//===- Interpreter.h - Run a gemma function op by op -----------*- C++ -*-===//
//
// Executes a `func.func` of a verified `gemma` module with the reference
// kernels. Weights are resolved by symbol through a provider, so the same
// interpreter runs models from any weight file.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_INTERPRETER_H
#define COMPILER_REFERENCE_INTERPRETER_H

#include "compiler/reference/Kernels.h"

#include "mlir/IR/BuiltinOps.h"

#include "absl/status/statusor.h"

#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace gemma::reference {

// A function argument or result: f32 activations and caches, or i32 ids and
// positions.
using Value = std::variant<Tensor, std::vector<int32_t>>;

// Returns the rows of the weight `symbol` (a gemma.param), or an error.
using WeightProvider =
    std::function<absl::StatusOr<WeightRows>(const std::string &symbol)>;

// Runs `function` of `module` on `args` (in argument order).
absl::StatusOr<std::vector<Value>> RunFunction(mlir::ModuleOp module,
                                               llvm::StringRef function,
                                               std::vector<Value> args,
                                               const WeightProvider &weights);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_INTERPRETER_H
