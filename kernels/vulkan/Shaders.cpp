//===- Shaders.cpp - The Vulkan backend's compute shaders -----------------===//

#include "kernels/vulkan/Shaders.h"

#include <cstring>
#include <vector>

#define GEMMA_SHADER(name)                                                     \
  extern const unsigned char kSpv_##name[];                                    \
  extern const unsigned long kSpv_##name##_size;
GEMMA_SHADER(elementwise)
GEMMA_SHADER(embed)
GEMMA_SHADER(rmsnorm)
GEMMA_SHADER(matmul)
GEMMA_SHADER(rope)
GEMMA_SHADER(kvwrite)
GEMMA_SHADER(attention)
GEMMA_SHADER(attn_scores)
GEMMA_SHADER(window_mask)
GEMMA_SHADER(softmax)
GEMMA_SHADER(attn_values)
GEMMA_SHADER(moe_route)
GEMMA_SHADER(moe_up)
GEMMA_SHADER(moe_down)
GEMMA_SHADER(argmax)
#undef GEMMA_SHADER

namespace gemma::vulkan {
namespace {

struct Entry {
  const char *name;
  const unsigned char *bytes;
  unsigned long size;
};

Entry EntryOf(Shader shader) {
  switch (shader) {
  case Shader::kElementwise:
    return {"elementwise", kSpv_elementwise, kSpv_elementwise_size};
  case Shader::kEmbed:
    return {"embed", kSpv_embed, kSpv_embed_size};
  case Shader::kRmsNorm:
    return {"rmsnorm", kSpv_rmsnorm, kSpv_rmsnorm_size};
  case Shader::kMatmul:
    return {"matmul", kSpv_matmul, kSpv_matmul_size};
  case Shader::kRope:
    return {"rope", kSpv_rope, kSpv_rope_size};
  case Shader::kKvWrite:
    return {"kvwrite", kSpv_kvwrite, kSpv_kvwrite_size};
  case Shader::kAttention:
    return {"attention", kSpv_attention, kSpv_attention_size};
  case Shader::kAttnScores:
    return {"attn_scores", kSpv_attn_scores, kSpv_attn_scores_size};
  case Shader::kWindowMask:
    return {"window_mask", kSpv_window_mask, kSpv_window_mask_size};
  case Shader::kSoftmax:
    return {"softmax", kSpv_softmax, kSpv_softmax_size};
  case Shader::kAttnValues:
    return {"attn_values", kSpv_attn_values, kSpv_attn_values_size};
  case Shader::kMoeRoute:
    return {"moe_route", kSpv_moe_route, kSpv_moe_route_size};
  case Shader::kMoeUp:
    return {"moe_up", kSpv_moe_up, kSpv_moe_up_size};
  case Shader::kMoeDown:
    return {"moe_down", kSpv_moe_down, kSpv_moe_down_size};
  case Shader::kArgmax:
    return {"argmax", kSpv_argmax, kSpv_argmax_size};
  }
  return {"elementwise", kSpv_elementwise, kSpv_elementwise_size};
}

} // namespace

const char *ShaderName(Shader shader) { return EntryOf(shader).name; }

std::span<const uint32_t> ShaderCode(Shader shader) {
  // The embedded bytes carry no alignment: SPIR-V words are copied out once.
  static std::vector<uint32_t> words[int(Shader::kArgmax) + 1];
  std::vector<uint32_t> &w = words[int(shader)];
  if (w.empty()) {
    const Entry e = EntryOf(shader);
    w.resize(e.size / 4);
    std::memcpy(w.data(), e.bytes, w.size() * 4);
  }
  return w;
}

} // namespace gemma::vulkan
