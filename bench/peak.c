/*
 * The machine's FP32 peak, measured: every thread runs independent fused multiply-adds of the
 * widest vectors the CPU has (AVX-512 where -march=native enables it, else AVX2 with FMA: CPUs
 * differ between our machines), 16 accumulators (12 with AVX2's 16 registers), enough to cover the
 * FMA latency on two ports, for
 * about a second; the best of five runs is printed in GFLOP/s (2 FLOP per lane per FMA).
 * bench/run.sh builds it with gcc.
 *
 * Build: gcc -O3 -march=native -fopenmp bench/peak.c -o peak; run: OMP_NUM_THREADS=2 ./peak
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define ACC 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
static float sum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec;
#define LANES 8
#define ACC 12  /* 16 ymm registers: 12 accumulators, the two constants, no spills */
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
static float sum(vec v) {
    float f[8];
    _mm256_storeu_ps(f, v);
    return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#else
#error "needs AVX-512 or AVX2 with FMA"
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    const long iters = 40000000;
    double best = 0, sink = 0;
    for (int run = 0; run < 5; run++) {
        double start = now();
#pragma omp parallel reduction(+ : sink)
        {
            vec acc[ACC];
            const vec scale = SET1(0.9999999f), add = SET1(1e-7f);
            for (int k = 0; k < ACC; k++) {
                acc[k] = SET1((float) k);
            }
            for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
                for (int k = 0; k < ACC; k++) {
                    acc[k] = FMA(acc[k], scale, add);
                }
            }
            for (int k = 0; k < ACC; k++) {
                sink += sum(acc[k]);  // keeps the work from being optimised away
            }
        }
        double gflops = (double) iters * ACC * 2 * LANES * omp_get_max_threads() / (now() - start) / 1e9;
        best = gflops > best ? gflops : best;
    }
    printf("%.1f\n", best);
    fprintf(stderr, "%d-lane FMA\n", LANES);
    fprintf(stderr, "(%g)\n", sink);
    return 0;
}
