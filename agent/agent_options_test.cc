#include "agent/agent_options.h"

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace kink::agent {
namespace {

std::string ReadableFile() {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/keytab";
  std::ofstream(path) << "x";
  return path;
}

TEST(ParseLabels, AcceptsKeyValuePairs) {
  auto labels = ParseLabels({"zone=a", "role=", "k8s.io/name=x=y"});
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(labels->at("zone"), "a");
  EXPECT_EQ(labels->at("role"), "");
  EXPECT_EQ(labels->at("k8s.io/name"), "x=y");
}

TEST(ParseLabels, RejectsMalformedAndDuplicates) {
  EXPECT_EQ(ParseLabels({"zone"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLabels({"=a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status dup = ParseLabels({"zone=a", "zone=b"}).status();
  EXPECT_EQ(dup.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("twice"), absl::string_view::npos);
}

TEST(ValidateOptions, MissingKeytabIsNamed) {
  AgentOptions options;
  options.keytab = "/nonexistent/krb5.keytab";
  absl::Status status = ValidateOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("/nonexistent/krb5.keytab"),
            absl::string_view::npos);
}

TEST(ValidateOptions, ChecksPortPrincipalAndLabels) {
  AgentOptions options;
  options.keytab = ReadableFile();
  EXPECT_TRUE(ValidateOptions(options).ok());

  AgentOptions bad_port = options;
  bad_port.kink_port = 0;
  EXPECT_EQ(ValidateOptions(bad_port).code(),
            absl::StatusCode::kInvalidArgument);

  AgentOptions bad_principal = options;
  bad_principal.principal = "host/a.test@R";
  EXPECT_EQ(ValidateOptions(bad_principal).code(),
            absl::StatusCode::kInvalidArgument);

  AgentOptions bad_label = options;
  bad_label.labels = {"nolabel"};
  EXPECT_EQ(ValidateOptions(bad_label).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DefaultPrincipal, IsAKinkServicePrincipal) {
  auto principal = DefaultPrincipal();
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->rfind("kink/", 0), 0u);
  EXPECT_GT(principal->size(), 5u);
}

}  // namespace
}  // namespace kink::agent
