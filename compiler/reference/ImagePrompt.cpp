//===- ImagePrompt.cpp - Images into a prompt's soft tokens ---------------===//

#include "compiler/reference/ImagePrompt.h"

#include "compiler/builder/VisionBuilder.h"
#include "compiler/reference/Interpreter.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/image/ImageDecode.h"
#include "runtime/image/Patches.h"
#include "runtime/image/PixelValues.h"

#include <fmt/format.h>

#include <algorithm>

namespace gemma::reference {
image::ImageProcessing ImageProcessingOf(const VisionSpec &spec) {
  image::ImageProcessing p;
  p.width = p.height = spec.image_size;
  p.filter =
      spec.resample == 3 ? image::Filter::kBicubic : image::Filter::kBilinear;
  p.rescale = spec.rescale;
  p.mean = spec.mean;
  p.std = spec.std;
  return p;
}

absl::StatusOr<Tensor>
SoftTokensAtRows(const ModelFile &model, std::span<const int32_t> prompt,
                 const std::vector<std::string> &images) {
  absl::StatusOr<VisionWeights> weights = VisionWeightsOf(model);
  if (!weights.ok())
    return weights.status();
  const VisionSpec &spec = *model.vision;
  absl::StatusOr<std::vector<int64_t>> runs =
      ImageRuns(prompt, spec, images.size());
  if (!runs.ok())
    return runs.status();
  mlir::MLIRContext context;
  auto module = BuildVisionEncoder(context, spec, *weights);
  if (!module.ok())
    return module.status();
  const WeightProvider provider = StoredWeightProvider(model);
  Tensor soft = Tensor::Zeros({int64_t(prompt.size()), spec.text_width});
  for (size_t i = 0; i < images.size(); ++i) {
    absl::StatusOr<image::RgbImage> decoded = image::ReadImageFile(images[i]);
    if (!decoded.ok())
      return decoded.status();
    Tensor patches;
    patches.shape = {spec.Patches(), spec.PatchValues()};
    patches.data = image::UnfoldPatches(
        image::PixelValues(*decoded, ImageProcessingOf(spec)), spec.channels,
        spec.image_size, spec.image_size, spec.patch_size);
    absl::StatusOr<std::vector<Value>> out =
        RunFunction(**module, VisionFunctionName(), {patches}, provider);
    if (!out.ok())
      return out.status();
    const Tensor &tokens = std::get<Tensor>((*out)[0]);
    std::copy(tokens.data.begin(), tokens.data.end(), soft.Row((*runs)[i]));
  }
  return soft;
}

} // namespace gemma::reference
