//===- GemmaVisionOps.td - Ops of the image encoders --------*- tablegen -*-===//
//
// What a vision tower needs beyond the text model's ops (docs/vision.md):
// LayerNorm with a bias, a stored tensor added to every row (a linear's bias,
// learned position embeddings), attention in which every row sees every row,
// and the average pooling of a patch grid into soft tokens. A patch
// embedding is a gemma.matmul over unfolded patches; GELU is gemma.gelu_tanh.
//
//===----------------------------------------------------------------------===//

#ifndef GEMMA_VISION_OPS_TD
#define GEMMA_VISION_OPS_TD

def Gemma_LayerNormOp : Gemma_WeightReader<"layer_norm",
    [SameOperandsAndResultType]> {
  let summary = "LayerNorm over the last dimension, with weight and bias";
  let description = [{
    With `m = mean_i(x_i)` and `v = mean_i((x_i - m)^2)` over the last
    dimension (the population variance): `y_i = (x_i - m) / sqrt(v +
    epsilon) * w_i + b_i`. Both weights have the size of the last dimension
    (`[D]` or `[1, D]`). SigLIP's encoder layers and its final norm.

    Example:

    ```mlir
    %y = gemma.layer_norm %x, @v.ln1.weight, @v.ln1.bias eps(9.99999997E-7)
        : tensor<36x48xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    FlatSymbolRefAttr:$weight,
    FlatSymbolRefAttr:$bias,
    F32Attr:$epsilon
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `eps` `(` $epsilon `)` attr-dict `:`
    type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_AddWeightOp : Gemma_WeightReader<"add_weight",
    [SameOperandsAndResultType]> {
  let summary = "Add a stored tensor to every row, or row by row";
  let description = [{
    Views `input` as `[N, D]` (its first dimension by the product of the
    others). A weight of one row (`[D]` or `[1, D]`, a linear layer's bias)
    is added to every row: `y[n, i] = x[n, i] + w[i]`; a weight of N rows
    (`[N, D]`, learned position embeddings) row by row: `y[n, i] = x[n, i] +
    w[n, i]`.

    Example:

    ```mlir
    %y = gemma.add_weight %x, @v.fc1.bias : tensor<36x96xf32>
    %e = gemma.add_weight %p, @v.position : tensor<36x48xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, FlatSymbolRefAttr:$weight);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` type($result)";
}

def Gemma_FullAttentionOp : Gemma_Op<"full_attention",
    [Pure, AllTypesMatch<["query", "keys", "values", "result"]>]> {
  let summary = "Attention in which every row sees every row";
  let description = [{
    On `[N, H, D]` queries, keys and values of one sequence, for each head
    h: `result[n, h] = sum_m p[n, h, m] * values[m, h]` with `p[n, h] =
    softmax_m(scale * query[n, h] . keys[m, h])`. No mask and no cache: a
    vision encoder's patches attend to each other both ways.

    Example:

    ```mlir
    %o = gemma.full_attention %q, %k, %v scale(0.288675129)
        : tensor<36x4x12xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$query,
    Gemma_Activation:$keys,
    Gemma_Activation:$values,
    F32Attr:$scale
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $query `,` $keys `,` $values `scale` `(` $scale `)` attr-dict `:`
    type($result)
  }];
  let hasVerifier = 1;
}

def Gemma_AvgPoolOp : Gemma_Op<"avg_pool", [Pure]> {
  let summary = "Average pooling of a grid of rows";
  let description = [{
    The `[R * C, D]` input is a row-major grid of R x C rows (image patches);
    the result is the `[(R / k) * (C / k), D]` grid of the means of its k x k
    tiles, row-major: `result[i * (C / k) + j] = mean_{a, b < k} input[(i * k
    + a) * C + j * k + b]`. k divides R and C. Gemma 3's projector pools 64 x
    64 patches to 16 x 16 soft tokens with k = 4.

    Example:

    ```mlir
    %t = gemma.avg_pool %x grid [6, 6] kernel(2)
        : tensor<36x48xf32> -> tensor<9x48xf32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    DenseI64ArrayAttr:$grid,
    I64Attr:$kernel
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `grid` $grid `kernel` `(` $kernel `)` attr-dict `:` type($input)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The text model's side of an image prompt
//===----------------------------------------------------------------------===//

def Gemma_ReplaceRowsOp : Gemma_Op<"replace_rows",
    [Pure, AllTypesMatch<["input", "replacement", "result"]>]> {
  let summary = "Rows of one token id taken from another tensor";
  let description = [{
    `result[n] = ids[n] == token ? replacement[n] : input[n]` for `[N, D]`
    tensors and `[N]` ids: the image soft tokens, laid out at their rows,
    take the place of the image tokens' embeddings (unscaled, as
    transformers' masked_scatter leaves them).

    Example:

    ```mlir
    %x = gemma.replace_rows %e, %soft, %ids token(262144)
        : tensor<32x640xf32>, tensor<32xi32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$input,
    Gemma_Activation:$replacement,
    Gemma_TokenIds:$ids,
    I32Attr:$token
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $replacement `,` $ids `token` `(` $token `)` attr-dict `:`
    type($input) `,` type($ids)
  }];
  let hasVerifier = 1;
}

def Gemma_ImageMaskOp : Gemma_Op<"image_mask", [Pure,
    AllTypesMatch<["scores", "result"]>,
    AllTypesMatch<["positions", "horizons"]>]> {
  let summary = "The window mask with image tokens seeing their whole image";
  let description = [{
    `gemma.window_mask` where query n sees keys up to position `h =
    horizons[n]` (`h >= positions[n] = p`) instead of p: the last position of
    its image for an image token, p for a text token. Slot `s` holds key
    position `j = h - ((h - s) mod S)`; the score is kept iff `0 <= j <= h`
    and, with a `window` W, `j > p - W`. So the tokens of one image see each
    other both ways, and a sliding layer's window still bounds the keys
    behind the query but not those of its image ahead of it, as
    transformers' Gemma 3 masks do (docs/vision.md). The keys up to h are
    those of the same prefill chunk, written before the scores are taken.

    Example:

    ```mlir
    %m = gemma.image_mask %s, %pos, %horizon window(512)
        : tensor<32x4x543xf32>, tensor<32xi32>
    ```
  }];
  let arguments = (ins
    Gemma_Activation:$scores, Gemma_TokenIds:$positions,
    Gemma_TokenIds:$horizons, OptionalAttr<I64Attr>:$window
  );
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $scores `,` $positions `,` $horizons (`window` `(` $window^ `)`)?
    attr-dict `:` type($scores) `,` type($positions)
  }];
  let hasVerifier = 1;
}

#endif // GEMMA_VISION_OPS_TD
