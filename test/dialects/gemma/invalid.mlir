// One case per verifier rule of the gemma dialect (dialects/gemma/GemmaOps.cpp
// and WeightType::verify), plus the ODS constraints ops rely on.
// RUN: gemma-opt %s --split-input-file --verify-diagnostics

// Weight dimensions must be positive.
// expected-error @+1 {{weight dimensions must be positive, got 0}}
gemma.param @w : !gemma.weight<[4, 0], f32>

// -----

// Weights have 1 to 3 dimensions.
// expected-error @+1 {{weight must have 1 to 3 dimensions, got 4}}
gemma.param @w : !gemma.weight<[1, 2, 3, 4], f32>

// -----

// Unknown storage type.
// expected-error @+2 {{to be one of: f32, bf16, sfp, nuq, i8}}
// expected-error @+1 {{failed to parse Gemma_WeightType parameter 'storage'}}
gemma.param @w : !gemma.weight<[4], fp4>

// -----

// The per-tensor scale must be positive.
// expected-error @+1 {{'gemma.param' op expects scale to be finite and positive, got 0}}
gemma.param @w : !gemma.weight<[4], sfp> {scale = 0.0 : f32}

// -----

// Params live at module level.
func.func @f() {
  // expected-error @+1 {{'gemma.param' op expects parent op 'builtin.module'}}
  gemma.param @w : !gemma.weight<[4], f32>
  return
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // The embedding multiplier is bf16(sqrt(d)).
  // expected-error @+1 {{expects scale to be rounded to bfloat16 (Gemma multiplies by bf16(sqrt(d))), got 25.2982}}
  %x = gemma.embed %ids, @emb scale(25.2982) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got -2}}
  %x = gemma.embed %ids, @emb scale(-2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<3x8xf32> {
  // expected-error @+1 {{expects one result row per id (2), got 3}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<3x8xf32>
  return %x : tensor<3x8xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{embedding table width 8 does not match the result width 4}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

gemma.param @emb : !gemma.weight<[128], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a [V, d] embedding table, got rank 1}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @nowhere does not name a gemma.param}}
  %x = gemma.embed %ids, @nowhere scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2x1xi32>) -> tensor<2x8xf32> {
  // Ids are one-dimensional.
  // expected-error @+1 {{operand #0 must be 1-D static tensor of i32}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2x1xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<2x17xf32> {
  // expected-error @+1 {{result vocabulary 17 exceeds the table's 16 rows}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<2x17xf32>
  return %l : tensor<2x17xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x4xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{embedding table width 8 does not match the input width 4}}
  %l = gemma.logits %h, @emb : tensor<2x4xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{expects one result row per input row (2), got 3}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<3x16xf32>
  return %l : tensor<3x16xf32>
}

// -----

gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x2x4xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects input of rank 2 ([N, d]), got rank 3}}
  %l = gemma.logits %h, @emb : tensor<2x2x4xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

gemma.param @emb : !gemma.weight<[2, 16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects a [V, d] embedding table, got rank 3}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

func.func @f(%l: tensor<2x16xf32>) -> tensor<3xi32> {
  // expected-error @+1 {{expects one id per input row (2), got 3}}
  %i = gemma.argmax %l : tensor<2x16xf32> -> tensor<3xi32>
  return %i : tensor<3xi32>
}

// -----

func.func @f(%l: tensor<16xf32>) -> tensor<16xi32> {
  // expected-error @+1 {{expects input of rank 2 ([N, V]), got rank 1}}
  %i = gemma.argmax %l : tensor<16xf32> -> tensor<16xi32>
  return %i : tensor<16xi32>
}

// -----

gemma.param @w : !gemma.weight<[8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // Unknown norm convention keyword.
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'weight_scale' [plus_one, plain]}}
  %y = gemma.rms_norm %x, @w twice eps(1.0e-6) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

gemma.param @w : !gemma.weight<[8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // A weight needs its convention (generic form can omit it).
  // expected-error @+1 {{expects a weight and its convention together}}
  %y = "gemma.rms_norm"(%x) <{epsilon = 1.0e-6 : f32, weight = @w}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects epsilon to be finite and positive, got 0}}
  %y = gemma.rms_norm %x eps(0.0) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

gemma.param @w : !gemma.weight<[2, 8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a norm weight of 8 elements ([8] or [1, 8]), got '!gemma.weight<[2, 8], bf16>'}}
  %y = gemma.rms_norm %x, @w plain eps(1.0e-6) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

