//===- ConvertSbs.h - Any loaded model as a gemma.cpp .sbs ------*- C++ -*-===//
//
// Writes a model loaded from any format (a Hugging Face checkpoint, GGUF,
// another .sbs) as a single-file `.sbs` in gemma.cpp's names and layouts
// (qkv_ein with K/V interleaved per KV head, head-major att_ein, gating_ein
// = gate rows then up rows), its matrices re-encoded as `weight` (f32, bf16,
// sfp, nuq, i8). What `gemma-compile --weight-type` stores and gemma.cpp can
// load. Per-layer embeddings and experts are refused (no layout checked
// against gemma.cpp yet).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SYNTH_CONVERTSBS_H
#define RUNTIME_FORMATS_SYNTH_CONVERTSBS_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/synth/Synthesize.h"

namespace gemma {

absl::Status ConvertToSbs(const ModelFile &model, const ModelWeights &weights,
                          StoredType weight, const std::string &path,
                          const SynthProgress &progress = nullptr);

} // namespace gemma

#endif // RUNTIME_FORMATS_SYNTH_CONVERTSBS_H
