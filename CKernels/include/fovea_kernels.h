/*
 * fovea_kernels.h — the whole C interface of Fovea's compute kernels.
 *
 * Conventions (they hold for every function below):
 *  - Every symbol starts with `fovea_` (types and functions) or `FOVEA_` (constants).
 *  - Names read family, then operation, then direction: fovea_conv_forward,
 *    fovea_conv_backward_data, fovea_pool_max_forward, ...
 *  - Activations are channels-last: NHWC for 2-D, NWC for 1-D, NDHWC for 3-D,
 *    float32, contiguous. Convolution weights are spatial-first, then input
 *    channels per group, then output channels (HWIO for 2-D).
 *  - Every call that can fail returns fovea_status. Nothing is thrown or aborted
 *    across this boundary. Arguments are assumed valid: the Swift layer checks
 *    shapes and parameters before it calls in.
 *  - Functions named fovea_reference_* are the plain, obviously correct kernels
 *    that every fast kernel is tested against. The unprefixed ones go through
 *    the dispatch table and may use any implementation the CPU supports.
 *  - Fast kernels that need scratch memory take it from the caller and offer a
 *    *_workspace_size query. Exceptions: plans own their packed weights;
 *    fovea_conv_forward (one call, no plan) packs into memory it allocates;
 *    the reference kernels allocate small index tables; fovea_gemm packs
 *    panels of B (and copies a transposed A, and for some alpha and beta
 *    multiplies into scratch) in memory from fovea_workspace_allocate; the
 *    pooling kernels use stack buffers only.
 */
#ifndef FOVEA_KERNELS_H
#define FOVEA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum fovea_status {
    FOVEA_STATUS_SUCCESS = 0,
    FOVEA_STATUS_INVALID_ARGUMENT = 1,
    FOVEA_STATUS_UNSUPPORTED = 2,
    FOVEA_STATUS_OUT_OF_MEMORY = 3,
    FOVEA_STATUS_INSUFFICIENT_WORKSPACE = 4,
    FOVEA_STATUS_INTERNAL_ERROR = 5
} fovea_status;

/** A short English description of a status; never NULL. */
const char *fovea_status_describe(fovea_status status);

/* ------------------------------------------------------------------------ */
/* CPU features, instruction-set levels and dispatch                         */
/* ------------------------------------------------------------------------ */

/** Instruction-set levels, ordered: a higher level may use everything below it. */
typedef enum fovea_isa {
    FOVEA_ISA_SCALAR = 0, /* portable C++, no intrinsics */
    FOVEA_ISA_NEON = 1,   /* AArch64 Advanced SIMD */
    FOVEA_ISA_AVX2 = 2,   /* AVX2 + FMA3 */
    FOVEA_ISA_AVX512 = 3  /* AVX-512 F, BW, VL, DQ */
} fovea_isa;

/** Individual CPU features found at start-up (bit mask). */
enum {
    FOVEA_CPU_FEATURE_AVX2 = 1u << 0,
    FOVEA_CPU_FEATURE_FMA3 = 1u << 1,
    FOVEA_CPU_FEATURE_AVX512F = 1u << 2,
    FOVEA_CPU_FEATURE_AVX512BW = 1u << 3,
    FOVEA_CPU_FEATURE_AVX512VL = 1u << 4,
    FOVEA_CPU_FEATURE_AVX512DQ = 1u << 5,
    FOVEA_CPU_FEATURE_NEON = 1u << 6,
    FOVEA_CPU_FEATURE_F16C = 1u << 7
};

/** The kernel families; each has one table of function pointers. */
typedef enum fovea_family {
    FOVEA_FAMILY_GEMM = 0,
    FOVEA_FAMILY_CONV,
    FOVEA_FAMILY_CONV_TRANSPOSE,
    FOVEA_FAMILY_POOL,
    FOVEA_FAMILY_NORM,
    FOVEA_FAMILY_ACTIVATION,
    FOVEA_FAMILY_ELEMENTWISE,
    FOVEA_FAMILY_LAYOUT,
    FOVEA_FAMILY_RESIZE,
    FOVEA_FAMILY_GRAM,
    FOVEA_FAMILY_COUNT
} fovea_family;

/** Bit mask of FOVEA_CPU_FEATURE_* found on this CPU (and usable by the OS). */
uint32_t fovea_cpu_features(void);
/** 1 when the core runs a 512-bit FMA as two 256-bit halves (AMD Zen 4): AVX-512 then brings
 *  no more FLOP/s than AVX2, which the Winograd tile choice takes into account. */
int fovea_cpu_splits_512bit_fma(void);
/** 1 on an Intel CPU: with full-width AVX-512, the Winograd tile choice and the GEMM tile size
 *  use costs fitted there (a slower last-level cache beside the FMAs than on AMD's cores). */
