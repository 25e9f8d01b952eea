//===- LowerToPlanTest.cpp - gemma modules through the plan dialect -------===//
//
// The records a plan file stores come from the plan dialect; printing that
// dialect and parsing it back must give the very same records, for every
// generation, fused and unfused.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/LowerToPlan.h"
#include "compiler/builder/ModelBuilder.h"
#include "dialects/plan/PlanOps.h"
#include "passes/FusionPipeline.h"
#include "test/unit/TinyModel.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

namespace gemma::plan {
namespace {

// The dialect's enum is generated from runtime/plan/KernelList.h
// (dialects/plan/PlanKernels.td.in): this guards the generation.
TEST(PlanDialect, KernelNamesMatchTheStoredKernels) {
  for (uint32_t k = 0; k < kKernelCount; ++k)
    EXPECT_EQ(ir::stringifyKernel(static_cast<ir::Kernel>(k)).str(),
              KernelName(static_cast<Kernel>(k)));
}

struct Case {
  std::string preset;
  bool fused;
};
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.preset << (c.fused ? "_fused" : "_unfused");
}

class PlanRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(PlanRoundTrip, PrintedPlansParseToTheSameRecords) {
  const testing::LoadedModel tiny =
      testing::SynthesizeTiny(GetParam().preset, StoredType::kSFP);
  absl::StatusOr<CacheLayout> layout =
      MakeCacheLayout(tiny.model.spec, BuildOptionsFor(64, {8}, {1, 2}));
  ASSERT_TRUE(layout.ok()) << layout.status();
  mlir::MLIRContext context;
  auto module = BuildModel(context, tiny.model.spec, tiny.weights, *layout);
  ASSERT_TRUE(module.ok()) << module.status();
  ASSERT_TRUE(Fuse(**module, GetParam().fused ? FusionNames()
                                              : std::vector<std::string>{})
                  .ok());
  absl::StatusOr<std::vector<Program>> programs = LowerToPrograms(**module);
  ASSERT_TRUE(programs.ok()) << programs.status();
  ASSERT_EQ(programs->size(), 3u);

  std::string text;
  llvm::raw_string_ostream os(text);
  (*module)->print(os);
  mlir::MLIRContext fresh;
  fresh.loadDialect<ir::PlanDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> parsed =
      mlir::parseSourceString<mlir::ModuleOp>(text, &fresh);
  ASSERT_TRUE(parsed);
  std::vector<Program> again;
  for (auto func : parsed->getOps<mlir::func::FuncOp>()) {
    absl::StatusOr<Program> program = ExportProgram(func);
    ASSERT_TRUE(program.ok()) << program.status();
    again.push_back(*std::move(program));
  }
  ASSERT_EQ(again.size(), programs->size());
  for (size_t i = 0; i < again.size(); ++i) {
    const Program &a = again[i], &b = (*programs)[i];
    EXPECT_EQ(a.arg_elements, b.arg_elements) << a.name;
    EXPECT_EQ(a.arena_elements, b.arena_elements) << a.name;
    ASSERT_EQ(a.calls.size(), b.calls.size()) << a.name;
    for (size_t c = 0; c < a.calls.size(); ++c) {
      EXPECT_EQ(a.calls[c].ints, b.calls[c].ints) << a.name << " call " << c;
      EXPECT_EQ(a.calls[c].reals, b.calls[c].reals) << a.name << " call " << c;
      EXPECT_TRUE(a.calls[c] == b.calls[c]) << a.name << " call " << c;
    }
    EXPECT_TRUE(a == b) << a.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Generations, PlanRoundTrip,
    ::testing::Values(Case{"tiny-gemma1", true}, Case{"tiny-gemma2", false},
                      Case{"tiny-gemma3", true}, Case{"tiny-gemma3", false},
                      Case{"tiny-gemma4", true}, Case{"tiny-gemma4", false}));

TEST(ExportProgram, RefusesAnUnplacedFunction) {
  mlir::MLIRContext context;
  context.loadDialect<ir::PlanDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(R"mlir(
    func.func @decode_1(%x: !plan.buffer<8, f32>) -> !plan.buffer<8, f32> {
      %a = plan.alloc : !plan.buffer<8, f32>
      plan.call unary(%x, %a) weights [""] ints [8, 0] reals [0.0]
          : !plan.buffer<8, f32>, !plan.buffer<8, f32>
      return %a : !plan.buffer<8, f32>
    })mlir",
                                              &context);
  ASSERT_TRUE(module);
  auto func = *module->getOps<mlir::func::FuncOp>().begin();
  EXPECT_EQ(ExportProgram(func).status().message(),
            "@decode_1: not a placed plan function (run plan-place-buffers)");
  func->setAttr(
      ir::PlanDialect::kArenaSizeAttr,
      mlir::IntegerAttr::get(mlir::IntegerType::get(&context, 64), 8));
  EXPECT_EQ(ExportProgram(func).status().message(),
            "@decode_1: a buffer is not placed (run plan-place-buffers)");
}

} // namespace
} // namespace gemma::plan
