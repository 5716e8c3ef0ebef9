#include "agent/krb/engine/engine_kerberos.h"

#include <memory>
#include <span>
#include <unordered_map>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "agent/krb/ap_client.h"
#include "agent/krb/krb_error_message.h"
#include "agent/krb/krb_status.h"

namespace kink::krb {
namespace {

std::span<const uint8_t> AsStd(absl::Span<const uint8_t> s) {
  return {s.data(), s.size()};
}

class SessionCryptoAdapter final : public engine::SessionCrypto {
 public:
  explicit SessionCryptoAdapter(std::shared_ptr<const KinkCrypto> crypto)
      : crypto_(std::move(crypto)), c_(*crypto_) {}

  size_t checksum_length() const override { return c_.checksum_length(); }
  absl::StatusOr<std::vector<uint8_t>> MakeChecksum(
      absl::Span<const uint8_t> covered) const override {
    return c_.MakeChecksum(AsStd(covered));
  }
  absl::Status VerifyChecksum(
      absl::Span<const uint8_t> covered,
      absl::Span<const uint8_t> checksum) const override {
    return c_.VerifyChecksum(AsStd(covered), AsStd(checksum));
  }
  absl::StatusOr<std::vector<uint8_t>> Encrypt(
      absl::Span<const uint8_t> plaintext) const override {
    return c_.Encrypt(AsStd(plaintext));
  }
  absl::StatusOr<std::vector<uint8_t>> Decrypt(
      absl::Span<const uint8_t> ciphertext) const override {
    return c_.Decrypt(AsStd(ciphertext));
  }
  absl::StatusOr<SecretBytes> Keymat(uint8_t protocol, uint32_t spi,
                                     absl::Span<const uint8_t> ni,
                                     absl::Span<const uint8_t> nr,
                                     absl::Span<const uint8_t> gxy,
                                     size_t length) const override {
    KeymatInput input;
    input.protocol = protocol;
    input.spi = spi;
    input.ni = AsStd(ni);
    input.nr = AsStd(nr);
    input.gxy = AsStd(gxy);
    return c_.Keymat(input, length);
  }

 private:
  std::shared_ptr<const KinkCrypto> crypto_;
  const KinkCrypto& c_;
};

// KinkCrypto per session key, kept while the ticket is valid. Every CREATE
// with a peer uses the same ticket session key; without the cache each one
// loaded the key into libkrb5 again and re-derived the checksum, encryption
// and PRF keys (RFC 3961 DK: n-fold and AES per usage): 11 of the 72 us of
// CPU an exchange took (both sides). Holds keys only as long as the tickets
// they come from are valid, and at most kMaxEntries of them. Not thread-safe
// (one per Kerberos, i.e. per engine thread).
class CryptoCache {
 public:
  explicit CryptoCache(std::shared_ptr<KrbContext> ctx, PrfMode prf_mode)
      : ctx_(std::move(ctx)), prf_mode_(prf_mode) {}

