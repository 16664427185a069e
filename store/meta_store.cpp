#include "store/meta_store.hpp"

#include <optional>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/guarded_env.hpp"
#include "store/lmdb.hpp"

namespace sluice::store {

// Layout of the metadata environment (all keys big-endian so that cursors walk
// them in id order, which is creation order):
//   tenants, users, systems, tokens,
//   approvals                         id (8 B)                -> record JSON
//   token_hashes                      hash (32 B)             -> token id (8 B)
//   system_tokens                     system id + token id    -> 1 B token_status
//   tenant_systems                    tenant id + system id   -> empty
//   system_live                       system id               -> u64 (8 B BE) count
//   tenant_users                      tenant id + user id     -> empty
//   user_tokens                       user id + token id      -> empty (personal tokens)
//   tenant_tokens                     tenant id + token id    -> empty (service tokens)
//   usage                             token or system id      -> usage_row JSON
//   usage_minutes                     minute + id             -> usage_minute JSON
//   audit, audit_tenant, audit_token  the audit log's own (store/audit_log.hpp)
// The indexes are written in the same transaction as their record, so they
// are always in step with it; so is an audit event with the change it records.
// `token_hashes` holds a token's current hash and, while a rotation's grace
// runs (previous_valid_until_us != 0), its previous one: both secrets find it.
// Superusers have tenant 0 and are indexed in `tenant_users` under 0 like any
// other user, so users_of(0, …) lists the superusers (the server never asks).
// `system_live` counts each system's tokens that
// are not revoked, so a system's actor starts without scanning its tokens
// (a million of them took a fifth of a second and touched the whole index). `tenant_systems` is not
// in the original design: without it, listing one tenant's systems would decode every system.
//
// Usage lives apart from the records, because it changes all the time: every
// usage flush (tokens.usage-flush-interval) writes the totals of each token
// and system used since the last one, and only the minutes of their series
// that changed. Minute rows are keyed minute first, so the rows one flush
// writes (the current minute of every busy token) sit side by side in a few
// pages, and the rows older than an hour are one run at the start of the
// table. When usage was part of the record, each flush rewrote the whole
// record of every busy token, its hour of minutes included: up to 4 KB each.
// Reading a series takes one lookup per minute of the last hour (up to 60);
// the hour is counted back from the newest minute stored. Lists read only
// the totals row. A record written before these tables existed still holds
// its usage: it is read from the record until the id's first usage write,
// and moved to the tables when the record is next written.

namespace {

/// The named databases, opened once at construction and never closed before
/// the store is: their handles are plain integers shared by every thread.
struct dbis {
  MDB_dbi tenants = 0, users = 0, systems = 0, tokens = 0;
  MDB_dbi token_hashes = 0, system_tokens = 0, tenant_systems = 0, system_live = 0;
  MDB_dbi approvals = 0, tenant_users = 0, user_tokens = 0, tenant_tokens = 0;
  MDB_dbi usage = 0, usage_minutes = 0;
};

// 17 named databases are in use (the audit log's three included); the rest is
// room for later ones, since a data directory cannot hold more than this
// allows a process to open.
constexpr unsigned meta_max_dbs = 32;

/// The owner under which a token is listed in `user_tokens` / `tenant_tokens`,
/// if any: personal tokens by their user, service tokens by their tenant.
std::optional<std::uint64_t> personal_owner(const token_record& t) noexcept {
  if (t.kind == token_kind::user && t.user_id != 0)
    return t.user_id;
  return std::nullopt;
}
std::optional<std::uint64_t> service_owner(const token_record& t) noexcept {
  if (t.kind == token_kind::service)
    return t.tenant_id;
  return std::nullopt;
}

/// The hashes that must find a token: its own and, during a rotation's grace,
/// the previous one (at most two; equal ones collapse to one).
struct indexed_hashes {
  std::array<token_hash, 2> h{};
  std::size_t n = 0;

