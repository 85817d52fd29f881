#include "orchestrator/k8s.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "common/curve.h"
#include "orchestrator/endpoints.h"
#include "orchestrator/launch_plan.h"
#include "orchestrator/run_setup.h"

namespace fleet::orchestrator {
namespace {

constexpr const char* kRunDir = "/fleet/run";
constexpr const char* kConfigDir = "/fleet/config";
constexpr const char* kKeysDir = "/fleet/keys";
constexpr int kDefaultBasePort = 5555;

YAML::Node Labels(const std::string& name, const std::string& role) {
  YAML::Node l;
  l["app.kubernetes.io/name"] = "fleet";
  l["fleet/run"] = name;
  if (!role.empty()) l["fleet/role"] = role;
  return l;
}

YAML::Node Meta(const std::string& name, const std::string& ns, const YAML::Node& labels) {
  YAML::Node m;
  m["name"] = name;
  m["namespace"] = ns;
  m["labels"] = labels;
  return m;
}

// "{index}" -> "$(FLEET_INDEX)" (expanded by Kubernetes from the container's env)
std::vector<std::string> K8sArgs(const RoleSpec& role) {
  std::vector<std::string> out;
  for (std::string a : role.args) {
    for (auto at = a.find("{index}"); at != std::string::npos; at = a.find("{index}")) {
      a.replace(at, 7, "$(FLEET_INDEX)");
    }
    out.push_back(a);
  }
  return out;
}

YAML::Node Container(const std::string& name, const std::string& image,
                     const std::vector<std::string>& command) {
  YAML::Node c;
  c["name"] = name;
  c["image"] = image;
  for (const auto& a : command) c["command"].push_back(a);
  return c;
}

YAML::Node PodResources(const std::string& cpu, const std::string& memory) {
  YAML::Node r;
  r["requests"]["cpu"] = cpu;
  r["requests"]["memory"] = memory;
  r["limits"]["memory"] = memory;
  return r;
}

YAML::Node Mount(const std::string& volume, const std::string& path, const std::string& sub = "") {
  YAML::Node m;
  m["name"] = volume;
  m["mountPath"] = path;
  if (!sub.empty()) {
    m["subPath"] = sub;
    m["readOnly"] = true;
  }
  return m;
}

YAML::Node KeysVolume(const std::string& name) {
  YAML::Node v;
  v["name"] = "keys";
  v["secret"]["secretName"] = name + "-keys";
  v["secret"]["defaultMode"] = 0400;
  return v;
}

}  // namespace

std::string K8sName(const std::string& run_name) {
  std::string out;
  for (char c : run_name) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(l))) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  if (out.size() > 40) out.resize(40);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "fleet" : out;
}

