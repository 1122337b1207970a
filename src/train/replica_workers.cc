#include "train/replica_workers.h"

#include <ATen/Parallel.h>
#include <omp.h>

namespace skinscan {

ReplicaWorkers::ReplicaWorkers(std::size_t n) : errors_(n) {
  std::unique_lock<std::mutex> lock(mu_);
  pending_ = n;
  threads_.reserve(n);
  for (std::size_t k = 0; k < n; ++k) threads_.emplace_back([this, k] { loop(k); });
  // Wait until every worker has set its thread count: ATen's per-thread lazy initialisation
  // resets oneDNN's caches, which must not happen while another worker computes.
  done_.wait(lock, [this] { return pending_ == 0; });
}

ReplicaWorkers::~ReplicaWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ReplicaWorkers::run(const std::function<void(std::size_t)>& task) {
  std::unique_lock<std::mutex> lock(mu_);
  task_ = &task;
  pending_ = threads_.size();
  for (std::exception_ptr& e : errors_) e = nullptr;
  ++generation_;
  wake_.notify_all();
  done_.wait(lock, [this] { return pending_ == 0; });
  task_ = nullptr;
  for (const std::exception_ptr& e : errors_)
    if (e) std::rethrow_exception(e);
}

void ReplicaWorkers::loop(std::size_t k) {
  std::unique_lock<std::mutex> lock(mu_);
  // ATen's per-thread setup first (it resets global thread-pool state, so one worker at a
  // time, under the lock), then one OpenMP thread for this worker.
  at::internal::lazy_init_num_threads();
  omp_set_num_threads(1);
  std::uint64_t seen = 0;
  if (--pending_ == 0) done_.notify_all();
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const std::function<void(std::size_t)>* task = task_;
    lock.unlock();
    try {
      (*task)(k);
    } catch (...) {
      errors_[k] = std::current_exception();
    }
    lock.lock();
    if (--pending_ == 0) done_.notify_all();
  }
}

}  // namespace skinscan
