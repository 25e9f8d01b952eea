//===- BatchEngine.cpp - Many sequences sharing each decode step ----------===//

#include "runtime/exec/BatchEngine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace gemma {
namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// How many of a row's ids a prompt can keep: their shared start, leaving
// the prompt's last id to feed.
size_t Shared(const std::vector<int32_t> &ids,
              const std::vector<int32_t> &prompt) {
  const size_t n = std::min(ids.size(), prompt.size() - 1);
  return size_t(
      std::mismatch(ids.begin(), ids.begin() + long(n), prompt.begin()).first -
      ids.begin());
}

} // namespace

// One sequence's rows of the batch. Touched only by the engine's thread.
struct BatchEngine::Row {
  std::unique_ptr<KvCaches> view; // the rows as one sequence's caches
  std::vector<int32_t> ids;       // whose K and V the rows hold, from 0
  bool active = false;
  GenerationRequest request;
  std::optional<Sampler> sampler;
  int32_t pending = 0; // the next step's input, not yet in the rows
  GenerationResult result;
  uint64_t last_used = 0;
};

absl::StatusOr<std::unique_ptr<BatchEngine>>
BatchEngine::Create(PlanSession &session, int parallel, size_t max_queue) {
  const std::vector<int64_t> &buckets = session.meta().decode_buckets;
  if (parallel < 1 ||
      std::find(buckets.begin(), buckets.end(), parallel) == buckets.end())
    return absl::InvalidArgumentError(fmt::format(
        "the plan has no @decode_{} (its decode buckets: {}): compile it "
        "with gemma-compile --decode-buckets 1,{}",
        parallel, fmt::join(buckets, ", "), parallel));
  std::unique_ptr<BatchEngine> engine(
      new BatchEngine(session, parallel, max_queue));
  engine->caches_ = session.NewCaches(parallel);
  // Each decode bucket up to `parallel` runs on the batch's first rows.
  for (int64_t b : buckets) {
    if (b > parallel)
      continue;
    absl::StatusOr<std::unique_ptr<KvCaches>> first =
        session.CacheRows(*engine->caches_, parallel, 0, b);
    if (!first.ok())
      return first.status();
    engine->buckets_.push_back({b, *std::move(first)});
  }
  std::sort(engine->buckets_.begin(), engine->buckets_.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (int r = 0; r < parallel; ++r) {
    auto row = std::make_unique<Row>();
    absl::StatusOr<std::unique_ptr<KvCaches>> view =
        session.SequenceCaches(*engine->caches_, parallel, r);
    if (!view.ok())
      return view.status();
    row->view = *std::move(view);
    engine->rows_.push_back(std::move(row));
  }
  engine->metrics_.parallel = size_t(parallel);
  engine->metrics_.kv_positions = uint64_t(parallel) * session.meta().context;
  for (int64_t b : session.meta().prefill_buckets)
    engine->max_chunk_ = std::max(engine->max_chunk_, size_t(b));
  engine->thread_ = std::thread([e = engine.get()] { e->Loop(); });
  return engine;
}

BatchEngine::BatchEngine(PlanSession &session, int parallel, size_t max_queue)
    : session_(session), parallel_(parallel), max_queue_(max_queue) {}

BatchEngine::~BatchEngine() { Drain(); }

absl::Status BatchEngine::Submit(GenerationRequest request) {
  const plan::PlanMeta &meta = session_.meta();
  if (request.prompt.empty())
    return absl::InvalidArgumentError("an empty prompt");
  if (request.prompt.size() > meta.context)
    return absl::InvalidArgumentError(
        fmt::format("the prompt is {} tokens: past the context of {} "
                    "positions",
                    request.prompt.size(), meta.context));
  for (int32_t id : request.prompt)
    if (id < 0 || uint32_t(id) >= meta.vocab_size)
      return absl::InvalidArgumentError(fmt::format(
          "token id {} is outside the vocabulary of {}", id, meta.vocab_size));
  if (std::string bad = request.sampling.Check(); !bad.empty())
    return absl::InvalidArgumentError(bad);
  if (request.max_tokens < 1)
    return absl::InvalidArgumentError("max_tokens must be at least 1");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (draining_)
      return absl::UnavailableError("the server is shutting down");
    const size_t free_rows = size_t(parallel_) - metrics_.active;
    if (queue_.size() >= max_queue_ + free_rows) {
      ++metrics_.rejected;
      return absl::ResourceExhaustedError(
          fmt::format("all {} sequences are busy and {} requests wait",
                      parallel_, queue_.size()));
    }
    ++metrics_.requests;
    metrics_.prompt_tokens += request.prompt.size();
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
  return absl::OkStatus();
}

void BatchEngine::Drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

EngineMetrics BatchEngine::Metrics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  EngineMetrics m = metrics_;
  m.queued = queue_.size();
  return m;
}

