// Recycled ingest jobs (actors/ingest_job_pool.hpp): a job that comes back
// ends its life as a deleted one would (an unanswered request is answered,
// its backlog bytes are given back) and starts the next request as a new
// one, keeping only its batch buffers when they are of the usual size.

#include "actors/ingest_job_pool.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;

BOOST_AUTO_TEST_SUITE(ingest_job_pool_tests)

BOOST_AUTO_TEST_CASE(a_returned_job_comes_back_new_with_its_batch_buffers) {
  ingest_job_pool pool;
  const char* kept_bytes = nullptr;
  {
    auto job = pool.take();
    job->batch.add(R"({"m":"first request"})", "id-1");
    job->client_ip = "192.0.2.7";
    job->tenant_id = 42;
    job->partial = true;
    job->verdict = make_problem(errc::rate_limited);
    job->dropped.push_back(3);
    kept_bytes = job->batch.bytes.data();
  }
  BOOST_TEST(pool.free_jobs() == 1u);
  auto again = pool.take();
  BOOST_TEST(pool.free_jobs() == 0u);
  // Everything as in a new job ...
  BOOST_TEST(again->batch.items.empty());
  BOOST_TEST(again->batch.bytes.empty());
  BOOST_TEST(again->client_ip.empty());
  BOOST_TEST(again->tenant_id == 0u);
  BOOST_TEST(!again->partial);
  BOOST_TEST(!again->verdict);
  BOOST_TEST(again->dropped.empty());
  // ... but the batch's buffers, which the parser fills without allocating.
  BOOST_TEST(again->batch.items.capacity() >= 1u);
  BOOST_TEST(static_cast<const void*>(again->batch.bytes.data())
             == static_cast<const void*>(kept_bytes));
}

BOOST_AUTO_TEST_CASE(an_unanswered_job_is_answered_and_gives_back_its_backlog) {
  ingest_job_pool pool;
  std::atomic<std::uint64_t> backlog{0};
  int answers = 0;
  problem got;
  {
    auto job = pool.take();
    job->backlog.take(backlog, 1000);
    job->complete = reply_once<ingest_reply>{[&](ingest_reply&& r) {
      ++answers;
      got = r.failure;
    }};
    BOOST_TEST(backlog.load() == 1000u);
  }
  BOOST_TEST(answers == 1);
  BOOST_TEST((got.code == errc::storage_busy));
  BOOST_TEST(backlog.load() == 0u);
  // The next request on the recycled job is answered once, by its own callback.
  auto job = pool.take();
  job->complete(ingest_reply{});
  BOOST_TEST(answers == 1);
}

namespace {

/// Stands in for the runtime, which sends a job on to its token's actor: this
/// one keeps what it is given (or declines), so a test can drop it again.
struct keeping_rerouter final : ingest_rerouter {
  bool take = true;
  int offered = 0;
  std::vector<ingest_job_ptr> kept;
  bool reroute(ingest_job_ptr& job) noexcept override {
    ++offered;
    if (!take)
      return false;
    kept.push_back(std::move(job));
    return true;
  }
};

/// A job of `pool` waiting for its answer, which lands in `answers`.
ingest_job_ptr waiting_job(ingest_job_pool& pool, std::vector<problem>& answers) {
  auto job = pool.take();
  job->complete =
    reply_once<ingest_reply>{[&answers](ingest_reply&& r) { answers.push_back(r.failure); }};
  return job;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_job_no_token_actor_took_up_is_sent_on_a_few_times_then_answered) {
  keeping_rerouter again;
  ingest_job_pool pool{&again};
  std::vector<problem> answers;
  std::atomic<std::uint64_t> backlog{0};
  waiting_job(pool, answers)->backlog.take(backlog, 500);
  // Dropped unanswered (by an actor that passivated): offered to the
  // rerouter, alive and unanswered, its backlog bytes still taken; again
  // each time it is lost, up to the bound.
  for (int i = 1; i <= job_pool_defaults::max_reroutes; ++i) {
    BOOST_TEST(again.offered == i);
    BOOST_REQUIRE(again.kept.size() == 1u);
    BOOST_TEST(again.kept[0]->complete.pending());
    BOOST_TEST(answers.empty());
    BOOST_TEST(backlog.load() == 500u);
    auto job = std::move(again.kept[0]);
    again.kept.clear();
  }
  // Lost once more: answered storage_busy, not offered again.
  BOOST_TEST(again.offered == job_pool_defaults::max_reroutes);
  BOOST_REQUIRE(answers.size() == 1u);
  BOOST_TEST((answers[0].code == errc::storage_busy));
  BOOST_TEST(backlog.load() == 0u);
  // The recycled job starts afresh: its next loss is offered again.
  waiting_job(pool, answers);
  BOOST_TEST(again.offered == job_pool_defaults::max_reroutes + 1);
  // Dropped while the pool, the answers and the backlog exist, and declined
  // (not put back into the vector being cleared).
  again.take = false;
  again.kept.clear();
}

BOOST_AUTO_TEST_CASE(answered_or_authenticated_jobs_are_not_sent_on) {
  keeping_rerouter again;
  ingest_job_pool pool{&again};
  std::vector<problem> answers;
  // Answered: nothing to do.
  waiting_job(pool, answers)->complete(ingest_reply{});
  // Taken up by a token actor (authenticated), then lost further on: sending
  // it again would count it twice, so it is answered.
  waiting_job(pool, answers)->token_id = 7;
  BOOST_TEST(again.offered == 0);
  BOOST_REQUIRE(answers.size() == 2u);
  BOOST_TEST(!answers[0]);
  BOOST_TEST((answers[1].code == errc::storage_busy));
}

BOOST_AUTO_TEST_CASE(a_job_the_rerouter_declines_is_answered_as_it_ends) {
  keeping_rerouter again;
  again.take = false;
  ingest_job_pool pool{&again};
  std::vector<problem> answers;
  waiting_job(pool, answers);
  BOOST_TEST(again.offered == 1);
  BOOST_REQUIRE(answers.size() == 1u);
  BOOST_TEST((answers[0].code == errc::storage_busy));
  BOOST_TEST(pool.free_jobs() == 1u);
}

BOOST_AUTO_TEST_CASE(a_job_that_carried_a_large_batch_returns_its_buffers) {
  ingest_job_pool pool;
  {
    auto job = pool.take();
    std::string big(job_pool_defaults::keep_batch_bytes + 1, 'x');
    job->batch.add("\"" + big + "\"");
  }
  auto again = pool.take();
  BOOST_TEST(again->batch.bytes.capacity() < job_pool_defaults::keep_batch_bytes);
  BOOST_TEST(again->batch.items.capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(jobs_dropped_on_other_threads_come_back_to_the_owner) {
  ingest_job_pool pool;
  std::vector<ingest_job_ptr> out;
  for (int i = 0; i < 64; ++i) {
    out.push_back(pool.take());
    out.back()->batch.add(R"({"n":1})");
  }
  // As the storage actor does: the last reference goes on its thread.
  std::thread other([moved = std::move(out)]() mutable { moved.clear(); });
  other.join();
  BOOST_TEST(pool.free_jobs() == 64u);
  for (int i = 0; i < 64; ++i) {
    auto job = pool.take();
    BOOST_TEST(job->batch.items.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
