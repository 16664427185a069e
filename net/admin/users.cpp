#include "net/admin/users.hpp"

namespace sluice::net {

namespace {

/// A role a tenant's user may hold (superusers are made by sluiced itself).
problem read_role(json_body& json, std::optional<user_role>& out, bool required) {
  std::optional<std::string> name;
  if (auto p = json.text("role", name, required, 16))
    return p;
  if (!name)
    return {};
  out = parse_user_role(*name);
  if (!out || *out == user_role::superuser)
    return make_problem(errc::invalid_argument, "\"role\" must be one of admin, member, viewer");
  return {};
}

/// Enough of an address to be one: something, one '@', something with a dot.
bool plausible_email(std::string_view e) {
  auto at = e.find('@');
  return at != std::string_view::npos && at > 0 && e.find('@', at + 1) == std::string_view::npos
         && e.find('.', at + 2) != std::string_view::npos && e.back() != '.'
         && e.find_first_of(" \t\r\n<>") == std::string_view::npos;
}

} // namespace

problem decode(const admin_input& in, create_user_req& out) {
  if (auto p = in.json.open(in.body, {"name", "email", "role"}))
    return p;
  std::optional<std::string> name, email;
  std::optional<user_role> role;
  for (auto p :
       {in.json.text("name", name, true, max_name_bytes),
        in.json.text("email", email, true, max_email_bytes), read_role(in.json, role, true)})
    if (p)
      return p;
  if (!plausible_email(*email))
    return make_problem(errc::invalid_argument, "\"email\" must be an e-mail address");
  out.name = std::move(*name);
  out.email = std::move(*email);
  out.role = *role;
  return {};
}

problem decode(const admin_input& in, list_users_req& out) {
  return read_page(in, out.page, id_kind::user);
}

problem decode(const admin_input&, get_user_req&) { return {}; }

problem decode(const admin_input& in, patch_user_req& out) {
  if (auto p = in.json.open(in.body, {"name", "role", "active", "reason"}))
    return p;
  for (auto p :
       {in.json.text("name", out.name, false, max_name_bytes), read_role(in.json, out.role, false),
        in.json.boolean("active", out.active, false), read_reason(in.json, out.reason, false)})
    if (p)
      return p;
  return {};
}

problem decode(const admin_input& in, mint_personal_token_req& out) {
  if (auto p = in.json.open(
        in.body, {"name", "description", "expires_in", "expires_at", "reason", "security"}))
    return p;
  std::optional<std::string> name, description;
  for (auto p : {in.json.text("name", name, true, max_name_bytes),
                 in.json.text("description", description, false, max_description_bytes, true),
                 read_expiry(in.json, in.now_us, out.expires_at_us),
                 read_reason(in.json, out.reason, false), read_security(in.json, out.security)})
    if (p)
      return p;
  out.name = std::move(*name);
  out.description = description.value_or("");
  return {};
}

problem decode(const admin_input& in, list_personal_tokens_req& out) {
  return read_page(in, out.page, id_kind::token);
}

} // namespace sluice::net
