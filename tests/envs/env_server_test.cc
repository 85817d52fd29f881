// fleet serve's server over real sockets: the HTTP protocol, sessions, bad requests, the
// batch endpoint, idle reaping and tokens (envs/server).
#include "envs/server/env_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "envs/registry.h"
#include "envs/server/env_client.h"
#include "envs/vector_env.h"

namespace fleet::envs {
namespace {

class ServerThread {
 public:
  explicit ServerThread(EnvServerOptions o) {
    o.port = 0;
    auto made = EnvServer::Create(std::move(o));
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    server_ = std::move(made).value();
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~ServerThread() {
    server_->Stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  EnvServer& server() { return *server_; }

 private:
  std::unique_ptr<EnvServer> server_;
  std::thread thread_;
};

EnvServerOptions Options(const std::string& id) {
  EnvServerOptions o;
  o.service.env_id = id;
  return o;
}

std::unique_ptr<RemoteEnv> Client(const std::string& url, const std::string& token = "") {
  auto c = RemoteEnv::Connect(url, token);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// A request written byte for byte on its own connection (Connection: close): bodies that
// are not JSON reach the server as they are. Returns the status and the body.
std::pair<int, std::string> RawRequest(int port, const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& extra_headers = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {-1, "connect failed"};
  }
  const std::string req = method + " " + path + " HTTP/1.1\r\nHost: test\r\n" + extra_headers +
                          "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (reply.size() < 12) return {-1, reply};
  const size_t split = reply.find("\r\n\r\n");
  return {std::stoi(reply.substr(9, 3)), split == std::string::npos ? "" : reply.substr(split + 4)};
}

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

TEST(EnvServerTest, RemoteEpisodesEqualTheLocalEnvFromTheSameSeed) {
  for (const std::string id : {"CartPole-v1", "LunarLanderContinuous-v3", "Hopper-v5"}) {
    ServerThread server(Options(id));
    auto remote = Client(server.url());
    ASSERT_NE(remote, nullptr);
    EXPECT_EQ(remote->spec().id, id);
    auto local = MakeEnv(id);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(remote->spec().observation_space.FlatDim(), (*local)->obs_dim());
    EXPECT_EQ(remote->spec().action_space.is_discrete(), (*local)->spec().action_space.is_discrete());
    EXPECT_EQ(remote->spec().max_episode_steps, (*local)->spec().max_episode_steps);
    std::vector<float> robs, lobs((*local)->obs_dim()), action((*local)->action_width());
    ASSERT_TRUE(remote->Reset(7, robs).ok());
    (*local)->Reset(7, lobs);
    ASSERT_EQ(robs, lobs) << id;
    std::mt19937 rng(1);
    int steps = 0;
    for (bool done = false; !done && steps < 300; ++steps) {
      const Space& as = (*local)->spec().action_space;
      for (int i = 0; i < static_cast<int>(action.size()); ++i) {
        action[i] = as.is_discrete() ? static_cast<float>(rng() % as.n)
                                     : std::uniform_real_distribution<float>(-1, 1)(rng);
      }
      auto r = remote->Step(action, robs);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      auto l = (*local)->Step(action, lobs);
      ASSERT_TRUE(l.ok());
      ASSERT_EQ(robs, lobs) << id << " step " << steps;
      // rewards travel as float64 text: exact
      ASSERT_EQ(r->reward, l->reward) << id << " step " << steps;
      ASSERT_EQ(r->terminated, l->terminated);
      ASSERT_EQ(r->truncated, l->truncated);
      done = r->terminated || r->truncated;
    }
    EXPECT_GT(steps, 5) << id;
    EXPECT_EQ(server.server().service().steps_served(), steps);
  }
}

TEST(EnvServerTest, OrderIsEnforcedAsGymnasiumDoes) {
  ServerThread server(Options("CartPole-v1"));
  auto remote = Client(server.url());
  std::vector<float> obs;
  EXPECT_EQ(remote->Step(std::vector<float>{0}, obs).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(remote->Reset(1, obs).ok());
  for (bool done = false; !done;) {
    auto r = remote->Step(std::vector<float>{1}, obs);  // always right: falls in a few steps
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    done = r->terminated || r->truncated;
  }
  auto after = remote->Step(std::vector<float>{1}, obs);
  EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(after.status().message().find("episode ended"), std::string::npos);
  ASSERT_TRUE(remote->Reset(std::nullopt, obs).ok());
  EXPECT_TRUE(remote->Step(std::vector<float>{0}, obs).ok());
}

TEST(EnvServerTest, BadRequestsGetAClearErrorAndTheServerKeepsServing) {
  EnvServerOptions o = Options("LunarLanderContinuous-v3");
  o.max_body_bytes = 4096;
  ServerThread server(o);
  auto good = Client(server.url());
  std::vector<float> obs;
  ASSERT_TRUE(good->Reset(3, obs).ok());
  auto bad = Client(server.url());
  ASSERT_TRUE(bad->Reset(4, obs).ok());
  const std::string sid = bad->session_id();
  struct Case {
    std::string body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {R"({"session_id": ")" + sid + R"(", "action": [0.1]})", 400, "expected an action of 2 values"},
      {R"({"session_id": ")" + sid + R"(", "action": ["a", 1]})", 400, "numbers, not string"},
      {R"({"session_id": ")" + sid + R"(", "action": [true, 1]})", 400, "not boolean"},
      {R"({"session_id": ")" + sid + R"(", "action": [[0], 1]})", 400, "numbers, not array"},
      {R"({"session_id": ")" + sid + R"(", "action": [1e39, 0]})", 400, "not a finite float32"},
      {R"({"session_id": ")" + sid + R"(", "action": [NaN, 0]})", 400, "not JSON"},
      {R"({"session_id": ")" + sid + R"(", "action": [0, 0)", 400, "not JSON"},
      {R"({"session_id": ")" + sid + R"("})", 400, "needs an 'action'"},
      {R"({"session_id": 5, "action": [0, 0]})", 400, "'session_id' must be a string"},
      {R"({"session_id": "feedbeef", "action": [0, 0]})", 404, "unknown session 'feedbeef'"},
      {R"({"action": [0, 0]})", 400, "needs a session"},
      {R"([1, 2])", 400, "must be a JSON object"},
      {std::string(40, '[') + std::string(40, ']'), 400, "nests deeper than"},
      {R"({"action": ")" + std::string(5000, 'x') + R"("})", 413, "larger than the server's limit"},
  };
  for (const Case& c : cases) {
    auto [status, body] = RawRequest(PortOf(server.url()), "POST", "/step", c.body);
    EXPECT_EQ(status, c.status) << c.body.substr(0, 80) << " -> " << body;
    EXPECT_NE(body.find(c.says), std::string::npos) << c.body.substr(0, 80) << " -> " << body;
  }
  // the session with bad requests is unchanged, the other one never noticed
  auto r = good->Step(std::vector<float>{0.5f, 0.0f}, obs);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(bad->Step(std::vector<float>{0.0f, 0.0f}, obs).ok());
  auto state = good->Request("GET", "/state?session_id=" + good->session_id(), nullptr);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->body["step_count"], 1);
  auto route = good->Request("GET", "/nowhere", nullptr);
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->status, 404);
  auto method = good->Request("GET", "/step", nullptr);
  ASSERT_TRUE(method.ok());
  EXPECT_EQ(method->status, 405);
}

TEST(EnvServerTest, BatchStepsMatchTheVectorEnv) {
  ServerThread server(Options("CartPole-v1"));
  auto c = Client(server.url());
  Json reset{{"num_envs", 4}, {"seed", 11}};
  auto r = c->Request("POST", "/batch/reset", &reset);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body.dump();
  const std::string sid = r->body["session_id"];
  auto vec = VectorEnv::Create("CartPole-v1", 4);
  ASSERT_TRUE(vec.ok());
  std::vector<float> obs(4 * 4), rewards(4);
  std::vector<uint8_t> term(4), trunc(4);
  VectorStepOutput out;
  (*vec)->Reset(11, obs);
  auto rows = [](const Json& j) {
    std::vector<float> v;
    for (const Json& row : j) for (const Json& x : row) v.push_back(x.get<float>());
    return v;
  };
  ASSERT_EQ(rows(r->body["observations"]), obs);
  int ended = 0;
  for (int t = 0; t < 60; ++t) {
    std::vector<float> actions = {float(t % 2), 1, 0, float((t / 3) % 2)};
    Json step{{"session_id", sid}, {"actions", actions}};
    auto s = c->Request("POST", "/batch/step", &step);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->status, 200) << s->body.dump();
    ASSERT_TRUE((*vec)->Step(actions, obs, rewards, term, trunc, out).ok());
    ASSERT_EQ(rows(s->body["observations"]), obs) << "step " << t;
    ASSERT_EQ(s->body["episodes"].size(), out.final_indices.size());
    for (size_t k = 0; k < out.final_indices.size(); ++k) {
      EXPECT_EQ(s->body["episodes"][k]["index"], out.final_indices[k]);
      EXPECT_EQ(s->body["episodes"][k]["length"], out.episode_lengths[k]);
      ++ended;
    }
  }
  EXPECT_GT(ended, 0);  // always-right envs fall within 60 steps: auto-reset was exercised
  Json wrong{{"session_id", sid}, {"actions", {0, 1}}};
  auto w = c->Request("POST", "/batch/step", &wrong);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->status, 400);
  EXPECT_NE(w->body["error"].get<std::string>().find("array of 4 actions"), std::string::npos);
  Json too_many{{"num_envs", 5000}};
  auto big = c->Request("POST", "/batch/reset", &too_many);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->status, 400);
}

