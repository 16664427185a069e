#include "actors/admin_actor.hpp"

#include <caf/actor_system.hpp>

#include <charconv>
#include <iostream>
#include <unordered_set>

#include "actors/spawn.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/base62.hpp"
#include "policy/ids.hpp"
#include "policy/json_writer.hpp"
#include "policy/retention.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"

namespace sluice {

namespace {

// Bounds of admin inputs.
constexpr std::size_t max_name_bytes = 200;
constexpr std::size_t max_description_bytes = 2000;
constexpr std::size_t max_reason_bytes = 1000;
/// Tokens one bulk mint makes at most (one transaction, one response).
constexpr std::int64_t max_bulk_mint = 10'000;
constexpr std::size_t default_page = 100;
constexpr std::size_t max_page = 1000;
/// How long the admin actor waits for a token or system actor to answer.
constexpr auto actor_timeout = std::chrono::seconds(10);


void fail(admin_job_ptr& job, problem p) {
  job->complete({std::move(p), reply_kind::ok, {}});
}

void not_found(admin_job_ptr& job, std::string_view what, std::string_view id) {
  fail(job, make_problem(errc::not_found,
                         "no " + std::string{what} + " " + std::string{id}));
}

/// Answers with the JSON that `write` produces.
template <class Write>
void respond(admin_job_ptr& job, reply_kind kind, Write&& write) {
  json_reply reply{{}, kind, {}};
  json_writer w{reply.body};
  write(w);
  job->complete(std::move(reply));
}

/// The record named by the path's id, or nullopt after answering 404 (an id
/// that does not parse names nothing, like one that is not stored).
template <class Record>
std::optional<Record> lookup(admin_job_ptr& job, const store::meta_store& meta, id_kind kind,
                             std::optional<Record> (store::meta_store::*get)(std::uint64_t) const,
                             std::string_view what) {
  auto id = parse_id(kind, job->cmd.path_id);
  auto rec = id ? (meta.*get)(*id) : std::nullopt;
  if (!rec)
    not_found(job, what, job->cmd.path_id);
  return rec;
}

/// Paging of list calls: `limit` and `cursor` (the id of the last item seen).
struct page {
  std::size_t limit = default_page;
  std::uint64_t after = 0;
};

/// Reads limit and cursor. (Parameters a call does not define never get
/// here: net/ refuses them for every call alike.)
problem read_query(const admin_command& cmd, page& out, std::optional<id_kind> cursor_kind) {
  for (auto& [key, value] : cmd.query) {
    if (key == "limit") {
      std::size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size() || n < 1 || n > max_page)
        return make_problem(errc::invalid_argument,
                            "limit must be a whole number from 1 to " + std::to_string(max_page));
      out.limit = n;
      continue;
    }
    if (key == "cursor") {
      std::optional<std::uint64_t> id;
      if (cursor_kind)
        id = parse_id(*cursor_kind, value);
      else if (value.size() == 11)
        id = base62::decode(value);
      if (!id)
        return make_problem(errc::invalid_argument, "cursor is not one this API gave out");
      out.after = *id;
    }
  }
  return {};
}

std::optional<std::string_view> query_value(const admin_command& cmd, std::string_view key) {
  for (auto& [k, v] : cmd.query)
    if (k == key)
      return std::string_view{v};
  return std::nullopt;
}

/// Writes `{"items":[…],"next_cursor":…}` for a page of records: `rows` holds
/// up to limit + 1 (one more tells there is a next page).
template <class Row, class Write, class Id>
std::string list_body(std::vector<Row>& rows, std::size_t limit, Write write_row, Id id_of) {
  std::string body;
  json_writer w{body};
  bool more = rows.size() > limit;
  if (more)
    rows.resize(limit);
  w.begin_object().key("items").begin_array();
  for (auto& r : rows)
    write_row(w, r);
  w.end_array().key("next_cursor");
  if (more && !rows.empty())
    w.value(id_of(rows.back()));
  else
    w.null();
  w.end_object();
  return body;
}

/// Expiry presets of a mint request.
std::optional<std::int64_t> preset_us(std::string_view p) {
  constexpr std::int64_t day = retention::us_per_day;
  if (p == "1w")
    return 7 * day;
  if (p == "1m")
    return 30 * day;
  if (p == "3m")
    return 90 * day;
  if (p == "6m")
    return 182 * day;
  if (p == "1y")
    return 365 * day;
  return std::nullopt;
}

} // namespace

