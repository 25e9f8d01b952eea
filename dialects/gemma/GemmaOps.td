//===- GemmaOps.td - Ops of the gemma dialect --------------*- tablegen -*-===//
//
// The unfused ops the model builder emits (docs/design.md section 3). Semantics
// are stated here in words and defined executably by compiler/reference.
//
//===----------------------------------------------------------------------===//

#ifndef GEMMA_OPS_TD
#define GEMMA_OPS_TD

include "dialects/gemma/GemmaInterfaces.td"
include "dialects/gemma/GemmaTypes.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Every dimension is positive: a bucket never has an empty axis, and
// verifiers divide by head counts.
def Gemma_NonEmptyPred : CPred<"::llvm::all_of(::llvm::cast<::mlir::ShapedType>"
    "($_self).getShape(), [](int64_t d) { return d > 0; })">;
def Gemma_Activation : TypeConstraint<
    And<[StaticShapeTensorOf<[F32]>.predicate, Gemma_NonEmptyPred]>,
    "non-empty statically shaped tensor of 32-bit float values",
    "::mlir::RankedTensorType">;
def Gemma_TokenIds : TypeConstraint<
    And<[StaticShapeTensorOf<[I32]>.predicate, HasAnyRankOfPred<[1]>,
         Gemma_NonEmptyPred]>,
    "non-empty 1-D static tensor of i32", "::mlir::RankedTensorType">;

// An op that reads module-level weights through symbol references; the
// shapes of those weights are checked in verifySymbolUses.
class Gemma_WeightReader<string mnemonic, list<Trait> traits = []>
    : Gemma_Op<mnemonic, traits # [Pure,
        DeclareOpInterfaceMethods<SymbolUserOpInterface>]>;

