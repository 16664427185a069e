#include <boost/test/unit_test.hpp>

#include <ostream>
#include <utility>

#include "policy/scopes.hpp"

using namespace sluice;

namespace sluice {

// Failures print names rather than numbers.
static std::ostream& boost_test_print_type(std::ostream& os, scope s) { return os << to_string(s); }
static std::ostream& boost_test_print_type(std::ostream& os, risk r) { return os << to_string(r); }
static std::ostream& boost_test_print_type(std::ostream& os, user_role r) {
  return os << to_string(r);
}
static std::ostream& boost_test_print_type(std::ostream& os, approval_policy p) {
  return os << to_string(p);
}
static std::ostream& boost_test_print_type(std::ostream& os, scope_set s) {
  return os << '{' << s.names() << '}';
}

} // namespace sluice

namespace {

struct scope_row {
  scope s;
  std::string_view name;
  risk r;
};

// The API names and risks of docs/access-control.md, every scope once.
constexpr scope_row all_scopes[] = {
  {scope::ingest, "ingest", risk::low},
  {scope::query, "query", risk::medium},
  {scope::systems_read, "systems:read", risk::low},
  {scope::systems_write, "systems:write", risk::medium},
  {scope::tokens_read, "tokens:read", risk::low},
  {scope::tokens_write, "tokens:write", risk::high},
  {scope::users_read, "users:read", risk::low},
  {scope::users_write, "users:write", risk::high},
  {scope::audit_read, "audit:read", risk::medium},
  {scope::admin, "admin", risk::high},
};
static_assert(std::size(all_scopes) == scope_count);

scope_set every_scope() {
  scope_set s;
  for (auto& row : all_scopes)
    s.insert(row.s);
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(scopes)

BOOST_AUTO_TEST_CASE(every_scope_has_its_api_name_and_parses_back) {
  for (auto& row : all_scopes) {
    BOOST_TEST(to_string(row.s) == row.name);
    auto parsed = parse_scope(row.name);
    BOOST_REQUIRE_MESSAGE(parsed.has_value(), row.name);
    BOOST_TEST(*parsed == row.s);
  }
}

BOOST_AUTO_TEST_CASE(names_that_are_not_scopes_are_refused) {
  for (std::string_view bad : {"", "Admin", "QUERY", "systems", "systems:", "systems:delete",
                               " query", "query ", "tokens_read", "audit:write", "ingest,query"})
    BOOST_TEST(!parse_scope(bad).has_value(), '"' << bad << '"');
}

BOOST_AUTO_TEST_CASE(each_scope_carries_the_risk_of_the_spec) {
  for (auto& row : all_scopes)
    BOOST_TEST(risk_of(row.s) == row.r, row.name);
}

BOOST_AUTO_TEST_CASE(risks_are_ordered_and_their_names_round_trip) {
  BOOST_TEST(risk::low < risk::medium);
  BOOST_TEST(risk::medium < risk::high);
  for (auto [r, name] : {std::pair{risk::low, "low"}, std::pair{risk::medium, "medium"},
                         std::pair{risk::high, "high"}}) {
    BOOST_TEST(to_string(r) == name);
    BOOST_REQUIRE(parse_risk(name).has_value());
    BOOST_TEST(*parse_risk(name) == r);
  }
  BOOST_TEST(!parse_risk("").has_value());
  BOOST_TEST(!parse_risk("High").has_value());
  BOOST_TEST(!parse_risk("critical").has_value());
}

BOOST_AUTO_TEST_CASE(a_set_holds_each_scope_once_and_lists_them_in_enum_order) {
  scope_set s{scope::tokens_read, scope::query, scope::tokens_read};
  BOOST_TEST(s.size() == 2u);
  BOOST_TEST(!s.empty());
  BOOST_TEST(s.contains(scope::query));
  BOOST_TEST(s.contains(scope::tokens_read));
  BOOST_TEST(!s.contains(scope::admin));
  BOOST_TEST(s.list() == (std::vector<scope>{scope::query, scope::tokens_read}),
             boost::test_tools::per_element());
  BOOST_TEST(s.names() == "query, tokens:read");
  s.insert(scope::ingest);
  s.insert(scope::ingest);
  BOOST_TEST(s.size() == 3u);
  BOOST_TEST(s.names() == "ingest, query, tokens:read");
  BOOST_TEST(every_scope().size() == scope_count);
  BOOST_TEST(every_scope().names()
             == "ingest, query, systems:read, systems:write, tokens:read, tokens:write, "
                "users:read, users:write, audit:read, admin");
}

BOOST_AUTO_TEST_CASE(the_empty_set_has_no_names_and_low_risk) {
  scope_set none;
  BOOST_TEST(none.empty());
  BOOST_TEST(none.size() == 0u);
  BOOST_TEST(none.list().empty());
  BOOST_TEST(none.names() == "");
  BOOST_TEST(none.risk() == risk::low);
  BOOST_TEST(none.bits() == 0u);
  BOOST_TEST(none == scope_set{});
}

BOOST_AUTO_TEST_CASE(includes_and_missing_compare_what_is_held_with_what_is_asked) {
  scope_set held{scope::query, scope::systems_read, scope::tokens_read};
  BOOST_TEST(held.includes({}));
  BOOST_TEST(held.includes(held));
  BOOST_TEST(held.includes({scope::query, scope::tokens_read}));
  BOOST_TEST(!held.includes({scope::query, scope::tokens_write}));
  BOOST_TEST(!scope_set{}.includes({scope::ingest}));

  BOOST_TEST(held.missing({scope::query, scope::tokens_write, scope::audit_read})
             == (scope_set{scope::tokens_write, scope::audit_read}));
  BOOST_TEST(held.missing({scope::query}).empty());
  BOOST_TEST(held.missing({}).empty());
  BOOST_TEST(scope_set{}.missing(held) == held);
}

BOOST_AUTO_TEST_CASE(admin_implies_every_scope_but_ingest) {
  auto e = scope_set{scope::admin}.effective();
  BOOST_TEST(e.size() == scope_count - 1);
  BOOST_TEST(!e.contains(scope::ingest));
  for (auto& row : all_scopes)
    if (row.s != scope::ingest)
      BOOST_TEST(e.contains(row.s), row.name);
  // An admin token can do anything a member or viewer can, but writing
  // messages stays a grant of its own.
  BOOST_TEST(e.includes(scopes_of_role(user_role::member)));
  BOOST_TEST(!e.includes({scope::ingest}));
  BOOST_TEST(e.effective() == e);
  // Ingest given alongside admin is kept: effective() only adds.
  BOOST_TEST((scope_set{scope::admin, scope::ingest}.effective()) == every_scope());
}

BOOST_AUTO_TEST_CASE(a_set_without_admin_is_its_own_effective_set) {
  for (auto s : {scope_set{}, scope_set{scope::ingest},
                 scope_set{scope::tokens_write, scope::users_write, scope::audit_read}})
    BOOST_TEST(s.effective() == s);
  auto all_but_admin = scope_set{scope::admin}.missing(every_scope());
  BOOST_TEST(all_but_admin.size() == scope_count - 1);
  BOOST_TEST(all_but_admin.effective() == all_but_admin);
}

BOOST_AUTO_TEST_CASE(the_risk_of_a_set_is_that_of_its_riskiest_scope) {
  BOOST_TEST(
    (scope_set{scope::ingest, scope::systems_read, scope::tokens_read, scope::users_read}.risk())
    == risk::low);
  BOOST_TEST((scope_set{scope::ingest, scope::query}.risk()) == risk::medium);
  BOOST_TEST((scope_set{scope::audit_read, scope::systems_write}.risk()) == risk::medium);
  BOOST_TEST((scope_set{scope::ingest, scope::tokens_write}.risk()) == risk::high);
  BOOST_TEST(scope_set{scope::admin}.risk() == risk::high);
  for (auto& row : all_scopes)
    BOOST_TEST(scope_set{row.s}.risk() == row.r, row.name);
}

BOOST_AUTO_TEST_CASE(a_set_survives_storage_as_bits_and_unknown_bits_grant_nothing) {
  scope_set s{scope::ingest, scope::audit_read, scope::admin};
  BOOST_TEST(scope_set::from_bits(s.bits()) == s);
  BOOST_TEST(scope_set::from_bits(every_scope().bits()) == every_scope());
  // Bits past the last scope (a newer build, a corrupt row) are dropped.
  BOOST_TEST(scope_set::from_bits(0xffff) == every_scope());
  BOOST_TEST(scope_set::from_bits(static_cast<std::uint16_t>(1u << scope_count)).empty());
}

BOOST_AUTO_TEST_CASE(a_list_of_distinct_scope_names_parses_to_a_set) {
  std::string bad = "untouched";
  auto s = parse_scopes({"tokens:read", "query"}, bad);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(*s == (scope_set{scope::query, scope::tokens_read}));
  auto none = parse_scopes({}, bad);
  BOOST_REQUIRE(none.has_value());
  BOOST_TEST(none->empty());
  std::vector<std::string> every_name;
  for (auto& row : all_scopes)
    every_name.emplace_back(row.name);
  BOOST_TEST(*parse_scopes(every_name, bad) == every_scope());
  BOOST_TEST(bad == "untouched");
}

BOOST_AUTO_TEST_CASE(an_unknown_or_repeated_scope_name_is_refused_and_named) {
  struct row {
    std::vector<std::string> names;
    std::string bad;
  };
  for (auto& [names, expected] : std::initializer_list<row>{
         {{"query", "tokens:delete"}, "tokens:delete"},
         {{"Query"}, "Query"},
         {{""}, ""},
         {{"query", "systems:read", "query"}, "query"},
         {{"admin", "admin"}, "admin"},
         {{"nope", "query", "query"}, "nope"}, // the first problem is the one named
       }) {
    std::string bad = "untouched";
    BOOST_TEST(!parse_scopes(names, bad).has_value(), expected);
    BOOST_TEST(bad == expected);
  }
}

BOOST_AUTO_TEST_CASE(each_role_acts_with_the_scopes_of_the_spec) {
  scope_set viewer{scope::query, scope::systems_read, scope::tokens_read, scope::users_read};
  BOOST_TEST(scopes_of_role(user_role::viewer) == viewer);
  BOOST_TEST(scopes_of_role(user_role::member)
             == (scope_set{scope::query, scope::systems_read, scope::systems_write,
                           scope::tokens_read, scope::tokens_write, scope::users_read}));
  BOOST_TEST(scopes_of_role(user_role::admin) == scope_set{scope::admin});
  BOOST_TEST(scopes_of_role(user_role::superuser) == scope_set{scope::admin});
}

BOOST_AUTO_TEST_CASE(each_role_can_do_what_the_role_below_it_can) {
  auto viewer = scopes_of_role(user_role::viewer).effective();
  auto member = scopes_of_role(user_role::member).effective();
  auto admin = scopes_of_role(user_role::admin).effective();
  BOOST_TEST(member.includes(viewer));
  BOOST_TEST(admin.includes(member));
  BOOST_TEST(!viewer.includes(member));
  BOOST_TEST(!member.includes({scope::users_write}));
  BOOST_TEST(!member.includes({scope::audit_read}));
  // No role writes messages: that is what ingest tokens are for.
  for (auto r : {user_role::superuser, user_role::admin, user_role::member, user_role::viewer})
    BOOST_TEST(!scopes_of_role(r).effective().contains(scope::ingest), to_string(r));
}

BOOST_AUTO_TEST_CASE(role_names_round_trip) {
  for (auto [r, name] :
       {std::pair{user_role::superuser, "superuser"}, std::pair{user_role::admin, "admin"},
        std::pair{user_role::member, "member"}, std::pair{user_role::viewer, "viewer"}}) {
    BOOST_TEST(to_string(r) == name);
    BOOST_REQUIRE(parse_user_role(name).has_value());
    BOOST_TEST(*parse_user_role(name) == r);
  }
  for (std::string_view bad : {"", "owner", "Admin", "viewers"})
    BOOST_TEST(!parse_user_role(bad).has_value(), '"' << bad << '"');
}

BOOST_AUTO_TEST_CASE(approval_policy_names_round_trip_and_the_default_is_high) {
  BOOST_TEST(approval_policy{} == approval_policy::high);
  for (auto [p, name] :
       {std::pair{approval_policy::high, "high"}, std::pair{approval_policy::medium, "medium"},
        std::pair{approval_policy::none, "none"}}) {
    BOOST_TEST(to_string(p) == name);
    BOOST_REQUIRE(parse_approval_policy(name).has_value());
    BOOST_TEST(*parse_approval_policy(name) == p);
  }
  for (std::string_view bad : {"", "low", "None", "always"})
    BOOST_TEST(!parse_approval_policy(bad).has_value(), '"' << bad << '"');
}

BOOST_AUTO_TEST_CASE(a_token_waits_for_approval_when_its_risk_reaches_the_tenant_policy) {
  struct row {
    risk r;
    approval_policy p;
    bool waits;
  };
  for (auto [r, p, waits] : std::initializer_list<row>{
         {risk::low, approval_policy::high, false},
         {risk::medium, approval_policy::high, false},
         {risk::high, approval_policy::high, true},
         {risk::low, approval_policy::medium, false},
         {risk::medium, approval_policy::medium, true},
         {risk::high, approval_policy::medium, true},
         {risk::low, approval_policy::none, false},
         {risk::medium, approval_policy::none, false},
         {risk::high, approval_policy::none, false},
       })
    BOOST_TEST(needs_approval(r, p) == waits, to_string(r) << " under " << to_string(p));
}

BOOST_AUTO_TEST_CASE(medium_and_high_risk_tokens_need_a_reason) {
  BOOST_TEST(!needs_reason(risk::low));
  BOOST_TEST(needs_reason(risk::medium));
  BOOST_TEST(needs_reason(risk::high));
  // So a plain ingest token needs none, a query token does.
  BOOST_TEST(!needs_reason(scope_set{scope::ingest}.risk()));
  BOOST_TEST(needs_reason(scope_set{scope::query}.risk()));
}

BOOST_AUTO_TEST_CASE(a_public_token_may_only_ingest_and_query) {
  BOOST_TEST(allowed_for_public({}));
  BOOST_TEST(allowed_for_public({scope::ingest}));
  BOOST_TEST(allowed_for_public({scope::query}));
  BOOST_TEST(allowed_for_public({scope::ingest, scope::query}));
  for (auto& row : all_scopes)
    if (row.s != scope::ingest && row.s != scope::query) {
      BOOST_TEST(!allowed_for_public({row.s}), row.name);
      BOOST_TEST(!allowed_for_public({scope::ingest, row.s}), row.name);
    }
}

BOOST_AUTO_TEST_SUITE_END()
