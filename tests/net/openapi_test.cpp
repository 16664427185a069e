// The API description (docs/openapi.json, built into the server and served at
// GET /api/v1/openapi.json) against the routes the two ports really serve:
// every operation appears in it, on its port, with the query parameters it
// takes and whether it needs a token; and nothing else does. So it cannot
// drift from the server.

#include <boost/test/unit_test.hpp>

#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "net/admin_routes.hpp"
#include "net/ingest_routes.hpp"
#include "net/openapi.hpp"
#include "net/portal.hpp"

using namespace sluice::net;

namespace {

/// One operation as both sides describe it.
struct operation {
  std::set<std::string> query;
  bool authenticated = false;
  std::set<std::string> ports; ///< "ingest", "admin"

  bool operator==(const operation&) const = default;
};

/// "/tenants/{tenant_id}/systems" -> "/tenants/{}/systems": the document
/// names its parameters, the server does not.
std::string normalize(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '{')
      while (i + 1 < path.size() && path[i + 1] != '}')
        ++i;
  }
  return out;
}

std::set<std::string> words(std::string_view s) {
  std::set<std::string> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    out.emplace(s.substr(0, sp));
    s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
  }
  return out;
}

using operation_map = std::map<std::string, operation>; ///< "GET /path" -> operation

operation_map from_server() {
  operation_map out;
  auto add = [&](const std::vector<route_info>& routes, const std::string& port) {
    for (auto& r : routes) {
      auto& op = out[std::string{r.method} + " " + normalize(r.path)];
      op.query = words(r.query);
      op.authenticated = r.authenticated;
      op.ports.insert(port);
    }
  };
  add(ingest_route_list(), "ingest");
  add(admin_route_list(), "admin");
  return out;
}

/// Which port a server URL names: the document lists the defaults.
std::string port_of(std::string_view url) {
  if (url.find(":8080") != std::string_view::npos)
    return "ingest";
  if (url.find(":8081") != std::string_view::npos)
    return "admin";
  return std::string{url};
}

void read_query(simdjson::dom::element params, std::set<std::string>& out) {
  simdjson::dom::array list;
  if (params.get_array().get(list) != simdjson::SUCCESS)
    return;
  for (auto p : list) {
    std::string_view in, name;
    if (p["in"].get_string().get(in) == simdjson::SUCCESS && in == "query"
        && p["name"].get_string().get(name) == simdjson::SUCCESS)
      out.emplace(name);
  }
}

operation_map from_document(simdjson::dom::element doc) {
  operation_map out;
  simdjson::dom::array top_security;
  bool secured_by_default =
    doc["security"].get_array().get(top_security) == simdjson::SUCCESS && top_security.size() > 0;
  simdjson::dom::object paths;
  BOOST_REQUIRE(doc["paths"].get_object().get(paths) == simdjson::SUCCESS);
  for (auto [path, item] : paths) {
    std::set<std::string> ports, shared_query;
    simdjson::dom::array servers;
    if (item["servers"].get_array().get(servers) == simdjson::SUCCESS)
      for (auto s : servers) {
        std::string_view url;
        if (s["url"].get_string().get(url) == simdjson::SUCCESS)
          ports.insert(port_of(url));
      }
    simdjson::dom::element params;
    if (item["parameters"].get(params) == simdjson::SUCCESS)
      read_query(params, shared_query);
    simdjson::dom::object operations;
    if (item.get_object().get(operations) != simdjson::SUCCESS)
      continue;
    for (auto [key, value] : operations) {
      static const std::set<std::string_view> verbs = {"get",     "put",  "post",  "delete",
                                                       "options", "head", "patch", "trace"};
      if (!verbs.contains(key))
        continue;
      std::string method;
      for (char c : key)
        method += static_cast<char>(c - 'a' + 'A');
      auto& op = out[method + " " + normalize(path)];
      op.ports = ports;
      op.query = shared_query;
      if (value["parameters"].get(params) == simdjson::SUCCESS)
        read_query(params, op.query);
      simdjson::dom::array security;
      if (value["security"].get_array().get(security) == simdjson::SUCCESS)
        op.authenticated = security.size() > 0;
      else
        op.authenticated = secured_by_default;
    }
  }
  return out;
}

std::string describe(const operation& op) {
  std::string s = op.authenticated ? "token" : "no token";
  s += "; query:";
  for (auto& q : op.query)
    s += " " + q;
  s += "; ports:";
  for (auto& p : op.ports)
    s += " " + p;
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(the_document_lists_exactly_what_the_server_serves) {
  simdjson::dom::parser parser;
  auto text = openapi_document();
  simdjson::dom::element doc;
  BOOST_REQUIRE_MESSAGE(parser.parse(text.data(), text.size()).get(doc) == simdjson::SUCCESS,
                        "docs/openapi.json is not valid JSON");
  std::string_view version;
  BOOST_REQUIRE(doc["openapi"].get_string().get(version) == simdjson::SUCCESS);
  BOOST_TEST(version == "3.1.0");

  auto served = from_server();
  auto documented = from_document(doc);
  for (auto& [name, op] : served) {
    auto it = documented.find(name);
    if (it == documented.end()) {
      BOOST_ERROR("served but not in docs/openapi.json: " << name);
      continue;
    }
    BOOST_TEST(describe(it->second) == describe(op), name);
  }
  for (auto& [name, op] : documented)
    if (!served.contains(name))
      BOOST_ERROR("in docs/openapi.json but not served: " << name);
}

// The web portal's files ("/" and "/portal/…" on the admin port) are pages
// for a browser, not API: they are not in admin_route_list() and must not be
// in the document either.
BOOST_AUTO_TEST_CASE(the_portals_files_are_not_api) {
  simdjson::dom::parser parser;
  auto text = openapi_document();
  simdjson::dom::element doc;
  BOOST_REQUIRE(parser.parse(text.data(), text.size()).get(doc) == simdjson::SUCCESS);
  auto documented = from_document(doc);
  std::set<std::string> paths = {"/", "/portal", "/portal/"};
  for (auto& f : portal_files())
    paths.emplace(f.path);
  for (auto& [name, op] : documented) {
    auto path = name.substr(name.find(' ') + 1);
    BOOST_TEST(!paths.contains(path), name);
    BOOST_TEST(!path.starts_with("/portal"), name);
  }
  for (auto& r : admin_route_list())
    BOOST_TEST(!paths.contains(r.path), r.path);
}

BOOST_AUTO_TEST_CASE(the_documents_path_comparison_sees_parameters_as_one_segment) {
  BOOST_TEST(normalize("/api/v1/tenants/{tenant_id}/systems") == "/api/v1/tenants/{}/systems");
  BOOST_TEST(normalize("/api/v1/tenants/{id}") == "/api/v1/tenants/{}");
  BOOST_TEST(words("since until") == (std::set<std::string>{"since", "until"}));
  BOOST_TEST(words("").empty());
}

BOOST_AUTO_TEST_SUITE_END()