int fovea_cpu_is_intel(void);
/** The highest level this CPU supports. */
fovea_isa fovea_isa_detected(void);
/** The level kernels are chosen for: min(detected, cap). */
fovea_isa fovea_isa_active(void);
/** Caps the level (FOVEA_ISA env variable sets the initial cap: avx512|avx2|neon|scalar).
 *  A cap above the detected level is clamped to it. Re-fills every dispatch table. */
void fovea_isa_set_cap(fovea_isa cap);
/** Lower-case name: "scalar", "neon", "avx2", "avx512". */
const char *fovea_isa_name(fovea_isa isa);
/** Lower-case name of a family: "gemm", "conv", ... NULL for an unknown value. */
const char *fovea_family_name(fovea_family family);
/** The level of the implementation that the family's table currently holds. */
fovea_isa fovea_family_isa(fovea_family family);

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

/** Sets the number of threads kernels may use (1 = the calling thread only).
 *  0 means the number of cores. Results are bit-identical for a fixed count;
 *  every kernel here is in fact bit-identical for any count. */
fovea_status fovea_threads_set(int32_t count);
/** The number of threads kernels may use. */
int32_t fovea_threads_get(void);
/** The number of cores the library sees. */
int32_t fovea_threads_hardware(void);
/** With a nonzero argument, every kernel called from the calling thread runs
 *  on that thread alone, never through the pool: for a low-priority helper
 *  thread, which must not hold the pool's workers while it waits for a core.
 *  The pool is started first if need be (its workers then do not inherit the
 *  helper's scheduling). */
void fovea_threads_inline_here(int32_t inline_only);

/* ------------------------------------------------------------------------ */
/* Workspace memory                                                          */
/* ------------------------------------------------------------------------ */

/** Memory for kernel workspaces and tensors: 64-byte aligned, and for large
 *  sizes backed by huge pages where the OS allows it (the kernels sweep
 *  workspaces with large strides). NULL when out of memory. Release with
 *  fovea_workspace_free. Large blocks that are freed are kept for reuse (up to
 *  a bound), because a network run over and over asks for the same sizes and
 *  fresh pages cost a page fault and a zeroing each. */
void *fovea_workspace_allocate(size_t bytes);
void fovea_workspace_free(void *memory);
/** Returns the freed blocks kept for reuse to the system. */
void fovea_workspace_trim(void);
/** The bytes of freed blocks currently kept for reuse. */
size_t fovea_workspace_cached_bytes(void);

/* ------------------------------------------------------------------------ */
/* Fused activations                                                         */
/* ------------------------------------------------------------------------ */

typedef enum fovea_activation_kind {
    FOVEA_ACTIVATION_NONE = 0,
    FOVEA_ACTIVATION_RELU,       /* max(x, 0) */
    FOVEA_ACTIVATION_RELU6,      /* min(max(x, 0), 6) */
    FOVEA_ACTIVATION_LEAKY_RELU, /* x < 0 ? alpha*x : x */
    FOVEA_ACTIVATION_CLAMP,      /* min(max(x, alpha), beta) */
    FOVEA_ACTIVATION_SIGMOID,    /* 1/(1+exp(-x)) */
    FOVEA_ACTIVATION_TANH
} fovea_activation_kind;

typedef struct fovea_activation {
    fovea_activation_kind kind;
    float alpha;
    float beta;
} fovea_activation;

/* ------------------------------------------------------------------------ */
/* GEMM: C = act(alpha * op(A) * op(B) + beta * C + bias), row-major          */
/* ------------------------------------------------------------------------ */

typedef struct fovea_gemm_desc {
    int64_t m, n, k;
    int32_t trans_a; /* op(A) = A^T: A is stored k x m */
    int32_t trans_b; /* op(B) = B^T: B is stored n x k */
    int64_t lda, ldb, ldc;
    float alpha;
    float beta; /* 0: C is write-only (it may hold NaN on entry) */
    fovea_activation activation;
} fovea_gemm_desc;

/** bias: n values added to every row, or NULL. */
fovea_status fovea_gemm(const fovea_gemm_desc *desc, const float *a, const float *b,
                        const float *bias, float *c);
fovea_status fovea_reference_gemm(const fovea_gemm_desc *desc, const float *a, const float *b,
                                  const float *bias, float *c);

/* ------------------------------------------------------------------------ */
/* Convolution, 1-D to 3-D, channels-last                                    */
/* ------------------------------------------------------------------------ */

