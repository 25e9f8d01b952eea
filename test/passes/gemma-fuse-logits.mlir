// RUN: gemma-opt %s --gemma-fuse-logits | FileCheck %s

gemma.param @c_embedding : !gemma.weight<[256, 64], bf16>

// Gemma 2 and 4: the final soft-cap joins the logits.
// CHECK-LABEL: func.func @capped
// CHECK: %[[L:.+]] = gemma.fused_logits %arg0, @c_embedding cap(3.000000e+01) : tensor<2x64xf32> -> tensor<2x256xf32>
// CHECK-NOT: gemma.softcap
// CHECK: return %[[L]]
func.func @capped(%h: tensor<2x64xf32>) -> tensor<2x256xf32> {
  %l = gemma.logits %h, @c_embedding : tensor<2x64xf32> -> tensor<2x256xf32>
  %c = gemma.softcap %l cap(30.0) : tensor<2x256xf32>
  return %c : tensor<2x256xf32>
}

// Negative: no final soft-cap (Gemma 1 and 3) keeps gemma.logits.
// CHECK-LABEL: func.func @uncapped
// CHECK: gemma.logits
// CHECK-NOT: gemma.fused_logits
func.func @uncapped(%h: tensor<2x64xf32>) -> tensor<2x256xf32> {
  %l = gemma.logits %h, @c_embedding : tensor<2x64xf32> -> tensor<2x256xf32>
  return %l : tensor<2x256xf32>
}

// Negative: the uncapped logits are also returned.
// CHECK-LABEL: func.func @raw_escapes
// CHECK: gemma.logits
// CHECK: gemma.softcap
// CHECK-NOT: gemma.fused_logits
func.func @raw_escapes(%h: tensor<1x64xf32>) -> (tensor<1x256xf32>, tensor<1x256xf32>) {
  %l = gemma.logits %h, @c_embedding : tensor<1x64xf32> -> tensor<1x256xf32>
  %c = gemma.softcap %l cap(30.0) : tensor<1x256xf32>
  return %c, %l : tensor<1x256xf32>, tensor<1x256xf32>
}

// Negative: a soft-cap of attention scores is not a logits cap.
// CHECK-LABEL: func.func @scores_cap
// CHECK-NOT: gemma.fused_logits
func.func @scores_cap(%s: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %c = gemma.softcap %s cap(50.0) : tensor<1x4x8xf32>
  return %c : tensor<1x4x8xf32>
}
