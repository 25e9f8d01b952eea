//===- GemmaInterfaces.td - Interfaces of the gemma dialect -*- tablegen -*-===//

#ifndef GEMMA_INTERFACES_TD
#define GEMMA_INTERFACES_TD

include "mlir/IR/OpBase.td"

// The unary elementwise family: each op is one row of
// kernels/common/ElementwiseFunctions.h's unary table, so the reference evaluator and the
// lowering handle the whole family through this interface, in one place.
def Gemma_UnaryOpInterface : OpInterface<"UnaryOpInterface"> {
  let cppNamespace = "::gemma::ir";
  let description = [{
    An elementwise `result = f(input; parameter)` whose `f` is a row of the
    unary function table (kernels/common/ElementwiseFunctions.h).
  }];
  let methods = [
    InterfaceMethod<"The function's row in the table.",
      "::gemma::UnaryFn", "getUnaryFunction">,
    InterfaceMethod<"The function's parameter (0 where it has none).",
      "float", "getUnaryParameter">,
    InterfaceMethod<"The value the function is applied to.",
      "::mlir::Value", "getInput">,
    InterfaceMethod<"The result, of the input's type.",
      "::mlir::Value", "getResult">,
  ];
}

// The binary elementwise family, rows of the same header's binary table.
def Gemma_BinaryOpInterface : OpInterface<"BinaryOpInterface"> {
  let cppNamespace = "::gemma::ir";
  let description = [{
    An elementwise `result = f(lhs, rhs)` of equal shapes whose `f` is a
    row of the binary function table
    (kernels/common/ElementwiseFunctions.h).
  }];
  let methods = [
    InterfaceMethod<"The function's row in the table.",
      "::gemma::BinaryFn", "getBinaryFunction">,
    InterfaceMethod<"The first operand.", "::mlir::Value", "getLhs">,
    InterfaceMethod<"The second operand.", "::mlir::Value", "getRhs">,
    InterfaceMethod<"The result, of the operands' type.",
      "::mlir::Value", "getResult">,
  ];
}

#endif // GEMMA_INTERFACES_TD
