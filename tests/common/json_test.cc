// JSON through nlohmann::json: round trips of awkward strings, the two deliberate ways of
// writing non-finite numbers, parse errors that say where; and a Gymnasium registration
// for every env.
#include "common/json.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "envs/gymnasium_spec.h"
#include "envs/registry.h"
#include "tests/test_util.h"

namespace fleet {
namespace {

TEST(JsonTest, StringsRoundTripUnchanged) {
  const std::string nasty = "run:\n  name: \"x\\y\"\ttab\x01 end NaN Infinity";
  const Json j{{"config_yaml", nasty}, {"env_id", "CartPole-v1"}};
  for (NonFinite nf : {NonFinite::kNull, NonFinite::kPython}) {
    auto back = ParseJson(DumpJson(j, 2, nf), "doc");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ((*back)["config_yaml"], nasty);
    EXPECT_EQ((*back)["env_id"], "CartPole-v1");
  }
}

TEST(JsonTest, NonFiniteNumbersAreNullOrPythonTokensByChoice) {
  const double inf = std::numeric_limits<double>::infinity();
  const Json j{{"low", {-inf, 0.5}}, {"high", {inf, 1.5}}, {"x", std::nan("")}};
  EXPECT_EQ(DumpJson(j, -1, NonFinite::kNull),
            "{\"low\":[null,0.5],\"high\":[null,1.5],\"x\":null}");
  const std::string py = DumpJson(j, -1, NonFinite::kPython);
  EXPECT_EQ(py, "{\"low\":[-Infinity,0.5],\"high\":[Infinity,1.5],\"x\":NaN}");
  auto back = ParseJson(py, "doc");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)["low"][0].get<double>(), -inf);
  EXPECT_EQ((*back)["high"][0].get<double>(), inf);
  EXPECT_TRUE(std::isnan((*back)["x"].get<double>()));
  // Python's own spelling, with spaces, as json.dumps writes it.
  auto spaced = ParseJson("{\"a\": [NaN, -Infinity, Infinity], \"s\": \"NaN\"}", "doc");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ((*spaced)["a"][1].get<double>(), -inf);
  EXPECT_EQ((*spaced)["s"], "NaN");  // inside a string it stays text
}

TEST(JsonTest, MalformedJsonIsAnErrorNamingTheDocument) {
  for (const char* bad : {"{\"a\": ", "{\"a\": 3,}", "[1 2]", "{\"a\": nan}", "", "[1e400]"}) {
    auto r = ParseJson(bad, "manifest 'x.json'");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("manifest 'x.json' is not valid JSON"), std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(JsonMember<int>(Json{{"a", "text"}}, "a", "doc").status().message(),
            "doc: 'a' has the wrong type");
  EXPECT_EQ(JsonMember<int>(Json{{"a", 1}}, "b", "doc").status().message(), "doc has no 'b'");
}

TEST(JsonTest, FilesAreReplacedAtomically) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/s.json";
  ASSERT_TRUE(WriteJsonFileAtomically(path, Json{{"n", 1}}).ok());
  ASSERT_TRUE(WriteJsonFileAtomically(path, Json{{"n", 2}}).ok());
  auto j = ReadJsonFile(path);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["n"], 2);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(ReadJsonFile(dir.path() + "/none.json").status().code(), StatusCode::kNotFound);
}

TEST(GymnasiumSpecTest, EveryRegisteredEnvNamesItsGymnasiumOriginal) {
  for (const std::string& id : envs::RegisteredIds()) {
    auto spec = envs::GetSpec(id);
    ASSERT_TRUE(spec.ok()) << id;
    auto json = envs::GymnasiumEnvSpec(*spec, {});
    // Fleet's own: Gymnasium has none
    if (id == "TicTacToe-v0" || id == "Endgame-v0" || id == "Sequential-v0") {
      EXPECT_EQ(json.status().code(), StatusCode::kNotFound);
      continue;
    }
    ASSERT_TRUE(json.ok()) << id << ": " << json.status().ToString();
    EXPECT_EQ((*json)["id"], id);
    EXPECT_TRUE((*json)["entry_point"].get<std::string>().starts_with("gymnasium.envs."));
  }
}

TEST(GymnasiumSpecTest, OptionsBecomeTypedKwargs) {
  auto spec = envs::GetSpec("LunarLanderContinuous-v3");
  ASSERT_TRUE(spec.ok());
  auto json = envs::GymnasiumEnvSpec(*spec, {{"enable_wind", "true"},
                                             {"wind_power", "12.5"},
                                             {"seed_count", "3"},
                                             {"mode", "a\"b"},
                                             {"hex", "0x10"},
                                             {"nan", "nan"}});
  ASSERT_TRUE(json.ok());
  const Json& kw = (*json)["kwargs"];
  EXPECT_EQ(kw["continuous"], true);  // the registration's own
  EXPECT_EQ(kw["enable_wind"], true);
  EXPECT_EQ(kw["wind_power"], 12.5);
  EXPECT_TRUE(kw["seed_count"].is_number_integer());
  EXPECT_EQ(kw["mode"], "a\"b");
  EXPECT_EQ(kw["hex"], "0x10");
  EXPECT_EQ(kw["nan"], "nan");
  envs::EnvSpec unknown = *spec;
  unknown.id = "NotAGymnasiumEnv-v0";
  EXPECT_EQ(envs::GymnasiumEnvSpec(unknown, {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace fleet
