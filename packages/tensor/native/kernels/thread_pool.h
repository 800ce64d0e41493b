// A persistent thread pool for the native kernels. Plain C++17, no N-API.
//
// parallel_for(n, fn) splits [0, n) into at most size() contiguous chunks, statically: chunk
// t covers [t*n/T, (t+1)*n/T). The split depends only on n and the thread count, so kernels
// that reduce per chunk and combine chunks in order give bit-identical results run to run.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace oellm {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }

  // Calls fn(begin, end, chunk) for each chunk of [0, n); chunk 0 runs on the caller.
  // Small n (below min_per_chunk per thread) runs in fewer chunks. Blocks until all are done.
  void parallel_for(std::ptrdiff_t n, const std::function<void(std::ptrdiff_t, std::ptrdiff_t, int)>& fn,
                    std::ptrdiff_t min_per_chunk = 1);

  // Number of chunks parallel_for would use for n (for kernels that allocate per-chunk scratch).
  int chunks_for(std::ptrdiff_t n, std::ptrdiff_t min_per_chunk = 1) const;

 private:
  void worker(int index);

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(std::ptrdiff_t, std::ptrdiff_t, int)>* job_ = nullptr;
  std::ptrdiff_t job_n_ = 0;
  int job_chunks_ = 0;
  int pending_ = 0;
  unsigned long generation_ = 0;
  bool stop_ = false;
};

// The process-wide pool: OELLM_NUM_THREADS if set (>= 1), else the hardware concurrency.
ThreadPool& global_pool();

// Replaces the global pool with one of `threads` threads (used by setNumThreads from JS).
void set_global_threads(int threads);

}  // namespace oellm
