// A fixed set of worker threads for data-parallel training steps (`skinscan train
// --replicas N`): each worker runs one shard of a batch on its own copy of the network.
//
// Contract: every worker's OpenMP/ATen intra-op pool is limited to ONE thread (set once,
// when the worker starts, before the constructor returns), so N workers use N cores
// without oversubscribing them; the calling thread's own thread count is untouched (the
// trainer's validation passes keep --threads). run() hands task(k) to worker k for every k
// in [0, size()), blocks until all have returned, and rethrows the first exception (in
// worker order) after all have finished. Not reentrant: one run() at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace skinscan {

class ReplicaWorkers {
 public:
  explicit ReplicaWorkers(std::size_t n);
  ~ReplicaWorkers();
  ReplicaWorkers(const ReplicaWorkers&) = delete;
  ReplicaWorkers& operator=(const ReplicaWorkers&) = delete;

  std::size_t size() const { return threads_.size(); }
  void run(const std::function<void(std::size_t)>& task);

 private:
  void loop(std::size_t k);

  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::uint64_t generation_ = 0;
  std::size_t pending_ = 0;  // workers still starting (constructor) or running (run)
  bool stop_ = false;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> threads_;
};

}  // namespace skinscan
