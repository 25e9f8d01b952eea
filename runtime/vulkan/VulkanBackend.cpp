//===- VulkanBackend.cpp - Plan programs on a Vulkan device ---------------===//

#include "runtime/vulkan/VulkanBackend.h"

#include "runtime/gpu/KernelTimes.h"
#include "runtime/gpu/RunInputs.h"
#include "runtime/vulkan/Lowering.h"
#include "runtime/vulkan/VulkanDevice.h"
#include "runtime/vulkan/WeightStore.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace gemma::vulkan {
namespace {

using plan::Call;
using plan::Kernel;

using gpu::KernelTimes;

struct VulkanCaches : KvCaches {
  uint64_t id = 0;
  std::vector<int64_t> elements;
  std::unique_ptr<Buffer> buffer;
};

class VulkanProgram : public BackendProgram {
public:
  static absl::StatusOr<std::unique_ptr<VulkanProgram>>
  Create(Device &device, WeightStore &weights, const plan::Program &program,
         KernelTimes *const &profile) {
    std::unique_ptr<VulkanProgram> p(
        new VulkanProgram(device, weights, profile));
    absl::StatusOr<LoweredProgram> lowered =
        LowerProgram(device, weights, program);
    if (!lowered.ok())
      return lowered.status();
    p->dispatches_ = std::move(lowered->dispatches);
    p->vocab_ = lowered->vocab;
    p->arg_elements_ = program.arg_elements;
    if (lowered->output) {
      p->output_ = *lowered->output;
      p->has_output_ = true;
    }
    if (lowered->argmax) {
      p->argmax_ = *lowered->argmax;
      p->chosen_ = lowered->chosen;
      p->has_argmax_ = true;
    }
    const int64_t arena = lowered->arena_elements;
    auto buffer = [&](int64_t elements, bool host) {
      return device.NewBuffer(uint64_t(std::max<int64_t>(elements, 1)) * 4,
                              host, true);
    };
    std::vector<float> params = std::move(lowered->params);
    if (params.empty())
      params.push_back(0.0f);
    for (auto [slot, elements, host] :
         {std::tuple(&p->arena_, arena, false),
          std::tuple(&p->ids_, program.arg_elements[0], true),
          std::tuple(&p->positions_, program.arg_elements[1], true),
          std::tuple(&p->params_, int64_t(params.size()), false),
          std::tuple(&p->readback_,
                     p->has_output_ ? p->output_.elements : int64_t(1), true),
          std::tuple(&p->chosen_readback_, program.arg_elements[0], true)}) {
      absl::StatusOr<std::unique_ptr<Buffer>> made = buffer(elements, host);
      if (!made.ok())
        return made.status();
      *slot = *std::move(made);
    }
    if (absl::Status s =
            device.Upload(*p->params_, 0, params.data(), params.size() * 4);
        !s.ok())
      return s;
    return p;
  }

  ~VulkanProgram() override {
    Forget();
    device_.DestroyQueryPool(queries_);
  }

  absl::StatusOr<std::vector<float>> Run(std::span<const int32_t> ids,
                                         std::span<const int32_t> positions,
                                         KvCaches &kv) override {
    if (absl::Status s = Execute(ids, positions, kv, false); !s.ok())
      return s;
    if (!has_output_)
      return std::vector<float>();
    const float *data = static_cast<const float *>(readback_->mapped());
    return std::vector<float>(data, data + output_.elements);
  }

  absl::StatusOr<std::vector<int32_t>>
  RunArgmax(std::span<const int32_t> ids, std::span<const int32_t> positions,
            KvCaches &kv) override {
    if (!has_argmax_)
      return BackendProgram::RunArgmax(ids, positions, kv);
    if (absl::Status s = Execute(ids, positions, kv, true); !s.ok())
      return s;
    const int32_t *data =
        static_cast<const int32_t *>(chosen_readback_->mapped());
    return std::vector<int32_t>(data, data + chosen_.elements);
  }

