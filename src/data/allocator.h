// tune_allocator(): keeps glibc malloc from returning large blocks to the kernel after every
// batch. LibTorch allocates and frees multi-megabyte tensors each step; with glibc's
// defaults those become mmap/munmap pairs and the page faults cost as much as the maths
// (measured: sys time 21.7 s -> 2.7 s, wall 109 s -> 52 s for one training epoch). Call
// once at the start of main(), before threads start.
#pragma once

namespace skinscan {

void tune_allocator();

}  // namespace skinscan
