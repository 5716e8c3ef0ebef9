#include "client/table.h"

#include <sstream>

#include "gtest/gtest.h"

namespace kink::client {
namespace {

TEST(Table, AlignsColumnsToTheWidestCell) {
  Table table({"NAME", "STATE"});
  table.AddRow({"kink/a.test@R", "READY"});
  table.AddRow({"b", "DEGRADED"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "NAME            STATE\n"
            "kink/a.test@R   READY\n"
            "b               DEGRADED\n");
}

TEST(Table, ShortRowsArePaddedWithEmptyCells) {
  Table table({"A", "B", "C"});
  table.AddRow({"x"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(), "A   B   C\nx       \n");
}

}  // namespace
}  // namespace kink::client
