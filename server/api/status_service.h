// kink.v1.StatusService on the callback API. ListAgents reads the store;
// ListSAs and WatchEvents are not served yet (UNIMPLEMENTED) because agents do
// not report SAs until the agent-daemon issue lands.
#ifndef KINK_SERVER_API_STATUS_SERVICE_H_
#define KINK_SERVER_API_STATUS_SERVICE_H_

#include "kink/v1/status.grpc.pb.h"
#include "server/store/store.h"

namespace kink::server {

class StatusService final : public v1::StatusService::CallbackService {
 public:
  // `store` must outlive the service.
  explicit StatusService(const Store* store) : store_(store) {}

  grpc::ServerUnaryReactor* ListAgents(
      grpc::CallbackServerContext* context,
      const v1::ListAgentsRequest* request,
      v1::ListAgentsResponse* response) override;

 private:
  const Store* store_;
};

}  // namespace kink::server

#endif  // KINK_SERVER_API_STATUS_SERVICE_H_
