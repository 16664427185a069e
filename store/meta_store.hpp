#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/audit_log.hpp"
#include "store/records.hpp"

namespace sluice::store {

/// Limits of the metadata environment (config keys storage.meta-map-size and
/// storage.max-map-size).
struct meta_options {
  std::filesystem::path dir;             ///< <data-dir>/meta
  std::size_t map_size = 64ull << 20;    ///< initial map size
  std::size_t max_map_size = 1ull << 40; ///< growth stops here
};

/// Stages the writes of one metadata transaction; see meta_store::write.
class meta_writer {
public:
  virtual ~meta_writer() = default;
  virtual void put(const tenant_record& r) = 0;
  virtual void put(const user_record& r) = 0;
  virtual void put(const system_record& r) = 0;
  /// Writes the token and keeps its indexes in step with it: hash -> id for
  /// its hash and, while a rotation's grace runs (previous_valid_until_us >
  /// 0), its previous hash; system -> tokens with their status; user ->
  /// tokens (personal tokens); tenant -> tokens (service tokens).
  virtual void put(const token_record& r) = 0;
  virtual void put(const approval_record& r) = 0;
  /// Writes a token's or system's usage to the usage tables: its totals row
  /// (with, for a token, when and from where it was last used) and, of its
  /// per-minute series, only the minutes in `changed` (rows of minutes in
  /// `changed` that `u` no longer holds are deleted). The first write of an
  /// id writes every minute of `u`. `u.minutes` is in minute order.
  virtual void put_usage(std::uint64_t id, const usage_record& u, minute_range changed,
                         std::int64_t last_used_at_us, std::string_view last_ip) = 0;
  /// Deletes the usage minutes before `minute`, for every id.
  virtual void drop_usage_before(std::int64_t minute) = 0;
  /// Appends an audit event in this same transaction (no change without its
  /// event, no event without its change): sets its seq and hashes.
  virtual void append(audit_event& e) = 0;
};

/// The metadata environment: tenants, users, systems, tokens, approvals, the
/// indexes (secret hash to token, tenant to users/systems/service tokens,
/// system to tokens, user to tokens), the usage of tokens and systems, and
/// the audit log. Token and system records are read with their usage. Reads may run on any thread
/// at any time; writes come from one thread at a time (the admin actor) and each `write` is one
/// durable transaction. When the map is full it grows (doubling, up to max_map_size) and the
/// transaction is retried, instead of failing the write.
class meta_store {
public:
  explicit meta_store(const meta_options& opts);
  ~meta_store();
  meta_store(const meta_store&) = delete;
  meta_store& operator=(const meta_store&) = delete;

  /// True until the first user is written: the server's first start.
  bool empty() const;

  std::optional<tenant_record> tenant(std::uint64_t id) const;
  std::optional<user_record> user(std::uint64_t id) const;
  std::optional<system_record> system(std::uint64_t id) const;
  std::optional<token_record> token(std::uint64_t id) const;
  /// The token whose secret hashes to `h` (the constant-time check of the
  /// stored hash is done here too).
  std::optional<token_record> token_by_hash(const token_hash& h) const;

  /// Pages in id order (= creation order), starting after `after` (0 = start).
  /// Tokens and systems in pages carry their usage totals (and a token's
  /// last use), not the per-minute series of the usage tables: no list shows
  /// it, and it costs up to an hour of minute rows per record. Records of an
  /// earlier version keep the series they hold until their first usage write.
  std::vector<tenant_record> tenants(std::uint64_t after, std::size_t limit) const;
  std::vector<system_record> systems_of(std::uint64_t tenant_id, std::uint64_t after,
                                        std::size_t limit) const;
  std::vector<token_record> tokens_of_system(std::uint64_t system_id, std::uint64_t after,
                                             std::size_t limit) const;
  /// Tokens of the system that are not revoked (the tier's tokens cap counts these).
  std::uint64_t live_tokens_of_system(std::uint64_t system_id) const;

  std::optional<approval_record> approval(std::uint64_t id) const;

  /// Pages in id order, like the lists above.
  std::vector<user_record> users_of(std::uint64_t tenant_id, std::uint64_t after,
                                    std::size_t limit) const;
  /// Personal tokens of a user.
  std::vector<token_record> tokens_of_user(std::uint64_t user_id, std::uint64_t after,
                                           std::size_t limit) const;
  /// Service tokens of a tenant.
  std::vector<token_record> service_tokens_of(std::uint64_t tenant_id, std::uint64_t after,
                                              std::size_t limit) const;
  /// Approvals, optionally of one tenant (0 = all) and one status.
  std::vector<approval_record> approvals(std::uint64_t tenant_id,
                                         std::optional<approval_status> status, std::uint64_t after,
                                         std::size_t limit) const;

  /// The audit log: a page of events, one event, and a walk of the chain.
  audit_page audit(const audit_query& q) const;
  std::optional<audit_event> audit_event_at(std::uint64_t seq) const;
  audit_verdict verify_audit() const;

  /// True when any record of any kind has this id (ids must be unique).
  bool id_taken(std::uint64_t id) const;

  /// Runs `fill` to stage puts, then commits them in one durable transaction.
  /// `fill` may run more than once (after map growth): it must be repeatable.
  std::error_code write(const std::function<void(meta_writer&)>& fill);

  /// Current map size, for metrics and tests.
  std::size_t map_size() const;
  /// Bytes of the map in use, for metrics (any thread).
  std::size_t used_bytes() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::store
