//===- Conversation.cpp - One sequence's cache across turns ---------------===//

#include "runtime/exec/Conversation.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>

namespace gemma {
namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// GEMMA_GPU_CPU_LOGITS=1: greedy and top-k decoding read the logits back and
// pick on the host (to tell a device-side choice from the rest when
// debugging).
bool HostLogits() {
  const char *v = std::getenv("GEMMA_GPU_CPU_LOGITS");
  return v && std::string_view(v) == "1";
}

} // namespace

Conversation::Conversation(PlanSession &session)
    : session_(session), caches_(session.NewCaches()) {}

void Conversation::Reset() {
  caches_ = session_.NewCaches();
  cached_ = 0;
  pending_.reset();
  ids_.clear();
}

absl::StatusOr<AppendStats>
Conversation::Append(std::span<const int32_t> ids,
                     const std::function<bool(size_t, size_t)> &progress) {
  AppendStats stats;
  stats.start = int32_t(cached_);
  if (ids.empty())
    return stats;
  const uint32_t vocab = session_.meta().vocab_size;
  for (int32_t id : ids)
    if (id < 0 || uint32_t(id) >= vocab)
      return absl::InvalidArgumentError(fmt::format(
          "token {} is outside the vocabulary of {} ids", id, vocab));
  if (!Fits(ids.size()))
    return absl::OutOfRangeError(fmt::format(
        "{} more tokens do not fit: {} of the context's {} positions are used",
        ids.size(), used(), context()));
  std::vector<int32_t> feed;
  if (pending_)
    feed.push_back(*pending_);
  feed.insert(feed.end(), ids.begin(), ids.end() - 1);
  const auto start = std::chrono::steady_clock::now();
  size_t written = 0;
  if (!feed.empty())
    if (absl::Status s = session_.Prefill(feed, int32_t(cached_), *caches_,
                                          progress, &written);
        !s.ok()) {
      if (!absl::IsCancelled(s))
        return s;
      // Stopped: keep what was written (a consistent prefix of the turn,
      // the pending token first) and drop the rest; nothing is pending.
      stats.seconds = Since(start);
      stats.prefilled = written;
      stats.interrupted = true;
      if (written > 0) {
        const size_t from_ids = written - (pending_ ? 1 : 0);
        ids_.insert(ids_.end(), ids.begin(), ids.begin() + from_ids);
        cached_ += written;
        pending_.reset();
      }
      return stats;
    }
  stats.seconds = Since(start);
  stats.prefilled = feed.size();
  cached_ += feed.size();
  pending_ = ids.back();
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  return stats;
}

absl::StatusOr<ReplyStats>
Conversation::Reply(Sampler &sampler, const ReplyOptions &options,
                    const std::function<void(int32_t)> &on_token,
                    const std::atomic<bool> *stop) {
  ReplyStats stats;
  const std::vector<int32_t> &eos = session_.meta().eos_ids;
  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < options.max_tokens; ++step) {
    if (stop && stop->load()) {
      stats.interrupted = true;
      break;
    }
    if (!pending_)
      return absl::FailedPreconditionError(
          "nothing to continue from: append a prompt first");
    if (cached_ >= context()) {
      stats.hit_context = true;
      break;
    }
    int32_t token = 0;
    if (sampler.greedy() && !HostLogits()) {
      absl::StatusOr<int32_t> chosen =
          session_.DecodeArgmax(*pending_, int32_t(cached_), *caches_);
      if (!chosen.ok())
        return chosen.status();
      token = *chosen;
      ++cached_;
    } else if (const int k = sampler.top_candidates(); k > 0 && !HostLogits()) {
      absl::StatusOr<TopCandidates> top =
          session_.DecodeTopK(*pending_, int32_t(cached_), *caches_, k);
      if (!top.ok())
        return top.status();
      ++cached_;
      token = sampler.NextFromTop(top->ids, top->logits);
    } else {
      absl::StatusOr<std::vector<float>> logits =
          session_.Decode(*pending_, int32_t(cached_), *caches_);
      if (!logits.ok())
        return logits.status();
      ++cached_;
      const size_t window = std::min(options.penalty_window, ids_.size());
      token =
          sampler.Next(*logits, std::span(ids_).subspan(ids_.size() - window));
    }
    if (!options.ignore_eos &&
        std::find(eos.begin(), eos.end(), token) != eos.end()) {
      pending_.reset();
      stats.stopped_at_eos = true;
      break;
    }
    pending_ = token;
    ids_.push_back(token);
    ++stats.tokens;
    on_token(token);
  }
  stats.seconds = Since(start);
  return stats;
}

} // namespace gemma
