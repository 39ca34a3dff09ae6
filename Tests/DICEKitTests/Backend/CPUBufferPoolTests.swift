import Testing
@testable import DICEKit

/// `CPUBufferPool`: block alignment (64 bytes; 2 MiB from 2 MiB up, for huge pages), reuse of a
/// freed block of the same size, and the cap on cached bytes.
@Suite struct CPUBufferPoolTests {
    private static func address(_ p: UnsafeMutableRawPointer) -> Int { Int(bitPattern: p) }

    @Test(arguments: [1, 4096, 100_000, (2 << 20) - 4096, 2 << 20, 3 << 20, 9_437_184 + 4096])
    func alignmentAndWritableMemory(bytes: Int) throws {
        let pool = CPUBufferPool(capacity: 64 << 20)
        let size = CPUBufferPool.roundedSize(bytes)
        let block = try #require(pool.take(size: size))
        let alignment = size >= CPUBufferPool.hugePage ? CPUBufferPool.hugePage : 64
        #expect(Self.address(block) % alignment == 0)
        // Every page of the block is usable: write its first and last byte of each page.
        let bytesPointer = block.assumingMemoryBound(to: UInt8.self)
        for offset in stride(from: 0, to: size, by: 4096) {
            bytesPointer[offset] = 1
            bytesPointer[min(offset + 4095, size - 1)] = 2
        }
        #expect(bytesPointer[0] == 1 && bytesPointer[size - 1] == 2)
        pool.give(block, size: size)
    }

    @Test func freedBlockIsReusedAndCapIsKept() throws {
        let pool = CPUBufferPool(capacity: 4 << 20)
        let big = 3 << 20
        let first = try #require(pool.take(size: big))
        pool.give(first, size: big)
        let second = try #require(pool.take(size: big))
        #expect(second == first)
        // Two blocks of 3 MiB exceed the 4 MiB cap: the second one given back is freed, so
        // only one of them can come back from the cache.
        let third = try #require(pool.take(size: big))
        pool.give(second, size: big)
        pool.give(third, size: big)
        let again = try #require(pool.take(size: big))
        #expect(again == second)
        pool.give(again, size: big)
    }
}

/// A request of a size the cache does not hold empties the cache first, so that blocks kept for
/// shapes that are no longer used (an earlier phase, a longer batch) do not add to the peak.
@Suite struct CPUBufferPoolEvictionTests {
    @Test func missReturnsStaleBlocksToTheSystem() throws {
        let pool = CPUBufferPool(capacity: 64 << 20)
        let sizes = [3 << 20, 4096, 5 << 20]
        let blocks = try sizes.map { try #require(pool.take(size: $0)) }
        for (b, s) in zip(blocks, sizes) { pool.give(b, size: s) }
        #expect(pool.cached == sizes.reduce(0, +))
        // A hit takes its block out of the cache and leaves the others.
        let hit = try #require(pool.take(size: 4096))
        #expect(hit == blocks[1])
        #expect(pool.cached == (3 << 20) + (5 << 20))
        // A miss (7 MiB: no block of that size) empties the cache before allocating.
        let miss = try #require(pool.take(size: 7 << 20))
        #expect(pool.cached == 0)
        pool.give(hit, size: 4096)
        pool.give(miss, size: 7 << 20)
        #expect(pool.cached == 4096 + (7 << 20))
    }
}

/// `releaseCached()` (behind `CPUBackend.releaseCachedMemory()`) gives every cached block back,
/// and the pool keeps working afterwards.
@Suite struct CPUBufferPoolReleaseTests {
    @Test func releaseEmptiesTheCache() throws {
        let pool = CPUBufferPool(capacity: 64 << 20)
        let sizes = [3 << 20, 4096]
        let blocks = try sizes.map { try #require(pool.take(size: $0)) }
        for (b, s) in zip(blocks, sizes) { pool.give(b, size: s) }
        #expect(pool.cached == sizes.reduce(0, +))
        pool.releaseCached()
        #expect(pool.cached == 0)
        let again = try #require(pool.take(size: 4096))
        again.storeBytes(of: 7, as: UInt8.self)
        pool.give(again, size: 4096)
        #expect(pool.cached == 4096)
    }

    @Test func backendReleaseLeavesLiveBuffersIntact() throws {
        let backend = CPUBackend(threads: 1)
        let live = try backend.allocate(1000, zeroed: false)
        backend.upload((0..<1000).map(Float.init), to: BufferSlice(live))
        do { _ = try backend.allocate(300_000, zeroed: true) }  // freed at once, cached
        #expect(backend.pool.cached > 0)
        backend.releaseCachedMemory()
        #expect(backend.pool.cached == 0)
        #expect(backend.download(BufferSlice(live)) == (0..<1000).map(Float.init))
    }
}
