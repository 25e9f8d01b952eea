//===- NvrtcCompileTest.cpp - Every CUDA kernel compiles with NVRTC -------===//
//
// No GPU needed: NVRTC compiles for any architecture. Every kernel body, with
// every stored weight type where it reads weights, in one module for sm_80
// (A100) and one for sm_90 (H100/H200). Built with the CUDA toolkit found,
// NVRTC must load; without one the test skips, saying so.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Kernels.h"
#include "runtime/cuda/Nvrtc.h"

#include <gtest/gtest.h>

namespace gemma::cuda {
namespace {

std::unique_ptr<Nvrtc> LoadOrSkip() {
  absl::StatusOr<std::unique_ptr<Nvrtc>> nvrtc = Nvrtc::Load();
#ifdef GEMMA_EXPECT_NVRTC
  EXPECT_TRUE(nvrtc.ok()) << "the build found the CUDA toolkit: "
                          << nvrtc.status();
#endif
  if (!nvrtc.ok())
    return nullptr;
  return *std::move(nvrtc);
}

KernelShape Shape(Body body, std::vector<int32_t> ints,
                  std::vector<float> floats = {}, int32_t wtype = 0,
                  int32_t block = 256) {
  KernelShape s;
  s.body = body;
  for (size_t i = 0; i < ints.size(); ++i)
    s.ints[i] = ints[i];
  for (size_t i = 0; i < floats.size(); ++i)
    s.floats[i] = floats[i];
  s.wtype = wtype;
  s.block = block;
  return s;
}

// Every body; those that decode weights with every type.
std::vector<KernelShape> AllShapes() {
  std::vector<KernelShape> shapes;
  for (int32_t wtype = 0; wtype < 16; ++wtype) {
    shapes.push_back(Shape(Body::kEmbed, {4, 640, 0, 640}, {25.3f}, wtype));
    shapes.push_back(Shape(Body::kRmsNorm, {640, 1, 0, 4}, {1e-6f}, wtype));
    shapes.push_back(Shape(
        Body::kMatmul, {8, 640, 1024, 0, 2, 0, 512, 1024, 1536, 0, 0, 0, 0, 0},
        {0.0f}, wtype));
    shapes.push_back(Shape(Body::kMatmul, {1, 255, 7, 0}, {30.0f}, wtype));
    shapes.push_back(
        Shape(Body::kMatmulGeglu, {8, 640, 2048, 0, 2048}, {}, wtype));
    shapes.push_back(Shape(Body::kMatmulGeglu, {1, 100, 7, 3, 0}, {}, wtype));
    shapes.push_back(Shape(Body::kMoeRoute, {4, 8, 2}, {}, wtype));
    shapes.push_back(Shape(Body::kQkvPost,
                           {4, 8, 256, 4, 4, 256, 1, 0, 128, 0, 1, 512, 1, 512},
                           {1e-6f}, wtype, 128));
    shapes.push_back(Shape(Body::kMoeUp, {4, 256, 8, 512, 2}, {}, wtype));
    shapes.push_back(Shape(Body::kMoeDown, {4, 256, 8, 512, 2}, {}, wtype));
  }
  shapes.push_back(Shape(Body::kMatmul, {4, 256, 640, 4}, {0.0f}, 1));
  shapes.push_back(Shape(Body::kRmsNorm, {640, 2, 1, 4}, {1e-6f}));
  shapes.push_back(Shape(Body::kRope, {4, 4, 256, 128, 0}, {}, 0, 64));
  shapes.push_back(Shape(Body::kQkvPost,
                         {1, 8, 512, 1, 1, 512, -1, 1, 64, 8, 1, 4096, 1, 4096},
                         {1e-6f}, 0, 128));
  shapes.push_back(Shape(Body::kKvWrite, {1, 512, 256, 4}, {}, 0, 64));
  shapes.push_back(Shape(Body::kAttention, {4, 4, 256, 1, 512, 1, 256, 0},
                         {0.0625f, 50.0f}, 0, 128));
  shapes.push_back(Shape(Body::kAttention, {1, 8, 512, 1, 4096, 2, 512, 1024},
                         {1.0f, 0.0f}, 0, 128));
  shapes.push_back(Shape(Body::kAttentionSplit,
                         {1, 8, 256, 1, 32768, 4, 256, 0, 32}, {0.0625f, 0.0f},
                         0, 128));
  shapes.push_back(Shape(Body::kAttentionCombine,
                         {1, 8, 256, 1, 32768, 4, 256, 0, 32}, {}, 0, 128));
  shapes.push_back(Shape(Body::kAttnScores, {4, 4, 256, 1, 512, 1}, {0.06f}));
  shapes.push_back(Shape(Body::kWindowMask, {4, 4, 512, 512}));
  shapes.push_back(Shape(Body::kSoftmax, {512, 16}));
  shapes.push_back(Shape(Body::kAttnValues, {4, 4, 256, 1, 512, 1, 256}));
  for (int32_t op = 0; op <= 6; ++op)
    shapes.push_back(Shape(Body::kElementwise, {op, 4096}, {30.0f}));
  shapes.push_back(Shape(Body::kTopK, {1, 262144, 1}, {}, 0, 1024 / 4));
  shapes.push_back(Shape(Body::kTopK, {4, 262144, 40}));
  return shapes;
}

TEST(NvrtcCompile, EveryKernelCompilesForSm80AndSm90) {
  std::unique_ptr<Nvrtc> nvrtc = LoadOrSkip();
  if (!nvrtc)
    GTEST_SKIP() << "no NVRTC here: " << Nvrtc::Load().status();
  const std::vector<KernelShape> shapes = AllShapes();
  const std::string source = ModuleSource(shapes);
  for (int arch : {80, 90}) {
    absl::StatusOr<std::string> cubin =
        nvrtc->CompileCubin(source, "all_kernels.cu", arch);
    ASSERT_TRUE(cubin.ok()) << cubin.status();
    ASSERT_GT(cubin->size(), 4u);
    EXPECT_EQ(cubin->substr(0, 4), "\x7f"
                                   "ELF")
        << "sm_" << arch;
  }
}

TEST(NvrtcCompile, ABrokenSourceFailsWithNvrtcsLog) {
  std::unique_ptr<Nvrtc> nvrtc = LoadOrSkip();
  if (!nvrtc)
    GTEST_SKIP() << "no NVRTC here: " << Nvrtc::Load().status();
  absl::StatusOr<std::string> cubin = nvrtc->CompileCubin(
      "extern \"C\" __global__ void k0() { undeclared_thing(); }", "broken.cu",
      90);
  ASSERT_FALSE(cubin.ok());
  EXPECT_NE(cubin.status().message().find("undeclared_thing"),
            std::string::npos)
      << cubin.status();
  EXPECT_NE(cubin.status().message().find("sm_90"), std::string::npos);
}

TEST(NvrtcCompile, AnArchitectureNvrtcDoesNotKnowIsRefusedByName) {
  std::unique_ptr<Nvrtc> nvrtc = LoadOrSkip();
  if (!nvrtc)
    GTEST_SKIP() << "no NVRTC here: " << Nvrtc::Load().status();
  absl::StatusOr<std::string> cubin =
      nvrtc->CompileCubin("extern \"C\" __global__ void k0() {}", "x.cu", 12);
  ASSERT_FALSE(cubin.ok());
  EXPECT_NE(cubin.status().message().find("sm_12"), std::string::npos)
      << cubin.status();
}

TEST(NvrtcLoad, AMissingLibraryIsOneLine) {
  absl::StatusOr<std::unique_ptr<Nvrtc>> nvrtc =
      Nvrtc::Load("/nonexistent/libnvrtc.so");
  ASSERT_FALSE(nvrtc.ok());
  EXPECT_NE(nvrtc.status().message().find("no NVRTC"), std::string::npos);
  EXPECT_EQ(nvrtc.status().message().find('\n'), std::string::npos);
}

} // namespace
} // namespace gemma::cuda
