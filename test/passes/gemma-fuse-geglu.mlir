// RUN: gemma-opt %s --gemma-fuse-geglu | FileCheck %s

gemma.param @gating_ein : !gemma.weight<[256, 64], sfp>
gemma.param @gating1_w : !gemma.weight<[128, 64], nuq>
gemma.param @gating2_w : !gemma.weight<[128, 64], nuq>

// gemma.cpp's fused gate/up matrix: gate rows, then up rows.
// CHECK-LABEL: func.func @fused_matrix
// CHECK: %[[H:.+]] = gemma.fused_geglu %arg0, gate @gating_ein rows [0, 128], up @gating_ein rows [128, 256] : tensor<3x64xf32> -> tensor<3x128xf32>
// CHECK-NOT: gemma.gelu_tanh
// CHECK: return %[[H]]
func.func @fused_matrix(%x: tensor<3x64xf32>) -> tensor<3x128xf32> {
  %g = gemma.matmul %x, @gating_ein rows [0, 128] : tensor<3x64xf32> -> tensor<3x128xf32>
  %u = gemma.matmul %x, @gating_ein rows [128, 256] : tensor<3x64xf32> -> tensor<3x128xf32>
  %a = gemma.gelu_tanh %g : tensor<3x128xf32>
  %h = gemma.mul %a, %u : tensor<3x128xf32>
  return %h : tensor<3x128xf32>
}

// Split matrices (NUQ files), and the product written up * gelu(gate).
// CHECK-LABEL: func.func @split_commuted
// CHECK: gemma.fused_geglu %arg0, gate @gating1_w, up @gating2_w : tensor<1x64xf32> -> tensor<1x128xf32>
func.func @split_commuted(%x: tensor<1x64xf32>) -> tensor<1x128xf32> {
  %g = gemma.matmul %x, @gating1_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %u = gemma.matmul %x, @gating2_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %a = gemma.gelu_tanh %g : tensor<1x128xf32>
  %h = gemma.mul %u, %a : tensor<1x128xf32>
  return %h : tensor<1x128xf32>
}

// Negative: the projections read different inputs.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: gemma.fused_geglu
func.func @different_inputs(%x: tensor<1x64xf32>, %y: tensor<1x64xf32>) -> tensor<1x128xf32> {
  %g = gemma.matmul %x, @gating1_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %u = gemma.matmul %y, @gating2_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %a = gemma.gelu_tanh %g : tensor<1x128xf32>
  %h = gemma.mul %a, %u : tensor<1x128xf32>
  return %h : tensor<1x128xf32>
}

// Negative: the gate projection is used elsewhere too.
// CHECK-LABEL: func.func @gate_escapes
// CHECK-NOT: gemma.fused_geglu
func.func @gate_escapes(%x: tensor<1x64xf32>) -> (tensor<1x128xf32>, tensor<1x128xf32>) {
  %g = gemma.matmul %x, @gating1_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %u = gemma.matmul %x, @gating2_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %a = gemma.gelu_tanh %g : tensor<1x128xf32>
  %h = gemma.mul %a, %u : tensor<1x128xf32>
  return %h, %g : tensor<1x128xf32>, tensor<1x128xf32>
}

// Negative: a product without a GELU.
// CHECK-LABEL: func.func @no_gelu
// CHECK-NOT: gemma.fused_geglu
func.func @no_gelu(%x: tensor<1x64xf32>) -> tensor<1x128xf32> {
  %g = gemma.matmul %x, @gating1_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %u = gemma.matmul %x, @gating2_w : tensor<1x64xf32> -> tensor<1x128xf32>
  %h = gemma.mul %g, %u : tensor<1x128xf32>
  return %h : tensor<1x128xf32>
}
