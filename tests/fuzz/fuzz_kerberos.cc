#include "tests/fuzz/fuzz_kerberos.h"

#include <algorithm>

namespace kink::fuzz {
namespace {

uint64_t Fnv(uint64_t h, absl::Span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t Fnv(uint64_t h, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    h ^= static_cast<uint8_t>(value >> (8 * i));
    h *= 0x100000001b3ull;
  }
  return h;
}

constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;

class FakePending final : public engine::PendingApReq {
 public:
  explicit FakePending(std::vector<uint8_t> ap_rep)
      : ap_rep(std::move(ap_rep)) {}
  std::vector<uint8_t> ap_rep;
};

constexpr uint64_t kPrime = (uint64_t{1} << 61) - 1;

uint64_t MulMod(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % kPrime);
}

uint64_t PowMod(uint64_t base, uint64_t exp) {
  uint64_t result = 1;
  base %= kPrime;
  while (exp != 0) {
    if (exp & 1) result = MulMod(result, base);
    base = MulMod(base, base);
    exp >>= 1;
  }
  return result;
}

std::vector<uint8_t> BigEndian(uint64_t v) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return out;
}

class FakeDhKey final : public engine::DhPrivateKey {
 public:
  explicit FakeDhKey(uint64_t secret)
      : secret_(secret), public_(BigEndian(PowMod(3, secret))) {}
  const std::vector<uint8_t>& public_value() const override { return public_; }
  absl::StatusOr<SecretBytes> Agree(
      absl::Span<const uint8_t> peer_public) const override {
    if (peer_public.size() != 8) {
      return absl::InvalidArgumentError("KE data of the wrong size");
    }
    uint64_t y = 0;
    for (uint8_t b : peer_public) y = (y << 8) | b;
    if (y < 2 || y >= kPrime - 1) {
      return absl::InvalidArgumentError("KE value not in the group");
    }
    std::vector<uint8_t> shared = BigEndian(PowMod(y, secret_));
    return SecretBytes(std::span<const uint8_t>(shared));
  }

 private:
  uint64_t secret_;
  std::vector<uint8_t> public_;
};

}  // namespace

absl::StatusOr<std::vector<uint8_t>> FakeSessionCrypto::MakeChecksum(
    absl::Span<const uint8_t> covered) const {
  uint64_t a = Fnv(Fnv(kFnvBasis, key_), covered);
  uint64_t b = Fnv(Fnv(kFnvBasis ^ 0x5a5a, key_), covered);
  std::vector<uint8_t> out = BigEndian(a);
  std::vector<uint8_t> tail = BigEndian(b);
  out.insert(out.end(), tail.begin(), tail.begin() + 4);
  return out;
}

