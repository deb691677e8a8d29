import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The process's heap in use (malloc's own count) and resident set size.
struct MemoryUsage {
    var heapBytes: Int
    var residentBytes: Int

    static func current() -> MemoryUsage {
        #if canImport(Glibc)
        let heap = Int(mallinfo2().uordblks)
        #else
        let heap = 0
        #endif
        // statm: size resident shared text lib data dt, in pages.
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let resident = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return MemoryUsage(heapBytes: heap, residentBytes: resident * Int(sysconf(Int32(_SC_PAGESIZE))))
    }
}
