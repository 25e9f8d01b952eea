//===- KernelList.h - The plan kernels, one row each ------------*- C++ -*-===//
//
// X(value, Name, mnemonic) for every plan kernel. The values are stored in
// plan files: a change other than appending bumps kPlanFormatVersion
// (runtime/plan/PlanFile.h). Only the macro lives here, with no includes,
// so that the plan dialect's TableGen enum (dialects/plan/PlanKernels.td.in,
// run through the C preprocessor at build time) is made from these rows
// too: the enum, KernelName and the dialect cannot disagree.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_PLAN_KERNELLIST_H
#define RUNTIME_PLAN_KERNELLIST_H

#define GEMMA_PLAN_KERNELS(X)                                                  \
  X(0, Embed, embed)                                                           \
  X(1, RmsNorm, rms_norm)                                                      \
  X(2, Matmul, matmul)                                                         \
  X(3, MatmulHeads, matmul_heads)                                              \
  X(4, Rope, rope)                                                             \
  X(5, KvWrite, kv_write)                                                      \
  X(6, AttnScores, attn_scores)                                                \
  X(7, WindowMask, window_mask)                                                \
  X(8, Softmax, softmax)                                                       \
  X(9, AttnValues, attn_values)                                                \
  X(10, Unary, unary)                                                          \
  X(11, Binary, binary)                                                        \
  X(12, Logits, logits)                                                        \
  X(13, Attention, attention)                                                  \
  X(14, Geglu, geglu)                                                          \
  X(15, ResidualNorm, residual_norm)                                           \
  X(16, NormMatmul, norm_matmul)                                               \
  X(17, QkvRope, qkv_rope)                                                     \
  X(18, MoeExperts, moe_experts)

#endif // RUNTIME_PLAN_KERNELLIST_H