absl::Status FakeSessionCrypto::VerifyChecksum(
    absl::Span<const uint8_t> covered,
    absl::Span<const uint8_t> checksum) const {
  std::vector<uint8_t> expected = *MakeChecksum(covered);
  if (checksum.size() != expected.size() ||
      !std::equal(expected.begin(), expected.end(), checksum.begin())) {
    return absl::UnauthenticatedError("checksum mismatch");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> FakeSessionCrypto::Encrypt(
    absl::Span<const uint8_t> plaintext) const {
  // One key-check octet in front, like a confounder makes the real
  // ciphertext longer than the plaintext.
  std::vector<uint8_t> out;
  out.reserve(plaintext.size() + 1);
  out.push_back(key_ ^ 0xa5);
  for (size_t i = 0; i < plaintext.size(); ++i) {
    out.push_back(plaintext[i] ^ static_cast<uint8_t>(key_ * 7 + i * 13));
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> FakeSessionCrypto::Decrypt(
    absl::Span<const uint8_t> ciphertext) const {
  if (ciphertext.empty() || ciphertext[0] != (key_ ^ 0xa5)) {
    return absl::InvalidArgumentError("wrong key");
  }
  std::vector<uint8_t> out;
  out.reserve(ciphertext.size() - 1);
  for (size_t i = 1; i < ciphertext.size(); ++i) {
    out.push_back(ciphertext[i] ^
                  static_cast<uint8_t>(key_ * 7 + (i - 1) * 13));
  }
  return out;
}

absl::StatusOr<SecretBytes> FakeSessionCrypto::Keymat(
    uint8_t protocol, uint32_t spi, absl::Span<const uint8_t> ni,
    absl::Span<const uint8_t> nr, absl::Span<const uint8_t> gxy,
    size_t length) const {
  uint64_t seed = Fnv(Fnv(Fnv(kFnvBasis, key_), protocol), spi);
  seed = Fnv(Fnv(Fnv(Fnv(seed, ni), ni.size()), nr), nr.size());
  seed = Fnv(seed, gxy);
  SecretBytes out(length);
  std::span<uint8_t> bytes = out.mutable_span();
  for (size_t i = 0; i < length; ++i) {
    bytes[i] = static_cast<uint8_t>(Fnv(seed, i / 8) >> (8 * (i % 8)));
  }
  return out;
}

std::vector<uint8_t> ApReqToken::Encode() const {
  return {kApReqMagic, client,   server,   key,  nonce[0],
          nonce[1],    nonce[2], nonce[3], flags};
}

std::optional<ApReqToken> ApReqToken::Parse(absl::Span<const uint8_t> bytes) {
  if (bytes.size() != kApReqSize || bytes[0] != kApReqMagic) {
    return std::nullopt;
  }
  ApReqToken token;
  token.client = bytes[1];
  token.server = bytes[2];
  token.key = bytes[3];
  std::copy(bytes.begin() + 4, bytes.begin() + 8, token.nonce.begin());
  token.flags = bytes[8];
  return token;
}

std::vector<uint8_t> ApReqToken::ApRep() const {
  return {kApRepMagic, key, nonce[0], nonce[1], nonce[2], nonce[3]};
}

absl::StatusOr<engine::BuiltApReq> FakeKerberos::BuildApReq(
    const engine::Ticket& ticket, std::chrono::microseconds clock_offset) {
  (void)clock_offset;
  const auto& fake = static_cast<const FakeTicket&>(ticket);
  if (fake.broken()) return absl::FailedPreconditionError("ticket expired");
  ApReqToken token;
  token.client = local_;
  token.server = fake.server();
  token.key = fake.key();
  uint32_t nonce = next_nonce_++;
  for (int i = 0; i < 4; ++i)
    token.nonce[i] = static_cast<uint8_t>(nonce >> (24 - 8 * i));
  engine::BuiltApReq built;
  built.ap_req = token.Encode();
  built.pending = std::make_unique<FakePending>(token.ApRep());
  built.crypto = std::make_unique<FakeSessionCrypto>(token.key);
  return built;
}

absl::Status FakeKerberos::VerifyApRep(const engine::PendingApReq& pending,
                                       absl::Span<const uint8_t> ap_rep) {
  const auto& fake = static_cast<const FakePending&>(pending);
  if (ap_rep.size() != fake.ap_rep.size() ||
      !std::equal(ap_rep.begin(), ap_rep.end(), fake.ap_rep.begin())) {
    return absl::UnauthenticatedError("AP-REP does not match");
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::AcceptedApReq> FakeKerberos::VerifyApReq(
    absl::Span<const uint8_t> ap_req) {
  std::optional<ApReqToken> token = ApReqToken::Parse(ap_req);
  if (!token.has_value() || token->server != local_ ||
      token->client >= principals_->size()) {
    return absl::UnauthenticatedError("not an AP-REQ for us");
  }
  if (token->flags != 0) return absl::UnauthenticatedError("flagged AP-REQ");
  engine::AcceptedApReq accepted;
  accepted.client = (*principals_)[token->client];
  accepted.crypto = std::make_unique<FakeSessionCrypto>(token->key);
  accepted.ap_rep = token->ApRep();
  return accepted;
}

engine::ApFailureReply FakeKerberos::FailureReply(
    const absl::Status& failure, absl::Span<const uint8_t> ap_req) {
  (void)failure;
  engine::ApFailureReply reply;
  std::optional<ApReqToken> token = ApReqToken::Parse(ap_req);
  bool ours = token.has_value() && token->server == local_ &&
              token->client < principals_->size();
  if (ours && (token->flags & kFlagReplay)) {
    reply.drop = true;
    return reply;
  }
  if (ours && (token->flags & ~(kFlagSkew | kFlagExpired)) == 0 &&
      token->flags != 0) {
    // Skew or expiry: the session key is known, so answer authenticated.
    uint8_t code = (token->flags & kFlagSkew) ? 37 : 32;
    reply.krb_error = {kKrbErrorMagic, code, token->nonce[0]};
    engine::AcceptedApReq accepted;
    accepted.client = (*principals_)[token->client];
    accepted.crypto = std::make_unique<FakeSessionCrypto>(token->key);
    accepted.ap_rep = token->ApRep();
    reply.authenticated = std::move(accepted);
    return reply;
  }
  reply.krb_error = {kKrbErrorMagic, 41};  // KRB_AP_ERR_MODIFIED
  return reply;
}

std::optional<engine::KrbErrorInfo> FakeKerberos::ParseKrbError(
    absl::Span<const uint8_t> krb_error) {
  if (krb_error.size() < 2 || krb_error[0] != kKrbErrorMagic) {
    return std::nullopt;
  }
  engine::KrbErrorInfo info;
  info.code = krb_error[1];
  if (krb_error.size() >= 3) {
    info.clock_offset = std::chrono::seconds(static_cast<int8_t>(krb_error[2]));
  }
  return info;
}

absl::StatusOr<std::vector<uint8_t>> FakeKerberos::LocalTgt() {
  return std::vector<uint8_t>{'T', 'G', 'T', local_};
}

absl::StatusOr<std::unique_ptr<engine::DhPrivateKey>> FakeKeyExchange::Generate(
    uint16_t group) {
  if (!Supports(group)) return absl::UnimplementedError("group not offered");
  next_secret_ = next_secret_ * 6364136223846793005ull + 1442695040888963407ull;
  return std::make_unique<FakeDhKey>((next_secret_ >> 4) | 2);
}

}  // namespace kink::fuzz
