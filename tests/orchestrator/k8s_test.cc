// fleet k8s render: the objects (config, volume, headless service, head job with the store
// as a sidecar, indexed actor job), the actor index, endpoints through the service, the GPU
// request, the embedded config. Schema validation against Kubernetes' own schemas is
// tests/python/test_k8s_manifests.py.
#include "orchestrator/k8s.h"

#include <yaml-cpp/yaml.h>

#include <map>

#include <gtest/gtest.h>

#include "learner/algorithm_registry.h"

namespace fleet::orchestrator {
namespace {

ExperimentConfig Config(const std::vector<std::string>& sets) {
  auto cfg = learner::ParseRunConfig("", sets);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return *cfg;
}

std::map<std::string, YAML::Node> Render(const ExperimentConfig& cfg, bool offline = false) {
  auto text = RenderK8sManifests(cfg, {.offline = offline});
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  std::map<std::string, YAML::Node> by_name;
  for (const auto& d : YAML::LoadAll(*text)) {
    by_name[d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>()] = d;
  }
  return by_name;
}

std::string Joined(const YAML::Node& seq) {
  std::string out;
  for (const auto& x : seq) out += x.as<std::string>() + " ";
  return out;
}

TEST(K8sTest, NamesAreDns1123Labels) {
  EXPECT_EQ(K8sName("cartpole_ppo"), "cartpole-ppo");
  EXPECT_EQ(K8sName("Hopper DT--v5!"), "hopper-dt-v5");
  EXPECT_EQ(K8sName("___"), "fleet");
  EXPECT_LE(K8sName(std::string(100, 'a')).size(), 40u);
}

TEST(K8sTest, RendersTheRunsObjects) {
  auto m = Render(Config({"run.name=cartpole_ppo", "actors.count=5", "k8s.image=reg/fleet:1",
                          "k8s.namespace=rl"}));
  for (const char* key : {"ConfigMap/cartpole-ppo-config", "PersistentVolumeClaim/cartpole-ppo-run",
                          "Service/cartpole-ppo-head", "Job/cartpole-ppo-head",
                          "Job/cartpole-ppo-actors"}) {
    ASSERT_TRUE(m.count(key)) << key;
    EXPECT_EQ(m[key]["metadata"]["namespace"].as<std::string>(), "rl") << key;
  }
  EXPECT_EQ(m.size(), 6u);
  ASSERT_TRUE(m.count("Secret/cartpole-ppo-keys"));
  EXPECT_EQ(m["Secret/cartpole-ppo-keys"]["stringData"]["server.public"].as<std::string>().size(), 40u);
  const YAML::Node svc = m["Service/cartpole-ppo-head"]["spec"];
  EXPECT_EQ(svc["clusterIP"].as<std::string>(), "None");
  EXPECT_EQ(svc["ports"].size(), 4u);
  EXPECT_EQ(svc["ports"][0]["port"].as<int>(), 5555);

  // the head pod: prepare, the store as a native sidecar, the learner resuming if it can
  const YAML::Node head = m["Job/cartpole-ppo-head"]["spec"]["template"];
  EXPECT_EQ(head["metadata"]["labels"]["fleet/role"].as<std::string>(), "head");
  EXPECT_EQ(svc["selector"]["fleet/role"].as<std::string>(), "head");
  const YAML::Node init = head["spec"]["initContainers"];
  ASSERT_EQ(init.size(), 2u);
  EXPECT_EQ(init[1]["name"].as<std::string>(), "store");
  EXPECT_EQ(init[1]["restartPolicy"].as<std::string>(), "Always");
  EXPECT_EQ(init[1]["image"].as<std::string>(), "reg/fleet:1");
  EXPECT_NE(Joined(init[1]["command"]).find("--ingest tcp://*:5555"), std::string::npos)
      << Joined(init[1]["command"]);
  const std::string learner = Joined(head["spec"]["containers"][0]["command"]);
  EXPECT_NE(learner.find("checkpoints/latest ]; then exec fleet-learner"), std::string::npos) << learner;
  EXPECT_NE(learner.find("--resume"), std::string::npos);
  EXPECT_FALSE(head["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"].IsDefined());

  // actors: indexed, the completion index as the actor id, connecting through the service
  const YAML::Node actors = m["Job/cartpole-ppo-actors"]["spec"];
  EXPECT_EQ(actors["completionMode"].as<std::string>(), "Indexed");
  EXPECT_EQ(actors["completions"].as<int>(), 5);
  EXPECT_EQ(actors["parallelism"].as<int>(), 5);
  const YAML::Node actor = actors["template"]["spec"]["containers"][0];
  const std::string cmd = Joined(actor["command"]);
  EXPECT_NE(cmd.find("--id $(FLEET_INDEX)"), std::string::npos) << cmd;
  EXPECT_NE(cmd.find("--ingest tcp://cartpole-ppo-head:5555"), std::string::npos) << cmd;
  EXPECT_NE(cmd.find("--weights tcp://cartpole-ppo-head:5557"), std::string::npos) << cmd;
  EXPECT_EQ(actor["env"][0]["name"].as<std::string>(), "FLEET_INDEX");
  EXPECT_EQ(actor["env"][0]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(),
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");

  // the config every role reads: tcp through the service
  auto cfg = learner::ParseRunConfig(
      m["ConfigMap/cartpole-ppo-config"]["data"]["config.yaml"].as<std::string>(), {});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->run.transport, "tcp");
  EXPECT_EQ(cfg->run.tcp_connect_host, "cartpole-ppo-head");
  EXPECT_EQ(cfg->actors.count, 5);
}

TEST(K8sTest, CudaLearnerRequestsAGpu) {
  auto m = Render(Config({"run.name=x", "learner.device=cuda", "k8s.storage_class=fast"}));
  const YAML::Node c = m["Job/x-head"]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["resources"]["limits"]["nvidia.com/gpu"].as<int>(), 1);
  EXPECT_EQ(m["PersistentVolumeClaim/x-run"]["spec"]["storageClassName"].as<std::string>(), "fast");
}

TEST(K8sTest, TrainOfflineIsTheLearnerAlone) {
  auto m = Render(Config({"run.name=dt", "learner.algo=dt", "learner.dataset=/fleet/run/data"}),
                  /*offline=*/true);
  EXPECT_FALSE(m.count("Job/dt-actors"));
  EXPECT_FALSE(m.count("Service/dt-head"));
  ASSERT_TRUE(m.count("Job/dt-head"));
  EXPECT_EQ(m["Job/dt-head"]["spec"]["template"]["spec"]["initContainers"].size(), 1u);
}

}  // namespace
}  // namespace fleet::orchestrator
