//===- Progress.h - A progress bar for long tool runs ----------*- C++ -*-===//

#ifndef TOOLS_COMMON_PROGRESS_H
#define TOOLS_COMMON_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace gemma {

// Draws `[#####-----] 45% 1.2/2.6 GB label` on stderr, redrawn in place, only
// when stderr is a terminal (logs and pipes get nothing). Redraws at most
// ten times a second.
class ProgressBar {
public:
  ProgressBar();
  ~ProgressBar();

  void Update(uint64_t done_bytes, uint64_t total_bytes,
              const std::string &label);
  // `[#####-----] 45% 1200/2600 tokens, 650 tok/s`: counts, the rate since
  // `start`; drawn only once `delay` has passed since it (work that ends
  // sooner shows nothing).
  void UpdateCount(uint64_t done, uint64_t total, const char *unit,
                   std::chrono::steady_clock::time_point start,
                   std::chrono::milliseconds delay);
  // Clears the bar's line.
  void Finish();

private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

} // namespace gemma

#endif // TOOLS_COMMON_PROGRESS_H
