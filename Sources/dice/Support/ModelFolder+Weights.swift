// ModelFolder+Weights: a model folder's weights read and checked before any work, so that a
// damaged file is found before sampling rather than when the model is first loaded.

import DICEKit

extension ModelFolder {
    /// Reads every weight config.json implies and checks it (`ModelDirectory.read`: the
    /// safetensors header and bytes, each tensor's presence and shape).
    /// - Parameter flag: the flag that named the folder, for the message.
    /// - Returns: the weights read (a caller that only checks lets the copy go at once).
    /// - Throws: `InputError` "FLAG: <the FormatError or GGUFError, naming the file>".
    @discardableResult
    func readWeights(flag: String) throws -> ModelDirectory {
        do {
            return try ModelDirectory.read(from: url)
        } catch let error as FormatError {
            throw InputError(description: "\(flag): \(error)")
        } catch let error as GGUFError {
            throw InputError(description: "\(flag): \(error)")
        }
    }
}
