#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"
#include "policy/token_format.hpp"

namespace sluice::net {

// Tokens: minting on a system, lists, and the calls on one token.

/// Tokens one bulk mint makes at most (one transaction, one response).
inline constexpr std::int64_t max_bulk_mint = 10'000;

/// POST /systems/{id}/tokens, and …/tokens/bulk (count > 1 allowed).
struct mint_token_req {
  static constexpr admin_op op = admin_op::mint_token;
  std::string name;
  std::string description;
  token_kind kind = token_kind::ingest;
  std::optional<int> retention_days; ///< absent: the tier's default
  std::int64_t expires_at_us = 0;    ///< 0 = never
  security_request security;
};

struct mint_tokens_req : mint_token_req {
  static constexpr admin_op op = admin_op::mint_tokens;
  std::uint32_t count = 1;
};

struct list_system_tokens_req {
  static constexpr admin_op op = admin_op::list_system_tokens;
  page_request page;
};

struct get_token_req {
  static constexpr admin_op op = admin_op::get_token;
};

struct patch_token_req {
  static constexpr admin_op op = admin_op::patch_token;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<int> retention_days;
};

struct revoke_token_req {
  static constexpr admin_op op = admin_op::revoke_token;
  std::string reason;
};

/// PUT /tokens/{id}/security: the whole of the settings.
struct set_security_req {
  static constexpr admin_op op = admin_op::set_token_security;
  security_request security;
  std::string reason;
};

struct token_usage_req {
  static constexpr admin_op op = admin_op::token_usage;
};

problem decode(const admin_input& in, mint_token_req& out);
problem decode(const admin_input& in, mint_tokens_req& out);
problem decode(const admin_input& in, list_system_tokens_req& out);
problem decode(const admin_input& in, get_token_req& out);
problem decode(const admin_input& in, patch_token_req& out);
problem decode(const admin_input& in, revoke_token_req& out);
problem decode(const admin_input& in, set_security_req& out);
problem decode(const admin_input& in, token_usage_req& out);

} // namespace sluice::net
