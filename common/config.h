// Strict YAML <-> struct binding. A config struct lists its fields once, in a
// `template <class V> void Visit(V& v)` member calling `v("key", field)`; the reader
// below fills it from YAML and rejects unknown keys and wrong types naming the full
// dotted key, the writer emits it back (the resolved config of a run).
//
// A struct may leave the rest of its mapping to other owners by ending Visit with
// `v.Rest(sections)` (an OpenSections): every key no field claims is kept there as YAML,
// unchecked, for its owner to read with ReadSection (e.g. `learner.ppo`, which belongs to
// the PPO algorithm, not to the schema every component includes).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/status.h"

namespace fleet::config {

// The keys of a mapping its struct leaves to other owners, as YAML.
struct OpenSections {
  std::map<std::string, YAML::Node> nodes;
  bool has(const std::string& key) const { return nodes.count(key) > 0; }
};

template <class T, class V>
concept Visitable = requires(T& t, V& v) { t.Visit(v); };

template <class T>
const char* TypeName() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, std::vector<int>>) return "a list of integers";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) return "a list of strings";
  else return "a mapping of strings";
}

// Reads a YAML mapping into a visitable struct. Errors accumulate into `status()`
// (the first one is kept); every key of the mapping that no field claims is an error.
class YamlReader {
 public:
  YamlReader(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  template <class T>
  void operator()(const char* key, T& field) {
    seen_.insert(key);
    if (!status_.ok() || !node_.IsMap()) return;
    YAML::Node child = node_[key];
    if (!child.IsDefined()) return;
    const std::string full = Join(key);
    if (child.IsNull()) {
      // `key:` or `--set key=` with nothing after it: an empty string, which validation
      // judges (an id must not be empty); never silently the old value
      if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<int>> ||
                    std::is_same_v<T, std::vector<std::string>>) {
        field.clear();  // an empty string or list
        return;
      } else if constexpr (Visitable<T, YamlReader> ||
                           std::is_same_v<T, std::map<std::string, std::string>>) {
        return;  // an empty section: its defaults
      } else {
        return Fail(full, TypeName<T>() + std::string(", not empty"));
      }
    }
    if constexpr (Visitable<T, YamlReader>) {
      if (!child.IsMap()) return Fail(full, "a mapping");
      status_ = Read(child, full, field);
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      if (!child.IsMap()) return Fail(full, TypeName<T>());
      field.clear();
      for (const auto& kv : child) {
        if (!kv.second.IsScalar()) return Fail(full + "." + kv.first.as<std::string>(), "a scalar");
        field[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
    } else {
      try {
        if constexpr (std::is_same_v<T, std::vector<int>> ||
                      std::is_same_v<T, std::vector<std::string>>) {
          if (!child.IsSequence()) return Fail(full, TypeName<T>());
        } else if (!child.IsScalar()) {
          return Fail(full, TypeName<T>());
        }
        field = child.as<T>();
        if constexpr (std::is_floating_point_v<T>) {
          if (!std::isfinite(field)) return Fail(full, "a finite number");
        }
      } catch (const YAML::Exception&) {
        Fail(full, TypeName<T>());
      }
    }
  }

  // Claims every key not claimed by a field so far (call last in Visit).
  void Rest(OpenSections& sections) {
    sections.nodes.clear();
    if (!status_.ok() || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (seen_.count(key)) continue;
      sections.nodes[key] = YAML::Clone(kv.second);
      seen_.insert(key);
    }
  }

  // Fills `out` from `node`; `path` is the dotted prefix used in error messages.
  template <class T>
  // A key that is not a plain name (`? [a]: b`, a mapping as key: found by fuzzing,
  // benchmarks/fuzz) is an error naming the section, not an exception.
  static Status Read(const YAML::Node& node, const std::string& path, T& out) {
    try {
      YamlReader reader(node, path);
      out.Visit(reader);
      if (!reader.status_.ok()) return reader.status_;
      return reader.CheckUnknown();
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError("config" + (path.empty() ? std::string() : " section '" + path + "'") +
                                  ": keys must be plain names (" + e.what() + ")");
    }
  }

 private:
  std::string Join(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  void Fail(const std::string& key, const std::string& expected) {
    status_ = InvalidArgumentError("config key '" + key + "' must be " + expected);
  }
  Status CheckUnknown() const;

  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
  Status status_;
};

// Emits a visitable struct as a YAML mapping.
class YamlWriter {
 public:
  explicit YamlWriter(YAML::Emitter& out) : out_(out) {}

  template <class T>
  void operator()(const char* key, const T& field) {
    out_ << YAML::Key << key << YAML::Value;
    if constexpr (Visitable<T, YamlWriter>) {
      out_ << YAML::BeginMap;
      const_cast<T&>(field).Visit(*this);
      out_ << YAML::EndMap;
    } else if constexpr (std::is_same_v<T, std::vector<int>>) {
      out_ << YAML::Flow << YAML::BeginSeq;
      for (int x : field) out_ << x;
      out_ << YAML::EndSeq;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      out_ << YAML::BeginSeq;
      for (const auto& x : field) out_ << YAML::DoubleQuoted << x;
      out_ << YAML::EndSeq;
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      out_ << YAML::BeginMap;
      for (const auto& [k, v] : field) out_ << YAML::Key << k << YAML::Value << v;
      out_ << YAML::EndMap;
    } else if constexpr (std::is_floating_point_v<T>) {
      // the shortest text that reads back as the same double (0.99, not 0.98999999999999999);
      // YAML's own spelling of infinities and NaN.
      if (std::isnan(field)) {
        out_ << ".nan";
      } else if (std::isinf(field)) {
        out_ << (field > 0 ? ".inf" : "-.inf");
      } else {
        char buf[64];
        const auto r = std::to_chars(buf, buf + sizeof(buf), field);
        out_ << std::string(buf, r.ptr);
      }
    } else {
      out_ << field;
    }
  }

  void Rest(const OpenSections& sections) {
    for (const auto& [key, node] : sections.nodes) out_ << YAML::Key << key << YAML::Value << node;
  }

 private:
  YAML::Emitter& out_;
};

template <class T>
std::string ToYaml(const T& value) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  YamlWriter writer(out);
  const_cast<T&>(value).Visit(writer);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// Reads `sections.nodes[key]` (absent: defaults) into `out`, strictly: unknown keys and
// wrong types are errors naming `path` + "." + the key.
template <class T>
Status ReadSection(const OpenSections& sections, const std::string& key, const std::string& path,
                   T& out) {
  auto it = sections.nodes.find(key);
  if (it == sections.nodes.end() || it->second.IsNull()) return OkStatus();
  if (!it->second.IsMap()) {
    return InvalidArgumentError("config key '" + path + "' must be a mapping");
  }
  return YamlReader::Read(it->second, path, out);
}

// `value` as YAML, for putting a resolved section back into OpenSections.
template <class T>
YAML::Node ToYamlNode(const T& value) {
  return YAML::Load(ToYaml(value));
}

// Applies "a.b.c=value" to a YAML tree, creating mappings on the way. The value is parsed
// as YAML, so "--set learner.network.hidden=[32,32]" works; text that does not parse as
// YAML ("--set run.tcp_bind_host=*") is taken as a string. Unknown keys are caught when
// the tree is read, like keys in the file.
Status ApplyOverride(YAML::Node& root, const std::string& assignment);

}  // namespace fleet::config
