#include "store/audit_log.hpp"

#include <simdjson.h>
#include <sodium.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "policy/hex.hpp"
#include "policy/json_writer.hpp"
#include "store/json_fields.hpp"

namespace sluice::store {

namespace {

constexpr std::size_t digest_size = std::tuple_size_v<audit_digest>;
static_assert(digest_size == crypto_generichash_BYTES);

/// The members of the canonical encoding, in their order. Encoding and
/// decoding both go through this table so the two cannot drift apart.
enum field : unsigned {
  f_seq,
  f_at_us,
  f_actor_kind,
  f_actor_user_id,
  f_actor_token_id,
  f_client_ip,
  f_action,
  f_tenant_id,
  f_system_id,
  f_token_id,
  f_user_id,
  f_approval_id,
  f_reason,
  f_before,
  f_after,
  f_prev_hash,
  field_count
};
constexpr std::array<std::string_view, field_count> field_names = {
  "seq",    "at_us",     "actor_kind", "actor_user_id", "actor_token_id", "client_ip",
  "action", "tenant_id", "system_id",  "token_id",      "user_id",        "approval_id",
  "reason", "before",    "after",      "prev_hash"};

/// BLAKE2b-256 without a key: the chain is meant to be checked by anyone
/// holding a copy of the data, so nothing secret may be needed to recompute it.
audit_digest digest_of(std::string_view bytes) noexcept {
  audit_digest out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return out;
}

// ---------------------------------------------------------------------------
// raw member text

/// Index just past the string whose opening quote is at `i`.
std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\')
      ++i; // the escaped character, which may be a quote
    else if (s[i] == '"')
      return i + 1;
  }
  return s.size();
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// The exact text of the top-level "before" and "after" members of `json`,
/// everything between the colon and the next separator. simdjson's DOM keeps
/// no source positions and re-serialising a value may change its bytes (number
/// spelling, escapes), while the hash covers the bytes the caller embedded, so
/// they are cut out of the text itself. `json` must already have parsed as an
/// object: this only has to follow strings and nesting.
bool raw_before_after(std::string_view json, std::string_view& before, std::string_view& after) {
  bool have_before = false;
  bool have_after = false;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < json.size() && is_space(json[i]))
      ++i;
  };
  skip_space();
  if (i >= json.size() || json[i] != '{')
    return false;
  ++i;
  for (;;) {
    skip_space();
    if (i >= json.size())
      return false;
    if (json[i] == '}')
      break;
    if (json[i] != '"')
      return false;
    std::size_t key_end = skip_string(json, i);
    if (key_end < i + 2)
      return false;
    std::string_view key = json.substr(i + 1, key_end - i - 2);
    i = key_end;
    skip_space();
    if (i >= json.size() || json[i] != ':')
      return false;
    std::size_t start = ++i;
    int depth = 0;
    for (; i < json.size(); ++i) {
      char c = json[i];
      if (c == '"') {
        i = skip_string(json, i) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0)
          break;
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    std::string_view value = json.substr(start, i - start);
    if (key == field_names[f_before]) {
      before = value;
      have_before = true;
    } else if (key == field_names[f_after]) {
      after = value;
      have_after = true;
    }
    if (i >= json.size())
      return false;
    if (json[i] == ',')
      ++i;
  }
  return have_before && have_after;
}

/// "null" is how an empty before/after is written, so it reads back empty
/// (both spell the same bytes, hence the same hash). Any other text is kept
/// verbatim, whitespace included, for the hash to be recomputable.
std::string raw_to_field(std::string_view raw) {
  return raw == "null" ? std::string{} : std::string(raw);
}

// ---------------------------------------------------------------------------
// chain walk

