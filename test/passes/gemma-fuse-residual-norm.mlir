// RUN: gemma-opt %s --gemma-fuse-residual-norm | FileCheck %s

gemma.param @pre_ff_ns : !gemma.weight<[1, 64], bf16>
gemma.param @pre_att_ns : !gemma.weight<[1, 64], bf16>
gemma.param @skip_scale : !gemma.weight<[1, 1], bf16>

// The sum goes on as the residual stream; the norm feeds the MLP.
// CHECK-LABEL: func.func @residual_then_norm
// CHECK: %[[SUM:.+]], %[[N:.+]] = gemma.fused_residual_norm %arg0, %arg1, @pre_ff_ns plus_one eps(9.99999997E-7) : tensor<2x64xf32>
// CHECK-NOT: gemma.add
// CHECK-NOT: gemma.rms_norm
// CHECK: return %[[SUM]], %[[N]]
func.func @residual_then_norm(%x: tensor<2x64xf32>, %a: tensor<2x64xf32>) -> (tensor<2x64xf32>, tensor<2x64xf32>) {
  %s = gemma.add %x, %a : tensor<2x64xf32>
  %n = gemma.rms_norm %s, @pre_ff_ns plus_one eps(1.0e-6) : tensor<2x64xf32>
  return %s, %n : tensor<2x64xf32>, tensor<2x64xf32>
}

// A chain of layers: each residual add feeds the next norm.
// CHECK-LABEL: func.func @chain
// CHECK: %[[S1:.+]], %{{.+}} = gemma.fused_residual_norm %arg0, %arg1, @pre_ff_ns plain
// CHECK: gemma.fused_residual_norm %[[S1]], %arg2, @pre_att_ns plain
func.func @chain(%x: tensor<1x64xf32>, %a: tensor<1x64xf32>, %f: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  %s1 = gemma.add %x, %a : tensor<1x64xf32>
  %n1 = gemma.rms_norm %s1, @pre_ff_ns plain eps(1.0e-6) : tensor<1x64xf32>
  %s2 = gemma.add %s1, %f : tensor<1x64xf32>
  %n2 = gemma.rms_norm %s2, @pre_att_ns plain eps(1.0e-6) : tensor<1x64xf32>
  return %n1, %n2 : tensor<1x64xf32>, tensor<1x64xf32>
}

// Negative: Gemma 4's layer scalar sits between the add and the next norm.
// CHECK-LABEL: func.func @scaled_stream
// CHECK: gemma.add
// CHECK: gemma.scale
// CHECK: gemma.rms_norm
// CHECK-NOT: gemma.fused_residual_norm
func.func @scaled_stream(%x: tensor<1x64xf32>, %f: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %s = gemma.add %x, %f : tensor<1x64xf32>
  %t = gemma.scale %s by @skip_scale : tensor<1x64xf32>
  %n = gemma.rms_norm %t, @pre_att_ns plain eps(1.0e-6) : tensor<1x64xf32>
  return %n : tensor<1x64xf32>
}
