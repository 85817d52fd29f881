#include "common/json.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace fleet {
namespace {

// Python's non-finite tokens travel through nlohmann::json as these strings (a control
// character no real string of Fleet's starts with).
constexpr const char* kMarkers[] = {"\x01NaN", "\x01Infinity", "\x01-Infinity"};
constexpr const char* kTokens[] = {"NaN", "Infinity", "-Infinity"};
// how nlohmann::json writes a marker: "\u0001NaN" with the quotes.
constexpr const char* kDumpedMarkers[] = {"\"\\u0001NaN\"", "\"\\u0001Infinity\"",
                                          "\"\\u0001-Infinity\""};

int NonFiniteIndex(double v) { return std::isnan(v) ? 0 : (v > 0 ? 1 : 2); }

// a copy of `j` with non-finite numbers replaced by marker strings.
Json Mark(const Json& j) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    return kMarkers[NonFiniteIndex(j.get<double>())];
  }
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = Mark(it.value());
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(Mark(v));
    return out;
  }
  return j;
}

// turns marker strings back into numbers, in place.
void Unmark(Json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == kMarkers[0]) j = std::numeric_limits<double>::quiet_NaN();
    else if (s == kMarkers[1]) j = std::numeric_limits<double>::infinity();
    else if (s == kMarkers[2]) j = -std::numeric_limits<double>::infinity();
  } else if (j.is_structured()) {
    for (auto& v : j) Unmark(v);
  }
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

}  // namespace

std::string DumpJson(const Json& value, int indent, NonFinite non_finite) {
  if (non_finite == NonFinite::kNull) return value.dump(indent);
  std::string out = Mark(value).dump(indent);
  for (int i = 0; i < 3; ++i) ReplaceAll(out, kDumpedMarkers[i], kTokens[i]);
  return out;
}

StatusOr<Json> ParseJson(std::string_view text, const std::string& what) {
  // Python's tokens outside strings become marker strings, so that nlohmann::json, which
  // implements RFC 8259 only, parses the rest; Unmark turns them into numbers again.
  std::string prepared;
  prepared.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      prepared += c;
      if (c == '\\' && i + 1 < text.size()) prepared += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (int k = 2; k >= 0 && !replaced; --k) {  // -Infinity before Infinity
      const std::string_view token = kTokens[k];
      if (text.substr(i, token.size()) == token) {
        prepared += kDumpedMarkers[k];
        i += token.size() - 1;
        replaced = true;
      }
    }
    if (!replaced) prepared += c;
  }
  try {
    Json j = Json::parse(prepared);
    Unmark(j);
    return j;
  } catch (const nlohmann::json::exception& e) {
    // a parse error, or a number out of double's range (out_of_range 406). Positions
    // count NaN and Infinity as the 11-15 characters they are parsed as.
    return InvalidArgumentError(what + " is not valid JSON: " + e.what());
  }
}

StatusOr<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseJson(ss.str(), "'" + path + "'");
}

Status WriteJsonFileAtomically(const std::string& path, const Json& value, NonFinite non_finite) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << DumpJson(value, 2, non_finite) << "\n";
    out.close();
    if (!out) return UnavailableError("cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot rename '" + tmp + "' to '" + path + "'");
  }
  return OkStatus();
}

}  // namespace fleet