admin_actor_if spawn_admin_actor(caf::actor_system& sys, admin_init init) {
  return spawn_state<admin_actor_if, admin_state, caf::detached>(sys, std::move(init));
}

admin_actor_if::behavior_type admin_state::make_behavior() {
  // Usage still pending at shutdown is written before the actor goes.
  self_->set_exit_handler([this](caf::exit_msg& msg) {
    flush_usage();
    self_->quit(msg.reason);
  });
  self_->delayed_send(self_, init.usage_flush_interval, tick_atom::value);
  return {
    [this](admin_atom, admin_job_ptr& job) { handle(job); },
    [this](usage_atom, std::uint64_t token_id, token_usage& usage) {
      pending_usage_[token_id] = std::move(usage);
    },
    [this](sysusage_atom, std::uint64_t system_id, system_usage& usage) {
      pending_system_usage_[system_id] = std::move(usage);
    },
    [this](flush_atom) {
      flush_usage();
      return caf::ok_atom::value;
    },
    [this](tick_atom) {
      flush_usage();
      self_->delayed_send(self_, init.usage_flush_interval, tick_atom::value);
    },
  };
}

problem admin_state::authenticate(const admin_command& cmd, caller& out) {
  if (cmd.secret.empty())
    return make_problem(errc::invalid_token,
                        "no API token presented: send Authorization: Bearer <alu_… token>");
  auto kind = check_secret_format(cmd.secret);
  if (!kind)
    return make_problem(errc::invalid_token);
  auto rec = init.meta->token_by_hash(hash_secret(init.pepper, cmd.secret));
  if (!rec)
    return make_problem(errc::invalid_token);
  if (*kind == token_kind::ingest || *kind == token_kind::webhook)
    return make_problem(errc::insufficient_scope,
                        "ingest and webhook tokens cannot use the admin API");
  if (auto e = usable(rec->status, rec->expires_at_us, now_us()); e != errc::ok)
    return make_problem(e);
  out.token_id = rec->id;
  if (*kind == token_kind::user) {
    auto user = init.meta->user(rec->user_id);
    if (!user)
      return make_problem(errc::invalid_token);
    if (!user->active)
      return make_problem(errc::user_inactive);
    out.user_id = user->id;
    out.superuser = user->role == store::user_role::superuser;
    out.public_id = format_id(id_kind::user, user->id);
  } else {
    out.public_id = format_id(id_kind::token, rec->id);
  }
  return {};
}

void admin_state::handle(admin_job_ptr& job) {
  caller who;
  if (auto p = authenticate(job->cmd, who))
    return fail(job, std::move(p));
  auto op = job->cmd.op;
  if (permission_of(op).superuser_only && !who.superuser)
    return fail(job, make_problem(errc::insufficient_scope,
                                  "only a superuser may " + std::string{to_string(op)}));
  switch (op) {
    case admin_op::create_tenant: return create_tenant(job, who);
    case admin_op::list_tenants: return list_tenants(job);
    case admin_op::get_tenant: return get_tenant(job);
    case admin_op::patch_tenant: return patch_tenant(job);
    case admin_op::create_system: return create_system(job);
    case admin_op::list_systems: return list_systems(job);
    case admin_op::get_system: return get_system(job);
    case admin_op::mint_token: return mint_token(job, who, false);
    case admin_op::mint_tokens: return mint_token(job, who, true);
    case admin_op::list_system_tokens: return list_system_tokens(job);
    case admin_op::get_token: return get_token(job);
    case admin_op::patch_token: return patch_token(job);
    case admin_op::revoke_token: return revoke_token(job);
    case admin_op::set_token_security: return set_token_security(job);
    case admin_op::token_usage: return token_usage_of(job);
    case admin_op::system_usage: return system_usage_of(job);
    case admin_op::list_messages: return list_messages(job);
  }
  fail(job, make_problem(errc::internal, "unhandled operation"));
}

std::uint64_t admin_state::fresh_id() {
  // Ids carry milliseconds and 22 random bits; a clash is rare but checked.
  for (;;) {
    auto id = new_id(now_us() / 1000);
    if (!init.meta->id_taken(id))
      return id;
  }
}

// -- tenants -------------------------------------------------------------------

