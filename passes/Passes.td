//===- Passes.td - Passes of the compiler ------------------*- tablegen -*-===//
//
// One pass per fusion, then the lowering to the plan dialect and buffer
// placement; each has its own flag and lit test file
// (test/passes/<flag>.mlir). A fusion rewrites a group of unfused ops into
// one fused op of the same semantics (dialects/gemma/GemmaFusedOps.td), and
// only where every intermediate of the group has no other use.
//
//===----------------------------------------------------------------------===//

#ifndef GEMMA_PASSES_TD
#define GEMMA_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusions
//===----------------------------------------------------------------------===//

def FuseAttention : Pass<"gemma-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Fuse scores, soft-cap, window mask, softmax and values";
  let description = [{
    Rewrites `attn_values(softmax(window_mask([softcap](attn_scores(q, k)))),
    v)` into `gemma.fused_attention`, carrying the scale, the optional cap
    and the optional window. Does not fire when the scores or
    probabilities have other uses.
  }];
  let dependentDialects = ["::gemma::ir::GemmaDialect"];
}

def FuseGeglu : Pass<"gemma-fuse-geglu", "mlir::ModuleOp"> {
  let summary = "Fuse the gate and up projections, gelu_tanh and the product";
  let description = [{
    Rewrites `mul(gelu_tanh(matmul(x, gate)), matmul(x, up))` into
    `gemma.fused_geglu` when both projections read the same input, neither
    uses `heads`, and the matmuls and the GELU have no other use.
  }];
  let dependentDialects = ["::gemma::ir::GemmaDialect"];
}

def FuseLogits : Pass<"gemma-fuse-logits", "mlir::ModuleOp"> {
  let summary = "Fuse the tied logits with the final soft-cap";
  let description = [{
    Rewrites `softcap(logits(h, table))` into `gemma.fused_logits` with the
    cap when the logits have no other use. Models without a final soft-cap
    keep `gemma.logits`.
  }];
  let dependentDialects = ["::gemma::ir::GemmaDialect"];
}

def FuseNormMatmul : Pass<"gemma-fuse-norm-matmul", "mlir::ModuleOp"> {
  let summary = "Fuse an RMSNorm into the projections that read it";
  let description = [{
    Rewrites each `matmul(rms_norm(x))` into `gemma.fused_norm_matmul` when
    every user of the norm is a projection (Q, K and V of one layer each get
    their own fused op). Runs after `residual-norm` in `all`, so it takes
    the norms no residual add feeds (the first layer's, Gemma 4's after the
    layer scalar).
  }];
  let dependentDialects = ["::gemma::ir::GemmaDialect"];
}

def FuseQkvRope : Pass<"gemma-fuse-qkv-rope", "mlir::ModuleOp"> {
  let summary = "Fuse Q/K/V projections, QK-norm, value norm, RoPE and KV writes";
  let description = [{
    Rewrites an attention layer's front half (the Q, K and V projections of
    one activation, the optional QK-norm and weightless value norm, RoPE of
    Q and K, and the two KV-cache writes) into `gemma.fused_qkv_rope`. On
    Gemma 4 K=V layers the value is the raw key projection and the fused op
    has no value weight. Does not fire when an intermediate has other uses.
  }];
  let dependentDialects = ["::gemma::ir::GemmaDialect"];
}

def FuseResidualNorm : Pass<"gemma-fuse-residual-norm", "mlir::ModuleOp"> {
  let summary = "Fuse a residual add with the RMSNorm of its sum";
  let description = [{
    Rewrites `rms_norm(add(a, b))` into `gemma.fused_residual_norm`, whose
    first result replaces every use of the sum (the residual stream goes
    on) and whose second replaces the norm.
  }];
  let dependentDialects = ["::gemma::ir::GemmaDialect"];
}

//===----------------------------------------------------------------------===//
// Lowering to the plan dialect
//===----------------------------------------------------------------------===//

def LowerToPlan : Pass<"gemma-lower-to-plan", "mlir::ModuleOp"> {
  let summary = "Turn each gemma function into kernel calls over buffers";
  let description = [{
    Rewrites every function of `gemma` ops (fused or not) into a `plan`
    function: tensor arguments and results become `!plan.buffer`s, each op
    becomes one `plan.call` of the kernel that runs it with its static
    parameters (shapes, row ranges, scales, window, RoPE settings, weight
    names), and each intermediate, and each fused kernel's scratch, becomes
    an unplaced `plan.alloc`. KV caches are updated in place: a `kv_write`
    (or `fused_qkv_rope`) result is its cache argument's buffer, which needs
    the cache to have no other reader. The module's `gemma.param`s go once
    every function is lowered: calls name weights by string. Fails naming an
    op no kernel runs.
  }];
  let dependentDialects = ["::gemma::plan::ir::PlanDialect",
                           "::mlir::func::FuncDialect"];
}

def PlaceBuffers : Pass<"plan-place-buffers", "mlir::ModuleOp"> {
  let summary = "Give every plan.alloc an offset in one arena per function";
  let description = [{
    Liveness-based memory planning over `plan` functions: walking the calls
    in order, a buffer is placed (first fit, 64-byte aligned) at the first
    call that uses it and freed after the last one, so later buffers reuse
    its space; returned buffers live to the end. Each `plan.alloc` becomes a
    `plan.view` at its offset, and the function gets `plan.arena_size`
    (elements). Functions that already have an arena size are left alone.
  }];
  let dependentDialects = ["::gemma::plan::ir::PlanDialect"];
}

#endif // GEMMA_PASSES_TD
