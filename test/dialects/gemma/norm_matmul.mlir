// RMSNorm in its three conventions, matmul (whole weight, row ranges, head
// splits) and scale.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

gemma.param @pre_att_ns : !gemma.weight<[64], bf16>
gemma.param @post_att_ns : !gemma.weight<[1, 64], f32>
gemma.param @query_norm : !gemma.weight<[16], bf16>
gemma.param @qkv : !gemma.weight<[128, 64], sfp>
gemma.param @attn_out : !gemma.weight<[64, 64], sfp>
gemma.param @layer_scalar : !gemma.weight<[1], f32>

// CHECK-LABEL: func.func @norms
// CHECK: gemma.rms_norm %{{.*}}, @pre_att_ns plus_one eps(9.99999997E-7) : tensor<3x64xf32>
// CHECK: gemma.rms_norm %{{.*}}, @post_att_ns plain eps(9.99999997E-7) : tensor<3x64xf32>
// CHECK: gemma.rms_norm %{{.*}} eps(9.99999997E-7) : tensor<3x64xf32>
// CHECK: gemma.rms_norm %{{.*}}, @query_norm plus_one eps(9.99999997E-7) : tensor<3x4x16xf32>
func.func @norms(%x: tensor<3x64xf32>, %q: tensor<3x4x16xf32>) -> (tensor<3x64xf32>, tensor<3x64xf32>, tensor<3x64xf32>, tensor<3x4x16xf32>) {
  %a = gemma.rms_norm %x, @pre_att_ns plus_one eps(1.0e-6) : tensor<3x64xf32>
  %b = gemma.rms_norm %x, @post_att_ns plain eps(1.0e-6) : tensor<3x64xf32>
  %c = gemma.rms_norm %x eps(1.0e-6) : tensor<3x64xf32>
  %d = gemma.rms_norm %q, @query_norm plus_one eps(1.0e-6) : tensor<3x4x16xf32>
  return %a, %b, %c, %d : tensor<3x64xf32>, tensor<3x64xf32>, tensor<3x64xf32>, tensor<3x4x16xf32>
}

// Q, K and V from one stored matrix by row ranges, then the output projection
// from the head-split attention result.
// CHECK-LABEL: func.func @projections
// CHECK: gemma.matmul %{{.*}}, @qkv rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
// CHECK: gemma.matmul %{{.*}}, @qkv rows [64, 96] : tensor<3x64xf32> -> tensor<3x2x16xf32>
// CHECK: gemma.matmul %{{.*}}, @qkv rows [96, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
// CHECK: gemma.matmul %{{.*}}, @qkv : tensor<3x64xf32> -> tensor<3x128xf32>
// CHECK: gemma.matmul %{{.*}}, @attn_out : tensor<3x4x16xf32> -> tensor<3x64xf32>
func.func @projections(%x: tensor<3x64xf32>) -> (tensor<3x2x16xf32>, tensor<3x2x16xf32>, tensor<3x128xf32>, tensor<3x64xf32>) {
  %q = gemma.matmul %x, @qkv rows [0, 64] : tensor<3x64xf32> -> tensor<3x4x16xf32>
  %k = gemma.matmul %x, @qkv rows [64, 96] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %v = gemma.matmul %x, @qkv rows [96, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %all = gemma.matmul %x, @qkv : tensor<3x64xf32> -> tensor<3x128xf32>
  %o = gemma.matmul %q, @attn_out : tensor<3x4x16xf32> -> tensor<3x64xf32>
  return %k, %v, %all, %o : tensor<3x2x16xf32>, tensor<3x2x16xf32>, tensor<3x128xf32>, tensor<3x64xf32>
}

// gemma.cpp's layout with 2 KV heads: Q rows [0, 64), then K_0, V_0, K_1, V_1
// of 16 rows each; the output projection stored head-major (att_ein [H*d, hd]).
gemma.param @qkv_gqa : !gemma.weight<[128, 64], sfp>
gemma.param @att_ein : !gemma.weight<[256, 16], sfp>
// CHECK-LABEL: func.func @interleaved_kv
// CHECK: gemma.matmul %arg0, @qkv_gqa rows [64, 80, 96, 112] : tensor<3x64xf32> -> tensor<3x2x16xf32>
// CHECK: gemma.matmul %arg0, @qkv_gqa rows [80, 96, 112, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
// CHECK: gemma.matmul %arg1, @att_ein heads(4) : tensor<3x4x16xf32> -> tensor<3x64xf32>
func.func @interleaved_kv(%x: tensor<3x64xf32>, %att: tensor<3x4x16xf32>) -> (tensor<3x2x16xf32>, tensor<3x2x16xf32>, tensor<3x64xf32>) {
  %k = gemma.matmul %x, @qkv_gqa rows [64, 80, 96, 112] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %v = gemma.matmul %x, @qkv_gqa rows [80, 96, 112, 128] : tensor<3x64xf32> -> tensor<3x2x16xf32>
  %o = gemma.matmul %att, @att_ein heads(4) : tensor<3x4x16xf32> -> tensor<3x64xf32>
  return %k, %v, %o : tensor<3x2x16xf32>, tensor<3x2x16xf32>, tensor<3x64xf32>
}

// CHECK-LABEL: func.func @scales
// CHECK: gemma.scale %{{.*}} by @layer_scalar : tensor<3x64xf32>
// CHECK: gemma.scale %{{.*}} factor(0.707106769) : tensor<3x64xf32>
func.func @scales(%x: tensor<3x64xf32>) -> tensor<3x64xf32> {
  %a = gemma.scale %x by @layer_scalar : tensor<3x64xf32>
  %b = gemma.scale %a factor(0.707106769) : tensor<3x64xf32>
  return %b : tensor<3x64xf32>
}