StatusOr<std::string> RenderK8sManifests(const ExperimentConfig& in, const K8sRenderOptions& o) {
  const K8sSection& k = in.k8s;
  const std::string name = K8sName(in.run.name);
  const std::string ns = k.namespace_;
  const std::string head = name + "-head";
  ExperimentConfig cfg = in;
  cfg.run.transport = "tcp";
  cfg.run.tcp_bind_host = "*";
  cfg.run.tcp_connect_host = head;
  cfg.run.curve_keys = kKeysDir;
  if (cfg.run.tcp_base_port == 0) cfg.run.tcp_base_port = kDefaultBasePort;
  FLEET_ASSIGN_OR_RETURN(Endpoints ep, Endpoints::Make(cfg.run));
  FLEET_ASSIGN_OR_RETURN(LaunchPlan plan, o.offline ? BuildOfflinePlan(cfg, kRunDir, ep, false, 0)
                                                    : BuildRunPlan(cfg, kRunDir, ep, false, 0));
  const bool gpu = cfg.learner.device == "cuda";
  std::vector<YAML::Node> docs;

  YAML::Node cm;
  cm["apiVersion"] = "v1";
  cm["kind"] = "ConfigMap";
  cm["metadata"] = Meta(name + "-config", ns, Labels(name, ""));
  cm["data"]["config.yaml"] = ExperimentConfigToYaml(cfg);
  docs.push_back(cm);

  // CURVE keys for the tcp endpoints, made now: every pod mounts them read-only
  FLEET_ASSIGN_OR_RETURN(CurveKeyPair server, NewCurveKeyPair());
  FLEET_ASSIGN_OR_RETURN(CurveKeyPair client, NewCurveKeyPair());
  YAML::Node secret;
  secret["apiVersion"] = "v1";
  secret["kind"] = "Secret";
  secret["metadata"] = Meta(name + "-keys", ns, Labels(name, ""));
  secret["type"] = "Opaque";
  secret["stringData"]["server.public"] = server.public_z85;
  secret["stringData"]["server.secret"] = server.secret_z85;
  secret["stringData"]["client.public"] = client.public_z85;
  secret["stringData"]["client.secret"] = client.secret_z85;
  secret["stringData"]["authorized_clients"] = client.public_z85 + "\n";
  docs.push_back(secret);

  YAML::Node pvc;
  pvc["apiVersion"] = "v1";
  pvc["kind"] = "PersistentVolumeClaim";
  pvc["metadata"] = Meta(name + "-run", ns, Labels(name, ""));
  pvc["spec"]["accessModes"].push_back("ReadWriteOnce");
  pvc["spec"]["resources"]["requests"]["storage"] = k.storage;
  if (!k.storage_class.empty()) pvc["spec"]["storageClassName"] = k.storage_class;
  docs.push_back(pvc);

  if (!o.offline) {
    YAML::Node svc;
    svc["apiVersion"] = "v1";
    svc["kind"] = "Service";
    svc["metadata"] = Meta(head, ns, Labels(name, "head"));
    svc["spec"]["clusterIP"] = "None";
    // actors resolve the head while it starts; ZeroMQ retries until it listens
    svc["spec"]["publishNotReadyAddresses"] = true;
    svc["spec"]["selector"] = Labels(name, "head");
    const std::pair<const char*, int> ports[] = {{"ingest", cfg.run.tcp_base_port},
                                                 {"rollout", cfg.run.tcp_base_port + 1},
                                                 {"weights", cfg.run.tcp_base_port + 2},
                                                 {"stats", cfg.run.tcp_base_port + 3}};
    for (const auto& [pname, port] : ports) {
      YAML::Node p;
      p["name"] = pname;
      p["port"] = port;
      p["protocol"] = "TCP";
      svc["spec"]["ports"].push_back(p);
    }
    docs.push_back(svc);
  }

  // the head pod: prepare the run directory, the store (a sidecar), the learner
  YAML::Node pod;
  pod["metadata"]["labels"] = Labels(name, "head");
  pod["spec"]["restartPolicy"] = "OnFailure";
  YAML::Node vol_run, vol_cfg;
  vol_run["name"] = "run";
  vol_run["persistentVolumeClaim"]["claimName"] = name + "-run";
  vol_cfg["name"] = "config";
  vol_cfg["configMap"]["name"] = name + "-config";
  pod["spec"]["volumes"].push_back(vol_run);
  pod["spec"]["volumes"].push_back(vol_cfg);
  pod["spec"]["volumes"].push_back(KeysVolume(name));
  const std::string run_dir = kRunDir;
  YAML::Node prepare = Container(
      "prepare", k.image,
      {"sh", "-c",
       "mkdir -p " + run_dir + "/logs && { [ -f " + run_dir + "/config.yaml ] || cp " +
           kConfigDir + "/config.yaml " + run_dir + "/config.yaml; }"});
  prepare["volumeMounts"].push_back(Mount("run", run_dir));
  prepare["volumeMounts"].push_back(Mount("config", kConfigDir));
  pod["spec"]["initContainers"].push_back(prepare);
  if (const RoleSpec* store = plan.Find("store")) {
    std::vector<std::string> cmd{"fleet"};
    for (const auto& a : K8sArgs(*store)) cmd.push_back(a);
    YAML::Node c = Container("store", k.image, cmd);
    c["restartPolicy"] = "Always";  // a native sidecar
    c["resources"] = PodResources("1", k.memory);
    c["volumeMounts"].push_back(Mount("run", run_dir));
    c["volumeMounts"].push_back(Mount("keys", kKeysDir));
    YAML::Node port;
    port["containerPort"] = cfg.run.tcp_base_port;
    port["name"] = "ingest";
    c["ports"].push_back(port);
    pod["spec"]["initContainers"].push_back(c);
  }
  const RoleSpec* learner = plan.Find("learner");
  std::string learner_cmd = "fleet-learner";
  for (const auto& a : K8sArgs(*learner)) learner_cmd += " " + ShellQuote(a);
  YAML::Node lc = Container(
      "learner", k.image,
      {"sh", "-c",
       "if [ -d " + run_dir + "/checkpoints/latest ]; then exec " + learner_cmd +
           " --resume; else exec " + learner_cmd + "; fi"});
  lc["resources"] = PodResources(k.learner_cpu, k.memory);
  if (gpu) lc["resources"]["limits"][k.gpu_resource] = 1;
  lc["volumeMounts"].push_back(Mount("run", run_dir));
  lc["volumeMounts"].push_back(Mount("keys", kKeysDir));
  pod["spec"]["containers"].push_back(lc);
  YAML::Node head_job;
  head_job["apiVersion"] = "batch/v1";
  head_job["kind"] = "Job";
  head_job["metadata"] = Meta(head, ns, Labels(name, "head"));
  head_job["spec"]["backoffLimit"] = k.backoff_limit;
  head_job["spec"]["template"] = pod;
  docs.push_back(head_job);

  if (const RoleSpec* actors = plan.Find("actor")) {
    YAML::Node apod;
    apod["metadata"]["labels"] = Labels(name, "actor");
    apod["spec"]["restartPolicy"] = "OnFailure";
    YAML::Node acfg;
    acfg["name"] = "config";
    acfg["configMap"]["name"] = name + "-config";
    apod["spec"]["volumes"].push_back(acfg);
    apod["spec"]["volumes"].push_back(KeysVolume(name));
    std::vector<std::string> cmd{"fleet"};
    for (const auto& a : K8sArgs(*actors)) cmd.push_back(a);
    YAML::Node c = Container("actor", k.image, cmd);
    YAML::Node env;
    env["name"] = "FLEET_INDEX";
    env["valueFrom"]["fieldRef"]["fieldPath"] =
        "metadata.annotations['batch.kubernetes.io/job-completion-index']";
    c["env"].push_back(env);
    c["resources"] = PodResources(k.actor_cpu, k.memory);
    // the config where the plan's arguments look for it, without the run volume
    c["volumeMounts"].push_back(Mount("config", run_dir + "/config.yaml", "config.yaml"));
    c["volumeMounts"].push_back(Mount("keys", kKeysDir));
    apod["spec"]["containers"].push_back(c);
    YAML::Node job;
    job["apiVersion"] = "batch/v1";
    job["kind"] = "Job";
    job["metadata"] = Meta(name + "-actors", ns, Labels(name, "actor"));
    job["spec"]["completionMode"] = "Indexed";
    job["spec"]["completions"] = actors->count;
    job["spec"]["parallelism"] = actors->count;
    job["spec"]["backoffLimit"] = k.backoff_limit * actors->count;
    job["spec"]["template"] = apod;
    docs.push_back(job);
  }

  YAML::Emitter out;
  out << YAML::Comment("Fleet run '" + in.run.name + "' on Kubernetes, written by `fleet k8s render` "
                       "(orchestrator/k8s.h); kubectl apply -f this file");
  for (const auto& d : docs) out << YAML::BeginDoc << d;
  if (!out.good()) return InternalError(std::string("rendering YAML: ") + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace fleet::orchestrator
