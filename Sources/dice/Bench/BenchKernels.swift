import ArgumentParser
import CBLAS
import DICEKit
import DICEKitCUDA
import Foundation

/// `dice bench kernels`: the library's matmul beside raw `cblas_sgemm` (with `--backend cuda`:
/// raw `cublasSgemm`) on the same buffers, and attention forward+backward, on the small model's
/// shapes (DESIGN.md).
struct BenchKernels: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GFLOP/s of matmul (library vs raw cblas_sgemm) and attention timings."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed repetitions per measurement (the best is kept).")
    var repeats = 10

    struct MatmulResult: Codable {
        let m: Int, k: Int, n: Int
        let gflops: Double
        let blas_gflops: Double
        let ratio: Double
    }

    struct AttentionResult: Codable {
        let tokens: Int, heads: Int, kv_heads: Int, head_size: Int, sequences: Int
        let forward_ms: Double
        let forward_backward_ms: Double
    }

    struct Report: Codable {
        let backend: String
        let blas_core: String
        let threads: Int
        let matmul: [MatmulResult]
        let attention: AttentionResult
    }

    func run() throws {
        let backend = try backendOptions.makeBackend()
        // [M, K, N]: activations [M, K] times a Hugging Face weight [N, K] transposed.
        let shapes = [[1024, 512, 512], [1024, 512, 1536], [1024, 1536, 512], [1024, 512, 8192],
                      [64, 512, 512], [64, 512, 1536], [64, 1536, 512], [64, 512, 8192]]
        var results: [MatmulResult] = []
        for s in shapes {
            results.append(try benchMatmul(backend, m: s[0], k: s[1], n: s[2]))
        }
        let attention = try benchAttention(backend)
        let report = Report(backend: backend.name, blas_core: BLASCore.active, threads: backend.threads, matmul: results,
                            attention: attention)
        if json {
            try printJSON(report)
        } else {
            if let cuda = backend as? CUDABackend {
                print("matmul (\(cuda.matmulPrecision.rawValue), \(cuda.device.name), sm_\(cuda.device.computeCapability); C[M×N] = A[M×K]·Wᵀ, W [N×K])")
                print("     M      K      N   DICEKit GFLOP/s  cuBLAS GFLOP/s   ratio")
            } else {
                print("matmul (fp32, \(backend.threads) threads, OpenBLAS \(BLASCore.active) kernels; C[M×N] = A[M×K]·Wᵀ, W [N×K])")
                print("     M      K      N   DICEKit GFLOP/s   cblas GFLOP/s   ratio")
            }
            for r in results {
                print(String(format: "%6d %6d %6d %17.1f %15.1f %7.3f", r.m, r.k, r.n,
                             r.gflops, r.blas_gflops, r.ratio))
            }
            print(String(format: "attention T=%d H=%d G=%d D=%d: forward %.3f ms, forward+backward %.3f ms",
                         attention.tokens, attention.heads, attention.kv_heads, attention.head_size,
                         attention.forward_ms, attention.forward_backward_ms))
        }
    }

    func benchMatmul(_ backend: any Backend, m: Int, k: Int, n: Int) throws -> MatmulResult {
        var rng = SplitMix64(seed: 1)
        let a = try Tensor((0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }, shape: [m, k], on: backend)
        let w = try Tensor((0..<(n * k)).map { _ in rng.nextFloat() - 0.5 }, shape: [n, k], on: backend)
        let c = try Tensor(zeros: [m, n], on: backend)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let reference: () -> Void
        if let cuda = backend as? CUDABackend {
            reference = { cuda.referenceSgemm(a.storage, w.storage, c.storage, m: m, n: n, k: k) }
        } else {
            let raw = { (t: Tensor) in t.storage.withCPUPointer { $0 } }
            let pa = raw(a), pw = raw(w), pc = raw(c)
            reference = {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n),
                            blasint(k), 1, pa, blasint(k), pw, blasint(k), 0, pc, blasint(n))
            }
        }
        // A device queues work: time `inner` calls and the wait for them, per call.
        let inner = backend is CPUBackend ? 1 : 20
        func timed(_ body: () throws -> Void) rethrows -> Double {
            try Stopwatch.best(repeats: repeats) {
                for _ in 0..<inner { try body() }
                backend.synchronize()
            } / Double(inner)
        }
        // Interleave the two so that machine noise hits both alike.
        var library = Double.infinity, blas = Double.infinity
        // Alternate which goes first, too.
        for round in 0..<4 {
            let timeLibrary = { library = min(library, try timed { try a.matmul(w, transposeOther: true, into: c) }) }
            let timeBLAS = { blas = min(blas, timed(reference)) }
            if round % 2 == 0 { try timeLibrary(); timeBLAS() } else { timeBLAS(); try timeLibrary() }
        }
        let g = flops / library / 1e9, gb = flops / blas / 1e9
        return MatmulResult(m: m, k: k, n: n, gflops: g, blas_gflops: gb, ratio: g / gb)
    }

    func benchAttention(_ backend: any Backend) throws -> AttentionResult {
        let t = 128, h = 8, g = 4, d = 64
        var rng = SplitMix64(seed: 2)
        func random(_ shape: [Int]) throws -> Tensor {
            try Tensor((0..<shape.reduce(1, *)).map { _ in rng.nextFloat() - 0.5 }, shape: shape, on: backend)
        }
        let q = try random([t, h, d]), k = try random([t, g, d]), v = try random([t, g, d])
        let dout = try random([t, h, d])
        let out = try Tensor(zeros: [t, h, d], on: backend), lse = try Tensor(zeros: [t, h], on: backend)
        let dq = try Tensor(zeros: [t, h, d], on: backend)
        let dk = try Tensor(zeros: [t, g, d], on: backend), dv = try Tensor(zeros: [t, g, d], on: backend)
        let seqs = [AttentionSequence(start: 0, count: t)]
        let scale = 1 / Float(d).squareRoot()
        let forward = try Stopwatch.best(repeats: repeats * 3) {
            try Tensor.attention(q: q, k: k, v: v, into: out, lse: lse, sequences: seqs, scale: scale)
            backend.synchronize()
        }
        let both = try Stopwatch.best(repeats: repeats * 3) {
            try Tensor.attention(q: q, k: k, v: v, into: out, lse: lse, sequences: seqs, scale: scale)
            backend.attentionBackward(dout: dout.storage, q: q.storage, k: k.storage, v: v.storage,
                                      out: out.storage, lse: lse.storage, dq: dq.storage,
                                      dk: dk.storage, dv: dv.storage, sequences: seqs, heads: h,
                                      kvHeads: g, headSize: d, scale: scale)
            backend.synchronize()
        }
        return AttentionResult(tokens: t, heads: h, kv_heads: g, head_size: d, sequences: 1,
                               forward_ms: forward * 1e3, forward_backward_ms: both * 1e3)
    }
}
