//===- BatchEngineTest.cpp - Continuous batching against one sequence -----===//
//
// The server's engine (runtime/exec/BatchEngine.h) on a tiny model compiled
// with @decode_4: sequences decoded together give the logits they give
// alone (within float noise: the batch's matmuls sum in another order), and
// so the same greedy tokens as a Conversation; a request continuing an
// earlier one's tokens reuses its rows and prefills only the rest, with the
// same tokens as from scratch; a full queue is refused; a stopped request
// frees its rows.
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/BatchEngine.h"
#include "compiler/plan/CompilePlan.h"
#include "passes/FusionPipeline.h"
#include "runtime/exec/Conversation.h"

#include "test/unit/TinyModel.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <future>

namespace gemma {
namespace {

constexpr int kParallel = 4;

struct Tiny {
  std::unique_ptr<PlanSession> session;
  uint32_t vocab = 0;
};

Tiny OpenTiny(const std::string &name) {
  testing::LoadedModel loaded =
      testing::SynthesizeTiny("tiny-gemma3", StoredType::kF32);
  const std::string sbs = testing::TempPath("tiny-gemma3.sbs");
  const std::string path = testing::TempPath(name + ".plan");
  plan::CompileOptions options;
  options.build = BuildOptionsFor(64, {4, 8}, {1, kParallel});
  options.fusions = FusionNames();
  absl::StatusOr<plan::PlanFile> file =
      plan::CompilePlan(loaded.model, loaded.weights, options, sbs, path);
  EXPECT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(plan::WritePlan(*file, path).ok());
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      PlanSession::Open(path, 2, false);
  EXPECT_TRUE(session.ok()) << session.status();
  return {*std::move(session), loaded.model.spec.vocab_size};
}

// The greedy continuation of `prompt` by one Conversation alone.
std::vector<int32_t> Alone(PlanSession &session,
                           const std::vector<int32_t> &prompt, int tokens) {
  Conversation conversation(session);
  EXPECT_TRUE(conversation.Append(prompt).ok());
  Sampler greedy({});
  std::vector<int32_t> out;
  ReplyOptions options;
  options.max_tokens = tokens;
  options.ignore_eos = true;
  EXPECT_TRUE(
      conversation
          .Reply(greedy, options, [&](int32_t id) { out.push_back(id); })
          .ok());
  return out;
}

struct Outcome {
  std::vector<int32_t> tokens;
  GenerationResult result;
};

// Submits `prompt` and returns a future of its tokens and result.
std::future<Outcome> Submit(BatchEngine &engine, std::vector<int32_t> prompt,
                            int tokens, int stop_after = -1) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  auto outcome = std::make_shared<Outcome>();
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.max_tokens = tokens;
  request.ignore_eos = true;
  request.on_token = [outcome, stop_after](int32_t id) {
    outcome->tokens.push_back(id);
    return stop_after < 0 || int(outcome->tokens.size()) < stop_after;
  };
  request.on_done = [outcome, promise](const GenerationResult &result) {
    outcome->result = result;
    promise->set_value(*outcome);
  };
  std::future<Outcome> future = promise->get_future();
  EXPECT_TRUE(engine.Submit(std::move(request)).ok());
  return future;
}

// Four sequences at different positions in one decode step give the
// logits each gives alone, within 1e-4 of their range.
TEST(BatchEngine, BatchedLogitsMatchOneSequenceAlone) {
  Tiny tiny = OpenTiny("batched-logits");
  PlanSession &session = *tiny.session;
  std::unique_ptr<KvCaches> batch = session.NewCaches(kParallel);
  std::vector<std::unique_ptr<KvCaches>> alone;
  std::vector<int32_t> ids, positions;
  for (int r = 0; r < kParallel; ++r) {
    const std::vector<int32_t> prompt =
        testing::RandomIds(3 + 5 * r, tiny.vocab, 40 + r);
    absl::StatusOr<std::unique_ptr<KvCaches>> row =
        session.SequenceCaches(*batch, kParallel, r);
    ASSERT_TRUE(row.ok()) << row.status();
    alone.push_back(session.NewCaches());
    const auto head = std::span(prompt).first(prompt.size() - 1);
    ASSERT_TRUE(session.Prefill(head, 0, **row).ok());
    ASSERT_TRUE(session.Prefill(head, 0, *alone.back()).ok());
    ids.push_back(prompt.back());
    positions.push_back(int32_t(prompt.size() - 1));
  }
  absl::StatusOr<std::vector<float>> together =
      session.DecodeBatch(ids, positions, *batch);
  ASSERT_TRUE(together.ok()) << together.status();
  const size_t vocab = together->size() / kParallel;
  for (int r = 0; r < kParallel; ++r) {
    absl::StatusOr<std::vector<float>> one =
        session.Decode(ids[r], positions[r], *alone[r]);
    ASSERT_TRUE(one.ok());
    const auto [lo, hi] = std::minmax_element(one->begin(), one->end());
    const double range = double(*hi) - double(*lo);
    double worst = 0;
    for (size_t v = 0; v < vocab; ++v)
      worst = std::max(
          worst, std::fabs(double((*together)[r * vocab + v]) - (*one)[v]));
    EXPECT_LE(worst, 1e-4 * range) << "sequence " << r;
    EXPECT_GT(range, 0.0);
  }
}

// Six requests on four rows: two wait, every one is answered with the
// greedy tokens it gets alone.
TEST(BatchEngine, ConcurrentRequestsGetTheirTokensAlone) {
  Tiny tiny = OpenTiny("concurrent");
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*tiny.session, kParallel, 8);
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::future<Outcome>> futures;
  for (int r = 0; r < 6; ++r) {
    prompts.push_back(testing::RandomIds(2 + 3 * r, tiny.vocab, 60 + r));
    futures.push_back(Submit(**engine, prompts.back(), 6 + r));
  }
  std::vector<Outcome> outcomes;
  for (std::future<Outcome> &f : futures)
    outcomes.push_back(f.get());
  // (The session runs one program at a time: the engine is idle now.)
  for (int r = 0; r < 6; ++r) {
    const Outcome &got = outcomes[r];
    EXPECT_TRUE(got.result.status.ok()) << got.result.status;
    EXPECT_EQ(got.result.finish, FinishReason::kLength);
    EXPECT_EQ(got.tokens, Alone(*tiny.session, prompts[r], 6 + r))
        << "request " << r;
    EXPECT_EQ(got.result.completion_tokens, size_t(6 + r));
  }
  const EngineMetrics m = (*engine)->Metrics();
  EXPECT_EQ(m.requests, 6u);
  EXPECT_EQ(m.active, 0u);
  EXPECT_EQ(m.queued, 0u);
}

