/*
 * A fake libnvidia-ml.so.1 for testing ecoledger's meter without a GPU.
 *
 * The real pynvml (nvidia-ml-py) loads it by soname. It exports the NVML functions the meter
 * and CodeCarbon call, with the ABI pynvml expects (struct sizes checked below).
 *
 * Configuration is read from the environment when the library goes from 0 to 1 init
 * (nvmlInit after a full nvmlShutdown, or the first init of the process):
 *
 *   FAKE_NVML_GPUS=N               number of GPUs (default 1)
 *   FAKE_NVML_NAMES=a,b,...        device names (default "Fake NVIDIA GPU")
 *   FAKE_NVML_POWER_MW=p0,p1,...   constant power per GPU in mW (default 100000; the last
 *                                  value repeats for further GPUs)
 *   FAKE_NVML_TRACE=FILE           lines "t_seconds p0_mW p1_mW ...": power is piecewise
 *                                  constant from t (seconds since init); before the first
 *                                  line, the first line's power. Energy is its exact integral.
 *   FAKE_NVML_ENERGY_ERR=code      nvmlDeviceGetTotalEnergyConsumption returns this NVML error
 *                                  (3 = NOT_SUPPORTED)
 *   FAKE_NVML_ENERGY_PERIOD_MS=ms  the energy counter only updates every ms (default 0: exact)
 *   FAKE_NVML_POWER_AVG_MS=ms      nvmlDeviceGetPowerUsage and field 185 average power over the
 *                                  last ms (default 1000, as on Ampere and newer; 0: instant).
 *                                  Field 186 is always the instant power.
 *   FAKE_NVML_FIELDS_ERR=code      nvmlDeviceGetFieldValues returns this error for power fields
 *   FAKE_NVML_LOST_AFTER=N         GPU FAKE_NVML_LOST_GPU (default 0) answers GPU_IS_LOST after
 *                                  N calls made on it
 *   FAKE_NVML_RESET_AT=s           the energy counters restart from 0 at s seconds (a driver
 *                                  reload); default never
 *   FAKE_NVML_ENERGY_BASE_MJ=mJ    the counters' value at init (default 7000000000 + i)
 *   FAKE_NVML_PROCS=gpu:pid,...    compute processes running on each GPU
 *   FAKE_NVML_PROC_UTIL=gpu:pid:percent,...  SM utilization of each process on a GPU, as
 *                                  nvmlDeviceGetProcessUtilization reports it (NOT_FOUND when a
 *                                  GPU has none)
 *   FAKE_NVML_UTIL=p0,p1,...       GPU utilization % per GPU (default 50; the last repeats)
 *   FAKE_NVML_SAMPLE_PERIOD_MS=ms  the driver's power-sample period (default 20):
 *                                  nvmlDeviceGetSamples(NVML_TOTAL_POWER_SAMPLES) returns samples
 *                                  at k × period (µs since init), each the average power over the
 *                                  period that ends at its timestamp
 *   FAKE_NVML_SAMPLE_BUFFER=n      samples the driver keeps (default 1000, the latest ones)
 *   FAKE_NVML_SAMPLES_ERR=code     nvmlDeviceGetSamples returns this error (3 = NOT_SUPPORTED)
 *   FAKE_NVML_POWER_LIMIT_MW=mW    the enforced power limit (default 700000)
 *   FAKE_NVML_MEMORY_MIB=MiB       total memory per GPU (default 81920)
 *   FAKE_NVML_ARCH=n               nvmlDeviceGetArchitecture (default 9, Hopper; 4 = Pascal, which
 *                                  tools such as Zeus take for "no energy counter")
 *   FAKE_NVML_MIG=1                MIG mode is enabled on every GPU (nvmlDeviceGetMigMode)
 *   FAKE_NVML_INIT_ERR=code        nvmlInit fails with this NVML error
 *
 *   FAKE_NVML_T0_UNIX=s            the clock reads CLOCK_REALTIME − s instead of the time since
 *                                  init: a trace then starts at a Unix time the test chose
 *
 * Clock: CLOCK_MONOTONIC since init, unless fakeNvmlSetTime(seconds) was called: from then on
 * the clock is manual and reads exactly the last value set (for exact unit tests).
 * fakeNvmlForceShutdown() forgets every init (the next nvmlInit re-reads the environment).
 * fakeNvmlSetDriverLoaded(0) makes every nvmlInit fail with NVML_ERROR_DRIVER_NOT_LOADED until
 * fakeNvmlSetDriverLoaded(1): a test that loaded the fake into its own process leaves it so, and
 * later tests in that process see no GPU, as on a machine without one.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int nvmlReturn_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NO_PERMISSION 4
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_UNKNOWN 999

#define NVML_FI_DEV_POWER_AVERAGE 185
#define NVML_FI_DEV_POWER_INSTANT 186
#define NVML_VALUE_TYPE_UNSIGNED_INT 1

#define MAX_GPUS 16
#define MAX_PROCS 64

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;

typedef union {
    double dVal;
    unsigned int uiVal;
    unsigned long ulVal;
    unsigned long long ullVal;
    signed long long sllVal;
    signed int siVal;
    unsigned short usVal;
} nvmlValue_t;

typedef struct {
    unsigned int fieldId;
    unsigned int scopeId;
    long long timestamp;
    long long latencyUsec;
    unsigned int valueType;
    nvmlReturn_t nvmlReturn;
    nvmlValue_t value;
} nvmlFieldValue_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;

typedef struct {
    unsigned int gpu;
    unsigned int memory;
} nvmlUtilization_t;

typedef struct {
    unsigned long long timeStamp;
    nvmlValue_t sampleValue;
} nvmlSample_t;

typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil;
    unsigned int memUtil;
    unsigned int encUtil;
    unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

/* The layouts pynvml's ctypes structures have on x86-64 / aarch64 Linux. */
_Static_assert(sizeof(nvmlProcessInfo_t) == 24, "c_nvmlProcessInfo_v2_t is 24 bytes");
_Static_assert(offsetof(nvmlProcessInfo_t, usedGpuMemory) == 8, "usedGpuMemory at 8");
_Static_assert(sizeof(nvmlValue_t) == 8, "c_nvmlValue_t is 8 bytes");
_Static_assert(sizeof(nvmlFieldValue_t) == 40, "c_nvmlFieldValue_t is 40 bytes");
_Static_assert(offsetof(nvmlFieldValue_t, value) == 32, "value at 32");
_Static_assert(sizeof(nvmlMemory_t) == 24, "c_nvmlMemory_t is 24 bytes");
_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "c_nvmlMemory_v2_t is 40 bytes");
_Static_assert(sizeof(nvmlUtilization_t) == 8, "c_nvmlUtilization_t is 8 bytes");
_Static_assert(sizeof(nvmlSample_t) == 16, "c_nvmlSample_t is 16 bytes");
_Static_assert(sizeof(nvmlProcessUtilizationSample_t) == 32, "utilization sample is 32 bytes");