void admin_state::create_tenant(admin_job_ptr& job, const caller&) {
  std::optional<std::string> name, tier_name;
  if (auto p = body_.open(job->cmd.body, {"name", "tier", "overrides"}))
    return fail(job, std::move(p));
  if (auto p = body_.text("name", name, true, max_name_bytes))
    return fail(job, std::move(p));
  if (auto p = body_.text("tier", tier_name, false, 32))
    return fail(job, std::move(p));
  auto t = tier_name ? parse_tier(*tier_name) : std::optional<tier>{tier::free};
  if (!t)
    return fail(job, make_problem(errc::invalid_argument,
                                  "\"tier\" must be one of free, pro, enterprise"));
  store::tenant_record rec;
  rec.id = fresh_id();
  rec.name = std::move(*name);
  rec.tier = *t;
  rec.created_at_us = now_us();
  if (auto p = read_overrides(rec.overrides))
    return fail(job, std::move(p));
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(rec); }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::created, [&](json_writer& w) { write_tenant(w, rec, caps_of(rec)); });
}

void admin_state::list_tenants(admin_job_ptr& job) {
  page pg;
  if (auto p = read_query(job->cmd, pg, id_kind::tenant))
    return fail(job, std::move(p));
  auto rows = init.meta->tenants(pg.after, pg.limit + 1);
  job->complete({{},
                 reply_kind::ok,
                 list_body(
                   rows, pg.limit, [this](json_writer& w, auto& r) { write_tenant(w, r, caps_of(r)); },
                   [](auto& r) { return format_id(id_kind::tenant, r.id); })});
}

void admin_state::get_tenant(admin_job_ptr& job) {
  if (auto rec = lookup(job, *init.meta, id_kind::tenant, &store::meta_store::tenant, "tenant"))
    respond(job, reply_kind::ok, [&](json_writer& w) { write_tenant(w, *rec, caps_of(*rec)); });
}

tier_caps admin_state::caps_of(const store::tenant_record& t) const {
  return effective_caps(init.tiers[t.tier], t.overrides);
}

problem admin_state::read_overrides(cap_overrides& o) {
  bool found = false;
  if (auto p = body_.descend("overrides",
                             {"tokens_per_system", "max_retention_days", "steady_rate",
                              "burst_rate", "inline_cap_bytes", "sampling", "sample_one_in",
                              "shadow"},
                             found))
    return p;
  if (!found) {
    body_.ascend();
    return {};
  }
  // Each key: absent keeps the override, null removes it, a value sets it.
  auto number = [&](std::string_view key, auto& field, std::int64_t min,
                    std::int64_t max) -> problem {
    using value_type = typename std::decay_t<decltype(field)>::value_type;
    auto state = body_.has(key);
    if (state == admin_body::presence::null)
      field.reset();
    if (state != admin_body::presence::value)
      return {};
    std::optional<std::int64_t> x;
    if (auto p = body_.integer(key, x, true, min, max))
      return p;
    field = static_cast<value_type>(*x);
    return {};
  };
  auto flag = [&](std::string_view key, std::optional<bool>& field) -> problem {
    auto state = body_.has(key);
    if (state == admin_body::presence::null)
      field.reset();
    if (state != admin_body::presence::value)
      return {};
    return body_.boolean(key, field, true);
  };
  constexpr std::int64_t big = 1'000'000'000'000; // far beyond any sane rate or size
  for (auto p : {number("tokens_per_system", o.tokens_per_system, 0, 1'000'000'000),
                 number("max_retention_days", o.max_retention_days, -1, 1825),
                 number("steady_rate", o.steady_rate, 1, big),
                 number("burst_rate", o.burst_rate, 1, big),
                 number("inline_cap_bytes", o.inline_cap_bytes, 1, big),
                 flag("sampling", o.sampling),
                 number("sample_one_in", o.sample_one_in, 2, 1'000'000),
                 flag("shadow", o.shadow)}) {
    if (p) {
      body_.ascend();
      return p;
    }
  }
  body_.ascend();
  return check_overrides(o);
}

void admin_state::patch_tenant(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::tenant, &store::meta_store::tenant, "tenant");
  if (!rec)
    return;
  std::optional<std::string> name, tier_name;
  if (auto p = body_.open(job->cmd.body, {"name", "tier", "overrides"}))
    return fail(job, std::move(p));
  if (auto p = body_.text("name", name, false, max_name_bytes))
    return fail(job, std::move(p));
  if (auto p = body_.text("tier", tier_name, false, 32))
    return fail(job, std::move(p));
  if (tier_name) {
    auto t = parse_tier(*tier_name);
    if (!t)
      return fail(job, make_problem(errc::invalid_argument,
                                    "\"tier\" must be one of free, pro, enterprise"));
    rec->tier = *t;
  }
  if (name)
    rec->name = std::move(*name);
  if (auto p = read_overrides(rec->overrides))
    return fail(job, std::move(p));
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(*rec); }))
    return fail(job, store_problem(ec));

  // Live system actors take the new terms; the call returns once they all
  // have (a system spawned from now on reads them from the store).
  auto terms = terms_of(init.tiers, *rec);
  std::vector<system_actor_if> live;
  for (std::uint64_t after = 0;;) {
    auto page = init.meta->systems_of(rec->id, after, max_page);
    for (auto& sys : page)
      if (auto a = init.reg->live_system_actor(sys.id))
        live.push_back(*a);
    if (page.size() < max_page)
      break;
    after = page.back().id;
  }
  auto answer = [job, r = *rec, caps = terms.caps]() mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_tenant(w, r, caps); });
  };
  if (live.empty())
    return answer();
  auto remaining = std::make_shared<std::size_t>(live.size());
  for (auto& a : live)
    self_->request(a, actor_timeout, update_atom::value, terms)
      .then([remaining, answer](caf::ok_atom) mutable {
              if (--*remaining == 0)
                answer();
            },
            [remaining, answer](caf::error&) mutable {
              if (--*remaining == 0)
                answer();
            });
}

