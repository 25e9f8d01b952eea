//===- BatchEngine.h - Many sequences sharing each decode step --*- C++ -*-===//
//
// Continuous batching for a server. The engine keeps one batch of KV
// caches for `parallel` sequences (the plan's @decode_<parallel> bucket;
// each step runs the smallest decode bucket holding the running rows) and a
// thread that, between decode steps, admits waiting requests: each
// is prefilled alone into its own rows of the batch (Backend::CacheRows)
// and gets its first token from a one-row step on those rows at once,
// then joins the next step, where every running sequence advances by one
// token in one pass over the weights; a finished sequence leaves its rows
// at once. Requests beyond the free rows wait in a bounded queue.
//
// A prefix cache: a finished sequence's rows keep its tokens. A request
// whose prompt starts with them (the next turn of a chat, which resends
// the conversation) takes those rows and prefills only the rest, also when
// the prompt departs from the last few of them (a reply re-tokenized
// otherwise): exact on sliding-window layers too (BatchEngine.cpp,
// SharedStart, says when).
//
// Numerics: a sequence's tokens do not depend on the others in its batch
// beyond the order of f32 sums (the decode matmuls of a batch run as a
// GEMM rather than row dots); test/parity/BatchEngineTest.cpp
// holds batched logits to single-sequence ones.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_EXEC_BATCHENGINE_H
#define RUNTIME_EXEC_BATCHENGINE_H

#include "runtime/exec/PlanSession.h"
#include "runtime/exec/Sampler.h"
#include "runtime/exec/TokenLogprobs.h"

#include "absl/status/status.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace gemma {

enum class FinishReason {
  kEos,     // the model ended its answer
  kLength,  // max_tokens, or the end of the context
  kStopped, // on_token returned false (a stop string, a client gone)
  kError,
};

struct GenerationResult {
  absl::Status status; // set with kError
  FinishReason finish = FinishReason::kEos;
  size_t prompt_tokens = 0;
  size_t cached_tokens = 0; // of the prompt, reused from an earlier request
  size_t completion_tokens = 0;
};

struct GenerationRequest {
  std::vector<int32_t> prompt; // whole (BOS first); at least one id
  SamplingOptions sampling;
  int max_tokens = 16;
  bool ignore_eos = false;
  // Each generated id, on the engine's thread (the ending eos id is not
  // passed). Returning false stops the generation: its rows are free at
  // the next step.
  std::function<bool(int32_t)> on_token;
  // When set, called just before on_token with that id's log-probability
  // and the `top_logprobs` likeliest ids of its step (OpenAI's logprobs).
  std::function<void(const TokenLogprobs &)> on_logprobs;
  int top_logprobs = 0;
  // Once, on the engine's thread, when the request is done (or fails).
  std::function<void(const GenerationResult &)> on_done;
};

struct EngineMetrics {
  uint64_t requests = 0;          // accepted
  uint64_t rejected = 0;          // the queue was full
  uint64_t prompt_tokens = 0;     // of accepted requests
  uint64_t cached_tokens = 0;     // of those, reused from the prefix cache
  uint64_t prefill_tokens = 0;    // prefilled
  uint64_t completion_tokens = 0; // generated
  double prefill_seconds = 0, decode_seconds = 0;
  uint64_t decode_steps = 0;
  uint64_t decode_rows = 0; // the steps' buckets' rows, padding included
  size_t queued = 0, active = 0, parallel = 0;
  uint64_t kv_positions_used = 0, kv_positions = 0; // active sequences
};

class BatchEngine {
public:
  // `parallel`: the plan must have @decode_<parallel>; `max_queue`:
  // requests waiting beyond the running ones.
  static absl::StatusOr<std::unique_ptr<BatchEngine>>
  Create(PlanSession &session, int parallel, size_t max_queue);
  ~BatchEngine();

  // Queues a request. ResourceExhausted when the queue is full,
  // Unavailable while draining, InvalidArgument for a prompt that leaves
  // no room for one generated token in the context.
  absl::Status Submit(GenerationRequest request);

  // Refuses new requests, finishes the queued and running ones, stops.
  void Drain();

  EngineMetrics Metrics() const;

private:
  struct Row;
  BatchEngine(PlanSession &session, int parallel, size_t max_queue);
  void Loop();
  // Takes rows for waiting requests and prefills them (lock held on entry
  // and exit; released while prefilling).
  void Admit(std::unique_lock<std::mutex> &lock);
  // One decode step of every running sequence.
  void Step();
  // A new row's first token, from its own one-row decode step (true when
  // a token was generated).
  bool FirstToken(Row &row, double *seconds);
  // Takes a row's step logits: samples, reports and ends it or keeps the
  // token for the next step (true when a token was generated).
  bool Advance(Row &row, std::span<const float> logits);
  void Finish(Row &row, FinishReason reason, absl::Status status = {});
  size_t SharedStart(const std::vector<int32_t> &ids,
                     const std::vector<int32_t> &prompt) const;
  // The smallest decode bucket of at least `rows` rows, with its caches.
  const std::pair<int64_t, std::unique_ptr<KvCaches>> &
  SmallestBucket(size_t rows) const;

  PlanSession &session_;
  const int parallel_;
  const size_t max_queue_;
  size_t max_chunk_ = 1; // the largest prefill bucket
  std::unique_ptr<KvCaches> caches_;
  // (bucket, its first rows of caches_), smallest first.
  std::vector<std::pair<int64_t, std::unique_ptr<KvCaches>>> buckets_;
  std::vector<std::unique_ptr<Row>> rows_;
  uint64_t clock_ = 0; // for least-recently-used rows

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<GenerationRequest> queue_;
  bool draining_ = false;
  EngineMetrics metrics_;
  std::thread thread_;
};

} // namespace gemma

#endif // RUNTIME_EXEC_BATCHENGINE_H
