#include "net/admin/systems.hpp"

namespace sluice::net {

problem decode(const admin_input& in, create_system_req& out) {
  if (auto p = in.json.open(in.body, {"name", "description"}))
    return p;
  std::optional<std::string> name, description;
  for (auto p : {in.json.text("name", name, true, max_name_bytes),
                 in.json.text("description", description, false, max_description_bytes, true)})
    if (p)
      return p;
  out.name = std::move(*name);
  out.description = description.value_or("");
  return {};
}

problem decode(const admin_input& in, list_systems_req& out) {
  return read_page(in, out.page, id_kind::system);
}

problem decode(const admin_input&, get_system_req&) { return {}; }

problem decode(const admin_input& in, patch_system_req& out) {
  if (auto p = in.json.open(in.body, {"name", "description"}))
    return p;
  for (auto p : {in.json.text("name", out.name, false, max_name_bytes),
                 in.json.text("description", out.description, false, max_description_bytes, true)})
    if (p)
      return p;
  return {};
}

problem decode(const admin_input&, system_usage_req&) { return {}; }

} // namespace sluice::net
