// Load generator for env servers speaking fleet serve's HTTP protocol (issue 16): C
// clients, each its own keep-alive connection and session, step random valid actions
// (resetting when an episode ends) for a fixed time; prints steps/s and per-step latency
// percentiles as one JSON line. Works against `fleet serve` and against
// benchmarks/serve_reference.py (FastAPI + uvicorn over Gymnasium) alike.
//
//   serve_bench URL [--clients C=4] [--seconds S=10] [--batch N=0]
//
// --batch N: each client opens a batch session of N envs (/batch/reset, /batch/step) and
// steps/s counts env steps (N per request).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "envs/server/env_client.h"

using fleet::Json;
using fleet::envs::RemoteEnv;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<float> RandomAction(const fleet::envs::Space& s, std::mt19937& rng) {
  if (s.is_discrete()) return {static_cast<float>(s.start + static_cast<int64_t>(rng() % s.n))};
  std::vector<float> a(s.FlatDim());
  for (size_t i = 0; i < a.size(); ++i) {
    const double lo = std::isfinite(s.low[i]) ? s.low[i] : -1, hi = std::isfinite(s.high[i]) ? s.high[i] : 1;
    a[i] = static_cast<float>(std::uniform_real_distribution<double>(lo, hi)(rng));
  }
  return a;
}

struct ClientResult {
  int64_t steps = 0, requests = 0;
  std::vector<double> latency_us;
  std::string error;
};

void RunClient(const std::string& url, int index, int batch, Clock::time_point end, ClientResult& out) {
  auto env = RemoteEnv::Connect(url);
  if (!env.ok()) {
    out.error = env.status().ToString();
    return;
  }
  std::mt19937 rng(index);
  const auto& space = (*env)->spec().action_space;
  std::vector<float> obs;
  std::string session;
  if (batch > 0) {
    Json reset{{"num_envs", batch}, {"seed", index * 100000}};
    auto r = (*env)->Request("POST", "/batch/reset", &reset);
    if (!r.ok() || r->status != 200) {
      out.error = r.ok() ? r->body.dump() : r.status().ToString();
      return;
    }
    session = r->body["session_id"];
  } else if (auto st = (*env)->Reset(index, obs); !st.ok()) {
    out.error = st.ToString();
    return;
  }
  out.latency_us.reserve(1 << 20);
  while (Clock::now() < end) {
    const auto t0 = Clock::now();
    if (batch > 0) {
      Json actions = Json::array();
      for (int i = 0; i < batch; ++i) {
        auto a = RandomAction(space, rng);
        actions.push_back(space.is_discrete() ? Json(a[0]) : Json(a));
      }
      Json body{{"session_id", session}, {"actions", std::move(actions)}};
      auto r = (*env)->Request("POST", "/batch/step", &body);
      if (!r.ok() || r->status != 200) {
        out.error = r.ok() ? r->body.dump() : r.status().ToString();
        return;
      }
      out.steps += batch;
    } else {
      auto r = (*env)->Step(RandomAction(space, rng), obs);
      if (!r.ok()) {
        out.error = r.status().ToString();
        return;
      }
      ++out.steps;
      if ((r->terminated || r->truncated) && !(*env)->Reset(std::nullopt, obs).ok()) {
        out.error = "reset failed";
        return;
      }
    }
    ++out.requests;
    out.latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: serve_bench URL [--clients C] [--seconds S] [--batch N]\n");
    return 2;
  }
  std::string url = argv[1];
  int clients = 4, batch = 0;
  double seconds = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--clients") clients = std::stoi(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (flag == "--batch") batch = std::stoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "serve_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::vector<ClientResult> results(clients);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back(RunClient, url, c, batch, end, std::ref(results[c]));
  }
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  int64_t steps = 0, requests = 0;
  std::vector<double> lat;
  for (const auto& r : results) {
    if (!r.error.empty()) {
      std::fprintf(stderr, "serve_bench: a client failed: %s\n", r.error.c_str());
      return 1;
    }
    steps += r.steps;
    requests += r.requests;
    lat.insert(lat.end(), r.latency_us.begin(), r.latency_us.end());
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat.empty() ? 0.0 : lat[static_cast<size_t>(p * (lat.size() - 1))]; };
  std::printf("%s\n", Json{{"url", url}, {"clients", clients}, {"batch", batch},
                           {"seconds", wall}, {"steps", steps}, {"requests", requests},
                           {"steps_per_s", steps / wall}, {"requests_per_s", requests / wall},
                           {"latency_us_p50", pct(0.5)}, {"latency_us_p99", pct(0.99)}}
                          .dump().c_str());
  return 0;
}
