import Dispatch

/// Runs loop bodies over a fixed number of worker threads (Dispatch's concurrentPerform).
///
/// The CPU backend's non-BLAS kernels split their index range into at most `threads` chunks;
/// ranges smaller than `grain` run inline on the calling thread, where thread start-up would
/// cost more than the work.
struct ParallelLoop: Sendable {
    /// Upper bound on concurrently running chunks.
    let threads: Int

    /// Calls `body` on disjoint sub-ranges that cover `0..<count`, concurrently.
    func forEachChunk(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lower = count * chunk / chunks
                let upper = count * (chunk + 1) / chunks
                box.value(lower..<upper)
            }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spreading indices over the threads.
    func forEach(_ count: Int, grain: Int = 1, _ body: (Int) -> Void) {
        forEachChunk(count, grain: grain) { range in
            for i in range { body(i) }
        }
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
