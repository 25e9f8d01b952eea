//===- Passes.td - Passes over the gemma dialect -----------*- tablegen -*-===//
//
// One pass per fusion, each with its own flag and lit test file
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
// Memory planning
//===----------------------------------------------------------------------===//

def PlanMemory : Pass<"gemma-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every intermediate in one arena per function by liveness";
  let description = [{
    Gives each f32 result a byte offset (64-byte aligned, first fit) in one
    arena per function, reusing the space of buffers whose last reader has
    run. Results that update a KV cache in place get -1 (they live in the
    cache). Records `gemma.arena_offsets` on ops and `gemma.arena_bytes` on
    functions.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // GEMMA_PASSES_TD
