// RUN: gemma-opt %s --gemma-fuse-norm-matmul | FileCheck %s

gemma.param @pre_att_ns : !gemma.weight<[1, 64], bf16>
gemma.param @qkv_ein : !gemma.weight<[128, 64], sfp>
gemma.param @att_ein : !gemma.weight<[256, 16], sfp>

// Q, K and V read one norm: each projection gets the norm folded in.
// CHECK-LABEL: func.func @qkv
// CHECK: gemma.fused_norm_matmul %arg0, @pre_att_ns plus_one eps(9.99999997E-7), @qkv_ein rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
// CHECK: gemma.fused_norm_matmul %arg0, @pre_att_ns plus_one eps(9.99999997E-7), @qkv_ein rows [64, 80, 96, 112] : tensor<3x64xf32> -> tensor<3x2x16xf32>
// CHECK: gemma.fused_norm_matmul %arg0, @pre_att_ns plus_one eps(9.99999997E-7), @qkv_ein rows [80, 96, 112, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
// CHECK-NOT: gemma.rms_norm
func.func @qkv(%x: tensor<3x64xf32>) -> (tensor<3x4x16xf32>, tensor<3x2x16xf32>, tensor<3x2x16xf32>) {
  %n = gemma.rms_norm %x, @pre_att_ns plus_one eps(1.0e-6) : tensor<3x64xf32>
  %q = gemma.matmul %n, @qkv_ein rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
  %k = gemma.matmul %n, @qkv_ein rows [64, 80, 96, 112] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %v = gemma.matmul %n, @qkv_ein rows [80, 96, 112, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  return %q, %k, %v : tensor<3x4x16xf32>, tensor<3x2x16xf32>, tensor<3x2x16xf32>
}

// Negative: the normalized row is also needed elsewhere.
// CHECK-LABEL: func.func @norm_escapes
// CHECK: gemma.rms_norm
// CHECK: gemma.matmul
// CHECK-NOT: gemma.fused_norm_matmul
func.func @norm_escapes(%x: tensor<1x64xf32>) -> (tensor<1x4x16xf32>, tensor<1x64xf32>) {
  %n = gemma.rms_norm %x, @pre_att_ns plus_one eps(1.0e-6) : tensor<1x64xf32>
  %q = gemma.matmul %n, @qkv_ein rows [0, 64] : tensor<1x64xf32> -> tensor<1x4x16xf32>
  return %q, %n : tensor<1x4x16xf32>, tensor<1x64xf32>
}

// Negative: a norm of a projection's output (the post-norm) is not a norm
// feeding a projection.
// CHECK-LABEL: func.func @post_norm
// CHECK: gemma.matmul %arg0, @att_ein heads(4)
// CHECK: gemma.rms_norm
// CHECK-NOT: gemma.fused_norm_matmul
func.func @post_norm(%o: tensor<1x4x16xf32>) -> tensor<1x64xf32> {
  %a = gemma.matmul %o, @att_ein heads(4) : tensor<1x4x16xf32> -> tensor<1x64xf32>
  %n = gemma.rms_norm %a, @pre_att_ns plus_one eps(1.0e-6) : tensor<1x64xf32>
  return %n : tensor<1x64xf32>
}