typedef struct fake_device {
    int index;
    char name[96];
    char uuid[96];
    double power_mw;
    double base_mj;
    unsigned int util;
    long calls;
    int lost;
} fake_device;

typedef struct {
    double t_s;
    double power_mw[MAX_GPUS];
} trace_row;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int init_count = 0;
static int n_gpus = 1;
static fake_device devices[MAX_GPUS];
static trace_row *trace = NULL;
static size_t trace_len = 0;
static int energy_err = 0;
static int fields_err = 0;
static double energy_period_s = 0.0;
static double power_avg_s = 1.0;
static long lost_after = -1;
static int lost_gpu = 0;
static double reset_at_s = -1.0;
static int n_procs = 0;
static int proc_gpu[MAX_PROCS];
static unsigned int proc_pid[MAX_PROCS];
static int n_util = 0;
static int util_gpu[MAX_PROCS];
static unsigned int util_pid[MAX_PROCS];
static unsigned int util_pct[MAX_PROCS];
static double sample_period_s = 0.02;
static long sample_buffer = 1000;
static int samples_err = 0;
static unsigned int power_limit_mw = 700000;
static unsigned long long memory_bytes = 81920ull << 20;
static int mig_mode = 0;
static unsigned int arch = 9;
static struct timespec t0;
static int manual_clock = 0;
static int driver_loaded = 1;
static double manual_now_s = 0.0;
static double t0_unix_s = -1.0;

static double env_double(const char *name, double fallback) {
    const char *text = getenv(name);
    if (text == NULL || *text == '\0') return fallback;
    char *end = NULL;
    double value = strtod(text, &end);
    return (end != text) ? value : fallback;
}

