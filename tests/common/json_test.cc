// JsonEscape / JsonStringField round trips, and a Gymnasium registration for every env.
#include "common/json.h"

#include <gtest/gtest.h>

#include "envs/gymnasium_spec.h"
#include "envs/registry.h"

namespace fleet {
namespace {

TEST(JsonTest, EscapedStringsReadBackUnchanged) {
  const std::string nasty = "run:\n  name: \"x\\y\"\ttab\x01 end";
  const std::string doc = "{\n  \"env_id\": \"CartPole-v1\",\n  \"config_yaml\": \"" +
                          JsonEscape(nasty) + "\"\n}\n";
  EXPECT_EQ(JsonStringField(doc, "config_yaml"), nasty);
  EXPECT_EQ(JsonStringField(doc, "env_id"), "CartPole-v1");
  EXPECT_EQ(JsonStringField(doc, "missing"), std::nullopt);
  EXPECT_EQ(JsonStringField("{\"a\": 3}", "a"), std::nullopt);         // not a string
  EXPECT_EQ(JsonStringField("{\"a\": \"open", "a"), std::nullopt);     // unterminated
  EXPECT_EQ(JsonStringField("{\"a\": \"\\q\"}", "a"), std::nullopt);   // bad escape
  EXPECT_EQ(JsonStringField("{\"a\": \"\\u00zz\"}", "a"), std::nullopt);
}

TEST(GymnasiumSpecTest, EveryRegisteredEnvNamesItsGymnasiumOriginal) {
  for (const std::string& id : envs::RegisteredIds()) {
    auto spec = envs::GetSpec(id);
    ASSERT_TRUE(spec.ok()) << id;
    auto json = envs::GymnasiumEnvSpecJson(*spec, {});
    ASSERT_TRUE(json.ok()) << id << ": " << json.status().ToString();
    EXPECT_EQ(JsonStringField(*json, "id"), id);
    EXPECT_NE(json->find("\"entry_point\": \"gymnasium.envs."), std::string::npos) << *json;
  }
}

TEST(GymnasiumSpecTest, OptionsBecomeTypedKwargs) {
  auto spec = envs::GetSpec("LunarLanderContinuous-v3");
  ASSERT_TRUE(spec.ok());
  auto json = envs::GymnasiumEnvSpecJson(
      *spec, {{"enable_wind", "true"}, {"wind_power", "12.5"}, {"mode", "a\"b"}});
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"kwargs\": {\"continuous\": true, \"enable_wind\": true, "
                       "\"mode\": \"a\\\"b\", \"wind_power\": 12.5}"),
            std::string::npos)
      << *json;
  envs::EnvSpec unknown = *spec;
  unknown.id = "NotAGymnasiumEnv-v0";
  EXPECT_EQ(envs::GymnasiumEnvSpecJson(unknown, {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace fleet
