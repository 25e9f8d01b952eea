//===- HostKernels.cpp - kernels/cuda compiled as host C++ ----------------===//
//
// Every kernel body instantiated once with a shape class whose members are
// set before each launch (on the GPU they are constants of the module).

#include "kernels/cuda/host/HostKernels.h"

#include "kernels/cuda/host/Prelude.h"

// The kernels' source, in the order Kernels.cpp embeds it (each part uses
// the ones before it).
// clang-format off
#include "kernels/common/ElementwiseFunctions.h"
#include "kernels/cuda/args.cuh"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/decode.cuh"
#include "kernels/cuda/embed.cuh"
#include "kernels/cuda/norm.cuh"
#include "kernels/cuda/matmul.cuh"
#include "kernels/cuda/rope.cuh"
#include "kernels/cuda/kvwrite.cuh"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/attention_unfused.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/moe.cuh"
#include "kernels/cuda/topk.cuh"
#include "kernels/cuda/qkv_post.cuh"
// clang-format on

namespace gemma::cuda::host {
namespace {

struct HostShape {
  static inline int I0, I1, I2, I3, I4, I5, I6, I7, I8, I9, I10, I11, I12, I13;
  static inline float F0, F1;
  static inline int WTYPE, BLOCK;
};

} // namespace

HostBody BindShape(const KernelShape &shape) {
  int *const ints[] = {&HostShape::I0,  &HostShape::I1,  &HostShape::I2,
                       &HostShape::I3,  &HostShape::I4,  &HostShape::I5,
                       &HostShape::I6,  &HostShape::I7,  &HostShape::I8,
                       &HostShape::I9,  &HostShape::I10, &HostShape::I11,
                       &HostShape::I12, &HostShape::I13};
  for (size_t k = 0; k < shape.ints.size(); ++k)
    *ints[k] = shape.ints[k];
  HostShape::F0 = shape.floats[0];
  HostShape::F1 = shape.floats[1];
  HostShape::WTYPE = shape.wtype;
  HostShape::BLOCK = shape.block;
  static const HostBody bodies[] = {&gk::Embed<HostShape>,
                                    &gk::RmsNorm<HostShape>,
                                    &gk::Matmul<HostShape>,
                                    &gk::Rope<HostShape>,
                                    &gk::KvWrite<HostShape>,
                                    &gk::Attention<HostShape>,
                                    &gk::AttnScores<HostShape>,
                                    &gk::WindowMask<HostShape>,
                                    &gk::Softmax<HostShape>,
                                    &gk::AttnValues<HostShape>,
                                    &gk::Elementwise<HostShape>,
                                    &gk::MoeRoute<HostShape>,
                                    &gk::MoeUp<HostShape>,
                                    &gk::MoeDown<HostShape>,
                                    &gk::TopK<HostShape>,
                                    &gk::MatmulGeglu<HostShape>,
                                    &gk::QkvPost<HostShape>,
                                    &gk::AttentionSplit<HostShape>,
                                    &gk::AttentionCombine<HostShape>};
  static_assert(std::size(bodies) == kBodyCount, "a body per Body");
  return bodies[static_cast<int>(shape.body)];
}

} // namespace gemma::cuda::host
