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
            #expect(t["speedup_vs_pytorch"] == nil, "\(key): a reduced-size run must not claim a speed-up")
            #expect((figure["peak_rss_mb"] as? Double).map { $0 > 0 } == true, "\(key) lacks peak_rss_mb")
            #expect(figure.keys.contains("pytorch_s"))
        }
    }

    @Test func networkFigureReportsPyTorchAnchorAndSpeedUp() throws {
        let r = try ToolRunner.run("sn-bench", ["--threads", "2", "--model-repeats", "1", "--only", "generator_ngf32_256", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let figure = try #require(object["generator_ngf32_256"] as? [String: Any])
        #expect(figure["size"] as? Int == 256)
        #expect(figure["pytorch_s"] as? Double == 0.21)
        let t = try #require(figure["threads_2"] as? [String: Any])
        let seconds = try #require(t["median_s"] as? Double), speedUp = try #require(t["speedup_vs_pytorch"] as? Double)
        #expect(abs(speedUp - 0.21 / seconds) < 1e-9 * speedUp)
        #expect(object["sgemm_1024"] == nil)
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
