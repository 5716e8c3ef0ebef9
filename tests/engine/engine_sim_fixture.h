// The fixture of the engine simulation tests: KINK engines in one process,
// keyed by a real MIT KDC and the real Kerberos layer, each with its own
// in-memory SAD/SPD, connected by a seeded simulated network.
#ifndef KINK_TESTS_ENGINE_ENGINE_SIM_FIXTURE_H_
#define KINK_TESTS_ENGINE_ENGINE_SIM_FIXTURE_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/kink/engine/engine.h"
#include "agent/kink/engine/testing/sim_network.h"
#include "agent/krb/identity.h"
#include "agent/krb/krb_context.h"
#include "agent/xfrm/xfrm_memory.h"
#include "gtest/gtest.h"
#include "tests/kdc/kdc_fixture.h"

namespace kink::engine {

inline const Time kT0 = Time() + std::chrono::hours(1000);

// One agent: engine, Kerberos, identity and kernel, rebuilt on "reboot".
struct Agent {
  std::string name;
  std::string principal;
  Endpoint endpoint;
  std::shared_ptr<krb::KrbContext> ctx;
  std::unique_ptr<Kerberos> kerberos;
  std::unique_ptr<krb::Identity> identity;
  std::unique_ptr<xfrm::MemoryXfrmBackend> kernel;
  std::unique_ptr<testing::SeededRng> rng;
  std::unique_ptr<KeyExchange> key_exchange;
  std::unique_ptr<Engine> engine;

  // Answers FetchTicket from the KDC (user-to-user when asked).
  testing::SimNetwork::TicketSource Tickets();
};

class EngineSimTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static kink::testing::KdcFixture& kdc();

  // An agent of principal kink/<host>.test at `address`; its clock runs
  // `clock_error` ahead.
  std::unique_ptr<Agent> MakeAgent(
      const std::string& host, const std::string& address, uint32_t epoch,
      uint64_t seed,
      std::chrono::seconds clock_error = std::chrono::seconds(0));

  // host-a (192.0.2.1, epoch 1000) and host-b (192.0.2.2, epoch 2000),
  // both on the simulated network.
  std::pair<std::unique_ptr<Agent>, std::unique_ptr<Agent>> TwoAgents(
      uint64_t seed_a, uint64_t seed_b);

  // `peer` as a PeerConfig offering ESP `suites`.
  static PeerConfig PeerOf(const Agent& peer, std::vector<std::string> suites,
                           bool initiator);
  // a initiates towards b; both accept `suites` unless told otherwise.
  void Connect(Agent& a, Agent& b, std::vector<std::string> a_suites,
               std::vector<std::string> b_suites);
  // a initiates towards b as a user-to-user peer (b's TGT via GETTGT);
  // both take aes128gcm16.
  void ConnectUserToUser(Agent& a, Agent& b);
  void AddToSim(Agent& agent);

  static size_t MatureSas(Agent& agent);
  static bool SameTransform(const xfrm::Transform& x, const xfrm::Transform& y);
  // Every pair on `a` with `b` has its mirror on `b`: each of a's outbound
  // SAs is b's inbound SA (same SPI, algorithms and keys), and the reverse,
  // for every protocol of the pair.
  void ExpectPairsAgree(Agent& a, Agent& b);
  // Traffic from `from` to `to` right now (between the endpoints, or from
  // `src` to `dst` when given): the kernel finds SAs, and every outbound SA
  // it could pick is one `to` can decrypt (same SPI, same keys).
  void ExpectUsable(Agent& from, Agent& to, uint64_t bytes = 1200,
                    const std::string& src = "", const std::string& dst = "");
  static bool HasEvent(const std::vector<EngineEvent>& events, EventKind kind,
                       const std::string& detail_part = "");

  Time now_ = kT0;
  testing::SimNetwork sim_{42, kT0};
};

}  // namespace kink::engine

#endif  // KINK_TESTS_ENGINE_ENGINE_SIM_FIXTURE_H_