// Requests sharing a start (a system prompt) take the lowest free rows
// among equally good ones, so that the decode steps run the smallest
// bucket: after four such requests filled the rows, the one on row 0
// finishing last (its 6 tokens still few enough to drop for the prefix),
// a fifth runs on row 0 with @decode_1, not on a less recently used row in
// @decode_4.
TEST(BatchEngine, RequestsSharingAStartKeepTheBatchCompact) {
  Tiny tiny = OpenTiny("compact");
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*tiny.session, kParallel, 8);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const std::vector<int32_t> prompt = testing::RandomIds(9, tiny.vocab, 70);
  std::vector<std::future<Outcome>> futures;
  for (int r = 0; r < kParallel; ++r) // row 0 runs longest
    futures.push_back(Submit(**engine, prompt, r == 0 ? 6 : 2));
  for (std::future<Outcome> &f : futures)
    EXPECT_TRUE(f.get().result.status.ok());
  const EngineMetrics before = (*engine)->Metrics();
  const Outcome alone = Submit(**engine, prompt, 6).get();
  EXPECT_TRUE(alone.result.status.ok());
  EXPECT_GT(alone.result.cached_tokens, 0u); // the shared start was reused
  const EngineMetrics after = (*engine)->Metrics();
  ASSERT_GT(after.decode_steps, before.decode_steps);
  EXPECT_EQ(after.decode_rows - before.decode_rows,
            after.decode_steps - before.decode_steps)
      << "a step ran a bucket wider than one row";
  EXPECT_EQ(alone.tokens, Alone(*tiny.session, prompt, 6));
}

