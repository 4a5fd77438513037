// NVML through its test double (tests/gpu/fake_nvml.cc, a real shared library loaded with
// dlopen): discovery and the utilisation and memory samples the GPU metrics use.
#include "agent/gpu/nvml.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/gpu/gpus.h"

namespace mlkube::agent {
namespace {

TEST(NvmlTest, DiscoversAndSamplesThroughTheLibrary) {
  const auto file = std::filesystem::temp_directory_path() / ("mlkube-fake-nvml-" + std::to_string(::getpid()));
  std::ofstream(file) << "GPU-aaa 40 1024 16384\nGPU-bbb 75 8192 81920\n";
  ::setenv("MLKUBE_FAKE_NVML", file.c_str(), 1);
  const std::vector<Gpu> gpus = DiscoverNvmlGpus(MLKUBE_FAKE_NVML);
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[1].uuid, "GPU-bbb");
  EXPECT_EQ(gpus[1].product, "Fake-GPU");
  EXPECT_EQ(gpus[1].memory_mib, 81920);
  EXPECT_EQ(gpus[1].minor, -1);  // the double has no device files
  EXPECT_FALSE(gpus[1].driver_dir.empty());

  auto nvml = Nvml::Open(MLKUBE_FAKE_NVML);
  ASSERT_TRUE(nvml);
  auto devices = nvml->Devices();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].utilization, 40);
  EXPECT_EQ(devices[0].memory_used, int64_t{1024} << 20);
  std::ofstream(file) << "GPU-aaa 95 2048 16384\n";  // read anew at every sample
  devices = nvml->Devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].utilization, 95);

  // No library, or a library whose init fails: no NVML, no error.
  EXPECT_FALSE(Nvml::Open("/nonexistent/libnvidia-ml.so.1"));
  ::unsetenv("MLKUBE_FAKE_NVML");
  EXPECT_FALSE(Nvml::Open(MLKUBE_FAKE_NVML));
  EXPECT_TRUE(DiscoverNvmlGpus(MLKUBE_FAKE_NVML).empty());
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace mlkube::agent
