import CKernels
import Dispatch

/// Runs loop bodies over a fixed number of worker threads.
///
/// The CPU backend's non-BLAS kernels split their index range into at most `threads` chunks;
/// ranges smaller than `grain` run inline on the calling thread, where thread start-up would
/// cost more than the work. The chunks run on CKernels' worker pool (`ck_pool_run`, whose
/// workers spin briefly between jobs, so that decoding's many small regions pay no wake-up),
/// or on Dispatch's concurrentPerform while another job holds the pool. Chunk boundaries
/// depend only on `count`, `grain` and `threads`, never on which thread runs a chunk.
struct ParallelLoop: Sendable {
    /// Upper bound on concurrently running chunks.
    let threads: Int

    /// Calls `body` on disjoint sub-ranges that cover `0..<count`, concurrently: at most
    /// `threads · chunksPerThread` of them, each of at least `grain` indices. More chunks than
    /// threads balance uneven progress (threads claim chunks as they get free) and suit bodies
    /// whose result per index does not depend on the range it arrives in.
    func forEachChunk(_ count: Int, grain: Int = 1, chunksPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads * max(1, chunksPerThread), max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = PoolJob(count: count, chunks: chunks, body: body)
            let ran = withUnsafeMutablePointer(to: &job) { job in
                ck_pool_run(Int32(clamping: threads), Int64(chunks), { context, chunk in
                    context?.assumingMemoryBound(to: PoolJob.self).pointee.run(Int(chunk))
                }, job)
            }
            guard ran == 0 else { return }
            let box = UncheckedBox(job)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in box.value.run(chunk) }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spreading indices over the threads (in up
    /// to four chunks per thread: each index is computed alone, so the split is free).
    func forEach(_ count: Int, grain: Int = 1, _ body: (Int) -> Void) {
        forEachChunk(count, grain: grain, chunksPerThread: 4) { range in
            for i in range { body(i) }
        }
    }
}

/// One `forEachChunk` call: chunk `c` of `chunks` covers `count·c/chunks ..< count·(c+1)/chunks`.
private struct PoolJob {
    let count: Int
    let chunks: Int
    let body: (Range<Int>) -> Void

    func run(_ chunk: Int) {
        body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
    }
}

/// Carries a non-Sendable value into concurrentPerform's worker closures.
///
/// @unchecked Sendable: the kernels hand each worker a disjoint index range, so the pointers
/// the wrapped closure captures are never written by two workers at once, and
/// concurrentPerform returns only after every worker has finished.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
