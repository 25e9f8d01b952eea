//===- RopeTables.h - RoPE frequencies in a GPU program's parameters -*- C++
//-*-===//

#ifndef RUNTIME_GPU_ROPETABLES_H
#define RUNTIME_GPU_ROPETABLES_H

#include <cmath>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace gemma::gpu {

// The RoPE tables of a program's parameter buffer: per (base, scale,
// fraction, dim), the inverse frequency of each turned pair over the
// linear scale as two floats hi + lo (the kernels form angles in
// double-float from them). Each table once, where it was first asked for.
class RopeTables {
public:
  // The table's offset in `params` (appended on first use); `pairs` the
  // pairs it turns.
  int64_t Find(double base, double scale, double fraction, int64_t dim,
               std::vector<float> &params, int64_t &pairs) {
    pairs = int64_t(std::floor(fraction * double(dim) / 2.0));
    const auto key = std::make_tuple(base, scale, fraction, dim);
    auto it = offsets_.find(key);
    if (it == offsets_.end()) {
      it = offsets_.emplace(key, int64_t(params.size())).first;
      for (int64_t i = 0; i < pairs; ++i) {
        const double inv =
            1.0 / std::pow(base, 2.0 * double(i) / double(dim)) / scale;
        const float hi = float(inv);
        params.push_back(hi);
        params.push_back(float(inv - double(hi)));
      }
    }
    return it->second;
  }

private:
  std::map<std::tuple<double, double, double, int64_t>, int64_t> offsets_;
};

} // namespace gemma::gpu

#endif // RUNTIME_GPU_ROPETABLES_H