  absl::StatusOr<std::shared_ptr<const KinkCrypto>> Get(const SessionKey& key,
                                                        absl::Time valid_until,
                                                        absl::Time now) {
    const uint64_t hash = absl::HashOf(
        key.enctype,
        absl::string_view(reinterpret_cast<const char*>(key.key.data()),
                          key.key.size()));
    auto range = entries_.equal_range(hash);
    for (auto it = range.first; it != range.second; ++it) {
      Entry& entry = it->second;
      if (entry.key.enctype == key.enctype &&
          entry.key.key.Equals(key.key.span())) {
        if (valid_until > entry.valid_until) entry.valid_until = valid_until;
        return entry.crypto;
      }
    }
    absl::StatusOr<KinkCrypto> crypto =
        KinkCrypto::Create(ctx_, key, prf_mode_);
    if (!crypto.ok()) return crypto.status();
    auto shared = std::make_shared<const KinkCrypto>(*std::move(crypto));
    if (valid_until <= now) return shared;  // not worth keeping
    // Keys of expired tickets go at the next miss a minute later, or at once
    // when the cache is full.
    if (entries_.size() >= kMaxEntries || now >= next_sweep_) {
      std::erase_if(entries_, [now](const auto& e) {
        return e.second.valid_until <= now;
      });
      if (entries_.size() >= kMaxEntries) entries_.clear();
      next_sweep_ = now + absl::Minutes(1);
    }
    entries_.emplace(hash, Entry{key, valid_until, shared});
    return shared;
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  struct Entry {
    SessionKey key;
    absl::Time valid_until;
    std::shared_ptr<const KinkCrypto> crypto;
  };
  std::shared_ptr<KrbContext> ctx_;
  PrfMode prf_mode_;
  std::unordered_multimap<uint64_t, Entry> entries_;
  absl::Time next_sweep_ = absl::InfinitePast();
};

class PendingAdapter final : public engine::PendingApReq {
 public:
  explicit PendingAdapter(krb::PendingApReq pending)
      : pending(std::move(pending)) {}
  krb::PendingApReq pending;
};

class EngineKerberosImpl final : public engine::Kerberos {
 public:
  EngineKerberosImpl(std::shared_ptr<KrbContext> ctx,
                     std::unique_ptr<ApVerifier> verifier,
                     EngineKerberosOptions options)
      : ctx_(std::move(ctx)),
        client_(ctx_),
        verifier_(std::move(verifier)),
        options_(std::move(options)),
        crypto_cache_(ctx_, options_.prf_mode) {}

  absl::StatusOr<engine::BuiltApReq> BuildApReq(
      const engine::Ticket& ticket,
      std::chrono::microseconds clock_offset) override {
    const auto& service = static_cast<const EngineTicket&>(ticket).ticket();
    absl::StatusOr<std::shared_ptr<const KinkCrypto>> crypto =
        crypto_cache_.Get(service.session_key, service.end_time, absl::Now());
    if (!crypto.ok()) return crypto.status();
    absl::StatusOr<BuiltApReq> built =
        client_.BuildApReq(service, absl::Microseconds(clock_offset.count()));
    if (!built.ok()) return built.status();
    engine::BuiltApReq out;
    out.ap_req = std::move(built->ap_req);
    out.pending = std::make_unique<PendingAdapter>(std::move(built->pending));
    out.crypto = std::make_unique<SessionCryptoAdapter>(*std::move(crypto));
    return out;
  }

  absl::Status VerifyApRep(const engine::PendingApReq& pending,
                           absl::Span<const uint8_t> ap_rep) override {
    return client_.VerifyApRep(
        static_cast<const PendingAdapter&>(pending).pending, AsStd(ap_rep));
  }

  absl::StatusOr<engine::AcceptedApReq> VerifyApReq(
      absl::Span<const uint8_t> ap_req) override {
    absl::StatusOr<VerifiedApReq> verified =
        verifier_->Verify(AsStd(ap_req), absl::Now());
    if (!verified.ok() && options_.local_tgt) {
      // A user-to-user ticket is encrypted in our TGT session key, which
      // the keytab cannot open.
      std::optional<KrbErrorKind> kind = GetKrbErrorKind(verified.status());
      if (kind == KrbErrorKind::kNoKey || kind == KrbErrorKind::kBadIntegrity ||
          kind == KrbErrorKind::kBadKeyVersion) {
        absl::StatusOr<ServiceTicket> tgt = options_.local_tgt();
        if (tgt.ok()) {
          absl::StatusOr<VerifiedApReq> u2u = verifier_->VerifyUserToUser(
              AsStd(ap_req), tgt->session_key, absl::Now());
          if (u2u.ok()) verified = std::move(u2u);
        }
      }
    }
    if (!verified.ok()) return verified.status();
    absl::StatusOr<std::shared_ptr<const KinkCrypto>> crypto =
        crypto_cache_.Get(verified->session_key, verified->ticket_end_time,
                          absl::Now());
    if (!crypto.ok()) return crypto.status();
    engine::AcceptedApReq out;
    out.client = std::move(verified->client);
    out.crypto = std::make_unique<SessionCryptoAdapter>(*std::move(crypto));
    out.ap_rep = std::move(verified->ap_rep);
    return out;
  }

