//===- KernelParamsTest.cpp - The plan kernels' parameter structs ---------===//
//
// The rows of runtime/plan/KernelParams.h decide what a .plan file stores:
// every struct must come back from its encoding unchanged, the stored
// layout must stay what plan files of this format version hold, and a
// call whose lists do not decode is refused before a backend reads it.
//
//===----------------------------------------------------------------------===//

#include "runtime/plan/KernelParams.h"

#include <gtest/gtest.h>

#include <bitset>

namespace gemma::plan {
namespace {

// Gives every field a distinct value: ints 1, 2, ...; reals 0.5, 1.5, ...;
// two row ranges per list.
struct Filler {
  int64_t next = 1;
  void Int(int64_t &v) { v = next++; }
  void OptionalInt(int64_t &v) { v = next++; }
  void Real(double &v) { v = double(next++) - 0.5; }
  void Ranges(std::vector<RowRange> &r) {
    r = {{next, next + 3}, {next + 5, next + 6}};
    next += 7;
  }
};

template <class P> void ExpectRoundTrip() {
  SCOPED_TRACE(KernelName(P::kKernel));
  P p;
  Filler filler;
  P::Fields(p, filler);
  const Call call = MakeCall(p, {}, {});
  EXPECT_EQ(call.kernel, P::kKernel);
  EXPECT_GE(call.ints.size(), P::kMinInts);
  EXPECT_EQ(call.reals.size(), P::kReals);
  absl::StatusOr<P> back = DecodeParams<P>(call);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == p);
  EXPECT_EQ(P::kBufferNames.size(), P::kBuffers);
  EXPECT_EQ(P::kWeightNames.size(), P::kWeights);
}

TEST(KernelParams, EveryKernelRoundTrips) {
#define GEMMA_ROUND_TRIP(value, Name, mnemonic) ExpectRoundTrip<Name##Params>();
  GEMMA_PLAN_KERNELS(GEMMA_ROUND_TRIP)
#undef GEMMA_ROUND_TRIP
}

// What plan files of this format version hold per kernel: buffers,
// weights, ints (at least), reals, the i32 buffers and the required
// weights as bit masks. A change here is a change of the stored format.
struct StoredLayout {
  Kernel kernel;
  size_t buffers, weights, ints, reals;
  uint32_t index_buffers, required_weights;
};

template <class P> StoredLayout LayoutOf() {
  StoredLayout l{
      P::kKernel, P::kBuffers, P::kWeights, P::kMinInts, P::kReals, 0, 0};
  for (size_t b = 0; b < P::kBuffers; ++b)
    l.index_buffers |= uint32_t(P::kIndexBuffer[b]) << b;
  for (size_t w = 0; w < P::kWeights; ++w)
    l.required_weights |= uint32_t(P::kRequiredWeight[w]) << w;
  return l;
}

TEST(KernelParams, TheStoredLayoutIsUnchanged) {
  const StoredLayout want[] = {
      {Kernel::kEmbed, 2, 1, 2, 1, 0b1, 0b1},
      {Kernel::kRmsNorm, 2, 1, 3, 1, 0, 0},
      {Kernel::kMatmul, 2, 1, 4, 0, 0, 0b1},
      {Kernel::kMatmulHeads, 2, 1, 4, 0, 0, 0b1},
      {Kernel::kRope, 3, 0, 3, 3, 0b10, 0},
      {Kernel::kKvWrite, 3, 0, 4, 0, 0b10, 0},
      {Kernel::kAttnScores, 3, 0, 7, 1, 0, 0},
      {Kernel::kWindowMask, 3, 0, 4, 0, 0b10, 0},
      {Kernel::kSoftmax, 2, 0, 2, 0, 0, 0},
      {Kernel::kAttnValues, 3, 0, 7, 0, 0, 0},
      {Kernel::kUnary, 2, 1, 2, 1, 0, 0},
      {Kernel::kBinary, 3, 0, 2, 0, 0, 0},
      {Kernel::kLogits, 2, 1, 3, 1, 0, 0b1},
      {Kernel::kAttention, 5, 0, 8, 2, 0b1000, 0},
      {Kernel::kGeglu, 3, 2, 5, 0, 0, 0b11},
      {Kernel::kResidualNorm, 4, 1, 3, 1, 0, 0},
      {Kernel::kNormMatmul, 3, 2, 6, 1, 0, 0b10},
      {Kernel::kQkvRope, 7, 5, 16, 4, 0b10, 0b11},
      {Kernel::kMoeExperts, 3, 3, 5, 0, 0, 0b111},
  };
  const StoredLayout got[] = {
#define GEMMA_LAYOUT(value, Name, mnemonic) LayoutOf<Name##Params>(),
      GEMMA_PLAN_KERNELS(GEMMA_LAYOUT)
#undef GEMMA_LAYOUT
  };
  ASSERT_EQ(std::size(got), std::size(want));
  for (size_t k = 0; k < std::size(want); ++k) {
    SCOPED_TRACE(KernelName(want[k].kernel));
    EXPECT_EQ(got[k].kernel, want[k].kernel);
    EXPECT_EQ(got[k].buffers, want[k].buffers);
    EXPECT_EQ(got[k].weights, want[k].weights);
    EXPECT_EQ(got[k].ints, want[k].ints);
    EXPECT_EQ(got[k].reals, want[k].reals);
    EXPECT_EQ(std::bitset<8>(got[k].index_buffers),
              std::bitset<8>(want[k].index_buffers));
    EXPECT_EQ(std::bitset<8>(got[k].required_weights),
              std::bitset<8>(want[k].required_weights));
    for (size_t b = 0; b < 8; ++b)
      EXPECT_EQ(IsIndexBuffer(want[k].kernel, b),
                (want[k].index_buffers >> b & 1) != 0)
          << "buffer " << b;
  }
}

// The stored order of the fused calls' parameters, as gemma-compile has
// written them since plan format version 2 (unchanged in 3). (The designated
// initializers follow the rows' order too: reordering a row's fields fails to
// compile here before it changes what files hold.)
TEST(KernelParams, FieldsAreStoredInTheRowsOrder) {
  GegluParams p{.n = 4,
                .in = 8,
                .width = 6,
                .gate_rows = {{0, 6}},
                .up_rows = {{6, 9}, {10, 13}}};
  const Call call = MakeCall(p, {}, {});
  EXPECT_EQ(call.ints,
            (std::vector<int64_t>{4, 8, 6, 1, 0, 6, 2, 6, 9, 10, 13}));
  EXPECT_TRUE(call.reals.empty());
  QkvRopeParams q{.n = 2,
                  .d = 64,
                  .heads = 4,
                  .dim = 16,
                  .k_batch = 1,
                  .k_slots = 32,
                  .kv_heads = 2,
                  .v_batch = 1,
                  .v_slots = 32,
                  .v_heads = 2,
                  .v_dim = 8,
                  .kind = 1,
                  .value_norm = 0,
                  .q_rows = {},
                  .k_rows = {{64, 96}},
                  .v_rows = {},
                  .eps = 1e-6,
                  .base = 10000.0,
                  .scale = 1.0,
                  .fraction = 0.5};
  const Call qkv = MakeCall(q, {}, {});
  EXPECT_EQ(qkv.ints, (std::vector<int64_t>{2, 64, 4, 16, 1, 32, 2, 1, 32, 2, 8,
                                            1, 0, 0, 1, 64, 96, 0}));
  EXPECT_EQ(qkv.reals, (std::vector<double>{1e-6, 10000.0, 1.0, 0.5}));
  AttentionParams a{.rows = 3,
                    .heads = 4,
                    .dim = 16,
                    .batch = 1,
                    .slots = 32,
                    .kv_heads = 2,
                    .value_dim = 8,
                    .window = 512,
                    .scale = 0.25,
                    .cap = 50.0};
  const Call attention = MakeCall(a, {}, {});
  EXPECT_EQ(attention.ints, (std::vector<int64_t>{3, 4, 16, 1, 32, 2, 8, 512}));
  EXPECT_EQ(attention.reals, (std::vector<double>{0.25, 50.0}));
}

// Embed's first column is stored only for a per-layer slice.
TEST(KernelParams, AnAbsentOptionalIntIsNotStored) {
  EmbedParams whole{.n = 3, .width = 8, .scale = 2.0};
  const Call call = MakeCall(whole, {}, {});
  EXPECT_EQ(call.ints, (std::vector<int64_t>{3, 8}));
  absl::StatusOr<EmbedParams> back = DecodeParams<EmbedParams>(call);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->first_column, -1);
  EmbedParams slice = whole;
  slice.first_column = 16;
  EXPECT_EQ(MakeCall(slice, {}, {}).ints, (std::vector<int64_t>{3, 8, 16}));
}

