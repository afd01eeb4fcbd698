#ifndef TRELLIS_KERNELS_H
#define TRELLIS_KERNELS_H
// SIMD kernels for quantized matrix products; see TrellisKernels for the Swift surface.
#endif