// -- systems -------------------------------------------------------------------

void admin_state::create_system(admin_job_ptr& job) {
  auto tenant = lookup(job, *init.meta, id_kind::tenant, &store::meta_store::tenant, "tenant");
  if (!tenant)
    return;
  std::optional<std::string> name, description;
  if (auto p = body_.open(job->cmd.body, {"name", "description"}))
    return fail(job, std::move(p));
  if (auto p = body_.text("name", name, true, max_name_bytes))
    return fail(job, std::move(p));
  if (auto p = body_.text("description", description, false, max_description_bytes, true))
    return fail(job, std::move(p));
  store::system_record rec;
  rec.id = fresh_id();
  rec.tenant_id = tenant->id;
  rec.name = std::move(*name);
  rec.description = description.value_or("");
  rec.created_at_us = now_us();
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(rec); }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::created, [&](json_writer& w) { write_system(w, rec); });
}

void admin_state::list_systems(admin_job_ptr& job) {
  auto tenant = lookup(job, *init.meta, id_kind::tenant, &store::meta_store::tenant, "tenant");
  if (!tenant)
    return;
  page pg;
  if (auto p = read_query(job->cmd, pg, id_kind::system))
    return fail(job, std::move(p));
  auto rows = init.meta->systems_of(tenant->id, pg.after, pg.limit + 1);
  job->complete({{},
                 reply_kind::ok,
                 list_body(
                   rows, pg.limit, [](json_writer& w, auto& r) { write_system(w, r); },
                   [](auto& r) { return format_id(id_kind::system, r.id); })});
}

void admin_state::get_system(admin_job_ptr& job) {
  if (auto rec = lookup(job, *init.meta, id_kind::system, &store::meta_store::system, "system"))
    respond(job, reply_kind::ok, [&](json_writer& w) { write_system(w, *rec); });
}

// -- tokens --------------------------------------------------------------------