/*
 * Spatial arrays are [depth, height, width]; a 2-D convolution sets every depth
 * entry to 1 (pads 0), a 1-D one also the height entries.
 *
 * Forward:   x [N, in_size..., in_channels]
 *            w [kernel..., in_channels/groups, out_channels]
 *            y [N, out_size..., out_channels]
 *   y[o] = sum over taps k: x[o*stride - pad_begin + k*dilation] * w[k]  (taps outside x read 0)
 *   Output channel m belongs to group m / (out_channels/groups).
 *
 * Transposed (fovea_conv_transpose_*): the same descriptor describes the
 * transposed operation itself: x [N, in_size..., in_channels],
 * w [kernel..., out_channels/groups, in_channels] (the HWIO weight of the forward
 * convolution that maps y back to x, Keras' Conv2DTranspose layout),
 * y [N, out_size..., out_channels] with
 *   y[o] = sum over i, k with i*stride + k*dilation == o + pad_begin: x[i] * w[k].
 * out_size may be anything: pad_begin may be negative, pad_end is implied.
 */
typedef struct fovea_conv_desc {
    int64_t batch;
    int64_t in_channels;
    int64_t out_channels;
    int64_t groups;
    int64_t in_size[3];
    int64_t out_size[3];
    int64_t kernel[3];
    int64_t stride[3];
    int64_t dilation[3];
    int64_t pad_begin[3];
    int64_t pad_end[3];
    fovea_activation activation; /* forward only: applied after the bias */
} fovea_conv_desc;

/** Bytes of workspace fovea_conv_forward needs for this descriptor (may be 0). */
fovea_status fovea_conv_forward_workspace_size(const fovea_conv_desc *desc, size_t *bytes);
/** bias: out_channels values, or NULL. workspace: at least the queried size (NULL if 0). */
fovea_status fovea_conv_forward(const fovea_conv_desc *desc, const float *x, const float *w,
                                const float *bias, float *y, void *workspace,
                                size_t workspace_bytes);
/** dx = gradient of sum(y*dy) w.r.t. x; dx is overwritten. */
fovea_status fovea_conv_backward_data(const fovea_conv_desc *desc, const float *dy,
                                      const float *w, float *dx);
/** dw = gradient w.r.t. w, summed over the batch; dw is overwritten. */
fovea_status fovea_conv_backward_filter(const fovea_conv_desc *desc, const float *x,
                                        const float *dy, float *dw);
/** db[m] = sum of dy over batch and space; db is overwritten. */
fovea_status fovea_conv_backward_bias(const fovea_conv_desc *desc, const float *dy, float *db);
/** Workspace bytes fovea_conv_transpose_forward needs (may be 0). */
fovea_status fovea_conv_transpose_forward_workspace_size(const fovea_conv_desc *desc, size_t *bytes);
/** Transposed convolution (see above); bias: out_channels values or NULL. The
 *  fast path (groups == 1) multiplies every input pixel by every kernel tap
 *  in one GEMM, then gathers each output pixel's contributions (no scatter). */
fovea_status fovea_conv_transpose_forward(const fovea_conv_desc *desc, const float *x,
                                          const float *w, const float *bias, float *y,
                                          void *workspace, size_t workspace_bytes);

fovea_status fovea_reference_conv_forward(const fovea_conv_desc *desc, const float *x,
                                          const float *w, const float *bias, float *y);
fovea_status fovea_reference_conv_backward_data(const fovea_conv_desc *desc, const float *dy,
                                                const float *w, float *dx);
fovea_status fovea_reference_conv_backward_filter(const fovea_conv_desc *desc, const float *x,
                                                  const float *dy, float *dw);
fovea_status fovea_reference_conv_backward_bias(const fovea_conv_desc *desc, const float *dy,
                                                float *db);
fovea_status fovea_reference_conv_transpose_forward(const fovea_conv_desc *desc, const float *x,
                                                    const float *w, const float *bias, float *y);

/* ------------------------------------------------------------------------ */
/* Convolution plans: weights packed once, run many times                    */
/* ------------------------------------------------------------------------ */

typedef enum fovea_conv_algorithm {
    FOVEA_CONV_ALGORITHM_AUTO = 0,      /* chosen by a heuristic (see fovea_conv_algorithm_choose) */
    FOVEA_CONV_ALGORITHM_DIRECT = 1,    /* implicit GEMM over the input taps, no im2col copy */
    FOVEA_CONV_ALGORITHM_GEMM = 2,      /* 1x1: one GEMM; otherwise im2col in blocks + GEMM */
    FOVEA_CONV_ALGORITHM_WINOGRAD_2 = 3, /* F(2x2, 3x3) */
    FOVEA_CONV_ALGORITHM_WINOGRAD_4 = 4, /* F(4x4, 3x3) */
    FOVEA_CONV_ALGORITHM_WINOGRAD_6 = 5, /* F(6x6, 3x3) */
    FOVEA_CONV_ALGORITHM_REFERENCE = 6, /* the reference kernel */
    FOVEA_CONV_ALGORITHM_DEPTHWISE = 7  /* groups == in_channels, 2-D: per-channel sliding windows */
} fovea_conv_algorithm;

