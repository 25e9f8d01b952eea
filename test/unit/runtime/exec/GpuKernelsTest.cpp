//===- GpuKernelsTest.cpp - GPU backends' decoders, argmax and top-k ------===//
//
// On every GPU backend (Vulkan, the CUDA kernels emulated on the CPU, a
// CUDA GPU), each skipping, saying so, without its device:
// - every GGML block type the CPU reads, decoded by the kernels: an
//   embedding of every row of a tensor is the tensor decoded, and so is an
//   identity times the tensor through the matmul kernels. The blocks and
//   their values are test/fixtures/ggml-blocks (gguf-py's dequantization,
//   which the CPU decoders match bit for bit, GgmlTest). The kernels compute
//   in f32 too, but a device may fuse a multiply-add, so values are compared
//   within 1e-6 of their magnitude;
// - the device's greedy pick and top-k against the host's (ties to the
//   lowest index).
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/Backends.h"
#include "runtime/weights/StoredType.h"
#include "test/parity/TestBackends.h"
#include "test/unit/runtime/weights/codecs/GgmlBlocks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>

namespace gemma {
namespace {

// A program of one embedding of every row of weight `name` [rows, cols]:
// its output is the weight decoded.
plan::Program EmbedAll(const std::string &name, int64_t rows, int64_t cols) {
  plan::Program program;
  program.name = "embed-all";
  program.arg_elements = {rows, rows};
  program.arena_elements = rows * cols;
  plan::Call embed;
  embed.kernel = plan::Kernel::kEmbed;
  embed.buffers = {{0, 0, rows}, {-1, 0, rows * cols}};
  embed.weights = {name};
  embed.ints = {rows, cols};
  embed.reals = {1.0};
  program.calls = {embed};
  program.outputs = {{-1, 0, rows * cols}};
  return program;
}

// `program` bound on `backend` with weights from `source`, run with ids
// (and positions) 0..n-1.
absl::StatusOr<std::vector<float>> RunOverIds(Backend &backend,
                                              const plan::Program &program,
                                              const WeightSource &source,
                                              int64_t n) {
  absl::StatusOr<std::unique_ptr<BackendProgram>> bound =
      backend.Compile(program, source);
  if (!bound.ok())
    return bound.status();
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  std::unique_ptr<KvCaches> caches = backend.NewCaches({});
  return (*bound)->Run(ids, ids, *caches);
}

class GpuKernels : public ::testing::TestWithParam<const char *> {
protected:
  // The backend, or null after GTEST_SKIP.
  std::unique_ptr<Backend> Open() {
    if (std::optional<std::string> missing =
            testing::MissingBackend(GetParam())) {
      skip_ = *missing;
      return nullptr;
    }
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        CreateBackend(GetParam(), 1);
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? *std::move(backend) : nullptr;
  }
  std::string skip_;
};

TEST_P(GpuKernels, EveryGgmlTypeDecodesAsGgufPyDoes) {
  std::unique_ptr<Backend> backend = Open();
  if (!backend)
    GTEST_SKIP() << skip_;
  const std::vector<testing::GgmlBlocksRecord> records =
      testing::ReadGgmlBlocks();
  ASSERT_GE(records.size(), 10u);
  for (const testing::GgmlBlocksRecord &r : records) {
    const StoredType type = *FromGgmlType(r.ggml);
    SCOPED_TRACE(std::string(StoredTypeName(type)));
    // Block types: one block per row; others: one row.
    const int64_t cols = BlockElements(type) > 1 ? int64_t(BlockElements(type))
                                                 : int64_t(r.values.size());
    const int64_t rows = int64_t(r.values.size()) / cols;
    // One name per record: the backend keeps uploaded weights by name.
    const plan::Program program =
        EmbedAll(std::string(StoredTypeName(type)) + "-" +
                     std::to_string(&r - records.data()),
                 rows, cols);
    absl::StatusOr<std::vector<float>> got = RunOverIds(
        *backend, program,
        [&](const std::string &) -> absl::StatusOr<StoredTensor> {
          return StoredTensor{type, r.bytes, rows, cols, 1.0f};
        },
        rows);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), r.values.size());
    size_t bad = 0;
    for (size_t i = 0; i < got->size(); ++i) {
      const float want = r.values[i];
      if (!(std::fabs((*got)[i] - want) <=
            1e-6f * std::max(1.0f, std::fabs(want))))
        if (bad++ < 3)
          ADD_FAILURE() << "value " << i << ": " << (*got)[i] << " vs " << want;
    }
    EXPECT_EQ(bad, 0u);
  }
}

