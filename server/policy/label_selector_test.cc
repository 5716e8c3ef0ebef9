#include "server/policy/label_selector.h"

#include "gtest/gtest.h"

namespace kink::server {
namespace {

Labels MakeLabels(
    std::initializer_list<std::pair<std::string, std::string>> pairs) {
  Labels labels;
  for (const auto& [k, v] : pairs) labels[k] = v;
  return labels;
}

v1::LabelRequirement Requirement(const std::string& key,
                                 v1::LabelRequirement::Operator op,
                                 std::initializer_list<std::string> values) {
  v1::LabelRequirement requirement;
  requirement.set_key(key);
  requirement.set_operator_(op);
  for (const auto& v : values) requirement.add_values(v);
  return requirement;
}

TEST(LabelSelector, EmptySelectorMatchesNothing) {
  EXPECT_FALSE(SelectorMatches(v1::LabelSelector(), MakeLabels({{"a", "b"}})));
}

TEST(LabelSelector, MatchLabelsNeedsEveryPair) {
  v1::LabelSelector selector;
  (*selector.mutable_match_labels())["role"] = "db";
  (*selector.mutable_match_labels())["zone"] = "a";
  EXPECT_TRUE(SelectorMatches(
      selector, MakeLabels({{"role", "db"}, {"zone", "a"}, {"x", "y"}})));
  EXPECT_FALSE(SelectorMatches(selector, MakeLabels({{"role", "db"}})));
  EXPECT_FALSE(
      SelectorMatches(selector, MakeLabels({{"role", "db"}, {"zone", "b"}})));
}

TEST(LabelSelector, Expressions) {
  v1::LabelSelector in;
  *in.add_match_expressions() =
      Requirement("zone", v1::LabelRequirement::IN, {"a", "b"});
  EXPECT_TRUE(SelectorMatches(in, MakeLabels({{"zone", "b"}})));
  EXPECT_FALSE(SelectorMatches(in, MakeLabels({{"zone", "c"}})));
  EXPECT_FALSE(SelectorMatches(in, MakeLabels({})));

  v1::LabelSelector not_in;
  *not_in.add_match_expressions() =
      Requirement("zone", v1::LabelRequirement::NOT_IN, {"a"});
  EXPECT_TRUE(SelectorMatches(not_in, MakeLabels({})));
  EXPECT_FALSE(SelectorMatches(not_in, MakeLabels({{"zone", "a"}})));

  v1::LabelSelector exists;
  *exists.add_match_expressions() =
      Requirement("gpu", v1::LabelRequirement::EXISTS, {});
  EXPECT_TRUE(SelectorMatches(exists, MakeLabels({{"gpu", ""}})));
  EXPECT_FALSE(SelectorMatches(exists, MakeLabels({{"cpu", "x"}})));

  v1::LabelSelector absent;
  *absent.add_match_expressions() =
      Requirement("gpu", v1::LabelRequirement::DOES_NOT_EXIST, {});
  EXPECT_TRUE(SelectorMatches(absent, MakeLabels({{"cpu", "x"}})));
  EXPECT_FALSE(SelectorMatches(absent, MakeLabels({{"gpu", "x"}})));
}

TEST(LabelSelector, ValidationNamesTheBadRequirement) {
  v1::LabelSelector selector;
  *selector.add_match_expressions() =
      Requirement("zone", v1::LabelRequirement::IN, {"a"});
  EXPECT_TRUE(ValidateSelector(selector).ok());

  *selector.add_match_expressions() =
      Requirement("gpu", v1::LabelRequirement::EXISTS, {"yes"});
  absl::Status status = ValidateSelector(selector);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("match_expressions[1]"),
            absl::string_view::npos);

  v1::LabelSelector no_values;
  *no_values.add_match_expressions() =
      Requirement("zone", v1::LabelRequirement::NOT_IN, {});
  EXPECT_FALSE(ValidateSelector(no_values).ok());

  v1::LabelSelector no_operator;
  *no_operator.add_match_expressions() =
      Requirement("zone", v1::LabelRequirement::OPERATOR_UNSPECIFIED, {});
  EXPECT_FALSE(ValidateSelector(no_operator).ok());
}

}  // namespace
}  // namespace kink::server
