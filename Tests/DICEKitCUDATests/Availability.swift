// What this machine offers the CUDA tests: NVRTC alone (the compile tests), or a whole device
// (the parity tests). Each is probed once; when absent, the reason becomes the skip comment.

import DICEKit
import Foundation
import Testing
@testable import DICEKitCUDA

enum Availability {
    /// NVRTC as the backend would find it (DICEKIT_LIBNVRTC, the system, site-packages), or
    /// why not.
    static let nvrtc: Result<NVRTC, CUDAError> = {
        do { return .success(try NVRTC()) } catch let error as CUDAError { return .failure(error) } catch {
            return .failure(.nvrtcCall("probe", code: -1, message: "\(error)"))
        }
    }()

    /// Whether a CUDA backend can be made here, or why not.
    static let device: Result<CUDADeviceInfo, CUDAError> = {
        do { return .success(try CUDABackend().device) } catch let error as CUDAError { return .failure(error) } catch {
            return .failure(.noDevice(detail: "\(error)"))
        }
    }()

    static var hasNVRTC: Bool { (try? nvrtc.get()) != nil }
    static var hasDevice: Bool { (try? device.get()) != nil }

    /// The skip comment of the compile tests.
    static var nvrtcComment: Comment {
        switch nvrtc {
        case .success(let n): Comment(rawValue: "NVRTC \(n.version.major).\(n.version.minor) at \(n.path)")
        case .failure(let e): Comment(rawValue: "skipped: no NVRTC on this machine — \(e) (`make test` installs nvidia-cuda-nvrtc-cu12 into .build-nvrtc/ when pip is available)")
        }
    }

    /// The skip comment of the GPU parity tests.
    static var deviceComment: Comment {
        switch device {
        case .success(let d): Comment(rawValue: "CUDA device \(d.name), sm_\(d.computeCapability)")
        case .failure(let e): Comment(rawValue: "skipped: no usable CUDA device — \(e)")
        }
    }
}
