#include "data/allocator.h"

#include <malloc.h>

namespace skinscan {

void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum: blocks under 32 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // keep up to 1 GiB of freed heap for reuse
  mallopt(M_TOP_PAD, 256 << 20);        // grow the heap in large steps
}

}  // namespace skinscan
