#include "net/admin/audit.hpp"

#include "policy/time.hpp"

namespace sluice::net {

problem decode(const admin_input& in, list_audit_req& out) {
  if (auto p = read_page(in, out.page, id_kind::event))
    return p;
  auto id_of = [&](std::string_view key, id_kind kind, std::uint64_t& id) -> problem {
    auto v = query_value(in, key);
    if (!v)
      return {};
    auto parsed = parse_id(kind, *v);
    if (!parsed)
      return make_problem(errc::invalid_argument, std::string{key} + " must be an id ("
                                                    + std::string{id_prefix(kind)} + "…)");
    id = *parsed;
    return {};
  };
  for (auto p : {id_of("tenant", id_kind::tenant, out.tenant_id),
                 id_of("system", id_kind::system, out.system_id),
                 id_of("token", id_kind::token, out.token_id)})
    if (p)
      return p;
  if (auto v = query_value(in, "actor")) {
    auto id = parse_id(id_kind::user, *v);
    if (!id)
      id = parse_id(id_kind::token, *v);
    if (!id)
      return make_problem(errc::invalid_argument,
                          "actor must be a user (usr_…) or token (tok_…) id");
    out.actor_id = *id;
  }
  if (auto v = query_value(in, "action")) {
    if (v->empty() || v->size() > 64)
      return make_problem(errc::invalid_argument, "action must be 1 to 64 characters");
    out.action = std::string{*v};
  }
  for (auto [key, target] :
       {std::pair{"since", &out.since_us}, std::pair{"until", &out.until_us}}) {
    if (auto v = query_value(in, key)) {
      auto t = parse_time_param_us(*v);
      if (!t)
        return make_problem(errc::invalid_argument,
                            std::string{key} + " must be an RFC 3339 time or Unix milliseconds");
      *target = *t;
    }
  }
  return {};
}

problem decode(const admin_input&, verify_audit_req&) { return {}; }

problem decode(const admin_input&, whoami_req&) { return {}; }

} // namespace sluice::net