TEST(EnvServerTest, IdleSessionsAreReapedAndCapacityIsBounded) {
  EnvServerOptions o = Options("Pendulum-v1");
  o.service.idle_timeout_s = 0.3;
  o.service.max_sessions = 2;
  ServerThread server(o);
  auto a = Client(server.url()), b = Client(server.url()), c = Client(server.url());
  std::vector<float> obs;
  ASSERT_TRUE(a->Reset(1, obs).ok());
  ASSERT_TRUE(b->Reset(2, obs).ok());
  EXPECT_EQ(c->Reset(3, obs).code(), StatusCode::kResourceExhausted);  // 503 at capacity
  EXPECT_EQ(server.server().service().session_count(), 2u);
  // a keeps stepping, b goes idle and is reaped
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a->Step(std::vector<float>{0.1f}, obs).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto gone = b->Step(std::vector<float>{0.1f}, obs);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("unknown session"), std::string::npos);
  EXPECT_EQ(server.server().service().session_count(), 1u);
  EXPECT_TRUE(c->Reset(3, obs).ok());  // room again
}

TEST(EnvServerTest, ATokenIsRequiredOffLoopbackAndCheckedWhenSet) {
  EnvServerOptions open = Options("CartPole-v1");
  open.host = "0.0.0.0";
  auto refused = EnvServer::Create(open);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("needs a token"), std::string::npos);

  EnvServerOptions o = Options("CartPole-v1");
  o.token = "s3cret-token";
  ServerThread server(o);
  const int port = PortOf(server.url());
  EXPECT_EQ(RawRequest(port, "GET", "/health", "").first, 200);  // probes need no token
  EXPECT_EQ(RawRequest(port, "POST", "/reset", "{}").first, 401);
  EXPECT_EQ(RawRequest(port, "POST", "/reset", "{}", "Authorization: Bearer wrong-token!\r\n").first, 401);
  EXPECT_EQ(RawRequest(port, "POST", "/reset", "{}", "Authorization: Bearer s3cret-token\r\n").first, 200);
  EXPECT_FALSE(RemoteEnv::Connect(server.url()).ok());
  auto c = Client(server.url(), "s3cret-token");
  ASSERT_NE(c, nullptr);
  std::vector<float> obs;
  EXPECT_TRUE(c->Reset(0, obs).ok());
}