void admin_state::mint_token(admin_job_ptr& job, const caller& who, bool bulk) {
  auto system = lookup(job, *init.meta, id_kind::system, &store::meta_store::system, "system");
  if (!system)
    return;
  auto tenant = init.meta->tenant(system->tenant_id);
  if (!tenant)
    return fail(job, make_problem(errc::internal, "the system's tenant is missing"));
  auto caps = caps_of(*tenant);

  std::optional<std::string> name, description, kind_name, expires_in, expires_at;
  std::optional<std::int64_t> retention, count;
  std::optional<std::vector<std::string>> scopes;
  std::initializer_list<std::string_view> one = {"name", "description", "kind", "retention_days",
                                                 "scopes", "expires_in", "expires_at",
                                                 "security"};
  std::initializer_list<std::string_view> many = {"count", "name", "description",
                                                  "retention_days", "expires_in", "expires_at",
                                                  "security"};
  if (auto p = body_.open(job->cmd.body, bulk ? many : one))
    return fail(job, std::move(p));
  std::optional<rate_limit> limit;
  bool limit_shadow = false;
  {
    bool found = false;
    if (auto p = body_.descend("security", {"rate_limit", "rate_limit_shadow"}, found))
      return fail(job, std::move(p));
    if (found) {
      std::optional<std::string> text;
      std::optional<bool> shadow;
      auto p = body_.text("rate_limit", text, false, 32);
      if (!p)
        p = body_.boolean("rate_limit_shadow", shadow, false);
      body_.ascend();
      if (p)
        return fail(job, std::move(p));
      if (text) {
        limit = parse_rate_limit(*text);
        if (!limit)
          return fail(job, make_problem(errc::invalid_argument,
                                        "\"security.rate_limit\" must look like 1000/hour "
                                        "(N/second, N/minute, N/hour or N/day)"));
      }
      limit_shadow = shadow.value_or(false);
    }
  }
  for (auto p : {body_.text("name", name, true, max_name_bytes),
                 body_.text("description", description, false, max_description_bytes, true),
                 body_.text("kind", kind_name, false, 16),
                 body_.text("expires_in", expires_in, false, 8),
                 body_.text("expires_at", expires_at, false, 64),
                 body_.integer("retention_days", retention, false),
                 body_.integer("count", count, bulk, 1, max_bulk_mint),
                 body_.strings("scopes", scopes)})
    if (p)
      return fail(job, std::move(p));
  if (kind_name && *kind_name != "ingest")
    return fail(job, make_problem(errc::invalid_argument,
                                  *kind_name == "webhook"
                                    ? "webhook tokens are not available yet; mint an ingest token"
                                    : "\"kind\" of a system token must be \"ingest\""));
  if (scopes && (scopes->size() != 1 || scopes->front() != "ingest"))
    return fail(job, make_problem(errc::invalid_argument,
                                  "an ingest token holds the \"ingest\" scope and no other"));
  int days = retention ? static_cast<int>(*retention) : caps.default_retention_days;
  if (retention && static_cast<std::int64_t>(days) != *retention)
    days = 0; // out of int range: refused below like any other bad value
  if (auto p = check_retention(caps, days))
    return fail(job, std::move(p));
  auto now = now_us();
  std::int64_t expires = 0;
  if (expires_in && expires_at)
    return fail(job, make_problem(errc::invalid_argument,
                                  "give \"expires_in\" or \"expires_at\", not both"));
  if (expires_in) {
    auto d = preset_us(*expires_in);
    if (!d)
      return fail(job, make_problem(errc::invalid_argument,
                                    "\"expires_in\" must be one of 1w, 1m, 3m, 6m, 1y"));
    expires = now + *d;
  }
  if (expires_at) {
    auto t = parse_rfc3339_us(*expires_at);
    if (!t || *t <= now)
      return fail(job, make_problem(errc::invalid_argument,
                                    "\"expires_at\" must be an RFC 3339 time in the future"));
    expires = *t;
  }

  auto sys_actor = init.reg->system_actor(system->id);
  if (!sys_actor)
    return fail(job, make_problem(errc::internal, "the system's actor could not start"));

  store::token_record rec;
  rec.kind = token_kind::ingest;
  rec.tenant_id = tenant->id;
  rec.system_id = system->id;
  rec.name = std::move(*name);
  rec.description = description.value_or("");
  rec.scopes = {"ingest"};
  rec.status = token_status::active;
  rec.retention_days = days;
  rec.created_at_us = now;
  rec.created_by = who.public_id;
  rec.expires_at_us = expires;
  rec.rate_limit = limit;
  rec.rate_limit_shadow = limit_shadow;

  // The cap is taken at the system's actor, so two concurrent mints cannot
  // both get the last slots; they are given back if the write fails.
  auto n = static_cast<std::uint32_t>(count.value_or(1));
  auto handle = *sys_actor;
  self_->request(handle, actor_timeout, reserve_atom::value, n)
    .then(
      [this, job, rec = std::move(rec), handle, caps, n, bulk](bool granted,
                                                               std::uint64_t live) mutable {
        if (!granted)
          return fail(job, check_token_cap(caps, live + n - 1));
        // Every token of a bulk mint gets its own id and secret; the batch is
        // one durable transaction, so it is minted whole or not at all.
        std::vector<store::token_record> records(n, rec);
        std::vector<std::string> secrets(n);
        std::unordered_set<std::uint64_t> ids;
        for (std::uint32_t i = 0; i < n; ++i) {
          secrets[i] = generate_secret(token_kind::ingest);
          do
            records[i].id = fresh_id();
          while (!ids.insert(records[i].id).second);
          records[i].hash = hash_secret(init.pepper, secrets[i]);
          records[i].hint = display_hint(secrets[i]);
        }
        if (auto ec = init.meta->write([&](store::meta_writer& w) {
              for (auto& r : records)
                w.put(r);
            })) {
          self_->send(handle, release_atom::value, n);
          return fail(job, store_problem(ec));
        }
        respond(job, reply_kind::created, [&](json_writer& w) {
          if (!bulk) {
            w.begin_object().key("token");
            write_token(w, records[0], nullptr);
            w.field("secret", secrets[0]).end_object();
            return;
          }
          w.begin_object().key("tokens").begin_array();
          for (std::uint32_t i = 0; i < n; ++i)
            w.begin_object()
              .field("id", format_id(id_kind::token, records[i].id))
              .field("secret", secrets[i])
              .end_object();
          w.end_array().end_object();
        });
      },
      [job](caf::error&) mutable {
        fail(job, make_problem(errc::storage_busy, "the system's actor did not answer; retry"));
      });
}