/** A convolution with its weights packed for one algorithm and one ISA level
 *  (the level active when it was created). Immutable after creation: one plan
 *  may run on several threads at once, each with its own workspace. */
typedef struct fovea_conv_plan fovea_conv_plan;

/** Whether `algorithm` can compute `desc` (Winograd: 2-D, 3x3, stride 1,
 *  dilation 1, groups 1; depthwise: 1-D or 2-D with groups == in_channels;
 *  AUTO and REFERENCE: always). */
int32_t fovea_conv_algorithm_supported(const fovea_conv_desc *desc,
                                       fovea_conv_algorithm algorithm);
/** The algorithm AUTO picks for `desc` at the active ISA level and thread
 *  count, for weights that come from memory on every call (a convolution
 *  inside a large model). On cores where that was measured (Zen 4), more
 *  threads share one memory bus, which favours smaller Winograd tiles where
 *  the weights are large. */
fovea_conv_algorithm fovea_conv_algorithm_choose(const fovea_conv_desc *desc);
/** The same for a convolution that runs in a model whose weights take
 *  `model_weight_bytes` in all (its own weights' bytes when it runs alone):
 *  weights small enough to stay in the last-level cache from call to call
 *  may favour an algorithm with more of them (a larger Winograd tile). */
fovea_conv_algorithm fovea_conv_algorithm_choose_in_model(const fovea_conv_desc *desc,
                                                          int64_t model_weight_bytes);
/** Whether fovea_conv_algorithm_choose_in_model takes the weights of a model of
 *  `model_weight_bytes` as staying in cache (1) or coming from memory (0):
 *  cached when, packed as F(6x6) and its F(4x4) edge strips pack them (100
 *  values for every 9), they fit in the last-level cache; unknown sizes (0 or
 *  less) and caches the CPU does not describe count as memory. */
int32_t fovea_conv_weights_stay_cached(int64_t model_weight_bytes);
/** Switches Winograd off (0) or on (1) for AUTO, process-wide. Explicit requests still get it. */
void fovea_conv_winograd_set_enabled(int32_t enabled);
int32_t fovea_conv_winograd_enabled(void);

/** Packs w (and bias, out_channels values or NULL) for `algorithm`. AUTO resolves
 *  here, from the whole descriptor (the sizes decide between Winograd tiles and
 *  direct); otherwise only the channel, kernel, stride, dilation, groups and
 *  activation fields matter, and batch, sizes and padding are given at run time. */
fovea_status fovea_conv_plan_create(const fovea_conv_desc *desc, fovea_conv_algorithm algorithm,
                                    const float *w, const float *bias, fovea_conv_plan **plan);
/** The same for a convolution that runs in a model of `model_weight_bytes` of
 *  weights (as fovea_conv_algorithm_choose_in_model): where they stay in
 *  cache, the plan drops the prefetching that hides weights coming from memory. */
fovea_status fovea_conv_plan_create_in_model(const fovea_conv_desc *desc, fovea_conv_algorithm algorithm,
                                             const float *w, const float *bias, int64_t model_weight_bytes,
                                             fovea_conv_plan **plan);
void fovea_conv_plan_destroy(fovea_conv_plan *plan);
/** The algorithm the plan runs (never AUTO). */
fovea_conv_algorithm fovea_conv_plan_algorithm(const fovea_conv_plan *plan);
/** Workspace bytes run needs for the sizes in desc. */
fovea_status fovea_conv_plan_workspace_size(const fovea_conv_plan *plan,
                                            const fovea_conv_desc *desc, size_t *bytes);
/** y = act(conv(x, w) + bias) for the sizes and padding in desc (its channel and
 *  kernel fields must match the plan's). */
fovea_status fovea_conv_plan_run(const fovea_conv_plan *plan, const fovea_conv_desc *desc,
                                 const float *x, float *y, void *workspace,
                                 size_t workspace_bytes);
/** y = act(conv(x, w) + bias + residual): a residual connection's sum (and the
 *  activation after it) fused into the convolution's output stage. The plan's
 *  own activation must be none; residual has y's shape and must not overlap
 *  it, unless it is y itself where fovea_conv_plan_adds_residual_in_place says
 *  so (otherwise INVALID_ARGUMENT). Direct, GEMM and Winograd plans add the
 *  residual tile by tile while the tile is in cache; depthwise and reference
 *  plans in one pass after the convolution. */
