#include "actors/ingest_job_pool.hpp"

#include <new>
#include <utility>

namespace sluice {

void intrusive_ptr_release(ingest_job* job) noexcept {
  // acq_rel: every thread's writes to the job happen before its recycling.
  if (job->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
    ingest_job_pool::recycle(job);
}

ingest_job_pool::ingest_job_pool(ingest_rerouter* rerouter) : rerouter_(rerouter) {
  returned_.reserve(job_pool_defaults::max_free);
  ready_.reserve(job_pool_defaults::max_free);
}

ingest_job_pool::~ingest_job_pool() {
  for (auto* job : ready_)
    delete job;
  for (auto* job : returned_)
    delete job;
}

ingest_job_ptr ingest_job_pool::take() {
  if (ready_.empty()) {
    // One lock for every job that came back since the last swap.
    std::lock_guard lock(mu_);
    ready_.swap(returned_);
  }
  ingest_job* job;
  if (ready_.empty()) {
    job = new ingest_job;
  } else {
    job = ready_.back();
    ready_.pop_back();
  }
  job->home_ = this;
  return ingest_job_ptr{job}; // adds the first reference
}

void ingest_job_pool::recycle(ingest_job* job) noexcept {
  if (job->home_ == nullptr) {
    delete job;
    return;
  }
  job->home_->give_back(job);
}

void ingest_job_pool::give_back(ingest_job* job) noexcept {
  if (rerouter_ && job->reroutes < job_pool_defaults::max_reroutes && job->token_id == 0
      && job->complete.pending()) {
    // No token actor took it up (one would have answered it or set its
    // token): one that passivated dropped it, or it died in its mailbox.
    // Alive again (references 0 -> 1) and sent on.
    ++job->reroutes;
    ingest_job_ptr again{job};
    if (rerouter_->reroute(again))
      return;
    // Not sent on: drop the reference without releasing it (which would come
    // back here) and end the job's life below.
    again.detach();
    job->refs_.store(0, std::memory_order_relaxed);
  }
  // End the job's life as its deletion would (answer, backlog, actor
  // references, in its destructor), then start a new one in the same place
  // with the batch buffers kept when they are of the usual size.
  message_batch kept = std::move(job->batch);
  job->~ingest_job();
  ::new (static_cast<void*>(job)) ingest_job;
  if (kept.bytes.capacity() <= job_pool_defaults::keep_batch_bytes
      && kept.items.capacity() * sizeof(parsed_message) <= job_pool_defaults::keep_batch_bytes) {
    kept.clear();
    job->batch = std::move(kept);
  }
  {
    std::lock_guard lock(mu_);
    if (returned_.size() < job_pool_defaults::max_free) {
      returned_.push_back(job);
      return;
    }
  }
  delete job; // home_ is null in the new object: nothing to recycle
}

std::size_t ingest_job_pool::free_jobs() {
  std::lock_guard lock(mu_);
  return ready_.size() + returned_.size();
}

} // namespace sluice
