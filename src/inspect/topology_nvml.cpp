/// NVML through dlopen. The few entry points and types used are declared here with the
/// signatures of nvml.h (NVML API 12/13), so nothing of NVML is needed to build.

#include <dlfcn.h>

#include <string>

#include "inspect/topology.hpp"

namespace cclbench {
namespace {

// ---- The part of nvml.h that is used ----
using nvmlReturn_t = int;  // an enum in nvml.h; 0 is NVML_SUCCESS
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
constexpr nvmlReturn_t kSuccess = 0;
constexpr unsigned kMaxLinks = 36;               // NVML_NVLINK_MAX_LINKS
constexpr int kClockSm = 1, kClockMem = 2;       // nvmlClockType_t
constexpr int kCorrected = 0, kUncorrected = 1;  // nvmlMemoryErrorType_t
constexpr int kVolatileEcc = 0;                  // nvmlEccCounterType_t
constexpr int kLinkActive = 1;                   // NVML_FEATURE_ENABLED
constexpr int kRemoteSwitch = 2;                 // NVML_NVLINK_DEVICE_TYPE_SWITCH
constexpr unsigned kNameSize = 96, kDriverSize = 80;

using VoidFn = nvmlReturn_t (*)();
using DeviceUintFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned*);
using ClockFn = nvmlReturn_t (*)(nvmlDevice_t, int, unsigned*);
using LinkFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned, int*);

struct Api {
  VoidFn init = nullptr, shutdown = nullptr;
  nvmlReturn_t (*driverVersion)(char*, unsigned) = nullptr;
  nvmlReturn_t (*cudaDriverVersion)(int*) = nullptr;
  nvmlReturn_t (*count)(unsigned*) = nullptr;
  nvmlReturn_t (*handle)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*computeCapability)(nvmlDevice_t, int*, int*) = nullptr;
  nvmlReturn_t (*pciInfo)(nvmlDevice_t, nvmlPciInfo_t*) = nullptr;
  LinkFn nvlinkState = nullptr, nvlinkRemoteType = nullptr;
  DeviceUintFn pcieGen = nullptr, pcieGenMax = nullptr, pcieWidth = nullptr, pcieWidthMax = nullptr;
  ClockFn clock = nullptr, maxClock = nullptr;
  nvmlReturn_t (*reasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*ecc)(nvmlDevice_t, int, int, unsigned long long*) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
};

