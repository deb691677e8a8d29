import Foundation

/// The process's resident set size.
///
/// malloc's own statistics (`mallinfo2`) are not visible through Swift's Glibc module, so the
/// measurement works on RSS over enough instances (100,000) that page granularity and allocator
/// slack average out.
struct MemoryUsage {
    var residentBytes: Int

    static func current() -> MemoryUsage {
        // statm: size resident shared text lib data dt, in pages.
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let resident = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return MemoryUsage(residentBytes: resident * Int(sysconf(Int32(_SC_PAGESIZE))))
    }
}