// A row of the unary function table (kernels/common/ElementwiseFunctions.h):
// `function` is its C++ name there, `parameter` the C++ expression of its
// parameter on the op (a float; "0.0f" for none). The op names its operand
// $input and its result $result; it adds its parameter's attribute and its
// own assembly format.
class Gemma_UnaryOp<string mnemonic, string function,
                    string parameter = "0.0f", list<Trait> traits = []>
    : Gemma_Op<mnemonic, traits # [Pure, SameOperandsAndResultType,
        Gemma_UnaryOpInterface]> {
  let results = (outs Gemma_Activation:$result);
  let extraClassDeclaration = [{
    ::gemma::UnaryFn getUnaryFunction() {
      return ::gemma::UnaryFn::k}] # function # [{;
    }
    float getUnaryParameter() { return }] # parameter # [{; }
  }];
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Gemma_ParamOp : Gemma_Op<"param", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A model weight, named at module level";
  let description = [{
    Declares one weight of the model: its symbol name, its shape and storage
    type, and an optional per-tensor `scale` that the stored values are
    multiplied by on decode (gemma.cpp's `MatPtr::scale`; 1 when absent).
    Ops read weights only through these symbols.

    Example:

    ```mlir
    gemma.param @blk0.attn_q : !gemma.weight<[1024, 640], sfp> {scale = 1.5 : f32}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<Gemma_WeightType>:$type,
    OptionalAttr<F32Attr>:$scale
  );
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::gemma::ir::WeightType getWeightType() {
      return ::llvm::cast<::gemma::ir::WeightType>(getType());
    }
  }];
}

//===----------------------------------------------------------------------===//
// Embedding and output
//===----------------------------------------------------------------------===//

def Gemma_EmbedOp : Gemma_WeightReader<"embed"> {
  let summary = "Embedding lookup times the bf16-rounded sqrt(d)";
  let description = [{
    For each token id `t` of `ids` (shape `[N]`), result row `n` is row `t` of
    the table `[V, d]` multiplied by `scale`. Gemma's multiplier is sqrt(d)
    rounded to bfloat16 (25.25 for d = 640, docs/gemma-math.md 2.1), so `scale` must be
    exactly representable in bf16 (or be sqrtf(d), as f32 Hugging Face and
    llama.cpp compute it). Ids outside `[0, V)` are a runtime error.

    With `cols [b, e]` only columns `b..e-1` of each row are read, and the
    result is `[N, e - b]`: one layer's slice of Gemma 4's packed per-layer
    embedding table (`[V, layers * P]`, docs/gemma-math.md 4.4), where `d` above is
    the slice width `P`.

    Example:

    ```mlir
    %x = gemma.embed %ids, @embedding scale(2.525000e+01)
        : tensor<4xi32> -> tensor<4x640xf32>
    %p = gemma.embed %ids, @per_layer_table cols [256, 512] scale(1.600000e+01)
        : tensor<4xi32> -> tensor<4x256xf32>
    ```
  }];
  let arguments = (ins Gemma_TokenIds:$ids, FlatSymbolRefAttr:$table,
                       OptionalAttr<DenseI64ArrayAttr>:$cols, F32Attr:$scale);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $ids `,` $table (`cols` $cols^)? `scale` `(` $scale `)` attr-dict `:` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_LogitsOp : Gemma_WeightReader<"logits"> {
  let summary = "Logits through the tied embedding table";
  let description = [{
    `result[n, v] = sum_i input[n, i] * table[v, i]` for `v` in `[0, V')`,
    where `V'` (the result's last dimension) may be smaller than the table's
    row count `V`: rows past `V'` (e.g. the image-padding rows of Hugging Face
    Gemma 3 tables) are never produced.

    Example:

    ```mlir
    %l = gemma.logits %h, @embedding : tensor<1x640xf32> -> tensor<1x262144xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, FlatSymbolRefAttr:$table);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $table attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_ArgmaxOp : Gemma_Op<"argmax", [Pure]> {
  let summary = "Index of the largest value along the last dimension";
  let description = [{
    For `input` of shape `[N, V]`, `result[n]` is the smallest `v` at which
    `input[n, v]` is maximal (ties go to the lowest id, as in gemma.cpp and
    numpy).

    Example:

    ```mlir
    %next = gemma.argmax %l : tensor<1x262144xf32> -> tensor<1xi32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input);
  let results = (outs Gemma_TokenIds:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and projections
//===----------------------------------------------------------------------===//

def Gemma_RmsNormOp : Gemma_WeightReader<"rms_norm",
    [SameOperandsAndResultType]> {
  let summary = "RMSNorm over the last dimension";
  let description = [{
    With `r = 1 / sqrt(mean_i(x_i^2) + epsilon)` over the last dimension:
    `y_i = x_i * r * (1 + w_i)` for `plus_one` weights (Gemma 1-3),
    `y_i = x_i * r * w_i` for `plain` weights (Gemma 3n/4), and `y_i = x_i * r`
    without a weight (Gemma 4's value norm). The weight has the size of the
    last dimension (`[D]` or `[1, D]`); on a `[N, H, D]` operand it is shared
    by all heads (QK-norm).

    Example:

    ```mlir
    %y = gemma.rms_norm %x, @blk0.pre_att_ns plus_one eps(9.99999997E-7)
        : tensor<4x640xf32>
    %v = gemma.rms_norm %r eps(9.99999997E-7) : tensor<4x1x512xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    OptionalAttr<FlatSymbolRefAttr>:$weight,
    OptionalAttr<Gemma_NormScale>:$weight_scale,
    F32Attr:$epsilon
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input (`,` $weight^ $weight_scale)? `eps` `(` $epsilon `)`
    attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_MatmulOp : Gemma_WeightReader<"matmul"> {
  let summary = "Activations times a stored [out, in] weight";
  let description = [{
    Views `input` as `[N, in]` (its first dimension by the product of the
    others) and `result` as `[N, out]`, and computes
    `result[n, o] = sum_i input[n, i] * weight[row(o), i]`.

    `rows [b0, e0, b1, e1, ...]` selects half-open row ranges of the weight,
    concatenated in order: gemma.cpp stores Q, K and V in one matrix, with
    the K and V rows of each KV head interleaved, so the keys of K heads are
    K ranges. Without it every row is used. The result may carry a head
    split (`[N, H, D]` with `H * D = out`), and the input may be such a split.

    `heads(H)` reads a head-major weight `[H * out, in_h]` (gemma.cpp's
    `att_ein`: for each head h an `[out, in_h]` block) against an input
    `[N, H, in_h]`: `result[n, o] = sum_h sum_i input[n, h, i] *
    weight[h * out + o, i]`. It excludes `rows`.

    Example:

    ```mlir
    %q = gemma.matmul %x, @qkv_ein_0 rows [0, 1024]
        : tensor<4x640xf32> -> tensor<4x4x256xf32>
    %k = gemma.matmul %x, @qkv_ein_0 rows [1024, 1280, 1536, 1792]
        : tensor<4x640xf32> -> tensor<4x2x256xf32>
    %o = gemma.matmul %att, @att_ein_0 heads(4)
        : tensor<4x4x256xf32> -> tensor<4x640xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    FlatSymbolRefAttr:$weight,
    OptionalAttr<DenseI64ArrayAttr>:$weight_rows,
    OptionalAttr<I64Attr>:$heads
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight (`rows` $weight_rows^)? (`heads` `(` $heads^ `)`)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_ScaleOp : Gemma_WeightReader<"scale", [SameOperandsAndResultType]> {
  let summary = "Multiply by a learned scalar or a constant factor";
  let description = [{
    Multiplies every element by one number: a one-element weight (Gemma 4's
    per-layer `layer_scalar`) or a constant `factor`. Exactly one of the two
    is given.

    Example:

    ```mlir
    %y = gemma.scale %x by @blk0.layer_scalar : tensor<4x640xf32>
    %z = gemma.scale %x factor(0.707106769) : tensor<4x256xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    OptionalAttr<FlatSymbolRefAttr>:$weight,
    OptionalAttr<F32Attr>:$factor
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input (`by` $weight^)? (`factor` `(` $factor^ `)`)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_MoeExpertsOp : Gemma_WeightReader<"moe_experts"> {
  let summary = "Routed mixture-of-experts branch (Gemma 4 26B-A4B)";
  let description = [{
    Routes each row of `input` (`[N, d]`, the experts' normed input) by its
    router logits (`[N, E]`, computed before by the ordinary ops: docs/gemma-math.md
    4.6): `P = softmax(logits)`, `S` = the `top_k` likeliest experts (ties to
    the lower index), `w_e = P_e / sum_{S} P * expert_scale[e]` for `e` in
    `S`, and returns `sum_{e in S} w_e * Expert_e(input)` where
    `Expert_e(u) = down_e (gelu_tanh(gate_e u) * up_e u)`.

    Weights: `expert_scale` `[E]`; `gate_up` `[E * 2F, d]`, expert `e`'s
    gate rows `[2eF, 2eF + F)` then its up rows (Hugging Face's
    `experts.gate_up_proj`); `down` `[E * d, F]`, expert `e`'s rows
    `[e d, (e + 1) d)` (`experts.down_proj`). `F` is the expert width.

    Example:

    ```mlir
    %y = gemma.moe_experts %u, %logits, @scale, @gate_up, @down top_k(8)
        : tensor<4x2816xf32>, tensor<4x128xf32> -> tensor<4x2816xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, Gemma_Activation:$logits,
                       FlatSymbolRefAttr:$expert_scale,
                       FlatSymbolRefAttr:$gate_up, FlatSymbolRefAttr:$down,
                       I64Attr:$top_k);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $logits `,` $expert_scale `,` $gate_up `,` $down
    `top_k` `(` $top_k `)` attr-dict `:` type($input) `,` type($logits) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Gemma_RopeOp : Gemma_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding, half-split pairing";
  let description = [{
    Rotates each head of `input` (`[N, heads, D]`) at the absolute position
    `positions[n]`. Dimension `i` is paired with `i + D/2` (half-split, docs/gemma-math.md
    3.1). With `R = floor(fraction * D / 2)` rotated pairs, for `i < R`:
    `theta_i = p * base^(-2i/D) / scale`, `a = x[i]`, `b = x[i + D/2]`,
    `x[i] = a cos - b sin`, `x[i + D/2] = b cos + a sin`; pairs `i >= R` pass
    through. The exponent's denominator is the full `D` even when
    `fraction < 1` (Gemma 4's "proportional" RoPE, docs/gemma-math.md 3.3). `scale` is
    the linear scaling factor (8 on Gemma 3 4B/12B/27B global layers).

    Example:

    ```mlir
    %k = gemma.rope %kn, %pos base(1.000000e+06) fraction(2.500000e-01)
        : tensor<4x2x512xf32>, tensor<4xi32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    Gemma_TokenIds:$positions,
    F64Attr:$base,
    DefaultValuedAttr<F64Attr, "1.0">:$scale,
    DefaultValuedAttr<F64Attr, "1.0">:$fraction
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $positions `base` `(` $base `)` (`scale` `(` $scale^ `)`)?
    (`fraction` `(` $fraction^ `)`)? attr-dict `:` type($input) `,` type($positions)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of rotated (i, i + D/2) pairs.
    int64_t getNumRotatedPairs();
  }];
}

def Gemma_KvWriteOp : Gemma_Op<"kv_write", [Pure,
    AllTypesMatch<["cache", "result"]>]> {
  let summary = "Write keys or values into a KV cache";
  let description = [{
    Returns `cache` (`[B, S, K, D]`) with row `n` of `input` (`[N, K, D]`)
    stored at slot `positions[n] mod S` of sequence `b`. When the cache holds
    one sequence (`B = 1`) every row goes to it (prefill of a prompt chunk);
    otherwise `B = N` and row `n` belongs to sequence `n` (batched decode).
    A cache with fewer slots than the context is a ring buffer, which a
    sliding-window layer may use when `S` covers its window plus the chunk.

    Example:

    ```mlir
    %kc1 = gemma.kv_write %k into %kc0 at %pos
        : tensor<4x1x256xf32> into tensor<1x64x1x256xf32>, tensor<4xi32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input, Gemma_Activation:$cache, Gemma_TokenIds:$positions
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `into` $cache `at` $positions attr-dict `:` type($input) `into` type($cache)
    `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Gemma_AttnScoresOp : Gemma_Op<"attn_scores", [Pure]> {
  let summary = "Scaled query-key dot products against a KV cache";
  let description = [{
    `result[n, h, s] = scale * sum_d q[n, h, d] * keys[b(n), s, g(h), d]` for
    every cache slot `s`, with the grouped-query mapping `g(h) = floor(h /
    (H/K))` (consecutive query heads share a KV head) and `b(n)` as in
    `gemma.kv_write`. `scale` is the query scale: `query_pre_attn_scalar^-1/2`
    for Gemma 1-3, exactly 1 for Gemma 4.

    Example:

    ```mlir
    %s = gemma.attn_scores %q, %kc scale(6.250000e-02)
        : tensor<4x4x256xf32>, tensor<1x64x1x256xf32> -> tensor<4x4x64xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$query, Gemma_Activation:$keys, F32Attr:$scale);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $query `,` $keys `scale` `(` $scale `)` attr-dict `:` type($query) `,` type($keys)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_SoftcapOp : Gemma_UnaryOp<"softcap", "Softcap",
    "getCap().convertToFloat()"> {
  let summary = "Soft-capping: cap * tanh(x / cap)";
  let description = [{
    Elementwise `cap * tanh(x / cap)`. Gemma 2 applies it to attention scores
    (cap 50, after the query scale, before the mask) and to the final logits
    (cap 30), Gemma 4 to the final logits (cap 30).

    Example:

    ```mlir
    %c = gemma.softcap %s cap(5.000000e+01) : tensor<4x8x64xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, F32Attr:$cap);
  let assemblyFormat = "$input `cap` `(` $cap `)` attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Gemma_WindowMaskOp : Gemma_Op<"window_mask", [Pure,
    AllTypesMatch<["scores", "result"]>]> {
  let summary = "Causal and sliding-window mask over cache slots";
  let description = [{
    For scores `[N, H, S]` over the `S` slots of a KV cache and query
    positions `positions[n] = p`, slot `s` holds key position
    `j = p - ((p - s) mod S)` (the latest position written there, for ring
    buffers too). The score is kept iff `0 <= j <= p` and, with a `window` W,
    `j > p - W`: exactly W keys including the query itself (docs/gemma-math.md 2.4).
    Without a window the mask is causal (global layers). Masked scores become
    -infinity.

    Example:

    ```mlir
    %m = gemma.window_mask %s, %pos window(512) : tensor<4x4x1024xf32>, tensor<4xi32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$scores, Gemma_TokenIds:$positions,
    OptionalAttr<I64Attr>:$window
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $scores `,` $positions (`window` `(` $window^ `)`)? attr-dict `:` type($scores)
    `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Gemma_SoftmaxOp : Gemma_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax over the last dimension";
  let description = [{
    `y_i = exp(x_i - max) / sum_j exp(x_j - max)` over the last dimension;
    -infinity inputs give 0. A row of only -infinity is a runtime error (the
    window always keeps the query's own key).

    Example:

    ```mlir
    %p = gemma.softmax %m : tensor<4x4x64xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Gemma_AttnValuesOp : Gemma_Op<"attn_values", [Pure]> {
  let summary = "Attention-weighted sum of cached values";
  let description = [{
    `result[n, h, d] = sum_s probs[n, h, s] * values[b(n), s, g(h), d]` with
    the mappings of `gemma.attn_scores`.

    Example:

    ```mlir
    %o = gemma.attn_values %p, %vc
        : tensor<4x4x64xf32>, tensor<1x64x1x256xf32> -> tensor<4x4x256xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$probs, Gemma_Activation:$values);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $probs `,` $values attr-dict `:` type($probs) `,` type($values) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Gemma_GeluTanhOp : Gemma_UnaryOp<"gelu_tanh", "GeluTanh"> {
  let summary = "GELU, tanh approximation";
  let description = [{
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, applied to the gate half
    of the GeGLU MLP (never the exact erf form).

    Example:

    ```mlir
    %a = gemma.gelu_tanh %g : tensor<4x2048xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Gemma_SiluOp : Gemma_UnaryOp<"silu", "Silu"> {
  let summary = "SiLU (swish): x times sigmoid(x)";
  let description = [{
    `x * sigmoid(x)`, computed as `0.5 x (1 + tanh(x / 2))` (the same
    function: sigmoid(x) = (1 + tanh(x / 2)) / 2), as the feed-forward
    blocks of conformer-style audio encoders use it.

    Example:

    ```mlir
    %a = gemma.silu %h : tensor<4x1536xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Gemma_GeluErfOp : Gemma_UnaryOp<"gelu_erf", "GeluErf"> {
  let summary = "GELU with the error function";
  let description = [{
    `0.5 x (1 + erf(x / sqrt(2)))`, the exact GELU (PyTorch's `gelu` without
    `approximate="tanh"`), as the MLPs of SigLIP-style vision towers use it.
    Gemma's text decoders use `gemma.gelu_tanh` instead.

    Example:

    ```mlir
    %a = gemma.gelu_erf %h : tensor<4x4304xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

// A row of the binary function table (kernels/common/ElementwiseFunctions.h):
// `function` is its C++ name there; `what` names the result for the
// summary.
class Gemma_BinaryOp<string mnemonic, string function, string what,
                     list<Trait> traits = []>
    : Gemma_Op<mnemonic, traits # [Pure, SameOperandsAndResultType,
        Gemma_BinaryOpInterface]> {
  let summary = "Elementwise " # what;
  let arguments = (ins Gemma_Activation:$lhs, Gemma_Activation:$rhs);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let extraClassDeclaration = [{
    ::gemma::BinaryFn getBinaryFunction() {
      return ::gemma::BinaryFn::k}] # function # [{;
    }
  }];
}

def Gemma_AddOp : Gemma_BinaryOp<"add", "Add", "sum", [Commutative]> {
  let description = [{
    Elementwise `lhs + rhs` of equal shapes (the residual connections).

    Example:

    ```mlir
    %x1 = gemma.add %x0, %a : tensor<4x640xf32>
    ```
  }];
}

def Gemma_MulOp : Gemma_BinaryOp<"mul", "Mul", "product", [Commutative]> {
  let description = [{
    Elementwise `lhs * rhs` of equal shapes (the GeGLU gating product).

    Example:

    ```mlir
    %h = gemma.mul %a, %u : tensor<4x2048xf32>
    ```
  }];
}

include "dialects/gemma/GemmaFusedOps.td"
include "dialects/gemma/GemmaVisionOps.td"

#endif // GEMMA_OPS_TD
