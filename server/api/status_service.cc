#include "server/api/status_service.h"

#include "common/grpc_status.h"
#include "server/policy/label_selector.h"

namespace kink::server {
namespace {

bool Wanted(const v1::ListAgentsRequest& request, const v1::Agent& agent) {
  if (request.has_selector() &&
      !SelectorMatches(request.selector(), agent.labels())) {
    return false;
  }
  return request.state() == v1::AGENT_STATE_UNSPECIFIED ||
         request.state() == agent.state();
}

}  // namespace

grpc::ServerUnaryReactor* StatusService::ListAgents(
    grpc::CallbackServerContext* context, const v1::ListAgentsRequest* request,
    v1::ListAgentsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->has_selector()) {
    if (absl::Status status = ValidateSelector(request->selector());
        !status.ok()) {
      reactor->Finish(ToGrpcStatus(status));
      return reactor;
    }
  }
  // SQLite reads of the agent table are sub-millisecond; a bounded executor
  // comes with the etcd store, whose reads go over the network.
  absl::StatusOr<std::vector<v1::Agent>> agents = store_->ListAgents();
  if (!agents.ok()) {
    reactor->Finish(ToGrpcStatus(agents.status()));
    return reactor;
  }
  for (v1::Agent& agent : *agents) {
    if (Wanted(*request, agent)) *response->add_agents() = std::move(agent);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace kink::server