void BatchEngine::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] {
      return draining_ || metrics_.active > 0 ||
             (!queue_.empty() && metrics_.active < size_t(parallel_));
    });
    Admit(lock);
    if (metrics_.active == 0) {
      if (draining_ && queue_.empty())
        return;
      continue;
    }
    lock.unlock();
    Step();
    lock.lock();
  }
}

// A row's ids past the prompt's start (a reply the next turn resends in
// other tokens, or not at all) are dropped by writing over them. That is
// exact while at most `max_chunk_` of them are dropped: a sliding layer's
// ring (W + T_max - 1 slots, T_max the largest prefill chunk) then still
// holds every kept position a new query's window reads, and a dropped
// entry ahead of a query lies outside the window its slot maps to (the
// same reason a padded chunk's entries are). More than that, the row
// starts over.
size_t BatchEngine::SharedStart(const std::vector<int32_t> &ids,
                                const std::vector<int32_t> &prompt) const {
  const size_t k = Shared(ids, prompt);
  return ids.size() - k <= max_chunk_ ? k : 0;
}

const std::pair<int64_t, std::unique_ptr<KvCaches>> &
BatchEngine::SmallestBucket(size_t rows) const {
  for (const auto &bucket : buckets_)
    if (size_t(bucket.first) >= rows)
      return bucket;
  return buckets_.back(); // @decode_<parallel>, which holds every row
}

void BatchEngine::Admit(std::unique_lock<std::mutex> &lock) {
  while (!queue_.empty() && metrics_.active < size_t(parallel_)) {
    GenerationRequest request = std::move(queue_.front());
    queue_.pop_front();
    const std::vector<int32_t> &prompt = request.prompt;
    // The free row sharing the longest start with the prompt (leaving its
    // last token to feed). Among equals (requests sharing a system prompt
    // share it with every row), one below `bound` first: the decode steps
    // run the smallest bucket holding the highest running row, and a row
    // picked above it would run every step of this request in a wider
    // bucket (measured: 4 clients on 8 rows ran at 8 rows' cost, half the
    // throughput of 8 clients). Then the least recently used. Without a
    // shared start, the first free row.
    const int64_t bound = SmallestBucket(metrics_.active + 1).first;
    Row *best = nullptr;
    size_t reuse = 0;
    bool inside = false;
    for (size_t i = 0; i < rows_.size(); ++i) {
      Row *row = rows_[i].get();
      if (row->active)
        continue;
      const size_t k = SharedStart(row->ids, prompt);
      const bool in = int64_t(i) < bound;
      if (k > 0 && (!best || k > reuse ||
                    (k == reuse &&
                     (in > inside ||
                      (in == inside && row->last_used < best->last_used))))) {
        best = row;
        reuse = k;
        inside = in;
      }
    }
    if (!best) {
      // The first free row (its ids dropped below): decode steps run the
      // smallest bucket that holds the highest running row.
      for (const std::unique_ptr<Row> &row : rows_)
        if (!row->active) {
          best = row.get();
          break;
        }
    }
    Row &row = *best;
    row.active = true;
    ++metrics_.active;
    metrics_.cached_tokens += reuse;
    lock.unlock();

    row.request = std::move(request);
    row.result = GenerationResult();
    row.result.prompt_tokens = row.request.prompt.size();
    row.result.cached_tokens = reuse;
    row.sampler.emplace(row.request.sampling);
    const std::vector<int32_t> &ids = row.request.prompt;
    const auto start = std::chrono::steady_clock::now();
    // All but the last prompt token into the rows; the last is the first
    // step's input (docs/gemma-math.md 5.2).
    row.ids.resize(reuse);
    size_t written = 0;
    absl::Status prefilled =
        session_.Prefill(std::span(ids).subspan(reuse, ids.size() - 1 - reuse),
                         int32_t(reuse), *row.view, {}, &written);
    row.ids.insert(row.ids.end(), ids.begin() + long(reuse),
                   ids.begin() + long(reuse + written));
    const double seconds = Since(start);
    double first_seconds = 0;
    bool first = false;
    if (prefilled.ok()) {
      row.pending = ids.back();
      first = FirstToken(row, &first_seconds);
    } else {
      Finish(row, FinishReason::kError, prefilled);
    }

    lock.lock();
    metrics_.prefill_tokens += written;
    metrics_.prefill_seconds += seconds;
    metrics_.completion_tokens += first;
    metrics_.decode_seconds += first_seconds;
  }
}

