#include "common/config.h"

namespace fleet::config {

Status YamlReader::CheckUnknown() const {
  if (!node_.IsMap()) return OkStatus();
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (seen_.count(key)) continue;
    std::string known;
    for (const auto& k : seen_) known += (known.empty() ? "" : ", ") + k;
    const std::string full = path_.empty() ? key : path_ + "." + key;
    return InvalidArgumentError("unknown config key '" + full + "' (known keys here: " + known +
                                ")");
  }
  return OkStatus();
}

Status ApplyOverride(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgumentError("--set expects key=value, got '" + assignment + "'");
  }
  const std::string key = assignment.substr(0, eq);
  // the value as YAML ([32, 32], true, 0.5, a string); text that is not YAML on its own
  // (a bare "*", say) is taken as the string it is.
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception&) {
    value = YAML::Node(assignment.substr(eq + 1));
  }
  // walk with raw pointers-to-nodes: yaml-cpp nodes are handles, so assignment through
  // a copied handle would rebind it rather than write into the tree.
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    } else if (!next.IsMap()) {
      return InvalidArgumentError("--set " + key + ": '" + parts[i] + "' is not a mapping");
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
  return OkStatus();
}

}  // namespace fleet::config
