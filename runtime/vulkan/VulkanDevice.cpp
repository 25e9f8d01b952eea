//===- VulkanDevice.cpp - One Vulkan device for compute -------------------===//

#include "runtime/vulkan/VulkanDevice.h"

#include "runtime/CacheDirectory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

namespace gemma::vulkan {
namespace {

absl::Status Failed(const char *what, VkResult result) {
  return absl::InternalError(
      fmt::format("{} failed (VkResult {})", what, int(result)));
}

const char *TypeName(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated gpu";
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete gpu";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual gpu";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "cpu";
  default:
    return "other";
  }
}

absl::StatusOr<VkInstance> NewInstance() {
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "gemma-compiler";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  info.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r = vkCreateInstance(&info, nullptr, &instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED)
    return absl::UnavailableError(
        "no Vulkan driver on this machine (mesa-vulkan-drivers gives lavapipe "
        "on any CPU)");
  if (r != VK_SUCCESS)
    return Failed("vkCreateInstance", r);
  return instance;
}

absl::StatusOr<std::vector<VkPhysicalDevice>> Physicals(VkInstance instance) {
  uint32_t count = 0;
  if (VkResult r = vkEnumeratePhysicalDevices(instance, &count, nullptr);
      r != VK_SUCCESS)
    return Failed("vkEnumeratePhysicalDevices", r);
  std::vector<VkPhysicalDevice> devices(count);
  if (VkResult r = vkEnumeratePhysicalDevices(instance, &count, devices.data());
      r != VK_SUCCESS)
    return Failed("vkEnumeratePhysicalDevices", r);
  if (devices.empty())
    return absl::UnavailableError("no Vulkan device on this machine");
  return devices;
}

std::string DeviceLine(int index, const VkPhysicalDeviceProperties &p) {
  return fmt::format("{}: {} ({}, Vulkan {}.{}, driver {:#x})", index,
                     p.deviceName, TypeName(p.deviceType),
                     VK_API_VERSION_MAJOR(p.apiVersion),
                     VK_API_VERSION_MINOR(p.apiVersion), p.driverVersion);
}

} // namespace

absl::StatusOr<std::vector<std::string>> ListDevices() {
  absl::StatusOr<VkInstance> instance = NewInstance();
  if (!instance.ok())
    return instance.status();
  absl::StatusOr<std::vector<VkPhysicalDevice>> devices = Physicals(*instance);
  std::vector<std::string> lines;
  if (devices.ok())
    for (size_t i = 0; i < devices->size(); ++i) {
      VkPhysicalDeviceProperties p;
      vkGetPhysicalDeviceProperties((*devices)[i], &p);
      lines.push_back(DeviceLine(int(i), p));
    }
  vkDestroyInstance(*instance, nullptr);
  if (!devices.ok())
    return devices.status();
  return lines;
}

Buffer::~Buffer() {
  if (mapped_)
    vkUnmapMemory(device_, memory_);
  if (buffer_)
    vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_)
    vkFreeMemory(device_, memory_, nullptr);
}

absl::StatusOr<std::unique_ptr<Device>> Device::Create(int index) {
  std::unique_ptr<Device> device(new Device());
  if (absl::Status s = device->Init(index); !s.ok())
    return s;
  return device;
}

