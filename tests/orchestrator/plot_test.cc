#include "orchestrator/plot.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fleet::orchestrator {
namespace {

void ExpectTicks(double lo, double hi, const std::vector<double>& want) {
  const std::vector<double> got = NiceTicks(lo, hi);
  ASSERT_EQ(got.size(), want.size()) << lo << ".." << hi;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << lo << ".." << hi;
}

TEST(NiceTicksTest, RoundStepsCoverTheRange) {
  // (hi - lo) / 5 rounded up to 1, 2 or 5 x 10^k: 97.4 -> 100, 74.6 -> 100,
  // 200089.6 -> 500000, 0.182 -> 0.2, (3.5 - 2.5) / 5 = 0.2.
  ExpectTicks(0, 487, {0, 100, 200, 300, 400, 500});
  ExpectTicks(-123, 250, {-200, -100, 0, 100, 200, 300});
  ExpectTicks(0, 1000448, {0, 500000, 1000000, 1500000});
  ExpectTicks(0.02, 0.93, {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  ExpectTicks(3, 3, {2.4, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6});
  ExpectTicks(0, 500, {0, 100, 200, 300, 400, 500});  // an end on a tick adds none past it
}

TEST(NiceTicksTest, LabelsAreShort) {
  EXPECT_EQ(TickLabel(250000), "250k");
  EXPECT_EQ(TickLabel(1500000), "1.5M");
  EXPECT_EQ(TickLabel(2000000), "2M");
  EXPECT_EQ(TickLabel(0.25), "0.25");
  EXPECT_EQ(TickLabel(-200), "-200");
}

// A run directory as a finished run leaves it: metrics.csv and summary.json.
std::string FakeRun(const std::string& dir) {
  testing::WriteFile(dir + "/metrics.csv",
                     "update,env_steps,wall_seconds,mean_return_100\n"
                     "1,1000,0.5,20\n2,120000,30,150.5\n3,240000,61,380\n4,487000,122,487\n");
  testing::WriteFile(dir + "/summary.json",
                     R"({"env_id": "CartPole-v1", "threshold": 475.0, "env_steps": 487000})");
  return dir;
}

TEST(PlotTest, TitleNamesTheEnvTicksAreRoundAndTheThresholdIsDrawn) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/run");
  PlotOptions o;
  o.run_dirs = {FakeRun(dir.path() + "/run")};
  auto out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::string svg = testing::ReadFile(*out);
  EXPECT_NE(svg.find("CartPole-v1: mean_return_100, 1 run"), std::string::npos) << svg;
  for (const char* tick : {">0<", ">100<", ">500<", ">200k<", ">400k<", ">500k<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_EQ(svg.find(">487<"), std::string::npos);  // no data-driven (unround) ticks
  EXPECT_NE(svg.find("threshold 475"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find(">env steps<"), std::string::npos);

  // wall-clock on the x axis; no threshold line on request.
  o.x = "wall";
  o.no_threshold = true;
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::string wall = testing::ReadFile(*out);
  EXPECT_NE(wall.find(">wall-clock (s)<"), std::string::npos);
  EXPECT_NE(wall.find(">50<"), std::string::npos);  // 0, 50, 100, 150 s
  EXPECT_NE(wall.find(">150<"), std::string::npos);
  EXPECT_EQ(wall.find("threshold"), std::string::npos);

  // a metric that is not a return gets no threshold line.
  o.x = "steps";
  o.no_threshold = false;
  o.metrics = {"wall_seconds"};
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(testing::ReadFile(*out).find("threshold"), std::string::npos);
}

}  // namespace
}  // namespace fleet::orchestrator