TEST(KernelParams, ListsThatDoNotDecodeAreRefused) {
  const auto matmul = [](std::vector<int64_t> ints,
                         std::vector<double> reals = {}) {
    Call call;
    call.kernel = Kernel::kMatmul;
    call.ints = std::move(ints);
    call.reals = std::move(reals);
    absl::StatusOr<MatmulParams> p = DecodeParams<MatmulParams>(call);
    return p.ok() ? std::string("ok") : std::string(p.status().message());
  };
  EXPECT_EQ(matmul({1, 8, 4, 1, 0, 4}), "ok");
  const std::string refused = "inconsistent shape parameters";
  EXPECT_EQ(matmul({1, 8, 4}), refused);           // no range count
  EXPECT_EQ(matmul({1, 8, 4, 0, 7}), refused);     // an int left over
  EXPECT_EQ(matmul({1, 8, 4, 0}, {1.0}), refused); // a real left over
  EXPECT_EQ(matmul({1, 8, 4, 2, 0, 4}), refused);  // a range missing
  EXPECT_EQ(matmul({1, 8, 4, -1}), refused);       // a negative count
  EXPECT_EQ(matmul({1, 8, 4, 1, 4, 4}), refused);  // an empty range
  EXPECT_EQ(matmul({1, 8, 4, 1, -1, 4}), refused); // a negative begin
  Call logits;
  logits.kernel = Kernel::kLogits;
  logits.ints = {1, 8, 4, 0};
  EXPECT_EQ(DecodeParams<MatmulParams>(logits).status().message(),
            "a call of another kernel read as matmul");
}

} // namespace
} // namespace gemma::plan
