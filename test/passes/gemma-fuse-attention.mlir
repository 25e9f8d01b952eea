// RUN: gemma-opt %s --gemma-fuse-attention | FileCheck %s

// Gemma 2 sliding layer: scale, soft-cap and window carried over.
// CHECK-LABEL: func.func @sliding_capped
// CHECK: %[[O:.+]] = gemma.fused_attention %arg0, %arg1, %arg2, %arg3 scale(2.500000e-01) cap(5.000000e+01) window(4) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3xi32> -> tensor<3x4x16xf32>
// CHECK-NOT: gemma.attn_scores
// CHECK-NOT: gemma.softmax
// CHECK: return %[[O]]
func.func @sliding_capped(%q: tensor<3x4x16xf32>, %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>, %pos: tensor<3xi32>) -> tensor<3x4x16xf32> {
  %s = gemma.attn_scores %q, %kc scale(0.25) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x8xf32>
  %c = gemma.softcap %s cap(50.0) : tensor<3x4x8xf32>
  %m = gemma.window_mask %c, %pos window(4) : tensor<3x4x8xf32>, tensor<3xi32>
  %p = gemma.softmax %m : tensor<3x4x8xf32>
  %o = gemma.attn_values %p, %vc : tensor<3x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
  return %o : tensor<3x4x16xf32>
}

// Gemma 4 global layer in batched decode: no cap, no window, head dim 32,
// one KV head; K=V layers have separate key and value caches all the same.
// CHECK-LABEL: func.func @global_decode
// CHECK: gemma.fused_attention %arg0, %arg1, %arg2, %arg3 scale(1.000000e+00) : tensor<2x4x32xf32>, tensor<2x16x1x32xf32>, tensor<2x16x1x32xf32>, tensor<2xi32> -> tensor<2x4x32xf32>
// CHECK-NOT: cap(
func.func @global_decode(%q: tensor<2x4x32xf32>, %kc: tensor<2x16x1x32xf32>, %vc: tensor<2x16x1x32xf32>, %pos: tensor<2xi32>) -> tensor<2x4x32xf32> {
  %s = gemma.attn_scores %q, %kc scale(1.0) : tensor<2x4x32xf32>, tensor<2x16x1x32xf32> -> tensor<2x4x16xf32>
  %m = gemma.window_mask %s, %pos : tensor<2x4x16xf32>, tensor<2xi32>
  %p = gemma.softmax %m : tensor<2x4x16xf32>
  %o = gemma.attn_values %p, %vc : tensor<2x4x16xf32>, tensor<2x16x1x32xf32> -> tensor<2x4x32xf32>
  return %o : tensor<2x4x32xf32>
}

// Negative: the probabilities are also returned, so they must exist.
// CHECK-LABEL: func.func @probs_escape
// CHECK-NOT: gemma.fused_attention
// CHECK: gemma.softmax
// CHECK: gemma.attn_values
func.func @probs_escape(%q: tensor<1x4x16xf32>, %kc: tensor<1x8x2x16xf32>, %pos: tensor<1xi32>) -> (tensor<1x4x16xf32>, tensor<1x4x8xf32>) {
  %s = gemma.attn_scores %q, %kc scale(0.25) : tensor<1x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x8xf32>
  %m = gemma.window_mask %s, %pos : tensor<1x4x8xf32>, tensor<1xi32>
  %p = gemma.softmax %m : tensor<1x4x8xf32>
  %o = gemma.attn_values %p, %kc : tensor<1x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x16xf32>
  return %o, %p : tensor<1x4x16xf32>, tensor<1x4x8xf32>
}

// Negative: a softmax without a mask is not attention as the builder emits it.
// CHECK-LABEL: func.func @unmasked
// CHECK-NOT: gemma.fused_attention
func.func @unmasked(%q: tensor<1x4x16xf32>, %kc: tensor<1x8x2x16xf32>) -> tensor<1x4x16xf32> {
  %s = gemma.attn_scores %q, %kc scale(0.25) : tensor<1x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x8xf32>
  %p = gemma.softmax %s : tensor<1x4x8xf32>
  %o = gemma.attn_values %p, %kc : tensor<1x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
}

// An image prefill's mask (gemma.image_mask) is not the window mask the
// fused kernel applies: its attention stays unfused.
// CHECK-LABEL: func.func @image_prompt
// CHECK: gemma.image_mask
// CHECK-NOT: gemma.fused_attention
func.func @image_prompt(%s: tensor<2x4x16xf32>, %pos: tensor<2xi32>, %horizon: tensor<2xi32>, %v: tensor<1x16x2x8xf32>) -> tensor<2x4x8xf32> {
  %m = gemma.image_mask %s, %pos, %horizon window(4) : tensor<2x4x16xf32>, tensor<2xi32>
  %p = gemma.softmax %m : tensor<2x4x16xf32>
  %o = gemma.attn_values %p, %v : tensor<2x4x16xf32>, tensor<1x16x2x8xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}
