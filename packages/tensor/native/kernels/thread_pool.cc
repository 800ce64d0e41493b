#include "thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace oellm {

ThreadPool::ThreadPool(int threads) : threads_(std::max(1, threads)) {
  for (int i = 1; i < threads_; i++) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::chunks_for(std::ptrdiff_t n, std::ptrdiff_t min_per_chunk) const {
  if (n <= 0) return 0;
  std::ptrdiff_t by_work = std::max<std::ptrdiff_t>(1, n / std::max<std::ptrdiff_t>(1, min_per_chunk));
  return static_cast<int>(std::min<std::ptrdiff_t>(threads_, by_work));
}

void ThreadPool::worker(int index) {
  unsigned long seen = 0;
  for (;;) {
    const std::function<void(std::ptrdiff_t, std::ptrdiff_t, int)>* job;
    std::ptrdiff_t n;
    int chunks;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = job_n_;
      chunks = job_chunks_;
    }
    if (index < chunks) {
      std::ptrdiff_t b = n * index / chunks;
      std::ptrdiff_t e = n * (index + 1) / chunks;
      (*job)(b, e, index);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(std::ptrdiff_t n,
                              const std::function<void(std::ptrdiff_t, std::ptrdiff_t, int)>& fn,
                              std::ptrdiff_t min_per_chunk) {
  int chunks = chunks_for(n, min_per_chunk);
  if (chunks == 0) return;
  if (chunks == 1) {
    fn(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    job_n_ = n;
    job_chunks_ = chunks;
    pending_ = threads_ - 1;
    generation_++;
  }
  start_cv_.notify_all();
  fn(0, n / chunks, 0);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

namespace {
std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}

int default_threads() {
  if (const char* env = std::getenv("OELLM_NUM_THREADS")) {
    int v = std::atoi(env);
    if (v >= 1) return v;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}
}  // namespace

ThreadPool& global_pool() {
  auto& slot = pool_slot();
  if (!slot) slot = std::make_unique<ThreadPool>(default_threads());
  return *slot;
}

void set_global_threads(int threads) {
  auto& slot = pool_slot();
  slot = std::make_unique<ThreadPool>(std::max(1, threads));
}

}  // namespace oellm
