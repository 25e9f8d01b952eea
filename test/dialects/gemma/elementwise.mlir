// GeGLU pieces: gelu_tanh, mul, and the residual add.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

// CHECK-LABEL: func.func @geglu
// CHECK: %[[G:.+]] = gemma.gelu_tanh %arg0 : tensor<2x32xf32>
// CHECK: %[[H:.+]] = gemma.mul %[[G]], %arg1 : tensor<2x32xf32>
// CHECK: gemma.add %[[H]], %arg1 : tensor<2x32xf32>
func.func @geglu(%gate: tensor<2x32xf32>, %up: tensor<2x32xf32>) -> tensor<2x32xf32> {
  %g = gemma.gelu_tanh %gate : tensor<2x32xf32>
  %h = gemma.mul %g, %up : tensor<2x32xf32>
  %r = gemma.add %h, %up : tensor<2x32xf32>
  return %r : tensor<2x32xf32>
}

// SiLU, another row of the unary function table.
// CHECK-LABEL: func.func @silu
// CHECK: gemma.silu %arg0 : tensor<3x5xf32>
func.func @silu(%h: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %a = gemma.silu %h : tensor<3x5xf32>
  return %a : tensor<3x5xf32>
}

// The exact GELU, a row of the unary function table like gelu_tanh.
// CHECK-LABEL: func.func @gelu_erf
// CHECK: gemma.gelu_erf %arg0 : tensor<3x5xf32>
func.func @gelu_erf(%h: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %a = gemma.gelu_erf %h : tensor<3x5xf32>
  return %a : tensor<3x5xf32>
}
