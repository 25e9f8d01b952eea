//===- Kernels.cpp - The CUDA backend's kernels as NVRTC source -----------===//

#include "kernels/cuda/Kernels.h"

#include <fmt/format.h>

#include <cmath>

// cmake/EmbedFile.cmake's symbols, one per .cuh in source order.
#define GEMMA_CUDA_SOURCE(name)                                                \
  extern const unsigned char kCuda_##name[];                                   \
  extern const unsigned long kCuda_##name##_size;
GEMMA_CUDA_SOURCE(args)
GEMMA_CUDA_SOURCE(unary)
GEMMA_CUDA_SOURCE(common)
GEMMA_CUDA_SOURCE(decode)
GEMMA_CUDA_SOURCE(embed)
GEMMA_CUDA_SOURCE(norm)
GEMMA_CUDA_SOURCE(matmul)
GEMMA_CUDA_SOURCE(rope)
GEMMA_CUDA_SOURCE(kvwrite)
GEMMA_CUDA_SOURCE(attention)
GEMMA_CUDA_SOURCE(attention_unfused)
GEMMA_CUDA_SOURCE(elementwise)
GEMMA_CUDA_SOURCE(moe)
GEMMA_CUDA_SOURCE(topk)
GEMMA_CUDA_SOURCE(qkv_post)
#undef GEMMA_CUDA_SOURCE

namespace gemma::cuda {

const char *BodyName(Body body) {
  static const char *const names[] = {"Embed",
                                      "RmsNorm",
                                      "Matmul",
                                      "Rope",
                                      "KvWrite",
                                      "Attention",
                                      "AttnScores",
                                      "WindowMask",
                                      "Softmax",
                                      "AttnValues",
                                      "Elementwise",
                                      "MoeRoute",
                                      "MoeUp",
                                      "MoeDown",
                                      "TopK",
                                      "MatmulGeglu",
                                      "QkvPost",
                                      "AttentionSplit",
                                      "AttentionCombine"};
  static_assert(std::size(names) == kBodyCount, "a name per Body");
  return names[static_cast<int>(body)];
}

std::string_view KernelSource() {
  static const std::string source = [] {
    const std::pair<const unsigned char *, unsigned long> parts[] = {
        {kCuda_args, kCuda_args_size},
        {kCuda_unary, kCuda_unary_size},
        {kCuda_common, kCuda_common_size},
        {kCuda_decode, kCuda_decode_size},
        {kCuda_embed, kCuda_embed_size},
        {kCuda_norm, kCuda_norm_size},
        {kCuda_matmul, kCuda_matmul_size},
        {kCuda_rope, kCuda_rope_size},
        {kCuda_kvwrite, kCuda_kvwrite_size},
        {kCuda_attention, kCuda_attention_size},
        {kCuda_attention_unfused, kCuda_attention_unfused_size},
        {kCuda_elementwise, kCuda_elementwise_size},
        {kCuda_moe, kCuda_moe_size},
        {kCuda_topk, kCuda_topk_size},
        {kCuda_qkv_post, kCuda_qkv_post_size}};
    std::string text;
    for (const auto &[bytes, size] : parts)
      text.append(reinterpret_cast<const char *>(bytes), size);
    return text;
  }();
  return source;
}

std::string EntryName(size_t i) { return fmt::format("k{}", i); }

namespace {

// A float as an exact C++ literal (hexadecimal: no rounding on the way).
// The lowering passes finite values only (it refuses others by name).
std::string FloatLiteral(float v) {
  return std::isfinite(v) ? fmt::format("{:a}f", v) : std::string("0.0f");
}

} // namespace

std::string ModuleSource(std::span<const KernelShape> shapes) {
  std::string out(KernelSource());
  out += "\n// Entry points, one per kernel shape of this program.\n";
  for (size_t i = 0; i < shapes.size(); ++i) {
    const KernelShape &s = shapes[i];
    out += fmt::format("struct S{} {{\n", i);
    for (size_t k = 0; k < s.ints.size(); ++k)
      out += fmt::format("  static constexpr int I{} = {};\n", k, s.ints[k]);
    for (size_t k = 0; k < s.floats.size(); ++k)
      out += fmt::format("  static constexpr float F{} = {};\n", k,
                         FloatLiteral(s.floats[k]));
    out += fmt::format("  static constexpr int WTYPE = {};\n", s.wtype);
    out += fmt::format("  static constexpr int BLOCK = {};\n}};\n", s.block);
    out += fmt::format("extern \"C\" __global__ void __launch_bounds__({}) "
                       "{}(const gk::KernelArgs a) {{ gk::{}<S{}>(a); }}\n",
                       s.block, EntryName(i), BodyName(s.body), i);
  }
  return out;
}

} // namespace gemma::cuda