fovea_status fovea_conv_plan_run_residual(const fovea_conv_plan *plan, const fovea_conv_desc *desc,
                                          const float *x, const float *residual,
                                          const fovea_activation *activation, float *y, void *workspace,
                                          size_t workspace_bytes);
/** *in_place = 1 when fovea_conv_plan_run_residual may be given residual == y
 *  for the sizes in desc (the sum written over the residual: one buffer read
 *  and written, where a separate output is read for ownership, written and
 *  the residual read besides), else 0. Each output element is then read and
 *  written once, by the tile that computes it: Winograd plans, and GEMM plans
 *  and direct plans that do not split the depth on CPU levels whose
 *  microkernels add the residual (not the portable scalar one). x must not
 *  overlap y. */
fovea_status fovea_conv_plan_adds_residual_in_place(const fovea_conv_plan *plan, const fovea_conv_desc *desc,
                                                    int *in_place);
/** A depthwise-separable block: the depthwise plan (groups == in_channels) and
 *  then the pointwise plan (1x1, stride 1, unpadded, groups 1), computed a few
 *  output rows at a time so that the intermediate activation stays in cache
 *  and never exists whole. depthwise_desc and pointwise_desc give the sizes;
 *  the pointwise input is the depthwise output. */
fovea_status fovea_conv_separable_workspace_size(const fovea_conv_plan *depthwise,
                                                 const fovea_conv_desc *depthwise_desc,
                                                 const fovea_conv_plan *pointwise,
                                                 const fovea_conv_desc *pointwise_desc,
                                                 size_t *bytes);
fovea_status fovea_conv_separable_run(const fovea_conv_plan *depthwise,
                                      const fovea_conv_desc *depthwise_desc,
                                      const fovea_conv_plan *pointwise,
                                      const fovea_conv_desc *pointwise_desc, const float *x,
                                      float *y, void *workspace, size_t workspace_bytes);
/** MobileNet v2's inverted residual: a 1x1
 *  expansion (expand: 1x1, stride 1, unpadded, groups 1, a GEMM plan), the
 *  depthwise plan and the 1x1 projection, computed a few output rows at a time
 *  so that neither the expanded nor the depthwise activation ever exists
 *  whole. The depthwise padding must be shorter than its window along the
 *  height (always so for SAME padding). expand_desc's output is the depthwise
 *  input, and so on. */
fovea_status fovea_conv_inverted_residual_workspace_size(
    const fovea_conv_plan *expand, const fovea_conv_desc *expand_desc, const fovea_conv_plan *depthwise,
    const fovea_conv_desc *depthwise_desc, const fovea_conv_plan *project, const fovea_conv_desc *project_desc,
    size_t *bytes);
/** residual: NULL, or the block's shortcut (y's shape, not overlapping y), added
 *  after the projection with `activation` applied to the sum (the projection's
 *  own activation must then be none; see fovea_conv_plan_run_residual). */
fovea_status fovea_conv_inverted_residual_run(
    const fovea_conv_plan *expand, const fovea_conv_desc *expand_desc, const fovea_conv_plan *depthwise,
    const fovea_conv_desc *depthwise_desc, const fovea_conv_plan *project, const fovea_conv_desc *project_desc,
    const float *x, const float *residual, const fovea_activation *activation, float *y, void *workspace,
    size_t workspace_bytes);
/** Times every supported algorithm on `desc` once (random data, the active
 *  thread count) and returns the fastest; the answer is cached per problem,
 *  ISA level and thread count. */
fovea_status fovea_conv_autotune(const fovea_conv_desc *desc, fovea_conv_algorithm *best);

/* ------------------------------------------------------------------------ */
/* Pooling, 1-D to 3-D, channels-last                                        */
/* ------------------------------------------------------------------------ */

/*
 * x [N, in_size..., channels] -> y [N, out_size..., channels]; spatial arrays as
 * for convolution. out_size is given (ceil mode only changes it). Window taps
 * at o*stride - pad_begin + k*dilation.
 *  max: taps outside x are ignored.
 *  avg: sum of taps inside x divided by the number of taps inside x
 *       (count_include_pad = 0), or by the number inside [-pad_begin, in + pad_end)
 *       (count_include_pad = 1; taps past the end padding never count).
 *  lp:  (sum over taps inside x of |x|^p)^(1/p).
 */
typedef struct fovea_pool_desc {
    int64_t batch;
    int64_t channels;
    int64_t in_size[3];
    int64_t out_size[3];
    int64_t kernel[3];
    int64_t stride[3];
    int64_t dilation[3];
    int64_t pad_begin[3];
    int64_t pad_end[3];
    int32_t count_include_pad;
    float p;
} fovea_pool_desc;

