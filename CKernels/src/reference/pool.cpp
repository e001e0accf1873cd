// Reference pooling: direct loops, channels-last, rank-generic over the spatial
// axes [depth, height, width]. Every output element is computed by one chunk,
// in an order that does not depend on the chunking, so results are
// bit-identical for any thread count.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/guard.h"
#include "reference/reference.h"
#include "threadpool/threadpool.h"

namespace fovea::reference {
namespace {

constexpr int kAxes = 3;

// Channels handled together by the kernels that own a slice of channels
// (max backward, global pooling): small enough for stack arrays.
constexpr int64_t kChannelBlock = 16;

// Taps below which a chunk is not worth handing to another thread.
constexpr int64_t kMinChunkWork = int64_t(1) << 15;

int64_t ceil_div(int64_t a, int64_t b) {  // b > 0
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

int64_t product(const int64_t (&v)[kAxes]) { return v[0] * v[1] * v[2]; }

// Taps k in [begin, end) of a window whose tap 0 sits at `origin` that land in
// [lo, hi): one contiguous range, so the loops need no per-tap test.
struct TapRange {
    int64_t origin, begin, end;
};

TapRange taps_within(int64_t origin, int64_t dilation, int64_t kernel, int64_t lo, int64_t hi) {
    TapRange r;
    r.origin = origin;
    r.begin = std::max<int64_t>(0, ceil_div(lo - origin, dilation));
    r.end = std::min<int64_t>(kernel, ceil_div(hi - origin, dilation));
    if (r.end < r.begin) r.end = r.begin;
    return r;
}

int64_t window_origin(const fovea_pool_desc &d, int a, int64_t o) {
    return o * d.stride[a] - d.pad_begin[a];
}

// The taps of output o on axis a that read x.
TapRange input_taps(const fovea_pool_desc &d, int a, int64_t o) {
    return taps_within(window_origin(d, a, o), d.dilation[a], d.kernel[a], 0, d.in_size[a]);
}

// The average's divisor along one axis; the full divisor is the product over
// the axes because the window is a product of per-axis tap sets.
int64_t divisor_along(const fovea_pool_desc &d, int a, int64_t o) {
    const TapRange r =
        d.count_include_pad != 0
            ? taps_within(window_origin(d, a, o), d.dilation[a], d.kernel[a], -d.pad_begin[a],
                          d.in_size[a] + d.pad_end[a])
            : input_taps(d, a, o);
    return r.end - r.begin;
}

// For every target index t of one axis, the pairs (k, source) with
// source*stride - pad + k*dilation == t: the windows that read input t, so the
// average's gradient is a gather with no cross-chunk writes.
struct GatherAxis {
    std::vector<int64_t> first;  // entries of target t: [first[t], first[t + 1])
    std::vector<int64_t> source;
};

GatherAxis gather_axis(int64_t targets, int64_t sources, int64_t kernel, int64_t stride,
                       int64_t dilation, int64_t pad) {
    GatherAxis g;
    g.first.reserve(static_cast<size_t>(targets) + 1);
    for (int64_t t = 0; t < targets; ++t) {
        g.first.push_back(static_cast<int64_t>(g.source.size()));
        for (int64_t k = 0; k < kernel; ++k) {
            const int64_t q = t + pad - k * dilation;
            if (q < 0) break;  // q only decreases with k
            if (q % stride != 0 || q / stride >= sources) continue;
            g.source.push_back(q / stride);
        }
    }
    g.first.push_back(static_cast<int64_t>(g.source.size()));
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

bool valid(const fovea_pool_desc *d) {
    if (d == nullptr || d->batch < 0 || d->channels < 0) return false;
    for (int a = 0; a < kAxes; ++a) {
        if (d->in_size[a] < 0 || d->out_size[a] < 0 || d->kernel[a] < 1 || d->stride[a] < 1 ||
            d->dilation[a] < 1 || d->pad_begin[a] < 0 || d->pad_end[a] < 0)
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

// The max keeps the first NaN it meets, so a NaN anywhere in a window shows in
// its output (and the gradient goes to that NaN) instead of being skipped.
inline bool replaces_max(float candidate, float best) {
    return candidate > best || (candidate != candidate && best == best);
}

// Calls tap(input_pixel) for the taps of output pixel o that read x, in window
// scan order (depth, then height, then width); input_pixel is the flat index
// of the tapped pixel within sample o.n.
template <class Tap>
void for_each_tap(const fovea_pool_desc &d, const Pixel &o, const Tap &tap) {
    const int64_t at[kAxes] = {o.z, o.y, o.x};
    TapRange r[kAxes];
    for (int a = 0; a < kAxes; ++a) r[a] = input_taps(d, a, at[a]);
    for (int64_t kz = r[0].begin; kz < r[0].end; ++kz) {
        const int64_t iz = r[0].origin + kz * d.dilation[0];
        for (int64_t ky = r[1].begin; ky < r[1].end; ++ky) {
            const int64_t iy = r[1].origin + ky * d.dilation[1];
            const int64_t row = (iz * d.in_size[1] + iy) * d.in_size[2];
            for (int64_t kx = r[2].begin; kx < r[2].end; ++kx)
                tap(row + r[2].origin + kx * d.dilation[2]);
        }
    }
}

int64_t window_work(const fovea_pool_desc &d) { return product(d.kernel) * d.channels; }

// A window with no tap inside x cannot occur for parameters the Swift layer
// accepts; it yields -infinity (the max of nothing), never a crash.
void max_forward(const fovea_pool_desc &d, const float *x, float *y) {
    const int64_t c = d.channels, in_pixels = product(d.in_size);
    const int64_t pixels = d.batch * product(d.out_size);
    parallel_for(pixels, grain_for_work(pixels, window_work(d)), [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
            const Pixel o = split_pixel(p, d.out_size);
            float *yp = y + p * c;
            std::fill(yp, yp + c, -std::numeric_limits<float>::infinity());
            const float *xn = x + o.n * in_pixels * c;
            for_each_tap(d, o, [&](int64_t i) {
                const float *xp = xn + i * c;
                for (int64_t ch = 0; ch < c; ++ch)
                    if (replaces_max(xp[ch], yp[ch])) yp[ch] = xp[ch];
            });
        }
    });
}

// Sums in double and divides once: the result is the correctly rounded
// average for any window a CNN uses.
void avg_forward(const fovea_pool_desc &d, const float *x, float *y) {
    const int64_t c = d.channels, in_pixels = product(d.in_size);
    const int64_t pixels = d.batch * product(d.out_size);
    const int64_t grain = grain_for_work(pixels, window_work(d));
    parallel_chunks<double>(pixels, grain, static_cast<size_t>(c), [&](int64_t begin, int64_t end,
                                                                      double *acc) {
        for (int64_t p = begin; p < end; ++p) {
            const Pixel o = split_pixel(p, d.out_size);
            std::fill(acc, acc + c, 0.0);
            const float *xn = x + o.n * in_pixels * c;
            for_each_tap(d, o, [&](int64_t i) {
                const float *xp = xn + i * c;
                for (int64_t ch = 0; ch < c; ++ch) acc[ch] += static_cast<double>(xp[ch]);
            });
            const int64_t divisor =
                divisor_along(d, 0, o.z) * divisor_along(d, 1, o.y) * divisor_along(d, 2, o.x);
            float *yp = y + p * c;
            for (int64_t ch = 0; ch < c; ++ch)
                yp[ch] = divisor > 0 ? static_cast<float>(acc[ch] / static_cast<double>(divisor))
                                     : 0.0f;
        }
    });
}

void lp_forward(const fovea_pool_desc &d, const float *x, float *y) {
    const int64_t c = d.channels, in_pixels = product(d.in_size);
    const int64_t pixels = d.batch * product(d.out_size);
    const double p_norm = static_cast<double>(d.p);
    const int64_t grain = grain_for_work(pixels, window_work(d));
    parallel_chunks<double>(pixels, grain, static_cast<size_t>(c), [&](int64_t begin, int64_t end,
                                                                      double *acc) {
        for (int64_t p = begin; p < end; ++p) {
            const Pixel o = split_pixel(p, d.out_size);
            std::fill(acc, acc + c, 0.0);
            const float *xn = x + o.n * in_pixels * c;
            for_each_tap(d, o, [&](int64_t i) {
                const float *xp = xn + i * c;
                for (int64_t ch = 0; ch < c; ++ch)
                    acc[ch] += std::pow(std::fabs(static_cast<double>(xp[ch])), p_norm);
            });
            float *yp = y + p * c;
            for (int64_t ch = 0; ch < c; ++ch)
                yp[ch] = static_cast<float>(std::pow(acc[ch], 1.0 / p_norm));
        }
    });
}

// Windows overlap, so dy is scattered; a chunk owns one sample and a block of
// channels, which no other chunk's windows touch. Within it the windows are
// visited in output order, so the accumulation order is fixed.
void max_backward(const fovea_pool_desc &d, const float *x, const float *dy, float *dx) {
    const int64_t c = d.channels, in_pixels = product(d.in_size);
    const int64_t out_pixels = product(d.out_size);
    const int64_t blocks = (c + kChannelBlock - 1) / kChannelBlock;
    const int64_t units = d.batch * blocks;
    const int64_t grain = grain_for_work(units, out_pixels * product(d.kernel) * kChannelBlock);
    parallel_for(units, grain, [&](int64_t begin, int64_t end) {
        for (int64_t u = begin; u < end; ++u) {
            const int64_t n = u / blocks;
            const int64_t c0 = (u % blocks) * kChannelBlock;
            const int64_t width = std::min(kChannelBlock, c - c0);
            const float *xn = x + n * in_pixels * c + c0;
            float *dxn = dx + n * in_pixels * c + c0;
            for (int64_t i = 0; i < in_pixels; ++i) std::fill(dxn + i * c, dxn + i * c + width, 0.0f);
            for (int64_t op = 0; op < out_pixels; ++op) {
                const Pixel o = split_pixel(n * out_pixels + op, d.out_size);
                float best[kChannelBlock];
                int64_t arg[kChannelBlock];
                bool any = false;
                for_each_tap(d, o, [&](int64_t i) {
                    const float *xp = xn + i * c;
                    if (!any) {
                        for (int64_t k = 0; k < width; ++k) {
                            best[k] = xp[k];
                            arg[k] = i;
                        }
                        any = true;
                        return;
                    }
                    for (int64_t k = 0; k < width; ++k) {
                        if (replaces_max(xp[k], best[k])) {
                            best[k] = xp[k];
                            arg[k] = i;
                        }
                    }
                });
                if (!any) continue;  // a window with no tap in x has no arg-max
                const float *dyp = dy + (n * out_pixels + op) * c + c0;
                for (int64_t k = 0; k < width; ++k) dxn[arg[k] * c + k] += dyp[k];
            }
        }
    });
}

// dx[i] gathers dy[o] / divisor[o] from every window o that reads input i.
void avg_backward(const fovea_pool_desc &d, const float *dy, float *dx) {
    const int64_t c = d.channels;
    GatherAxis axis[kAxes];
    std::vector<int64_t> divisor[kAxes];
    for (int a = 0; a < kAxes; ++a) {
        axis[a] = gather_axis(d.in_size[a], d.out_size[a], d.kernel[a], d.stride[a],
                              d.dilation[a], d.pad_begin[a]);
        divisor[a].resize(static_cast<size_t>(d.out_size[a]));
        for (int64_t o = 0; o < d.out_size[a]; ++o) divisor[a][o] = divisor_along(d, a, o);
    }
    const int64_t out_pixels = product(d.out_size);
    const int64_t pixels = d.batch * product(d.in_size);
    int64_t taps = 1;
    for (int a = 0; a < kAxes; ++a) taps *= std::max<int64_t>(1, d.kernel[a] / d.stride[a]);
    const int64_t grain = grain_for_work(pixels, taps * c);
    parallel_chunks<double>(pixels, grain, static_cast<size_t>(c), [&](int64_t begin, int64_t end,
                                                                      double *acc) {
        for (int64_t p = begin; p < end; ++p) {
            const Pixel i = split_pixel(p, d.in_size);
            std::fill(acc, acc + c, 0.0);
            for (int64_t jz = axis[0].first[i.z]; jz < axis[0].first[i.z + 1]; ++jz) {
                const int64_t oz = axis[0].source[jz];
                for (int64_t jy = axis[1].first[i.y]; jy < axis[1].first[i.y + 1]; ++jy) {
                    const int64_t oy = axis[1].source[jy];
                    for (int64_t jx = axis[2].first[i.x]; jx < axis[2].first[i.x + 1]; ++jx) {
                        const int64_t ox = axis[2].source[jx];
                        const double div = static_cast<double>(divisor[0][oz] * divisor[1][oy] *
                                                               divisor[2][ox]);
                        const float *dyp =
                            dy + (i.n * out_pixels + (oz * d.out_size[1] + oy) * d.out_size[2] +
                                  ox) * c;
                        for (int64_t ch = 0; ch < c; ++ch)
                            acc[ch] += static_cast<double>(dyp[ch]) / div;
                    }
                }
            }
            float *dxp = dx + p * c;
            for (int64_t ch = 0; ch < c; ++ch) dxp[ch] = static_cast<float>(acc[ch]);
        }
    });
}

// Chunks own (sample, channel block) pairs; the spatial reduction is never split.
template <class Reduce>
void global_pool(int64_t batch, int64_t spatial, int64_t channels, const Reduce &reduce) {
    const int64_t blocks = (channels + kChannelBlock - 1) / kChannelBlock;
    const int64_t units = batch * blocks;
    parallel_for(units, grain_for_work(units, spatial * kChannelBlock),
                 [&](int64_t begin, int64_t end) {
                     for (int64_t u = begin; u < end; ++u) {
                         const int64_t c0 = (u % blocks) * kChannelBlock;
                         reduce(u / blocks, c0, std::min(kChannelBlock, channels - c0));
                     }
                 });
}

bool valid_global(int64_t batch, int64_t spatial, int64_t channels, const float *x,
                  const float *y) {
    return batch >= 0 && spatial >= 0 && channels >= 0 && x != nullptr && y != nullptr;
}

}  // namespace
}  // namespace fovea::reference

extern "C" fovea_status fovea_reference_pool_max_forward(const fovea_pool_desc *desc,
                                                         const float *x, float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || x == nullptr || y == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::max_forward(*desc, x, y);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_pool_avg_forward(const fovea_pool_desc *desc,
                                                         const float *x, float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || x == nullptr || y == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::avg_forward(*desc, x, y);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_pool_lp_forward(const fovea_pool_desc *desc,
                                                        const float *x, float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || !(desc->p > 0.0f) || x == nullptr || y == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::lp_forward(*desc, x, y);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_pool_max_backward(const fovea_pool_desc *desc,
                                                          const float *x, const float *dy,
                                                          float *dx) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || x == nullptr || dy == nullptr || dx == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::max_backward(*desc, x, dy, dx);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_pool_avg_backward(const fovea_pool_desc *desc,
                                                          const float *dy, float *dx) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid(desc) || dy == nullptr || dx == nullptr)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        fovea::reference::avg_backward(*desc, dy, dx);
        return FOVEA_STATUS_SUCCESS;
    });
}

// Summed in double: a global average often reduces thousands of values.
extern "C" fovea_status fovea_reference_pool_global_avg_forward(int64_t batch, int64_t spatial,
                                                                int64_t channels, const float *x,
                                                                float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid_global(batch, spatial, channels, x, y))
            return FOVEA_STATUS_INVALID_ARGUMENT;
        constexpr int64_t block = fovea::reference::kChannelBlock;
        fovea::reference::global_pool(batch, spatial, channels, [&](int64_t n, int64_t c0,
                                                                    int64_t width) {
            double acc[block] = {};
            for (int64_t s = 0; s < spatial; ++s) {
                const float *xp = x + (n * spatial + s) * channels + c0;
                for (int64_t k = 0; k < width; ++k) acc[k] += static_cast<double>(xp[k]);
            }
            for (int64_t k = 0; k < width; ++k)
                y[n * channels + c0 + k] =
                    spatial > 0 ? static_cast<float>(acc[k] / static_cast<double>(spatial)) : 0.0f;
        });
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_pool_global_max_forward(int64_t batch, int64_t spatial,
                                                                int64_t channels, const float *x,
                                                                float *y) {
    return fovea::guarded([&] {
        if (!fovea::reference::valid_global(batch, spatial, channels, x, y))
            return FOVEA_STATUS_INVALID_ARGUMENT;
        constexpr int64_t block = fovea::reference::kChannelBlock;
        fovea::reference::global_pool(batch, spatial, channels, [&](int64_t n, int64_t c0,
                                                                    int64_t width) {
            float best[block];
            std::fill(best, best + block, -std::numeric_limits<float>::infinity());
            for (int64_t s = 0; s < spatial; ++s) {
                const float *xp = x + (n * spatial + s) * channels + c0;
                for (int64_t k = 0; k < width; ++k)
                    if (fovea::reference::replaces_max(xp[k], best[k])) best[k] = xp[k];
            }
            for (int64_t k = 0; k < width; ++k) y[n * channels + c0 + k] = best[k];
        });
        return FOVEA_STATUS_SUCCESS;
    });
}
