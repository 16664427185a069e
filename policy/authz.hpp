#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/admin_ops.hpp"
#include "policy/errors.hpp"
#include "policy/scopes.hpp"
#include "policy/token_format.hpp"

namespace sluice {

/// Who is calling the admin API, as its token's actor authenticated it.
struct principal {
  token_kind kind = token_kind::user; ///< user (personal) or service
  std::uint64_t token_id = 0;
  std::uint64_t user_id = 0;   ///< personal tokens
  std::uint64_t tenant_id = 0; ///< 0 for superusers
  bool superuser = false;
  user_role role = user_role::viewer; ///< personal tokens
  /// What it may do: its role's scopes or the service token's, with what
  /// `admin` implies (scope_set::effective).
  scope_set scopes;
  bool is_public = false;
  /// Service tokens: the systems `query` is limited to (empty = all).
  std::vector<std::uint64_t> query_systems;

  /// "usr_…" for a person, "tok_…" for a service token: who audit events
  /// and created_by name.
  std::string public_id() const;
};

/// The principal of a personal token of `user` (with `role` in `tenant_id`).
principal person(std::uint64_t token_id, std::uint64_t user_id, std::uint64_t tenant_id,
                 user_role role);
/// The principal of a service token.
principal service(std::uint64_t token_id, std::uint64_t tenant_id, scope_set scopes, bool is_public,
                  std::vector<std::uint64_t> query_systems);

/// What an operation acts on, as the admin actor read it from the store.
struct authz_target {
  /// The tenant the target belongs to; 0 for platform-level targets (a
  /// superuser, a superuser's tokens) and for operations without a target.
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  /// User operations: the user; token operations on a personal token: its user.
  std::uint64_t user_id = 0;
  /// That user's role (changing the user, or a token acting with its role,
  /// needs everything the role may do: no escalation).
  sluice::user_role role = sluice::user_role::viewer;
  /// Token operations: the token's kind, scopes and the systems its
  /// `query` reaches (empty: all), for no escalation.
  std::optional<token_kind> token;
  scope_set token_scopes;
  std::vector<std::uint64_t> token_query_systems;
  /// Approvals: the person who asked (also when they asked through a
  /// service token they made), the person who held the secret that asked
  /// (whoever rotated that service token last, or set up that personal
  /// token), and the service token that asked. Both people count as the
  /// requester: either could have presented the secret.
  std::uint64_t requested_by_user = 0;
  std::uint64_t requested_by_holder = 0;
  std::uint64_t requested_by_token = 0;
  /// Approvals: the person who holds the waiting token's own secret now
  /// (0: none known). The requester, unless someone rotated the token since
  /// it was asked for: then that person would be the one to use it, and
  /// counts as a requester too.
  std::uint64_t token_secret_holder = 0;
  /// Decisions: the people who were handed the secret the decider presents
  /// (0: none known): a person, or the maker and the holder of the service
  /// token it was handed to. A decider holding a secret a requester handed
  /// out could be that requester.
  std::array<std::uint64_t, 2> decider_secret_from{};
};

/// The verdict on one call: ok, or the refusal to answer with (404 outside
/// the caller's tenant, 403 insufficient_scope or forbidden inside it).
problem authorize(admin_op op, const principal& who, const authz_target& what);

/// A caller may hand out only what it holds: minting, rotating or changing a
/// service token needs every scope of that token, and, when the caller's
/// `query` is limited to some systems (its query_systems), a `query` that
/// reaches only systems among them (`wanted_query_systems`; empty: every
/// system of the tenant, as a role's `query` does). ok or 403 naming what
/// is missing.
problem check_no_escalation(const principal& who, scope_set wanted,
                            const std::vector<std::uint64_t>& wanted_query_systems = {});

} // namespace sluice
