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

void ProgressBar::UpdateCount(uint64_t done, uint64_t total, const char *unit,
                              std::chrono::steady_clock::time_point start,
                              std::chrono::milliseconds delay) {
  if (!enabled_)
    return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start < delay ||
      (drawn_ && now - last_ < std::chrono::milliseconds(100)))
    return;
  last_ = now;
  drawn_ = true;
  constexpr int kWidth = 30;
  const double fraction =
      std::min(1.0, static_cast<double>(done) / std::max<uint64_t>(total, 1));
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '-');
  const double seconds = std::chrono::duration<double>(now - start).count();
  std::fprintf(stderr, "\r\033[K[%s] %3d%% %llu/%llu %s, %.0f %s/s",
               bar.c_str(), static_cast<int>(fraction * 100),
               static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total), unit,
               seconds > 0 ? done / seconds : 0.0, unit);
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (enabled_ && drawn_)
    std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

} // namespace gemma
