//===- WeightStore.h - A model's weights on a Vulkan device -----*- C++ -*-===//
//
// Every weight any program of a model asks for, uploaded once as stored, in
// device buffers no larger than the device's storage-buffer range (each
// starting with the SFP table the shaders decode through); a table larger
// than one buffer is split by rows.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_VULKAN_WEIGHTSTORE_H
#define RUNTIME_VULKAN_WEIGHTSTORE_H

#include "runtime/Backend.h"
#include "runtime/gpu/GpuWeight.h"
#include "runtime/vulkan/VulkanDevice.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gemma::vulkan {

constexpr uint32_t kLutWords = 256; // the SFP table at each buffer's start

// A weight in the device's weight buffer.
struct Stored : gpu::GpuWeight {
  // Rows [row_begin, row_end) at `word` (32-bit words) of weight buffer
  // `chunk`: one piece, unless the tensor is larger than one buffer can
  // bind (an embedding table on lavapipe).
  struct Piece {
    uint32_t chunk = 0;
    uint64_t word = 0;
    int64_t row_begin = 0, row_end = 0;
  };
  std::vector<Piece> pieces;
};

// Every weight any program has asked for, in device buffers ("chunks") no
// larger than the device's storage-buffer range (lavapipe's is 128 MiB),
// each starting with the SFP table. New weights go to new chunks; nothing
// already uploaded moves.
class WeightStore {
public:
  explicit WeightStore(Device &device) : device_(device) {}

  absl::Status Ensure(const std::vector<std::string> &names,
                      const WeightSource &source);

  const Stored *Find(const std::string &name) const {
    auto it = stored_.find(name);
    return it == stored_.end() ? nullptr : &it->second;
  }
  size_t chunks() const { return chunks_.size(); }
  const Buffer *chunk(size_t i) const { return chunks_[i].get(); }

private:
  Device &device_;
  std::map<std::string, Stored> stored_;
  std::vector<std::unique_ptr<Buffer>> chunks_;
};

} // namespace gemma::vulkan

#endif // RUNTIME_VULKAN_WEIGHTSTORE_H
