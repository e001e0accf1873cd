// Reference broadcasting binary operation. Walks y's shape with an odometer
// and follows each operand's strides, so broadcasting (stride 0), slicing and
// transposed views all take the same path.
#include <cstdint>

#include "common/guard.h"
#include "reference/reference.h"

namespace {

float apply(fovea_binary_op op, float a, float b) {
    switch (op) {
        case FOVEA_BINARY_ADD: return a + b;
        case FOVEA_BINARY_SUBTRACT: return a - b;
        case FOVEA_BINARY_MULTIPLY: return a * b;
        case FOVEA_BINARY_DIVIDE: return a / b;
        // NaN propagates, as in numpy.maximum / ONNX Max (std::fmax would drop it).
        case FOVEA_BINARY_MAXIMUM: return a != a ? a : (b != b ? b : (a < b ? b : a));
        case FOVEA_BINARY_MINIMUM: return a != a ? a : (b != b ? b : (b < a ? b : a));
    }
    return a + b;
}

}  // namespace

extern "C" fovea_status fovea_reference_binary_forward(fovea_binary_op op, int32_t rank,
                                                       const int64_t *shape, const float *a,
                                                       const int64_t *a_strides, const float *b,
                                                       const int64_t *b_strides, float *y) {
    return fovea::guarded([&] {
        if (rank < 0 || rank > FOVEA_MAX_RANK) return FOVEA_STATUS_INVALID_ARGUMENT;
        int64_t total = 1;
        for (int32_t d = 0; d < rank; ++d) total *= shape[d];
        int64_t index[FOVEA_MAX_RANK] = {};
        int64_t a_offset = 0, b_offset = 0;
        // Rank 0 gives total == 1: one element at offset 0.
        for (int64_t i = 0; i < total; ++i) {
            y[i] = apply(op, a[a_offset], b[b_offset]);
            for (int32_t d = rank - 1; d >= 0; --d) {
                a_offset += a_strides[d];
                b_offset += b_strides[d];
                if (++index[d] < shape[d]) break;
                a_offset -= a_strides[d] * shape[d];
                b_offset -= b_strides[d] * shape[d];
                index[d] = 0;
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}