/// The verification behind audit_log::verify and verify_audit_chain, over the
/// `audit` database `events` as seen by `t`.
audit_verdict verify_events(const txn& t, MDB_dbi events) {
  audit_verdict out;
  audit_digest prev_hash{}; // the first event links to all zeros
  std::uint64_t prev_seq = 0;
  auto broken = [&](std::uint64_t seq, std::string why) {
    out.whole = false;
    out.broken_at = seq;
    out.why = std::move(why);
    out.head = {};
    return out;
  };

  cursor c(t, events);
  std::string_view k, v;
  for (bool ok = c.first(k, v); ok; ok = c.next(k, v)) {
    ++out.checked;
    const std::uint64_t expected = prev_seq + 1;
    if (k.size() != 8)
      return broken(expected, "the event after " + std::to_string(prev_seq)
                                + " is stored under a malformed key");
    const std::uint64_t seq = get_be64(k.data());
    // Keys are sorted and unique, so only a gap (a deleted event) or a stray
    // key 0 at the very start can break the numbering.
    if (seq > expected)
      return broken(expected, "event " + std::to_string(expected) + " is missing");
    if (seq < expected)
      return broken(seq, "it is stored under seq " + std::to_string(seq)
                           + ", which the chain never uses");
    auto e = decode_audit_value(v);
    if (!e)
      return broken(seq, "it cannot be decoded");
    if (e->seq != seq)
      return broken(seq, "it is stored as event " + std::to_string(seq)
                           + " but its content says event " + std::to_string(e->seq));
    if (chain_hash(*e) != e->hash)
      return broken(seq, "its hash does not match its content");
    if (e->prev_hash != prev_hash)
      return broken(seq, seq == 1
                           ? std::string("its prev_hash is not all zeros, as the first "
                                         "event's must be")
                           : "its prev_hash does not match event " + std::to_string(prev_seq));
    prev_seq = seq;
    prev_hash = e->hash;
  }
  out.head = prev_hash;
  return out;
}

} // namespace

// ---------------------------------------------------------------------------
// encoding

std::string canonical_encoding(const audit_event& e) {
  std::string out;
  json_writer w(out);
  auto raw_or_null = [&](std::string_view json) -> json_writer& {
    return json.empty() ? w.null() : w.raw(json);
  };
  std::string prev_hex;
  hex::encode(e.prev_hash, prev_hex);
  w.begin_object()
    .field(field_names[f_seq], e.seq)
    .field(field_names[f_at_us], e.at_us)
    .field(field_names[f_actor_kind], e.actor_kind)
    .field(field_names[f_actor_user_id], e.actor_user_id)
    .field(field_names[f_actor_token_id], e.actor_token_id)
    .field(field_names[f_client_ip], e.client_ip)
    .field(field_names[f_action], e.action)
    .field(field_names[f_tenant_id], e.tenant_id)
    .field(field_names[f_system_id], e.system_id)
    .field(field_names[f_token_id], e.token_id)
    .field(field_names[f_user_id], e.user_id)
    .field(field_names[f_approval_id], e.approval_id)
    .field(field_names[f_reason], e.reason)
    .key(field_names[f_before]);
  raw_or_null(e.before_json).key(field_names[f_after]);
  raw_or_null(e.after_json).field(field_names[f_prev_hash], prev_hex).end_object();
  return out;
}

audit_digest chain_hash(const audit_event& e) { return digest_of(canonical_encoding(e)); }

std::optional<audit_event> decode_audit_value(std::string_view stored) {
  if (stored.size() < digest_size)
    return std::nullopt;
  audit_event e;
  std::memcpy(e.hash.data(), stored.data(), digest_size);
  const std::string_view json = stored.substr(digest_size);

  simdjson::dom::element doc;
  if (thread_parser().parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS)
    return std::nullopt;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return std::nullopt;
  std::string_view raw_before, raw_after;
  if (!raw_before_after(json, raw_before, raw_after))
    return std::nullopt;

  // Strict: every member exactly once and nothing else. The hash covers the
  // canonical encoding only, so a member it would not cover (unknown, or a
  // duplicate that decoding would silently pick one of) is tampering.
  std::uint32_t seen = 0;
  for (auto member : obj) {
    unsigned f = 0;
    while (f < field_count && field_names[f] != member.key)
      ++f;
    if (f == field_count || (seen & (1u << f)) != 0)
      return std::nullopt;
    seen |= 1u << f;
    auto v = member.value;
    bool ok = true;
    switch (f) {
      case f_seq: ok = read(v, e.seq); break;
      case f_at_us: ok = read(v, e.at_us); break;
      case f_actor_kind: ok = read(v, e.actor_kind); break;
      case f_actor_user_id: ok = read(v, e.actor_user_id); break;
      case f_actor_token_id: ok = read(v, e.actor_token_id); break;
      case f_client_ip: ok = read(v, e.client_ip); break;
      case f_action: ok = read(v, e.action); break;
      case f_tenant_id: ok = read(v, e.tenant_id); break;
      case f_system_id: ok = read(v, e.system_id); break;
      case f_token_id: ok = read(v, e.token_id); break;
      case f_user_id: ok = read(v, e.user_id); break;
      case f_approval_id: ok = read(v, e.approval_id); break;
      case f_reason: ok = read(v, e.reason); break;
      case f_before: e.before_json = raw_to_field(raw_before); break;
      case f_after: e.after_json = raw_to_field(raw_after); break;
      case f_prev_hash: {
        std::string_view s;
        ok = v.get_string().get(s) == simdjson::SUCCESS && hex::decode(s, e.prev_hash);
        break;
      }
      default: ok = false;
    }
    if (!ok)
      return std::nullopt;
  }
  if (seen != (1u << field_count) - 1)
    return std::nullopt;
  return e;
}

