// Locates the shared interop captures (shared/interop/racoon2 beside the
// repository) from inside a Bazel test.
//
// Bazel runs tests from a runfiles tree, so a relative path like
// ../shared/interop/racoon2 means nothing there. The lookup order is:
//   1. $KINK_INTEROP_DIR, if set (e.g. `bazel test
//   --test_env=KINK_INTEROP_DIR=/abs/path`);
//   2. <workspace>/../shared/interop/racoon2, where <workspace> is found by
//      resolving the symlink of a runfile (`anchor`, a source file the test
//      lists in `data`) back to the real source tree, or from
//      $BUILD_WORKSPACE_DIRECTORY under `bazel run`.
// Bazel's Linux sandbox keeps the rest of the file system readable, so the
// folder outside the workspace can be read without tagging the test "local".
#ifndef KINK_TESTS_INTEROP_INTEROP_DATA_H_
#define KINK_TESTS_INTEROP_INTEROP_DATA_H_

#include <optional>
#include <string>
#include <vector>

namespace kink::interop {

// Absolute path of the racoon2 capture folder, or nullopt when absent.
// `anchor` is the workspace-relative path of a runfile of the calling test,
// e.g. "tests/interop/pcap_reader_test.cc".
std::optional<std::string> FindRacoon2Dir(const std::string& anchor);

// Sorted absolute paths of the *.pcap files in `dir`.
std::vector<std::string> ListPcapFiles(const std::string& dir);

}  // namespace kink::interop

#endif  // KINK_TESTS_INTEROP_INTEROP_DATA_H_