  engine::ApFailureReply FailureReply(
      const absl::Status& failure, absl::Span<const uint8_t> ap_req) override {
    engine::ApFailureReply reply;
    std::optional<KrbErrorKind> kind = GetKrbErrorKind(failure);
    if (kind == KrbErrorKind::kReplay) {
      reply.drop = true;  // never an oracle for replayed authenticators
      return reply;
    }
    KrbErrorMessage message;
    message.error_code = ProtocolErrorFor(failure);
    message.server_time = absl::Now();
    message.server = options_.local_principal;
    if (kind == KrbErrorKind::kClockSkew ||
        kind == KrbErrorKind::kTicketExpired) {
      // The ticket is ours and genuine, only its times are off: answer
      // authenticated, echoing the authenticator time (RFC 4430 / racoon2).
      absl::StatusOr<VerifiedApReq> verified =
          verifier_->VerifyForErrorReply(AsStd(ap_req));
      if (verified.ok()) {
        absl::StatusOr<KinkCrypto> crypto =
            KinkCrypto::Create(ctx_, verified->session_key, options_.prf_mode);
        if (crypto.ok()) {  // not cached: the ticket is expired or skewed
          message.client_time = verified->authenticator_time;
          message.client_usec = verified->authenticator_usec;
          engine::AcceptedApReq accepted;
          accepted.client = verified->client;
          accepted.crypto = std::make_unique<SessionCryptoAdapter>(
              std::make_shared<const KinkCrypto>(*std::move(crypto)));
          accepted.ap_rep = std::move(verified->ap_rep);
          reply.authenticated = std::move(accepted);
        }
      }
    }
    message.text = std::string(
        ToString(GetKrbErrorKind(failure).value_or(KrbErrorKind::kOther)));
    absl::StatusOr<std::vector<uint8_t>> der = EncodeKrbError(*ctx_, message);
    if (der.ok()) reply.krb_error = *std::move(der);
    return reply;
  }

  absl::StatusOr<std::vector<uint8_t>> LocalTgt() override {
    if (!options_.local_tgt) {
      return absl::FailedPreconditionError(
          "this agent does not serve user-to-user (no TGT source)");
    }
    absl::StatusOr<ServiceTicket> tgt = options_.local_tgt();
    if (!tgt.ok()) return tgt.status();
    return tgt->ticket_der;
  }

  std::optional<engine::KrbErrorInfo> ParseKrbError(
      absl::Span<const uint8_t> krb_error) override {
    absl::StatusOr<KrbErrorMessage> message =
        DecodeKrbError(*ctx_, AsStd(krb_error));
    if (!message.ok()) return std::nullopt;
    engine::KrbErrorInfo info;
    info.code = message->error_code;
    absl::Time stime =
        message->server_time + absl::Microseconds(message->server_usec);
    info.clock_offset = std::chrono::microseconds(
        absl::ToInt64Microseconds(stime - absl::Now()));
    return info;
  }

 private:
  std::shared_ptr<KrbContext> ctx_;
  ApClient client_;
  std::unique_ptr<ApVerifier> verifier_;
  EngineKerberosOptions options_;
  CryptoCache crypto_cache_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<engine::Kerberos>> CreateEngineKerberos(
    std::shared_ptr<KrbContext> ctx, EngineKerberosOptions options) {
  absl::StatusOr<std::unique_ptr<ApVerifier>> verifier =
      ApVerifier::Create(ctx, options.verifier);
  if (!verifier.ok()) return verifier.status();
  return std::make_unique<EngineKerberosImpl>(
      std::move(ctx), *std::move(verifier), std::move(options));
}

}  // namespace kink::krb
