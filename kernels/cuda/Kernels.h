//===- Kernels.h - The CUDA backend's kernels as NVRTC source ---*- C++ -*-===//
//
// The CUDA C++ beside this file (*.cuh), embedded in the binary, and the
// module source the runtime hands NVRTC for one bucket program: that text
// plus, per distinct kernel call, a shape class of constexpr members (the
// call's shapes, static parameters, weight type and block size) and an
// extern "C" entry point k<i> instantiating the kernel body with it. So
// every shape is a compile-time constant and the names need no mangling.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CUDA_KERNELS_H
#define KERNELS_CUDA_KERNELS_H

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gemma::cuda {

// The kernel bodies of kernels/cuda (the templates the entry points call).
enum class Body : uint8_t {
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
  kElementwise,
  kMoeRoute,
  kMoeUp,
  kMoeDown,
  kTopK,
  kMatmulGeglu,
  kQkvPost,
  kAttentionSplit,
  kAttentionCombine,
};
constexpr int kBodyCount = 19;
// The body's template name in the source ("Matmul").
const char *BodyName(Body body);

// The largest block any kernel runs with (shared arrays are sized for it).
constexpr int kMaxBlock = 256;

// One kernel as a call uses it: the body and its compile-time constants.
struct KernelShape {
  Body body = Body::kEmbed;
  std::array<int32_t, 14> ints{}; // I0..I13
  std::array<float, 2> floats{};  // F0, F1
  int32_t wtype = 0;              // decode.cuh's WTYPE
  int32_t block = 256;            // threads per block

  auto operator<=>(const KernelShape &) const = default;
};

// The kernels' source text (args, helpers, decoders, every body).
std::string_view KernelSource();

// A module for NVRTC: KernelSource() and one entry point k<i> per shape.
std::string ModuleSource(std::span<const KernelShape> shapes);

// The entry point name of shapes[i] in ModuleSource(shapes).
std::string EntryName(size_t i);

} // namespace gemma::cuda

#endif // KERNELS_CUDA_KERNELS_H
