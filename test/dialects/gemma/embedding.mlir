// Embedding lookup, tied-embedding logits and argmax.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

gemma.param @c_embedding : !gemma.weight<[262, 64], bf16>

// CHECK-LABEL: func.func @prefill
// CHECK: gemma.embed %{{.*}}, @c_embedding scale(8.000000e+00) : tensor<5xi32> -> tensor<5x64xf32>
func.func @prefill(%ids: tensor<5xi32>) -> tensor<5x64xf32> {
  %x = gemma.embed %ids, @c_embedding scale(8.0) : tensor<5xi32> -> tensor<5x64xf32>
  return %x : tensor<5x64xf32>
}

// bf16(sqrt(640)) = 25.25, the Gemma 3 270M multiplier.
// CHECK-LABEL: func.func @bf16_rounded_scale
// CHECK: scale(2.525000e+01)
func.func @bf16_rounded_scale(%ids: tensor<1xi32>) -> tensor<1x64xf32> {
  %x = gemma.embed %ids, @c_embedding scale(25.25) : tensor<1xi32> -> tensor<1x64xf32>
  return %x : tensor<1x64xf32>
}

// sqrtf(d) itself, as llama.cpp and Hugging Face (f32) multiply: GGUF
// imports keep it. sqrtf(8) is no bf16 value.
gemma.param @small_table : !gemma.weight<[16, 8], bf16>
// CHECK-LABEL: func.func @exact_sqrt_scale
// CHECK: scale(2.82842708)
func.func @exact_sqrt_scale(%ids: tensor<1xi32>) -> tensor<1x8xf32> {
  %x = gemma.embed %ids, @small_table scale(2.8284271) : tensor<1xi32> -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// One layer's slice of a packed per-layer table [V, layers * P] (Gemma 4
// PLE): columns 8..15 of a table 24 wide, times sqrtf(8).
gemma.param @per_layer_table : !gemma.weight<[16, 24], bf16>
// CHECK-LABEL: func.func @column_slice
// CHECK: gemma.embed %{{.*}}, @per_layer_table cols [8, 16] scale(2.82842708) : tensor<3xi32> -> tensor<3x8xf32>
func.func @column_slice(%ids: tensor<3xi32>) -> tensor<3x8xf32> {
  %x = gemma.embed %ids, @per_layer_table cols [8, 16] scale(2.8284271) : tensor<3xi32> -> tensor<3x8xf32>
  return %x : tensor<3x8xf32>
}

// All table rows, or only the first 256 (padding rows are never produced).
// CHECK-LABEL: func.func @logits
// CHECK: %[[FULL:.+]] = gemma.logits %{{.*}}, @c_embedding : tensor<2x64xf32> -> tensor<2x262xf32>
// CHECK: gemma.logits %{{.*}}, @c_embedding : tensor<2x64xf32> -> tensor<2x256xf32>
// CHECK: gemma.argmax %[[FULL]] : tensor<2x262xf32> -> tensor<2xi32>
func.func @logits(%h: tensor<2x64xf32>) -> (tensor<2xi32>, tensor<2x256xf32>) {
  %l = gemma.logits %h, @c_embedding : tensor<2x64xf32> -> tensor<2x262xf32>
  %t = gemma.logits %h, @c_embedding : tensor<2x64xf32> -> tensor<2x256xf32>
  %ids = gemma.argmax %l : tensor<2x262xf32> -> tensor<2xi32>
  return %ids, %t : tensor<2xi32>, tensor<2x256xf32>
}