// ---------------------------------------------------------------------------
// audit_log

void audit_log::open(txn& t) {
  auto open_one = [&](const char* name, MDB_dbi& out) {
    if (int rc = mdb_dbi_open(t.get(), name, MDB_CREATE, &out); rc != 0)
      throw std::system_error(lmdb_error(rc), std::string("audit log: open ") + name);
  };
  open_one("audit", events_);
  open_one("audit_tenant", by_tenant_);
  open_one("audit_token", by_token_);
}

std::error_code audit_log::append(txn& t, audit_event& e) const {
  // The head: last seq and its hash. A failed read is taken as an empty log;
  // that cannot fork the chain, because MDB_APPEND below then refuses seq 1
  // with MDB_KEYEXIST when the log is not in fact empty.
  std::uint64_t last_seq = 0;
  audit_digest last_hash{};
  try {
    cursor c(t, events_);
    std::string_view k, v;
    if (c.last(k, v)) {
      if (k.size() != 8 || v.size() < digest_size)
        return lmdb_error(MDB_CORRUPTED);
      last_seq = get_be64(k.data());
      std::memcpy(last_hash.data(), v.data(), digest_size);
    }
  } catch (const std::system_error& ex) {
    return ex.code();
  }
  if (last_seq == std::numeric_limits<std::uint64_t>::max())
    return std::make_error_code(std::errc::value_too_large);

  e.seq = last_seq + 1;
  e.prev_hash = last_hash;
  const std::string encoding = canonical_encoding(e);
  e.hash = digest_of(encoding);
  std::string value;
  value.reserve(digest_size + encoding.size());
  value.append(view(e.hash)).append(encoding);

  // An event that would not decode back to the same hash (before/after that
  // is not one JSON value, a string that is not UTF-8) would read as a break
  // in the chain forever after; refuse it while nothing is written yet.
  if (auto back = decode_audit_value(value); !back || chain_hash(*back) != e.hash)
    return std::make_error_code(std::errc::invalid_argument);

  // From here a failure may leave part of the event in `t`: the caller aborts
  // the transaction, as it must anyway, since the change being recorded may
  // not commit without its event.
  if (auto ec = t.put(events_, view(be_key(e.seq)), value, MDB_APPEND))
    return ec;
  if (e.tenant_id != 0)
    if (auto ec = t.put(by_tenant_, view(be_key(e.tenant_id, e.seq)), {}))
      return ec;
  if (e.token_id != 0)
    if (auto ec = t.put(by_token_, view(be_key(e.token_id, e.seq)), {}))
      return ec;
  return {};
}

std::optional<audit_event> audit_log::get(const txn& t, std::uint64_t seq) const {
  std::string_view stored;
  if (!t.get(events_, view(be_key(seq)), stored))
    return std::nullopt;
  auto e = decode_audit_value(stored);
  // A value whose content names another seq is not that event (verify says why).
  if (!e || e->seq != seq)
    return std::nullopt;
  return e;
}

