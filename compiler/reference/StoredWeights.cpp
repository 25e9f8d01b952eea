//===- StoredWeights.cpp - Weight rows decoded from a weight file ---------===//

#include "compiler/reference/StoredWeights.h"

#include "runtime/weights/codecs/Decode.h"

#include <fmt/format.h>

namespace gemma::reference {

WeightRows StoredRows(const WeightTensor &tensor) {
  WeightRows rows;
  rows.rows = static_cast<int64_t>(tensor.rows);
  rows.cols = static_cast<int64_t>(tensor.cols);
  rows.decode = [tensor](int64_t row, float *out) {
    DecodeRange(tensor.type, tensor.bytes.data(), uint64_t(row) * tensor.cols,
                tensor.cols, out);
    if (tensor.scale != 1.0f)
      for (uint64_t i = 0; i < tensor.cols; ++i)
        out[i] *= tensor.scale;
  };
  return rows;
}

WeightProvider StoredWeightProvider(const ModelFile &model) {
  return [&model](const std::string &symbol) -> absl::StatusOr<WeightRows> {
    const WeightTensor *tensor = model.Find(symbol);
    if (!tensor)
      return absl::NotFoundError(
          fmt::format("no tensor '{}' in the weight file", symbol));
    return StoredRows(*tensor);
  };
}

} // namespace gemma::reference
