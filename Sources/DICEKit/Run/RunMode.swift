// RunMode: whether a DICE run starts in an empty folder or continues the run a folder holds.

/// How `DICEBootstrapper.run` treats its run folder.
public enum RunMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Start a new run; a folder that already holds one (`settings.json` or `state.json`) is
    /// refused (`DICEError.runExists`).
    case fresh
    /// Continue the run in the folder from its last completed phase, after checking that the
    /// settings and data are those it was started with (`DICEError.settingsChanged`) and that
    /// the store holds every model trained so far (`DICEError.resumeWithoutModel`). A folder
    /// without a run starts one.
    case resume
}