  explicit indexed_hashes(const token_record& t) noexcept {
    h[n++] = t.hash;
    if (t.previous_valid_until_us != 0 && t.previous_hash != t.hash)
      h[n++] = t.previous_hash;
  }
  bool contains(const token_hash& x) const noexcept {
    for (std::size_t i = 0; i < n; ++i)
      if (h[i] == x)
        return true;
    return false;
  }
};

/// How much of a token's or system's usage a read brings back: the totals
/// for pages (owner_page; why: meta_store.hpp), the series too for point reads.
enum class usage_detail { totals, series };

} // namespace

struct meta_store::impl {
  detail::guarded_env env;
  dbis db;
  /// Its handles are opened with the others in open_dbis; const afterwards.
  audit_log audit;
  /// Serialises writers (one thread by contract; the lock is cheap insurance).
  std::mutex write_mu;

  explicit impl(const meta_options& o)
      : env(o.dir, o.map_size, o.max_map_size, meta_max_dbs, MDB_NORDAHEAD) {
    open_dbis();
  }

  void open_dbis() {
    // Runs in the constructor: no other transaction exists yet, so opening
    // (and creating) the handles here is the one legal mdb_dbi_open moment.
    for (;;) {
      auto [t, ec] = txn::begin(env.get(), false);
      if (ec)
        throw std::system_error(ec, "meta store: begin");
      auto open = [&](const char* name, MDB_dbi& out) {
        if (int rc = mdb_dbi_open(t.get(), name, MDB_CREATE, &out); rc != 0)
          throw std::system_error(lmdb_error(rc), std::string("meta store: open ") + name);
      };
      try {
        open("tenants", db.tenants);
        open("users", db.users);
        open("systems", db.systems);
        open("tokens", db.tokens);
        open("token_hashes", db.token_hashes);
        open("system_tokens", db.system_tokens);
        open("tenant_systems", db.tenant_systems);
        open("system_live", db.system_live);
        open("approvals", db.approvals);
        open("tenant_users", db.tenant_users);
        open("user_tokens", db.user_tokens);
        open("tenant_tokens", db.tenant_tokens);
        open("usage", db.usage);
        open("usage_minutes", db.usage_minutes);
        audit.open(t);
      } catch (const std::system_error& e) {
        if (e.code() != lmdb_error(MDB_MAP_FULL))
          throw;
        t.abort();
        if (auto gec = env.grow())
          throw std::system_error(gec, "meta store: grow");
        continue;
      }
      ec = t.commit();
      if (ec == lmdb_error(MDB_MAP_FULL)) {
        if (auto gec = env.grow())
          throw std::system_error(gec, "meta store: grow");
        continue;
      }
      if (ec)
        throw std::system_error(ec, "meta store: commit");
      return;
    }
  }

  /// Reads id's usage from the usage tables into `u` (and a token's last
  /// use), when they hold the id; otherwise leaves what the record held.
  /// With usage_detail::totals, `u.minutes` is left empty.
  void read_usage(const txn& t, std::uint64_t id, usage_record& u, std::int64_t* last_used_at_us,
                  std::string* last_ip, usage_detail detail) const {
    std::string_view v;
    if (!t.get(db.usage, view(be_key(id)), v))
      return;
    auto row = decode_usage_row(v);
    if (!row)
      return;
    u.totals = row->totals;
    if (last_used_at_us != nullptr)
      *last_used_at_us = row->last_used_at_us;
    if (last_ip != nullptr)
      *last_ip = std::move(row->last_ip);
    u.minutes.clear();
    if (detail == usage_detail::totals)
      return;
    cursor c(t, db.usage_minutes);
    std::string_view k;
    if (!c.last(k, v) || k.size() != 16)
      return;
    // The hour up to the newest minute stored (no later one can be older
    // than an hour from now); a seek that lands past a minute skips the
    // minutes in between, which no id used.
    const auto newest = static_cast<std::int64_t>(get_be64(k.data()));
    for (auto m = newest - static_cast<std::int64_t>(minutes_kept) + 1; m <= newest;) {
      if (!c.seek(view(be_key(static_cast<std::uint64_t>(m), id)), k, v) || k.size() != 16)
        break;
      const auto at = static_cast<std::int64_t>(get_be64(k.data()));
      if (at > m) {
        m = at;
        continue;
      }
      if (get_be64(k.data() + 8) == id)
        if (auto minute = decode_usage_minute(v))
          u.minutes.push_back(*minute);
      ++m;
    }
  }

