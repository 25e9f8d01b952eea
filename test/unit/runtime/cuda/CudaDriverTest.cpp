//===- CudaDriverTest.cpp - Loading the CUDA driver, and failing to -------===//
//
// Runs everywhere: the loader against stand-in libraries (FakeCudaDriver)
// for a working driver and for each way it can be unavailable, each one
// line. A real driver, where there is one, is only listed.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"

#include <gtest/gtest.h>

namespace gemma::cuda {
namespace {

std::string LoadError(const std::string &library) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = Driver::Load(library);
  if (driver.ok())
    return "loaded";
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
  return std::string(driver.status().message());
}

TEST(CudaDriver, ListsTheDevicesOfAWorkingDriver) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = Driver::Load(FAKE_CUDA_OK);
  ASSERT_TRUE(driver.ok()) << driver.status();
  EXPECT_EQ((*driver)->version(), 12040);
  absl::StatusOr<std::vector<GpuInfo>> gpus = (*driver)->Devices();
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].name, "Fake H200");
  EXPECT_EQ((*gpus)[0].major, 9);
  EXPECT_EQ((*gpus)[1].major, 8);
  EXPECT_EQ((*gpus)[0].total_bytes, uint64_t(141) << 30);
  EXPECT_EQ((*gpus)[0].free_bytes, uint64_t(100) << 30);
}

TEST(CudaDriver, EveryUnavailableDriverIsOneLine) {
  EXPECT_EQ(LoadError("/nonexistent/libcuda.so.1").rfind("no CUDA driver (", 0),
            0u);
  EXPECT_EQ(LoadError(FAKE_CUDA_NO_DEVICE),
            "no CUDA device (the driver found none)");
  EXPECT_EQ(LoadError(FAKE_CUDA_STUB), std::string("no CUDA driver (") +
                                           FAKE_CUDA_STUB +
                                           " is the toolkit's stub library)");
  EXPECT_EQ(LoadError(FAKE_CUDA_OLD),
            std::string("the CUDA driver ") + FAKE_CUDA_OLD +
                " has no 'cuMemGetInfo_v2' (too old?)");
}

TEST(CudaDriver, ThisMachinesDriverLoadsOrSaysWhyNot) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = Driver::Load();
  if (!driver.ok()) {
    EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
    GTEST_SKIP() << "no GPU here: " << driver.status().message();
  }
  absl::StatusOr<std::vector<GpuInfo>> gpus = (*driver)->Devices();
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  EXPECT_FALSE(gpus->empty());
}

} // namespace
} // namespace gemma::cuda
