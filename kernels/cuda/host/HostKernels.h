//===- HostKernels.h - kernels/cuda compiled as host C++ --------*- C++ -*-===//

#ifndef KERNELS_CUDA_HOST_HOSTKERNELS_H
#define KERNELS_CUDA_HOST_HOSTKERNELS_H

#include "kernels/cuda/Kernels.h"
#include "kernels/cuda/args.cuh"

namespace gemma::cuda::host {

using HostBody = void (*)(const gk::KernelArgs &);

// The host instantiation of shape.body, with shape's constants in force
// until the next call (one launch at a time).
HostBody BindShape(const KernelShape &shape);

} // namespace gemma::cuda::host

#endif // KERNELS_CUDA_HOST_HOSTKERNELS_H
