#include "actors/jobs.hpp"

namespace sluice {

namespace {

problem lost() {
  return make_problem(errc::storage_busy,
                      "the request was dropped while the server reorganised; retry it");
}

} // namespace

ingest_job::~ingest_job() {
  if (!answered_ && done)
    done(ingest_reply{lost(), 0, 0});
}

void ingest_job::complete(ingest_reply&& reply) {
  if (answered_)
    return;
  answered_ = true;
  done(std::move(reply));
}

info_job::~info_job() {
  if (!answered_ && done)
    done(json_reply{lost(), reply_kind::ok, {}});
}

void info_job::complete(json_reply&& reply) {
  if (answered_)
    return;
  answered_ = true;
  done(std::move(reply));
}

admin_job::~admin_job() {
  if (!answered_ && done)
    done(json_reply{lost(), reply_kind::ok, {}});
}

void admin_job::complete(json_reply&& reply) {
  if (answered_)
    return;
  answered_ = true;
  done(std::move(reply));
}

} // namespace sluice
