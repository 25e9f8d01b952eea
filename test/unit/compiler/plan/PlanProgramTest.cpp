//===- PlanProgramTest.cpp - Validation of plan programs ------------------===//
//
// Plans will come from files: a program that reads or writes outside its
// buffers, or a weight of the wrong shape, is refused with one line before
// anything runs.
//
//===----------------------------------------------------------------------===//

#include "runtime/plan/PlanProgram.h"
#include "runtime/cpu/CpuExecutor.h"

#include <gtest/gtest.h>

namespace gemma::plan {
namespace {

// ids [4] -> embed [4, 8] -> logits [4, 16].
Program TinyProgram() {
  Program p;
  p.name = "decode_4";
  p.arg_elements = {4};
  p.arena_elements = 4 * 8 + 4 * 16;
  p.calls.push_back(
      {Kernel::kEmbed, {{0, 0, 4}, {-1, 0, 32}}, {"table"}, {4, 8}, {2.0}});
  p.calls.push_back({Kernel::kLogits,
                     {{-1, 0, 32}, {-1, 32, 64}},
                     {"table"},
                     {4, 8, 16},
                     {0.0}});
  p.outputs = {{-1, 32, 64}};
  return p;
}

std::string Message(const Program &p) {
  absl::Status s = ValidateProgram(p);
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(PlanProgram, AConsistentProgramValidates) {
  EXPECT_EQ(Message(TinyProgram()), "ok");
}

TEST(PlanProgram, BuffersMustHoldWhatTheCallTouches) {
  Program p = TinyProgram();
  p.calls[1].buffers[1] = {-1, 32, 60};
  EXPECT_EQ(Message(p), "decode_4: call 1 (logits): buffer 1 holds 60 "
                        "elements, the call needs 64");
  p = TinyProgram();
  p.calls[1].buffers[1] = {-1, 40, 64};
  EXPECT_EQ(Message(p), "decode_4: call 1 (logits): buffer 1 [40, 104) leaves "
                        "the arena of 96");
  p = TinyProgram();
  p.calls[1].buffers[1] = {3, 0, 64};
  EXPECT_EQ(Message(p), "decode_4: call 1 (logits): buffer 1 names argument 3 "
                        "of 1");
  p = TinyProgram();
  p.calls[0].buffers[0] = {0, 0, 3};
  p.arg_elements = {3};
  EXPECT_EQ(Message(p), "decode_4: call 0 (embed): buffer 0 holds 3 "
                        "elements, the call needs 4");
}

// Token ids are argument 0 and positions argument 1, the only i32
// storage; nothing else may name them (a backend reading an id buffer from
// the arena would read past its arguments).
TEST(PlanProgram, IdsAndPositionsAreTheirArguments) {
  Program p = TinyProgram();
  p.calls[0].buffers[0] = {-1, 64, 4};
  EXPECT_EQ(Message(p), "decode_4: call 0 (embed): buffer 0 holds token ids: "
                        "it must be the program's argument 0");
  p = TinyProgram();
  p.arg_elements = {4, 4};
  p.calls[0].buffers[0] = {1, 0, 4};
  EXPECT_EQ(Message(p), "decode_4: call 0 (embed): buffer 0 holds token ids: "
                        "it must be the program's argument 0");
  p = TinyProgram();
  p.calls[1].buffers[1] = {0, 0, 4};
  EXPECT_EQ(Message(p), "decode_4: call 1 (logits): buffer 1 holds f32 "
                        "values: argument 0 holds token ids");
}

TEST(PlanProgram, OperandCountsAndRangesAreChecked) {
  Program p = TinyProgram();
  p.calls[0].reals.clear();
  EXPECT_EQ(Message(p), "decode_4: call 0 (embed): expects 2 buffers, 1 "
                        "weights, 2+ ints and 1 reals, got 2, 1, 2 and 0");
  p = TinyProgram();
  // A matmul whose one row range selects 3 rows for 4 outputs.
  p.calls[1] = {Kernel::kMatmul,
                {{-1, 0, 32}, {-1, 32, 16}},
                {"w"},
                {4, 8, 4, 1, 0, 3},
                {}};
  EXPECT_EQ(Message(p), "decode_4: call 1 (matmul): inconsistent shape "
                        "parameters");
  p.calls[1].kernel = static_cast<Kernel>(99);
  EXPECT_EQ(Message(p), "decode_4: call 1 (unknown): unknown kernel 99");
}

TEST(PlanProgram, TheExecutorChecksWeightShapes) {
  std::vector<uint8_t> bytes(16 * 8 * 4, 0);
  auto lookup = [&](int64_t cols) {
    return [&bytes,
            cols](const std::string &) -> absl::StatusOr<cpu::WeightView> {
      return cpu::WeightView{StoredType::kF32, bytes.data(), 16, cols, 1.0f};
    };
  };
  EXPECT_TRUE(cpu::CpuExecutor::Create(TinyProgram(), lookup(8)).ok());
  absl::StatusOr<std::unique_ptr<cpu::CpuExecutor>> bad =
      cpu::CpuExecutor::Create(TinyProgram(), lookup(7));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "decode_4: call 0 (embed): weight "
                                    "'table' does not fit: the embedding "
                                    "width");
  absl::StatusOr<std::unique_ptr<cpu::CpuExecutor>> missing =
      cpu::CpuExecutor::Create(
          TinyProgram(),
          [](const std::string &name) -> absl::StatusOr<cpu::WeightView> {
            return absl::NotFoundError("no tensor '" + name + "'");
          });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "decode_4: call 0 (embed): no tensor 'table'");
}

} // namespace
} // namespace gemma::plan
