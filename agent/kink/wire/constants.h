// The one home of KINK (RFC 4430) and ISAKMP Quick Mode (RFC 2407/2408/2409)
// protocol numbers, plus the codec's own tunables in a separate block so no
// one mistakes a capacity limit for a protocol rule.
#ifndef KINK_AGENT_KINK_WIRE_CONSTANTS_H_
#define KINK_AGENT_KINK_WIRE_CONSTANTS_H_

#include <cstddef>
#include <cstdint>

namespace kink::wire {

// ---------------------------------------------------------------------------
// KINK spec constants (RFC 4430 section 4; IANA kink-parameters)
// ---------------------------------------------------------------------------
inline constexpr uint16_t kKinkPort = 910;
inline constexpr uint8_t kMajorVersion = 1;  // MjVer, high nibble of octet 1
inline constexpr uint32_t kDoiIpsec = 1;     // IPsec DOI (RFC 2407)
inline constexpr size_t kHeaderSize = 16;    // fixed KINK header
inline constexpr size_t kPayloadHeaderSize =
    4;                                        // NextPayload, RESERVED, Length
inline constexpr size_t kAlignment = 4;       // payloads start 4-aligned
inline constexpr uint8_t kAckReqFlag = 0x80;  // ACKREQ bit of octet 13
inline constexpr uint8_t kQmVersion = 0x10;   // QMMaj 1, QMMin 0
inline constexpr uint8_t kQmMajorVersion = 1;
inline constexpr size_t kEncryptInnerHeaderSize = 4;  // InnerNextPload + 3 rsv

enum class MessageType : uint8_t {
  kReserved = 0,
  kCreate = 1,  // CREATE
  kDelete = 2,  // DELETE
  kReply = 3,   // REPLY
  kGetTgt = 4,  // GETTGT
  kAck = 5,     // ACK
  kStatus = 6,  // STATUS
};

enum class PayloadType : uint8_t {
  kDone = 0,      // KINK_DONE
  kApReq = 1,     // KINK_AP_REQ
  kApRep = 2,     // KINK_AP_REP
  kKrbError = 3,  // KINK_KRB_ERROR
  kTgtReq = 4,    // KINK_TGT_REQ
  kTgtRep = 5,    // KINK_TGT_REP
  kIsakmp = 6,    // KINK_ISAKMP
  kEncrypt = 7,   // KINK_ENCRYPT
  kError = 8,     // KINK_ERROR
};

// ErrorCode field of KINK_ERROR.
enum class KinkErrorCode : uint32_t {
  kOk = 0,         // KINK_OK
  kProtoErr = 1,   // KINK_PROTOERR
  kInvDoi = 2,     // KINK_INVDOI
  kInvMaj = 3,     // KINK_INVMAJ
  kInvMin = 4,     // value 4 (KINK_INVMIN in racoon2; see protocol-notes.md)
  kIntErr = 5,     // KINK_INTERR
  kBadQmVers = 6,  // KINK_BADQMVERS
};

// ---------------------------------------------------------------------------
// ISAKMP / IPsec DOI spec constants used inside KINK_ISAKMP
// ---------------------------------------------------------------------------
namespace isakmp {

inline constexpr size_t kPayloadHeaderSize = 4;  // NP, RESERVED, Length
inline constexpr uint32_t kSituationIdentityOnly =
    0x00000001;                                       // SIT_IDENTITY_ONLY
inline constexpr uint16_t kAttributeTvFlag = 0x8000;  // AF bit
inline constexpr size_t kMinNonceSize = 8;            // RFC 2409 section 5
inline constexpr size_t kMaxNonceSize = 256;          // RFC 2409 section 5

enum class PayloadType : uint8_t {
  kNone = 0,       // ISAKMP_NPTYPE_NONE
  kSa = 1,         // SA
  kProposal = 2,   // P
  kTransform = 3,  // T
  kKe = 4,         // KE
  kId = 5,         // ID
  kHash = 8,       // HASH (not used by KINK)
  kNonce = 10,     // NONCE
  kNotify = 11,    // N
  kDelete = 12,    // D
};

enum class ProtocolId : uint8_t {
  kIsakmp = 1,  // PROTO_ISAKMP
  kAh = 2,      // PROTO_IPSEC_AH
  kEsp = 3,     // PROTO_IPSEC_ESP
  kIpcomp = 4,  // PROTO_IPCOMP
};

// ESP transform IDs (RFC 2407 4.4.4 and IANA).
namespace esp {
inline constexpr uint8_t kDes = 2;
inline constexpr uint8_t k3Des = 3;
inline constexpr uint8_t kCast = 6;
inline constexpr uint8_t kBlowfish = 7;
inline constexpr uint8_t kNull = 11;
inline constexpr uint8_t kAesCbc = 12;
inline constexpr uint8_t kAesCtr = 13;
inline constexpr uint8_t kAesGcm8 = 18;
inline constexpr uint8_t kAesGcm12 = 19;
inline constexpr uint8_t kAesGcm16 = 20;
}  // namespace esp

// AH transform IDs.
namespace ah {
inline constexpr uint8_t kMd5 = 2;
inline constexpr uint8_t kSha = 3;
inline constexpr uint8_t kSha2_256 = 5;
inline constexpr uint8_t kSha2_384 = 6;
inline constexpr uint8_t kSha2_512 = 7;
}  // namespace ah

// IPComp transform IDs.
namespace ipcomp {
inline constexpr uint8_t kOui = 1;
inline constexpr uint8_t kDeflate = 2;
inline constexpr uint8_t kLzs = 3;
}  // namespace ipcomp

// IPsec SA attribute types (RFC 2407 4.5).
enum class AttributeType : uint16_t {
  kLifeType = 1,
  kLifeDuration = 2,  // TV, or TLV when the value needs more than 16 bits
  kGroupDescription = 3,
  kEncapsulationMode = 4,
  kAuthAlgorithm = 5,
  kKeyLength = 6,
  kKeyRounds = 7,
  kCompressDictSize = 8,
  kCompressPrivateAlg = 9,  // TLV
};

inline constexpr uint16_t kLifeTypeSeconds = 1;
inline constexpr uint16_t kLifeTypeKilobytes = 2;

inline constexpr uint16_t kEncapsulationTunnel = 1;
inline constexpr uint16_t kEncapsulationTransport = 2;
inline constexpr uint16_t kEncapsulationUdpTunnel = 3;     // RFC 3947
inline constexpr uint16_t kEncapsulationUdpTransport = 4;  // RFC 3947

namespace auth {
inline constexpr uint16_t kHmacMd5 = 1;
inline constexpr uint16_t kHmacSha1 = 2;
inline constexpr uint16_t kHmacSha2_256 = 5;
inline constexpr uint16_t kHmacSha2_384 = 6;
inline constexpr uint16_t kHmacSha2_512 = 7;
inline constexpr uint16_t kAesXcbcMac = 9;
}  // namespace auth

// Oakley group numbers for Group Description (PFS).
namespace group {
inline constexpr uint16_t kModp768 = 1;
inline constexpr uint16_t kModp1024 = 2;
inline constexpr uint16_t kModp1536 = 5;
inline constexpr uint16_t kModp2048 = 14;
}  // namespace group

// Identification types (RFC 2407 4.6.2.1).
enum class IdType : uint8_t {
  kIpv4Addr = 1,
  kFqdn = 2,
  kUserFqdn = 3,
  kIpv4Subnet = 4,
  kIpv6Addr = 5,
  kIpv6Subnet = 6,
  kIpv4Range = 7,
  kIpv6Range = 8,
  kDerAsn1Dn = 9,
  kDerAsn1Gn = 10,
  kKeyId = 11,
};

// Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3).
enum class NotifyType : uint16_t {
  kInvalidPayloadType = 1,
  kDoiNotSupported = 2,
  kSituationNotSupported = 3,
  kInvalidProtocolId = 5,
  kInvalidTransformId = 6,
  kAttributesNotSupported = 13,
  kNoProposalChosen = 14,
  kBadProposalSyntax = 15,
  kPayloadMalformed = 16,
  kInvalidKeyInformation = 17,
  kInvalidIdInformation = 18,
  kInvalidSpi = 11,
  kAuthenticationFailed = 24,
  kResponderLifetime = 24576,
  kReplayStatus = 24577,
  kInitialContact = 24578,
};

}  // namespace isakmp

// ---------------------------------------------------------------------------
// Codec tunables (capacity limits of the allocation-free parser). Exceeding
// one is a typed error (k*LimitExceeded), never a silent truncation.
// ---------------------------------------------------------------------------
inline constexpr size_t kMaxPayloadsPerChain = 16;  // KINK payloads per chain
inline constexpr size_t kMaxQmPayloads = 16;        // ISAKMP payloads per chain
inline constexpr size_t kMaxProposalsPerChain =
    16;  // Proposal payloads, all SAs
inline constexpr size_t kMaxTransformsPerChain = 64;  // Transforms, all SAs
inline constexpr size_t kMaxSpiSize = 16;             // octets in one SPI field

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_CONSTANTS_H_
