// Reference 2-D resize, NHWC. Coordinates are computed in double from the
// output index alone (no incremental stepping), as in ONNX's definition, so
// ties in the nearest modes land exactly where the definition puts them.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/guard.h"
#include "reference/reference.h"

namespace fovea::reference {

double source_coordinate(fovea_coordinate_mode mode, int64_t x, int64_t in, int64_t out,
                         double s) {
    const double xd = double(x);
    switch (mode) {
        case FOVEA_COORDINATE_HALF_PIXEL: return (xd + 0.5) / s - 0.5;
        case FOVEA_COORDINATE_PYTORCH_HALF_PIXEL: return out > 1 ? (xd + 0.5) / s - 0.5 : 0.0;
        case FOVEA_COORDINATE_ALIGN_CORNERS:
            return out > 1 ? xd * double(in - 1) / double(out - 1) : 0.0;
        case FOVEA_COORDINATE_ASYMMETRIC: return xd / s;
        case FOVEA_COORDINATE_HALF_PIXEL_SYMMETRIC: {
            const double center = double(in) / 2.0;
            return center * (1.0 - double(out) / (s * double(in))) + (xd + 0.5) / s - 0.5;
        }
    }
    return 0.0;
}

int64_t clamp_index(int64_t i, int64_t in) { return std::min(std::max<int64_t>(i, 0), in - 1); }

int64_t nearest_index(fovea_nearest_mode mode, double coordinate, int64_t in) {
    const double lower = std::floor(coordinate);
    const bool half = coordinate - lower == 0.5;
    double r = 0.0;
    switch (mode) {
        case FOVEA_NEAREST_ROUND_PREFER_FLOOR: r = half ? lower : std::round(coordinate); break;
        case FOVEA_NEAREST_ROUND_PREFER_CEIL: r = half ? lower + 1.0 : std::round(coordinate); break;
        case FOVEA_NEAREST_FLOOR: r = lower; break;
        case FOVEA_NEAREST_CEIL: r = std::ceil(coordinate); break;
    }
    // Clamped as a double: a coordinate from an extreme scale (or NaN) would
    // not fit an int64_t, and converting it is undefined.
    return r >= 0.0 ? int64_t(std::min(r, double(in - 1))) : 0;
}

// Linear taps along one axis: the coordinate is clamped into the input first,
// so border outputs repeat the edge instead of blending with zero.

LinearTap linear_tap(double coordinate, int64_t in) {
    const double c = coordinate >= 0.0 ? std::min(coordinate, double(in - 1)) : 0.0;  // NaN reads the edge
    const double lower = std::floor(c);
    const int64_t i0 = clamp_index(int64_t(lower), in);
    return {i0, clamp_index(i0 + 1, in), c - lower};
}

}  // namespace fovea::reference

using namespace fovea::reference;

extern "C" fovea_status fovea_reference_resize_forward(const fovea_resize_desc *desc,
                                                       const float *x, float *y) {
    return fovea::guarded([&] {
        const fovea_resize_desc &d = *desc;
        const int64_t C = d.channels;
        for (int64_t n = 0; n < d.batch; ++n) {
            const float *xn = x + n * d.in_height * d.in_width * C;
            float *yn = y + n * d.out_height * d.out_width * C;
            for (int64_t oh = 0; oh < d.out_height; ++oh) {
                const double ch = source_coordinate(d.coordinate_mode, oh, d.in_height,
                                                    d.out_height, d.scale_height);
                for (int64_t ow = 0; ow < d.out_width; ++ow) {
                    const double cw = source_coordinate(d.coordinate_mode, ow, d.in_width,
                                                        d.out_width, d.scale_width);
                    float *out = yn + (oh * d.out_width + ow) * C;
                    if (d.mode == FOVEA_RESIZE_NEAREST) {
                        const int64_t ih = nearest_index(d.nearest_mode, ch, d.in_height);
                        const int64_t iw = nearest_index(d.nearest_mode, cw, d.in_width);
                        const float *in = xn + (ih * d.in_width + iw) * C;
                        for (int64_t c = 0; c < C; ++c) out[c] = in[c];
                    } else {
                        const LinearTap th = linear_tap(ch, d.in_height);
                        const LinearTap tw = linear_tap(cw, d.in_width);
                        const float *p00 = xn + (th.i0 * d.in_width + tw.i0) * C;
                        const float *p01 = xn + (th.i0 * d.in_width + tw.i1) * C;
                        const float *p10 = xn + (th.i1 * d.in_width + tw.i0) * C;
                        const float *p11 = xn + (th.i1 * d.in_width + tw.i1) * C;
                        for (int64_t c = 0; c < C; ++c) {
                            const double top = (1.0 - tw.w1) * p00[c] + tw.w1 * p01[c];
                            const double bottom = (1.0 - tw.w1) * p10[c] + tw.w1 * p11[c];
                            out[c] = float((1.0 - th.w1) * top + th.w1 * bottom);
                        }
                    }
                }
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}
