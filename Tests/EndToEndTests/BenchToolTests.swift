import Foundation
import Testing

/// sn-bench run as a built binary. Only the report's structure is checked: timing belongs in the
/// benchmark's output, not in test assertions.
@Suite struct BenchToolTests {
    static let figureKeys = ["sgemm_1024", "conv_3x3_256to256_64", "conv_7x7_1to64_256", "conv_3x3s2_64to128_128"]
    /// Whole-network figures (measured with the largest thread count; reduced sizes under --quick).
    static let networkKeys = ["generator_ngf64_256", "generator_ngf64_512", "generator_ngf64_1024", "generator_ngf32_256",
                              "generator_ngf32_1024", "patchgan_ndf64_fwd_bwd_256", "cyclegan_iteration_128"]

    @Test func quickJSONHasEveryFigureWithBothThreadCounts() throws {
        let r = try ToolRunner.run("sn-bench", ["--quick", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let machine = try #require(object["machine"] as? [String: Any])
        #expect(machine["cores"] as? Int ?? 0 >= 1)
        #expect(object["quick"] as? Bool == true)
        for key in Self.figureKeys {
            let figure = try #require(object[key] as? [String: Any], "missing figure \(key)")
            for threads in ["threads_1", "threads_2"] {
                let t = try #require(figure[threads] as? [String: Any], "\(key) lacks \(threads)")
                let gflops = try #require(t["gflops"] as? Double)
                #expect(gflops > 0 && gflops.isFinite, "\(key) \(threads): \(gflops)")
                if key.hasPrefix("conv") {
                    #expect((t["ratio"] as? Double).map { $0 > 0 } == true, "\(key) \(threads) lacks a ratio")
                }
            }
        }
        for key in Self.networkKeys {
            let figure = try #require(object[key] as? [String: Any], "missing figure \(key)")
            #expect(figure["size_reduced_for_quick"] as? Bool == true, "\(key): --quick must say it ran a reduced size")
            #expect((figure["size"] as? Int).map { $0 > 0 && $0 <= 64 } == true, "\(key): size \(figure["size"] ?? "nil")")
            let t = try #require(figure["threads_2"] as? [String: Any], "\(key) lacks threads_2")
            let seconds = try #require(t["median_s"] as? Double), gflops = try #require(t["gflops"] as? Double)
            #expect(seconds > 0 && gflops > 0 && gflops.isFinite, "\(key): \(seconds) s, \(gflops) GFLOP/s")
            #expect(t["speedup_vs_peer"] == nil, "\(key): no --peer, no speed-up")
            #expect((figure["peak_rss_mb"] as? Double).map { $0 > 0 } == true, "\(key) lacks peak_rss_mb")
            #expect(!figure.keys.contains("peer_s") && !figure.keys.contains { $0.contains("pytorch") },
                    "\(key): no figure typed in from another run may appear")
        }
    }

    /// --peer: the figures it holds get the peer's time, memory and the speed-up peer/ours; others none.
    @Test func peerFiguresGiveSpeedUps() throws {
        let dir = try ToolRunner.temporaryFolder("bench-peer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let peer = dir.appendingPathComponent("peer.tsv").path
        try "key\tseconds\tpeak_rss_mb\ngenerator_ngf32_256\t0.5\t321\ncyclegan_iteration_128\t2.5\t1000\n"
            .write(toFile: peer, atomically: true, encoding: .utf8)
        let r = try ToolRunner.run("sn-bench", ["--threads", "2", "--model-repeats", "1", "--only", "generator_ngf32_256",
                                                "--json", "--peer", peer])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let figure = try #require(object["generator_ngf32_256"] as? [String: Any])
        #expect(figure["size"] as? Int == 256)
        #expect(figure["peer_s"] as? Double == 0.5 && figure["peer_peak_rss_mb"] as? Double == 321)
        let t = try #require(figure["threads_2"] as? [String: Any])
        let seconds = try #require(t["median_s"] as? Double), speedUp = try #require(t["speedup_vs_peer"] as? Double)
        #expect(abs(speedUp - 0.5 / seconds) < 1e-9 * speedUp)
        #expect(object["sgemm_1024"] == nil)
        // The table shows the peer's columns.
        let table = try ToolRunner.run("sn-bench", ["--threads", "2", "--model-repeats", "1", "--only", "generator_ngf32_256", "--peer", peer])
        #expect(table.status == 0 && table.stdout.contains("peer s") && table.stdout.contains("speed-up = peer s / ours"), "\(table.stdout)")
        // A malformed or missing file is a usage error naming it.
        let bad = dir.appendingPathComponent("bad.tsv").path
        try "key\tseconds\ngenerator_ngf32_256\tfast\n".write(toFile: bad, atomically: true, encoding: .utf8)
        for (path, reason) in [(bad, "line 2: seconds 'fast' is not a positive number"), (dir.appendingPathComponent("none.tsv").path, "cannot be read")] {
            let e = try ToolRunner.run("sn-bench", ["--only", "generator_ngf32_256", "--peer", path])
            #expect(e.status == 2 && e.stderr.contains("--peer \(path): \(reason)"), "\(e.stderr)")
        }
    }

    @Test func tableNamesEveryFigure() throws {
        let r = try ToolRunner.run("sn-bench", ["--quick", "--threads", "1", "--only", "sgemm_1024"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sgemm 1024x1024x1024"))
        #expect(!r.stdout.contains("conv 3x3"))
    }

    @Test func unknownFigureIsAUsageError() throws {
        let r = try ToolRunner.run("sn-bench", ["--only", "fft_4096"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown figure 'fft_4096'"))
    }
}
