// Reference data-movement kernels. Every output element is computed from its
// own index (no running pointers), which is slow but easy to check against the
// definitions.
#include <cstdint>
#include <cstring>

#include "common/guard.h"
#include "reference/reference.h"

namespace {

// Row-major strides of a contiguous tensor.
void contiguous_strides(int32_t rank, const int64_t *shape, int64_t *strides) {
    int64_t s = 1;
    for (int32_t d = rank - 1; d >= 0; --d) {
        strides[d] = s;
        s *= shape[d];
    }
}

// Source index along one axis for output position i (i may lie in the padding),
// or -1 when the constant value is to be used.
int64_t pad_source(fovea_pad_mode mode, int64_t i, int64_t size) {
    if (i >= 0 && i < size) return i;
    if (size <= 0) return -1;  // nothing to mirror or repeat
    switch (mode) {
        case FOVEA_PAD_CONSTANT: return -1;
        case FOVEA_PAD_EDGE: return i < 0 ? 0 : size - 1;
        case FOVEA_PAD_WRAP: return ((i % size) + size) % size;
        case FOVEA_PAD_REFLECT: {
            if (size == 1) return 0;
            // Mirror about the edges without repeating them: period 2*(size-1).
            // Folding by the period also covers pads wider than the axis.
            const int64_t period = 2 * (size - 1);
            int64_t j = ((i % period) + period) % period;
            return j < size ? j : period - j;
        }
    }
    return -1;
}

// Channel of the deep tensor [.., C] that holds sub-pixel (i, j) of shallow
// channel c (C' = C/b^2 channels). From the NCHW definitions: DCR reshapes the
// channels as [b, b, C'], CRD as [C', b, b].
int64_t deep_channel(fovea_depth_space_mode mode, int64_t i, int64_t j, int64_t c,
                     int64_t block, int64_t shallow_channels) {
    return mode == FOVEA_DEPTH_SPACE_DCR ? (i * block + j) * shallow_channels + c
                                         : c * block * block + i * block + j;
}

}  // namespace

extern "C" fovea_status fovea_reference_transpose(int32_t rank, const int64_t *shape,
                                                  const int32_t *perm, const float *x,
                                                  float *y) {
    return fovea::guarded([&] {
        if (rank < 0 || rank > FOVEA_MAX_RANK) return FOVEA_STATUS_INVALID_ARGUMENT;
        int64_t x_strides[FOVEA_MAX_RANK], y_shape[FOVEA_MAX_RANK];
        contiguous_strides(rank, shape, x_strides);
        int64_t total = 1;
        for (int32_t d = 0; d < rank; ++d) {
            y_shape[d] = shape[perm[d]];
            total *= y_shape[d];
        }
        int64_t index[FOVEA_MAX_RANK] = {};
        for (int64_t i = 0; i < total; ++i) {
            int64_t offset = 0;
            for (int32_t d = 0; d < rank; ++d) offset += index[d] * x_strides[perm[d]];
            y[i] = x[offset];
            for (int32_t d = rank - 1; d >= 0; --d) {
                if (++index[d] < y_shape[d]) break;
                index[d] = 0;
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_pad_forward(fovea_pad_mode mode, int32_t rank,
                                                    const int64_t *shape,
                                                    const int64_t *pad_begin,
                                                    const int64_t *pad_end, float value,
                                                    const float *x, float *y) {
    return fovea::guarded([&] {
        if (rank < 0 || rank > FOVEA_MAX_RANK) return FOVEA_STATUS_INVALID_ARGUMENT;
        int64_t x_strides[FOVEA_MAX_RANK], y_shape[FOVEA_MAX_RANK];
        contiguous_strides(rank, shape, x_strides);
        int64_t total = 1;
        for (int32_t d = 0; d < rank; ++d) {
            y_shape[d] = shape[d] + pad_begin[d] + pad_end[d];
            total *= y_shape[d];
        }
        int64_t index[FOVEA_MAX_RANK] = {};
        for (int64_t i = 0; i < total; ++i) {
            int64_t offset = 0;
            bool inside = true;
            for (int32_t d = 0; d < rank; ++d) {
                const int64_t s = pad_source(mode, index[d] - pad_begin[d], shape[d]);
                if (s < 0) {
                    inside = false;
                    break;
                }
                offset += s * x_strides[d];
            }
            y[i] = inside ? x[offset] : value;
            for (int32_t d = rank - 1; d >= 0; --d) {
                if (++index[d] < y_shape[d]) break;
                index[d] = 0;
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_concat_forward(int32_t count, const float *const *inputs,
                                                       const int64_t *axis_sizes, int64_t outer,
                                                       int64_t inner, float *y) {
    return fovea::guarded([&] {
        int64_t total_axis = 0;
        for (int32_t t = 0; t < count; ++t) total_axis += axis_sizes[t];
        for (int64_t o = 0; o < outer; ++o) {
            int64_t axis_offset = 0;
            for (int32_t t = 0; t < count; ++t) {
                const int64_t block = axis_sizes[t] * inner;
                if (block > 0)
                    std::memcpy(y + (o * total_axis + axis_offset) * inner,
                                inputs[t] + o * block, size_t(block) * sizeof(float));
                axis_offset += axis_sizes[t];
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_depth_to_space(fovea_depth_space_mode mode,
                                                       int64_t batch, int64_t height,
                                                       int64_t width, int64_t channels,
                                                       int64_t block, const float *x, float *y) {
    return fovea::guarded([&] {
        const int64_t oc = channels / (block * block);
        const int64_t oh = height * block, ow = width * block;
        for (int64_t n = 0; n < batch; ++n)
            for (int64_t h = 0; h < oh; ++h)
                for (int64_t w = 0; w < ow; ++w)
                    for (int64_t c = 0; c < oc; ++c) {
                        const int64_t src_c =
                            deep_channel(mode, h % block, w % block, c, block, oc);
                        y[((n * oh + h) * ow + w) * oc + c] =
                            x[((n * height + h / block) * width + w / block) * channels + src_c];
                    }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_space_to_depth(fovea_depth_space_mode mode,
                                                       int64_t batch, int64_t height,
                                                       int64_t width, int64_t channels,
                                                       int64_t block, const float *x, float *y) {
    return fovea::guarded([&] {
        const int64_t oh = height / block, ow = width / block, oc = channels * block * block;
        // Written as the inverse of depth_to_space: walk the shallow side.
        for (int64_t n = 0; n < batch; ++n)
            for (int64_t h = 0; h < oh * block; ++h)
                for (int64_t w = 0; w < ow * block; ++w)
                    for (int64_t c = 0; c < channels; ++c) {
                        const int64_t dst_c =
                            deep_channel(mode, h % block, w % block, c, block, channels);
                        y[((n * oh + h / block) * ow + w / block) * oc + dst_c] =
                            x[((n * height + h) * width + w) * channels + c];
                    }
        return FOVEA_STATUS_SUCCESS;
    });
}
