//===- ArenaPlannerTest.cpp - First-fit arena placement -------------------===//

#include "compiler/plan/ArenaPlanner.h"

#include <gtest/gtest.h>

namespace gemma {
namespace {

TEST(ArenaPlanner, ReusesFreedSpaceFirstFitAndAligns) {
  ArenaPlanner arena(64);
  EXPECT_EQ(arena.Allocate(100), 0);   // [0, 128)
  EXPECT_EQ(arena.Allocate(64), 128);  // [128, 192)
  EXPECT_EQ(arena.Allocate(200), 192); // [192, 448)
  EXPECT_EQ(arena.size(), 448);
  arena.Release(0, 100);
  EXPECT_EQ(arena.Allocate(64), 0);  // first fit in the freed 128
  EXPECT_EQ(arena.Allocate(64), 64); // the rest of it
  EXPECT_EQ(arena.Allocate(1), 448); // nothing free: grow
  EXPECT_EQ(arena.size(), 512);
}

TEST(ArenaPlanner, AdjacentFreeRangesMerge) {
  ArenaPlanner arena(16);
  const int64_t a = arena.Allocate(32), b = arena.Allocate(32),
                c = arena.Allocate(32);
  arena.Allocate(16); // keeps the three from merging with the end
  arena.Release(a, 32);
  arena.Release(c, 32);
  arena.Release(b, 32); // joins both neighbours: 96 free at 0
  EXPECT_EQ(arena.Allocate(96), 0);
}

TEST(ArenaPlanner, AFreeTailGrowsInsteadOfBeingSkipped) {
  ArenaPlanner arena(16);
  arena.Allocate(16);
  const int64_t tail = arena.Allocate(16);
  arena.Release(tail, 16);
  EXPECT_EQ(arena.Allocate(48), 16);
  EXPECT_EQ(arena.size(), 64);
}

} // namespace
} // namespace gemma