fovea_status fovea_pool_max_forward(const fovea_pool_desc *desc, const float *x, float *y);
fovea_status fovea_pool_avg_forward(const fovea_pool_desc *desc, const float *x, float *y);
fovea_status fovea_pool_lp_forward(const fovea_pool_desc *desc, const float *x, float *y);
/** dx receives each dy at its window's first arg-max, accumulated; dx is overwritten. */
fovea_status fovea_pool_max_backward(const fovea_pool_desc *desc, const float *x,
                                     const float *dy, float *dx);
/** dx receives dy / divisor over each window (divisor as in the forward pass). */
fovea_status fovea_pool_avg_backward(const fovea_pool_desc *desc, const float *dy, float *dx);
/** x [N, spatial, channels] -> y [N, channels]. */
fovea_status fovea_pool_global_avg_forward(int64_t batch, int64_t spatial, int64_t channels,
                                           const float *x, float *y);
fovea_status fovea_pool_global_max_forward(int64_t batch, int64_t spatial, int64_t channels,
                                           const float *x, float *y);

fovea_status fovea_reference_pool_max_forward(const fovea_pool_desc *desc, const float *x, float *y);
fovea_status fovea_reference_pool_avg_forward(const fovea_pool_desc *desc, const float *x, float *y);
fovea_status fovea_reference_pool_lp_forward(const fovea_pool_desc *desc, const float *x, float *y);
fovea_status fovea_reference_pool_max_backward(const fovea_pool_desc *desc, const float *x,
                                               const float *dy, float *dx);
fovea_status fovea_reference_pool_avg_backward(const fovea_pool_desc *desc, const float *dy,
                                               float *dx);
fovea_status fovea_reference_pool_global_avg_forward(int64_t batch, int64_t spatial,
                                                     int64_t channels, const float *x, float *y);
fovea_status fovea_reference_pool_global_max_forward(int64_t batch, int64_t spatial,
                                                     int64_t channels, const float *x, float *y);

/* ------------------------------------------------------------------------ */
/* Normalisation, channels-last: x viewed as [rows, channels]                */
/* ------------------------------------------------------------------------ */

/** y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel. */
fovea_status fovea_batchnorm_forward_inference(int64_t rows, int64_t channels, const float *x,
                                               const float *mean, const float *variance,
                                               const float *scale, const float *bias,
                                               float epsilon, float *y);
/** Batch mean and biased variance per channel over all rows. */
fovea_status fovea_batchnorm_statistics(int64_t rows, int64_t channels, const float *x,
                                        float *mean, float *variance);
/** Gradients of batch normalisation y = (x - mean) / sqrt(variance + epsilon) * scale + offset
 *  given dy. With batch_statistics = 1, mean and variance are the batch's own (biased), so
 *  they depend on x: dx = a (dy - sum(dy)/rows - xhat sum(dy xhat)/rows), a = scale/sqrt(var+eps);
 *  with 0 they are fixed: dx = a dy. Always dscale = sum(dy xhat), doffset = sum(dy), summed
 *  over the rows (in double). dx, dscale and doffset are overwritten. */
fovea_status fovea_batchnorm_backward(int64_t rows, int64_t channels, const float *x, const float *dy,
                                      const float *mean, const float *variance, const float *scale,
                                      float epsilon, int32_t batch_statistics, float *dx,
                                      float *dscale, float *doffset);
/** x [N, spatial, channels]: mean and biased variance per (n, c) over space. */
fovea_status fovea_instancenorm_forward(int64_t batch, int64_t spatial, int64_t channels,
                                        const float *x, const float *scale, const float *bias,
                                        float epsilon, float *y);

fovea_status fovea_reference_batchnorm_forward_inference(int64_t rows, int64_t channels,
                                                         const float *x, const float *mean,
                                                         const float *variance,
                                                         const float *scale, const float *bias,
                                                         float epsilon, float *y);
fovea_status fovea_reference_batchnorm_statistics(int64_t rows, int64_t channels, const float *x,
                                                  float *mean, float *variance);
fovea_status fovea_reference_batchnorm_backward(int64_t rows, int64_t channels, const float *x,
                                                const float *dy, const float *mean,
                                                const float *variance, const float *scale,
                                                float epsilon, int32_t batch_statistics,
                                                float *dx, float *dscale, float *doffset);
fovea_status fovea_reference_instancenorm_forward(int64_t batch, int64_t spatial,
                                                  int64_t channels, const float *x,
                                                  const float *scale, const float *bias,
                                                  float epsilon, float *y);