gemma.param @w : !gemma.weight<[16], bf16>
func.func @f(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // A QK-norm weight has the head dimension.
  // expected-error @+1 {{expects a norm weight of 8 elements ([8] or [1, 8]), got '!gemma.weight<[16], bf16>'}}
  %y = gemma.rms_norm %x, @w plus_one eps(1.0e-6) : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

func.func @f(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  // Activations are f32.
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float values}}
  %y = gemma.rms_norm %x eps(1.0e-6) : tensor<2x8xf16>
  return %y : tensor<2x8xf16>
}

// -----

func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // Shapes are static (one function per bucket).
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float values}}
  %y = gemma.rms_norm %x eps(1.0e-6) : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<8xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{expects input and result of rank >= 2 ([N, ...])}}
  %y = gemma.matmul %x, @w : tensor<8xf32> -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{expects as many result rows as input rows (2), got 3}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects rows [begin, end] with 0 <= begin < end}}
  %y = gemma.matmul %x, @w rows [4, 4] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight rows [0, 8) give 8 outputs, but the result row has 4}}
  %y = gemma.matmul %x, @w rows [0, 8] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight rows end 20 exceeds the 16 rows of @w}}
  %y = gemma.matmul %x, @w rows [12, 20] : tensor<2x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight @w has 8 columns, but the input row has 4}}
  %y = gemma.matmul %x, @w : tensor<2x4xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x2x4xf32> {
  // expected-error @+1 {{weight @w has 16 rows, but the result row has 8}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<2x2x4xf32>
  return %y : tensor<2x2x4xf32>
}

// -----

gemma.param @w : !gemma.weight<[128], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects an [out, in] weight matrix, got '!gemma.weight<[128], sfp>'}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

gemma.param @s : !gemma.weight<[1], f32>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects exactly one of a weight and a factor}}
  %y = gemma.scale %x by @s factor(2.0) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects exactly one of a weight and a factor}}
  %y = gemma.scale %x : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a finite factor, got inf}}
  %y = gemma.scale %x factor(0x7F800000) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

gemma.param @s : !gemma.weight<[2], f32>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a one-element scalar weight, got '!gemma.weight<[2], f32>'}}
  %y = gemma.scale %x by @s : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @f(%x: tensor<2x16xf32>, %p: tensor<2xi32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects input of rank 3 ([N, heads, D]), got rank 2}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x16xf32>, tensor<2xi32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<3xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects one position per row (2), got 3}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x1x16xf32>, tensor<3xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

func.func @f(%x: tensor<2x1x15xf32>, %p: tensor<2xi32>) -> tensor<2x1x15xf32> {
  // expected-error @+1 {{expects an even head dimension, got 15}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x1x15xf32>, tensor<2xi32>
  return %y : tensor<2x1x15xf32>
}

// -----

func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects base to be finite and positive, got 0}}
  %y = gemma.rope %x, %p base(0.0) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got -8}}
  %y = gemma.rope %x, %p base(1.0e4) scale(-8.0) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects the rotated fraction in (0, 1], got 0}}
  %y = gemma.rope %x, %p base(1.0e4) fraction(0.0) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects the rotated fraction in (0, 1], got 1.5}}
  %y = gemma.rope %x, %p base(1.0e4) fraction(1.5) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

func.func @f(%x: tensor<2x1x4xf32>, %p: tensor<2xi32>) -> tensor<2x1x4xf32> {
  // expected-error @+1 {{rotated fraction 0.1 of head dimension 4 rotates no pair}}
  %y = gemma.rope %x, %p base(1.0e4) fraction(0.1) : tensor<2x1x4xf32>, tensor<2xi32>
  return %y : tensor<2x1x4xf32>
}

// -----

func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x16xf32>, %p: tensor<2xi32>) -> tensor<1x8x16xf32> {
  // expected-error @+1 {{expects cache of rank 4 ([B, S, K, D]), got rank 3}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x16xf32>, tensor<2xi32>
  return %r : tensor<1x8x16xf32>
}

// -----

func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x2x16xf32>, %p: tensor<2xi32>) -> tensor<1x8x2x16xf32> {
  // expected-error @+1 {{input heads [1, 16] do not match the cache's [2, 16] (KV heads, head dimension)}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x2x16xf32>, tensor<2xi32>
  return %r : tensor<1x8x2x16xf32>
}