// A second turn that resends the first turn's tokens prefills only what
// follows them, and continues as a fresh engine would.
TEST(BatchEngine, APromptContinuingAnEarlierOneReusesItsRows) {
  Tiny tiny = OpenTiny("prefix");
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*tiny.session, kParallel, 8);
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::vector<int32_t> prompt = testing::RandomIds(9, tiny.vocab, 5);
  const Outcome first = Submit(**engine, prompt, 5).get();
  ASSERT_EQ(first.tokens.size(), 5u);
  std::vector<int32_t> next = prompt;
  next.insert(next.end(), first.tokens.begin(), first.tokens.end());
  const std::vector<int32_t> more = testing::RandomIds(4, tiny.vocab, 6);
  next.insert(next.end(), more.begin(), more.end());
  const Outcome second = Submit(**engine, next, 5).get();
  // The rows hold the prompt and the first four replies (the fifth was
  // never fed).
  EXPECT_EQ(second.result.cached_tokens, prompt.size() + 4);
  EXPECT_EQ(second.tokens, Alone(*tiny.session, next, 5));
}

// A prompt that departs from a finished sequence's last tokens (a reply
// re-tokenized otherwise) keeps the shared start and writes over the rest,
// with the tokens a fresh engine gives, past the sliding window (8) too;
// departing more than the largest prefill chunk (8) back starts over.
TEST(BatchEngine, APromptDepartingFromAnEarlierOneKeepsTheSharedStart) {
  Tiny tiny = OpenTiny("rewind");
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*tiny.session, kParallel, 8);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const std::vector<int32_t> prompt = testing::RandomIds(20, tiny.vocab, 15);
  const Outcome first = Submit(**engine, prompt, 10).get();
  ASSERT_EQ(first.tokens.size(), 10u);
  // The rows hold the prompt and 9 replies; keep 3 of them, then depart.
  std::vector<int32_t> next = prompt;
  next.insert(next.end(), first.tokens.begin(), first.tokens.begin() + 3);
  const std::vector<int32_t> other = testing::RandomIds(6, tiny.vocab, 16);
  next.insert(next.end(), other.begin(), other.end());
  const Outcome second = Submit(**engine, next, 6).get();
  EXPECT_EQ(second.result.cached_tokens, prompt.size() + 3);
  // Departing 20 ids back (more than the largest chunk) starts over.
  std::vector<int32_t> far = next;
  far.resize(next.size() - 9 - 10);
  far.push_back(7);
  far.push_back(8);
  const Outcome third = Submit(**engine, far, 6).get();
  EXPECT_EQ(third.result.cached_tokens, 0u);
  EXPECT_EQ(second.tokens, Alone(*tiny.session, next, 6));
  EXPECT_EQ(third.tokens, Alone(*tiny.session, far, 6));
}

// A request whose consumer stops it frees its rows at once; past the rows
// and the queue a request is refused.
TEST(BatchEngine, StoppedRequestsFreeTheirRowsAndAFullQueueRefuses) {
  Tiny tiny = OpenTiny("queue");
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*tiny.session, kParallel, 0);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const Outcome stopped =
      Submit(**engine, testing::RandomIds(5, tiny.vocab, 9), 50, 3).get();
  EXPECT_EQ(stopped.tokens.size(), 3u);
  EXPECT_EQ(stopped.result.finish, FinishReason::kStopped);
  EXPECT_EQ((*engine)->Metrics().active, 0u);

  // Four long requests hold the rows; a fifth finds no room.
  std::vector<std::future<Outcome>> running;
  for (int r = 0; r < kParallel; ++r)
    running.push_back(
        Submit(**engine, testing::RandomIds(4, tiny.vocab, 20 + r), 40));
  GenerationRequest extra;
  extra.prompt = testing::RandomIds(4, tiny.vocab, 30);
  extra.on_token = [](int32_t) { return true; };
  const absl::Status refused = (*engine)->Submit(std::move(extra));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  for (std::future<Outcome> &f : running)
    EXPECT_EQ(f.get().tokens.size(), 40u);
  EXPECT_EQ((*engine)->Metrics().rejected, 1u);
}

TEST(BatchEngine, APlanWithoutTheBatchBucketIsRefused) {
  Tiny tiny = OpenTiny("no-bucket");
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*tiny.session, 3, 8);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(std::string(engine.status().message()).find("no @decode_3"),
            std::string::npos)
      << engine.status();
}

} // namespace
} // namespace gemma
