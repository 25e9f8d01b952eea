//===- VisionModel.cpp - A vision tower and its projector -----------------===//

#include "runtime/formats/VisionModel.h"

#include <cmath>
#include <fmt/format.h>

namespace gemma {

int64_t VisionSpec::PoolKernel() const {
  const auto side = int64_t(std::llround(std::sqrt(double(soft_tokens))));
  return side > 0 ? GridSide() / side : 0;
}

std::string TransposedProjectionName(const std::string &stored) {
  return stored + ".transposed";
}

std::string CheckVisionSpec(const VisionSpec &s) {
  for (auto [value, what] : {std::pair{s.image_size, "image_size"},
                             {s.patch_size, "patch_size"},
                             {s.width, "hidden_size"},
                             {s.mlp, "intermediate_size"},
                             {s.heads, "num_attention_heads"},
                             {s.layers, "num_hidden_layers"},
                             {s.soft_tokens, "mm_tokens_per_image"},
                             {s.text_width, "text width"}})
    if (value < 1)
      return fmt::format("{} is {}, expected a positive number", what, value);
  if (s.channels != 3)
    return fmt::format("num_channels is {}, expected 3 (RGB)", s.channels);
  if (s.image_size % s.patch_size != 0)
    return fmt::format("image_size {} is not a multiple of patch_size {}",
                       s.image_size, s.patch_size);
  if (s.width % s.heads != 0)
    return fmt::format("hidden_size {} is not a multiple of the {} heads",
                       s.width, s.heads);
  const auto side = int64_t(std::llround(std::sqrt(double(s.soft_tokens))));
  if (side * side != s.soft_tokens || s.GridSide() % side != 0)
    return fmt::format("mm_tokens_per_image {} is not a square whose side "
                       "divides the {} x {} patch grid",
                       s.soft_tokens, s.GridSide(), s.GridSide());
  if (!(s.epsilon > 0.0f) || !std::isfinite(s.epsilon))
    return fmt::format("layer_norm_eps {} is not a positive number", s.epsilon);
  if (s.resample != 2 && s.resample != 3)
    return fmt::format("resample {} is not 2 (bilinear) or 3 (bicubic)",
                       s.resample);
  for (float v : s.std)
    if (!(v != 0.0f) || !std::isfinite(v))
      return "image_std has a zero or non-finite entry";
  return "";
}

absl::StatusOr<std::vector<int64_t>>
ImageRuns(std::span<const int32_t> ids, const VisionSpec &spec, size_t images) {
  std::vector<int64_t> runs;
  for (size_t n = 0; n < ids.size();) {
    if (ids[n] != spec.image_token) {
      ++n;
      continue;
    }
    size_t end = n;
    while (end < ids.size() && ids[end] == spec.image_token)
      ++end;
    if (int64_t(end - n) != spec.soft_tokens)
      return absl::InvalidArgumentError(fmt::format(
          "the prompt's run {} of image tokens (id {}) at token {} has {} "
          "tokens; an image fills {}",
          runs.size() + 1, spec.image_token, n, end - n, spec.soft_tokens));
    runs.push_back(int64_t(n));
    n = end;
  }
  if (runs.size() != images)
    return absl::InvalidArgumentError(fmt::format(
        "the prompt has {} run{} of image tokens (id {}) but {} image{} "
        "{} given",
        runs.size(), runs.size() == 1 ? "" : "s", spec.image_token, images,
        images == 1 ? "" : "s", images == 1 ? "was" : "were"));
  return runs;
}

std::vector<int32_t> ImageHorizons(std::span<const int32_t> ids, int32_t start,
                                   int32_t image_token) {
  std::vector<int32_t> horizons(ids.size());
  for (size_t n = ids.size(); n-- > 0;) {
    const bool image = ids[n] == image_token;
    const bool run_continues =
        image && n + 1 < ids.size() && ids[n + 1] == image_token;
    horizons[n] = run_continues ? horizons[n + 1] : start + int32_t(n);
  }
  return horizons;
}

} // namespace gemma
