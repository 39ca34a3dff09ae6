// FuzzSafeTensors: safetensors bytes → `SafeTensorsFile(data:path:)` (the 8-byte length, the
// JSON header, the entries' validation); every tensor of a file that validates is then read as
// Float32 and Float64.

import DICEKit
import Foundation
import FuzzSupport

@main enum FuzzSafeTensors {
    static func main() {
        FuzzDriver.main { data in
            guard let file = try? SafeTensorsFile(data: data, path: "fuzz.safetensors") else { return }
            for name in file.names {
                _ = try? file.tensor(name)
                _ = try? file.doubles(name)
            }
            _ = try? file.allTensors()
            _ = try? file.entry("not a tensor name")
        }
    }
}
