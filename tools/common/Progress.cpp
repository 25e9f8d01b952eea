//===- Progress.cpp - A progress bar for long tool runs -------------------===//

#include "tools/common/Progress.h"

#include <unistd.h>

#include <algorithm>

namespace gemma {

ProgressBar::ProgressBar() : enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(uint64_t done_bytes, uint64_t total_bytes,
                         const std::string &label) {
  if (!enabled_)
    return;
  const uint64_t total = std::max<uint64_t>(total_bytes, 1);
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) &&
      done_bytes < total)
    return;
  last_ = now;
  drawn_ = true;
  constexpr int kWidth = 30;
  double fraction = std::min(1.0, static_cast<double>(done_bytes) / total);
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '-');
  std::fprintf(stderr, "\r\033[K[%s] %3d%% %.2f/%.2f GB %s", bar.c_str(),
               static_cast<int>(fraction * 100), done_bytes / 1e9, total / 1e9,
               label.c_str());
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (enabled_ && drawn_)
    std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

} // namespace gemma