  /// Completes a decoded record with what lives outside it: the usage of
  /// tokens and systems.
  void complete(const txn& t, token_record& r, usage_detail detail = usage_detail::series) const {
    read_usage(t, r.id, r.usage, &r.last_used_at_us, &r.last_ip, detail);
  }
  void complete(const txn& t, system_record& r, usage_detail detail = usage_detail::series) const {
    read_usage(t, r.id, r.usage, nullptr, nullptr, detail);
  }
  template <class R>
  void complete(const txn&, R&, usage_detail = usage_detail::series) const {}

  /// Point lookup of a record by id, decoded inside the read transaction
  /// (the value is a view into the map, valid only while the txn lives).
  template <class Decode>
  auto get_record(MDB_dbi dbi, std::uint64_t id, Decode decode) const
    -> decltype(decode(std::string_view{})) {
    auto [r, ec] = env.begin_read();
    if (ec)
      return std::nullopt;
    std::string_view v;
    auto k = be_key(id);
    if (!r.t.get(dbi, view(k), v))
      return std::nullopt;
    auto rec = decode(v);
    if (rec)
      complete(r.t, *rec);
    return rec;
  }

  /// A page of the records listed under `owner` in the index `index` (keys
  /// owner + record id), walking from (owner, after + 1) until another owner
  /// begins. `belongs` re-checks each decoded record against the owner, so an
  /// index entry that a record has outgrown can never list it.
  template <class Decode, class Belongs>
  auto owner_page(MDB_dbi index, MDB_dbi records, std::uint64_t owner, std::uint64_t after,
                  std::size_t limit, Decode decode, Belongs belongs) const
    -> std::vector<typename decltype(decode(std::string_view{}))::value_type> {
    std::vector<typename decltype(decode(std::string_view{}))::value_type> out;
    if (limit == 0 || after == std::numeric_limits<std::uint64_t>::max())
      return out;
    auto [r, ec] = env.begin_read();
    if (ec)
      return out;
    cursor c(r.t, index);
    std::string_view k, v;
    auto start = be_key(owner, after + 1);
    for (bool ok = c.seek(view(start), k, v); ok && out.size() < limit; ok = c.next(k, v)) {
      if (k.size() != 16 || get_be64(k.data()) != owner)
        break;
      std::string_view json;
      if (!r.t.get(records, k.substr(8), json))
        continue;
      if (auto rec = decode(json); rec && belongs(*rec)) {
        complete(r.t, *rec, usage_detail::totals);
        out.push_back(std::move(*rec));
      }
    }
    return out;
  }
};

// ---------------------------------------------------------------------------
// writer

namespace {

/// Stages puts into one write transaction; the first failure is kept and
/// every later put becomes a no-op, so `write` sees it after `fill` returns.
class txn_writer final : public meta_writer {
public:
  txn_writer(txn& t, const dbis& db, const audit_log& audit) : t_(t), db_(db), audit_(audit) {}

  std::error_code error() const noexcept { return ec_; }

  void put(const tenant_record& r) override { put_record(db_.tenants, r.id, encode(r)); }

  void put(const user_record& r) override {
    if (ec_)
      return;
    std::string_view old;
    auto k = be_key(r.id);
    if (t_.get(db_.users, view(k), old)) {
      // A user who moved to another tenant leaves the old tenant's list.
      if (auto prev = decode_user(old); prev && prev->tenant_id != r.tenant_id)
        del(db_.tenant_users, view(be_key(prev->tenant_id, r.id)));
    }
    put_record(db_.users, r.id, encode(r));
    check(t_.put(db_.tenant_users, view(be_key(r.tenant_id, r.id)), {}));
  }

