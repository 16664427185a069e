#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/lmdb.hpp"

namespace sluice::store {

/// A BLAKE2b-256 digest of the chain.
using audit_digest = std::array<std::uint8_t, 32>;

/// One state change, as the audit log keeps it (docs/access-control.md). Append-only
/// and hash-chained: `hash` = BLAKE2b-256 (unkeyed, so anyone can verify) of
/// the event's canonical encoding, which includes `prev_hash`, the hash of the
/// event before it (all zeros for the first). No secret, hash of a secret or
/// pepper ever goes into an event: `before`/`after` hold public views.
struct audit_event {
  std::uint64_t seq = 0;            ///< position in the chain from 1; the evt_ id
  std::int64_t at_us = 0;           ///< when the change was committed
  std::string actor_kind;           ///< "user", "service" or "sluiced" (the server itself)
  std::uint64_t actor_user_id = 0;  ///< the acting user (personal tokens), else 0
  std::uint64_t actor_token_id = 0; ///< the token the actor presented, else 0
  std::string client_ip;            ///< empty for the server's own changes
  std::string action;               ///< "token.create", "token.revoke", "user.update", …
  std::uint64_t tenant_id = 0;      ///< targets; 0 = none
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  std::uint64_t user_id = 0;
  std::uint64_t approval_id = 0;
  std::string reason;      ///< empty when none was given
  std::string before_json; ///< a JSON value, or empty
  std::string after_json;  ///< a JSON value, or empty
  audit_digest prev_hash{};
  audit_digest hash{};
};

/// The canonical encoding the hash covers: compact JSON, fields in the order
/// above (without `hash`), zero ids and empty strings included, `before` and
/// `after` embedded as JSON values (null when empty), digests as lower-case
/// hex. Deterministic: the same event always gives the same bytes.
std::string canonical_encoding(const audit_event& e);

/// BLAKE2b-256 of the canonical encoding.
audit_digest chain_hash(const audit_event& e);

/// Filters of GET /audit. Zero ids, empty strings and zero times mean "any".
struct audit_query {
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  std::uint64_t actor_id = 0;  ///< matches actor_user_id or actor_token_id
  std::string action;          ///< exact, or a prefix ending in '.' ("token.")
  std::int64_t since_us = 0;   ///< at_us >= since_us
  std::int64_t until_us = 0;   ///< at_us < until_us
  std::uint64_t after_seq = 0; ///< cursor: events after this one
  std::size_t limit = 100;
};

struct audit_page {
  std::vector<audit_event> items;           ///< oldest first
  std::optional<std::uint64_t> next_cursor; ///< the last seq of this page, when there is more
};

/// What a walk of the chain found.
struct audit_verdict {
  bool whole = true;           ///< every link checks
  std::uint64_t checked = 0;   ///< events read
  std::uint64_t broken_at = 0; ///< seq of the first bad event (0 when whole)
  std::string why;             ///< what is wrong with it, in one sentence
  audit_digest head{};         ///< hash of the last event (when whole)
};

/// The audit log's named databases inside an LMDB environment (the metadata
/// environment, so that an event is written in the same transaction as the
/// change it records):
///   audit          seq (8 B BE)               -> hash (32 B) + canonical encoding
///   audit_tenant   tenant id + seq (16 B BE)  -> empty
///   audit_token    token id + seq (16 B BE)   -> empty
/// The head (last seq and hash) is the last key of `audit`.
class audit_log {
public:
  /// Opens (creating) the databases inside `t`, a write transaction that
  /// the caller commits (the one legal moment: before other transactions).
  /// Throws std::system_error on failure.
  void open(txn& t);

  /// Appends `e` within the write transaction `t`: sets seq (last + 1),
  /// prev_hash (the last event's hash) and hash, and writes the indexes. The
  /// caller sets at_us and the rest. On error nothing of `e` is written.
  std::error_code append(txn& t, audit_event& e) const;

  /// One event by seq.
  std::optional<audit_event> get(const txn& t, std::uint64_t seq) const;

  /// A page of events matching `q`, oldest first; uses the tenant or token
  /// index when the query names one.
  audit_page query(const txn& t, const audit_query& q) const;

  /// Walks the whole chain from the first event: each stored hash must be
  /// the hash of its encoding, each prev_hash the hash of the event before,
  /// and seqs must follow each other without gaps.
  audit_verdict verify(const txn& t) const;

private:
  MDB_dbi events_ = 0;
  MDB_dbi by_tenant_ = 0;
  MDB_dbi by_token_ = 0;
};

/// Opens the metadata environment in `meta_dir` read-only (safe while a
/// server runs on it, and on a copy) and verifies its audit chain, for
/// `sluiced verify-audit`. Throws std::system_error when it cannot be opened.
audit_verdict verify_audit_chain(const std::filesystem::path& meta_dir);

/// decode of a stored value (hash + canonical encoding); nullopt when malformed.
std::optional<audit_event> decode_audit_value(std::string_view stored);

} // namespace sluice::store
