import Foundation

extension Data {
    /// The UTF-8 bytes of `string`.
    ///
    /// `Data(string.utf8)` goes through the generic `Data(Sequence)` initializer, whose dynamic
    /// cast (looking for contiguous storage) cost about 900 instructions per state key in the
    /// replay benchmark; this copies the string's contiguous UTF-8 directly.
    init(utf8 string: String) {
        var string = string
        self = string.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return Data() }
            return Data(bytes: base, count: bytes.count)
        }
    }
}
