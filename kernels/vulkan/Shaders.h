//===- Shaders.h - The Vulkan backend's compute shaders ---------*- C++ -*-===//
//
// SPIR-V compiled from the GLSL beside this file by glslc at build time
// (and validated with spirv-val), embedded in the binary.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_VULKAN_SHADERS_H
#define KERNELS_VULKAN_SHADERS_H

#include <cstdint>
#include <span>

namespace gemma::vulkan {

enum class Shader {
  kElementwise,
  kEmbed,
  kRmsNorm,
  kMatmul,
  kRope,
  kKvWrite,
  kAttention,
  kAttnScores,
  kWindowMask,
  kSoftmax,
  kAttnValues,
  kMoeRoute,
  kMoeUp,
  kMoeDown,
  kArgmax,
};

const char *ShaderName(Shader shader);
std::span<const uint32_t> ShaderCode(Shader shader);

} // namespace gemma::vulkan

#endif // KERNELS_VULKAN_SHADERS_H