  // Writes ids and positions, (re)records when the caches or profiling
  // changed, submits and waits.
  absl::Status Execute(std::span<const int32_t> ids,
                       std::span<const int32_t> positions, KvCaches &kv,
                       bool argmax) {
    auto &caches = static_cast<VulkanCaches &>(kv);
    if (absl::Status s = gpu::CheckRunInputs(ids, positions, arg_elements_,
                                             caches.elements, vocab_);
        !s.ok())
      return s;
    std::memcpy(ids_->mapped(), ids.data(), ids.size() * 4);
    std::memcpy(positions_->mapped(), positions.data(), positions.size() * 4);
    const bool timed = profile_ != nullptr && device_.timestamp_period() > 0;
    Recording &rec = recordings_[argmax ? 1 : 0];
    if (rec.caches != caches.id || rec.timed != timed || !rec.cb)
      if (absl::Status s = Record(rec, caches, timed, argmax); !s.ok())
        return s;
    if (absl::Status s = device_.Run(rec.cb); !s.ok())
      return s;
    if (timed) {
      std::vector<uint64_t> ticks;
      const size_t count = dispatches_.size() + (argmax ? 1 : 0);
      if (absl::Status s =
              device_.ReadTimestamps(queries_, uint32_t(count + 1), ticks);
          !s.ok())
        return s;
      for (size_t d = 0; d < count; ++d) {
        const Dispatch &dispatch =
            d < dispatches_.size() ? dispatches_[d] : argmax_;
        profile_->Add(dispatch.kernel,
                      double(ticks[d + 1] - ticks[d]) *
                          device_.timestamp_period(),
                      dispatch.first, dispatch.weight_bytes);
      }
    }
    return absl::OkStatus();
  }

private:
  VulkanProgram(Device &device, WeightStore &weights,
                KernelTimes *const &profile)
      : device_(device), weights_(weights), profile_(profile) {}

  // One recorded command buffer per mode (logits back, or the device's
  // greedy pick) and the cache set and profiling it was recorded for.
  struct Recording {
    VkCommandBuffer cb = VK_NULL_HANDLE;
    std::vector<VkDescriptorSet> sets;
    uint64_t caches = 0;
    bool timed = false;
  };

  void Forget(Recording &rec) {
    if (rec.cb)
      device_.FreeCommandBuffer(rec.cb);
    rec.cb = VK_NULL_HANDLE;
    device_.FreeDescriptorSets(rec.sets);
    rec.sets.clear();
  }
  void Forget() {
    for (Recording &rec : recordings_)
      Forget(rec);
  }

  // Records every dispatch, with a barrier after each, and the copy of the
  // result into the host-visible readback buffer. One descriptor set per
  // weight chunk, bound when the chunk changes.
  absl::Status Record(Recording &rec, const VulkanCaches &caches, bool timed,
                      bool argmax) {
    Forget(rec);
    if (timed && !queries_)
      queries_ = device_.NewQueryPool(uint32_t(dispatches_.size() + 2));
    timed = timed && queries_;
    std::vector<VkDescriptorSet> &sets_ = rec.sets;
    for (size_t c = 0; c < weights_.chunks(); ++c) {
      absl::StatusOr<VkDescriptorSet> set = device_.NewDescriptorSet(
          {arena_.get(), ids_.get(), positions_.get(), weights_.chunk(c),
           caches.buffer.get(), params_.get()});
      if (!set.ok())
        return set.status();
      sets_.push_back(*set);
    }
    absl::StatusOr<VkCommandBuffer> cb = device_.NewCommandBuffer();
    if (!cb.ok())
      return cb.status();
    rec.cb = *cb;
    VkMemoryBarrier barrier{};
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT |
                            VK_ACCESS_SHADER_WRITE_BIT |
                            VK_ACCESS_TRANSFER_READ_BIT;
    uint32_t bound = UINT32_MAX;
    if (timed) {
      vkCmdResetQueryPool(*cb, queries_, 0, uint32_t(dispatches_.size() + 2));
      vkCmdWriteTimestamp(*cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_,
                          0);
    }
    uint32_t query = 1;
    std::vector<const Dispatch *> all;
    for (const Dispatch &d : dispatches_)
      all.push_back(&d);
    if (argmax)
      all.push_back(&argmax_);
    for (const Dispatch *dp : all) {
      const Dispatch &d = *dp;
      if (d.chunk != bound) {
        vkCmdBindDescriptorSets(*cb, VK_PIPELINE_BIND_POINT_COMPUTE,
                                device_.pipeline_layout(), 0, 1,
                                &sets_[d.chunk], 0, nullptr);
        bound = d.chunk;
      }
      vkCmdBindPipeline(*cb, VK_PIPELINE_BIND_POINT_COMPUTE, d.pipeline);
      vkCmdPushConstants(*cb, device_.pipeline_layout(),
                         VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(PushConstants),
                         &d.push);
      const uint32_t x = std::min<uint32_t>(d.groups, 65535);
      vkCmdDispatch(*cb, x, (d.groups + x - 1) / x, 1);
      vkCmdPipelineBarrier(*cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                           0, 1, &barrier, 0, nullptr, 0, nullptr);
      if (timed)
        vkCmdWriteTimestamp(*cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_,
                            query++);
    }
    if (argmax) {
      VkBufferCopy region{uint64_t(chosen_.offset) * 4, 0,
                          uint64_t(chosen_.elements) * 4};
      vkCmdCopyBuffer(*cb, arena_->handle(), chosen_readback_->handle(), 1,
                      &region);
    } else if (has_output_) {
      VkBufferCopy region{uint64_t(output_.offset) * 4, 0,
                          uint64_t(output_.elements) * 4};
      vkCmdCopyBuffer(*cb, arena_->handle(), readback_->handle(), 1, &region);
    }
    if (VkResult r = vkEndCommandBuffer(*cb); r != VK_SUCCESS)
      return absl::InternalError("vkEndCommandBuffer failed");
    rec.caches = caches.id;
    rec.timed = timed;
    return absl::OkStatus();
  }

