#include <boost/test/unit_test.hpp>

#include <set>

#include "policy/base62.hpp"
#include "policy/token_format.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(token_format)

BOOST_AUTO_TEST_CASE(a_generated_secret_has_the_spec_shape_and_passes_the_check) {
  for (auto kind :
       {token_kind::ingest, token_kind::webhook, token_kind::service, token_kind::user}) {
    auto secret = generate_secret(kind);
    auto prefix = token_prefix(kind);
    BOOST_TEST(secret.size() == prefix.size() + 43 + 6);
    BOOST_TEST(secret.substr(0, prefix.size()) == prefix);
    for (auto c : secret.substr(prefix.size()))
      BOOST_TEST(base62::is_digit(c));
    auto checked = check_secret_format(secret);
    BOOST_REQUIRE(checked.has_value());
    BOOST_TEST(static_cast<int>(*checked) == static_cast<int>(kind));
  }
}

BOOST_AUTO_TEST_CASE(secrets_do_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i)
    BOOST_TEST(seen.insert(generate_secret(token_kind::ingest)).second);
}

BOOST_AUTO_TEST_CASE(the_checksum_catches_any_single_changed_character) {
  auto secret = generate_secret(token_kind::ingest);
  for (std::size_t i = 3; i < secret.size(); ++i) {
    auto typo = secret;
    typo[i] = typo[i] == 'a' ? 'b' : 'a';
    BOOST_TEST(!check_secret_format(typo).has_value(), "position " << i);
  }
}

BOOST_AUTO_TEST_CASE(wrong_prefix_length_or_alphabet_is_refused_without_lookup) {
  auto secret = generate_secret(token_kind::ingest);
  BOOST_TEST(!check_secret_format("").has_value());
  BOOST_TEST(!check_secret_format("al_").has_value());
  BOOST_TEST(!check_secret_format(secret.substr(0, secret.size() - 1)).has_value());
  BOOST_TEST(!check_secret_format(secret + "x").has_value());
  BOOST_TEST(!check_secret_format("xx_" + secret.substr(3)).has_value());
  auto dash = secret;
  dash[10] = '-';
  BOOST_TEST(!check_secret_format(dash).has_value());
  // Same body under another kind's prefix: the checksum covers the prefix too.
  BOOST_TEST(!check_secret_format("als_" + secret.substr(3)).has_value());
}

BOOST_AUTO_TEST_CASE(the_shape_check_looks_at_prefix_and_length_only) {
  for (auto k : {token_kind::ingest, token_kind::webhook, token_kind::service, token_kind::user}) {
    auto secret = generate_secret(k);
    BOOST_TEST(has_secret_shape(secret));
    // A changed character keeps the shape (only the full check catches it).
    auto typo = secret;
    typo[typo.size() - 1] = typo.back() == '-' ? '+' : '-';
    BOOST_TEST(has_secret_shape(typo));
    BOOST_TEST(!check_secret_format(typo).has_value());
    BOOST_TEST(!has_secret_shape(secret.substr(0, secret.size() - 1)));
    BOOST_TEST(!has_secret_shape(secret + "x"));
  }
  auto secret = generate_secret(token_kind::ingest);
  BOOST_TEST(!has_secret_shape(""));
  BOOST_TEST(!has_secret_shape("al_"));
  BOOST_TEST(!has_secret_shape("xx_" + secret.substr(3)));
  // One character more is the length of the four-character prefixes, not
  // their shape.
  BOOST_TEST(!has_secret_shape("al_x" + secret.substr(3)));
}

BOOST_AUTO_TEST_CASE(the_display_hint_shows_prefix_and_last_four_only) {
  auto secret = generate_secret(token_kind::service);
  auto hint = display_hint(secret);
  BOOST_TEST(hint == "als_\u2026" + secret.substr(secret.size() - 4));
  BOOST_TEST(hint.find(secret.substr(4, 10)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(kind_names_round_trip) {
  for (auto kind : {token_kind::ingest, token_kind::webhook, token_kind::service, token_kind::user})
    BOOST_TEST(static_cast<int>(*parse_token_kind(to_string(kind))) == static_cast<int>(kind));
  BOOST_TEST(!parse_token_kind("admin").has_value());
}

BOOST_AUTO_TEST_CASE(anything_starting_like_a_token_is_treated_as_a_secret) {
  for (auto kind :
       {token_kind::ingest, token_kind::webhook, token_kind::service, token_kind::user}) {
    auto secret = generate_secret(kind);
    BOOST_TEST(looks_like_secret(secret));
    BOOST_TEST(looks_like_secret(secret.substr(0, 10))); // a piece of one, too
  }
  for (auto s : {"messages", "webhooks", "alpha", "al", "tok_7Hq", "", "AL_x"})
    BOOST_TEST(!looks_like_secret(s), s);
}

BOOST_AUTO_TEST_CASE(redaction_replaces_every_secret_shaped_word_and_nothing_else) {
  auto hook = generate_secret(token_kind::webhook);
  auto user = generate_secret(token_kind::user);
  BOOST_TEST(redact_secrets("Bearer " + user) == "Bearer {token}");
  BOOST_TEST(redact_secrets("/webhooks/" + hook + "/x?api_key=" + user + "&a=1")
             == "/webhooks/{token}/x?api_key={token}&a=1");
  BOOST_TEST(redact_secrets("\"" + hook + "\",") == "\"{token}\",");
  BOOST_TEST(redact_secrets(hook.substr(0, 12)) == "{token}"); // a piece of one
  // Glued to other text: percent-encoded, or after a letter.
  BOOST_TEST(redact_secrets("/webhooks%2F" + hook) == "/webhooks%2F{token}");
  BOOST_TEST(redact_secrets("x" + user + ".json") == "x{token}.json");
  BOOST_TEST(redact_secrets("al_") == "{token}");
  // Words that merely contain "al_" and the like are left alone.
  for (std::string_view s : {"internal_error", "total_bytes_written_in_the_last_hour", "normal_x",
                             "tok_0000000000a", "al", "salw", "als", "/tokens/tok_1/rotate", ""})
    BOOST_TEST(redact_secrets(s) == s);
  std::string out = "kept ";
  redact_secrets("and " + hook, out);
  BOOST_TEST(out == "kept and {token}");
}

BOOST_AUTO_TEST_CASE(what_a_client_is_shown_loses_secrets_and_keeps_prefixes_and_hints) {
  auto ingest = generate_secret(token_kind::ingest);
  BOOST_TEST(echo_without_secrets("\"" + ingest + "\" is not a field of this call")
             == "\"{token}\" is not a field of this call");
  BOOST_TEST(echo_without_secrets("\"security." + ingest + "\"") == "\"security.{token}\"");
  BOOST_TEST(echo_without_secrets("x" + ingest) == "x{token}");
  // A prefix or a hint is no credential, and messages name them (found when
  // "only ingest (al_) tokens may use the ingest port" came out redacted).
  for (std::string_view s : {"only ingest (al_) tokens may use the ingest port",
                             "alu_…x9Qa was rotated", "al_ + 43 characters"})
    BOOST_TEST(echo_without_secrets(s) == s);
}

BOOST_AUTO_TEST_SUITE_END()
