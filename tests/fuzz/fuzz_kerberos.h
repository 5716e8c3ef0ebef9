// A deterministic stand-in for the Kerberos layer and for Diffie-Hellman,
// for the engine_feed fuzz harness only. A real krb5 layer rejects every
// fuzzed AP-REQ at its first check, so the engine behind it would never be
// reached; these fakes accept plain byte tokens the harness can forge and
// seal, so fuzzed bytes get to the ISAKMP parsing inside KINK_ENCRYPT. The
// real adapters have their own tests (agent/krb, agent/crypto); nothing
// outside tests/fuzz may use these.
//
// Tokens (all principals are indices into the harness's table):
//   AP-REQ: 'Q' client server key nonce[4] flags      (9 octets)
//   AP-REP: 'P' key nonce[4]                          (6 octets)
//   KRB-ERROR: 'E' code [offset seconds, int8]
// AP-REQ flags: bit 0 clock skew, bit 1 replay, bit 2 expired ticket; any
// other bit makes the token invalid.
#ifndef KINK_TESTS_FUZZ_FUZZ_KERBEROS_H_
#define KINK_TESTS_FUZZ_FUZZ_KERBEROS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "agent/kink/engine/kerberos.h"
#include "agent/kink/engine/key_exchange.h"

namespace kink::fuzz {

inline constexpr uint8_t kApReqMagic = 'Q';
inline constexpr uint8_t kApRepMagic = 'P';
inline constexpr uint8_t kKrbErrorMagic = 'E';
inline constexpr size_t kApReqSize = 9;
inline constexpr size_t kApRepSize = 6;
inline constexpr size_t kFakeChecksumSize = 12;

inline constexpr uint8_t kFlagSkew = 1;
inline constexpr uint8_t kFlagReplay = 2;
inline constexpr uint8_t kFlagExpired = 4;

// Keyed XOR "encryption" with a one-octet key check in front, a 12-octet
// keyed FNV checksum, and KEYMAT of exactly the requested length.
class FakeSessionCrypto final : public engine::SessionCrypto {
 public:
  explicit FakeSessionCrypto(uint8_t key) : key_(key) {}
  size_t checksum_length() const override { return kFakeChecksumSize; }
  absl::StatusOr<std::vector<uint8_t>> MakeChecksum(
      absl::Span<const uint8_t> covered) const override;
  absl::Status VerifyChecksum(
      absl::Span<const uint8_t> covered,
      absl::Span<const uint8_t> checksum) const override;
  absl::StatusOr<std::vector<uint8_t>> Encrypt(
      absl::Span<const uint8_t> plaintext) const override;
  absl::StatusOr<std::vector<uint8_t>> Decrypt(
      absl::Span<const uint8_t> ciphertext) const override;
  absl::StatusOr<SecretBytes> Keymat(uint8_t protocol, uint32_t spi,
                                     absl::Span<const uint8_t> ni,
                                     absl::Span<const uint8_t> nr,
                                     absl::Span<const uint8_t> gxy,
                                     size_t length) const override;

 private:
  uint8_t key_;
};

class FakeTicket final : public engine::Ticket {
 public:
  FakeTicket(std::string peer, uint8_t server, uint8_t key, bool broken)
      : peer_(std::move(peer)), server_(server), key_(key), broken_(broken) {}
  const std::string& peer() const override { return peer_; }
  uint8_t server() const { return server_; }
  uint8_t key() const { return key_; }
  // BuildApReq fails with it (an expired or unusable ticket).
  bool broken() const { return broken_; }

 private:
  std::string peer_;
  uint8_t server_;
  uint8_t key_;
  bool broken_;
};

struct ApReqToken {
  uint8_t client = 0;
  uint8_t server = 0;
  uint8_t key = 0;
  std::array<uint8_t, 4> nonce{};
  uint8_t flags = 0;
  std::vector<uint8_t> Encode() const;
  static std::optional<ApReqToken> Parse(absl::Span<const uint8_t> bytes);
  std::vector<uint8_t> ApRep() const;  // the matching AP-REP token
};

class FakeKerberos final : public engine::Kerberos {
 public:
  // `principals` is the harness's table; `local` our index in it.
  FakeKerberos(const std::vector<std::string>* principals, uint8_t local)
      : principals_(principals), local_(local) {}

  absl::StatusOr<engine::BuiltApReq> BuildApReq(
      const engine::Ticket& ticket,
      std::chrono::microseconds clock_offset) override;
  absl::Status VerifyApRep(const engine::PendingApReq& pending,
                           absl::Span<const uint8_t> ap_rep) override;
  absl::StatusOr<engine::AcceptedApReq> VerifyApReq(
      absl::Span<const uint8_t> ap_req) override;
  engine::ApFailureReply FailureReply(
      const absl::Status& failure, absl::Span<const uint8_t> ap_req) override;
  std::optional<engine::KrbErrorInfo> ParseKrbError(
      absl::Span<const uint8_t> krb_error) override;
  absl::StatusOr<std::vector<uint8_t>> LocalTgt() override;

 private:
  const std::vector<std::string>* principals_;
  uint8_t local_;
  uint32_t next_nonce_ = 1;
};

// Toy Diffie-Hellman modulo the Mersenne prime 2^61-1 (8-octet public
// values), standing in for group 14 so PFS paths run without OpenSSL.
class FakeKeyExchange final : public engine::KeyExchange {
 public:
  static constexpr uint16_t kGroup = 14;
  absl::StatusOr<std::unique_ptr<engine::DhPrivateKey>> Generate(
      uint16_t group) override;
  bool Supports(uint16_t group) const override { return group == kGroup; }

 private:
  uint64_t next_secret_ = 0x1234567;
};

}  // namespace kink::fuzz

#endif  // KINK_TESTS_FUZZ_FUZZ_KERBEROS_H_
