#include "trellis_kernels.h"
