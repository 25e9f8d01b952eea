//===- ArenaPlanner.cpp - First-fit placement of buffers in one arena -----===//

#include "compiler/plan/ArenaPlanner.h"

#include <iterator>

namespace gemma {

int64_t ArenaPlanner::Allocate(int64_t size) {
  size = Round(size);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < size)
      continue;
    const int64_t offset = it->first, left = it->second - size;
    free_.erase(it);
    if (left > 0)
      free_[offset + size] = left;
    return offset;
  }
  // A free range at the end of the arena grows instead of being skipped.
  if (!free_.empty()) {
    auto last = std::prev(free_.end());
    if (last->first + last->second == size_) {
      const int64_t offset = last->first;
      free_.erase(last);
      size_ = offset + size;
      return offset;
    }
  }
  const int64_t offset = size_;
  size_ += size;
  return offset;
}

void ArenaPlanner::Release(int64_t offset, int64_t size) {
  size = Round(size);
  auto it = free_.emplace(offset, size).first;
  auto next = std::next(it);
  if (next != free_.end() && it->first + it->second == next->first) {
    it->second += next->second;
    free_.erase(next);
  }
  if (it != free_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      free_.erase(it);
    }
  }
}

} // namespace gemma
