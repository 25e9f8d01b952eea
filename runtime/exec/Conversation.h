//===- Conversation.h - One sequence's cache across turns -------*- C++ -*-===//
//
// The state of one sequence on a PlanSession: its KV caches, the number of
// positions they hold, and the pending token (the last prompt token, or the
// last generated one, which is the next decode step's input and not yet in
// the cache). A turn appends ids (only they are prefilled: the cache keeps
// the earlier turns) and then generates a reply. docs/gemma-math.md 5.2: a
// prompt's tokens 0..n-2 are prefilled and token n-1 is the first decode input.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_EXEC_CONVERSATION_H
#define RUNTIME_EXEC_CONVERSATION_H

#include "runtime/exec/PlanSession.h"
#include "runtime/exec/Sampler.h"

#include <atomic>
#include <functional>
#include <optional>

namespace gemma {

struct AppendStats {
  size_t prefilled = 0; // tokens written to the cache by this call
  int32_t start = 0;    // the position of the first of them
  double seconds = 0;
  // The progress callback stopped the prefill: only the first `prefilled`
  // fed tokens are in the conversation, and nothing is pending (Reply needs
  // another Append first).
  bool interrupted = false;
};

struct ReplyStats {
  size_t tokens = 0; // generated, the stop token not counted
  double seconds = 0;
  bool stopped_at_eos = false;
  bool hit_context = false;
  bool interrupted = false;
};

struct ReplyOptions {
  int max_tokens = 64;
  bool ignore_eos = false;
  // How many of the latest ids the repetition penalty looks at.
  size_t penalty_window = kRepetitionWindow;
};

class Conversation {
public:
  explicit Conversation(PlanSession &session);

  // Positions held in the cache.
  size_t cached() const { return cached_; }
  // Positions used: the cache plus the pending token.
  size_t used() const { return cached_ + (pending_ ? 1 : 0); }
  uint32_t context() const { return session_.meta().context; }
  // Whether `n` more ids fit beside the ones held.
  bool Fits(size_t n) const { return used() + n <= context(); }

  // Appends `ids` (ids in range, and fitting). The pending token and all of
  // `ids` but the last are prefilled; the last becomes pending. `progress`
  // is PlanSession::Prefill's: it sees the prefill advance and may stop it.
  absl::StatusOr<AppendStats>
  Append(std::span<const int32_t> ids,
         const std::function<bool(size_t, size_t)> &progress = {});

  // Generates until an eos id (unless ignored), `max_tokens`, the end of the
  // context, or `*stop` turning true (checked before each step). `on_token`
  // sees each generated id as it comes. The stop token is dropped: the next
  // turn's template closes the answer itself.
  absl::StatusOr<ReplyStats> Reply(Sampler &sampler,
                                   const ReplyOptions &options,
                                   const std::function<void(int32_t)> &on_token,
                                   const std::atomic<bool> *stop = nullptr);

  // Forgets everything: fresh caches, position 0.
  void Reset();

  // Every id of the sequence so far, the pending one included.
  const std::vector<int32_t> &ids() const { return ids_; }

private:
  PlanSession &session_;
  std::unique_ptr<KvCaches> caches_;
  size_t cached_ = 0;
  std::optional<int32_t> pending_;
  std::vector<int32_t> ids_;
};

} // namespace gemma

#endif // RUNTIME_EXEC_CONVERSATION_H
