// RUN: gemma-opt %s --gemma-fuse-qkv-rope | FileCheck %s

gemma.param @qkv_ein : !gemma.weight<[128, 64], sfp>
gemma.param @qkv_kv : !gemma.weight<[192, 64], sfp>
gemma.param @query_norm : !gemma.weight<[1, 16], bf16>
gemma.param @key_norm : !gemma.weight<[1, 16], bf16>
gemma.param @query_norm_g : !gemma.weight<[1, 32], bf16>
gemma.param @key_norm_g : !gemma.weight<[1, 32], bf16>

// Gemma 3: QK-norm (1 + w), 2 KV heads interleaved in one matrix.
// CHECK-LABEL: func.func @gemma3
// CHECK: %[[Q:.+]], %[[K:.+]], %[[V:.+]] = gemma.fused_qkv_rope %arg0, %arg1, %arg2, %arg3 q @qkv_ein rows [0, 64], k @qkv_ein rows [64, 80, 96, 112], v @qkv_ein rows [80, 96, 112, 128] qk_norm @query_norm @key_norm plus_one eps(9.99999997E-7) rope base(1.000000e+06) scale(8.000000e+00) : tensor<3x64xf32>, tensor<3xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
// CHECK-NOT: gemma.rope
// CHECK-NOT: gemma.kv_write
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @gemma3(%x: tensor<3x64xf32>, %pos: tensor<3xi32>, %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>) -> (tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) {
  %q = gemma.matmul %x, @qkv_ein rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
  %k = gemma.matmul %x, @qkv_ein rows [64, 80, 96, 112] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %v = gemma.matmul %x, @qkv_ein rows [80, 96, 112, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %qn = gemma.rms_norm %q, @query_norm plus_one eps(1.0e-6) : tensor<3x4x16xf32>
  %kn = gemma.rms_norm %k, @key_norm plus_one eps(1.0e-6) : tensor<3x2x16xf32>
  %qr = gemma.rope %qn, %pos base(1.0e6) scale(8.0) : tensor<3x4x16xf32>, tensor<3xi32>
  %kr = gemma.rope %kn, %pos base(1.0e6) scale(8.0) : tensor<3x2x16xf32>, tensor<3xi32>
  %kc1 = gemma.kv_write %kr into %kc at %pos : tensor<3x2x16xf32> into tensor<1x8x2x16xf32>, tensor<3xi32>
  %vc1 = gemma.kv_write %v into %vc at %pos : tensor<3x2x16xf32> into tensor<1x8x2x16xf32>, tensor<3xi32>
  return %qr, %kc1, %vc1 : tensor<3x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>
}

// Gemma 4 global K=V layer: the value is the raw key through the weightless
// norm; no value weight; proportional RoPE on 32-wide heads.
// CHECK-LABEL: func.func @gemma4_k_eq_v
// CHECK: gemma.fused_qkv_rope %arg0, %arg1, %arg2, %arg3 q @qkv_kv rows [0, 128], k @qkv_kv rows [128, 160] qk_norm @query_norm_g @key_norm_g plain value_norm eps(9.99999997E-7) rope base(1.000000e+06) fraction(2.500000e-01) : tensor<1x64xf32>, tensor<1xi32>, tensor<1x16x1x32xf32>, tensor<1x16x1x32xf32> -> tensor<1x4x32xf32>
// CHECK-NOT: gemma.rms_norm
func.func @gemma4_k_eq_v(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %kc: tensor<1x16x1x32xf32>, %vc: tensor<1x16x1x32xf32>) -> (tensor<1x4x32xf32>, tensor<1x16x1x32xf32>, tensor<1x16x1x32xf32>) {
  %q = gemma.matmul %x, @qkv_kv rows [0, 128] : tensor<1x64xf32> -> tensor<1x4x32xf32>
  %k = gemma.matmul %x, @qkv_kv rows [128, 160] : tensor<1x64xf32> -> tensor<1x1x32xf32>
  %qn = gemma.rms_norm %q, @query_norm_g plain eps(1.0e-6) : tensor<1x4x32xf32>
  %kn = gemma.rms_norm %k, @key_norm_g plain eps(1.0e-6) : tensor<1x1x32xf32>
  %v = gemma.rms_norm %k eps(1.0e-6) : tensor<1x1x32xf32>
  %qr = gemma.rope %qn, %pos base(1.0e6) fraction(0.25) : tensor<1x4x32xf32>, tensor<1xi32>
  %kr = gemma.rope %kn, %pos base(1.0e6) fraction(0.25) : tensor<1x1x32xf32>, tensor<1xi32>
  %kc1 = gemma.kv_write %kr into %kc at %pos : tensor<1x1x32xf32> into tensor<1x16x1x32xf32>, tensor<1xi32>
  %vc1 = gemma.kv_write %v into %vc at %pos : tensor<1x1x32xf32> into tensor<1x16x1x32xf32>, tensor<1xi32>
  return %qr, %kc1, %vc1 : tensor<1x4x32xf32>, tensor<1x16x1x32xf32>, tensor<1x16x1x32xf32>
}

// Gemma 1/2: no norms at all.
// CHECK-LABEL: func.func @no_norms
// CHECK: gemma.fused_qkv_rope %arg0, %arg1, %arg2, %arg3 q @qkv_ein rows [0, 64], k @qkv_ein rows [64, 80, 96, 112], v @qkv_ein rows [80, 96, 112, 128] eps(9.99999997E-7) rope base(1.000000e+04)
func.func @no_norms(%x: tensor<2x64xf32>, %pos: tensor<2xi32>, %kc: tensor<2x8x2x16xf32>, %vc: tensor<2x8x2x16xf32>) -> (tensor<2x4x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>) {
  %q = gemma.matmul %x, @qkv_ein rows [0, 64] : tensor<2x64xf32> -> tensor<2x4x16xf32>
  %k = gemma.matmul %x, @qkv_ein rows [64, 80, 96, 112] : tensor<2x64xf32> -> tensor<2x2x16xf32>
  %v = gemma.matmul %x, @qkv_ein rows [80, 96, 112, 128] : tensor<2x64xf32> -> tensor<2x2x16xf32>
  %qr = gemma.rope %q, %pos base(1.0e4) : tensor<2x4x16xf32>, tensor<2xi32>
  %kr = gemma.rope %k, %pos base(1.0e4) : tensor<2x2x16xf32>, tensor<2xi32>
  %kc1 = gemma.kv_write %kr into %kc at %pos : tensor<2x2x16xf32> into tensor<2x8x2x16xf32>, tensor<2xi32>
  %vc1 = gemma.kv_write %v into %vc at %pos : tensor<2x2x16xf32> into tensor<2x8x2x16xf32>, tensor<2xi32>
  return %qr, %kc1, %vc1 : tensor<2x4x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>
}

// Negative: queries and keys rotated with different bases.
// CHECK-LABEL: func.func @different_rope
// CHECK-NOT: gemma.fused_qkv_rope
func.func @different_rope(%x: tensor<2x64xf32>, %pos: tensor<2xi32>, %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>) -> (tensor<2x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) {
  %q = gemma.matmul %x, @qkv_ein rows [0, 64] : tensor<2x64xf32> -> tensor<2x4x16xf32>
  %k = gemma.matmul %x, @qkv_ein rows [64, 80, 96, 112] : tensor<2x64xf32> -> tensor<2x2x16xf32>
  %v = gemma.matmul %x, @qkv_ein rows [80, 96, 112, 128] : tensor<2x64xf32> -> tensor<2x2x16xf32>
  %qr = gemma.rope %q, %pos base(1.0e4) : tensor<2x4x16xf32>, tensor<2xi32>
  %kr = gemma.rope %k, %pos base(1.0e6) : tensor<2x2x16xf32>, tensor<2xi32>
  %kc1 = gemma.kv_write %kr into %kc at %pos : tensor<2x2x16xf32> into tensor<1x8x2x16xf32>, tensor<2xi32>
  %vc1 = gemma.kv_write %v into %vc at %pos : tensor<2x2x16xf32> into tensor<1x8x2x16xf32>, tensor<2xi32>
  return %qr, %kc1, %vc1 : tensor<2x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>
}

// Negative: the unrotated keys are also returned.
// CHECK-LABEL: func.func @raw_keys_escape
// CHECK-NOT: gemma.fused_qkv_rope
func.func @raw_keys_escape(%x: tensor<2x64xf32>, %pos: tensor<2xi32>, %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>) -> (tensor<2x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<2x2x16xf32>) {
  %q = gemma.matmul %x, @qkv_ein rows [0, 64] : tensor<2x64xf32> -> tensor<2x4x16xf32>
  %k = gemma.matmul %x, @qkv_ein rows [64, 80, 96, 112] : tensor<2x64xf32> -> tensor<2x2x16xf32>
  %v = gemma.matmul %x, @qkv_ein rows [80, 96, 112, 128] : tensor<2x64xf32> -> tensor<2x2x16xf32>
  %qr = gemma.rope %q, %pos base(1.0e4) : tensor<2x4x16xf32>, tensor<2xi32>
  %kr = gemma.rope %k, %pos base(1.0e4) : tensor<2x2x16xf32>, tensor<2xi32>
  %kc1 = gemma.kv_write %kr into %kc at %pos : tensor<2x2x16xf32> into tensor<1x8x2x16xf32>, tensor<2xi32>
  %vc1 = gemma.kv_write %v into %vc at %pos : tensor<2x2x16xf32> into tensor<1x8x2x16xf32>, tensor<2xi32>
  return %qr, %kc1, %vc1, %k : tensor<2x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<2x2x16xf32>
}
