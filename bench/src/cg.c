/* A conjugate-gradient mini-app in the manner of HPCCG (our own code): `cg NX NY NZ ITERATIONS` builds the
 * 27-point-stencil matrix of an NX x NY x NZ grid (27 on the diagonal, -1 for each neighbour, rows in CSR
 * form), takes b = A * ones, and runs ITERATIONS steps of unpreconditioned CG from x = 0 with OpenMP
 * (OMP_NUM_THREADS threads): a sparse matrix-vector product, three vector updates and two dot products per
 * step. It prints the residual and the error against the exact solution: runs with the same
 * thread count print the same text on any machine (the dot products add their threads' shares in a fixed
 * order), and the time of the solve alone on stderr.
 * Built with gcc -fopenmp -static -O2 (bench/run.sh). */
// bench-cflags: -fopenmp
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct csr {
	int rows;
	int *start; /* rows + 1 */
	int *col;
	double *val;
};

static struct csr stencil(int nx, int ny, int nz)
{
	struct csr a;
	a.rows = nx * ny * nz;
	a.start = malloc(sizeof(int) * (a.rows + 1));
	a.col = malloc(sizeof(int) * 27 * (size_t)a.rows);
	a.val = malloc(sizeof(double) * 27 * (size_t)a.rows);
	int k = 0;
	for (int z = 0; z < nz; z++)
		for (int y = 0; y < ny; y++)
			for (int x = 0; x < nx; x++) {
				int row = (z * ny + y) * nx + x;
				a.start[row] = k;
				for (int dz = -1; dz <= 1; dz++)
					for (int dy = -1; dy <= 1; dy++)
						for (int dx = -1; dx <= 1; dx++) {
							int X = x + dx, Y = y + dy, Z = z + dz;
							if (X < 0 || X >= nx || Y < 0 || Y >= ny || Z < 0 || Z >= nz)
								continue;
							a.col[k] = (Z * ny + Y) * nx + X;
							a.val[k] = a.col[k] == row ? 27.0 : -1.0;
							k++;
						}
			}
	a.start[a.rows] = k;
	return a;
}

static void spmv(const struct csr *a, const double *x, double *y)
{
#pragma omp parallel for schedule(static)
	for (int i = 0; i < a->rows; i++) {
		double s = 0;
		for (int k = a->start[i]; k < a->start[i + 1]; k++)
			s += a->val[k] * x[a->col[k]];
		y[i] = s;
	}
}

/* A dot product whose rounding depends on the thread count only: each thread sums its static share, and the
 * shares are added in thread order (an OpenMP reduction adds them in the order threads finish). */
static double dot(int n, const double *x, const double *y)
{
	double part[256] = {0};
#pragma omp parallel
	{
		double s = 0;
#pragma omp for schedule(static)
		for (int i = 0; i < n; i++)
			s += x[i] * y[i];
		part[omp_get_thread_num() & 255] = s;
	}
	double s = 0;
	for (int t = 0; t < 256; t++)
		s += part[t];
	return s;
}

/* w = alpha * x + beta * y */
static void waxpby(int n, double alpha, const double *x, double beta, const double *y, double *w)
{
#pragma omp parallel for schedule(static)
	for (int i = 0; i < n; i++)
		w[i] = alpha * x[i] + beta * y[i];
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: cg NX NY NZ ITERATIONS\n");
		return 2;
	}
	int nx = atoi(argv[1]), ny = atoi(argv[2]), nz = atoi(argv[3]), iterations = atoi(argv[4]);
	struct csr a = stencil(nx, ny, nz);
	int n = a.rows;
	double *x = calloc(n, sizeof(double)), *b = malloc(n * sizeof(double)), *r = malloc(n * sizeof(double));
	double *p = malloc(n * sizeof(double)), *ap = malloc(n * sizeof(double)), *ones = malloc(n * sizeof(double));
	for (int i = 0; i < n; i++)
		ones[i] = 1.0;
	spmv(&a, ones, b);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	waxpby(n, 1.0, b, 0.0, b, r); /* r = b - A*0 */
	waxpby(n, 1.0, r, 0.0, r, p);
	double rr = dot(n, r, r), rr_old = rr;
	for (int it = 0; it < iterations; it++) {
		if (it > 0)
			waxpby(n, 1.0, r, rr / rr_old, p, p);
		spmv(&a, p, ap);
		double alpha = rr / dot(n, p, ap);
		waxpby(n, 1.0, x, alpha, p, x);
		waxpby(n, 1.0, r, -alpha, ap, r);
		rr_old = rr;
		rr = dot(n, r, r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double err = 0;
	for (int i = 0; i < n; i++)
		err = fmax(err, fabs(x[i] - 1.0));
	printf("cg: %dx%dx%d, %d rows, %d nonzeros, %d iterations, %d threads\n", nx, ny, nz, n, a.start[n], iterations,
	       omp_get_max_threads());
	printf("cg: residual %.3e, max error %.3e\n", sqrt(rr), err);
	fprintf(stderr, "cg_solve_seconds %.6f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
	return 0;
}