/* The i-th comma-separated field of text into out (empty when missing). */
static int csv_field(const char *text, int i, char *out, size_t size) {
    out[0] = '\0';
    if (text == NULL) return 0;
    const char *start = text;
    for (int k = 0; k < i; k++) {
        start = strchr(start, ',');
        if (start == NULL) return 0;
        start++;
    }
    const char *stop = strchr(start, ',');
    size_t len = stop ? (size_t)(stop - start) : strlen(start);
    if (len >= size) len = size - 1;
    memcpy(out, start, len);
    out[len] = '\0';
    return len > 0;
}

static void load_trace(const char *path) {
    free(trace);
    trace = NULL;
    trace_len = 0;
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    size_t cap = 256;
    trace = calloc(cap, sizeof(trace_row));
    char line[4096];
    while (fgets(line, sizeof line, file)) {
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '#' || *p == '\0') continue;
        trace_row row;
        char *end = NULL;
        row.t_s = strtod(p, &end);
        if (end == p) continue;
        p = end;
        double last = 0.0;
        for (int g = 0; g < MAX_GPUS; g++) {
            double value = strtod(p, &end);
            if (end != p) {
                last = value;
                p = end;
            }
            row.power_mw[g] = last;
        }
        if (trace_len == cap) {
            cap *= 2;
            trace = realloc(trace, cap * sizeof(trace_row));
        }
        trace[trace_len++] = row;
    }
    fclose(file);
}