TEST(EnvServerTest, UnknownEnvsAndBadOptionsAreRefusedAtStart) {
  auto unknown = EnvServer::Create(Options("NoSuchEnv-v0"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EnvServerOptions o = Options("Pendulum-v1");
  o.service.env_options["g"] = "nan";
  auto nan = EnvServer::Create(o);
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("g"), std::string::npos);
}

TEST(EnvServerTest, JsonNestingDepthIgnoresBracketsInStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": "[[[["}]})"), 3);
  EXPECT_EQ(JsonNestingDepth(R"("\"[")"), 0);
  EXPECT_EQ(JsonNestingDepth("[[[]]]"), 3);
}

// many clients at once on a server with two threads: every session's episode is its own
TEST(EnvServerTest, ConcurrentSessionsDoNotInterfere) {
  EnvServerOptions o = Options("Pendulum-v1");
  o.threads = 2;
  ServerThread server(o);
  constexpr int kClients = 8;
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto remote = RemoteEnv::Connect(server.url());
      auto local = MakeEnv("Pendulum-v1");
      if (!remote.ok() || !local.ok()) {
        failures[c] = "connect";
        return;
      }
      std::vector<float> robs, lobs(3);
      if (!(*remote)->Reset(100 + c, robs).ok()) failures[c] = "reset";
      (*local)->Reset(100 + c, lobs);
      for (int t = 0; t < 200 && failures[c].empty(); ++t) {  // Pendulum truncates at 200
        const std::vector<float> a = {std::sin(0.1f * t + c)};
        auto r = (*remote)->Step(a, robs);
        auto l = (*local)->Step(a, lobs);
        if (!r.ok() || robs != lobs || r->reward != l->reward) failures[c] = "step " + std::to_string(t);
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(failures[c], "") << "client " << c;
  EXPECT_EQ(server.server().service().steps_served(), kClients * 200);
}

}  // namespace
}  // namespace fleet::envs
