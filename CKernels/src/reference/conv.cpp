// Reference convolutions: direct loops, channels-last, rank-generic over the
// spatial axes [depth, height, width] (2-D and 1-D are the same code with unit
// leading axes). Every output element is computed by one chunk, in an order
// that does not depend on the chunking, so results are bit-identical for any
// thread count.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/guard.h"
#include "reference/reference.h"
#include "threadpool/threadpool.h"

namespace fovea::reference {
namespace {

constexpr int kAxes = 3;

// Multiply-adds below which a chunk is not worth handing to another thread.
constexpr int64_t kMinChunkWork = int64_t(1) << 15;

int64_t ceil_div(int64_t a, int64_t b) {  // b > 0
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

int64_t product(const int64_t (&v)[kAxes]) { return v[0] * v[1] * v[2]; }

// The taps k in [begin, end) of a window whose tap 0 sits at `origin` that land
// inside [0, size): one contiguous range, so the loops need no per-tap test.
struct TapRange {
    int64_t origin, begin, end;
};

TapRange window_taps(int64_t o, int64_t stride, int64_t pad_begin, int64_t dilation,
                     int64_t kernel, int64_t size) {
    TapRange r;
    r.origin = o * stride - pad_begin;
    r.begin = std::max<int64_t>(0, ceil_div(-r.origin, dilation));
    r.end = std::min<int64_t>(kernel, ceil_div(size - r.origin, dilation));
    if (r.end < r.begin) r.end = r.begin;
    return r;
}

// For every target index t of one axis, the taps (k, source) with
// source*stride + k*dilation == t + pad: the gather form of a transposed
// convolution, which needs no scatter and so no cross-chunk writes.
struct GatherAxis {
    std::vector<int64_t> first;  // entries of target t: [first[t], first[t + 1])
    std::vector<int64_t> tap, source;
};

GatherAxis gather_axis(int64_t targets, int64_t sources, int64_t kernel, int64_t stride,
                       int64_t dilation, int64_t pad) {
    GatherAxis g;
    g.first.reserve(static_cast<size_t>(targets) + 1);
    for (int64_t t = 0; t < targets; ++t) {
        g.first.push_back(static_cast<int64_t>(g.tap.size()));
        for (int64_t k = 0; k < kernel; ++k) {
            const int64_t q = t + pad - k * dilation;
            if (q < 0) break;  // q only decreases with k
            if (q % stride != 0 || q / stride >= sources) continue;
            g.tap.push_back(k);
            g.source.push_back(q / stride);
        }
    }
    g.first.push_back(static_cast<int64_t>(g.tap.size()));
    return g;
}

// Runs body(begin, end, scratch) over the chunks of [0, n). Each chunk owns
// `scratch_size` elements, allocated here because an exception must never
// escape a worker thread.
template <class T, class Body>
void parallel_chunks(int64_t n, int64_t grain, size_t scratch_size, const Body &body) {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    const int64_t chunks = (n + grain - 1) / grain;
    std::vector<T> scratch(static_cast<size_t>(chunks) * scratch_size);
    parallel_for(n, grain, [&](int64_t begin, int64_t end) {
        body(begin, end, scratch.data() + static_cast<size_t>(begin / grain) * scratch_size);
    });
}

int64_t grain_for_work(int64_t n, int64_t work_per_item) {
    return grain_for(n, std::max<int64_t>(1, kMinChunkWork / std::max<int64_t>(work_per_item, 1)));
}

bool valid(const fovea_conv_desc *d) {
    if (d == nullptr) return false;
    if (d->batch < 0 || d->in_channels < 1 || d->out_channels < 1 || d->groups < 1) return false;
    if (d->in_channels % d->groups != 0 || d->out_channels % d->groups != 0) return false;
    for (int a = 0; a < kAxes; ++a) {
        if (d->in_size[a] < 0 || d->out_size[a] < 0 || d->kernel[a] < 1 || d->stride[a] < 1 ||
            d->dilation[a] < 1)
            return false;
    }
    return true;
}

// Splits a flat pixel index of [N, D, H, W] into (n, z, y, x).
struct Pixel {
    int64_t n, z, y, x;
};

Pixel split_pixel(int64_t p, const int64_t (&size)[kAxes]) {
    Pixel px;
    px.x = p % size[2];
    p /= size[2];
    px.y = p % size[1];
    p /= size[1];
    px.z = p % size[0];
    px.n = p / size[0];
    return px;
}

// One gather convolution: target[o] = sum over taps with
// s*stride + k*dilation == o + pad of source[s] * w[k], with w laid out
// [kernel..., target_channels/groups, source_channels]. The transposed
// convolution and the data gradient of a convolution are both this.
struct GatherShape {
    int64_t batch, source_channels, target_channels, groups;
    int64_t source_size[kAxes], target_size[kAxes];
    int64_t kernel[kAxes], stride[kAxes], dilation[kAxes], pad[kAxes];
};

void gather_conv(const GatherShape &s, const float *source, const float *w, const float *bias,
                 const fovea_activation &activation, float *target) {
    GatherAxis axis[kAxes];
    for (int a = 0; a < kAxes; ++a)
        axis[a] = gather_axis(s.target_size[a], s.source_size[a], s.kernel[a], s.stride[a],
                              s.dilation[a], s.pad[a]);
    const int64_t sc = s.source_channels, tc = s.target_channels;
    const int64_t sg = sc / s.groups, tg = tc / s.groups;  // channels per group
    const int64_t pixels = s.batch * product(s.target_size);
    // Average taps per pixel is about kernel/stride per axis; close enough for a grain.
    int64_t taps = 1;
    for (int a = 0; a < kAxes; ++a) taps *= std::max<int64_t>(1, s.kernel[a] / s.stride[a]);
    const int64_t grain = grain_for_work(pixels, taps * tc * sg);

    parallel_chunks<float>(pixels, grain, static_cast<size_t>(tc), [&](int64_t begin, int64_t end,
                                                                       float *acc) {
        for (int64_t p = begin; p < end; ++p) {
            const Pixel o = split_pixel(p, s.target_size);
            std::fill(acc, acc + tc, 0.0f);
            for (int64_t iz = axis[0].first[o.z]; iz < axis[0].first[o.z + 1]; ++iz) {
                for (int64_t iy = axis[1].first[o.y]; iy < axis[1].first[o.y + 1]; ++iy) {
                    for (int64_t ix = axis[2].first[o.x]; ix < axis[2].first[o.x + 1]; ++ix) {
                        const int64_t tap =
                            (axis[0].tap[iz] * s.kernel[1] + axis[1].tap[iy]) * s.kernel[2] +
                            axis[2].tap[ix];
                        const int64_t src =
                            ((o.n * s.source_size[0] + axis[0].source[iz]) * s.source_size[1] +
                             axis[1].source[iy]) *
                                s.source_size[2] +
                            axis[2].source[ix];
                        const float *xp = source + src * sc;
                        const float *wt = w + tap * tg * sc;
                        for (int64_t m = 0; m < tc; ++m) {
                            const int64_t g = m / tg;
                            const float *xg = xp + g * sg;
                            const float *wr = wt + (m - g * tg) * sc + g * sg;
                            float sum = acc[m];
                            for (int64_t c = 0; c < sg; ++c) sum += xg[c] * wr[c];
                            acc[m] = sum;
                        }
                    }
                }
            }
            float *yp = target + p * tc;
            for (int64_t m = 0; m < tc; ++m)
                yp[m] = activate(activation, bias != nullptr ? acc[m] + bias[m] : acc[m]);
        }
    });
}

void conv_forward(const fovea_conv_desc &d, const float *x, const float *w, const float *bias,
                  float *y) {
    const int64_t ic = d.in_channels, oc = d.out_channels;
    const int64_t cg = ic / d.groups, mg = oc / d.groups;
    const int64_t pixels = d.batch * product(d.out_size);
    const int64_t grain = grain_for_work(pixels, product(d.kernel) * cg * oc);

    parallel_chunks<float>(pixels, grain, static_cast<size_t>(oc), [&](int64_t begin, int64_t end,
                                                                       float *acc) {
        for (int64_t p = begin; p < end; ++p) {
            const Pixel o = split_pixel(p, d.out_size);
            const int64_t at[kAxes] = {o.z, o.y, o.x};
            TapRange r[kAxes];
            for (int a = 0; a < kAxes; ++a)
                r[a] = window_taps(at[a], d.stride[a], d.pad_begin[a], d.dilation[a], d.kernel[a],
                                   d.in_size[a]);
            std::fill(acc, acc + oc, 0.0f);
            for (int64_t kz = r[0].begin; kz < r[0].end; ++kz) {
                const int64_t iz = r[0].origin + kz * d.dilation[0];
                for (int64_t ky = r[1].begin; ky < r[1].end; ++ky) {
                    const int64_t iy = r[1].origin + ky * d.dilation[1];
                    for (int64_t kx = r[2].begin; kx < r[2].end; ++kx) {
                        const int64_t ix = r[2].origin + kx * d.dilation[2];
                        const float *xp =
                            x + (((o.n * d.in_size[0] + iz) * d.in_size[1] + iy) * d.in_size[2] +
                                 ix) * ic;
                        const float *wt = w + ((kz * d.kernel[1] + ky) * d.kernel[2] + kx) * cg * oc;
                        for (int64_t g = 0; g < d.groups; ++g) {
                            float *ag = acc + g * mg;
                            for (int64_t c = 0; c < cg; ++c) {
                                const float xv = xp[g * cg + c];
                                const float *wr = wt + c * oc + g * mg;
                                for (int64_t m = 0; m < mg; ++m) ag[m] += xv * wr[m];
                            }
                        }
                    }
                }
            }
            float *yp = y + p * oc;
            for (int64_t m = 0; m < oc; ++m)
                yp[m] = activate(d.activation, bias != nullptr ? acc[m] + bias[m] : acc[m]);
        }
    });
}

// Long reductions over batch and space: accumulated in double, rounded once.
// Chunks split the output channels, so no reduction is ever split.
void conv_backward_filter(const fovea_conv_desc &d, const float *x, const float *dy, float *dw) {
    const int64_t ic = d.in_channels, oc = d.out_channels;
    const int64_t cg = ic / d.groups, mg = oc / d.groups;
    const int64_t taps = product(d.kernel);
    const int64_t pixels = d.batch * product(d.out_size);
    const int64_t grain = grain_for_work(oc, pixels * taps * cg);
    // Scratch per chunk: [channel in chunk][tap][c], enough for `grain` channels.
    const size_t scratch = static_cast<size_t>(grain * taps * cg);

    parallel_chunks<double>(oc, grain, scratch, [&](int64_t m0, int64_t m1, double *acc) {
        const int64_t count = m1 - m0;
        std::fill(acc, acc + count * taps * cg, 0.0);
        for (int64_t p = 0; p < pixels; ++p) {
            const Pixel o = split_pixel(p, d.out_size);
            const int64_t at[kAxes] = {o.z, o.y, o.x};
            TapRange r[kAxes];
            for (int a = 0; a < kAxes; ++a)
                r[a] = window_taps(at[a], d.stride[a], d.pad_begin[a], d.dilation[a], d.kernel[a],
                                   d.in_size[a]);
            const float *dyp = dy + p * oc;
            for (int64_t kz = r[0].begin; kz < r[0].end; ++kz) {
                const int64_t iz = r[0].origin + kz * d.dilation[0];
                for (int64_t ky = r[1].begin; ky < r[1].end; ++ky) {
                    const int64_t iy = r[1].origin + ky * d.dilation[1];
                    for (int64_t kx = r[2].begin; kx < r[2].end; ++kx) {
                        const int64_t ix = r[2].origin + kx * d.dilation[2];
                        const float *xp =
                            x + (((o.n * d.in_size[0] + iz) * d.in_size[1] + iy) * d.in_size[2] +
                                 ix) * ic;
                        const int64_t tap = (kz * d.kernel[1] + ky) * d.kernel[2] + kx;
                        for (int64_t m = m0; m < m1; ++m) {
                            const double g = static_cast<double>(dyp[m]);
                            const float *xg = xp + (m / mg) * cg;
                            double *am = acc + ((m - m0) * taps + tap) * cg;
                            for (int64_t c = 0; c < cg; ++c) am[c] += static_cast<double>(xg[c]) * g;
                        }
                    }
                }
            }
        }
        for (int64_t m = m0; m < m1; ++m)
            for (int64_t tap = 0; tap < taps; ++tap)
                for (int64_t c = 0; c < cg; ++c)
                    dw[(tap * cg + c) * oc + m] =
                        static_cast<float>(acc[((m - m0) * taps + tap) * cg + c]);
    });
}

void conv_backward_bias(const fovea_conv_desc &d, const float *dy, float *db) {
    const int64_t oc = d.out_channels;
    const int64_t pixels = d.batch * product(d.out_size);
    const int64_t grain = grain_for_work(oc, pixels);
    parallel_chunks<double>(oc, grain, static_cast<size_t>(grain), [&](int64_t m0, int64_t m1,
                                                                       double *acc) {
        std::fill(acc, acc + (m1 - m0), 0.0);
        for (int64_t p = 0; p < pixels; ++p) {
            const float *dyp = dy + p * oc;
            for (int64_t m = m0; m < m1; ++m) acc[m - m0] += static_cast<double>(dyp[m]);
        }
        for (int64_t m = m0; m < m1; ++m) db[m] = static_cast<float>(acc[m - m0]);
    });
}

}  // namespace
}  // namespace fovea::reference

extern "C" fovea_status fovea_reference_conv_forward(const fovea_conv_desc *desc, const float *x,
                                                     const float *w, const float *bias, float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || x == nullptr || w == nullptr || y == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::conv_forward(*desc, x, w, bias, y);
        return FOVEA_STATUS_SUCCESS;
    });
}

