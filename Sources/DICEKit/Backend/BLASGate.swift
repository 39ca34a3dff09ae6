#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS

/// Serialises use of OpenBLAS, whose thread count is one process-wide setting.
///
/// A CPU backend runs its BLAS work through the gate with the thread count it wants: its own
/// matrix products with all of its threads, and its attention loops (which call BLAS from
/// several of its own workers) with one. Without the gate, two backends driven from two
/// threads would change each other's OpenBLAS thread count mid-call — oversubscribing the
/// machine, and changing which kernels OpenBLAS picks, so results would stop being
/// reproducible bit for bit.
///
/// @unchecked Sendable: `threads` is read and written only while `mutex` is held.
final class BLASGate: @unchecked Sendable {
    static let shared = BLASGate()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var threads = 0

    private init() { pthread_mutex_init(mutex, nil) }

    /// Runs `body` holding the gate, with OpenBLAS set to `threads` threads.
    func run<R>(threads wanted: Int, _ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if threads != wanted {
            openblas_set_num_threads(Int32(wanted))
            threads = wanted
        }
        return try body()
    }
}
