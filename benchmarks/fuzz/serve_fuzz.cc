// libFuzzer target: requests as `fleet serve` receives them from any client (issue 16).
// The first byte picks the route (or a WebSocket message), the rest is the body; the
// session header names a live session, so bodies reach the env. Whatever the bytes, the
// service must answer with a status and a JSON body (never crash), and a 200 step reply
// must hold a finite observation of the env's size.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "envs/server/env_service.h"

using fleet::Json;
using fleet::envs::EnvService;

namespace {

struct Fixture {
  std::unique_ptr<EnvService> service;
  std::string http_session, ws_session;
  Fixture() {
    fleet::envs::EnvServiceOptions o;
    o.env_id = "LunarLanderContinuous-v3";
    o.max_sessions = 8;
    o.max_batch_envs = 16;
    service = std::move(EnvService::Create(o)).value();
    http_session = service->Handle("POST", "/reset", "", "", "{\"seed\": 1}").body["session_id"];
    ws_session = *service->OpenSession();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  if (size == 0) return 0;
  static const char* kRoutes[][2] = {{"POST", "/step"},        {"POST", "/reset"},
                                     {"POST", "/batch/reset"}, {"POST", "/batch/step"},
                                     {"GET", "/state"},        {"POST", "/close"}};
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int route = data[0] % 7;
  if (route == 6) {
    bool close = false;
    Json reply = f.service->HandleMessage(f.ws_session, body, close);
    if (!close && !reply.is_object()) std::abort();
    return 0;
  }
  auto r = f.service->Handle(kRoutes[route][0], kRoutes[route][1], f.http_session, "", body);
  if (r.status < 200 || r.status > 599 || !r.body.is_object()) std::abort();
  if (r.status != 200 && !r.body.contains("error")) std::abort();
  if (r.status == 200 && route <= 1) {
    const Json& obs = r.body["observation"]["obs"];
    if (obs.size() != 8) std::abort();
    for (const Json& x : obs) {
      if (!std::isfinite(x.get<double>())) std::abort();
    }
  }
  if (f.service->session_count() > 8) std::abort();  // the capacity holds
  // keep a session to fuzz against: a close (or a batch reset that made a new one) may
  // have taken it
  if (route == 5 || f.service->session_count() >= 6) f = Fixture();
  return 0;
}
