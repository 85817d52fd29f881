// The launch plans of `fleet run` and `fleet collect`: which roles with which arguments,
// bind addresses for the roles that bind and connect addresses for the rest, what the
// store records, restart and exit policies, stop order.
#include "orchestrator/launch_plan.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "learner/algorithm_registry.h"

namespace fleet::orchestrator {
namespace {

bool Has(const std::vector<std::string>& args, const std::string& flag, const std::string& value) {
  auto it = std::find(args.begin(), args.end(), flag);
  return it != args.end() && it + 1 != args.end() && *(it + 1) == value;
}

ExperimentConfig Config(const std::vector<std::string>& sets) {
  auto cfg = learner::ParseRunConfig("", sets);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return *cfg;
}

TEST(EndpointsTest, TcpSeparatesBindAndConnectAddresses) {
  ExperimentConfig cfg = Config({"run.transport=tcp", "run.tcp_bind_host=*",
                                 "run.tcp_connect_host=node7", "run.tcp_base_port=40100"});
  auto ep = Endpoints::Make(cfg.run);
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->ingest.bind, "tcp://*:40100");
  EXPECT_EQ(ep->ingest.connect, "tcp://node7:40100");
  EXPECT_EQ(ep->stats.connect, "tcp://node7:40103");
  // free ports on the loopback address: bind and connect alike.
  auto local = Endpoints::Make(Config({"run.transport=tcp"}).run);
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(local->weights.bind.starts_with("tcp://127.0.0.1:"));
  EXPECT_EQ(local->weights.bind, local->weights.connect);
  // a wildcard bind needs the address to connect to.
  auto bad = learner::ParseRunConfig("", {"run.transport=tcp", "run.tcp_bind_host=*"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("run.tcp_connect_host"), std::string::npos);
}

TEST(LaunchPlanTest, RunBindsWhereItServesAndConnectsElsewhere) {
  ExperimentConfig cfg = Config({"run.transport=tcp", "run.tcp_bind_host=*",
                                 "run.tcp_connect_host=head", "run.tcp_base_port=40200",
                                 "actors.count=3", "store.record=true", "learner.threads=2",
                                 "learner.cpus=1", "actors.cpus=0,2-3", "store.cpus=0"});
  auto ep = Endpoints::Make(cfg.run);
  ASSERT_TRUE(ep.ok());
  auto plan = BuildRunPlan(cfg, "/runs/x", *ep, /*resume=*/true, 1234);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const RoleSpec* store = plan->Find("store");
  const RoleSpec* learner = plan->Find("learner");
  const RoleSpec* actors = plan->Find("actor");
  ASSERT_TRUE(store && learner && actors);
  EXPECT_TRUE(Has(store->args, "--ingest", "tcp://*:40200"));
  EXPECT_TRUE(Has(store->args, "--rollout", "tcp://*:40201"));
  // PPO's actors report log-probs and values: the store records both.
  EXPECT_TRUE(Has(store->args, "--record-infos", "infos/logprob,infos/value"));
  EXPECT_TRUE(Has(learner->args, "--rollout", "tcp://head:40201"));
  EXPECT_TRUE(Has(learner->args, "--weights", "tcp://*:40202"));
  EXPECT_TRUE(Has(learner->args, "--start-unix-ms", "1234"));
  EXPECT_NE(std::find(learner->args.begin(), learner->args.end(), "--resume"), learner->args.end());
  EXPECT_EQ(learner->program, "fleet-learner");
  EXPECT_EQ(learner->resources.cpus, 2);
  // the local launcher's CPU lists, one per role
  EXPECT_EQ(learner->resources.cpu_list, "1");
  EXPECT_EQ(actors->resources.cpu_list, "0,2-3");
  EXPECT_EQ(store->resources.cpu_list, "0");
  auto bad_cpus = learner::ParseRunConfig("", {"learner.cpus=1-0"});
  ASSERT_FALSE(bad_cpus.ok());
  EXPECT_NE(bad_cpus.status().message().find("config key 'learner.cpus' '1-0' is not a CPU list"),
            std::string::npos)
      << bad_cpus.status().message();
  EXPECT_EQ(actors->count, 3);
  EXPECT_TRUE(Has(actors->ArgsFor(2), "--id", "2"));
  EXPECT_TRUE(Has(actors->args, "--ingest", "tcp://head:40200"));
  EXPECT_TRUE(Has(actors->args, "--weights", "tcp://head:40202"));
  EXPECT_EQ(actors->LogNameFor(2), "actor-2");
  EXPECT_EQ(actors->InstanceName(2), "actor 2");
  EXPECT_EQ(learner->on_exit, OnExit::kEndsRun);
  EXPECT_EQ(store->on_exit, OnExit::kFailsRun);
  EXPECT_EQ(actors->on_exit, OnExit::kFailsIfNonZero);
  EXPECT_EQ(plan->stop_order, (std::vector<std::string>{"learner", "actor", "store"}));
  // every role is restarted after a crash, within its own section's budget; the learner
  // started again resumes from its checkpoint (--restarted)
  for (const RoleSpec* r : {store, learner, actors}) EXPECT_EQ(r->restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(store->max_restarts, cfg.store.max_restarts);
  EXPECT_EQ(learner->max_restarts, cfg.learner.max_restarts);
  EXPECT_EQ(actors->max_restarts, cfg.actors.max_restarts);
  EXPECT_EQ(learner->restart_args, std::vector<std::string>{"--restarted"});
  EXPECT_TRUE(store->restart_args.empty());
  // the learner is watched by its heartbeat (learner.heartbeat_timeout_s, 600 s by default)
  EXPECT_TRUE(Has(learner->args, "--heartbeat", "/runs/x/logs/learner.alive"));
  EXPECT_EQ(learner->heartbeat_timeout_ms, 600000);
  auto no_restarts = BuildRunPlan(Config({"learner.max_restarts=0", "learner.heartbeat_timeout_s=0"}),
                                  "/runs/x", *ep, false, 0);
  ASSERT_TRUE(no_restarts.ok());
  EXPECT_EQ(no_restarts->Find("learner")->max_restarts, 0);
  EXPECT_TRUE(no_restarts->Find("learner")->heartbeat_file.empty());
  EXPECT_EQ(std::find(no_restarts->Find("learner")->args.begin(),
                      no_restarts->Find("learner")->args.end(), "--heartbeat"),
            no_restarts->Find("learner")->args.end());
}

TEST(LaunchPlanTest, CollectRecordsWhatItsPolicyReportsAndRestartsTheStore) {
  ExperimentConfig cfg = Config({"collect.policy=random", "store.max_restarts=5", "collect.steps=10"});
  cfg.store.record = true;
  auto ep = Endpoints::Make(cfg.run);
  ASSERT_TRUE(ep.ok());
  auto plan = BuildCollectPlan(cfg, "/runs/c", *ep);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->Find("learner"), nullptr);
  const RoleSpec* store = plan->Find("store");
  EXPECT_TRUE(Has(store->args, "--record-infos", "infos/logprob"));
  EXPECT_NE(std::find(store->args.begin(), store->args.end(), "--collect"), store->args.end());
  EXPECT_EQ(store->restart, RestartPolicy::kAlways);
  EXPECT_EQ(store->max_restarts, 5);
  // watched by its heartbeat (store.heartbeat_timeout_s, 60 s by default)
  EXPECT_TRUE(Has(store->args, "--heartbeat", "/runs/c/logs/store.alive"));
  EXPECT_EQ(store->heartbeat_file, "/runs/c/logs/store.alive");
  EXPECT_EQ(store->heartbeat_timeout_ms, 60000);
  EXPECT_TRUE(Has(plan->Find("actor")->ArgsFor(1), "--stats", ActorStatsPath("/runs/c", 1)));
  EXPECT_EQ(plan->stop_order, (std::vector<std::string>{"actor", "store"}));
  // a scripted policy reports nothing besides its actions: no optional columns.
  cfg.collect.policy = "scripted";
  auto scripted = BuildCollectPlan(cfg, "/runs/c", *ep);
  const auto& args = scripted->Find("store")->args;
  EXPECT_EQ(std::find(args.begin(), args.end(), "--record-infos"), args.end());
}

}  // namespace
}  // namespace fleet::orchestrator
