#include "server/store/sqlite_store.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace kink::server {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

v1::Agent MakeAgent(const std::string& principal, uint32_t epoch) {
  v1::Agent agent;
  agent.set_principal(principal);
  agent.set_hostname(principal.substr(5, principal.find('@') - 5));
  agent.set_epoch(epoch);
  agent.add_addresses("192.0.2.1");
  (*agent.mutable_labels())["zone"] = "a";
  return agent;
}

TEST(SqliteStore, NewStoreIsEmptyAtRevisionZero) {
  auto store = SqliteStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  auto agents = (*store)->ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status();
  EXPECT_TRUE(agents->empty());
  EXPECT_EQ(*(*store)->Revision(), 0);
}

TEST(SqliteStore, UpsertAddsThenReplacesAndBumpsRevision) {
  auto store = *SqliteStore::Open(":memory:");
  EXPECT_EQ(*store->UpsertAgent(MakeAgent("kink/b.test@R", 1)), 1);
  EXPECT_EQ(*store->UpsertAgent(MakeAgent("kink/a.test@R", 1)), 2);
  EXPECT_EQ(*store->UpsertAgent(MakeAgent("kink/b.test@R", 7)), 3);

  auto agents = *store->ListAgents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].principal(), "kink/a.test@R");
  EXPECT_EQ(agents[1].principal(), "kink/b.test@R");
  EXPECT_EQ(agents[1].epoch(), 7u);
  EXPECT_EQ(agents[1].labels().at("zone"), "a");
  EXPECT_EQ(*store->Revision(), 3);
}

TEST(SqliteStore, RejectsAgentWithoutPrincipal) {
  auto store = *SqliteStore::Open(":memory:");
  auto result = store->UpsertAgent(v1::Agent());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->Revision(), 0);
}

TEST(SqliteStore, DataSurvivesReopen) {
  std::string path = TempPath("reopen.db");
  std::remove(path.c_str());
  {
    auto store = *SqliteStore::Open(path);
    ASSERT_TRUE(store->UpsertAgent(MakeAgent("kink/a.test@R", 3)).ok());
  }
  auto store = *SqliteStore::Open(path);
  auto agents = *store->ListAgents();
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].epoch(), 3u);
  EXPECT_EQ(*store->Revision(), 1);
}

TEST(SqliteStore, MissingFolderIsAClearError) {
  auto store = SqliteStore::Open(TempPath("no/such/folder/store.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("no/such/folder"),
            absl::string_view::npos);
}

TEST(SqliteStore, FileThatIsNotADatabaseIsRefused) {
  std::string path = TempPath("garbage.db");
  std::ofstream(path) << "this is not an SQLite database, just some text "
                         "long enough to fill a header page........";
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not usable"),
            absl::string_view::npos);
}

TEST(SqliteStore, NewerSchemaIsRefused) {
  std::string path = TempPath("newer.db");
  std::remove(path.c_str());
  { ASSERT_TRUE(SqliteStore::Open(path).ok()); }
  // Simulate a database written by a future controller.
  std::string cmd = "sqlite3 " + path + " 'PRAGMA user_version = 99'";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "sqlite3 CLI missing";
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), absl::string_view::npos);
}

}  // namespace
}  // namespace kink::server
