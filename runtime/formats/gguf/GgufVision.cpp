//===- GgufVision.cpp - llama.cpp's mmproj file for Gemma 3 ---------------===//

#include "runtime/formats/gguf/GgufVision.h"

#include "runtime/formats/VisionRoles.h"
#include "runtime/formats/gguf/GgufFile.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

namespace gemma {
namespace {

absl::Status Fail(const std::string &where, const std::string &what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", where, what));
}

// What the model keeps alive once an mmproj joins it: its own storage, the
// mapped mmproj, and the projector's transposed copy.
struct WithMmproj {
  std::shared_ptr<const void> text;
  gguf::GgufFile mmproj;
  std::vector<uint8_t> projection;
};

// The tower's shape from the clip.vision keys, as llama.cpp reads them.
absl::StatusOr<VisionSpec> SpecOf(const gguf::GgufFile &file) {
  VisionSpec spec;
  struct Key {
    int64_t *out;
    const char *key;
  };
  for (const Key &k : {Key{&spec.image_size, "clip.vision.image_size"},
                       Key{&spec.patch_size, "clip.vision.patch_size"},
                       Key{&spec.width, "clip.vision.embedding_length"},
                       Key{&spec.mlp, "clip.vision.feed_forward_length"},
                       Key{&spec.heads, "clip.vision.attention.head_count"},
                       Key{&spec.layers, "clip.vision.block_count"},
                       Key{&spec.text_width, "clip.vision.projection_dim"}}) {
    absl::StatusOr<uint64_t> v = file.GetUnsigned(k.key);
    if (!v.ok())
      return v.status();
    *k.out = int64_t(*v);
  }
  absl::StatusOr<double> eps =
      file.GetFloatOr("clip.vision.attention.layer_norm_epsilon", 1e-6);
  if (!eps.ok())
    return eps.status();
  spec.epsilon = float(*eps);
  // The pooling kernel: 4 unless the file says otherwise (small test
  // models), as llama.cpp reads it.
  absl::StatusOr<uint64_t> merge =
      file.GetUnsignedOr("clip.vision.projector.scale_factor", 4);
  if (!merge.ok())
    return merge.status();
  if (*merge < 1 || spec.patch_size < 1 ||
      spec.image_size / spec.patch_size % int64_t(*merge) != 0)
    return Fail(file.name(),
                fmt::format("a projector scale factor of {} does not divide "
                            "the patch grid",
                            *merge));
  const int64_t side = spec.image_size / spec.patch_size / int64_t(*merge);
  spec.soft_tokens = side * side;
  for (auto [key, values] : {std::pair{"clip.vision.image_mean", &spec.mean},
                             std::pair{"clip.vision.image_std", &spec.std}}) {
    if (!file.Find(key))
      continue;
    absl::StatusOr<const gguf::Value *> array =
        file.GetArray(key, gguf::ValueType::kF32, 3);
    if (!array.ok())
      return array.status();
    for (size_t c = 0; c < 3; ++c)
      (*values)[c] = float(gguf::ArrayFloat(**array, c));
  }
  return spec;
}

// The prompt's image tokens: the text model's config, else its tokenizer.
absl::Status ImageTokens(const ModelFile &model, VisionSpec &spec) {
  if (model.vision) {
    spec.begin_image = model.vision->begin_image;
    spec.end_image = model.vision->end_image;
    spec.image_token = model.vision->image_token;
    return absl::OkStatus();
  }
  if (!model.tokenizer)
    return Fail(model.source, "has no tokenizer to find the image tokens in");
  std::string error;
  auto tokenizer =
      SentencePieceTokenizer::FromSerializedProto(*model.tokenizer, &error);
  if (!tokenizer)
    return Fail(model.source, "tokenizer: " + error);
  struct Piece {
    int32_t *id;
    const char *text;
  };
  for (const Piece &p : {Piece{&spec.begin_image, "<start_of_image>"},
                         Piece{&spec.end_image, "<end_of_image>"},
                         Piece{&spec.image_token, "<image_soft_token>"}}) {
    const int id = tokenizer->PieceToId(p.text);
    if (id < 0 || tokenizer->IdToPiece(id) != p.text)
      return Fail(model.source,
                  fmt::format("the vocabulary has no {}: not an image-text "
                              "Gemma 3",
                              p.text));
    *p.id = id;
  }
  return absl::OkStatus();
}

} // namespace

absl::Status AddMmproj(const std::string &path, ModelFile &model) {
  absl::StatusOr<gguf::GgufFile> opened = gguf::GgufFile::Open(path);
  if (!opened.ok())
    return opened.status();
  return AddMmproj(*std::move(opened), model);
}

absl::Status AddMmproj(gguf::GgufFile opened, ModelFile &model) {
  auto storage = std::make_shared<WithMmproj>(
      WithMmproj{model.storage, std::move(opened), {}});
  const gguf::GgufFile &file = storage->mmproj;
  const std::string path = file.name();
  absl::StatusOr<std::string_view> arch =
      file.GetString("general.architecture");
  absl::StatusOr<std::string_view> projector =
      file.GetString("clip.projector_type");
  if (!arch.ok() || *arch != "clip")
    return Fail(path, "not an mmproj file (general.architecture is not "
                      "'clip')");
  if (!projector.ok() || *projector != "gemma3")
    return Fail(path, fmt::format("projector type '{}' is not supported "
                                  "(Gemma 3's 'gemma3' is)",
                                  projector.ok() ? *projector : "none"));
  absl::StatusOr<VisionSpec> spec = SpecOf(file);
  if (!spec.ok())
    return Fail(path, std::string(spec.status().message()));
  if (spec->text_width != int64_t(model.spec.model_dim))
    return Fail(path, fmt::format("the projector makes soft tokens of width "
                                  "{}, but {} has width {}: this mmproj is "
                                  "for another model",
                                  spec->text_width, model.source,
                                  model.spec.model_dim));
  if (absl::Status s = ImageTokens(model, *spec); !s.ok())
    return s;
  if (std::string problem = CheckVisionSpec(*spec); !problem.empty())
    return Fail(path, problem);
  for (const gguf::Tensor &t : file.tensors()) {
    std::optional<StoredType> type = FromGgmlType(t.ggml_type);
    if (!type)
      return Fail(path, fmt::format("tensor '{}' has a stored type this "
                                    "importer does not read",
                                    t.name));
    if (model.tensors.contains(t.name))
      return Fail(
          path, fmt::format("tensor '{}' is also in {}", t.name, model.source));
    WeightTensor w;
    w.name = t.name;
    w.type = *type;
    // A convolution kernel [out, channels, kh, kw] (ne reversed) is the
    // [out, channels * kh * kw] matrix of the patch matmul.
    w.cols = t.ne.size() == 4 ? t.ne[0] * t.ne[1] * t.ne[2] : t.ne[0];
    w.rows = w.cols ? t.elements() / w.cols : 0;
    w.bytes = t.bytes;
    model.tensors.emplace(t.name, w);
  }
  // llama.cpp keeps the projector as torch.matmul's [width, text width];
  // the builder reads [out, in].
  const WeightTensor *stored = model.Find("mm.input_projection.weight");
  if (!stored)
    return Fail(path, "tensor 'mm.input_projection.weight' is required but "
                      "not in the file");
  absl::StatusOr<std::vector<uint8_t>> transposed = TransposedBytes(*stored);
  if (!transposed.ok())
    return Fail(path, std::string(transposed.status().message()));
  storage->projection = *std::move(transposed);
  WeightTensor t = *stored;
  t.name = TransposedProjectionName(t.name);
  std::swap(t.rows, t.cols);
  t.bytes = storage->projection;
  model.tensors.emplace(t.name, t);
  model.vision = *spec;
  model.vision_format = "mmproj";
  model.vision_error.clear();
  model.storage = storage;
  return absl::OkStatus();
}

absl::StatusOr<VisionWeights> MmprojVisionWeights(const ModelFile &model) {
  if (!model.vision || model.vision_format != "mmproj")
    return Fail(model.source, "no mmproj vision tower was added");
  VisionNames names;
  names.spelling = VisionNames::Spelling::kMmproj;
  names.patch = "v.patch_embd.weight";
  names.patch_bias = "v.patch_embd.bias";
  names.position = "v.position_embd.weight";
  names.post_norm_weight = "v.post_ln.weight";
  names.post_norm_bias = "v.post_ln.bias";
  names.soft_norm = "mm.soft_emb_norm.weight";
  names.projection = TransposedProjectionName("mm.input_projection.weight");
  names.layer_prefix = "v.blk.{}.";
  names.owned = {"v.", "mm."};
  names.also_read = {"mm.input_projection.weight"};
  absl::StatusOr<VisionWeights> weights = MapVisionRoles(model, names);
  if (!weights.ok())
    return weights.status();
  // llama.cpp's converter stores Gemma's (1 + w) projector norm as 1 + w.
  weights->soft_norm_plain = true;
  return weights;
}

} // namespace gemma
