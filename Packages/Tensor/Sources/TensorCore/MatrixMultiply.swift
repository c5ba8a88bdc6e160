#if canImport(Glibc)
import Glibc
#endif
import _CBLAS

/// Thin, typed access to OpenBLAS (`cblas_sgemm`) and its configuration.
public enum BLAS {
    /// Row-major single-precision GEMM on raw buffers:
    /// `C ← alpha · op(A) · op(B) + beta · C`, with `op(X) = Xᵀ` when the flag is set.
    ///
    /// Shapes (row-major, leading dimension = distance between consecutive rows):
    /// - `op(A)` is `m × k`: A is stored `m × k` (lda ≥ k) or, transposed, `k × m` (lda ≥ m);
    /// - `op(B)` is `k × n`: B is stored `k × n` (ldb ≥ n) or, transposed, `n × k` (ldb ≥ k);
    /// - C is `m × n` (ldc ≥ n).
    ///
    /// `beta = 0` overwrites C (its previous contents, even NaN, are ignored); `beta = 1`
    /// accumulates, which the convolution backward pass uses to sum over batch images.
    /// Uses ``Parallel/threadCount`` OpenBLAS threads.
    ///
    /// - Precondition: `m, n, k ≥ 0` and leading dimensions as above.
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
        precondition(lda >= Swift.max(1, transposeA ? m : k), "sgemm: lda \(lda) too small")
        precondition(ldb >= Swift.max(1, transposeB ? k : n), "sgemm: ldb \(ldb) too small")
        precondition(ldc >= Swift.max(1, n), "sgemm: ldc \(ldc) too small")
        if m == 0 || n == 0 { return }
        BLASGate.shared {
            cblas_sgemm(
                CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// Runs `count` independent BLAS calls `body(0) … body(count − 1)` side by side: the indices
    /// are split into ``Parallel/threadCount`` contiguous runs, each run on its own core with
    /// OpenBLAS set to one thread, which is restored afterwards. With one thread the calls run
    /// in order with OpenBLAS's own threading.
    ///
    /// For many medium GEMMs, such as Winograd's α² transform-domain products
    /// (`[256, 256] · [256, 64]` at the 32×32 maps of 128² training crops), this beats splitting
    /// each GEMM over the cores: measured alternately on 2 cores (issue 15), the Winograd forward,
    /// input and weight gradient 5–25 % faster, a SaliencyNet training iteration 1.08× and the
    /// ngf-32 generator at 1024² 1.14× (medians of 5 pairs). `body(i)` must write only its own
    /// output. OpenBLAS's thread setting is process-wide, so the calls hold the BLAS gate
    /// exclusively: products started meanwhile on other threads wait for the calls to end instead
    /// of running with one thread (and rounding differently). Nested inside another
    /// `concurrentCalls` the calls run in order.
    public static func concurrentCalls(count: Int, _ body: (Int) -> Void) {
        guard Parallel.threadCount > 1 && count > 1 && !BLASGate.isInside else {
            for i in 0..<Swift.max(0, count) { body(i) }
            return
        }
        BLASGate.exclusive {
            let threads = Parallel.threadCount
            openblas_set_num_threads(1)
            defer { openblas_set_num_threads(Int32(clamping: threads)) }
            Parallel.forEachChunk(count: count, minimumChunk: 1) { run in
                BLASGate.passThrough {
                    for i in run { body(i) }
                }
            }
        }
    }

    /// OpenBLAS's thread setting as a product started now sees it (`openblas_get_num_threads()` read under the
    /// BLAS gate, so never the one-thread setting of another thread's ``concurrentCalls(count:_:)``).
    public static var openBLASThreadCount: Int {
        BLASGate.shared { Int(openblas_get_num_threads()) }
    }

    /// The busy-wait tools set at start-up: 2¹⁰ cycles (≈ 0.3 µs) instead of OpenBLAS's
    /// default 2²⁸ (≈ 0.1 s).
    public static let defaultWorkerSpinTimeoutLog2Cycles = 10

    /// Sets how long OpenBLAS's idle worker threads busy-wait (a `sched_yield` loop) for the
    /// next call before they sleep: `2^log2Cycles` cycles, clamped by OpenBLAS to 2⁴…2³⁰
    /// (`OPENBLAS_THREAD_TIMEOUT`). With OpenBLAS's default (2²⁸ cycles, ≈ 0.1 s) a worker keeps
    /// spinning through the Swift kernels that run between two sgemm calls (Winograd transforms,
    /// normalisation, im2col…) and takes CPU time from their own threads: on 2 cores the ResNet
    /// generator forward at 256² took 0.41 s with the default and 0.32 s with a short timeout
    /// (docs/nn.md). Does nothing when the environment already sets `OPENBLAS_THREAD_TIMEOUT`.
    ///
    /// Restarts OpenBLAS's thread server: call it once at start-up, before any BLAS call and
    /// never while one may run on another thread (so the library does not call it by itself;
    /// `sn-bench` does, and so should every tool that trains or runs networks).
    public static func setWorkerSpinTimeout(log2Cycles: Int) {
        if getenv("OPENBLAS_THREAD_TIMEOUT") != nil { return }
        BLASGate.exclusive {
            setenv("OPENBLAS_THREAD_TIMEOUT", "\(Swift.min(30, Swift.max(4, log2Cycles)))", 1)
            openblas_read_env()
            _ = blas_thread_shutdown_()
            unsetenv("OPENBLAS_THREAD_TIMEOUT")
        }
    }

    /// OpenBLAS's build configuration string (`openblas_get_config()`), e.g.
    /// `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"`.
    public static var configuration: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p).trimmingSpaces()
    }

