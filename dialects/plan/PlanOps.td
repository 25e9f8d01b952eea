//===- PlanOps.td - Ops of the plan dialect ----------------*- tablegen -*-===//

#ifndef PLAN_OPS_TD
#define PLAN_OPS_TD

include "dialects/plan/PlanTypes.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// The runtime's kernels, with the values of plan::Kernel: generated from
// runtime/plan/KernelList.h (PlanKernels.td.in).
include "PlanKernels.td"

def Plan_AllocOp : Plan_Op<"alloc", [Pure]> {
  let summary = "A buffer not placed yet";
  let description = [{
    An intermediate of the function (a kernel's result or its scratch)
    before `plan-place-buffers` gives it an arena offset. A `.plan` file
    holds no `plan.alloc`.

    Example: `%0 = plan.alloc : !plan.buffer<640, f32>`
  }];
  let results = (outs Plan_BufferType:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
}

def Plan_ViewOp : Plan_Op<"view", [Pure]> {
  let summary = "A range of the function's arena";
  let description = [{
    The buffer at element `offset` of the arena, as long as its type says.
    The function's `plan.arena_size` must hold it; views overlap only when
    their live ranges do not.

    Example: `%0 = plan.view [128] : !plan.buffer<640, f32>`
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$offset);
  let results = (outs Plan_BufferType:$result);
  let assemblyFormat = "` ` `[` $offset `]` attr-dict `:` qualified(type($result))";
}

def Plan_CallOp : Plan_Op<"call"> {
  let summary = "One kernel call with its static parameters";
  let description = [{
    Runs `kernel` over `buffers` (read and written in place; which is which
    is fixed per kernel), reading the named model weights (`""` for an
    absent optional weight). `ints` hold shapes, row ranges (a count, then
    [begin, end) pairs) and flags; `reals` hold scales, epsilons and RoPE
    parameters. The operand layout of each kernel is defined in
    runtime/plan/KernelParams.h and checked by runtime/plan/PlanProgram.cpp
    (plan::ValidateCall): the verifier rejects a call whose
    counts do not fit its kernel, whose buffers are smaller than its shapes
    say, or whose token-id and position buffers are not i32.

    Example:

    ```mlir
    plan.call rms_norm(%x, %y) weights ["blk0.pre_att_norm"]
        ints [1, 640, 1] reals [1.0e-06]
        : !plan.buffer<640, f32>, !plan.buffer<640, f32>
    ```
  }];
  let arguments = (ins
    Plan_Kernel:$kernel,
    Variadic<Plan_BufferType>:$buffers,
    OptionalAttr<StrArrayAttr>:$weights,
    OptionalAttr<DenseI64ArrayAttr>:$ints,
    OptionalAttr<DenseF64ArrayAttr>:$reals
  );
  let assemblyFormat = [{
    $kernel `(` $buffers `)` (`weights` $weights^)? (`ints` $ints^)?
    (`reals` custom<Reals>($reals)^)? attr-dict `:` type($buffers)
  }];
  let hasVerifier = 1;
}

#endif // PLAN_OPS_TD
