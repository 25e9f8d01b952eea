//===- ArenaPlanner.h - First-fit placement of buffers in one arena -*- C++
//-*-===//
//
// Every intermediate of a bucket function lives at an offset of one arena.
// Buffers are placed in program order as they are defined and returned to
// the free list after their last reader, so later buffers reuse the space;
// adjacent free ranges merge. Offsets and sizes are rounded to `alignment`.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_PLAN_ARENAPLANNER_H
#define COMPILER_PLAN_ARENAPLANNER_H

#include <cstdint>
#include <map>

namespace gemma {

class ArenaPlanner {
public:
  explicit ArenaPlanner(int64_t alignment) : alignment_(alignment) {}

  // The lowest free offset with room for `size`, growing the arena if none.
  int64_t Allocate(int64_t size);
  // Returns [offset, offset + size) to the free list.
  void Release(int64_t offset, int64_t size);
  // The arena's size: the high-water mark of all placements.
  int64_t size() const { return size_; }

private:
  int64_t Round(int64_t size) const {
    return (size + alignment_ - 1) / alignment_ * alignment_;
  }

  int64_t alignment_;
  int64_t size_ = 0;
  std::map<int64_t, int64_t> free_; // offset -> size
};

} // namespace gemma

#endif // COMPILER_PLAN_ARENAPLANNER_H
