#include "fovea_kernels.h"

extern "C" const char *fovea_status_describe(fovea_status status) {
    switch (status) {
        case FOVEA_STATUS_SUCCESS: return "success";
        case FOVEA_STATUS_INVALID_ARGUMENT: return "invalid argument";
        case FOVEA_STATUS_UNSUPPORTED: return "unsupported configuration";
        case FOVEA_STATUS_OUT_OF_MEMORY: return "out of memory";
        case FOVEA_STATUS_INSUFFICIENT_WORKSPACE: return "workspace too small";
        case FOVEA_STATUS_INTERNAL_ERROR: return "internal error";
    }
    return "unknown status";
}
