//===- Toc.h - The tensor table (`toc` blob) of a .sbs ---------*- C++ -*-===//
//
// docs/formats/sbs.md section 4.6: one top-level MatPtr record per tensor blob.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBS_TOC_H
#define RUNTIME_FORMATS_SBS_TOC_H

#include "runtime/formats/sbs/ModelConfig.h"

#include <string>
#include <vector>

namespace gemma::sbs {

struct TensorRecord {
  static constexpr const char *kName = "MatPtr";
  std::string name;
  StoredType type = StoredType::kUnknown;
  uint32_t element_bytes = 0;
  uint32_t num_elements = 0; // bytes / element_bytes; NUQ and I8 count bytes
  uint32_t rows = 0;
  uint32_t cols = 0;
  float scale = 1.0f;
  uint32_t stride = 0; // written as cols; ignored by readers

  template <class V> void VisitFields(V &v) {
    v("name", name);
    v("type", type);
    v("element_bytes", element_bytes);
    v("num_elements", num_elements);
    v("rows", rows);
    v("cols", cols);
    v("scale", scale);
    v("stride", stride);
  }

  // A record as gemma.cpp writes it for a packed tensor.
  static TensorRecord For(std::string name, StoredType type, uint32_t rows,
                          uint32_t cols, float scale);
};

absl::StatusOr<std::vector<TensorRecord>>
ReadToc(std::span<const uint8_t> blob);

std::vector<uint8_t> WriteToc(const std::vector<TensorRecord> &records);

} // namespace gemma::sbs

#endif // RUNTIME_FORMATS_SBS_TOC_H
