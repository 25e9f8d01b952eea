//===- VisionModel.h - A vision tower and its projector ---------*- C++ -*-===//
//
// Gemma 3's image path (docs/vision.md): a SigLIP encoder over the patches of
// one square image, then the projector that pools them to soft tokens in the
// text model's width. The shape, the preprocessing that makes its input, the
// prompt tokens around an image, and the stored tensors by role.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_VISIONMODEL_H
#define RUNTIME_FORMATS_VISIONMODEL_H

#include "runtime/formats/ModelWeights.h"

#include "absl/status/statusor.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gemma {

struct VisionSpec {
  int64_t image_size = 0; // the square input's side, pixels
  int64_t patch_size = 0;
  int64_t channels = 3;
  int64_t width = 0; // the encoder's hidden size
  int64_t mlp = 0;   // its MLP's hidden size
  int64_t heads = 0;
  int64_t layers = 0;
  float epsilon = 1e-6f;   // every LayerNorm's, and the projector's RMSNorm's
  int64_t soft_tokens = 0; // per image, a square number
  int64_t text_width = 0;
  // The prompt: each image is begin_image, soft_tokens image tokens,
  // end_image; the image tokens' embeddings are replaced by the soft tokens.
  int32_t begin_image = -1, end_image = -1, image_token = -1;
  // Preprocessing (preprocessor_config.json): resize to image_size with
  // Pillow's filter (2 bilinear, 3 bicubic), x * rescale, (x - mean) / std.
  int resample = 2;
  double rescale = 1.0 / 255.0;
  std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> std = {0.5f, 0.5f, 0.5f};

  int64_t GridSide() const { return image_size / patch_size; }
  int64_t Patches() const { return GridSide() * GridSide(); }
  int64_t PatchValues() const { return channels * patch_size * patch_size; }
  int64_t PoolKernel() const;
  int64_t HeadDim() const { return width / heads; }
};

struct VisionLayerWeights {
  std::string norm1_weight, norm1_bias, norm2_weight, norm2_bias;
  std::string q, q_bias, k, k_bias, v, v_bias, out, out_bias;
  std::string fc1, fc1_bias, fc2, fc2_bias;
};

struct VisionWeights {
  std::map<std::string, TensorInfo> tensors;
  // The patch embedding's convolution viewed as [width, channels * p * p]
  // (rows of the unfolded patch, channel-major), and its bias.
  std::string patch, patch_bias;
  std::string position; // [patches, width]
  std::vector<VisionLayerWeights> layers;
  std::string post_norm_weight, post_norm_bias;
  std::string soft_norm;        // [width], Gemma's (1 + w) RMSNorm
  bool soft_norm_plain = false; // the stored weight is 1 + w already
  std::string projection;       // [text width, width] (stored transposed in HF)
};

// The projector's matrix is stored [width, text width] (a torch.matmul
// operand, in checkpoints and mmproj files alike); the loaders add a
// transposed copy, [text width, width], under this name.
std::string TransposedProjectionName(const std::string &stored);

// A readable reason the spec cannot be built, or empty.
std::string CheckVisionSpec(const VisionSpec &spec);

// The first row of each image's run of image tokens in `ids`, checked
// against the images given: as many runs as images, each of
// spec.soft_tokens tokens (one image's soft tokens fill one run).
absl::StatusOr<std::vector<int64_t>>
ImageRuns(std::span<const int32_t> ids, const VisionSpec &spec, size_t images);

// How far each prompt row sees (the horizons of @prefill_image_T): for a
// row of `image_token`, the position of the last row of its run of image
// tokens (one image); for any other row, its own position. Rows are at
// positions start, start + 1, ...
std::vector<int32_t> ImageHorizons(std::span<const int32_t> ids, int32_t start,
                                   int32_t image_token);

} // namespace gemma

#endif // RUNTIME_FORMATS_VISIONMODEL_H