  void put(const system_record& r) override {
    if (ec_)
      return;
    std::string_view old;
    auto k = be_key(r.id);
    if (t_.get(db_.systems, view(k), old)) {
      // A system that moved to another tenant leaves its old index entry.
      if (auto prev = decode_system(old); prev && prev->tenant_id != r.tenant_id)
        del(db_.tenant_systems, view(be_key(prev->tenant_id, r.id)));
    }
    put_record(db_.systems, r.id, encode(r));
    check(t_.put(db_.tenant_systems, view(be_key(r.tenant_id, r.id)), {}));
    move_usage(r.id, r.usage, 0, {});
  }

  void put(const token_record& r) override {
    if (ec_)
      return;
    auto k = be_key(r.id);
    // The record this one replaces: its indexes move with it, and whether it
    // was counted as live (and under which system) settles the counts.
    std::optional<std::uint64_t> was_live_in;
    const indexed_hashes now(r);
    std::optional<std::uint64_t> was_personal_of, was_service_of;
    if (std::string_view old; t_.get(db_.tokens, view(k), old)) {
      if (auto prev = decode_token(old)) {
        // Hashes that must stop finding the token: a rotation replaced the
        // secret, or the previous secret's grace is over. Only the set
        // difference goes, since the new previous hash is often the old hash.
        const indexed_hashes before(*prev);
        for (std::size_t i = 0; i < before.n; ++i)
          if (!now.contains(before.h[i]))
            del_hash(before.h[i], r.id);
        if (prev->system_id != r.system_id && prev->system_id != 0)
          del(db_.system_tokens, view(be_key(prev->system_id, r.id)));
        if (prev->system_id != 0 && prev->status != token_status::revoked)
          was_live_in = prev->system_id;
        was_personal_of = personal_owner(*prev);
        was_service_of = service_owner(*prev);
      }
    }
    put_record(db_.tokens, r.id, encode(r));
    move_usage(r.id, r.usage, r.last_used_at_us, r.last_ip);
    for (std::size_t i = 0; i < now.n; ++i)
      check(t_.put(db_.token_hashes, view(now.h[i]), view(k)));
    move_entry(db_.user_tokens, was_personal_of, personal_owner(r), r.id);
    move_entry(db_.tenant_tokens, was_service_of, service_owner(r), r.id);
    std::optional<std::uint64_t> is_live_in;
    if (r.system_id != 0) {
      char status = static_cast<char>(r.status);
      check(t_.put(db_.system_tokens, view(be_key(r.system_id, r.id)), {&status, 1}));
      if (r.status != token_status::revoked)
        is_live_in = r.system_id;
    }
    if (was_live_in != is_live_in) {
      if (was_live_in)
        add_live(*was_live_in, -1);
      if (is_live_in)
        add_live(*is_live_in, +1);
    }
  }

  void put(const approval_record& r) override { put_record(db_.approvals, r.id, encode(r)); }

  void put_usage(std::uint64_t id, const usage_record& u, minute_range changed,
                 std::int64_t last_used_at_us, std::string_view last_ip) override {
    if (ec_)
      return;
    auto k = be_key(id);
    std::string_view old;
    const bool first = !t_.get(db_.usage, view(k), old);
    check(t_.put(db_.usage, view(k),
                 encode(usage_row{u.totals, last_used_at_us, std::string(last_ip)})));
    if (first) {
      for (auto& m : u.minutes)
        put_minute(id, m);
      return;
    }
    if (changed.empty())
      return;
    // Only the last hour of what changed can still be shown.
    auto from = std::max(changed.first, changed.last - static_cast<std::int64_t>(minutes_kept) + 1);
    auto it = u.minutes.begin();
    for (auto m = from; m <= changed.last; ++m) {
      while (it != u.minutes.end() && it->minute < m)
        ++it;
      if (it != u.minutes.end() && it->minute == m)
        put_minute(id, *it);
      else // counted, then all taken back: nothing left of it
        del(db_.usage_minutes, view(be_key(static_cast<std::uint64_t>(m), id)));
    }
  }

