#include "client/get_command.h"

#include <ctime>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/table.h"
#include "google/protobuf/util/json_util.h"
#include "kink/v1/status.grpc.pb.h"

namespace kink::client {
namespace {

absl::Status ParseSelector(const std::string& text,
                           v1::LabelSelector* selector) {
  for (absl::string_view term : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(term, '=');
    if (parts.size() != 2 || parts[0].empty() ||
        absl::EndsWith(parts[0], "!")) {
      return absl::InvalidArgumentError(
          absl::StrCat("selector term '", std::string(term),
                       "' is not key=value (only equality is supported)"));
    }
    (*selector->mutable_match_labels())[parts[0]] = parts[1];
  }
  return absl::OkStatus();
}

absl::Status PrintJson(const google::protobuf::Message& message,
                       std::ostream& out) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot format as JSON: ", status.ToString()));
  }
  out << json;
  return absl::OkStatus();
}

// "42s", "7m", "3h", "12d" like kubectl's AGE column; "-" when unknown.
std::string Age(int64_t since_unix) {
  if (since_unix <= 0) return "-";
  int64_t seconds = std::max<int64_t>(0, std::time(nullptr) - since_unix);
  if (seconds < 120) return absl::StrCat(seconds, "s");
  if (seconds < 2 * 3600) return absl::StrCat(seconds / 60, "m");
  if (seconds < 2 * 86400) return absl::StrCat(seconds / 3600, "h");
  return absl::StrCat(seconds / 86400, "d");
}

std::string ShortEnum(const std::string& name) {
  return name.empty() ? "-" : name;
}

}  // namespace

absl::Status ParseOutputFormat(const std::string& text, OutputFormat* format) {
  if (text == "table") {
    *format = OutputFormat::kTable;
  } else if (text == "json") {
    *format = OutputFormat::kJson;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown output format '", text, "' (expected table or json)"));
  }
  return absl::OkStatus();
}

absl::Status GetAgents(const ControllerConnection& connection,
                       const GetOptions& options, std::ostream& out,
                       std::ostream& err) {
  v1::ListAgentsRequest request;
  if (!options.selector.empty()) {
    if (absl::Status status =
            ParseSelector(options.selector, request.mutable_selector());
        !status.ok()) {
      return status;
    }
  }
  auto stub = v1::StatusService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(context);
  v1::ListAgentsResponse response;
  grpc::Status status = stub->ListAgents(&context, request, &response);
  if (!status.ok()) return connection.Explain(status, "ListAgents");

  if (options.format == OutputFormat::kJson) return PrintJson(response, out);
  if (response.agents().empty()) {
    err << "No agents found.\n";
    return absl::OkStatus();
  }
  Table table({"PRINCIPAL", "STATE", "REASON", "ADDRESSES", "EPOCH", "PEERS",
               "SAS", "LAST-SEEN"});
  for (const v1::Agent& agent : response.agents()) {
    table.AddRow({agent.principal(),
                  ShortEnum(v1::AgentState_Name(agent.state())),
                  ShortEnum(v1::AgentStateReason_Name(agent.reason())),
                  absl::StrJoin(agent.addresses(), ","),
                  absl::StrCat(agent.epoch()), absl::StrCat(agent.peer_count()),
                  absl::StrCat(agent.sa_count()), Age(agent.last_seen_unix())});
  }
  table.Print(out);
  return absl::OkStatus();
}

absl::Status GetSas(const ControllerConnection& connection,
                    const GetOptions& options, const std::string& agent,
                    const std::string& peer, std::ostream& out,
                    std::ostream& err) {
  v1::ListSAsRequest request;
  request.set_agent(agent);
  request.set_peer(peer);
  auto stub = v1::StatusService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(context);
  v1::ListSAsResponse response;
  grpc::Status status = stub->ListSAs(&context, request, &response);
  if (!status.ok()) return connection.Explain(status, "ListSAs");

  if (options.format == OutputFormat::kJson) return PrintJson(response, out);
  if (response.sas().empty()) {
    err << "No SAs found.\n";
    return absl::OkStatus();
  }
  Table table({"AGENT", "PEER", "DIR", "SPI", "PROTO", "SUITE", "MODE", "STATE",
               "BYTES", "AGE"});
  for (const v1::SecurityAssociation& sa : response.sas()) {
    char spi[16];
    std::snprintf(spi, sizeof(spi), "0x%08x", sa.spi());
    table.AddRow({sa.agent(), sa.peer(),
                  ShortEnum(v1::SaDirection_Name(sa.direction())), spi,
                  ShortEnum(v1::IpsecProtocol_Name(sa.protocol())), sa.suite(),
                  ShortEnum(v1::IpsecMode_Name(sa.mode())),
                  ShortEnum(v1::SaState_Name(sa.state())),
                  absl::StrCat(sa.bytes()), Age(sa.installed_at_unix())});
  }
  table.Print(out);
  return absl::OkStatus();
}

}  // namespace kink::client
