//===- RoleMatrix.cpp - A weight role's rows, whatever the file stored ----===//

#include "runtime/formats/RoleMatrix.h"

#include "runtime/weights/codecs/Decode.h"

#include <algorithm>

namespace gemma {

RoleMatrix::RoleMatrix(const ModelFile &model, const WeightRef &ref,
                       uint32_t heads) {
  if (!ref.present())
    return;
  tensor_ = model.Find(ref.tensor);
  if (!tensor_)
    return;
  for (auto [begin, end] : ref.rows)
    for (int64_t r = begin; r < end; ++r)
      source_rows_.push_back(r);
  const int64_t stored_rows = source_rows_.empty()
                                  ? int64_t(tensor_->rows)
                                  : int64_t(source_rows_.size());
  heads_ = ref.head_major ? std::max<int64_t>(1, heads) : 1;
  rows_ = stored_rows / heads_;
  cols_ = int64_t(tensor_->cols) * heads_;
}

RoleMatrix::RoleMatrix(const ModelFile &model, const std::string &name)
    : tensor_(name.empty() ? nullptr : model.Find(name)) {
  if (tensor_) {
    rows_ = int64_t(tensor_->rows);
    cols_ = int64_t(tensor_->cols);
  }
}

void RoleMatrix::TensorRow(int64_t r, float *out) const {
  const int64_t row = source_rows_.empty() ? r : source_rows_[size_t(r)];
  DecodeRange(tensor_->type, tensor_->bytes.data(),
              uint64_t(row) * tensor_->cols, tensor_->cols, out);
  if (tensor_->scale != 1.0f)
    for (uint64_t i = 0; i < tensor_->cols; ++i)
      out[i] *= tensor_->scale;
}

void RoleMatrix::Row(int64_t r, std::span<float> out) const {
  if (!tensor_) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  // Head h's block holds rows h * rows_ .. (h + 1) * rows_ of the tensor.
  const int64_t in_h = int64_t(tensor_->cols);
  for (int64_t h = 0; h < heads_; ++h)
    TensorRow(h * rows_ + r, out.data() + h * in_h);
}

} // namespace gemma