// The same tensors through the matmul kernels (which decode 8 values at a
// time with the group's scales read once): an identity [cols, cols]
// embedded into the arena times the weight is the weight, transposed.
TEST_P(GpuKernels, EveryGgmlTypeMultipliesAsItDecodes) {
  std::unique_ptr<Backend> backend = Open();
  if (!backend)
    GTEST_SKIP() << skip_;
  const std::vector<testing::GgmlBlocksRecord> records =
      testing::ReadGgmlBlocks();
  for (const testing::GgmlBlocksRecord &r : records) {
    const StoredType type = *FromGgmlType(r.ggml);
    SCOPED_TRACE(std::string(StoredTypeName(type)));
    const int64_t cols = BlockElements(type) > 1 ? int64_t(BlockElements(type))
                                                 : int64_t(r.values.size());
    if (cols > 512)
      continue;
    const int64_t rows = int64_t(r.values.size()) / cols;
    std::vector<float> eye(size_t(cols * cols), 0.0f);
    for (int64_t c = 0; c < cols; ++c)
      eye[size_t(c * cols + c)] = 1.0f;
    std::vector<uint8_t> eye_bytes(eye.size() * 4);
    std::memcpy(eye_bytes.data(), eye.data(), eye_bytes.size());
    const std::string name = std::string(StoredTypeName(type)) + "-mm-" +
                             std::to_string(&r - records.data());
    plan::Program program;
    program.name = "matmul-all";
    program.arg_elements = {cols, cols};
    program.arena_elements = cols * cols + cols * rows;
    plan::Call embed;
    embed.kernel = plan::Kernel::kEmbed;
    embed.buffers = {{0, 0, cols}, {-1, 0, cols * cols}};
    embed.weights = {"eye-" + name};
    embed.ints = {cols, cols};
    embed.reals = {1.0};
    plan::Call matmul;
    matmul.kernel = plan::Kernel::kMatmul;
    matmul.buffers = {{-1, 0, cols * cols}, {-1, cols * cols, cols * rows}};
    matmul.weights = {name};
    matmul.ints = {cols, cols, rows, 0};
    program.calls = {embed, matmul};
    program.outputs = {{-1, cols * cols, cols * rows}};
    absl::StatusOr<std::vector<float>> got = RunOverIds(
        *backend, program,
        [&](const std::string &tensor) -> absl::StatusOr<StoredTensor> {
          if (tensor == name)
            return StoredTensor{type, r.bytes, rows, cols, 1.0f};
          return StoredTensor{StoredType::kF32, eye_bytes, cols, cols, 1.0f};
        },
        cols);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), r.values.size());
    size_t bad = 0;
    for (int64_t n = 0; n < cols; ++n)
      for (int64_t o = 0; o < rows; ++o) {
        const float have = (*got)[size_t(n * rows + o)];
        const float want = r.values[size_t(o * cols + n)];
        if (!(std::fabs(have - want) <=
              1e-6f * std::max(1.0f, std::fabs(want))))
          if (bad++ < 3)
            ADD_FAILURE() << "row " << o << " column " << n << ": " << have
                          << " vs " << want;
      }
    EXPECT_EQ(bad, 0u);
  }
}

// The device's greedy pick and top-k: per row the largest, the lowest index
// among equal maxima (as std::max_element and HostTopK), over widths that
// are not multiples of the workgroup, with negative rows and ties planted.
TEST_P(GpuKernels, ArgmaxAndTopKPickAsTheHostDoes) {
  std::unique_ptr<Backend> backend = Open();
  if (!backend)
    GTEST_SKIP() << skip_;
  for (int64_t cols : {1, 63, 300, 4099}) {
    const int64_t rows = 6;
    std::vector<float> table(static_cast<size_t>(rows * cols));
    std::mt19937 rng(static_cast<uint32_t>(cols));
    std::normal_distribution<float> normal(0.0f, 3.0f);
    for (float &v : table)
      v = normal(rng);
    for (int64_t c = 0; c < cols; ++c)
      table[size_t(cols + c)] = -1000.0f - float(c % 7); // all negative
    if (cols > 10) {
      table[size_t(2 * cols + 9)] = 50.0f; // a tie: index 3 must win
      table[size_t(2 * cols + 3)] = 50.0f;
      table[size_t(3 * cols + cols - 1)] = 60.0f; // the last column
    }
    std::vector<uint8_t> bytes(table.size() * 4);
    std::memcpy(bytes.data(), table.data(), bytes.size());
    const plan::Program program =
        EmbedAll("logits-" + std::to_string(cols), rows, cols);
    absl::StatusOr<std::unique_ptr<BackendProgram>> bound = backend->Compile(
        program, [&](const std::string &) -> absl::StatusOr<StoredTensor> {
          return StoredTensor{StoredType::kF32, bytes, rows, cols, 1.0f};
        });
    ASSERT_TRUE(bound.ok()) << bound.status();
    std::vector<int32_t> ids(static_cast<size_t>(rows));
    std::iota(ids.begin(), ids.end(), 0);
    std::unique_ptr<KvCaches> caches = backend->NewCaches({});
    absl::StatusOr<std::vector<int32_t>> got =
        (*bound)->RunArgmax(ids, ids, *caches);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), size_t(rows));
    for (int64_t r = 0; r < rows; ++r) {
      const auto row = table.begin() + long(r * cols);
      EXPECT_EQ((*got)[size_t(r)],
                int32_t(std::max_element(row, row + long(cols)) - row))
          << "row " << r << " of " << cols;
    }
    if (cols > 10) {
      EXPECT_EQ((*got)[2], 3);
      EXPECT_EQ((*got)[3], int32_t(cols - 1));
    }
    for (int k : {1, 5, 40, 256}) {
      if (k > cols)
        continue;
      absl::StatusOr<TopCandidates> top =
          (*bound)->RunTopK(ids, ids, *caches, k);
      ASSERT_TRUE(top.ok()) << top.status();
      const TopCandidates want = HostTopK(table, size_t(rows), k);
      EXPECT_EQ(top->ids, want.ids) << "k " << k << " of " << cols;
      EXPECT_EQ(top->logits, want.logits) << "k " << k << " of " << cols;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, GpuKernels,
                         ::testing::Values("vulkan", "cuda-sim", "cuda"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           std::string name = i.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

} // namespace
} // namespace gemma
