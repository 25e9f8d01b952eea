//===- VulkanDevice.h - One Vulkan device for compute -----------*- C++ -*-===//
//
// The Vulkan objects the backend needs and nothing of graphics: an instance
// without surfaces (headless), one physical device and a compute queue,
// buffers (device-local where the device has such memory, host-visible for
// ids, positions and results), the compute pipelines of kernels/vulkan
// (built on first use per shader and specialization, kept, and stored in a
// VkPipelineCache that lives on disk under the user's cache directory,
// keyed by the device's UUID and driver version, written atomically).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_VULKAN_VULKANDEVICE_H
#define RUNTIME_VULKAN_VULKANDEVICE_H

#include "kernels/vulkan/Shaders.h"

#include "absl/status/statusor.h"

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gemma::vulkan {

// One line per Vulkan device of this machine ("0: llvmpipe (...), cpu").
absl::StatusOr<std::vector<std::string>> ListDevices();

class Device;

// A VkBuffer with its memory; mapped when host-visible.
class Buffer {
public:
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer();
  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  // Null unless the memory is host-visible.
  void *mapped() const { return mapped_; }

private:
  friend class Device;
  Buffer() = default;
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  void *mapped_ = nullptr;
};

// A pipeline's specialization: constant id -> 4-byte value.
using Specialization = std::map<uint32_t, uint32_t>;

class Device {
public:
  // Device `index` of ListDevices(); fails with one line when there is no
  // Vulkan driver or no such device.
  static absl::StatusOr<std::unique_ptr<Device>> Create(int index);
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;
  ~Device();

  // Name, type, driver; and whether the pipeline cache came from disk.
  std::string Describe() const;

  // Zero-filled when `zero`.
  absl::StatusOr<std::unique_ptr<Buffer>>
  NewBuffer(VkDeviceSize bytes, bool host_visible, bool zero = false);
  // Copies `bytes` into `buffer` at `offset` (through a staging buffer
  // when the buffer is not host-visible).
  absl::Status Upload(Buffer &buffer, VkDeviceSize offset, const void *data,
                      size_t bytes);

  absl::StatusOr<VkPipeline> Pipeline(Shader shader,
                                      const Specialization &spec);
  VkPipelineLayout pipeline_layout() const { return pipeline_layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }

  // A descriptor set over buffers 0..5 (see kernels/vulkan/common.glsl).
  absl::StatusOr<VkDescriptorSet>
  NewDescriptorSet(const std::array<const Buffer *, 6> &buffers);
  void FreeDescriptorSets(const std::vector<VkDescriptorSet> &sets);
  absl::StatusOr<VkCommandBuffer> NewCommandBuffer();
  void FreeCommandBuffer(VkCommandBuffer command_buffer);
  // Submits and waits.
  absl::Status Run(VkCommandBuffer command_buffer);
  // Records a one-off command buffer with `record`, runs it, frees it.
  absl::Status RunOnce(const std::function<void(VkCommandBuffer)> &record);

  // A timestamp query pool of `count` queries (null when the queue cannot
  // write timestamps); seconds per tick.
  VkQueryPool NewQueryPool(uint32_t count);
  void DestroyQueryPool(VkQueryPool pool);
  absl::Status ReadTimestamps(VkQueryPool pool, uint32_t count,
                              std::vector<uint64_t> &out);
  double timestamp_period() const { return timestamp_period_; }

  uint64_t max_storage_range() const { return max_storage_range_; }
  uint32_t subgroup_size() const { return subgroup_size_; }

private:
  Device() = default;
  absl::Status Init(int index);
  absl::StatusOr<uint32_t> MemoryType(uint32_t bits,
                                      VkMemoryPropertyFlags want) const;
  void LoadPipelineCache();
  void SavePipelineCache();

  VkInstance instance_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkCommandPool command_pool_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptor_pool_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout_ = VK_NULL_HANDLE;
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  std::map<Shader, VkShaderModule> modules_;
  std::map<std::pair<Shader, Specialization>, VkPipeline> pipelines_;
  std::string cache_path_;
  size_t cache_loaded_bytes_ = 0;
  uint64_t pipelines_built_ = 0;
  uint64_t max_storage_range_ = 0;
  uint32_t subgroup_size_ = 1;
  double timestamp_period_ = 0; // seconds per tick; 0 without timestamps
};

} // namespace gemma::vulkan

#endif // RUNTIME_VULKAN_VULKANDEVICE_H