void admin_state::list_system_tokens(admin_job_ptr& job) {
  auto system = lookup(job, *init.meta, id_kind::system, &store::meta_store::system, "system");
  if (!system)
    return;
  page pg;
  if (auto p = read_query(job->cmd, pg, id_kind::token))
    return fail(job, std::move(p));
  // The stored usage of a live token lags by up to one flush interval: ask
  // each live actor on the page, so a list says what GET /tokens/{id} says.
  struct gathered {
    std::vector<store::token_record> rows;
    std::vector<std::optional<token_usage>> live;
    std::size_t waiting = 0;
    std::size_t limit = 0;
  };
  auto g = std::make_shared<gathered>();
  g->rows = init.meta->tokens_of_system(system->id, pg.after, pg.limit + 1);
  g->live.resize(g->rows.size());
  g->limit = pg.limit;
  auto finish = [job, g]() mutable {
    std::size_t i = 0;
    job->complete({{},
                   reply_kind::ok,
                   list_body(
                     g->rows, g->limit,
                     [&](json_writer& w, auto& r) {
                       auto& u = g->live[i++];
                       write_token(w, r, u ? &*u : nullptr);
                     },
                     [](auto& r) { return format_id(id_kind::token, r.id); })});
  };
  auto shown = std::min(g->rows.size(), pg.limit);
  std::vector<std::pair<std::size_t, token_actor_if>> live;
  for (std::size_t i = 0; i < shown; ++i)
    if (auto actor = init.reg->live_token_actor(g->rows[i].hash))
      live.emplace_back(i, *actor);
  g->waiting = live.size();
  if (live.empty())
    return finish();
  for (auto& [i, actor] : live)
    self_->request(actor, actor_timeout, caf::get_atom::value)
      .then(
        [g, finish, i = i](token_usage& u) mutable {
          g->live[i] = std::move(u);
          if (--g->waiting == 0)
            finish();
        },
        // Passivated meanwhile: its usage is in the store now.
        [g, finish](caf::error&) mutable {
          if (--g->waiting == 0)
            finish();
        });
}

void admin_state::get_token(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::token, &store::meta_store::token, "token");
  if (!rec)
    return;
  auto answer = [job](const store::token_record& r, const token_usage* live) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_token(w, r, live); });
  };
  auto live = init.reg->live_token_actor(rec->hash);
  if (!live)
    return answer(*rec, nullptr);
  // Usage in the store lags by up to one flush interval: ask the actor.
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer, r = *rec](token_usage& usage) mutable { answer(r, &usage); },
          [answer, r = *rec](caf::error&) mutable { answer(r, nullptr); });
}

void admin_state::patch_token(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::token, &store::meta_store::token, "token");
  if (!rec)
    return;
  std::optional<std::string> name, description;
  std::optional<std::int64_t> retention;
  if (auto p = body_.open(job->cmd.body, {"name", "description", "retention_days"}))
    return fail(job, std::move(p));
  for (auto p : {body_.text("name", name, false, max_name_bytes),
                 body_.text("description", description, false, max_description_bytes, true),
                 body_.integer("retention_days", retention, false)})
    if (p)
      return fail(job, std::move(p));
  if (rec->status == token_status::revoked)
    return fail(job, make_problem(errc::conflict, "the token is revoked; it cannot change"));
  if (retention) {
    if (rec->kind != token_kind::ingest && rec->kind != token_kind::webhook)
      return fail(job, make_problem(errc::invalid_argument,
                                    "only ingest and webhook tokens have a retention"));
    auto tenant = init.meta->tenant(rec->tenant_id);
    if (!tenant)
      return fail(job, make_problem(errc::internal, "the token's tenant is missing"));
    auto caps = caps_of(*tenant);
    int days = static_cast<int>(*retention);
    if (static_cast<std::int64_t>(days) != *retention)
      days = 0;
    if (auto p = check_retention(caps, days))
      return fail(job, std::move(p));
    // Applies to messages ingested from now on; stored ones keep theirs.
    rec->retention_days = days;
  }
  if (name)
    rec->name = std::move(*name);
  if (description)
    rec->description = std::move(*description);
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(*rec); }))
    return fail(job, store_problem(ec));
  apply_to_live_token(job, *rec);
}