  Device &device_;
  WeightStore &weights_;
  std::vector<Dispatch> dispatches_;
  std::vector<int64_t> arg_elements_;
  int64_t vocab_ = -1;
  plan::Buffer output_;
  bool has_output_ = false;
  std::unique_ptr<Buffer> arena_, ids_, positions_, params_, readback_;
  Recording recordings_[2];
  Dispatch argmax_;
  bool has_argmax_ = false;
  plan::Buffer chosen_; // the argmax's ids, in the arena
  std::unique_ptr<Buffer> chosen_readback_;
  KernelTimes *const &profile_;
  VkQueryPool queries_ = VK_NULL_HANDLE;
};

class VulkanBackend : public gpu::ProfiledBackend {
public:
  explicit VulkanBackend(std::unique_ptr<Device> device)
      : device_(std::move(device)), weights_(*device_) {}

  std::string name() const override { return "vulkan"; }
  std::string Describe() const override { return device_->Describe(); }

  std::unique_ptr<KvCaches>
  NewCaches(std::span<const int64_t> elements) override {
    auto caches = std::make_unique<VulkanCaches>();
    caches->id = ++next_caches_id_;
    caches->elements.assign(elements.begin(), elements.end());
    int64_t total = 0;
    for (int64_t n : elements)
      total += n;
    absl::StatusOr<std::unique_ptr<Buffer>> buffer = device_->NewBuffer(
        uint64_t(std::max<int64_t>(total, 1)) * 4, false, true);
    if (!buffer.ok())
      throw std::bad_alloc();
    caches->buffer = *std::move(buffer);
    return caches;
  }

  absl::StatusOr<std::unique_ptr<BackendProgram>>
  Compile(const plan::Program &program, const WeightSource &weights) override {
    if (absl::Status s = plan::ValidateProgram(program); !s.ok())
      return s;
    std::vector<std::string> names;
    for (const Call &call : program.calls)
      names.insert(names.end(), call.weights.begin(), call.weights.end());
    if (absl::Status s = weights_.Ensure(names, weights); !s.ok())
      return absl::Status(s.code(), fmt::format("{}: {}", program.name,
                                                std::string(s.message())));
    absl::StatusOr<std::unique_ptr<VulkanProgram>> bound =
        VulkanProgram::Create(*device_, weights_, program, profiling());
    if (!bound.ok())
      return bound.status();
    return std::unique_ptr<BackendProgram>(*std::move(bound));
  }

private:
  std::unique_ptr<Device> device_;
  WeightStore weights_;
  uint64_t next_caches_id_ = 0;
};

} // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateVulkanBackend(int device) {
  absl::StatusOr<std::unique_ptr<Device>> created = Device::Create(device);
  if (!created.ok())
    return created.status();
  return std::unique_ptr<Backend>(
      std::make_unique<VulkanBackend>(*std::move(created)));
}

BackendRegistration VulkanRegistration() {
  return {
      .name = "vulkan",
      .title = "Vulkan",
      .plan_target = "vulkan",
      .numbered = true,
      .devices =
          [] {
            absl::StatusOr<std::vector<std::string>> devices = ListDevices();
            if (!devices.ok())
              return std::vector<std::string>{
                  fmt::format("vulkan: none ({})",
                              std::string(devices.status().message()))};
            std::vector<std::string> lines;
            for (const std::string &line : *devices)
              lines.push_back("vulkan:" + line);
            return lines;
          },
      .create = [](int device, int) { return CreateVulkanBackend(device); }};
}

} // namespace gemma::vulkan
