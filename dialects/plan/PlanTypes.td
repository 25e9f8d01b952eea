//===- PlanTypes.td - Types of the plan dialect ------------*- tablegen -*-===//

#ifndef PLAN_TYPES_TD
#define PLAN_TYPES_TD

include "dialects/plan/PlanDialect.td"
include "mlir/IR/AttrTypeBase.td"

def Plan_BufferType : TypeDef<Plan_Dialect, "Buffer"> {
  let mnemonic = "buffer";
  let summary = "A flat range of 4-byte elements";
  let description = [{
    What kernels read and write: `elements` consecutive f32 values
    (activations, KV caches) or i32 values (token ids, positions). Kernels
    take their shapes from their static parameters, not from the buffer.

    Example: `!plan.buffer<640, f32>`.
  }];
  let parameters = (ins "int64_t":$elements, "::mlir::Type":$elementType);
  let assemblyFormat = "`<` $elements `,` $elementType `>`";
  let genVerifyDecl = 1;
}

#endif // PLAN_TYPES_TD
