//===- PlanDialect.td - The plan dialect -------------------*- tablegen -*-===//
//
// The executable level (docs/design.md section 5): explicit buffers and kernel
// calls with static parameters, one function per bucket.
//
//===----------------------------------------------------------------------===//

#ifndef PLAN_DIALECT_TD
#define PLAN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Plan_Dialect : Dialect {
  let name = "plan";
  let cppNamespace = "::gemma::plan::ir";
  let summary = "Buffers and kernel calls: what a backend executes";
  let description = [{
    A `plan` function is what the runtime runs for one bucket: an ordered
    list of kernel calls over explicit buffers. Each buffer is a function
    argument (token ids, positions, KV caches) or a view of the function's
    one arena, at an element offset fixed at compile time by liveness-based
    placement. Nothing is computed between the calls; every shape, scale,
    window and RoPE parameter is a static parameter of its call.

    `gemma-lower-to-plan` turns a `gemma` function into a `plan` function
    whose intermediates are unplaced `plan.alloc` buffers;
    `plan-place-buffers` gives each one an arena offset (`plan.view`) and
    records the arena size on the function (`plan.arena_size`). A placed
    function is exactly what a `.plan` file stores for a bucket
    (runtime/plan/PlanProgram.h, one record per `plan.call`).
  }];
  let useDefaultTypePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The function attribute holding the arena size in elements.
    static constexpr ::llvm::StringLiteral kArenaSizeAttr = "plan.arena_size";
  }];
}

class Plan_Op<string mnemonic, list<Trait> traits = []>
    : Op<Plan_Dialect, mnemonic, traits>;

#endif // PLAN_DIALECT_TD
