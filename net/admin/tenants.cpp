#include "net/admin/tenants.hpp"

#include <algorithm>
#include <type_traits>

namespace sluice::net {

namespace {

/// Reads "overrides" (absent: no change), one key per cap of cap_fields.
problem read_overrides(json_body& json, overrides_change& out) {
  static const auto keys = [] {
    std::vector<std::string_view> k;
    for_each_cap([&](const auto& c) {
      if (c.override_member)
        k.push_back(c.key);
    });
    return k;
  }();
  bool found = false;
  if (auto p = json.descend("overrides", keys, found))
    return p;
  if (!found)
    return {};
  problem p;
  for_each_cap([&](const auto& c) {
    using T = typename std::decay_t<decltype(c)>::value_type;
    if (p || !c.override_member)
      return;
    auto state = json.has(c.key);
    if (state == json_body::presence::null)
      out.removed.push_back(c.key);
    if (state != json_body::presence::value)
      return;
    if constexpr (std::is_same_v<T, bool>) {
      std::optional<bool> b;
      if (!(p = json.boolean(c.key, b, true)))
        out.set.*c.override_member = *b;
    } else {
      std::optional<std::int64_t> x;
      if (!(p = json.integer(c.key, x, true, c.min, c.max)))
        out.set.*c.override_member = static_cast<T>(*x);
    }
  });
  json.ascend();
  if (p)
    return p;
  return check_overrides(out.set);
}

problem read_tier(json_body& json, std::optional<sluice::tier>& out) {
  std::optional<std::string> name;
  if (auto p = json.text("tier", name, false, 32))
    return p;
  if (!name)
    return {};
  out = parse_tier(*name);
  if (!out)
    return make_problem(errc::invalid_argument, "\"tier\" must be one of free, pro, enterprise");
  return {};
}

problem read_approval(json_body& json, std::optional<approval_policy>& out) {
  std::optional<std::string> name;
  if (auto p = json.text("approval", name, false, 16))
    return p;
  if (!name)
    return {};
  out = parse_approval_policy(*name);
  if (!out)
    return make_problem(errc::invalid_argument, "\"approval\" must be one of high, medium, none");
  return {};
}

} // namespace

cap_overrides overrides_change::applied_to(cap_overrides o) const {
  for_each_cap([&](const auto& c) {
    if (!c.override_member)
      return;
    if (std::find(removed.begin(), removed.end(), c.key) != removed.end())
      (o.*c.override_member).reset();
    if (set.*c.override_member)
      o.*c.override_member = set.*c.override_member;
  });
  return o;
}

problem decode(const admin_input& in, create_tenant_req& out) {
  if (auto p = in.json.open(in.body, {"name", "tier", "overrides", "approval"}))
    return p;
  std::optional<std::string> name;
  std::optional<sluice::tier> t;
  std::optional<approval_policy> approval;
  for (auto p : {in.json.text("name", name, true, max_name_bytes), read_tier(in.json, t),
                 read_overrides(in.json, out.overrides), read_approval(in.json, approval)})
    if (p)
      return p;
  out.name = std::move(*name);
  out.tier = t.value_or(sluice::tier::free);
  out.approval = approval.value_or(approval_policy::high);
  return {};
}

problem decode(const admin_input& in, list_tenants_req& out) {
  return read_page(in, out.page, id_kind::tenant);
}

problem decode(const admin_input&, get_tenant_req&) { return {}; }

problem decode(const admin_input& in, patch_tenant_req& out) {
  if (auto p = in.json.open(in.body, {"name", "tier", "overrides", "approval"}))
    return p;
  for (auto p :
       {in.json.text("name", out.name, false, max_name_bytes), read_tier(in.json, out.tier),
        read_overrides(in.json, out.overrides), read_approval(in.json, out.approval)})
    if (p)
      return p;
  return {};
}

} // namespace sluice::net