absl::Status Device::Init(int index) {
  absl::StatusOr<VkInstance> instance = NewInstance();
  if (!instance.ok())
    return instance.status();
  instance_ = *instance;
  absl::StatusOr<std::vector<VkPhysicalDevice>> devices = Physicals(instance_);
  if (!devices.ok())
    return devices.status();
  if (index < 0 || size_t(index) >= devices->size())
    return absl::NotFoundError(fmt::format(
        "no Vulkan device {} (this machine has {})", index, devices->size()));
  physical_ = (*devices)[size_t(index)];
  vkGetPhysicalDeviceProperties(physical_, &properties_);
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
  max_storage_range_ = properties_.limits.maxStorageBufferRange;
  // The matmul shader reduces with subgroupAdd (Vulkan 1.1 subgroups).
  VkPhysicalDeviceSubgroupProperties subgroups{};
  subgroups.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceProperties2 properties2{};
  properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties2.pNext = &subgroups;
  vkGetPhysicalDeviceProperties2(physical_, &properties2);
  if (VK_API_VERSION_MINOR(properties_.apiVersion) < 1 &&
      VK_API_VERSION_MAJOR(properties_.apiVersion) == 1)
    return absl::UnavailableError(fmt::format(
        "Vulkan device {} ({}) supports Vulkan 1.0 only (1.1 is needed)", index,
        properties_.deviceName));
  if (!(subgroups.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
      !(subgroups.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT))
    return absl::UnavailableError(fmt::format(
        "Vulkan device {} ({}) has no subgroup arithmetic in compute shaders",
        index, properties_.deviceName));
  subgroup_size_ = std::max<uint32_t>(1, subgroups.subgroupSize);

  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &families, nullptr);
  std::vector<VkQueueFamilyProperties> family(families);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &families, family.data());
  bool found = false;
  for (uint32_t i = 0; i < families && !found; ++i)
    if (family[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      queue_family_ = i;
      found = true;
    }
  if (!found)
    return absl::UnavailableError(
        fmt::format("Vulkan device {} ({}) has no compute queue", index,
                    properties_.deviceName));
  if (family[queue_family_].timestampValidBits > 0)
    timestamp_period_ = double(properties_.limits.timestampPeriod) * 1e-9;
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{};
  queue.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queue.queueFamilyIndex = queue_family_;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  VkDeviceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue;
  if (VkResult r = vkCreateDevice(physical_, &info, nullptr, &device_);
      r != VK_SUCCESS)
    return Failed("vkCreateDevice", r);
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pool{};
  pool.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = queue_family_;
  if (VkResult r = vkCreateCommandPool(device_, &pool, nullptr, &command_pool_);
      r != VK_SUCCESS)
    return Failed("vkCreateCommandPool", r);

  VkDescriptorSetLayoutBinding bindings[6];
  for (uint32_t b = 0; b < 6; ++b)
    bindings[b] = {b, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                   VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set{};
  set.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  set.bindingCount = 6;
  set.pBindings = bindings;
  if (VkResult r =
          vkCreateDescriptorSetLayout(device_, &set, nullptr, &set_layout_);
      r != VK_SUCCESS)
    return Failed("vkCreateDescriptorSetLayout", r);
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, 8 * 4};
  VkPipelineLayoutCreateInfo layout{};
  layout.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layout.setLayoutCount = 1;
  layout.pSetLayouts = &set_layout_;
  layout.pushConstantRangeCount = 1;
  layout.pPushConstantRanges = &push;
  if (VkResult r =
          vkCreatePipelineLayout(device_, &layout, nullptr, &pipeline_layout_);
      r != VK_SUCCESS)
    return Failed("vkCreatePipelineLayout", r);
  VkDescriptorPoolSize sizes{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 6 * 256};
  VkDescriptorPoolCreateInfo dpool{};
  dpool.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  dpool.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  dpool.maxSets = 256;
  dpool.poolSizeCount = 1;
  dpool.pPoolSizes = &sizes;
  if (VkResult r =
          vkCreateDescriptorPool(device_, &dpool, nullptr, &descriptor_pool_);
      r != VK_SUCCESS)
    return Failed("vkCreateDescriptorPool", r);
  VkFenceCreateInfo fence{};
  fence.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  if (VkResult r = vkCreateFence(device_, &fence, nullptr, &fence_);
      r != VK_SUCCESS)
    return Failed("vkCreateFence", r);
  LoadPipelineCache();
  return absl::OkStatus();
}

