#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"
#include "policy/scopes.hpp"

namespace sluice::net {

// Users of a tenant and their personal (alu_) tokens.

/// Longest e-mail address (RFC 5321's path limit).
inline constexpr std::size_t max_email_bytes = 254;

struct create_user_req {
  static constexpr admin_op op = admin_op::create_user;
  std::string name;
  std::string email;
  user_role role = user_role::member;
};

struct list_users_req {
  static constexpr admin_op op = admin_op::list_users;
  page_request page;
};

struct get_user_req {
  static constexpr admin_op op = admin_op::get_user;
};

struct patch_user_req {
  static constexpr admin_op op = admin_op::patch_user;
  std::optional<std::string> name;
  std::optional<user_role> role;
  std::optional<bool> active;
  std::string reason;
};

/// POST /users/{id}/tokens: a personal token acting with the user's role.
struct mint_personal_token_req {
  static constexpr admin_op op = admin_op::mint_personal_token;
  std::string name;
  std::string description;
  std::int64_t expires_at_us = 0;
  std::string reason;
  security_request security;
};

struct list_personal_tokens_req {
  static constexpr admin_op op = admin_op::list_personal_tokens;
  page_request page;
};

problem decode(const admin_input& in, create_user_req& out);
problem decode(const admin_input& in, list_users_req& out);
problem decode(const admin_input& in, get_user_req& out);
problem decode(const admin_input& in, patch_user_req& out);
problem decode(const admin_input& in, mint_personal_token_req& out);
problem decode(const admin_input& in, list_personal_tokens_req& out);

} // namespace sluice::net