/* ------------------------------------------------------------------------ */
/* Activations                                                               */
/* ------------------------------------------------------------------------ */

/** y = act(x) elementwise; y may equal x. */
fovea_status fovea_activation_forward(const fovea_activation *activation, int64_t count,
                                      const float *x, float *y);
/** x [rows, channels]: y = x < 0 ? slope[c]*x : x; y may equal x. */
fovea_status fovea_prelu_forward(int64_t rows, int64_t channels, const float *x,
                                 const float *slope, float *y);
/** x [outer, axis, inner]: softmax along the middle axis. */
fovea_status fovea_softmax_forward(int64_t outer, int64_t axis, int64_t inner, const float *x,
                                   float *y);

fovea_status fovea_reference_activation_forward(const fovea_activation *activation,
                                                int64_t count, const float *x, float *y);
fovea_status fovea_reference_prelu_forward(int64_t rows, int64_t channels, const float *x,
                                           const float *slope, float *y);
fovea_status fovea_reference_softmax_forward(int64_t outer, int64_t axis, int64_t inner,
                                             const float *x, float *y);

/* ------------------------------------------------------------------------ */
/* Elementwise binary operations with broadcasting                           */
/* ------------------------------------------------------------------------ */

#define FOVEA_MAX_RANK 8

typedef enum fovea_binary_op {
    FOVEA_BINARY_ADD = 0,
    FOVEA_BINARY_SUBTRACT,
    FOVEA_BINARY_MULTIPLY,
    FOVEA_BINARY_DIVIDE,
    FOVEA_BINARY_MAXIMUM,
    FOVEA_BINARY_MINIMUM
} fovea_binary_op;

/** y[i] = a[i . a_strides] op b[i . b_strides] over y's shape (rank <= FOVEA_MAX_RANK);
 *  a stride of 0 broadcasts that axis. Strides are in elements. */
fovea_status fovea_binary_forward(fovea_binary_op op, int32_t rank, const int64_t *shape,
                                  const float *a, const int64_t *a_strides, const float *b,
                                  const int64_t *b_strides, float *y);
fovea_status fovea_reference_binary_forward(fovea_binary_op op, int32_t rank,
                                            const int64_t *shape, const float *a,
                                            const int64_t *a_strides, const float *b,
                                            const int64_t *b_strides, float *y);

/* ------------------------------------------------------------------------ */
/* Data movement: transpose, pad, concat, depth/space                        */
/* ------------------------------------------------------------------------ */

/** y = x with axes permuted: y.shape[i] = shape[perm[i]]. rank <= FOVEA_MAX_RANK. */
fovea_status fovea_transpose(int32_t rank, const int64_t *shape, const int32_t *perm,
                             const float *x, float *y);

typedef enum fovea_pad_mode {
    FOVEA_PAD_CONSTANT = 0,
    FOVEA_PAD_REFLECT, /* mirror without repeating the edge (needs pad < size) */
    FOVEA_PAD_EDGE,    /* repeat the border value */
    FOVEA_PAD_WRAP     /* periodic */
} fovea_pad_mode;

/** Pads every axis of x [shape] by begin/end (non-negative) into y. */
fovea_status fovea_pad_forward(fovea_pad_mode mode, int32_t rank, const int64_t *shape,
                               const int64_t *pad_begin, const int64_t *pad_end, float value,
                               const float *x, float *y);

/** Inputs viewed as [outer, axis_sizes[i], inner]; y [outer, sum(axis_sizes), inner]. */
fovea_status fovea_concat_forward(int32_t count, const float *const *inputs,
                                  const int64_t *axis_sizes, int64_t outer, int64_t inner,
                                  float *y);

typedef enum fovea_depth_space_mode {
    FOVEA_DEPTH_SPACE_DCR = 0, /* depth-column-row (TensorFlow, ONNX default) */
    FOVEA_DEPTH_SPACE_CRD = 1  /* column-row-depth (PyTorch pixel_shuffle) */
} fovea_depth_space_mode;

/** x [N, H, W, C] -> y [N, H*b, W*b, C/(b*b)]. */
fovea_status fovea_depth_to_space(fovea_depth_space_mode mode, int64_t batch, int64_t height,
                                  int64_t width, int64_t channels, int64_t block, const float *x,
                                  float *y);
/** x [N, H, W, C] -> y [N, H/b, W/b, C*b*b]; the exact inverse of depth_to_space. */
fovea_status fovea_space_to_depth(fovea_depth_space_mode mode, int64_t batch, int64_t height,
                                  int64_t width, int64_t channels, int64_t block, const float *x,
                                  float *y);

fovea_status fovea_reference_transpose(int32_t rank, const int64_t *shape, const int32_t *perm,
                                       const float *x, float *y);