    /// The kernel set OpenBLAS chose for this CPU at run time (`openblas_get_corename()`),
    /// e.g. `"Haswell"` or `"Zen"`.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p).trimmingSpaces()
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

extension Tensor {
    /// The result shape `[m, n]` of `op(a) · op(b)` for rank-2 shapes, where `op(x)` swaps the
    /// two extents when the matching transpose flag is set.
    /// - Throws: ``ShapeError``, e.g. `"matmul: inner dimensions differ: [2, 3] · [4, 5]"` or
    ///   `"matmul: expected rank-2 operands, got [2, 3, 4] and [4, 5]"`.
    public static func matmulShape(
        _ a: [Int], _ b: [Int], transposeA: Bool = false, transposeB: Bool = false
    ) throws -> [Int] {
        guard a.count == 2, b.count == 2 else {
            throw ShapeError("matmul: expected rank-2 operands, got \(a) and \(b)")
        }
        let (m, ka) = transposeA ? (a[1], a[0]) : (a[0], a[1])
        let (kb, n) = transposeB ? (b[1], b[0]) : (b[0], b[1])
        guard ka == kb else {
            let ta = transposeA ? "ᵀ" : "", tb = transposeB ? "ᵀ" : ""
            throw ShapeError("matmul: inner dimensions differ: \(a)\(ta) · \(b)\(tb) (\(ka) vs \(kb))")
        }
        return [m, n]
    }

    /// Matrix product `op(a) · op(b)` of rank-2 tensors through `cblas_sgemm`, with
    /// `op(x) = xᵀ` when the flag is set: `[m, k] · [k, n] → [m, n]`,
    /// `out[i, j] = Σ_p op(a)[i, p] · op(b)[p, j]`.
    /// - Precondition: rank-2 operands with matching inner dimension (see ``matmulShape(_:_:transposeA:transposeB:)``).
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        let outShape: [Int]
        do {
            outShape = try matmulShape(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
        } catch let error as ShapeError {
            preconditionFailure(error.message)
        } catch {
            preconditionFailure("\(error)")
        }
        let (m, n) = (outShape[0], outShape[1])
        let k = transposeA ? a.shape[0] : a.shape[1]
        if k == 0 { return Tensor.zeros(outShape) }
        return Tensor(shape: outShape) { out in
            guard let c = out.baseAddress else { return }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    BLAS.sgemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: pa.baseAddress!, lda: Swift.max(1, a.shape[1]),
                        b: pb.baseAddress!, ldb: Swift.max(1, b.shape[1]),
                        beta: 0, c: c, ldc: Swift.max(1, n))
                }
            }
        }
    }

    /// The transpose of a rank-2 tensor: `[m, n] → [n, m]`, `out[j, i] = x[i, j]`
    /// (cache-blocked copy).
    /// - Precondition: rank 2.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: expected a rank-2 tensor, got shape \(shape)")
        let m = shape[0], n = shape[1]
        return Tensor(shape: [n, m]) { out in
            withUnsafeBufferPointer { input in
                guard let x = input.baseAddress, let y = out.baseAddress else { return }
                let tile = 32
                for i0 in stride(from: 0, to: m, by: tile) {
                    for j0 in stride(from: 0, to: n, by: tile) {
                        for i in i0..<Swift.min(i0 + tile, m) {
                            for j in j0..<Swift.min(j0 + tile, n) { y[j * m + i] = x[i * n + j] }
                        }
                    }
                }
            }
        }
    }
}