// The first token comes from the new row alone (@decode_1 on its own rows),
// at once, rather than from the next step of the whole batch after every
// waiting request's prefill: eight requests arriving together each wait
// for the prefills before theirs and one single-row step, not for all
// eight prefills and a full step. A single-row step costs a pass over the
// weights (about 2% of a batch's throughput for 64-token answers).
bool BatchEngine::FirstToken(Row &row, double *seconds) {
  const auto start = std::chrono::steady_clock::now();
  const int32_t id = row.pending, position = int32_t(row.ids.size());
  absl::StatusOr<std::vector<float>> logits = session_.DecodeBatch(
      std::span(&id, 1), std::span(&position, 1), *row.view);
  *seconds = Since(start);
  if (!logits.ok()) {
    Finish(row, FinishReason::kError, logits.status());
    return false;
  }
  return Advance(row, *logits);
}

void BatchEngine::Step() {
  const uint32_t context = session_.meta().context;
  size_t highest = 0;
  for (size_t r = 0; r < rows_.size(); ++r)
    if (rows_[r]->active)
      highest = r + 1;
  const auto &[bucket_rows, bucket_caches] = SmallestBucket(highest);
  std::vector<int32_t> ids(size_t(bucket_rows), 0), positions(ids.size(), 0);
  uint64_t used = 0;
  for (size_t r = 0; r < ids.size(); ++r) {
    Row &row = *rows_[r];
    if (row.active)
      ids[r] = row.pending;
    else if (row.ids.size() >= context) {
      row.ids.clear(); // a full cache is no prefix worth keeping
    }
    // An idle row writes its dummy token where a continuation of its
    // tokens would write first: nothing it keeps is touched.
    positions[r] = int32_t(row.ids.size());
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<float>> logits =
      session_.DecodeBatch(ids, positions, *bucket_caches);
  const double seconds = Since(start);
  const size_t vocab =
      logits.ok() && !logits->empty() ? logits->size() / ids.size() : 0;
  uint64_t generated = 0;
  for (size_t r = 0; r < ids.size(); ++r) {
    Row &row = *rows_[r];
    if (!row.active)
      continue;
    if (!logits.ok()) {
      Finish(row, FinishReason::kError, logits.status());
      continue;
    }
    generated +=
        Advance(row, std::span<const float>(logits->data() + r * vocab, vocab));
  }
  for (const std::unique_ptr<Row> &row : rows_)
    if (row->active)
      used += row->ids.size() + 1;
  std::lock_guard<std::mutex> lock(mutex_);
  metrics_.decode_seconds += seconds;
  ++metrics_.decode_steps;
  metrics_.decode_rows += uint64_t(bucket_rows);
  metrics_.completion_tokens += generated;
  metrics_.kv_positions_used = used;
}

bool BatchEngine::Advance(Row &row, std::span<const float> logits) {
  const std::vector<int32_t> &eos = session_.meta().eos_ids;
  row.ids.push_back(row.pending);
  const size_t window = std::min(kRepetitionWindow, row.ids.size());
  const int32_t token = row.sampler->Next(
      logits, std::span(row.ids).subspan(row.ids.size() - window));
  if (!row.request.ignore_eos &&
      std::find(eos.begin(), eos.end(), token) != eos.end()) {
    Finish(row, FinishReason::kEos);
    return false;
  }
  ++row.result.completion_tokens;
  if (row.request.on_logprobs)
    row.request.on_logprobs(
        LogprobsOf(logits, token, row.request.top_logprobs));
  if (!row.request.on_token(token))
    Finish(row, FinishReason::kStopped);
  else if (row.result.completion_tokens >= size_t(row.request.max_tokens) ||
           row.ids.size() >= session_.meta().context)
    Finish(row, FinishReason::kLength);
  else
    row.pending = token;
  return true;
}

void BatchEngine::Finish(Row &row, FinishReason reason, absl::Status status) {
  row.result.finish = reason;
  row.result.status = std::move(status);
  row.active = false;
  row.last_used = ++clock_;
  row.sampler.reset();
  if (reason == FinishReason::kError)
    row.ids.clear(); // what the rows hold is unknown
  {
    // (Before on_done: whoever it wakes sees the rows free.)
    std::lock_guard<std::mutex> lock(mutex_);
    if (--metrics_.active == 0)
      metrics_.kv_positions_used = 0;
  }
  GenerationRequest done = std::move(row.request);
  row.request = GenerationRequest();
  if (done.on_done)
    done.on_done(row.result);
}

} // namespace gemma
