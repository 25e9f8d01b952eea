// Gemma 4's routed experts: router logits from the ordinary ops, then
// gemma.moe_experts over the experts' normed input.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s

gemma.param @router : !gemma.weight<[4, 32], bf16>
gemma.param @expert_scale : !gemma.weight<[4], f32>
gemma.param @gate_up : !gemma.weight<[128, 32], sfp>
gemma.param @down : !gemma.weight<[128, 16], sfp>

// CHECK-LABEL: func.func @routed
// CHECK: %[[L:.*]] = gemma.matmul %{{.*}}, @router : tensor<3x32xf32> -> tensor<3x4xf32>
// CHECK: gemma.moe_experts %{{.*}}, %[[L]], @expert_scale, @gate_up, @down top_k(2) : tensor<3x32xf32>, tensor<3x4xf32> -> tensor<3x32xf32>
func.func @routed(%r: tensor<3x32xf32>, %u: tensor<3x32xf32>) -> tensor<3x32xf32> {
  %l = gemma.matmul %r, @router : tensor<3x32xf32> -> tensor<3x4xf32>
  %y = gemma.moe_experts %u, %l, @expert_scale, @gate_up, @down top_k(2) : tensor<3x32xf32>, tensor<3x4xf32> -> tensor<3x32xf32>
  return %y : tensor<3x32xf32>
}
