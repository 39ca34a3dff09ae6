// The three libraries the CUDA backend loads at run time, and their names.

/// A library that the CUDA backend opens with `dlopen`.
public enum CUDALibrary: String, CaseIterable, Sendable {
    /// The driver API, `libcuda.so.1`, installed with the NVIDIA driver.
    case driver
    /// cuBLAS, `libcublas.so.*` (CUDA toolkit, or the PyPI package `nvidia-cublas-cu12`).
    case cublas
    /// NVRTC, the run-time CUDA C compiler, `libnvrtc.so.*` (CUDA toolkit, or the PyPI
    /// package `nvidia-cuda-nvrtc-cu12`).
    case nvrtc

    /// The environment variable that names the library's file (or a folder holding it).
    public var environmentVariable: String {
        switch self {
        case .driver: "DICEKIT_LIBCUDA"
        case .cublas: "DICEKIT_LIBCUBLAS"
        case .nvrtc: "DICEKIT_LIBNVRTC"
        }
    }

    /// The unversioned file name: `libcuda.so`, `libcublas.so`, `libnvrtc.so`.
    public var fileStem: String {
        switch self {
        case .driver: "libcuda.so"
        case .cublas: "libcublas.so"
        case .nvrtc: "libnvrtc.so"
        }
    }

    /// Names tried through the system's own search (LD_LIBRARY_PATH, the ld.so cache), newest
    /// major version first.
    var systemNames: [String] {
        switch self {
        case .driver: ["libcuda.so.1", "libcuda.so"]
        case .cublas: ["libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11"]
        case .nvrtc: ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"]
        }
    }

    /// The Python package folder under site-packages/nvidia/ that ships it (nil for the driver).
    var pythonPackage: String? {
        switch self {
        case .driver: nil
        case .cublas: "cublas"
        case .nvrtc: "cuda_nvrtc"
        }
    }

    /// Words for messages.
    public var displayName: String {
        switch self {
        case .driver: "the CUDA driver library (libcuda.so.1)"
        case .cublas: "cuBLAS (libcublas.so)"
        case .nvrtc: "NVRTC (libnvrtc.so)"
        }
    }

    /// Where to get it, for messages.
    var hint: String {
        switch self {
        case .driver: " (it comes with the NVIDIA driver)"
        case .cublas: " (or `pip install nvidia-cublas-cu12`)"
        case .nvrtc: " (or `pip install nvidia-cuda-nvrtc-cu12`)"
        }
    }
}
