//===- BackendsTest.cpp - Creating backends by name -----------------------===//

#include "runtime/exec/Backends.h"

#include <gtest/gtest.h>

namespace gemma {
namespace {

TEST(Backends, TheCpuIsAlwaysThere) {
  ASSERT_FALSE(BackendNames().empty());
  EXPECT_EQ(BackendNames().front(), "cpu");
  absl::StatusOr<std::unique_ptr<Backend>> cpu = CreateBackend("cpu", 2);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_EQ((*cpu)->name(), "cpu");
  EXPECT_EQ((*cpu)->Describe().rfind("cpu: 2 threads, ", 0), 0u)
      << (*cpu)->Describe();
}

TEST(Backends, AMissingBackendIsOneLineNamingWhatThereIs) {
  absl::StatusOr<std::unique_ptr<Backend>> none = CreateBackend("vulkan", 1);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(none.status().message(),
            "no 'vulkan' backend in this build (it has: cpu)");
}

TEST(Backends, CompileValidatesTheProgramFirst) {
  absl::StatusOr<std::unique_ptr<Backend>> cpu = CreateBackend("cpu", 1);
  ASSERT_TRUE(cpu.ok());
  // A call whose output buffer is smaller than its shapes: refused at
  // Compile, before anything runs.
  plan::Program bad;
  bad.name = "decode_1";
  bad.arg_elements = {8};
  bad.arena_elements = 4;
  bad.calls.push_back(
      {plan::Kernel::kGeluTanh, {{0, 0, 8}, {-1, 0, 4}}, {}, {8}, {}});
  absl::StatusOr<std::unique_ptr<BackendProgram>> program =
      (*cpu)->Compile(bad, [](const std::string &) {
        return absl::StatusOr<StoredTensor>(absl::NotFoundError("none"));
      });
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().message(),
            "decode_1: call 0 (gelu_tanh): buffer 1 holds 4 elements, the "
            "call needs 8");
}

} // namespace
} // namespace gemma