// dx[i] = sum over o, k with o*stride - pad_begin + k*dilation == i of dy[o] * w[k]:
// a gather from dy, with the forward weight [kernel..., in/groups, out] already
// in the [kernel..., target/groups, source] layout the gather reads.
extern "C" fovea_status fovea_reference_conv_backward_data(const fovea_conv_desc *desc,
                                                           const float *dy, const float *w,
                                                           float *dx) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || dy == nullptr || w == nullptr || dx == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::GatherShape s;
        s.batch = desc->batch;
        s.source_channels = desc->out_channels;
        s.target_channels = desc->in_channels;
        s.groups = desc->groups;
        for (int a = 0; a < fovea::reference::kAxes; ++a) {
            s.source_size[a] = desc->out_size[a];
            s.target_size[a] = desc->in_size[a];
            s.kernel[a] = desc->kernel[a];
            s.stride[a] = desc->stride[a];
            s.dilation[a] = desc->dilation[a];
            s.pad[a] = desc->pad_begin[a];
        }
        const fovea_activation none = {FOVEA_ACTIVATION_NONE, 0.0f, 0.0f};
        fovea::reference::gather_conv(s, dy, w, nullptr, none, dx);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_conv_backward_filter(const fovea_conv_desc *desc,
                                                             const float *x, const float *dy,
                                                             float *dw) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || x == nullptr || dy == nullptr || dw == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::conv_backward_filter(*desc, x, dy, dw);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_conv_backward_bias(const fovea_conv_desc *desc,
                                                           const float *dy, float *db) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || dy == nullptr || db == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::conv_backward_bias(*desc, dy, db);
        return FOVEA_STATUS_SUCCESS;
    });
}

// The descriptor describes the transposed operation itself, so x is the gather
// source and y its target; the fused activation applies as in any forward pass.
extern "C" fovea_status fovea_reference_conv_transpose_forward(const fovea_conv_desc *desc,
                                                               const float *x, const float *w,
                                                               const float *bias, float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || x == nullptr || w == nullptr || y == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::GatherShape s;
        s.batch = desc->batch;
        s.source_channels = desc->in_channels;
        s.target_channels = desc->out_channels;
        s.groups = desc->groups;
        for (int a = 0; a < fovea::reference::kAxes; ++a) {
            s.source_size[a] = desc->in_size[a];
            s.target_size[a] = desc->out_size[a];
            s.kernel[a] = desc->kernel[a];
            s.stride[a] = desc->stride[a];
            s.dilation[a] = desc->dilation[a];
            s.pad[a] = desc->pad_begin[a];
        }
        fovea::reference::gather_conv(s, x, w, bias, desc->activation, y);
        return FOVEA_STATUS_SUCCESS;
    });
}
