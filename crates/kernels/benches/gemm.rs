//! GEMM throughput (criterion; throughput in FLOP/s = 2mnk per call): native vs faer at 1 and
//! 2 threads, and the naive f64 loop on the small squares, on squares 64..2048 and on the four
//! GEMMs of training a 784-128-10 MLP at batch 32, 128 and 512.
//!
//! Run: `cargo bench -p descent-kernels` (filter, e.g. `-- mlp/output`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent_kernels::{Backend, Mat, Op, Par, gemm_reference, gemm_with};
use descent_rng::Rng;

/// `C[m x n] = op_a(A) op_b(B)` with inner dimension `k`.
struct Shape {
    name: String,
    m: usize,
    n: usize,
    k: usize,
    op_a: Op,
    op_b: Op,
}

impl Shape {
    fn operands(&self) -> (Mat, Mat) {
        let mut rng = Rng::seed_from(1);
        let mut random = |r, c| Mat::from_fn(r, c, |_, _| rng.uniform_range(-1.0, 1.0));
        let a = match self.op_a {
            Op::Identity => random(self.m, self.k),
            Op::Transpose => random(self.k, self.m),
        };
        let b = match self.op_b {
            Op::Identity => random(self.k, self.n),
            Op::Transpose => random(self.n, self.k),
        };
        (a, b)
    }
}

fn squares() -> Vec<Shape> {
    [64, 128, 256, 512, 1024, 2048]
        .map(|s| Shape {
            name: s.to_string(),
            m: s,
            n: s,
            k: s,
            op_a: Op::Identity,
            op_b: Op::Identity,
        })
        .into()
}

fn mlp_shapes() -> Vec<Shape> {
    let (id, tr) = (Op::Identity, Op::Transpose);
    let mut out = Vec::new();
    for b in [32, 128, 512] {
        let shape = |what: &str, m, n, k, op_a, op_b| Shape {
            name: format!("{what}/B={b}"),
            m,
            n,
            k,
            op_a,
            op_b,
        };
        out.push(shape("forward", b, 128, 784, id, id));
        out.push(shape("weight_grad", 784, 128, b, tr, id));
        out.push(shape("input_grad", b, 784, 128, id, tr));
        out.push(shape("output", b, 10, 128, id, id));
    }
    out
}

fn run(c: &mut Criterion, group_name: &str, shapes: Vec<Shape>) {
    let mut group = c.benchmark_group(group_name);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    for shape in shapes {
        let flops = 2 * shape.m * shape.n * shape.k;
        group.throughput(Throughput::Elements(flops as u64));
        group.sample_size(if flops > 1 << 30 { 10 } else { 30 });
        let (a, b) = shape.operands();
        let mut out = Mat::zeros(shape.m, shape.n);
        for (label, backend) in [("native", Backend::Native), ("faer", Backend::Faer)] {
            for threads in [1, 2] {
                let id = BenchmarkId::new(format!("{label}/{threads}t"), &shape.name);
                group.bench_function(id, |bench| {
                    bench.iter(|| {
                        gemm_with(
                            backend,
                            out.as_mut(),
                            0.0,
                            1.0,
                            black_box(a.as_ref()),
                            shape.op_a,
                            black_box(b.as_ref()),
                            shape.op_b,
                            Par::threads(threads),
                        )
                    })
                });
            }
        }
        if shape.m * shape.n * shape.k <= 128 * 128 * 128 {
            group.bench_function(BenchmarkId::new("naive", &shape.name), |bench| {
                bench.iter(|| {
                    gemm_reference(
                        out.as_mut(),
                        0.0,
                        1.0,
                        black_box(a.as_ref()),
                        shape.op_a,
                        black_box(b.as_ref()),
                        shape.op_b,
                    )
                })
            });
        }
    }
    group.finish();
}

fn gemm_benches(c: &mut Criterion) {
    run(c, "square", squares());
    run(c, "mlp", mlp_shapes());
}

criterion_group!(benches, gemm_benches);
criterion_main!(benches);
