//===- GemmaFusedOps.td - Fused gemma ops ------------------*- tablegen -*-===//
//
// What the fusion passes (passes/) make of groups of unfused ops. Each fused
// op computes exactly what its group computes (the reference evaluator runs
// it as the composition), so a backend kernel for it is judged against the
// same numbers; the gain is in memory traffic, not in math.
//
//===----------------------------------------------------------------------===//

#ifndef GEMMA_FUSED_OPS_TD
#define GEMMA_FUSED_OPS_TD

def Gemma_FusedGegluOp : Gemma_WeightReader<"fused_geglu"> {
  let summary = "gelu_tanh(x W_gate^T) * (x W_up^T) in one op";
  let description = [{
    The GeGLU MLP's first half: two projections of the same input, the
    tanh-approximated GELU on the gate, and their product. Each projection
    reads a stored matrix with optional row ranges, like `gemma.matmul`
    (gemma.cpp's `gating_ein` holds gate rows then up rows).

    Example:

    ```mlir
    %h = gemma.fused_geglu %x, gate @gating_ein_0 rows [0, 2048],
        up @gating_ein_0 rows [2048, 4096] : tensor<4x640xf32> -> tensor<4x2048xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    FlatSymbolRefAttr:$gate_weight,
    OptionalAttr<DenseI64ArrayAttr>:$gate_rows,
    FlatSymbolRefAttr:$up_weight,
    OptionalAttr<DenseI64ArrayAttr>:$up_rows
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` `gate` $gate_weight (`rows` $gate_rows^)? `,`
    `up` $up_weight (`rows` $up_rows^)? attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_FusedResidualNormOp : Gemma_WeightReader<"fused_residual_norm", [
    AllTypesMatch<["lhs", "rhs", "sum", "normed"]>]> {
  let summary = "Residual add and the RMSNorm of the sum in one op";
  let description = [{
    `sum = lhs + rhs` (the residual stream) and `normed = rms_norm(sum)`
    with the same weight conventions as `gemma.rms_norm`: the stream is
    read once for both.

    Example:

    ```mlir
    %x1, %n = gemma.fused_residual_norm %x0, %a, @pre_ff_ns_0 plus_one
        eps(1.0e-6) : tensor<4x640xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$lhs,
    Gemma_Activation:$rhs,
    OptionalAttr<FlatSymbolRefAttr>:$weight,
    OptionalAttr<Gemma_NormScale>:$weight_scale,
    F32Attr:$epsilon
  );
  let results = (outs Gemma_Activation:$sum, Gemma_Activation:$normed);
  let assemblyFormat = [{
    $lhs `,` $rhs (`,` $weight^ $weight_scale)? `eps` `(` $epsilon `)`
    attr-dict `:` type($sum)
  }];
  let hasVerifier = 1;
}

def Gemma_FusedAttentionOp : Gemma_Op<"fused_attention", [Pure]> {
  let summary = "Scores, soft-cap, window mask, softmax and values in one op";
  let description = [{
    `attn_scores` (with `scale`), the optional `softcap` (`cap`), the
    `window_mask` (causal; with `window`, also at most W keys including the
    query), `softmax` and `attn_values`, with the semantics of those ops: a
    flash-style kernel never materializes the `[N, H, S]` scores. Keys and
    values are separate caches, so K=V layers and both Gemma 4 geometries
    pass through unchanged.

    Example:

    ```mlir
    %o = gemma.fused_attention %q, %kc, %vc, %pos scale(0.25) cap(50.0) window(4)
        : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
          tensor<3xi32> -> tensor<3x4x16xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$query,
    Gemma_Activation:$keys,
    Gemma_Activation:$values,
    Gemma_TokenIds:$positions,
    F32Attr:$scale,
    OptionalAttr<F32Attr>:$cap,
    OptionalAttr<I64Attr>:$window
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $query `,` $keys `,` $values `,` $positions `scale` `(` $scale `)`
    (`cap` `(` $cap^ `)`)? (`window` `(` $window^ `)`)? attr-dict `:`
    type($query) `,` type($keys) `,` type($values) `,` type($positions) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_FusedLogitsOp : Gemma_WeightReader<"fused_logits"> {
  let summary = "Tied logits with the final soft-cap in one op";
  let description = [{
    `gemma.logits` followed by the optional final `softcap` (`cap`): each
    logit is capped as it is produced, so the `[N, V]` row is written once.

    Example:

    ```mlir
    %l = gemma.fused_logits %h, @c_embedding cap(30.0)
        : tensor<1x640xf32> -> tensor<1x262144xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    FlatSymbolRefAttr:$table,
    OptionalAttr<F32Attr>:$cap
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $table (`cap` `(` $cap^ `)`)? attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_FusedNormMatmulOp : Gemma_WeightReader<"fused_norm_matmul"> {
  let summary = "RMSNorm of the input, then a projection, in one op";
  let description = [{
    `matmul(rms_norm(x))`: the norm's weight and convention as in
    `gemma.rms_norm`, the projection's row ranges or `heads` as in
    `gemma.matmul`. The normalized row never goes to memory; when several
    projections read one norm (Q, K and V), each recomputes it (d
    multiply-adds against d x out for the projection).

    Example:

    ```mlir
    %q = gemma.fused_norm_matmul %x, @pre_att_ns_0 plus_one eps(1.0e-6),
        @qkv_ein_0 rows [0, 1024] : tensor<4x640xf32> -> tensor<4x4x256xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    OptionalAttr<FlatSymbolRefAttr>:$norm_weight,
    OptionalAttr<Gemma_NormScale>:$norm_scale,
    F32Attr:$epsilon,
    FlatSymbolRefAttr:$weight,
    OptionalAttr<DenseI64ArrayAttr>:$weight_rows
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input (`,` $norm_weight^ $norm_scale)? `eps` `(` $epsilon `)` `,`
    $weight (`rows` $weight_rows^)? attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_FusedQkvRopeOp : Gemma_WeightReader<"fused_qkv_rope", [
    AllTypesMatch<["k_cache", "keys"]>, AllTypesMatch<["v_cache", "values"]>]> {
  let summary = "Q/K/V projections, QK-norm, value norm, RoPE and KV writes";
  let description = [{
    One attention layer's front half from its normalized input `x`:

    ```
    q = matmul(x, q_weight); k = matmul(x, k_weight)
    v = matmul(x, v_weight), or k before any norm when there is no
        v_weight (Gemma 4 K=V)
    with query_norm/key_norm: q, k = rms_norm(q|k, weight, qk_scale)
    with value_norm: v = rms_norm(v) (no weight)
    q, k = rope(q|k, positions, base, scale, fraction)
    keys = kv_write(k into k_cache); values = kv_write(v into v_cache)
    ```

    Results: the rotated queries and both updated caches. Each projection
    takes row ranges like `gemma.matmul` (gemma.cpp's interleaved K/V).

    Example:

    ```mlir
    %q, %kc1, %vc1 = gemma.fused_qkv_rope %x, %pos, %kc, %vc
        q @qkv_ein_0 rows [0, 64], k @qkv_ein_0 rows [64, 80, 96, 112],
        v @qkv_ein_0 rows [80, 96, 112, 128]
        qk_norm @query_norm_0 @key_norm_0 plus_one eps(1.0e-6)
        rope base(1.0e4)
        : tensor<3x64xf32>, tensor<3xi32>, tensor<1x8x2x16xf32>,
          tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    Gemma_TokenIds:$positions,
    Gemma_Activation:$k_cache,
    Gemma_Activation:$v_cache,
    FlatSymbolRefAttr:$q_weight,
    OptionalAttr<DenseI64ArrayAttr>:$q_rows,
    FlatSymbolRefAttr:$k_weight,
    OptionalAttr<DenseI64ArrayAttr>:$k_rows,
    OptionalAttr<FlatSymbolRefAttr>:$v_weight,
    OptionalAttr<DenseI64ArrayAttr>:$v_rows,
    OptionalAttr<FlatSymbolRefAttr>:$query_norm,
    OptionalAttr<FlatSymbolRefAttr>:$key_norm,
    OptionalAttr<Gemma_NormScale>:$qk_scale,
    UnitAttr:$value_norm,
    F32Attr:$epsilon,
    F64Attr:$base,
    DefaultValuedAttr<F64Attr, "1.0">:$scale,
    DefaultValuedAttr<F64Attr, "1.0">:$fraction
  );
  let results = (outs
    Gemma_Activation:$query,
    Gemma_Activation:$keys,
    Gemma_Activation:$values
  );
  let assemblyFormat = [{
    $input `,` $positions `,` $k_cache `,` $v_cache
    `q` $q_weight (`rows` $q_rows^)? `,` `k` $k_weight (`rows` $k_rows^)?
    (`,` `v` $v_weight^ (`rows` $v_rows^)?)?
    (`qk_norm` $query_norm^ $key_norm $qk_scale)?
    (`value_norm` $value_norm^)? `eps` `(` $epsilon `)`
    `rope` `base` `(` $base `)` (`scale` `(` $scale^ `)`)?
    (`fraction` `(` $fraction^ `)`)? attr-dict `:` type($input) `,`
    type($positions) `,` type($k_cache) `,` type($v_cache) `->` type($query)
  }];
  let hasVerifier = 1;
}

#endif // GEMMA_FUSED_OPS_TD
