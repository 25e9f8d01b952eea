//===- SfpVbmi.h - SFP rows decoded by byte-table lookups -------*- C++ -*-===//
//
// gemma.cpp's SFP code is a sign bit and a 7-bit magnitude code, and every
// value is a bf16 value. AVX512-VBMI's two-table byte permute looks up 64
// codes in a 128-entry table per instruction: one lookup gives the low
// bytes of 64 bf16 values, a second their high bytes (the sign ORed in),
// where the arithmetic decoder (Vector.cpp, any target) takes about ten
// operations per 32 codes. A decode step's SFP matvecs are bound by that
// arithmetic, not by memory, so this is their fast path on CPUs with VBMI
// (Zen 4, Ice Lake and later); the values are identical.
//
// The lookups leave values in the order of x86's byte and word unpacks;
// the activations are put in that order once per matvec
// (SfpVbmiActivationOrder), as the arithmetic path does for its own order.
// A prefill decodes its weight rows once per chunk instead, to f32 or to
// bf16 in code order (one byte permute of the codes first): with 32-token
// chunks the decoding was a fifth of an f32 prefill's matmul time.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_SFPVBMI_H
#define KERNELS_CPU_SFPVBMI_H

#include <cstdint>

namespace gemma::cpu {

// Whether this CPU has AVX512-VBMI (with F and BW).
bool SfpVbmiSupported();

// The functions below run only where SfpVbmiSupported().

// x in the order the dot products below read it.
void SfpVbmiActivationOrder(const float *x, int64_t n, float *x_ordered);

// x . row for one SFP row of n codes, and for four rows `row_bytes` apart.
float DotSfpVbmi(const float *x_ordered, const uint8_t *packed, int64_t n);
void DotSfp4Vbmi(const float *x_ordered, const uint8_t *rows, int64_t row_bytes,
                 int64_t n, float *out);

// n codes decoded in code order, to bf16 bits and to f32: a prefill
// matmul's weight rows (the same values as Sfp.h's decoder).
void DecodeSfpToBf16Vbmi(const uint8_t *codes, int64_t n, uint16_t *out);
void DecodeSfpVbmi(const uint8_t *codes, int64_t n, float *out);

} // namespace gemma::cpu

#endif // KERNELS_CPU_SFPVBMI_H