void admin_state::revoke_token(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::token, &store::meta_store::token, "token");
  if (!rec)
    return;
  std::optional<std::string> reason;
  if (auto p = body_.open(job->cmd.body, {"reason"}))
    return fail(job, std::move(p));
  if (auto p = body_.text("reason", reason, false, max_reason_bytes, true))
    return fail(job, std::move(p));
  if (rec->status == token_status::revoked) // revoking twice changes nothing
    return respond(job, reply_kind::ok, [&](json_writer& w) { write_token(w, *rec, nullptr); });
  // The system's actor is made live before the write, so the live count it
  // reads at start-up includes this token and the release below is right.
  std::optional<system_actor_if> sys_actor;
  if (rec->system_id != 0)
    sys_actor = init.reg->system_actor(rec->system_id);
  rec->status = token_status::revoked;
  rec->revoked_at_us = now_us();
  rec->revoke_reason = reason.value_or("");
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(*rec); }))
    return fail(job, store_problem(ec));
  if (sys_actor)
    self_->send(*sys_actor, release_atom::value, std::uint32_t{1});
  // Returns once the actor refuses the token and everything it let through
  // before is committed and answered.
  apply_to_live_token(job, *rec);
}

void admin_state::apply_to_live_token(admin_job_ptr& job, const store::token_record& rec) {
  auto answer = [job, rec]() mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_token(w, rec, nullptr); });
  };
  auto live = init.reg->live_token_actor(rec.hash);
  if (!live)
    return answer();
  self_->request(*live, actor_timeout, update_atom::value, rec)
    .then([answer](caf::ok_atom) mutable { answer(); },
          // The actor passivated meanwhile: its successor reads the new record.
          [answer](caf::error&) mutable { answer(); });
}

void admin_state::set_token_security(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::token, &store::meta_store::token, "token");
  if (!rec)
    return;
  // PUT: the body is the whole of the settings; what it leaves out is unset.
  // (IP allowlists and time windows are not enforced yet, so they are refused
  // as unknown fields rather than accepted and ignored.)
  if (auto p = body_.open(job->cmd.body, {"rate_limit", "rate_limit_shadow", "reason"}))
    return fail(job, std::move(p));
  std::optional<std::string> text, reason;
  std::optional<bool> shadow;
  for (auto p : {body_.text("rate_limit", text, false, 32),
                 body_.boolean("rate_limit_shadow", shadow, false),
                 body_.text("reason", reason, false, max_reason_bytes, true)})
    if (p)
      return fail(job, std::move(p));
  std::optional<rate_limit> limit;
  if (text) {
    limit = parse_rate_limit(*text);
    if (!limit)
      return fail(job, make_problem(errc::invalid_argument,
                                    "\"rate_limit\" must look like 1000/hour (N/second, "
                                    "N/minute, N/hour or N/day)"));
  }
  if (rec->status == token_status::revoked)
    return fail(job, make_problem(errc::conflict, "the token is revoked; it cannot change"));
  rec->rate_limit = limit;
  rec->rate_limit_shadow = shadow.value_or(false);
  rec->security_reason = reason.value_or("");
  rec->security_changed_at_us = now_us();
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(*rec); }))
    return fail(job, store_problem(ec));
  apply_to_live_token(job, *rec);
}

void admin_state::token_usage_of(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::token, &store::meta_store::token, "token");
  if (!rec)
    return;
  auto answer = [job, id = rec->id](const token_usage& u) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) {
      w.begin_object().field("token_id", format_id(id_kind::token, id));
      write_usage(w, u.usage, now_us());
      w.key("last_used_at");
      if (u.last_used_at_us != 0)
        w.value(format_rfc3339_us(u.last_used_at_us));
      else
        w.null();
      w.key("last_ip");
      if (!u.last_ip.empty())
        w.value(u.last_ip);
      else
        w.null();
      w.end_object();
    });
  };
  token_usage stored{rec->usage, rec->last_used_at_us, rec->last_ip};
  auto live = init.reg->live_token_actor(rec->hash);
  if (!live)
    return answer(stored);
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer](token_usage& u) mutable { answer(u); },
          [answer, stored](caf::error&) mutable { answer(stored); });
}