/// The dlopen handle, closed on every path.
class Library {
 public:
  explicit Library(const char* file) : handle_(dlopen(file, RTLD_NOW | RTLD_LOCAL)) {}
  ~Library() {
    if (handle_) dlclose(handle_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  explicit operator bool() const { return handle_ != nullptr; }
  template <typename F>
  void bind(F& fn, const char* symbol) const {
    fn = reinterpret_cast<F>(dlsym(handle_, symbol));
  }

 private:
  void* handle_;
};

Api bindApi(const Library& lib) {
  Api a;
  lib.bind(a.init, "nvmlInit_v2");
  lib.bind(a.shutdown, "nvmlShutdown");
  lib.bind(a.driverVersion, "nvmlSystemGetDriverVersion");
  lib.bind(a.cudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2");
  lib.bind(a.count, "nvmlDeviceGetCount_v2");
  lib.bind(a.handle, "nvmlDeviceGetHandleByIndex_v2");
  lib.bind(a.name, "nvmlDeviceGetName");
  lib.bind(a.computeCapability, "nvmlDeviceGetCudaComputeCapability");
  lib.bind(a.pciInfo, "nvmlDeviceGetPciInfo_v3");
  lib.bind(a.nvlinkState, "nvmlDeviceGetNvLinkState");
  lib.bind(a.nvlinkRemoteType, "nvmlDeviceGetNvLinkRemoteDeviceType");
  lib.bind(a.pcieGen, "nvmlDeviceGetCurrPcieLinkGeneration");
  lib.bind(a.pcieGenMax, "nvmlDeviceGetMaxPcieLinkGeneration");
  lib.bind(a.pcieWidth, "nvmlDeviceGetCurrPcieLinkWidth");
  lib.bind(a.pcieWidthMax, "nvmlDeviceGetMaxPcieLinkWidth");
  lib.bind(a.clock, "nvmlDeviceGetClockInfo");
  lib.bind(a.maxClock, "nvmlDeviceGetMaxClockInfo");
  lib.bind(a.reasons, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!a.reasons) lib.bind(a.reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
  lib.bind(a.ecc, "nvmlDeviceGetTotalEccErrors");
  lib.bind(a.memory, "nvmlDeviceGetMemoryInfo");
  return a;
}

int uintOr(DeviceUintFn fn, nvmlDevice_t device) {
  unsigned value = 0;
  return fn && fn(device, &value) == kSuccess ? static_cast<int>(value) : -1;
}

int clockOr(ClockFn fn, nvmlDevice_t device, int type) {
  unsigned value = 0;
  return fn && fn(device, type, &value) == kSuccess ? static_cast<int>(value) : -1;
}

void readLinks(const Api& a, nvmlDevice_t device, NvmlDeviceRecord& r) {
  if (!a.nvlinkState) return;
  for (unsigned link = 0; link < kMaxLinks; ++link) {
    int state = 0;
    if (a.nvlinkState(device, link, &state) != kSuccess) {
      r.nvlinkStates.push_back(-1);
      continue;
    }
    r.nvlinkStates.push_back(state == kLinkActive ? 1 : 0);
    int remote = -1;
    if (state == kLinkActive && a.nvlinkRemoteType &&
        a.nvlinkRemoteType(device, link, &remote) == kSuccess && remote == kRemoteSwitch) {
      r.nvlinkToSwitch = true;
    }
  }
}

NvmlDeviceRecord readDevice(const Api& a, nvmlDevice_t device) {
  NvmlDeviceRecord r;
  char name[kNameSize] = {};
  if (a.name(device, name, kNameSize) == kSuccess) r.name = name;
  if (a.computeCapability) a.computeCapability(device, &r.ccMajor, &r.ccMinor);
  nvmlPciInfo_t pci{};
  if (a.pciInfo && a.pciInfo(device, &pci) == kSuccess) r.pciBusId = pci.busId;
  readLinks(a, device, r);
  r.pcieGen = uintOr(a.pcieGen, device);
  r.pcieGenMax = uintOr(a.pcieGenMax, device);
  r.pcieWidth = uintOr(a.pcieWidth, device);
  r.pcieWidthMax = uintOr(a.pcieWidthMax, device);
  r.smClockMhz = clockOr(a.clock, device, kClockSm);
  r.smClockMaxMhz = clockOr(a.maxClock, device, kClockSm);
  r.memClockMhz = clockOr(a.clock, device, kClockMem);
  unsigned long long value = 0;
  if (a.reasons && a.reasons(device, &value) == kSuccess) r.throttleReasons = value;
  if (a.ecc && a.ecc(device, kCorrected, kVolatileEcc, &value) == kSuccess) r.eccCorrected = value;
  if (a.ecc && a.ecc(device, kUncorrected, kVolatileEcc, &value) == kSuccess) {
    r.eccUncorrected = value;
  }
  nvmlMemory_t memory{};
  if (a.memory && a.memory(device, &memory) == kSuccess) r.memoryTotalBytes = memory.total;
  return r;
}

NvmlReport readReport(const Api& a) {
  NvmlReport report;
  char driver[kDriverSize] = {};
  if (a.driverVersion && a.driverVersion(driver, kDriverSize) == kSuccess) {
    report.driverVersion = driver;
  }
  int cuda = 0;
  if (a.cudaDriverVersion && a.cudaDriverVersion(&cuda) == kSuccess && cuda > 0) {
    report.cudaDriverVersion = std::to_string(cuda / 1000) + "." + std::to_string(cuda % 1000 / 10);
  }
  unsigned count = 0;
  if (a.count(&count) != kSuccess) count = 0;
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t device = nullptr;
    if (a.handle(i, &device) == kSuccess) report.devices.push_back(readDevice(a, device));
  }
  return report;
}

class DlopenNvml : public NvmlSource {
 public:
  std::optional<NvmlReport> query(std::string* why) const override {
    const Library lib("libnvidia-ml.so.1");
    if (!lib) return fail(why, "no NVML library (libnvidia-ml.so.1)");
    const Api api = bindApi(lib);
    if (!api.init || !api.shutdown || !api.count || !api.handle || !api.name) {
      return fail(why, "libnvidia-ml.so.1 lacks nvmlInit_v2 or device queries");
    }
    if (const nvmlReturn_t status = api.init(); status != kSuccess) {
      return fail(why, "nvmlInit_v2 failed (NVML error " + std::to_string(status) +
                           "; is the NVIDIA driver loaded?)");
    }
    const struct Shutdown {
      VoidFn fn;
      ~Shutdown() { fn(); }
    } shutdown{api.shutdown};
    return readReport(api);
  }

 private:
  static std::optional<NvmlReport> fail(std::string* why, const std::string& reason) {
    if (why) *why = reason;
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<NvmlSource> dlopenNvml() {
  return std::make_unique<DlopenNvml>();
}

}  // namespace cclbench