  void drop_usage_before(std::int64_t minute) override {
    cursor c(t_, db_.usage_minutes);
    std::string_view k, v;
    while (!ec_ && c.first(k, v) && k.size() == 16
           && static_cast<std::int64_t>(get_be64(k.data())) < minute) {
      key16 dead;
      std::copy(k.begin(), k.end(), dead.begin()); // the view dies with the entry
      check(t_.del(db_.usage_minutes, view(dead)));
    }
  }

  void append(audit_event& e) override {
    // After an earlier failure the transaction is doomed: appending would
    // only burn work (and `e` keeps whatever seq it had).
    if (ec_)
      return;
    check(audit_.append(t_, e));
  }

private:
  void put_minute(std::uint64_t id, const usage_minute& m) {
    check(
      t_.put(db_.usage_minutes, view(be_key(static_cast<std::uint64_t>(m.minute), id)), encode(m)));
  }

  /// A record written before the usage tables existed held its usage; the
  /// record is rewritten without it (records.cpp), so it moves to the
  /// tables, unless they hold the id already (then they are newer).
  void move_usage(std::uint64_t id, const usage_record& u, std::int64_t last_used_at_us,
                  std::string_view last_ip) {
    if (ec_ || (u == usage_record{} && last_used_at_us == 0 && last_ip.empty()))
      return;
    std::string_view old;
    if (!t_.get(db_.usage, view(be_key(id)), old))
      put_usage(id, u, {}, last_used_at_us, last_ip);
  }

  /// Keeps an owner + token id index entry in step: off the old owner's list
  /// when the owner changed (or the token no longer belongs in the index), on
  /// the new one's.
  void move_entry(MDB_dbi dbi, std::optional<std::uint64_t> was, std::optional<std::uint64_t> is,
                  std::uint64_t id) {
    if (was && was != is)
      del(dbi, view(be_key(*was, id)));
    if (is)
      check(t_.put(dbi, view(be_key(*is, id)), {}));
  }

  /// Removes hash -> id, but only if the entry is this token's: should two
  /// records ever have claimed one hash, the other's entry is not ours to drop.
  void del_hash(const token_hash& h, std::uint64_t id) {
    if (ec_)
      return;
    std::string_view v;
    if (!t_.get(db_.token_hashes, view(h), v))
      return;
    if (v.size() == 8 && get_be64(v.data()) != id)
      return;
    del(db_.token_hashes, view(h));
  }

  void add_live(std::uint64_t system_id, std::int64_t delta) {
    if (ec_)
      return;
    auto k = be_key(system_id);
    std::uint64_t n = 0;
    if (std::string_view v; t_.get(db_.system_live, view(k), v) && v.size() == 8)
      n = get_be64(v.data());
    n = delta < 0 && n == 0 ? 0 : n + static_cast<std::uint64_t>(delta);
    char buf[8];
    put_be64(buf, n);
    check(t_.put(db_.system_live, view(k), {buf, 8}));
  }

  void put_record(MDB_dbi dbi, std::uint64_t id, const std::string& json) {
    if (ec_)
      return;
    auto k = be_key(id);
    check(t_.put(dbi, view(k), json));
  }
  void del(MDB_dbi dbi, std::string_view key) {
    if (ec_)
      return;
    auto ec = t_.del(dbi, key);
    if (ec != lmdb_error(MDB_NOTFOUND))
      check(ec);
  }
  void check(std::error_code ec) {
    if (!ec_ && ec)
      ec_ = ec;
  }

  txn& t_;
  const dbis& db_;
  const audit_log& audit_;
  std::error_code ec_;
};

} // namespace

// ---------------------------------------------------------------------------
// meta_store

meta_store::meta_store(const meta_options& opts) : impl_(std::make_unique<impl>(opts)) {}
meta_store::~meta_store() = default;

bool meta_store::empty() const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return false; // unknown: never claim a first start on an error
  cursor c(r.t, impl_->db.users);
  std::string_view k, v;
  return !c.first(k, v);
}