fovea_status fovea_reference_pad_forward(fovea_pad_mode mode, int32_t rank, const int64_t *shape,
                                         const int64_t *pad_begin, const int64_t *pad_end,
                                         float value, const float *x, float *y);
fovea_status fovea_reference_concat_forward(int32_t count, const float *const *inputs,
                                            const int64_t *axis_sizes, int64_t outer,
                                            int64_t inner, float *y);
fovea_status fovea_reference_depth_to_space(fovea_depth_space_mode mode, int64_t batch,
                                            int64_t height, int64_t width, int64_t channels,
                                            int64_t block, const float *x, float *y);
fovea_status fovea_reference_space_to_depth(fovea_depth_space_mode mode, int64_t batch,
                                            int64_t height, int64_t width, int64_t channels,
                                            int64_t block, const float *x, float *y);

/* ------------------------------------------------------------------------ */
/* Resize (2-D, NHWC)                                                        */
/* ------------------------------------------------------------------------ */

typedef enum fovea_resize_mode {
    FOVEA_RESIZE_NEAREST = 0,
    FOVEA_RESIZE_LINEAR = 1
} fovea_resize_mode;

typedef enum fovea_coordinate_mode {
    FOVEA_COORDINATE_HALF_PIXEL = 0,         /* (x + 0.5)/s - 0.5 */
    FOVEA_COORDINATE_PYTORCH_HALF_PIXEL = 1, /* out > 1 ? (x + 0.5)/s - 0.5 : 0 */
    FOVEA_COORDINATE_ALIGN_CORNERS = 2,      /* out > 1 ? x*(in-1)/(out-1) : 0 */
    FOVEA_COORDINATE_ASYMMETRIC = 3,         /* x/s */
    FOVEA_COORDINATE_HALF_PIXEL_SYMMETRIC = 4
} fovea_coordinate_mode;

typedef enum fovea_nearest_mode {
    FOVEA_NEAREST_ROUND_PREFER_FLOOR = 0,
    FOVEA_NEAREST_ROUND_PREFER_CEIL = 1,
    FOVEA_NEAREST_FLOOR = 2,
    FOVEA_NEAREST_CEIL = 3
} fovea_nearest_mode;

typedef struct fovea_resize_desc {
    int64_t batch, channels;
    int64_t in_height, in_width;
    int64_t out_height, out_width;
    double scale_height, scale_width; /* the "s" of the coordinate formulas */
    fovea_resize_mode mode;
    fovea_coordinate_mode coordinate_mode;
    fovea_nearest_mode nearest_mode;
} fovea_resize_desc;

fovea_status fovea_resize_forward(const fovea_resize_desc *desc, const float *x, float *y);
fovea_status fovea_reference_resize_forward(const fovea_resize_desc *desc, const float *x,
                                            float *y);

/* ------------------------------------------------------------------------ */
/* Gram matrices (style transfer), channels-last                             */
/* ------------------------------------------------------------------------ */

/** Workspace bytes fovea_gram_forward needs (may be 0). */
fovea_status fovea_gram_forward_workspace_size(int64_t spatial, int64_t channels, size_t *bytes);
/** x [N, spatial, C] (F = x[n] transposed, C x spatial): g[n] = scale * F F^T, [N, C, C].
 *  Computes one triangle and mirrors it (the result is exactly symmetric). */
fovea_status fovea_gram_forward(int64_t batch, int64_t spatial, int64_t channels, float scale,
                                const float *x, float *g, void *workspace, size_t workspace_bytes);
/** dx[n] = scale * (dg[n] + dg[n]^T) F, laid out [N, spatial, C]; dx is overwritten. */
fovea_status fovea_gram_backward(int64_t batch, int64_t spatial, int64_t channels, float scale,
                                 const float *x, const float *dg, float *dx);

fovea_status fovea_reference_gram_forward(int64_t batch, int64_t spatial, int64_t channels,
                                          float scale, const float *x, float *g);
fovea_status fovea_reference_gram_backward(int64_t batch, int64_t spatial, int64_t channels,
                                           float scale, const float *x, const float *dg,
                                           float *dx);

/* ------------------------------------------------------------------------ */
/* Small dense linear algebra (Eigen)                                        */
/* ------------------------------------------------------------------------ */

/** Eigen-decomposition of a symmetric n x n row-major matrix (n <= 64):
 *  eigenvalues ascending, eigenvectors as columns of a row-major n x n matrix. */
fovea_status fovea_linalg_symmetric_eigen(int32_t n, const double *matrix, double *eigenvalues,
                                          double *eigenvectors);

#ifdef __cplusplus
}
#endif

#endif /* FOVEA_KERNELS_H */
