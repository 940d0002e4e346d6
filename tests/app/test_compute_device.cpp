// The app's compute device setting (it overrides the automatic device choice, like --device):
// the forward pass and the heatmap's map on a chosen Vulkan device equal the CPU's, and a device
// that fails (simulated: device lost, no Vulkan) leaves the analysis to the CPU with the reason in
// the status line. On CI the device is lavapipe; "auto" never picks a CPU implementation.
#include <QSignalSpy>
#include <QtTest>

#include "app/gui/app_context.h"
#include "core/gpu/gpu.h"
#include "tests/app/app_test_support.h"

using namespace tl::app;
using tl::app::test::embedded;
using tl::app::test::kSample;

namespace {

// Analyses kSample with the compute device `choice`; returns the context's map (null on failure).
std::shared_ptr<const tl::Map> analyse_on(AppContext& context, const QString& choice) {
  context.setComputeDevice(choice);
  context.setSession(embedded());
  QSignalSpy done(&context, &AppContext::analysisFinished);
  context.setText(kSample);
  if (!done.wait(120000)) return nullptr;
  return context.map();
}

double max_rel_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

struct ScopedEnv {
  QByteArray name;
  ScopedEnv(const char* n, const char* value) : name(n) { qputenv(n, value); }
  ~ScopedEnv() { qunsetenv(name.constData()); }
};

}  // namespace

class TestComputeDevice : public QObject {
  Q_OBJECT
 private slots:
  void aVulkanDeviceComputesTheSameMapAsTheCpu() {
    AppContext cpu;
    const auto cpu_map = analyse_on(cpu, QStringLiteral("cpu"));
    QVERIFY(cpu_map);
    QVERIFY(!cpu.device().on_gpu());
    QVERIFY2(cpu.device().note().find("cpu backend") != std::string::npos, cpu.device().note().c_str());

    AppContext gpu;
    const auto gpu_map = analyse_on(gpu, QStringLiteral("0"));  // the first Vulkan device (lavapipe on CI)
    QVERIFY(gpu_map);
    QVERIFY2(gpu.device().on_gpu(), gpu.device().note().c_str());
    QVERIFY2(gpu.device().note().find("vulkan") != std::string::npos, gpu.device().note().c_str());
    QCOMPARE(gpu_map->rows(), cpu_map->rows());
    // fp32 on both sides, different summation orders: 1e-4 relative (the CPU/GPU bound for maps,
    // as in test_vulkan_lens_maps).
    QVERIFY(max_rel_diff(gpu_map->values, cpu_map->values) < 1e-4);
    QVERIFY(max_rel_diff(gpu.analysis()->trace->logits, cpu.analysis()->trace->logits) < 1e-4);
    QCOMPARE(gpu.analysis()->predictions.front().id, cpu.analysis()->predictions.front().id);
  }

  void aLostDeviceLeavesTheWorkToTheCpuAndSaysWhy() {
    ScopedEnv lost("TL_GPU_SIMULATE", "device-lost");
    ScopedEnv cpu_cells("TL_RENDERER", "cpu");  // the cells' own fallback message is not under test here
    AppContext context;
    QSignalSpy errors(&context, &AppContext::errorOccurred);
    const auto map = analyse_on(context, QStringLiteral("0"));
    QVERIFY(map);
    QVERIFY2(errors.isEmpty(), errors.isEmpty() ? "" : qPrintable(errors.front().front().toString()));
    QVERIFY(!context.device().on_gpu());
    const std::string note = context.device().note();
    QVERIFY2(note.find("device lost") != std::string::npos, note.c_str());
  }

  void withoutVulkanTheCpuRunsAndSaysWhy() {
    ScopedEnv none("TL_GPU_SIMULATE", "no-loader");
    for (const QString& choice : {QStringLiteral("auto"), QStringLiteral("0")}) {
      AppContext context;
      QVERIFY(analyse_on(context, choice));
      QVERIFY(!context.device().on_gpu());
      const std::string note = context.device().note();
      QVERIFY2(note.find("cpu backend (") != std::string::npos, note.c_str());
    }
  }

  void automaticNeverPicksACpuImplementation() {
    auto devices = tl::gpu::list_devices();
    QVERIFY2(devices.ok(), devices.ok() ? "" : devices.error().message.c_str());
    bool real_gpu = false;
    for (const auto& d : *devices) real_gpu |= d.has_compute_queue && d.kind != tl::gpu::DeviceKind::Cpu;
    AppContext context;
    QVERIFY(analyse_on(context, QStringLiteral("auto")));
    QCOMPARE(context.device().on_gpu(), real_gpu);
    if (!real_gpu) {
      const std::string note = context.device().note();
      QVERIFY2(note.find("runs on the CPU") != std::string::npos, note.c_str());
    }
  }
};

QTEST_MAIN(TestComputeDevice)
#include "test_compute_device.moc"
