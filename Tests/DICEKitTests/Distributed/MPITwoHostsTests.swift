// Two hosts simulated on one machine: network namespaces joined by a veth pair, one rank in
// each, MPI over TCP on the veth (Scripts/mpi-two-namespaces.sh): `dice dpo` gives the bytes of
// 2 ranks on one host. Skipped with the reason where namespaces cannot be made.

import Foundation
import Testing

@Suite("dice dpo on two simulated hosts (network namespaces, MPI over TCP)", .serialized)
struct MPITwoHostsTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts/mpi-two-namespaces.sh")

    /// Runs the script with `arguments`; its status and output.
    static func script(_ arguments: [String], in folder: URL) throws -> (Int32, String) {
        let out = folder.appendingPathComponent("netns-\(UUID().uuidString)")
        try Data().write(to: out)
        let handle = try FileHandle(forWritingTo: out)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = script
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = MPIRun.environment
        environment["DICEKIT_THREADS"] = "1"
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8))
    }

    @Test("one rank in each namespace: every rank on its own veth address; the weights of 2 ranks on one host")
    func twoHosts() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        guard let dice = DiceTool.url else { return }
        let folder = try ScratchFolder("mpi-netns")
        defer { folder.remove() }
        let name = "dk\(getpid() % 100000)", net = String(getpid() % 250 + 1)
        _ = try Self.script(["down", name], in: folder.url)
        let (made, why) = try Self.script(["up", name, net], in: folder.url)
        defer { _ = try? Self.script(["down", name], in: folder.url) }
        guard made == 0 else {
            print("skipped: network namespaces cannot be made here (\(why.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        let (listed, addresses) = try Self.script(["run", name, net, "2", "--", "sh", "-c",
                                                   "echo rank $OMPI_COMM_WORLD_RANK $(ip -o -4 addr show | grep -o '10\\.231\\.[0-9]*\\.[0-9]*')"],
                                                  in: folder.url)
        #expect(listed == 0, "\(addresses)")
        #expect(addresses.contains("rank 0 10.231.\(net).1") && addresses.contains("rank 1 10.231.\(net).2"), "\(addresses)")

        try ToyModelFolders.dpoInputs(in: folder.url)
        let local = try MPIRun.run(ranks: 2, MPIDPOTests.arguments(folder.url, run: "local"), in: folder.url)
        #expect(local.status == 0, "\(local.stderr)")
        let (status, output) = try Self.script(["run", name, net, "2", "--", dice.path]
                                                + MPIDPOTests.arguments(folder.url, run: "hosts"), in: folder.url)
        #expect(status == 0, "\(output)")
        guard status == 0, local.status == 0 else { return }
        #expect(try Data(contentsOf: folder.file("hosts/model.safetensors")) == Data(contentsOf: folder.file("local/model.safetensors")),
                "two hosts over TCP gave other weights than one host")
    }
}
