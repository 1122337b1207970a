// parallel_for: runs fn(i) for i in [0, n) on `threads` worker threads (0 = all cores).
// The first exception thrown by any fn is rethrown on the caller's thread after all
// workers have stopped; remaining indices are skipped once one fails.
#pragma once

#include <cstddef>
#include <functional>

namespace skinscan {

unsigned default_threads();
void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn, unsigned threads = 0);

}  // namespace skinscan
