#include "tests/interop/interop_data.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace kink::interop {
namespace {

namespace fs = std::filesystem;

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

std::optional<std::string> BesideWorkspace(const fs::path& workspace) {
  fs::path dir = workspace / ".." / "shared" / "interop" / "racoon2";
  if (!IsDir(dir)) return std::nullopt;
  std::error_code ec;
  fs::path canonical = fs::canonical(dir, ec);
  return ec ? dir.string() : canonical.string();
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

std::optional<std::string> FindRacoon2Dir(const std::string& anchor) {
  if (const char* dir = Env("KINK_INTEROP_DIR")) {
    if (IsDir(dir)) return std::string(dir);
    return std::nullopt;  // an explicit setting is never second-guessed
  }
  const char* srcdir = Env("TEST_SRCDIR");
  const char* ws_name = Env("TEST_WORKSPACE");
  if (srcdir != nullptr && ws_name != nullptr) {
    std::error_code ec;
    fs::path real = fs::canonical(fs::path(srcdir) / ws_name / anchor, ec);
    if (!ec) {
      // Strip the anchor's components to reach the workspace root.
      fs::path root = real;
      const fs::path anchor_path(anchor);
      for (const fs::path& part : anchor_path) {
        (void)part;
        root = root.parent_path();
      }
      if (auto found = BesideWorkspace(root)) return found;
    }
  }
  if (const char* ws = Env("BUILD_WORKSPACE_DIRECTORY")) {
    if (auto found = BesideWorkspace(ws)) return found;
  }
  std::error_code ec;
  if (auto found = BesideWorkspace(fs::current_path(ec))) return found;
  return std::nullopt;
}

std::vector<std::string> ListPcapFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pcap") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kink::interop