std::optional<tenant_record> meta_store::tenant(std::uint64_t id) const {
  return impl_->get_record(impl_->db.tenants, id, decode_tenant);
}
std::optional<user_record> meta_store::user(std::uint64_t id) const {
  return impl_->get_record(impl_->db.users, id, decode_user);
}
std::optional<system_record> meta_store::system(std::uint64_t id) const {
  return impl_->get_record(impl_->db.systems, id, decode_system);
}
std::optional<token_record> meta_store::token(std::uint64_t id) const {
  return impl_->get_record(impl_->db.tokens, id, decode_token);
}

std::optional<token_record> meta_store::token_by_hash(const token_hash& h) const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return std::nullopt;
  std::string_view id;
  if (!r.t.get(impl_->db.token_hashes, view(h), id) || id.size() != 8)
    return std::nullopt;
  std::string_view json;
  if (!r.t.get(impl_->db.tokens, id, json))
    return std::nullopt;
  auto rec = decode_token(json);
  if (!rec)
    return std::nullopt;
  // The index found it by exact key already; the constant-time comparison of
  // the record's own hashes guards against a stale index entry. The previous
  // hash counts only while the record says a grace runs (whether it is still
  // running is the token actor's call); both comparisons always run.
  const bool current = hashes_equal(rec->hash, h);
  const bool previous = hashes_equal(rec->previous_hash, h);
  if (!current && !(previous && rec->previous_valid_until_us != 0))
    return std::nullopt;
  impl_->complete(r.t, *rec);
  return rec;
}

std::vector<tenant_record> meta_store::tenants(std::uint64_t after, std::size_t limit) const {
  std::vector<tenant_record> out;
  if (limit == 0 || after == std::numeric_limits<std::uint64_t>::max())
    return out;
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return out;
  cursor c(r.t, impl_->db.tenants);
  std::string_view k, v;
  auto start = be_key(after + 1);
  for (bool ok = c.seek(view(start), k, v); ok && out.size() < limit; ok = c.next(k, v))
    if (auto rec = decode_tenant(v))
      out.push_back(std::move(*rec));
  return out;
}

std::vector<system_record> meta_store::systems_of(std::uint64_t tenant_id, std::uint64_t after,
                                                  std::size_t limit) const {
  return impl_->owner_page(impl_->db.tenant_systems, impl_->db.systems, tenant_id, after, limit,
                           decode_system,
                           [&](const system_record& r) { return r.tenant_id == tenant_id; });
}

std::vector<token_record> meta_store::tokens_of_system(std::uint64_t system_id, std::uint64_t after,
                                                       std::size_t limit) const {
  return impl_->owner_page(impl_->db.system_tokens, impl_->db.tokens, system_id, after, limit,
                           decode_token,
                           [&](const token_record& t) { return t.system_id == system_id; });
}

std::uint64_t meta_store::live_tokens_of_system(std::uint64_t system_id) const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return 0;
  if (std::string_view v;
      r.t.get(impl_->db.system_live, view(be_key(system_id)), v) && v.size() == 8)
    return get_be64(v.data());
  // No count (a data directory from before the count existed): scan.
  cursor c(r.t, impl_->db.system_tokens);
  std::string_view k, v;
  auto start = be_key(system_id, 0);
  std::uint64_t n = 0;
  for (bool ok = c.seek(view(start), k, v); ok; ok = c.next(k, v)) {
    if (k.size() != 16 || get_be64(k.data()) != system_id)
      break;
    if (v.size() == 1 && static_cast<token_status>(v[0]) != token_status::revoked)
      ++n;
  }
  return n;
}

std::optional<approval_record> meta_store::approval(std::uint64_t id) const {
  return impl_->get_record(impl_->db.approvals, id, decode_approval);
}

