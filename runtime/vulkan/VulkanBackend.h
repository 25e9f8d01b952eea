//===- VulkanBackend.h - Plan programs on a Vulkan device -------*- C++ -*-===//
//
// The Backend interface on a Vulkan device (kernels/vulkan's compute
// shaders): weights uploaded once, as stored (every type the CPU reads,
// decoded in the shaders); the KV caches of a sequence in one device buffer;
// each bucket program's kernel calls recorded once into a command buffer per
// cache set and replayed per run, only ids and positions written and the logits
// read back.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_VULKAN_VULKANBACKEND_H
#define RUNTIME_VULKAN_VULKANBACKEND_H

#include "runtime/Backend.h"

#include <memory>

namespace gemma::vulkan {

// Device `device` of vulkan::ListDevices(); one line when there is no
// Vulkan driver or device.
absl::StatusOr<std::unique_ptr<Backend>> CreateVulkanBackend(int device);

// Its entry in the backend registry.
BackendRegistration VulkanRegistration();

} // namespace gemma::vulkan

#endif // RUNTIME_VULKAN_VULKANBACKEND_H