// -----

func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<3x8x1x16xf32>, %p: tensor<2xi32>) -> tensor<3x8x1x16xf32> {
  // expected-error @+1 {{expects cache to hold 1 sequence or one per row (2), got 3}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<3x8x1x16xf32>, tensor<2xi32>
  return %r : tensor<3x8x1x16xf32>
}

// -----

func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x1x16xf32>, %p: tensor<1xi32>) -> tensor<1x8x1x16xf32> {
  // expected-error @+1 {{expects one position per row (2), got 1}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x1x16xf32>, tensor<1xi32>
  return %r : tensor<1x8x1x16xf32>
}

// -----

func.func @f(%q: tensor<2x6x16xf32>, %k: tensor<1x8x4x16xf32>) -> tensor<2x6x8xf32> {
  // expected-error @+1 {{query head count 6 is not a multiple of the KV head count 4}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x6x16xf32>, tensor<1x8x4x16xf32> -> tensor<2x6x8xf32>
  return %s : tensor<2x6x8xf32>
}

// -----

func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x2x32xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{query head dimension 16 does not match the keys' 32}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<1x8x2x32xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x2x16xf32>) -> tensor<2x4x9xf32> {
  // expected-error @+1 {{expects result of shape [2, 4, 8], got [2, 4, 9]}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<2x4x9xf32>
  return %s : tensor<2x4x9xf32>
}

// -----

func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x2x16xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got 0}}
  %s = gemma.attn_scores %q, %k scale(0.0) : tensor<2x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<3x8x2x16xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects keys to hold 1 sequence or one per row (2), got 3}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<3x8x2x16xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

func.func @f(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects cap to be finite and positive, got -50}}
  %c = gemma.softcap %s cap(-50.0) : tensor<2x4x8xf32>
  return %c : tensor<2x4x8xf32>
}

// -----

func.func @f(%s: tensor<2x4x8xf32>, %p: tensor<2xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects a positive window, got 0}}
  %m = gemma.window_mask %s, %p window(0) : tensor<2x4x8xf32>, tensor<2xi32>
  return %m : tensor<2x4x8xf32>
}

// -----

func.func @f(%s: tensor<2x4x8xf32>, %p: tensor<2xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects a positive window, got -3}}
  %m = gemma.window_mask %s, %p window(-3) : tensor<2x4x8xf32>, tensor<2xi32>
  return %m : tensor<2x4x8xf32>
}

// -----

func.func @f(%s: tensor<2x4x8xf32>, %p: tensor<4xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects one position per row (2), got 4}}
  %m = gemma.window_mask %s, %p : tensor<2x4x8xf32>, tensor<4xi32>
  return %m : tensor<2x4x8xf32>
}

// -----

func.func @f(%s: tensor<2x32xf32>, %p: tensor<2xi32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expects scores of rank 3 ([N, H, S]), got rank 2}}
  %m = gemma.window_mask %s, %p : tensor<2x32xf32>, tensor<2xi32>
  return %m : tensor<2x32xf32>
}

// -----

func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<1x9x2x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{probs cover 8 slots, but the values cache has 9}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<1x9x2x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<1x8x3x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{query head count 4 is not a multiple of the KV head count 3}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<1x8x3x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<1x8x2x16xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{expects result of shape [2, 4, 16], got [2, 4, 32]}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<2x4x32xf32>
  return %o : tensor<2x4x32xf32>
}

// -----

func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<4x8x2x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{expects values to hold 1 sequence or one per row (2), got 4}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<4x8x2x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

func.func @f(%x: tensor<2x8xi32>) -> tensor<2x8xi32> {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float values}}
  %y = gemma.softmax %x : tensor<2x8xi32>
  return %y : tensor<2x8xi32>
}

// -----

func.func @f(%x: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float values}}
  %y = gemma.gelu_tanh %x : tensor<2x8xbf16>
  return %y : tensor<2x8xbf16>
}

// -----

func.func @f(%a: tensor<2x8xf32>, %b: tensor<2x4xf32>) -> tensor<2x8xf32> {
  // Elementwise operands have one shape (generic form, to reach the verifier).
  // expected-error @+1 {{requires the same type for all operands and results}}
  %c = "gemma.mul"(%a, %b) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

func.func @f(%a: tensor<2x8xf32>, %b: tensor<2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %c = "gemma.add"(%a, %b) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}