std::vector<user_record> meta_store::users_of(std::uint64_t tenant_id, std::uint64_t after,
                                              std::size_t limit) const {
  return impl_->owner_page(impl_->db.tenant_users, impl_->db.users, tenant_id, after, limit,
                           decode_user,
                           [&](const user_record& u) { return u.tenant_id == tenant_id; });
}

std::vector<token_record> meta_store::tokens_of_user(std::uint64_t user_id, std::uint64_t after,
                                                     std::size_t limit) const {
  return impl_->owner_page(impl_->db.user_tokens, impl_->db.tokens, user_id, after, limit,
                           decode_token,
                           [&](const token_record& t) { return personal_owner(t) == user_id; });
}

std::vector<token_record> meta_store::service_tokens_of(std::uint64_t tenant_id,
                                                        std::uint64_t after,
                                                        std::size_t limit) const {
  return impl_->owner_page(impl_->db.tenant_tokens, impl_->db.tokens, tenant_id, after, limit,
                           decode_token,
                           [&](const token_record& t) { return service_owner(t) == tenant_id; });
}

std::vector<approval_record> meta_store::approvals(std::uint64_t tenant_id,
                                                   std::optional<approval_status> status,
                                                   std::uint64_t after, std::size_t limit) const {
  // No index: approvals are few (one per high-risk service token) and a
  // filtered scan in id order keeps the paging of the other lists.
  std::vector<approval_record> out;
  if (limit == 0 || after == std::numeric_limits<std::uint64_t>::max())
    return out;
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return out;
  cursor c(r.t, impl_->db.approvals);
  std::string_view k, v;
  auto start = be_key(after + 1);
  for (bool ok = c.seek(view(start), k, v); ok && out.size() < limit; ok = c.next(k, v)) {
    auto rec = decode_approval(v);
    if (!rec)
      continue;
    if (tenant_id != 0 && rec->tenant_id != tenant_id)
      continue;
    if (status && rec->status != *status)
      continue;
    out.push_back(std::move(*rec));
  }
  return out;
}

audit_page meta_store::audit(const audit_query& q) const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return {};
  return impl_->audit.query(r.t, q);
}

std::optional<audit_event> meta_store::audit_event_at(std::uint64_t seq) const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return std::nullopt;
  return impl_->audit.get(r.t, seq);
}

audit_verdict meta_store::verify_audit() const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec) {
    // Not a verdict on the chain, but never "whole" when nothing was checked
    // for a reason other than an empty log.
    audit_verdict v;
    v.whole = false;
    v.why = "the metadata store could not be read: " + ec.message();
    return v;
  }
  return impl_->audit.verify(r.t);
}

bool meta_store::id_taken(std::uint64_t id) const {
  auto [r, ec] = impl_->env.begin_read();
  if (ec)
    return true; // when in doubt, make the caller pick another id
  auto k = be_key(id);
  std::string_view v;
  const auto& db = impl_->db;
  for (MDB_dbi dbi : {db.tenants, db.users, db.systems, db.tokens, db.approvals})
    if (r.t.get(dbi, view(k), v))
      return true;
  return false;
}

std::error_code meta_store::write(const std::function<void(meta_writer&)>& fill) {
  std::lock_guard lock(impl_->write_mu);
  for (;;) {
    auto [t, ec] = txn::begin(impl_->env.get(), false);
    if (ec)
      return ec;
    // An audit append in `fill` is part of `t` like every put, so a retry
    // after growth redoes it from the same head: no event is appended twice.
    txn_writer w(t, impl_->db, impl_->audit);
    fill(w);
    ec = w.error();
    if (!ec)
      ec = t.commit(); // ends the txn whatever the outcome
    t.abort();         // no-op after commit
    if (ec != lmdb_error(MDB_MAP_FULL))
      return ec;
    // The transaction is gone, so the map may be resized; then redo it all.
    if (auto gec = impl_->env.grow())
      return gec;
  }
}

std::size_t meta_store::map_size() const { return impl_->env.map_size(); }

std::size_t meta_store::used_bytes() const { return impl_->env.used_bytes(); }

} // namespace sluice::store
