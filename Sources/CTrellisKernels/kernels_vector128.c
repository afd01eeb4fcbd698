// Portable 128-bit level (placeholder: scalar until its kernels land).
#include "internal.h"

void trellis_fill_vector128(trellis_ops *ops) { (void)ops; }