void admin_state::system_usage_of(admin_job_ptr& job) {
  auto rec = lookup(job, *init.meta, id_kind::system, &store::meta_store::system, "system");
  if (!rec)
    return;
  auto answer = [job, id = rec->id](const store::usage_record& u) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) {
      w.begin_object().field("system_id", format_id(id_kind::system, id));
      write_usage(w, u, now_us());
      w.end_object();
    });
  };
  auto live = init.reg->live_system_actor(rec->id);
  if (!live)
    return answer(rec->usage);
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer](system_usage& u) mutable { answer(u.usage); },
          [answer, stored = rec->usage](caf::error&) mutable { answer(stored); });
}

// -- messages ------------------------------------------------------------------

void admin_state::list_messages(admin_job_ptr& job) {
  auto system = lookup(job, *init.meta, id_kind::system, &store::meta_store::system, "system");
  if (!system)
    return;
  page pg;
  if (auto p = read_query(job->cmd, pg, std::nullopt))
    return fail(job, std::move(p));
  store::message_query q;
  q.system_id = system->id;
  q.limit = pg.limit;
  q.after_id = pg.after;
  if (auto v = query_value(job->cmd, "since")) {
    auto t = parse_time_param_us(*v);
    if (!t)
      return fail(job, make_problem(errc::invalid_argument,
                                    "since must be an RFC 3339 time or Unix milliseconds"));
    q.since_us = *t;
  }
  if (auto v = query_value(job->cmd, "until")) {
    auto t = parse_time_param_us(*v);
    if (!t)
      return fail(job, make_problem(errc::invalid_argument,
                                    "until must be an RFC 3339 time or Unix milliseconds"));
    q.until_us = *t;
  }
  if (auto v = query_value(job->cmd, "token")) {
    auto t = parse_id(id_kind::token, *v);
    if (!t)
      return fail(job, make_problem(errc::invalid_argument, "token must be a token id (tok_…)"));
    q.token_id = *t;
  }
  if (auto v = query_value(job->cmd, "level")) {
    auto l = parse_message_level(*v);
    if (!l)
      return fail(job, make_problem(errc::invalid_argument,
                                    "level must be one of debug, info, warn, error, fatal"));
    q.level = *l;
  }
  if (auto v = query_value(job->cmd, "source")) {
    auto s = parse_message_source(*v);
    if (!s)
      return fail(job,
                  make_problem(errc::invalid_argument,
                               "source must be one of native, otlp_logs, otlp_traces, langfuse, webhook"));
    q.source = *s;
  }
  store::message_page pg_result;
  try {
    pg_result = init.messages->query(q);
  } catch (const std::system_error& e) {
    // A page that silently lacked one environment could make the cursor skip
    // messages: refuse instead.
    return fail(job, make_problem(errc::storage_busy,
                                  std::string{"cannot read messages now: "} + e.what()));
  }
  respond(job, reply_kind::ok, [&](json_writer& w) {
    w.begin_object().key("items").begin_array();
    for (auto& m : pg_result.items)
      write_message(w, m);
    w.end_array().key("next_cursor");
    if (pg_result.next_cursor)
      w.value(base62::encode_fixed(*pg_result.next_cursor, 11));
    else
      w.null();
    w.end_object();
  });
}

// -- usage ---------------------------------------------------------------------

void admin_state::flush_usage() {
  if (pending_usage_.empty() && pending_system_usage_.empty())
    return;
  // Read every record first (read transactions), then write them all in one
  // durable transaction.
  std::vector<store::token_record> tokens;
  tokens.reserve(pending_usage_.size());
  for (auto& [id, u] : pending_usage_) {
    auto rec = init.meta->token(id);
    if (!rec)
      continue;
    rec->usage = u.usage;
    rec->last_used_at_us = u.last_used_at_us;
    rec->last_ip = u.last_ip;
    tokens.push_back(std::move(*rec));
  }
  std::vector<store::system_record> systems;
  systems.reserve(pending_system_usage_.size());
  for (auto& [id, u] : pending_system_usage_) {
    auto rec = init.meta->system(id);
    if (!rec)
      continue;
    rec->usage = u.usage;
    systems.push_back(std::move(*rec));
  }
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        for (auto& r : tokens)
          w.put(r);
        for (auto& r : systems)
          w.put(r);
      })) {
    // Kept for the next flush; counters are totals, so nothing is lost.
    std::cerr << "admin: usage flush failed: " << ec.message() << std::endl;
    return;
  }
  pending_usage_.clear();
  pending_system_usage_.clear();
}

} // namespace sluice