static void configure(void) {
    n_gpus = (int)env_double("FAKE_NVML_GPUS", 1);
    if (n_gpus < 0) n_gpus = 0;
    if (n_gpus > MAX_GPUS) n_gpus = MAX_GPUS;
    const char *names = getenv("FAKE_NVML_NAMES");
    const char *powers = getenv("FAKE_NVML_POWER_MW");
    double base = env_double("FAKE_NVML_ENERGY_BASE_MJ", 7000000000.0);
    double last_power = 100000.0;
    unsigned int last_util = 50;
    for (int i = 0; i < n_gpus; i++) {
        fake_device *d = &devices[i];
        memset(d, 0, sizeof *d);
        d->index = i;
        char field[96];
        if (csv_field(names, i, field, sizeof field))
            snprintf(d->name, sizeof d->name, "%s", field);
        else
            snprintf(d->name, sizeof d->name, "Fake NVIDIA GPU");
        unsigned int digit = (unsigned int)(i + 1) & 0xf;
        snprintf(d->uuid, sizeof d->uuid, "GPU-%08x-fa4e-4e00-8000-%012x", digit * 0x11111111u,
                 (unsigned int)i);
        if (csv_field(powers, i, field, sizeof field)) last_power = strtod(field, NULL);
        d->power_mw = last_power;
        if (csv_field(getenv("FAKE_NVML_UTIL"), i, field, sizeof field))
            last_util = (unsigned int)strtoul(field, NULL, 10);
        d->util = last_util;
        d->base_mj = base + i;
    }
    const char *trace_path = getenv("FAKE_NVML_TRACE");
    if (trace_path && *trace_path)
        load_trace(trace_path);
    else {
        free(trace);
        trace = NULL;
        trace_len = 0;
    }
    energy_err = (int)env_double("FAKE_NVML_ENERGY_ERR", 0);
    fields_err = (int)env_double("FAKE_NVML_FIELDS_ERR", 0);
    energy_period_s = env_double("FAKE_NVML_ENERGY_PERIOD_MS", 0) / 1000.0;
    power_avg_s = env_double("FAKE_NVML_POWER_AVG_MS", 1000) / 1000.0;
    lost_after = (long)env_double("FAKE_NVML_LOST_AFTER", -1);
    lost_gpu = (int)env_double("FAKE_NVML_LOST_GPU", 0);
    reset_at_s = env_double("FAKE_NVML_RESET_AT", -1);
    n_procs = 0;
    const char *procs = getenv("FAKE_NVML_PROCS");
    char item[64];
    for (int k = 0; n_procs < MAX_PROCS && csv_field(procs, k, item, sizeof item); k++) {
        int gpu = 0;
        unsigned int pid = 0;
        if (sscanf(item, "%d:%u", &gpu, &pid) == 2) {
            proc_gpu[n_procs] = gpu;
            proc_pid[n_procs] = pid;
            n_procs++;
        }
    }
    n_util = 0;
    const char *utils = getenv("FAKE_NVML_PROC_UTIL");
    for (int k = 0; n_util < MAX_PROCS && csv_field(utils, k, item, sizeof item); k++) {
        int gpu = 0;
        unsigned int pid = 0, pct = 0;
        if (sscanf(item, "%d:%u:%u", &gpu, &pid, &pct) == 3) {
            util_gpu[n_util] = gpu;
            util_pid[n_util] = pid;
            util_pct[n_util] = pct;
            n_util++;
        }
    }
    sample_period_s = env_double("FAKE_NVML_SAMPLE_PERIOD_MS", 20) / 1000.0;
    if (sample_period_s <= 0) sample_period_s = 0.02;
    sample_buffer = (long)env_double("FAKE_NVML_SAMPLE_BUFFER", 1000);
    if (sample_buffer < 1) sample_buffer = 1;
    samples_err = (int)env_double("FAKE_NVML_SAMPLES_ERR", 0);
    power_limit_mw = (unsigned int)env_double("FAKE_NVML_POWER_LIMIT_MW", 700000);
    memory_bytes = (unsigned long long)env_double("FAKE_NVML_MEMORY_MIB", 81920) << 20;
    mig_mode = (int)env_double("FAKE_NVML_MIG", 0);
    arch = (unsigned int)env_double("FAKE_NVML_ARCH", 9);
    t0_unix_s = env_double("FAKE_NVML_T0_UNIX", -1.0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    manual_clock = 0;
    manual_now_s = 0.0;
}

/* Seconds since init. */
static double now_s(void) {
    if (manual_clock) return manual_now_s;
    struct timespec t;
    if (t0_unix_s >= 0) {
        clock_gettime(CLOCK_REALTIME, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9 - t0_unix_s;
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Exported: switch to the manual clock and set it to t seconds since init. */
void fakeNvmlSetTime(double t_s) {
    pthread_mutex_lock(&lock);
    manual_clock = 1;
    manual_now_s = t_s;
    pthread_mutex_unlock(&lock);
}

/* Exported: forget every init, so the next nvmlInit reads the environment again (tests). */
void fakeNvmlForceShutdown(void) {
    pthread_mutex_lock(&lock);
    init_count = 0;
    pthread_mutex_unlock(&lock);
}

/* Exported: 0 = every nvmlInit fails as without a driver (after an in-process test), 1 = back. */
void fakeNvmlSetDriverLoaded(int loaded) {
    pthread_mutex_lock(&lock);
    driver_loaded = loaded;
    pthread_mutex_unlock(&lock);
}

/* Exported: the fake's clock, seconds since init. */
double fakeNvmlGetTime(void) { return now_s(); }

static double power_at_mw(int gpu, double t) {
    if (trace_len == 0) return devices[gpu].power_mw;
    size_t k = 0;
    while (k + 1 < trace_len && trace[k + 1].t_s <= t) k++;
    return trace[k].power_mw[gpu];
}

/* Exact integral of power from 0 to t, in mJ (mW × s). */
static double integral_mj(int gpu, double t) {
    if (t <= 0) return 0.0;
    if (trace_len == 0) return devices[gpu].power_mw * t;
    double total = 0.0;
    double from = 0.0;
    double p = trace[0].power_mw[gpu];
    for (size_t k = 0; k < trace_len; k++) {
        double edge = trace[k].t_s;
        if (edge <= from) {
            p = trace[k].power_mw[gpu];
            continue;
        }
        if (edge >= t) break;
        total += p * (edge - from);
        from = edge;
        p = trace[k].power_mw[gpu];
    }
    return total + p * (t - from);
}

static double counter_mj(int gpu, double t) {
    if (energy_period_s > 0) t = floor(t / energy_period_s) * energy_period_s;
    if (reset_at_s >= 0 && t >= reset_at_s) return integral_mj(gpu, t) - integral_mj(gpu, reset_at_s);
    return devices[gpu].base_mj + integral_mj(gpu, t);
}

static double average_power_mw(int gpu, double t) {
    if (power_avg_s <= 0) return power_at_mw(gpu, t);
    double from = t - power_avg_s;
    if (from < 0) from = 0;
    if (t - from <= 0) return power_at_mw(gpu, t);
    return (integral_mj(gpu, t) - integral_mj(gpu, from)) / (t - from);
}

/* Checks a handle and counts the call; GPU_IS_LOST once the lost GPU ran out of calls. */
static nvmlReturn_t device_call(void *handle, fake_device **out) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    fake_device *d = (fake_device *)handle;
    if (d < devices || d >= devices + n_gpus) return NVML_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&lock);
    nvmlReturn_t ret = NVML_SUCCESS;
    if (lost_after >= 0 && d->index == lost_gpu) {
        if (d->lost || d->calls >= lost_after) {
            d->lost = 1;
            ret = NVML_ERROR_GPU_IS_LOST;
        }
        d->calls++;
    }
    pthread_mutex_unlock(&lock);
    *out = d;
    return ret;
}

nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
    (void)flags;
    pthread_mutex_lock(&lock);
    int err = driver_loaded ? (int)env_double("FAKE_NVML_INIT_ERR", 0) : NVML_ERROR_DRIVER_NOT_LOADED;
    if (err) {
        pthread_mutex_unlock(&lock);
        return err;
    }
    if (init_count == 0) configure();
    init_count++;
    pthread_mutex_unlock(&lock);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
nvmlReturn_t nvmlInit(void) { return nvmlInitWithFlags(0); }

nvmlReturn_t nvmlShutdown(void) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t ret = NVML_SUCCESS;
    if (init_count <= 0)
        ret = NVML_ERROR_UNINITIALIZED;
    else
        init_count--;
    pthread_mutex_unlock(&lock);
    return ret;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

static nvmlReturn_t copy_string(const char *text, char *out, unsigned int length) {
    if (out == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(text) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(out, text, strlen(text) + 1);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    return copy_string("999.99.fake", version, length);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    return copy_string("13.999.fake", version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    if (version == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *version = 13000;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version) {
    return nvmlSystemGetCudaDriverVersion(version);
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *count = (unsigned int)n_gpus;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int *count) { return nvmlDeviceGetCount_v2(count); }

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **device) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    if (device == NULL || index >= (unsigned int)n_gpus) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, void **device) {
    return nvmlDeviceGetHandleByIndex_v2(index, device);
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, void **device) {
    if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
    if (uuid == NULL || device == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < n_gpus; i++) {
        if (strcmp(devices[i].uuid, uuid) == 0) {
            *device = &devices[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetIndex(void *handle, unsigned int *index) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    *index = (unsigned int)d->index;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(void *handle, char *uuid, unsigned int length) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    return copy_string(d->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName(void *handle, char *name, unsigned int length) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    return copy_string(d->name, name, length);
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(void *handle, unsigned long long *energy_mj) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (energy_err) return energy_err;
    if (energy_mj == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *energy_mj = (unsigned long long)floor(counter_mj(d->index, now_s()));
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(void *handle, unsigned int *power_mw) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (power_mw == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *power_mw = (unsigned int)llround(average_power_mw(d->index, now_s()));
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetFieldValues(void *handle, int count, nvmlFieldValue_t *values) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (values == NULL || count < 0) return NVML_ERROR_INVALID_ARGUMENT;
    double t = now_s();
    for (int k = 0; k < count; k++) {
        nvmlFieldValue_t *v = &values[k];
        v->timestamp = (long long)(t * 1e6);
        v->latencyUsec = 0;
        v->valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        if (v->fieldId == NVML_FI_DEV_POWER_INSTANT || v->fieldId == NVML_FI_DEV_POWER_AVERAGE) {
            if (fields_err) {
                v->nvmlReturn = fields_err;
                continue;
            }
            double p = v->fieldId == NVML_FI_DEV_POWER_INSTANT ? power_at_mw(d->index, t)
                                                               : average_power_mw(d->index, t);
            v->nvmlReturn = NVML_SUCCESS;
            v->value.uiVal = (unsigned int)llround(p);
        } else {
            v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        }
    }
    return NVML_SUCCESS;
}

static nvmlReturn_t running_processes(void *handle, unsigned int *count, nvmlProcessInfo_t *infos) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    unsigned int found = 0;
    for (int k = 0; k < n_procs; k++)
        if (proc_gpu[k] == d->index) found++;
    if (infos == NULL || *count < found) {
        unsigned int wanted = found;
        *count = wanted;
        return found == 0 ? NVML_SUCCESS : NVML_ERROR_INSUFFICIENT_SIZE;
    }
    unsigned int n = 0;
    for (int k = 0; k < n_procs; k++) {
        if (proc_gpu[k] != d->index) continue;
        infos[n].pid = proc_pid[k];
        infos[n].usedGpuMemory = 1ull << 30;
        infos[n].gpuInstanceId = 0xFFFFFFFFu;
        infos[n].computeInstanceId = 0xFFFFFFFFu;
        n++;
    }
    *count = n;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned int *c, nvmlProcessInfo_t *i) {
    return running_processes(h, c, i);
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(void *h, unsigned int *c, nvmlProcessInfo_t *i) {
    return running_processes(h, c, i);
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(void *h, unsigned int *c, nvmlProcessInfo_t *i) {
    fake_device *d;
    (void)i;
    nvmlReturn_t ret = device_call(h, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (c == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *c = 0;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(void *h, unsigned int *c, nvmlProcessInfo_t *i) {
    return nvmlDeviceGetGraphicsRunningProcesses_v3(h, c, i);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(void *handle, nvmlMemory_t *memory) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    memory->total = memory_bytes;
    memory->used = 1ull << 30;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(void *handle, nvmlMemory_v2_t *memory) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    memory->total = memory_bytes;
    memory->reserved = 0;
    memory->used = 1ull << 30;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(void *handle, int sensor, unsigned int *temp) {
    fake_device *d;
    (void)sensor;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    *temp = 40;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(void *handle, unsigned int *limit_mw) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    *limit_mw = power_limit_mw;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(void *handle, unsigned int *limit_mw) {
    return nvmlDeviceGetEnforcedPowerLimit(handle, limit_mw);
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(void *handle, nvmlUtilization_t *util) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    util->gpu = d->util;
    util->memory = 10;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeMode(void *handle, int *mode) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    *mode = 0;
    return NVML_SUCCESS;
}

/* The driver's power samples after last_seen (µs): sample k (k ≥ 1) is stamped k × period and
 * is the average power over ((k − 1) × period, k × period]; only the last sample_buffer exist. */
nvmlReturn_t nvmlDeviceGetSamples(void *handle, int type, unsigned long long last_seen,
                                  int *value_type, unsigned int *count, nvmlSample_t *samples) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (samples_err) return samples_err;
    if (type != 0) return NVML_ERROR_NOT_SUPPORTED; /* only NVML_TOTAL_POWER_SAMPLES */
    if (count == NULL || value_type == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *value_type = NVML_VALUE_TYPE_UNSIGNED_INT;
    long period_us = (long)llround(sample_period_s * 1e6);
    long newest = (long)floor(now_s() / sample_period_s + 1e-9);
    long oldest = newest - sample_buffer + 1;
    if (oldest < 1) oldest = 1;
    long after = (long)(last_seen / (unsigned long long)period_us) + 1;
    if (after > oldest) oldest = after;
    unsigned int available = newest >= oldest ? (unsigned int)(newest - oldest + 1) : 0;
    if (samples == NULL) {
        *count = available;
        return available ? NVML_SUCCESS : NVML_ERROR_NOT_FOUND;
    }
    unsigned int n = available < *count ? available : *count;
    for (unsigned int k = 0; k < n; k++) {
        long index = oldest + (long)k;
        double t1 = index * sample_period_s, t0_s = t1 - sample_period_s;
        double avg_mw = (integral_mj(d->index, t1) - integral_mj(d->index, t0_s)) / sample_period_s;
        samples[k].timeStamp = (unsigned long long)(index * period_us);
        samples[k].sampleValue.uiVal = (unsigned int)llround(avg_mw);
    }
    *count = n;
    return NVML_SUCCESS;
}

/* Per-process SM utilization from FAKE_NVML_PROC_UTIL, stamped now. */
nvmlReturn_t nvmlDeviceGetProcessUtilization(void *handle, nvmlProcessUtilizationSample_t *out,
                                             unsigned int *count, unsigned long long last_seen) {
    fake_device *d;
    (void)last_seen;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    unsigned int found = 0;
    for (int k = 0; k < n_util; k++)
        if (util_gpu[k] == d->index) found++;
    if (found == 0) return NVML_ERROR_NOT_FOUND;
    if (out == NULL || *count < found) {
        *count = found;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    unsigned int n = 0;
    unsigned long long stamp = (unsigned long long)(now_s() * 1e6);
    for (int k = 0; k < n_util; k++) {
        if (util_gpu[k] != d->index) continue;
        out[n].pid = util_pid[k];
        out[n].timeStamp = stamp;
        out[n].smUtil = util_pct[k];
        out[n].memUtil = 0;
        out[n].encUtil = 0;
        out[n].decUtil = 0;
        n++;
    }
    *count = n;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(void *handle, unsigned int *current, unsigned int *pending) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (current == NULL || pending == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *current = (unsigned int)mig_mode;
    *pending = (unsigned int)mig_mode;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetArchitecture(void *handle, unsigned int *out) {
    fake_device *d;
    nvmlReturn_t ret = device_call(handle, &d);
    if (ret != NVML_SUCCESS) return ret;
    if (out == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *out = arch;
    return NVML_SUCCESS;
}
