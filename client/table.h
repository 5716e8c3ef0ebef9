// Column-aligned plain-text tables, as kubectl prints them.
#ifndef KINK_CLIENT_TABLE_H_
#define KINK_CLIENT_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

namespace kink::client {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Adds a row; missing cells print empty, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  // Writes headers and rows, columns separated by at least three spaces.
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace kink::client

#endif  // KINK_CLIENT_TABLE_H_
