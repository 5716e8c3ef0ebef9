// The one version string all three binaries report.
#ifndef KINK_COMMON_VERSION_H_
#define KINK_COMMON_VERSION_H_

namespace kink {

inline constexpr char kVersion[] = "0.1.0-dev";

}  // namespace kink

#endif  // KINK_COMMON_VERSION_H_
