//===- RoleMatrix.h - A role's rows as the math reads them ------*- C++ -*-===//
//
// The converters (to .sbs, to GGUF) read every role as the plain [out, in]
// matrix the math uses, one f32 row at a time, whatever the source file
// stored: its row ranges concatenated (a stacked qkv_ein's K rows), a
// head-major tensor ([H * out, in_h], gemma.cpp's att_ein) read as
// [out, H * in_h], the tensor's scale applied. An absent role reads as
// zeros.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_ROLEMATRIX_H
#define RUNTIME_FORMATS_ROLEMATRIX_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gemma {

class RoleMatrix {
public:
  // `heads` splits a head-major tensor; it is unused otherwise.
  RoleMatrix(const ModelFile &model, const WeightRef &ref, uint32_t heads = 1);
  // A whole tensor by name (norms, scalars); "" is absent.
  RoleMatrix(const ModelFile &model, const std::string &name);

  bool present() const { return tensor_ != nullptr; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  // Row r (< rows()) into `out` (cols() values; zeros when absent).
  void Row(int64_t r, std::span<float> out) const;

private:
  void TensorRow(int64_t r, float *out) const;

  const WeightTensor *tensor_ = nullptr;
  std::vector<int64_t> source_rows_; // empty: the tensor's own rows
  int64_t heads_ = 1;                // > 1 only for head-major tensors
  int64_t rows_ = 0, cols_ = 0;
};

} // namespace gemma

#endif // RUNTIME_FORMATS_ROLEMATRIX_H
