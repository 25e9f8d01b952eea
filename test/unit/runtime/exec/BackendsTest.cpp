//===- BackendsTest.cpp - Creating backends by name -----------------------===//

#include "runtime/exec/Backends.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

namespace gemma {
namespace {

// Every registered backend has a unique name and a plan target that is
// itself a registered name; each lists its devices (the CPU, none) or says
// why it has none.
TEST(Backends, TheRegistryIsConsistent) {
  std::set<std::string> names;
  for (const BackendRegistration &b : RegisteredBackends()) {
    EXPECT_TRUE(names.insert(b.name).second) << b.name << " twice";
    EXPECT_FALSE(b.title.empty()) << b.name;
    EXPECT_TRUE(b.create) << b.name;
  }
  for (const std::string &target : PlanTargets())
    EXPECT_EQ(names.count(target), 1u) << target;
  for (const BackendRegistration &b : RegisteredBackends())
    for (const std::string &line : b.devices())
      EXPECT_TRUE(line.starts_with(b.name + ":")) << line;
}

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
  absl::StatusOr<std::unique_ptr<Backend>> none = CreateBackend("metal", 1);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(none.status().message(),
            "no 'metal' backend in this build (it has: cpu, vulkan, cuda, "
            "cuda-sim)");
  absl::StatusOr<std::unique_ptr<Backend>> bad = CreateBackend("vulkan:-1", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "'vulkan:-1': a Vulkan device is vulkan:N");
  bad = CreateBackend("cuda:", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "'cuda:': a CUDA device is cuda:N");
  // The emulator needs nothing of the machine.
  absl::StatusOr<std::unique_ptr<Backend>> sim = CreateBackend("cuda-sim", 1);
  ASSERT_TRUE(sim.ok()) << sim.status();
  EXPECT_EQ((*sim)->name(), "cuda-sim");
}

// Without a Vulkan driver (the loader finds none under this name) the
// backend is one line saying so, whatever this machine has.
TEST(Backends, NoVulkanDriverIsOneLine) {
  const char *old = std::getenv("VK_ICD_FILENAMES");
  const std::string saved = old ? old : "";
  setenv("VK_ICD_FILENAMES", "/nonexistent/icd.json", 1);
  absl::StatusOr<std::unique_ptr<Backend>> none = CreateBackend("vulkan", 1);
  if (old)
    setenv("VK_ICD_FILENAMES", saved.c_str(), 1);
  else
    unsetenv("VK_ICD_FILENAMES");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(none.status().message(),
            "vulkan: no Vulkan driver on this machine (mesa-vulkan-drivers "
            "gives lavapipe on any CPU)");
}

TEST(Backends, CompileValidatesTheProgramFirst) {
  absl::StatusOr<std::unique_ptr<Backend>> cpu = CreateBackend("cpu", 1);
  ASSERT_TRUE(cpu.ok());
  // A call whose output buffer is smaller than its shapes: refused at
  // Compile, before anything runs.
  plan::Program bad;
  bad.name = "decode_1";
  bad.arg_elements = {1, 1, 8};
  bad.arena_elements = 4;
  bad.calls.push_back(
      {plan::Kernel::kUnary, {{2, 0, 8}, {-1, 0, 4}}, {""}, {8, 0}, {0.0}});
  absl::StatusOr<std::unique_ptr<BackendProgram>> program =
      (*cpu)->Compile(bad, [](const std::string &) {
        return absl::StatusOr<StoredTensor>(absl::NotFoundError("none"));
      });
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().message(),
            "decode_1: call 0 (unary): buffer 1 holds 4 elements, the "
            "call needs 8");
}

} // namespace
} // namespace gemma
