// The fused ops the fusion passes produce: round trip through the custom
// syntax and the generic form.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

gemma.param @c_embedding : !gemma.weight<[256, 64], bf16>
gemma.param @gating_ein : !gemma.weight<[256, 64], sfp>
gemma.param @pre_ff_ns : !gemma.weight<[1, 64], bf16>
gemma.param @qkv : !gemma.weight<[128, 64], sfp>

gemma.param @query_norm : !gemma.weight<[16], bf16>
gemma.param @key_norm : !gemma.weight<[16], bf16>

// CHECK-LABEL: func.func @qkv_rope
// CHECK: gemma.fused_qkv_rope %arg0, %arg1, %arg2, %arg3 q @qkv rows [0, 64], k @qkv rows [64, 80, 96, 112], v @qkv rows [80, 96, 112, 128] qk_norm @query_norm @key_norm plus_one eps(9.99999997E-7) rope base(1.000000e+04) : tensor<3x64xf32>, tensor<3xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
// CHECK: gemma.fused_qkv_rope %arg0, %arg1, %arg2, %arg3 q @qkv rows [0, 64], k @qkv rows [64, 80, 96, 112] value_norm eps(9.99999997E-7) rope base(1.000000e+06) scale(8.000000e+00) fraction(5.000000e-01)
func.func @qkv_rope(%x: tensor<3x64xf32>, %pos: tensor<3xi32>, %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>) -> (tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3x4x16xf32>) {
  %q, %k, %v = gemma.fused_qkv_rope %x, %pos, %kc, %vc q @qkv rows [0, 64], k @qkv rows [64, 80, 96, 112], v @qkv rows [80, 96, 112, 128] qk_norm @query_norm @key_norm plus_one eps(1.0e-6) rope base(1.0e4) : tensor<3x64xf32>, tensor<3xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
  %q2, %k2, %v2 = gemma.fused_qkv_rope %x, %pos, %kc, %vc q @qkv rows [0, 64], k @qkv rows [64, 80, 96, 112] value_norm eps(1.0e-6) rope base(1.0e6) scale(8.0) fraction(0.5) : tensor<3x64xf32>, tensor<3xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
  return %q, %k, %v2, %q2 : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3x4x16xf32>
}

// CHECK-LABEL: func.func @norm_matmul
// CHECK: gemma.fused_norm_matmul %arg0, @pre_ff_ns plain eps(9.99999997E-7), @qkv rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
// CHECK: gemma.fused_norm_matmul %arg0 eps(9.99999997E-7), @qkv : tensor<3x64xf32> -> tensor<3x128xf32>
func.func @norm_matmul(%x: tensor<3x64xf32>) -> (tensor<3x4x16xf32>, tensor<3x128xf32>) {
  %q = gemma.fused_norm_matmul %x, @pre_ff_ns plain eps(1.0e-6), @qkv rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
  %all = gemma.fused_norm_matmul %x eps(1.0e-6), @qkv : tensor<3x64xf32> -> tensor<3x128xf32>
  return %q, %all : tensor<3x4x16xf32>, tensor<3x128xf32>
}

// CHECK-LABEL: func.func @fused
// CHECK: gemma.fused_residual_norm %arg0, %arg1, @pre_ff_ns plus_one eps(9.99999997E-7) : tensor<3x64xf32>
// CHECK: gemma.fused_geglu %{{.*}}, gate @gating_ein rows [0, 128], up @gating_ein rows [128, 256] : tensor<3x64xf32> -> tensor<3x128xf32>
// CHECK: gemma.fused_residual_norm %arg0, %arg1 eps(9.99999997E-7) : tensor<3x64xf32>
// CHECK: gemma.fused_attention %arg2, %arg3, %arg4, %arg5 scale(2.500000e-01) cap(5.000000e+01) window(4) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3xi32> -> tensor<3x4x16xf32>
// CHECK: gemma.fused_attention %arg2, %arg3, %arg4, %arg5 scale(1.000000e+00) : tensor<3x4x16xf32>
// CHECK: gemma.fused_logits %{{.*}}, @c_embedding cap(3.000000e+01) : tensor<3x64xf32> -> tensor<3x256xf32>
// CHECK: gemma.fused_logits %{{.*}}, @c_embedding : tensor<3x64xf32> -> tensor<3x200xf32>
func.func @fused(%x: tensor<3x64xf32>, %a: tensor<3x64xf32>, %q: tensor<3x4x16xf32>,
                 %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>, %pos: tensor<3xi32>)
    -> (tensor<3x64xf32>, tensor<3x128xf32>, tensor<3x64xf32>, tensor<3x4x16xf32>, tensor<3x4x16xf32>, tensor<3x256xf32>, tensor<3x200xf32>) {
  %s, %n = gemma.fused_residual_norm %x, %a, @pre_ff_ns plus_one eps(1.0e-6) : tensor<3x64xf32>
  %h = gemma.fused_geglu %n, gate @gating_ein rows [0, 128], up @gating_ein rows [128, 256] : tensor<3x64xf32> -> tensor<3x128xf32>
  %s2, %n2 = gemma.fused_residual_norm %x, %a eps(1.0e-6) : tensor<3x64xf32>
  %o = gemma.fused_attention %q, %kc, %vc, %pos scale(0.25) cap(50.0) window(4) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3xi32> -> tensor<3x4x16xf32>
  %o2 = gemma.fused_attention %q, %kc, %vc, %pos scale(1.0) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3xi32> -> tensor<3x4x16xf32>
  %l = gemma.fused_logits %s, @c_embedding cap(30.0) : tensor<3x64xf32> -> tensor<3x256xf32>
  %l2 = gemma.fused_logits %n2, @c_embedding : tensor<3x64xf32> -> tensor<3x200xf32>
  return %s2, %h, %s, %o, %o2, %l, %l2 : tensor<3x64xf32>, tensor<3x128xf32>, tensor<3x64xf32>, tensor<3x4x16xf32>, tensor<3x4x16xf32>, tensor<3x256xf32>, tensor<3x200xf32>
}