audit_page audit_log::query(const txn& t, const audit_query& q) const {
  audit_page page;
  if (q.limit == 0 || q.after_seq == std::numeric_limits<std::uint64_t>::max())
    return page;
  const std::uint64_t from = q.after_seq + 1;
  const bool action_prefix = !q.action.empty() && q.action.back() == '.';

  // Every filter is applied to every candidate, including the one an index
  // already satisfied: cheap, and an index can never yield a wrong event.
  auto matches = [&](const audit_event& e) {
    if (q.tenant_id != 0 && e.tenant_id != q.tenant_id)
      return false;
    if (q.system_id != 0 && e.system_id != q.system_id)
      return false;
    if (q.token_id != 0 && e.token_id != q.token_id)
      return false;
    if (q.actor_id != 0 && e.actor_user_id != q.actor_id && e.actor_token_id != q.actor_id)
      return false;
    if (!q.action.empty()
        && !(action_prefix ? e.action.starts_with(q.action) : e.action == q.action))
      return false;
    if (q.since_us != 0 && e.at_us < q.since_us)
      return false;
    if (q.until_us != 0 && e.at_us >= q.until_us)
      return false;
    return true;
  };
  // Takes a candidate; false once the page is full and one more match proved
  // that a next page exists (so the last page never promises an empty one).
  auto offer = [&](audit_event&& e) {
    if (!matches(e))
      return true;
    if (page.items.size() == q.limit) {
      page.next_cursor = page.items.back().seq;
      return false;
    }
    page.items.push_back(std::move(e));
    return true;
  };
  // Events that do not decode are skipped here; reporting them is verify's job.
  auto load = [&](std::string_view seq_key_bytes) -> std::optional<audit_event> {
    std::string_view stored;
    if (!t.get(events_, seq_key_bytes, stored))
      return std::nullopt;
    auto e = decode_audit_value(stored);
    if (!e || e->seq != get_be64(seq_key_bytes.data()))
      return std::nullopt;
    return e;
  };

  std::string_view k, v;
  if (q.token_id != 0 || q.tenant_id != 0) {
    // The token index is the narrower of the two when both are given.
    const std::uint64_t id = q.token_id != 0 ? q.token_id : q.tenant_id;
    cursor c(t, q.token_id != 0 ? by_token_ : by_tenant_);
    auto start = be_key(id, from);
    for (bool ok = c.seek(view(start), k, v); ok; ok = c.next(k, v)) {
      if (k.size() != 16)
        continue;
      if (get_be64(k.data()) != id)
        break;
      if (auto e = load(k.substr(8)); e && !offer(std::move(*e)))
        break;
    }
  } else {
    cursor c(t, events_);
    auto start = be_key(from);
    for (bool ok = c.seek(view(start), k, v); ok; ok = c.next(k, v)) {
      if (k.size() != 8)
        continue;
      auto e = decode_audit_value(v);
      if (!e || e->seq != get_be64(k.data()))
        continue;
      if (!offer(std::move(*e)))
        break;
    }
  }
  return page;
}

audit_verdict audit_log::verify(const txn& t) const { return verify_events(t, events_); }

// ---------------------------------------------------------------------------
// offline verification

audit_verdict verify_audit_chain(const std::filesystem::path& meta_dir) {
  // env's constructor creates a missing directory; a mistyped path must fail
  // instead of leaving an empty directory behind.
  std::error_code fs_ec;
  if (!std::filesystem::is_regular_file(meta_dir / "data.mdb", fs_ec))
    throw std::system_error(std::make_error_code(std::errc::no_such_file_or_directory),
                            "no LMDB environment in " + meta_dir.string());
  // Map size 0: LMDB takes the size recorded in the environment (at least the
  // data in use), whatever the server configured. 16 named databases, as the
  // metadata store opens it.
  env e(meta_dir, 0, 16, MDB_RDONLY);
  // A server writing meanwhile may grow the map beyond ours; LMDB then refuses
  // the read transaction until the map is adopted (legal: no txn is open).
  for (int attempt = 0;; ++attempt) {
    auto [t, ec] = txn::begin(e, true);
    if (ec == lmdb_error(MDB_MAP_RESIZED) && attempt < 3) {
      if (auto rec = e.set_map_size(0))
        throw std::system_error(rec, "audit verify: adopt map size of " + meta_dir.string());
      continue;
    }
    if (ec)
      throw std::system_error(ec, "audit verify: begin read in " + meta_dir.string());
    MDB_dbi events = 0;
    int rc = mdb_dbi_open(t.get(), "audit", 0, &events);
    if (rc == MDB_NOTFOUND)
      return audit_verdict{}; // no event was ever written: an empty, whole chain
    if (rc != 0)
      throw std::system_error(lmdb_error(rc), "audit verify: open audit in " + meta_dir.string());
    // The handle lives with the environment; both end here, after the walk.
    return verify_events(t, events);
  }
}

} // namespace sluice::store