Device::~Device() {
  if (device_) {
    vkDeviceWaitIdle(device_);
    SavePipelineCache();
    for (auto &[key, pipeline] : pipelines_)
      vkDestroyPipeline(device_, pipeline, nullptr);
    for (auto &[shader, module] : modules_)
      vkDestroyShaderModule(device_, module, nullptr);
    if (pipeline_cache_)
      vkDestroyPipelineCache(device_, pipeline_cache_, nullptr);
    if (fence_)
      vkDestroyFence(device_, fence_, nullptr);
    if (descriptor_pool_)
      vkDestroyDescriptorPool(device_, descriptor_pool_, nullptr);
    if (pipeline_layout_)
      vkDestroyPipelineLayout(device_, pipeline_layout_, nullptr);
    if (set_layout_)
      vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
    if (command_pool_)
      vkDestroyCommandPool(device_, command_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (instance_)
    vkDestroyInstance(instance_, nullptr);
}

std::string Device::Describe() const {
  return fmt::format("vulkan: {} ({}, driver {:#x}), pipeline cache {}",
                     properties_.deviceName, TypeName(properties_.deviceType),
                     properties_.driverVersion,
                     cache_path_.empty()
                         ? std::string("in memory (no cache directory)")
                     : cache_loaded_bytes_
                         ? fmt::format("hit ({} KB from {})",
                                       cache_loaded_bytes_ / 1024, cache_path_)
                         : fmt::format("miss (will write {})", cache_path_));
}

void Device::LoadPipelineCache() {
  std::string root = CacheDirectory();
  std::vector<char> data;
  if (!root.empty()) {
    std::string uuid;
    for (uint8_t b : properties_.pipelineCacheUUID)
      uuid += fmt::format("{:02x}", b);
    cache_path_ = fmt::format("{}/vulkan/{:04x}-{:04x}-{:x}-{}.pipelines", root,
                              properties_.vendorID, properties_.deviceID,
                              properties_.driverVersion, uuid);
    std::ifstream in(cache_path_, std::ios::binary);
    if (in)
      data.assign(std::istreambuf_iterator<char>(in), {});
  }
  VkPipelineCacheCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  info.initialDataSize = data.size();
  info.pInitialData = data.empty() ? nullptr : data.data();
  // A cache the driver rejects (another version wrote it) starts empty.
  if (vkCreatePipelineCache(device_, &info, nullptr, &pipeline_cache_) !=
      VK_SUCCESS) {
    info.initialDataSize = 0;
    info.pInitialData = nullptr;
    data.clear();
    if (vkCreatePipelineCache(device_, &info, nullptr, &pipeline_cache_) !=
        VK_SUCCESS)
      pipeline_cache_ = VK_NULL_HANDLE;
  }
  cache_loaded_bytes_ = data.size();
}

void Device::SavePipelineCache() {
  if (cache_path_.empty() || !pipeline_cache_ || pipelines_built_ == 0)
    return;
  size_t size = 0;
  if (vkGetPipelineCacheData(device_, pipeline_cache_, &size, nullptr) !=
          VK_SUCCESS ||
      size == 0)
    return;
  std::vector<char> data(size);
  if (vkGetPipelineCacheData(device_, pipeline_cache_, &size, data.data()) !=
      VK_SUCCESS)
    return;
  std::error_code error;
  std::filesystem::create_directories(
      std::filesystem::path(cache_path_).parent_path(), error);
  // Written beside, then renamed: readers never see half a cache.
  const std::string partial =
      fmt::format("{}.{}.partial", cache_path_, static_cast<long>(getpid()));
  {
    std::ofstream out(partial, std::ios::binary);
    out.write(data.data(), std::streamsize(size));
    if (!out)
      return;
  }
  std::rename(partial.c_str(), cache_path_.c_str());
}

absl::StatusOr<uint32_t> Device::MemoryType(uint32_t bits,
                                            VkMemoryPropertyFlags want) const {
  for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i)
    if ((bits & (1u << i)) &&
        (memory_.memoryTypes[i].propertyFlags & want) == want)
      return i;
  return absl::ResourceExhaustedError("no suitable memory type");
}

absl::StatusOr<std::unique_ptr<Buffer>>
Device::NewBuffer(VkDeviceSize bytes, bool host_visible, bool zero) {
  std::unique_ptr<Buffer> buffer(new Buffer());
  buffer->device_ = device_;
  buffer->size_ = std::max<VkDeviceSize>(bytes, 16);
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = buffer->size_;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r = vkCreateBuffer(device_, &info, nullptr, &buffer->buffer_);
      r != VK_SUCCESS)
    return Failed("vkCreateBuffer", r);
  VkMemoryRequirements need;
  vkGetBufferMemoryRequirements(device_, buffer->buffer_, &need);
  absl::StatusOr<uint32_t> type =
      host_visible ? MemoryType(need.memoryTypeBits,
                                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
                   : MemoryType(need.memoryTypeBits,
                                VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  if (!type.ok() && !host_visible)
    type = MemoryType(need.memoryTypeBits, 0);
  if (!type.ok())
    return type.status();
  VkMemoryAllocateInfo alloc{};
  alloc.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  alloc.allocationSize = need.size;
  alloc.memoryTypeIndex = *type;
  if (VkResult r = vkAllocateMemory(device_, &alloc, nullptr, &buffer->memory_);
      r != VK_SUCCESS)
    return r == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
                   r == VK_ERROR_OUT_OF_HOST_MEMORY
               ? absl::ResourceExhaustedError(
                     fmt::format("out of device memory allocating {:.1f} MB",
                                 double(bytes) / 1e6))
               : Failed("vkAllocateMemory", r);
  vkBindBufferMemory(device_, buffer->buffer_, buffer->memory_, 0);
  const VkMemoryPropertyFlags flags = memory_.memoryTypes[*type].propertyFlags;
  if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
    if (VkResult r = vkMapMemory(device_, buffer->memory_, 0, VK_WHOLE_SIZE, 0,
                                 &buffer->mapped_);
        r != VK_SUCCESS)
      return Failed("vkMapMemory", r);
    if (!(flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) && host_visible)
      return absl::UnavailableError("no coherent host memory");
  }
  if (zero) {
    if (buffer->mapped_ && (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
      std::memset(buffer->mapped_, 0, size_t(buffer->size_));
    } else {
      if (absl::Status s = RunOnce([&](VkCommandBuffer cb) {
            vkCmdFillBuffer(cb, buffer->buffer_, 0, VK_WHOLE_SIZE, 0);
          });
          !s.ok())
        return s;
    }
  }
  return buffer;
}

absl::Status Device::Upload(Buffer &buffer, VkDeviceSize offset,
                            const void *data, size_t bytes) {
  if (bytes == 0)
    return absl::OkStatus();
  if (buffer.mapped()) {
    std::memcpy(static_cast<uint8_t *>(buffer.mapped()) + offset, data, bytes);
    return absl::OkStatus();
  }
  const size_t chunk = std::min<size_t>(bytes, size_t(64) << 20);
  absl::StatusOr<std::unique_ptr<Buffer>> staging = NewBuffer(chunk, true);
  if (!staging.ok())
    return staging.status();
  for (size_t done = 0; done < bytes; done += chunk) {
    const size_t n = std::min(chunk, bytes - done);
    std::memcpy((*staging)->mapped(), static_cast<const uint8_t *>(data) + done,
                n);
    const VkBufferCopy region{0, offset + done, n};
    if (absl::Status s = RunOnce([&](VkCommandBuffer cb) {
          vkCmdCopyBuffer(cb, (*staging)->handle(), buffer.handle(), 1,
                          &region);
        });
        !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status
Device::RunOnce(const std::function<void(VkCommandBuffer)> &record) {
  absl::StatusOr<VkCommandBuffer> cb = NewCommandBuffer();
  if (!cb.ok())
    return cb.status();
  record(*cb);
  vkEndCommandBuffer(*cb);
  absl::Status s = Run(*cb);
  FreeCommandBuffer(*cb);
  return s;
}

absl::StatusOr<VkPipeline> Device::Pipeline(Shader shader,
                                            const Specialization &spec) {
  auto key = std::make_pair(shader, spec);
  if (auto it = pipelines_.find(key); it != pipelines_.end())
    return it->second;
  VkShaderModule &module = modules_[shader];
  if (!module) {
    std::span<const uint32_t> code = ShaderCode(shader);
    VkShaderModuleCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    info.codeSize = code.size() * 4;
    info.pCode = code.data();
    if (VkResult r = vkCreateShaderModule(device_, &info, nullptr, &module);
        r != VK_SUCCESS)
      return Failed("vkCreateShaderModule", r);
  }
  std::vector<VkSpecializationMapEntry> entries;
  std::vector<uint32_t> values;
  for (const auto &[id, value] : spec) {
    entries.push_back({id, uint32_t(values.size() * 4), 4});
    values.push_back(value);
  }
  VkSpecializationInfo special{};
  special.mapEntryCount = uint32_t(entries.size());
  special.pMapEntries = entries.data();
  special.dataSize = values.size() * 4;
  special.pData = values.data();
  VkComputePipelineCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = &special;
  info.layout = pipeline_layout_;
  VkPipeline pipeline = VK_NULL_HANDLE;
  if (VkResult r = vkCreateComputePipelines(device_, pipeline_cache_, 1, &info,
                                            nullptr, &pipeline);
      r != VK_SUCCESS)
    return Failed("vkCreateComputePipelines", r);
  ++pipelines_built_;
  pipelines_[key] = pipeline;
  return pipeline;
}

absl::StatusOr<VkDescriptorSet>
Device::NewDescriptorSet(const std::array<const Buffer *, 6> &buffers) {
  VkDescriptorSetAllocateInfo alloc{};
  alloc.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
  alloc.descriptorPool = descriptor_pool_;
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &set_layout_;
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateDescriptorSets(device_, &alloc, &set);
      r != VK_SUCCESS)
    return Failed("vkAllocateDescriptorSets", r);
  VkDescriptorBufferInfo infos[6];
  VkWriteDescriptorSet writes[6];
  for (uint32_t b = 0; b < 6; ++b) {
    infos[b] = {buffers[b]->handle(), 0, VK_WHOLE_SIZE};
    writes[b] = {};
    writes[b].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[b].dstSet = set;
    writes[b].dstBinding = b;
    writes[b].descriptorCount = 1;
    writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[b].pBufferInfo = &infos[b];
  }
  vkUpdateDescriptorSets(device_, 6, writes, 0, nullptr);
  return set;
}

VkQueryPool Device::NewQueryPool(uint32_t count) {
  if (timestamp_period_ == 0)
    return VK_NULL_HANDLE;
  VkQueryPoolCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
  info.queryType = VK_QUERY_TYPE_TIMESTAMP;
  info.queryCount = count;
  VkQueryPool pool = VK_NULL_HANDLE;
  if (vkCreateQueryPool(device_, &info, nullptr, &pool) != VK_SUCCESS)
    return VK_NULL_HANDLE;
  return pool;
}

void Device::DestroyQueryPool(VkQueryPool pool) {
  if (pool)
    vkDestroyQueryPool(device_, pool, nullptr);
}

absl::Status Device::ReadTimestamps(VkQueryPool pool, uint32_t count,
                                    std::vector<uint64_t> &out) {
  out.resize(count);
  if (VkResult r = vkGetQueryPoolResults(
          device_, pool, 0, count, count * sizeof(uint64_t), out.data(),
          sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
      r != VK_SUCCESS)
    return Failed("vkGetQueryPoolResults", r);
  return absl::OkStatus();
}

void Device::FreeDescriptorSets(const std::vector<VkDescriptorSet> &sets) {
  if (!sets.empty())
    vkFreeDescriptorSets(device_, descriptor_pool_, uint32_t(sets.size()),
                         sets.data());
}

absl::StatusOr<VkCommandBuffer> Device::NewCommandBuffer() {
  VkCommandBufferAllocateInfo alloc{};
  alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  alloc.commandPool = command_pool_;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cb = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateCommandBuffers(device_, &alloc, &cb);
      r != VK_SUCCESS)
    return Failed("vkAllocateCommandBuffers", r);
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  vkBeginCommandBuffer(cb, &begin);
  return cb;
}

void Device::FreeCommandBuffer(VkCommandBuffer command_buffer) {
  vkFreeCommandBuffers(device_, command_pool_, 1, &command_buffer);
}

absl::Status Device::Run(VkCommandBuffer command_buffer) {
  VkSubmitInfo submit{};
  submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &command_buffer;
  vkResetFences(device_, 1, &fence_);
  if (VkResult r = vkQueueSubmit(queue_, 1, &submit, fence_); r != VK_SUCCESS)
    return Failed("vkQueueSubmit", r);
  if (VkResult r = vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX);
      r != VK_SUCCESS)
    return Failed("vkWaitForFences", r);
  return absl::OkStatus();
}

} // namespace gemma::vulkan
