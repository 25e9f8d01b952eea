//===- InterpreterTest.cpp - Running gemma IR with the reference kernels --===//

#include "compiler/reference/Interpreter.h"

#include "dialects/gemma/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gemma::reference {
namespace {

constexpr const char *kAttention = R"mlir(
gemma.param @w : !gemma.weight<[4, 2], f32>
func.func @f(%x: tensor<2x2xf32>, %pos: tensor<2xi32>, %kc: tensor<1x4x1x2xf32>)
    -> (tensor<2x1x2xf32>, tensor<1x4x1x2xf32>) {
  %q = gemma.matmul %x, @w rows [0, 2] : tensor<2x2xf32> -> tensor<2x1x2xf32>
  %k = gemma.matmul %x, @w rows [2, 4] : tensor<2x2xf32> -> tensor<2x1x2xf32>
  %kc1 = gemma.kv_write %k into %kc at %pos : tensor<2x1x2xf32> into tensor<1x4x1x2xf32>, tensor<2xi32>
  %s = gemma.attn_scores %q, %kc1 scale(0.5) : tensor<2x1x2xf32>, tensor<1x4x1x2xf32> -> tensor<2x1x4xf32>
  %m = gemma.window_mask %s, %pos window(1) : tensor<2x1x4xf32>, tensor<2xi32>
  %p = gemma.softmax %m : tensor<2x1x4xf32>
  %o = gemma.attn_values %p, %kc1 : tensor<2x1x4xf32>, tensor<1x4x1x2xf32> -> tensor<2x1x2xf32>
  return %o, %kc1 : tensor<2x1x2xf32>, tensor<1x4x1x2xf32>
}
)mlir";

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    context_.loadDialect<ir::GemmaDialect, mlir::func::FuncDialect>();
  }

  mlir::OwningOpRef<mlir::ModuleOp> Parse(const char *source) {
    return mlir::parseSourceString<mlir::ModuleOp>(source, &context_);
  }

  mlir::MLIRContext context_;
};

WeightProvider IdentityTwice() {
  // Rows: q = x, k = x.
  return [](const std::string &symbol) -> absl::StatusOr<WeightRows> {
    if (symbol != "w")
      return absl::NotFoundError(symbol);
    return WeightRows{4, 2, [](int64_t row, float *out) {
                        out[0] = row % 2 == 0 ? 1.0f : 0.0f;
                        out[1] = row % 2 == 1 ? 1.0f : 0.0f;
                      }};
  };
}

TEST_F(InterpreterTest, WindowOfOneAttendsOnlyToItself) {
  auto module = Parse(kAttention);
  ASSERT_TRUE(module);
  Tensor x;
  x.data = {1, 2, 3, 4};
  std::vector<Value> args = {x, std::vector<int32_t>{5, 6},
                             Tensor::Zeros({1, 4, 1, 2})};
  absl::StatusOr<std::vector<Value>> results =
      RunFunction(*module, "f", std::move(args), IdentityTwice());
  ASSERT_TRUE(results.ok()) << results.status();
  // With a window of 1 the output is the token's own key (= value).
  EXPECT_EQ(std::get<Tensor>((*results)[0]).data,
            (std::vector<float>{1, 2, 3, 4}));
  // Positions 5 and 6 land in slots 1 and 2.
  EXPECT_EQ(std::get<Tensor>((*results)[1]).data,
            (std::vector<float>{0, 0, 1, 2, 3, 4, 0, 0}));
}

TEST_F(InterpreterTest, ErrorsNameWhatIsWrong) {
  auto module = Parse(kAttention);
  ASSERT_TRUE(module);
  EXPECT_EQ(RunFunction(*module, "g", {}, IdentityTwice()).status().message(),
            "no function @g in the module");
  EXPECT_EQ(RunFunction(*module, "f", {}, IdentityTwice()).status().message(),
            "@f takes 3 arguments, got 0");
  Tensor x;
  x.data = {1, 2, 3};
  std::vector<Value> args = {x, std::vector<int32_t>{5, 6},
                             Tensor::Zeros({1, 4, 1, 2})};
  EXPECT_EQ(RunFunction(*module, "f", args, IdentityTwice()).status().message(),
            "argument 0 of @f does not match its type");
  x.data = {1, 2, 3, 4};
  args[0] = x;
  auto missing = [](const std::string &symbol) -> absl::StatusOr<WeightRows> {
    return absl::NotFoundError("no weight " + symbol);
  };
  EXPECT_EQ(RunFunction(*module, "f", args, missing).status().message(),
            "no weight w");
}

} // namespace
} // namespace gemma::reference
